/* A dataset of variable-length int32 token sequences: every token of every
 * example lives in one growing array, and each example records where its
 * source and target start. */
#include <limits.h>
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/batch.h"

typedef struct example {
    size_t src_at, tgt_at;   /* offsets into tokens */
    size_t feat_at, val_at;  /* offsets into reals (real-valued datasets only) */
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
    /* real-valued data (rw_seqdata_set_reals): features and real targets */
    int feature_width, value_width;
    bool values_per_step, reals_set;
    rw_real *reals;
    size_t nreals, reals_cap;
};

rw_seqdata *rw_seqdata_new(void) { return rwi_calloc(1, sizeof(rw_seqdata), "a sequence dataset"); }

void rw_seqdata_free(rw_seqdata *d)
{
    if (!d)
        return;
    rwi_free(d->ex);
    rwi_free(d->tokens);
    rwi_free(d->reals);
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

static rw_status add_tokens(rw_seqdata *d, const int32_t *src, int src_len, const int32_t *tgt, int tgt_len,
                            int32_t label)
{
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

rw_status rw_seqdata_add(rw_seqdata *d, const int32_t *src, int src_len,
                         const int32_t *tgt, int tgt_len, int32_t label)
{
    if (!d)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add: NULL dataset");
    if (d->feature_width || d->value_width)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add: example %d: the dataset holds real values; add examples with "
                        "rw_seqdata_add_example", d->count);
    return add_tokens(d, src, src_len, tgt, tgt_len, label);
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

/* ---- real-valued data ---------------------------------------------------------- */

rw_status rw_seqdata_set_reals(rw_seqdata *d, int feature_width, int value_width, bool values_per_step)
{
    if (!d || feature_width < 0 || value_width < 0 || feature_width > (1 << 20) || value_width > (1 << 20))
        return rw_error(RW_ERR_ARG, "rw_seqdata_set_reals: needs a dataset and widths 0 .. 2^20 (got %d, %d)",
                        feature_width, value_width);
    if (d->count)
        return rw_error(RW_ERR_STATE, "rw_seqdata_set_reals: the dataset already has %d examples", d->count);
    d->feature_width = feature_width;
    d->value_width = value_width;
    d->values_per_step = values_per_step && value_width > 0;
    d->reals_set = true;
    return RW_OK;
}

static rw_status reserve_reals(rw_seqdata *d, size_t more)
{
    if (d->nreals + more <= d->reals_cap)
        return RW_OK;
    size_t cap = d->reals_cap ? d->reals_cap : 1024;
    while (cap < d->nreals + more)
        cap *= 2;
    rw_real *grown = rwi_realloc(d->reals, cap * sizeof *grown, "the dataset's real values");
    if (!grown)
        return RW_ERR_NOMEM;
    d->reals = grown;
    d->reals_cap = cap;
    return RW_OK;
}

static rw_status check_reals(int at, const char *what, const rw_real *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite((double)v[i]))
            return rw_error(RW_ERR_ARG, "rw_seqdata_add_example: example %d: %s value %zu is not finite", at, what, i);
    return RW_OK;
}

rw_status rw_seqdata_add_example(rw_seqdata *d, const rw_example *e)
{
    if (!d || !e)
        return rw_error(RW_ERR_ARG, "rw_seqdata_add_example: NULL %s", d ? "example" : "dataset");
    int at = d->count, F = d->feature_width, K = d->value_width;
    if ((e->features || e->values) && !d->reals_set)
        return rw_error(RW_ERR_STATE, "rw_seqdata_add_example: example %d has real values; call "
                        "rw_seqdata_set_reals first", at);
    if (!e->features == (F > 0) || !e->values == (K > 0) || (e->features && e->source))
        return rw_error(RW_ERR_ARG, "rw_seqdata_add_example: example %d: the dataset has %s features and %s real "
                        "targets; give %s, %s", at, F ? "real" : "token", K ? "" : "no",
                        F ? "features (and no source tokens)" : "source tokens", K ? "values" : "no values");
    if (e->len < 1 || e->len > (1 << 24))
        return rw_error(RW_ERR_ARG, "rw_seqdata_add_example: example %d: length %d; it must be >= 1", at, e->len);
    size_t nf = (size_t)e->len * (size_t)F, nv = (size_t)K * (d->values_per_step ? (size_t)e->len : 1);
    rw_status s = check_reals(at, "feature", e->features, e->features ? nf : 0);
    if (s == RW_OK)
        s = check_reals(at, "target", e->values, e->values ? nv : 0);
    if (s != RW_OK)
        return s;
    int32_t *marks = NULL;
    const int32_t *src = e->source;
    if (F) { /* real features: the source tokens only mark the steps */
        if (!(marks = rwi_calloc((size_t)e->len, sizeof *marks, "step marks")))
            return RW_ERR_NOMEM;
        src = marks;
    }
    if ((s = reserve_reals(d, nf + nv)) == RW_OK)
        s = add_tokens(d, src, e->len, e->target, e->target_len, e->label);
    rwi_free(marks);
    if (s != RW_OK)
        return s;
    example *x = &d->ex[at];
    x->feat_at = d->nreals;
    if (nf)
        memcpy(d->reals + d->nreals, e->features, nf * sizeof(rw_real));
    d->nreals += nf;
    x->val_at = d->nreals;
    if (nv)
        memcpy(d->reals + d->nreals, e->values, nv * sizeof(rw_real));
    d->nreals += nv;
    return RW_OK;
}

int rw_seqdata_feature_width(const rw_seqdata *d) { return d ? d->feature_width : 0; }

int rw_seqdata_value_width(const rw_seqdata *d) { return d ? d->value_width : 0; }

bool rw_seqdata_values_per_step(const rw_seqdata *d) { return d && d->values_per_step; }

const rw_real *rw_seqdata_features(const rw_seqdata *d, int i)
{
    return d && i >= 0 && i < d->count && d->feature_width ? d->reals + d->ex[i].feat_at : NULL;
}

const rw_real *rw_seqdata_values(const rw_seqdata *d, int i)
{
    return d && i >= 0 && i < d->count && d->value_width ? d->reals + d->ex[i].val_at : NULL;
}
