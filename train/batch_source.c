/* A training-loop source over a batcher (rw_batcher_source in train.h). */
#include "rewind_internal/batcher_part.h"
#include "rewind/train.h"

static rw_status batcher_start(void *ctx, int epoch) { return rw_batcher_start_epoch(ctx, epoch); }

static rw_status batcher_next(void *ctx, void **batch)
{
    const rw_batch *x = rw_batcher_next(ctx);
    if (!x && rw_batcher_epoch(ctx) < 0)
        return rw_last_status();
    *batch = (void *)x; /* the loss callback reads it as const rw_batch * */
    return RW_OK;
}

static long batcher_tokens(void *ctx, const void *batch)
{
    (void)ctx;
    return ((const rw_batch *)batch)->tokens;
}

static double batcher_weight(void *ctx, const void *batch)
{
    const rw_batch *x = batch;
    if (!rw_seqdata_has_targets(rw_batcher_data(ctx)))
        return x->size;
    long n = 0;
    for (int j = 0; j < x->size; j++)
        n += x->target_lengths.idata[j];
    return (double)n;
}

static int batcher_columns(void *ctx, const void *batch)
{
    (void)ctx;
    return ((const rw_batch *)batch)->size;
}

static rw_status batcher_take_columns(void *ctx, const void *batch, int part, int first, int count, void **out,
                                      double *weight)
{
    rw_batch_part *p = rwi_batcher_part(ctx, part);
    rw_status s = p ? rw_batch_take_columns(p, batch, first, count) : RW_ERR_NOMEM;
    if (s != RW_OK)
        return s;
    *out = &p->batch;
    *weight = batcher_weight(ctx, &p->batch);
    return RW_OK;
}

rw_train_source rw_batcher_source(rw_batcher *b)
{
    return (rw_train_source){ .start_epoch = batcher_start, .next = batcher_next, .tokens = batcher_tokens,
                              .weight = batcher_weight, .columns = batcher_columns,
                              .take_columns = batcher_take_columns, .ctx = b };
}
