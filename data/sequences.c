/* A dataset of variable-length int32 token sequences: every token of every
 * example lives in one growing array, and each example records where its
 * source and target start. */
#include <limits.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/batch.h"

typedef struct example {
    size_t src_at, tgt_at;   /* offsets into tokens */
    int src_len, tgt_len;
    int32_t label;
} example;

struct rw_seqdata {
    example *ex;
    int count, cap;
    int32_t *tokens;
    size_t ntokens, tokens_cap;
    bool has_targets;
    int max_src, max_tgt;
};

rw_seqdata *rw_seqdata_new(void) { return rwi_calloc(1, sizeof(rw_seqdata), "a sequence dataset"); }

void rw_seqdata_free(rw_seqdata *d)
{
    if (!d)
        return;
    rwi_free(d->ex);
    rwi_free(d->tokens);
    rwi_free(d);
}

/* Checks one sequence of example `at`; `what` is "source" or "target". */
static rw_status check_tokens(int at, const char *what, const int32_t *t, int len)
{
    if (!t || len < 1)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add: example %d: the %s %s", at, what,
                        !t ? "is NULL" : "must have at least one token");
    for (int i = 0; i < len; i++)
        if (t[i] < 0)
            return rw_error(RW_ERR_ARG,
                            "rw_seqdata_add: example %d: %s token %d is %d; tokens must be >= 0 "
                            "(negative values mark padding)", at, what, i, (int)t[i]);
    return RW_OK;
}

static rw_status reserve(rw_seqdata *d, size_t more_tokens)
{
    if (d->count == d->cap) {
        if (d->cap > INT_MAX / 2)
            return rw_error(RW_ERR_ARG, "rw_seqdata_add: too many examples");
        int cap = d->cap ? d->cap * 2 : 64;
        example *grown = rwi_realloc(d->ex, (size_t)cap * sizeof *grown, "the dataset's examples");
        if (!grown)
            return RW_ERR_NOMEM;
        d->ex = grown;
        d->cap = cap;
    }
    if (d->ntokens + more_tokens > d->tokens_cap) {
        size_t cap = d->tokens_cap ? d->tokens_cap : 1024;
        while (cap < d->ntokens + more_tokens)
            cap *= 2;
        int32_t *grown = rwi_realloc(d->tokens, cap * sizeof *grown, "the dataset's tokens");
        if (!grown)
            return RW_ERR_NOMEM;
        d->tokens = grown;
        d->tokens_cap = cap;
    }
    return RW_OK;
}

rw_status rw_seqdata_add(rw_seqdata *d, const int32_t *src, int src_len,
                         const int32_t *tgt, int tgt_len, int32_t label)
{
    if (!d)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add: NULL dataset");
    int at = d->count;
    rw_status s = check_tokens(at, "source", src, src_len);
    if (s != RW_OK)
        return s;
    bool has_tgt = tgt != NULL;
    if (!has_tgt && tgt_len != 0)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add: example %d: target length %d with a NULL target",
                        at, tgt_len);
    if (has_tgt && (s = check_tokens(at, "target", tgt, tgt_len)) != RW_OK)
        return s;
    if (at > 0 && has_tgt != d->has_targets)
        return rw_error(RW_ERR_ARG,
                        "rw_seqdata_add: example %d %s a target sequence but the earlier examples %s; "
                        "either every example has a target or none has", at,
                        has_tgt ? "has" : "has no", d->has_targets ? "have one" : "have none");
    if ((s = reserve(d, (size_t)src_len + (size_t)tgt_len)) != RW_OK)
        return s;
    example *e = &d->ex[d->count++];
    e->src_at = d->ntokens;
    e->src_len = src_len;
    memcpy(d->tokens + d->ntokens, src, (size_t)src_len * sizeof *src);
    d->ntokens += (size_t)src_len;
    e->tgt_at = d->ntokens;
    e->tgt_len = tgt_len;
    if (has_tgt)
        memcpy(d->tokens + d->ntokens, tgt, (size_t)tgt_len * sizeof *tgt);
    d->ntokens += (size_t)tgt_len;
    e->label = label < 0 ? -1 : label;
    d->has_targets = has_tgt;
    if (src_len > d->max_src)
        d->max_src = src_len;
    if (tgt_len > d->max_tgt)
        d->max_tgt = tgt_len;
    return RW_OK;
}

int rw_seqdata_count(const rw_seqdata *d) { return d ? d->count : 0; }

bool rw_seqdata_has_targets(const rw_seqdata *d) { return d && d->has_targets; }

const int32_t *rw_seqdata_source(const rw_seqdata *d, int i, int *len)
{
    if (!d || i < 0 || i >= d->count) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = d->ex[i].src_len;
    return d->tokens + d->ex[i].src_at;
}

const int32_t *rw_seqdata_target(const rw_seqdata *d, int i, int *len)
{
    if (!d || i < 0 || i >= d->count || !d->has_targets) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = d->ex[i].tgt_len;
    return d->tokens + d->ex[i].tgt_at;
}

int32_t rw_seqdata_label(const rw_seqdata *d, int i)
{
    return d && i >= 0 && i < d->count ? d->ex[i].label : -1;
}

int rw_seqdata_max_source_len(const rw_seqdata *d) { return d ? d->max_src : 0; }

int rw_seqdata_max_target_len(const rw_seqdata *d) { return d ? d->max_tgt : 0; }
