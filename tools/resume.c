/* Resuming mid-epoch. A checkpoint stores the step, not the position in the
 * data; the model's sources are deterministic (each epoch's order depends
 * only on the seed and the epoch), so replaying their batches, without any
 * model work, finds the epoch and the batch the run stopped at. */
#include "train_support.h"

/* The most epochs replayed to find where a checkpoint's step falls. A run
 * that trained that long trained far longer than the replay takes; a step
 * beyond it (a damaged or foreign checkpoint, e.g. step 10^12 with a valid
 * checksum) is refused instead of replaying epochs without end. */
#define RESUME_MAX_EPOCHS 1000000L

long count_epoch_batches(const rw_train_source *src, int epoch)
{
    if (src->start_epoch && src->start_epoch(src->ctx, epoch) != RW_OK)
        return -1;
    long n = 0;
    for (;;) {
        void *batch = NULL;
        if (src->next(src->ctx, &batch) != RW_OK)
            return -1;
        if (!batch)
            return n;
        n++;
    }
}

rw_status resume_position(const rw_train_source *src, long step, int *epoch, long *skip)
{
    long before = 0; /* batches in the epochs before `e` */
    for (int e = 0;; e++) {
        long n = count_epoch_batches(src, e);
        if (n < 0)
            return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_STATE;
        if (n == 0)
            return rw_error(RW_ERR_ARG, "the training data gave no batch in epoch %d", e);
        if (e == 0 && step / n >= 2 * RESUME_MAX_EPOCHS) /* fail fast; the loop below is the exact bound */
            e = (int)RESUME_MAX_EPOCHS;
        if (e >= RESUME_MAX_EPOCHS)
            return rw_error(RW_ERR_FORMAT, "the checkpoint is at step %ld, which the training data (%ld batches an "
                            "epoch) reaches only after more than %ld epochs: refused (is it from another run?)", step,
                            n, RESUME_MAX_EPOCHS);
        if (step - before < n) {
            *epoch = e;
            *skip = step - before;
            return RW_OK;
        }
        before += n;
    }
}

static rw_status wrapped_start(void *ctx, int epoch)
{
    resume_source *r = ctx;
    rw_status s = r->inner.start_epoch ? r->inner.start_epoch(r->inner.ctx, epoch) : RW_OK;
    if (s != RW_OK || r->done || epoch != r->epoch)
        return s;
    r->done = true;
    for (long i = 0; i < r->skip; i++) {
        void *batch = NULL;
        if ((s = r->inner.next(r->inner.ctx, &batch)) != RW_OK)
            return s;
        if (!batch)
            break;
    }
    if (r->skip > 0 && r->state && r->state_text)
        return rw_model_state_load(r->state, r->state_text);
    return RW_OK;
}

static rw_status wrapped_next(void *ctx, void **batch)
{
    resume_source *r = ctx;
    return r->inner.next(r->inner.ctx, batch);
}

static long wrapped_tokens(void *ctx, const void *batch)
{
    resume_source *r = ctx;
    return r->inner.tokens ? r->inner.tokens(r->inner.ctx, batch) : 0;
}

static double wrapped_weight(void *ctx, const void *batch)
{
    resume_source *r = ctx;
    return r->inner.weight ? r->inner.weight(r->inner.ctx, batch) : 1.0;
}

/* The shares of a batch (train.replicas) are the inner source's. */
static int wrapped_columns(void *ctx, const void *batch)
{
    resume_source *r = ctx;
    return r->inner.columns(r->inner.ctx, batch);
}

static rw_status wrapped_take_columns(void *ctx, const void *batch, int part, int first, int count, void **out,
                                      double *weight)
{
    resume_source *r = ctx;
    return r->inner.take_columns(r->inner.ctx, batch, part, first, count, out, weight);
}

static rw_status wrapped_columns_done(void *ctx, const void *batch, int parts)
{
    resume_source *r = ctx;
    return r->inner.columns_done ? r->inner.columns_done(r->inner.ctx, batch, parts) : RW_OK;
}

rw_train_source resume_wrap(resume_source *r, rw_train_source inner, int epoch, long skip)
{
    *r = (resume_source){ .inner = inner, .epoch = epoch, .skip = skip };
    bool shares = inner.columns && inner.take_columns;
    return (rw_train_source){ .start_epoch = wrapped_start, .next = wrapped_next, .tokens = wrapped_tokens,
                              .weight = wrapped_weight, .columns = shares ? wrapped_columns : NULL,
                              .take_columns = shares ? wrapped_take_columns : NULL,
                              .columns_done = shares ? wrapped_columns_done : NULL, .ctx = r };
}
