/* Data paths: a file, a directory (its regular files), or a glob, with
 * hidden names and `exclude` patterns left out of directories and globs.
 * A path that matches nothing is an error. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rewind_internal/alloc.h"
#include "rewind/corpus.h"

void rw_file_list_free(rw_file_list *f)
{
    for (int i = 0; i < f->count; i++)
        rwi_free(f->paths[i]);
    rwi_free(f->paths);
    f->paths = NULL;
    f->count = 0;
}

static rw_status add_path(rw_file_list *f, const char *path)
{
    if (f->count == RW_MAX_DATA_FILES)
        return rw_error(RW_ERR_FORMAT, "more than %d data files", RW_MAX_DATA_FILES);
    char **grown = rwi_realloc(f->paths, (size_t)(f->count + 1) * sizeof *grown, "data paths");
    if (!grown)
        return RW_ERR_NOMEM;
    f->paths = grown;
    if (!(f->paths[f->count] = rwi_strdup(path, "a data path")))
        return RW_ERR_NOMEM;
    f->count++;
    return RW_OK;
}

static bool excluded(const char *path, const char *const *exclude, int n_exclude)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base[0] == '.')
        return true; /* hidden files are never data */
    for (int i = 0; i < n_exclude; i++)
        if (fnmatch(exclude[i], base, 0) == 0)
            return true;
    return false;
}

/* Regular files only: directories and globs skip symbolic links (Debian's
 * fortunes has a .u8 link beside every file) and anything else. */
static bool plain_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static rw_status add_dir(rw_file_list *f, const char *dir, const char *const *exclude, int n_exclude)
{
    DIR *d = opendir(dir);
    if (!d)
        return rw_error(RW_ERR_IO, "cannot read directory '%s': %s", dir, strerror(errno));
    rw_file_list found = { 0 };
    rw_status st = RW_OK;
    struct dirent *e;
    size_t cap = strlen(dir) + 2 + 256;
    char *path = rwi_malloc(cap, "a data path");
    while (path && st == RW_OK && (e = readdir(d)) != NULL) {
        snprintf(path, cap, "%s/%s", dir, e->d_name);
        if (!excluded(path, exclude, n_exclude) && plain_file(path))
            st = add_path(&found, path);
    }
    closedir(d);
    if (!path)
        st = RW_ERR_NOMEM;
    rwi_free(path);
    if (st == RW_OK && found.count == 0)
        st = rw_error(RW_ERR_IO, "directory '%s' holds no data files", dir);
    if (found.count)
        qsort(found.paths, (size_t)found.count, sizeof *found.paths, cmp_str);
    for (int i = 0; st == RW_OK && i < found.count; i++)
        st = add_path(f, found.paths[i]);
    rw_file_list_free(&found);
    return st;
}

static rw_status add_glob(rw_file_list *f, const char *pattern, const char *written, const char *const *exclude,
                          int n_exclude)
{
    glob_t g;
    int r = glob(pattern, 0, NULL, &g);
    if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
        if (r == 0)
            globfree(&g);
        return rw_error(RW_ERR_IO, "no data file matches '%s' (%s)", written, pattern);
    }
    if (r != 0)
        return rw_error(RW_ERR_IO, "cannot expand '%s'", written);
    rw_status st = RW_OK;
    int added = 0;
    for (size_t i = 0; st == RW_OK && i < g.gl_pathc; i++)
        if (!excluded(g.gl_pathv[i], exclude, n_exclude) && plain_file(g.gl_pathv[i])) {
            st = add_path(f, g.gl_pathv[i]);
            added++;
        }
    globfree(&g);
    if (st == RW_OK && !added)
        st = rw_error(RW_ERR_IO, "no data file matches '%s' once directories, links and excluded names are "
                      "left out", written);
    return st;
}

rw_status rw_file_list_add(rw_file_list *f, const char *path, const char *written, const char *const *exclude,
                           int n_exclude)
{
    if (!f || !path || !path[0])
        return rw_error(RW_ERR_ARG, "rw_file_list_add: needs a list and a non-empty path");
    if (!written)
        written = path;
    if (strpbrk(written, "*?["))
        return add_glob(f, path, written, exclude, n_exclude);
    struct stat st;
    if (stat(path, &st) != 0)
        return rw_error(RW_ERR_IO, "data file '%s' does not exist (%s: %s)", written, path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return add_dir(f, path, exclude, n_exclude);
    if (!S_ISREG(st.st_mode))
        return rw_error(RW_ERR_IO, "'%s' is not a regular file", written);
    return add_path(f, path);
}
