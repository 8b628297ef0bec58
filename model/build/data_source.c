/* Batches of a model's data for rw_train: windows over B parallel streams of
 * text (kind chars, truncated BPTT with the state carried from window to
 * window), or padded batches of examples from an rw_batcher (tsv kinds). */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "data_internal.h"

void rwi_msplit_free(msplit *s)
{
    rw_tensor_free(s->in_buf);
    rw_tensor_free(s->tgt_buf);
    rw_model_state_free(s->state);
    rw_batcher_free(s->batcher);
    rwi_msplit_parts_free(s);
    memset(s, 0, sizeof *s);
}

static rw_status setup_chars(rw_model *m, msplit *s)
{
    const rw_model_train_config *t = &m->train;
    rw_windows_opts o = { .streams = t->batch_size, .window = t->bptt, .fit_streams = true };
    if (rw_windows_init(&s->windows, m->d->tok[s->which], m->d->n_tok[s->which], &o) != RW_OK)
        return rw_error(RW_ERR_FORMAT, "model '%s': the %s text is too short to make a batch", m->name,
                        s->which ? "validation" : "training");
    s->B = s->windows.streams;
    s->T = t->bptt;
    s->in_buf = rw_tensor_new(RW_INT32, rw_shape2(s->T, s->B));
    s->tgt_buf = rw_tensor_new(RW_INT32, rw_shape2(s->T, s->B));
    if (!s->in_buf || !s->tgt_buf)
        return rw_last_status();
    if (t->carry_state && !(s->state = rw_model_state_new(m, s->B)))
        return rw_last_status();
    return RW_OK;
}

static rw_status setup_tsv(rw_model *m, msplit *s)
{
    const rw_model_train_config *t = &m->train;
    rw_batcher_opts o = { .batch_size = t->batch_size, .order = t->order, .drop_last = t->drop_last && !s->which,
                          .shuffle_batches = t->shuffle_batches && !s->which, .seed = t->seed + 17 * (uint64_t)s->which };
    s->batcher = rw_batcher_new(m->d->set[s->which], &o);
    return s->batcher ? RW_OK : rw_last_status();
}

static rw_status split_start(void *ctx, int epoch)
{
    msplit *s = ctx;
    if (s->batcher)
        return rw_batcher_start_epoch(s->batcher, epoch);
    rw_model_state_reset(s->state);
    size_t offset = 0;
    if (s->which == 0 && s->windows.len > (size_t)s->T) { /* each epoch cuts its windows at another place */
        rw_rng r = rw_rng_seed(s->m->train.seed * 1000003ULL + (uint64_t)epoch);
        offset = epoch ? rw_rng_below(&r, (uint32_t)s->T) : 0;
    }
    rw_windows_start(&s->windows, offset);
    return RW_OK;
}

static rw_status chars_next(msplit *s, void **batch)
{
    int T = rw_windows_next(&s->windows, s->in_buf->idata, s->tgt_buf->idata);
    if (T == 0) {
        *batch = NULL;
        return RW_OK;
    }
    /* views of the first T rows */
    s->in_view = *s->in_buf;
    s->in_view.owns = false;
    s->in_view.shape = rw_shape2(T, s->B);
    s->in_view.size = (size_t)T * (size_t)s->B;
    s->tgt_view = s->in_view;
    s->tgt_view.idata = s->tgt_buf->idata;
    s->batch = (rw_model_batch){ .inputs = &s->in_view, .targets = &s->tgt_view, .state = s->state };
    s->tokens = (long)s->in_view.size;
    s->weight = (double)s->in_view.size;
    *batch = &s->batch;
    return RW_OK;
}

static rw_status split_next(void *ctx, void **batch)
{
    msplit *s = ctx;
    if (!s->batcher)
        return chars_next(s, batch);
    const rw_batch *x = rw_batcher_next(s->batcher);
    if (!x) {
        *batch = NULL;
        return rw_batcher_epoch(s->batcher) < 0 ? rw_last_status() : RW_OK;
    }
    s->batch = rw_model_batch_of(x);
    s->tokens = x->tokens;
    s->weight = rwi_mbatch_weight(s->m, x);
    *batch = &s->batch;
    return RW_OK;
}

static long split_tokens(void *ctx, const void *batch)
{
    (void)batch;
    return ((msplit *)ctx)->tokens;
}

static double split_weight(void *ctx, const void *batch)
{
    (void)batch;
    return ((msplit *)ctx)->weight;
}

rw_train_source rw_model_source(rw_model *m, rw_model_split split, bool *available)
{
    rw_train_source none = { 0 };
    if (available)
        *available = false;
    if (!m || !m->d || (split != RW_SPLIT_TRAIN && split != RW_SPLIT_VALID)) {
        rw_error(RW_ERR_ARG, "rw_model_source: the model has no loaded data (loaded with skip_data, or no 'data:')");
        return none;
    }
    mdata *d = m->d;
    int w = split == RW_SPLIT_VALID;
    bool has = m->data.kind == RW_DATA_CHARS ? d->n_tok[w] >= 2 : d->set[w] && rw_seqdata_count(d->set[w]) > 0;
    if (!has) {
        rw_error(RW_ERR_ARG, "model '%s' has no %s data", m->name, w ? "validation" : "training");
        return none;
    }
    msplit *s = &d->split[w];
    if (!s->ready) {
        s->m = m;
        s->which = w;
        rw_status st = m->data.kind == RW_DATA_CHARS ? setup_chars(m, s) : setup_tsv(m, s);
        if (st != RW_OK) {
            rwi_msplit_free(s);
            return none;
        }
        s->ready = true;
    }
    if (available)
        *available = true;
    return (rw_train_source){ .start_epoch = split_start, .next = split_next, .tokens = split_tokens,
                              .weight = split_weight, .columns = rwi_msplit_columns,
                              .take_columns = rwi_msplit_take_columns, .columns_done = rwi_msplit_columns_done,
                              .ctx = s };
}

/* Batches per epoch of the training split (0 when unknown). */
long rwi_mbatches_per_epoch(rw_model *m)
{
    bool ok;
    rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, &ok);
    if (!ok)
        return 0;
    msplit *s = src.ctx;
    if (s->batcher)
        return rw_batcher_batch_count(s->batcher);
    return rw_windows_count(&s->windows);
}
