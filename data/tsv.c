/* Tab-separated examples, a line at a time: label<TAB>text for a
 * classifier, source<TAB>target for sequence to sequence. Empty lines are
 * skipped; a line without a tab (or, unless allowed, with an empty column)
 * is an error naming the file and line. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/corpus.h"

struct rw_tsv {
    char *path;
    char *text, *p;      /* the file, and the start of the next line (NULL at the end) */
    int line;
    rw_tsv_opts o;
};

rw_tsv *rw_tsv_open(const char *path, const rw_tsv_opts *o)
{
    rw_tsv *t = rwi_calloc(1, sizeof *t, "a tsv reader");
    size_t len;
    if (!t)
        return NULL;
    t->o = *o;
    if (!(t->path = rwi_strdup(path, "a data path")) || !(t->text = rw_read_file(path, &len))) {
        rw_tsv_close(t);
        return NULL;
    }
    t->p = t->text;
    return t;
}

int rw_tsv_next(rw_tsv *t, rw_tsv_row *row)
{
    for (char *p = t->p, *next; p && *p; p = next) {
        t->line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        t->p = next;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = '\0';
        if (!l)
            continue;
        char *tab = strchr(p, '\t');
        if (!tab || (!t->o.allow_empty && (tab == p || !tab[1]))) {
            rw_error(RW_ERR_FORMAT, "%s:%d: expected %s<TAB>%s", t->path, t->line, t->o.first, t->o.second);
            return -1;
        }
        *tab = '\0';
        *row = (rw_tsv_row){ p, tab + 1, t->path, t->line };
        return 1;
    }
    t->p = NULL;
    return 0;
}

void rw_tsv_close(rw_tsv *t)
{
    if (!t)
        return;
    rwi_free(t->path);
    rwi_free(t->text);
    rwi_free(t);
}
