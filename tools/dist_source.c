/* This process' shard of every batch, for `mpirun -np K rewind train`. */
#include <stdlib.h>
#include <string.h>
#include "dist_run.h"

static rw_tensor int_view(int32_t *data, rw_shape shape)
{
    return (rw_tensor){ .dtype = RW_INT32, .shape = shape, .size = rw_shape_size(shape), .idata = data };
}

/* Columns [first, first + n) of a [rows, B] (or [B]) int32 tensor into `to`. */
static rw_tensor take_columns(const rw_tensor *t, int first, int n, int32_t *to)
{
    int B = t->shape.dim[t->shape.ndim - 1];
    size_t rows = t->size / (size_t)B;
    for (size_t r = 0; r < rows; r++)
        memcpy(to + r * (size_t)n, t->idata + r * (size_t)B + (size_t)first, (size_t)n * sizeof *to);
    rw_shape s = t->shape;
    s.dim[s.ndim - 1] = n;
    return int_view(to, s);
}

static size_t count_valid(const rw_tensor *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->size; i++)
        n += t->idata[i] >= 0;
    return n;
}

static rw_status shard_start(void *ctx, int epoch)
{
    dist_source *d = ctx;
    rw_model_state_reset(d->state);
    return d->inner.start_epoch ? d->inner.start_epoch(d->inner.ctx, epoch) : RW_OK;
}

static rw_status make_room(dist_source *d, size_t need)
{
    if (need <= d->cap)
        return RW_OK;
    int32_t *p = realloc(d->buf, need * sizeof *p);
    if (!p)
        return rw_error(RW_ERR_NOMEM, "out of memory for the batch shard");
    d->buf = p;
    d->cap = need;
    return RW_OK;
}

static rw_status shard_next(void *ctx, void **out)
{
    dist_source *d = ctx;
    void *inner_batch = NULL;
    rw_status s = d->inner.next(d->inner.ctx, &inner_batch);
    if (s != RW_OK || !inner_batch) {
        *out = NULL;
        return s;
    }
    const rw_model_batch *b = inner_batch;
    int B = b->inputs->shape.dim[b->inputs->shape.ndim - 1], first, n;
    if (d->validation && B < rw_dist_size()) { /* a last, small validation batch: the first B processes' */
        int r = rw_dist_rank();
        if (r >= B)
            return shard_next(ctx, out);
        first = r;
        n = 1;
    } else if ((s = rw_dist_shard(B, &first, &n)) != RW_OK) {
        return s;
    }
    d->first = first;
    d->count = n;
    d->total = B;
    size_t need = b->inputs->size + (b->targets ? b->targets->size : 0) + 2 * (size_t)B;
    if ((s = make_room(d, need)) != RW_OK)
        return s;
    int32_t *at = d->buf;
    d->batch = (rw_model_batch){ .inputs = &d->inputs };
    d->inputs = take_columns(b->inputs, first, n, at);
    at += d->inputs.size;
    if (b->targets) {
        d->targets = take_columns(b->targets, first, n, at);
        at += d->targets.size;
        d->batch.targets = &d->targets;
        /* an encoder-decoder's loss also scores the </s> after each target */
        d->weight = (double)count_valid(&d->targets) + (rw_model_is_seq2seq(d->m) ? n : 0);
    }
    if (b->lengths) {
        d->lengths = take_columns(b->lengths, first, n, at);
        at += n;
        d->batch.lengths = &d->lengths;
    }
    if (b->labels) {
        d->labels = take_columns(b->labels, first, n, at);
        d->batch.labels = &d->labels;
        if (!b->targets)
            d->weight = (double)count_valid(&d->labels);
    }
    if (b->state) {
        if (!d->state && !(d->state = rw_model_state_new(d->m, n)))
            return rw_last_status();
        d->batch.state = d->state;
    }
    *out = &d->batch;
    return RW_OK;
}

static long shard_tokens(void *ctx, const void *batch)
{
    (void)batch;
    dist_source *d = ctx;
    /* the inner source's tokens of its current batch: the whole batch */
    return d->inner.tokens ? d->inner.tokens(d->inner.ctx, NULL) : 0;
}

static double shard_weight(void *ctx, const void *batch)
{
    (void)batch;
    return ((dist_source *)ctx)->weight;
}

static void shard_columns(void *ctx, const void *batch, int *first, int *count, int *total)
{
    (void)batch;
    const dist_source *d = ctx;
    *first = d->first;
    *count = d->count;
    *total = d->total;
}

rw_train_source dist_source_wrap(dist_source *d, rw_model *m, rw_train_source inner, bool validation)
{
    *d = (dist_source){ .inner = inner, .m = m, .validation = validation };
    return (rw_train_source){ .start_epoch = shard_start, .next = shard_next, .tokens = shard_tokens,
                              .weight = shard_weight, .shard = shard_columns, .ctx = d };
}

void dist_source_free(dist_source *d)
{
    free(d->buf);
    rw_model_state_free(d->state);
    memset(d, 0, sizeof *d);
}

rw_status dist_join(int *argc, char ***argv)
{
    return rw_dist_launched() ? rw_dist_init(argc, argv) : RW_OK;
}

int dist_leave(int status)
{
    if (rw_dist_size() > 1 && status != 0)
        rw_dist_abort(status);
    if (rw_dist_finalize() != RW_OK && status == 0)
        return 1;
    return status;
}
