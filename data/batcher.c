/* Mini-batches of variable-length sequences: per epoch, order the examples
 * (shuffle, or shuffle then sort by length), cut the order into runs of B,
 * optionally visit the runs in random order, and pad each run into
 * time-major int32 tensors held in buffers sized once for the longest
 * sequence of the dataset. */
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/batch.h"
#include "rewind_internal/batcher_part.h"
#include "rewind/rng.h"

/* One example's sort key; `rank` (its place in the shuffled order) breaks
 * ties, so the sort is a total order and its result does not depend on the
 * qsort implementation. */
typedef struct sort_key {
    int k1, k2, rank, idx;
} sort_key;

struct rw_batcher {
    const rw_seqdata *data;
    rw_batcher_opts o;
    int n;                  /* examples when the batcher was made */
    int nbatches;
    int epoch;              /* -1 before the first start */
    int pos;                /* batches handed out in this epoch */
    int *order;             /* [n] example indices in this epoch's order */
    int *batch_perm;        /* [nbatches] the order the batches are visited */
    sort_key *keys;         /* [n] */
    int32_t *src_buf, *tgt_buf;               /* [max_len * B] */
    int32_t *len_buf, *tlen_buf, *label_buf;  /* [B] */
    int *index_buf;                           /* [B] */
    rw_real *feat_buf, *val_buf;              /* real data: [max_len * B * F], [(max_len *) B * K] */
    rw_batch batch;
    rw_batch_part **parts;  /* rwi_batcher_part: data-parallel shares of the batch */
    int n_parts;
};

static const char *order_name(rw_batch_order o)
{
    switch (o) {
    case RW_ORDER_SHUFFLE: return "shuffle";
    case RW_ORDER_SOURCE_LENGTH: return "source length";
    case RW_ORDER_TARGET_LENGTH: return "target length";
    case RW_ORDER_SOURCE_TARGET_LENGTH: return "source then target length";
    case RW_ORDER_TARGET_SOURCE_LENGTH: return "target then source length";
    }
    return "unknown";
}

static rw_status check_opts(const rw_seqdata *d, const rw_batcher_opts *o)
{
    if (!d || !o)
        return rw_error(RW_ERR_ARG, "rw_batcher_new: NULL %s", !d ? "dataset" : "options");
    int n = rw_seqdata_count(d);
    if (n == 0)
        return rw_error(RW_ERR_ARG, "rw_batcher_new: the dataset is empty");
    if (o->batch_size < 1)
        return rw_error(RW_ERR_ARG, "rw_batcher_new: batch size %d; it must be >= 1", o->batch_size);
    if ((int)o->order < (int)RW_ORDER_SHUFFLE || (int)o->order > (int)RW_ORDER_TARGET_SOURCE_LENGTH)
        return rw_error(RW_ERR_ARG, "rw_batcher_new: unknown batch order %d", (int)o->order);
    if (o->order != RW_ORDER_SHUFFLE && o->order != RW_ORDER_SOURCE_LENGTH && !rw_seqdata_has_targets(d))
        return rw_error(RW_ERR_ARG, "rw_batcher_new: order by %s, but the dataset has no target sequences",
                        order_name(o->order));
    if (o->drop_last && n < o->batch_size)
        return rw_error(RW_ERR_ARG,
                        "rw_batcher_new: %d examples make no full batch of %d, and drop_last drops the partial one",
                        n, o->batch_size);
    size_t longest = (size_t)rw_seqdata_max_source_len(d);
    if ((size_t)rw_seqdata_max_target_len(d) > longest)
        longest = (size_t)rw_seqdata_max_target_len(d);
    if (longest * (size_t)o->batch_size > ((size_t)1 << 40))
        return rw_error(RW_ERR_ARG, "rw_batcher_new: batches of %d sequences of up to %zu tokens are too large",
                        o->batch_size, longest);
    return RW_OK;
}

rw_batcher *rw_batcher_new(const rw_seqdata *d, const rw_batcher_opts *o)
{
    if (check_opts(d, o) != RW_OK)
        return NULL;
    rw_batcher *b = rwi_calloc(1, sizeof *b, "a batcher");
    if (!b)
        return NULL;
    b->data = d;
    b->o = *o;
    b->n = rw_seqdata_count(d);
    b->epoch = -1;
    int B = o->batch_size;
    b->nbatches = b->n / B + (b->n % B && !o->drop_last ? 1 : 0);
    size_t n = (size_t)b->n, ub = (size_t)B;
    size_t src_cap = (size_t)rw_seqdata_max_source_len(d) * ub;
    size_t tgt_cap = (size_t)rw_seqdata_max_target_len(d) * ub;
    b->order = rwi_malloc(n * sizeof *b->order, "a batcher's example order");
    b->batch_perm = rwi_malloc((size_t)b->nbatches * sizeof *b->batch_perm, "a batcher's batch order");
    b->keys = rwi_malloc(n * sizeof *b->keys, "a batcher's sort keys");
    b->src_buf = rwi_malloc(src_cap * sizeof(int32_t), "a batcher's source buffer");
    b->tgt_buf = tgt_cap ? rwi_malloc(tgt_cap * sizeof(int32_t), "a batcher's target buffer") : NULL;
    b->len_buf = rwi_malloc(ub * sizeof(int32_t), "a batcher's lengths");
    b->tlen_buf = rwi_malloc(ub * sizeof(int32_t), "a batcher's target lengths");
    b->label_buf = rwi_malloc(ub * sizeof(int32_t), "a batcher's labels");
    b->index_buf = rwi_malloc(ub * sizeof(int), "a batcher's indices");
    size_t F = (size_t)rw_seqdata_feature_width(d), K = (size_t)rw_seqdata_value_width(d);
    size_t val_cap = K * ub * (rw_seqdata_values_per_step(d) ? (size_t)rw_seqdata_max_source_len(d) : 1);
    b->feat_buf = F ? rwi_malloc(src_cap * F * sizeof(rw_real), "a batcher's feature buffer") : NULL;
    b->val_buf = K ? rwi_malloc(val_cap * sizeof(rw_real), "a batcher's real targets") : NULL;
    if (!b->order || !b->batch_perm || !b->keys || !b->src_buf || (tgt_cap && !b->tgt_buf) || !b->len_buf ||
        !b->tlen_buf || !b->label_buf || !b->index_buf || (F && !b->feat_buf) || (K && !b->val_buf)) {
        rw_batcher_free(b);
        return NULL;
    }
    return b;
}

rw_batch_part *rwi_batcher_part(rw_batcher *b, int k)
{
    while (k >= b->n_parts) { /* each share apart: the earlier shares' batches must not move */
        rw_batch_part **grown = rwi_realloc(b->parts, (size_t)(b->n_parts + 1) * sizeof *grown,
                                            "the shares of a batch");
        if (!grown)
            return NULL;
        b->parts = grown;
        if (!(b->parts[b->n_parts] = rwi_calloc(1, sizeof **grown, "a share of a batch")))
            return NULL;
        b->n_parts++;
    }
    return b->parts[k];
}

void rw_batcher_free(rw_batcher *b)
{
    if (!b)
        return;
    for (int k = 0; k < b->n_parts; k++) {
        rw_batch_part_free(b->parts[k]);
        rwi_free(b->parts[k]);
    }
    rwi_free(b->parts);
    rwi_free(b->order);
    rwi_free(b->batch_perm);
    rwi_free(b->keys);
    rwi_free(b->src_buf);
    rwi_free(b->tgt_buf);
    rwi_free(b->len_buf);
    rwi_free(b->tlen_buf);
    rwi_free(b->label_buf);
    rwi_free(b->index_buf);
    rwi_free(b->feat_buf);
    rwi_free(b->val_buf);
    rwi_free(b);
}

static void shuffle_ints(rw_rng *rng, int *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rw_rng_below(rng, (uint32_t)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

static int compare_keys(const void *pa, const void *pb)
{
    const sort_key *a = pa, *b = pb;
    if (a->k1 != b->k1)
        return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2 ? -1 : 1;
    return (a->rank > b->rank) - (a->rank < b->rank);
}

/* Sorts b->order (already shuffled) by the lengths the order asks for. */
static void sort_by_length(rw_batcher *b)
{
    for (int r = 0; r < b->n; r++) {
        int i = b->order[r], ls = 0, lt = 0;
        rw_seqdata_source(b->data, i, &ls);
        rw_seqdata_target(b->data, i, &lt);
        sort_key *k = &b->keys[r];
        k->rank = r;
        k->idx = i;
        switch (b->o.order) {
        case RW_ORDER_SOURCE_LENGTH: k->k1 = ls; k->k2 = 0; break;
        case RW_ORDER_TARGET_LENGTH: k->k1 = lt; k->k2 = 0; break;
        case RW_ORDER_SOURCE_TARGET_LENGTH: k->k1 = ls; k->k2 = lt; break;
        case RW_ORDER_TARGET_SOURCE_LENGTH: k->k1 = lt; k->k2 = ls; break;
        case RW_ORDER_SHUFFLE: k->k1 = k->k2 = 0; break;
        }
    }
    qsort(b->keys, (size_t)b->n, sizeof *b->keys, compare_keys);
    for (int r = 0; r < b->n; r++)
        b->order[r] = b->keys[r].idx;
}

rw_status rw_batcher_start_epoch(rw_batcher *b, int epoch)
{
    if (!b)
        return rw_error(RW_ERR_ARG, "rw_batcher_start_epoch: NULL batcher");
    if (epoch < 0)
        return rw_error(RW_ERR_ARG, "rw_batcher_start_epoch: epoch %d; epochs count from 0", epoch);
    if (rw_seqdata_count(b->data) != b->n)
        return rw_error(RW_ERR_STATE,
                        "rw_batcher_start_epoch: the dataset had %d examples when the batcher was made and has %d "
                        "now; make a new batcher after changing a dataset", b->n, rw_seqdata_count(b->data));
    /* Epoch e draws from its own stretch of the seed's counter-based stream
     * (2^32 draws apart), so its order depends only on (seed, e). */
    rw_rng rng = rw_rng_seed(b->o.seed);
    rng.counter = (uint64_t)(unsigned)epoch << 32;
    for (int i = 0; i < b->n; i++)
        b->order[i] = i;
    shuffle_ints(&rng, b->order, b->n);
    if (b->o.order != RW_ORDER_SHUFFLE)
        sort_by_length(b);
    for (int k = 0; k < b->nbatches; k++)
        b->batch_perm[k] = k;
    if (b->o.shuffle_batches)
        shuffle_ints(&rng, b->batch_perm, b->nbatches);
    b->epoch = epoch;
    b->pos = 0;
    return RW_OK;
}

/* An int32 tensor viewing `buf` with the given shape. */
static rw_tensor view(int32_t *buf, rw_shape s)
{
    return (rw_tensor){ .dtype = RW_INT32, .shape = s, .size = rw_shape_size(s), .idata = buf, .owns = false };
}

/* Pads sequences `first .. first+size` of the order into `buf` [T, size]. */
static int pad(const rw_batcher *b, int first, int size, bool target, int32_t *buf, int32_t *lens)
{
    int T = 0;
    for (int j = 0; j < size; j++) {
        int len = 0;
        if (target)
            rw_seqdata_target(b->data, b->order[first + j], &len);
        else
            rw_seqdata_source(b->data, b->order[first + j], &len);
        lens[j] = len;
        if (len > T)
            T = len;
    }
    for (int j = 0; j < size; j++) {
        int len = 0, i = b->order[first + j];
        const int32_t *s = target ? rw_seqdata_target(b->data, i, &len) : rw_seqdata_source(b->data, i, &len);
        for (int t = 0; t < T; t++)
            buf[(size_t)t * (size_t)size + (size_t)j] = t < len ? s[t] : RW_PAD;
    }
    return T;
}

/* Pads `per_step` rows of `width` reals of each example (or one row when
 * !per_step) into buf [T, size, width] (or [size, width]), zeros past each end. */
static void pad_real_rows(const rw_batcher *b, const rw_batch *x, bool features, int width, bool per_step,
                          rw_real *buf)
{
    int T = per_step ? x->source_len : 1, size = x->size;
    size_t w = (size_t)width;
    memset(buf, 0, (size_t)T * (size_t)size * w * sizeof *buf);
    for (int j = 0; j < size; j++) {
        int i = x->indices[j], len = per_step ? x->lengths.idata[j] : 1;
        const rw_real *v = features ? rw_seqdata_features(b->data, i) : rw_seqdata_values(b->data, i);
        for (int t = 0; t < len; t++)
            memcpy(buf + ((size_t)t * (size_t)size + (size_t)j) * w, v + (size_t)t * w, w * sizeof *buf);
    }
}

/* The real features and targets of a batch (nothing for token data). */
static void pad_reals(const rw_batcher *b, rw_batch *x)
{
    int F = rw_seqdata_feature_width(b->data), K = rw_seqdata_value_width(b->data);
    bool per_step = rw_seqdata_values_per_step(b->data);
    x->features = (rw_tensor){ .dtype = RW_REAL };
    x->values = (rw_tensor){ .dtype = RW_REAL };
    if (F) {
        pad_real_rows(b, x, true, F, true, b->feat_buf);
        rw_shape s = rw_shape3(x->source_len, x->size, F);
        x->features = (rw_tensor){ .dtype = RW_REAL, .shape = s, .size = rw_shape_size(s), .data = b->feat_buf };
    }
    if (K) {
        pad_real_rows(b, x, false, K, per_step, b->val_buf);
        rw_shape s = per_step ? rw_shape3(x->source_len, x->size, K) : rw_shape2(x->size, K);
        x->values = (rw_tensor){ .dtype = RW_REAL, .shape = s, .size = rw_shape_size(s), .data = b->val_buf };
    }
}

const rw_batch *rw_batcher_next(rw_batcher *b)
{
    if (!b) {
        rw_error(RW_ERR_ARG, "rw_batcher_next: NULL batcher");
        return NULL;
    }
    if (b->epoch < 0) {
        rw_error(RW_ERR_STATE, "rw_batcher_next: call rw_batcher_start_epoch first");
        return NULL;
    }
    if (b->pos >= b->nbatches)
        return NULL;
    int B = b->o.batch_size, k = b->batch_perm[b->pos];
    int first = k * B, size = b->n - first < B ? b->n - first : B;
    rw_batch *x = &b->batch;
    memset(x, 0, sizeof *x);
    x->size = size;
    x->number = b->pos++;
    x->epoch = b->epoch;
    x->source_len = pad(b, first, size, false, b->src_buf, b->len_buf);
    x->sources = view(b->src_buf, rw_shape2(x->source_len, size));
    x->lengths = view(b->len_buf, rw_shape1(size));
    x->tokens = 0;
    for (int j = 0; j < size; j++) {
        x->tokens += b->len_buf[j];
        b->index_buf[j] = b->order[first + j];
        b->label_buf[j] = rw_seqdata_label(b->data, b->order[first + j]);
    }
    if (rw_seqdata_has_targets(b->data)) {
        x->target_len = pad(b, first, size, true, b->tgt_buf, b->tlen_buf);
        x->targets = view(b->tgt_buf, rw_shape2(x->target_len, size));
        x->target_lengths = view(b->tlen_buf, rw_shape1(size));
        for (int j = 0; j < size; j++)
            x->tokens += b->tlen_buf[j];
    } else {
        x->targets = (rw_tensor){ .dtype = RW_INT32 };
        x->target_lengths = (rw_tensor){ .dtype = RW_INT32 };
    }
    x->labels = view(b->label_buf, rw_shape1(size));
    x->indices = b->index_buf;
    pad_reals(b, x);
    return x;
}

int rw_batcher_batch_count(const rw_batcher *b) { return b ? b->nbatches : 0; }

int rw_batcher_epoch(const rw_batcher *b) { return b ? b->epoch : -1; }

const rw_seqdata *rw_batcher_data(const rw_batcher *b) { return b ? b->data : NULL; }
