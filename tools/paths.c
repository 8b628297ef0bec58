/* File-system helpers for the `rewind` program. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rewind.h>
#include "load.h"

char *path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

char *path_absolute_dir(const char *path)
{
    char *dir = path_dir(path);
    if (!dir)
        return NULL;
    char *abs = realpath(dir, NULL);
    if (abs) {
        free(dir);
        return abs;
    }
    return dir;
}

bool path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const char *path) { return access(path, F_OK) == 0; }

rw_status path_make_parents(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return rw_error(RW_ERR_IO, "the path '%s' is too long", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return RW_OK;
    *slash = '\0';
    for (char *p = buf + 1; ; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            char keep = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return rw_error(RW_ERR_IO, "cannot create the directory '%s': %s", buf, strerror(errno));
            *p = keep;
        }
        if (end)
            break;
    }
    if (!path_is_dir(buf))
        return rw_error(RW_ERR_IO, "'%s' is not a directory", buf);
    return RW_OK;
}

bool path_is_checkpoint(const char *path)
{
    static const unsigned char magic[8] = { 0x89, 'R', 'W', 'C', '\r', '\n', 0x1a, '\n' };
    unsigned char head[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && memcmp(head, magic, sizeof magic) == 0;
}
