/* A share of a batch's examples as a batch of its own (rw_batch_take_columns
 * in rewind/batch.h), for data-parallel training: every tensor keeps its
 * layout, with the batch dimension cut to the share's columns. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/batch.h"

/* The bytes of t's share: its size / B * count elements. */
static size_t share_bytes(const rw_tensor *t, int B, int count)
{
    if (t->size == 0)
        return 0;
    size_t elem = t->dtype == RW_INT32 ? sizeof(int32_t) : sizeof(rw_real);
    return t->size / (size_t)B * (size_t)count * elem;
}

/* Copies columns [first, first + count) of dimension `bdim` of t into *at,
 * making `to` a view of them; *at advances. An empty t stays empty. */
static void take(rw_tensor *to, const rw_tensor *t, int bdim, int first, int count, char **at)
{
    *to = *t;
    to->owns = false;
    if (t->size == 0)
        return;
    size_t elem = t->dtype == RW_INT32 ? sizeof(int32_t) : sizeof(rw_real);
    size_t outer = 1, inner = elem;
    for (int d = 0; d < bdim; d++)
        outer *= (size_t)t->shape.dim[d];
    for (int d = bdim + 1; d < t->shape.ndim; d++)
        inner *= (size_t)t->shape.dim[d];
    size_t B = (size_t)t->shape.dim[bdim];
    const char *from = t->dtype == RW_INT32 ? (const char *)t->idata : (const char *)t->data;
    for (size_t o = 0; o < outer; o++)
        memcpy(*at + o * (size_t)count * inner, from + (o * B + (size_t)first) * inner, (size_t)count * inner);
    to->shape.dim[bdim] = count;
    to->size = t->size / B * (size_t)count;
    if (t->dtype == RW_INT32)
        to->idata = (int32_t *)*at;
    else
        to->data = (rw_real *)*at;
    *at += outer * (size_t)count * inner;
}

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
    size_t need = share_bytes(&x->features, B, count) + share_bytes(&x->values, B, count);
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        need += share_bytes(ints[i], B, count);
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
    take(&p->features, &x->features, 1, first, count, &at);                  /* [T, B, F] */
    take(&p->values, &x->values, x->values.shape.ndim == 3, first, count, &at); /* [B, K] or [T, B, K] */
    take(&p->sources, &x->sources, 1, first, count, &at);
    take(&p->lengths, &x->lengths, 0, first, count, &at);
    take(&p->targets, &x->targets, 1, first, count, &at);
    take(&p->target_lengths, &x->target_lengths, 0, first, count, &at);
    take(&p->labels, &x->labels, 0, first, count, &at);
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
