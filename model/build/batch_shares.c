/* A model's batches cut into shares of sequences for data-parallel
 * training (train.replicas): every tensor of the batch keeps its layout
 * with the batch dimension cut to the share's columns, and a share of a
 * batch that carries recurrent state gets its sequences' state, put back
 * once every share is done. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/tensor_slice.h"
#include "data_internal.h"

int rwi_msplit_columns(void *ctx, const void *batch)
{
    (void)ctx;
    const rw_tensor *in = ((const rw_model_batch *)batch)->inputs;
    return in->shape.dim[in->shape.ndim - 1];
}

static long count_valid(const rw_tensor *t)
{
    long n = 0;
    for (size_t i = 0; i < t->size; i++)
        n += t->idata[i] >= 0;
    return n;
}

/* What the loss of a share averages over, as rwi_mbatch_weight counts a
 * whole batch: examples, real target steps, or target tokens. */
static double share_weight(const rw_model *m, const rw_model_batch *b, int count)
{
    if (m->target == MT_LABEL || m->target == MT_VALUE)
        return count;
    if (m->target == MT_VALUES || !b->targets)
        return (double)count_valid(b->inputs);
    /* an encoder-decoder's loss also scores the </s> after each target */
    return (double)count_valid(b->targets) + (m->s2s ? count : 0);
}

/* Slices `t` (NULL: none) into the part's view `to`; returns the view or NULL. */
static const rw_tensor *slice(rw_tensor *to, const rw_tensor *t, int dim, int first, int count, char **at)
{
    if (!t)
        return NULL;
    rwi_tensor_slice(to, t, dim, first, count, at);
    return to;
}

static size_t bytes(const rw_tensor *t, int dim, int count) { return t ? rwi_tensor_slice_bytes(t, dim, count) : 0; }

rw_status rwi_msplit_take_columns(void *ctx, const void *batch, int part, int first, int count, void **out,
                                  double *weight)
{
    msplit *s = ctx;
    const rw_model_batch *b = batch;
    /* each share apart: the earlier shares' batches must not move */
    while (part >= s->n_parts) {
        mpart **grown = rwi_realloc(s->parts, (size_t)(s->n_parts + 1) * sizeof *grown, "the shares of a batch");
        if (!grown)
            return RW_ERR_NOMEM;
        s->parts = grown;
        if (!(s->parts[s->n_parts] = rwi_calloc(1, sizeof **grown, "a share of a batch")))
            return RW_ERR_NOMEM;
        s->n_parts++;
    }
    mpart *p = s->parts[part];
    /* features [T, B, F]; values [B, K] or [T, B, K]; the int32 tensors have B last */
    int vdim = b->values && b->values->shape.ndim == 3;
    const rw_tensor *ints[] = { b->inputs, b->targets, b->lengths, b->labels };
    size_t need = bytes(b->features, 1, count) + bytes(b->values, vdim, count);
    for (int i = 0; i < 4; i++)
        need += ints[i] ? bytes(ints[i], ints[i]->shape.ndim - 1, count) : 0;
    if (need > p->cap) {
        char *grown = rwi_realloc(p->buf, need, "a share of a batch");
        if (!grown)
            return RW_ERR_NOMEM;
        p->buf = grown;
        p->cap = need;
    }
    char *at = p->buf; /* the real tensors first, where the buffer is aligned for them */
    p->batch = (rw_model_batch){ 0 };
    p->batch.features = slice(&p->features, b->features, 1, first, count, &at);
    p->batch.values = slice(&p->values, b->values, vdim, first, count, &at);
    p->batch.inputs = slice(&p->inputs, b->inputs, b->inputs->shape.ndim - 1, first, count, &at);
    if (b->targets)
        p->batch.targets = slice(&p->targets, b->targets, b->targets->shape.ndim - 1, first, count, &at);
    p->batch.lengths = slice(&p->lengths, b->lengths, 0, first, count, &at);
    p->batch.labels = slice(&p->labels, b->labels, 0, first, count, &at);
    p->first = first;
    p->count = count;
    if (b->state) {
        if (p->state && p->state->batch != count) {
            rw_model_state_free(p->state);
            p->state = NULL;
        }
        if (!p->state && !(p->state = rw_model_state_new(s->m, count)))
            return rw_last_status();
        rw_status st = rwi_model_state_copy_sequences(p->state, 0, b->state, first, count);
        if (st != RW_OK)
            return st;
        p->batch.state = p->state;
    }
    *out = &p->batch;
    *weight = share_weight(s->m, &p->batch, count);
    return RW_OK;
}

rw_status rwi_msplit_columns_done(void *ctx, const void *batch, int parts)
{
    msplit *s = ctx;
    const rw_model_batch *b = batch;
    rw_status st = RW_OK;
    for (int k = 0; b->state && k < parts && st == RW_OK; k++)
        st = rwi_model_state_copy_sequences(b->state, s->parts[k]->first, s->parts[k]->state, 0, s->parts[k]->count);
    return st;
}

void rwi_msplit_parts_free(msplit *s)
{
    for (int k = 0; k < s->n_parts; k++) {
        rwi_free(s->parts[k]->buf);
        rw_model_state_free(s->parts[k]->state);
        rwi_free(s->parts[k]);
    }
    rwi_free(s->parts);
    s->parts = NULL;
    s->n_parts = 0;
}
