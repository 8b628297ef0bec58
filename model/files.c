/* Data paths: a file, a directory (its regular files), a glob, or a list of
 * these; `exclude:` patterns drop names from directories and globs. A path
 * that matches nothing is an error at the key's position. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rewind_internal/alloc.h"
#include "diag.h"
#include "model_internal.h"

#define M_MAX_FILES 100000

void mfiles_free(rw_model_files *f)
{
    for (int i = 0; i < f->count; i++)
        rw_free(f->paths[i]);
    rw_free(f->paths);
    f->paths = NULL;
    f->count = 0;
}

static rw_status add_path(rw_model_files *f, const char *path, const ynode *at)
{
    if (f->count == M_MAX_FILES)
        return ydiag(RW_ERR_FORMAT, at, "more than %d data files", M_MAX_FILES);
    char **grown = rw_realloc(f->paths, (size_t)(f->count + 1) * sizeof *grown, "data paths");
    if (!grown)
        return RW_ERR_NOMEM;
    f->paths = grown;
    if (!(f->paths[f->count] = rw_strdup(path, "a data path")))
        return RW_ERR_NOMEM;
    f->count++;
    return RW_OK;
}

static bool excluded(const rw_model *m, const ynode *ex, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base[0] == '.')
        return true; /* hidden files are never data */
    for (int i = 0; ex && i < (ex->kind == Y_SEQ ? ex->n : 1); i++) {
        char pat[512];
        const ynode *p = ex->kind == Y_SEQ ? ex->vals[i] : ex;
        if (ys_text(&m->ctx, p, "exclude", pat, sizeof pat, NULL) == RW_OK && fnmatch(pat, base, 0) == 0)
            return true;
    }
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

static rw_status add_dir(const rw_model *m, rw_model_files *f, const char *dir, const ynode *at, const ynode *ex)
{
    DIR *d = opendir(dir);
    if (!d)
        return ydiag(RW_ERR_IO, at, "cannot read directory '%s': %s", dir, strerror(errno));
    rw_model_files found = { 0 };
    rw_status st = RW_OK;
    struct dirent *e;
    while (st == RW_OK && (e = readdir(d)) != NULL) {
        char path[2 * Y_TEXT_MAX + 300];
        snprintf(path, sizeof path, "%.*s/%s", Y_TEXT_MAX + 1024, dir, e->d_name);
        if (!excluded(m, ex, path) && plain_file(path))
            st = add_path(&found, path, at);
    }
    closedir(d);
    if (st == RW_OK && found.count == 0)
        st = ydiag(RW_ERR_IO, at, "directory '%s' holds no data files", dir);
    if (found.count)
        qsort(found.paths, (size_t)found.count, sizeof *found.paths, cmp_str);
    for (int i = 0; st == RW_OK && i < found.count; i++)
        st = add_path(f, found.paths[i], at);
    mfiles_free(&found);
    return st;
}

static rw_status add_one(const rw_model *m, rw_model_files *f, const ynode *n, const char *what, const ynode *ex)
{
    char t[Y_TEXT_MAX], path[Y_TEXT_MAX + 1024];
    if (n->kind != Y_SCALAR || yis_null(n))
        return ys_expect(n, Y_SCALAR, what);
    if (ys_text(&m->ctx, n, what, t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (!t[0])
        return ydiag(RW_ERR_FORMAT, n, "'%s' names an empty path", what);
    snprintf(path, sizeof path, "%s%s%s", t[0] == '/' ? "" : m->base_dir, t[0] == '/' ? "" : "/", t);
    if (strpbrk(t, "*?[")) {
        glob_t g;
        int r = glob(path, 0, NULL, &g);
        if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
            if (r == 0)
                globfree(&g);
            return ydiag(RW_ERR_IO, n, "no data file matches '%s' (%s)", t, path);
        }
        if (r != 0)
            return ydiag(RW_ERR_IO, n, "cannot expand '%s'", t);
        rw_status st = RW_OK;
        int added = 0;
        for (size_t i = 0; st == RW_OK && i < g.gl_pathc; i++)
            if (!excluded(m, ex, g.gl_pathv[i]) && plain_file(g.gl_pathv[i])) {
                st = add_path(f, g.gl_pathv[i], n);
                added++;
            }
        globfree(&g);
        if (st == RW_OK && !added)
            st = ydiag(RW_ERR_IO, n, "no data file matches '%s' once directories, links and excluded names are "
                       "left out", t);
        return st;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return ydiag(RW_ERR_IO, n, "data file '%s' does not exist (%s: %s)", t, path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return add_dir(m, f, path, n, ex);
    if (!S_ISREG(st.st_mode))
        return ydiag(RW_ERR_IO, n, "'%s' is not a regular file", t);
    return add_path(f, path, n);
}

rw_status mresolve_files(const rw_model *m, const ynode *n, const char *what, const ynode *exclude,
                         rw_model_files *out)
{
    if (exclude && exclude->kind != Y_SCALAR && exclude->kind != Y_SEQ)
        return ys_expect(exclude, Y_SEQ, "exclude");
    if (n->kind == Y_SEQ) {
        if (n->n == 0)
            return ydiag(RW_ERR_FORMAT, n, "'%s' lists no files", what);
        for (int i = 0; i < n->n; i++)
            if (add_one(m, out, n->vals[i], what, exclude) != RW_OK)
                return rw_last_status();
        return RW_OK;
    }
    return add_one(m, out, n, what, exclude);
}
