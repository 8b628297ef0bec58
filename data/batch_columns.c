/* A share of a batch's examples as a batch of its own (rw_batch_take_columns
 * in rewind/batch.h), for data-parallel training: every tensor keeps its
 * layout, with the batch dimension cut to the share's columns. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/batch.h"
#include "rewind_internal/tensor_slice.h"

static long real_tokens(const rw_tensor *t)
{
    long n = 0;
    for (size_t i = 0; i < t->size; i++)
        n += t->idata[i] != RW_PAD;
    return n;
}

rw_status rw_batch_take_columns(rw_batch_part *part, const rw_batch *x, int first, int count)
{
    if (!part || !x)
        return rw_error(RW_ERR_ARG, "rw_batch_take_columns: NULL %s", !part ? "part" : "batch");
    int B = x->size;
    if (first < 0 || count < 1 || first + count > B)
        return rw_error(RW_ERR_ARG, "rw_batch_take_columns: examples [%d, %d) of a batch of %d", first,
                        first + count, B);
    const rw_tensor *ints[] = { &x->sources, &x->lengths, &x->targets, &x->target_lengths, &x->labels };
    int per_step = x->values.shape.ndim == 3; /* values [T, B, K], else [B, K] */
    size_t need = rwi_tensor_slice_bytes(&x->features, 1, count) +
                  rwi_tensor_slice_bytes(&x->values, per_step, count);
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        need += rwi_tensor_slice_bytes(ints[i], ints[i]->shape.ndim - 1, count);
    if (need > part->cap) {
        void *grown = rwi_realloc(part->buf, need, "a share of a batch");
        if (!grown)
            return RW_ERR_NOMEM;
        part->buf = grown;
        part->cap = need;
    }
    /* the real tensors first: the buffer is aligned for them */
    char *at = part->buf;
    rw_batch *p = &part->batch;
    *p = *x;
    p->size = count;
    rwi_tensor_slice(&p->features, &x->features, 1, first, count, &at); /* [T, B, F] */
    rwi_tensor_slice(&p->values, &x->values, per_step, first, count, &at);
    rwi_tensor_slice(&p->sources, &x->sources, 1, first, count, &at);   /* [T, B] */
    rwi_tensor_slice(&p->lengths, &x->lengths, 0, first, count, &at);   /* [B] */
    rwi_tensor_slice(&p->targets, &x->targets, 1, first, count, &at);
    rwi_tensor_slice(&p->target_lengths, &x->target_lengths, 0, first, count, &at);
    rwi_tensor_slice(&p->labels, &x->labels, 0, first, count, &at);
    p->indices = x->indices ? x->indices + first : NULL;
    p->tokens = real_tokens(&p->sources) + real_tokens(&p->targets);
    return RW_OK;
}

void rw_batch_part_free(rw_batch_part *part)
{
    if (!part)
        return;
    rwi_free(part->buf);
    memset(part, 0, sizeof *part);
}
