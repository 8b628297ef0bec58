/* The data paths of the `data:` section (a path or a list of them, and
 * `exclude:` patterns) resolved against the model file's directory by
 * rw_file_list_add (rewind/corpus.h). Its errors get the position of the
 * key that names the path. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "model_internal.h"

/* The `exclude:` patterns (a scalar or a list), read as text once; one that
 * cannot be read matches nothing. */
typedef struct patterns {
    char (*text)[512];
    const char **list;
    int n;
} patterns;

static rw_status read_patterns(const rw_model *m, const ynode *ex, patterns *p)
{
    int n = !ex ? 0 : ex->kind == Y_SEQ ? ex->n : 1;
    p->n = 0;
    p->text = rwi_malloc((size_t)(n ? n : 1) * sizeof *p->text, "exclude patterns");
    p->list = rwi_malloc((size_t)(n ? n : 1) * sizeof *p->list, "exclude patterns");
    if (!p->text || !p->list)
        return RW_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        if (rwi_ys_text(&m->ctx, ex->kind == Y_SEQ ? ex->vals[i] : ex, "exclude", p->text[p->n], sizeof p->text[0],
                    NULL) == RW_OK) {
            p->list[p->n] = p->text[p->n];
            p->n++;
        }
    return RW_OK;
}

static rw_status add_one(const rw_model *m, rw_model_files *f, const ynode *n, const char *what, const patterns *ex)
{
    char t[Y_TEXT_MAX], path[Y_TEXT_MAX + 1024];
    if (n->kind != Y_SCALAR || rwi_yis_null(n))
        return rwi_ys_expect(n, Y_SCALAR, what);
    if (rwi_ys_text(&m->ctx, n, what, t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (!t[0])
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' names an empty path", what);
    snprintf(path, sizeof path, "%s%s%s", t[0] == '/' ? "" : m->base_dir, t[0] == '/' ? "" : "/", t);
    rw_status st = rw_file_list_add(f, path, t, ex->list, ex->n);
    if (st == RW_OK || st == RW_ERR_NOMEM)
        return st;
    char msg[Y_TEXT_MAX + 2048];
    snprintf(msg, sizeof msg, "%s", rw_last_error());
    return rwi_ydiag(st, n, "%s", msg);
}

rw_status rwi_mresolve_files(const rw_model *m, const ynode *n, const char *what, const ynode *exclude,
                         rw_model_files *out)
{
    if (exclude && exclude->kind != Y_SCALAR && exclude->kind != Y_SEQ)
        return rwi_ys_expect(exclude, Y_SEQ, "exclude");
    patterns ex[1];
    rw_status st = read_patterns(m, exclude, ex);
    int count = n->kind == Y_SEQ ? n->n : 1;
    if (st == RW_OK && count == 0)
        st = rwi_ydiag(RW_ERR_FORMAT, n, "'%s' lists no files", what);
    for (int i = 0; st == RW_OK && i < count; i++)
        st = add_one(m, out, n->kind == Y_SEQ ? n->vals[i] : n, what, ex);
    rwi_free(ex->text);
    rwi_free(ex->list);
    return st;
}
