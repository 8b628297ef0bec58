/* The checkpoint's directory before training starts: it must take the file
 * (found now, not after hours of work when the first save fails), and the
 * temporary files that killed runs left in it are removed.
 *
 * rw_checkpoint_save writes "<path>.tmp-<pid>-<n>" and renames it over
 * <path>; a SIGKILL between the two leaves the temporary file. Only names of
 * exactly that form for this checkpoint, whose writing process no longer
 * exists, are removed: a run writing the same checkpoint now keeps its file. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <rewind.h>
#include "load.h"

rw_status checkpoint_dir_ready(const char *ck_path, unsigned long long need_bytes)
{
    struct stat st;
    if (stat(ck_path, &st) == 0 && !S_ISREG(st.st_mode))
        return rw_error(RW_ERR_IO, "the checkpoint '%s' exists and is not a regular file", ck_path);
    char probe[4096];
    if (snprintf(probe, sizeof probe, "%s.tmp-%ld-probe", ck_path, (long)getpid()) >= (int)sizeof probe)
        return rw_error(RW_ERR_IO, "the checkpoint path '%s' is too long", ck_path);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return rw_error(RW_ERR_IO, "cannot write the checkpoint '%s' (checked before training): %s", ck_path,
                        strerror(errno));
    close(fd);
    unlink(probe);
    char *dir = path_dir(ck_path);
    struct statvfs fs;
    if (dir && statvfs(dir, &fs) == 0 && fs.f_frsize > 0) {
        unsigned long long avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
        if (avail < need_bytes) {
            rw_error(RW_ERR_IO, "the checkpoint '%s' needs about %llu bytes but its file system has %llu free "
                     "(checked before training)", ck_path, need_bytes, avail);
            free(dir);
            return RW_ERR_IO;
        }
    }
    free(dir);
    return RW_OK;
}

/* The pid of "<base>.tmp-<pid>-<n>" (n decimal), or 0 when `name` is not such a name. */
static long temp_pid(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".tmp-", 5) != 0)
        return 0;
    char *end;
    const char *p = name + bl + 5;
    if (*p < '1' || *p > '9')
        return 0;
    long pid = strtol(p, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9')
        return 0;
    for (p = end + 1; *p >= '0' && *p <= '9'; p++)
        ;
    return *p ? 0 : pid;
}

int checkpoint_clean_stale(const char *ck_path)
{
    char *dir = path_dir(ck_path);
    const char *slash = strrchr(ck_path, '/');
    const char *base = slash ? slash + 1 : ck_path;
    DIR *d = dir ? opendir(dir) : NULL;
    int removed = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        long pid = temp_pid(e->d_name, base);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* not ours, or its writer is alive (or not ours to signal) */
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0)
            removed++;
    }
    if (d)
        closedir(d);
    free(dir);
    return removed;
}
