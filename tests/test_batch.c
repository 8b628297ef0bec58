/* Datasets of variable-length sequences and their mini-batches. */
#include <string.h>
#include "rw_test.h"

#define N 23

/* N examples with sources of 1..9 tokens, targets of 1..7 (when asked),
 * tokens encoding (example, position) so that misplacement shows, and
 * labels i % 3. */
static rw_seqdata *make_data(bool targets, uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    rw_seqdata *d = rw_seqdata_new();
    int32_t src[16], tgt[16];
    for (int i = 0; i < N; i++) {
        int ls = 1 + (int)rw_rng_below(&rng, 9), lt = 1 + (int)rw_rng_below(&rng, 7);
        for (int t = 0; t < ls; t++)
            src[t] = 100 * i + t;
        for (int t = 0; t < lt; t++)
            tgt[t] = 100 * i + 50 + t;
        rw_status s = rw_seqdata_add(d, src, ls, targets ? tgt : NULL, targets ? lt : 0, i % 3);
        cr_assert_eq(s, RW_OK, "%s", rw_last_error());
    }
    return d;
}

static rw_batcher *make_batcher(const rw_seqdata *d, int B, rw_batch_order order, bool shuffle_batches,
                                bool drop_last, uint64_t seed)
{
    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = B, .order = order,
                                                          .shuffle_batches = shuffle_batches,
                                                          .drop_last = drop_last, .seed = seed });
    cr_assert_not_null(b, "%s", rw_last_error());
    return b;
}

/* Checks one batch's padding, lengths, labels and tokens against the data. */
static void check_batch(const rw_seqdata *d, const rw_batch *x)
{
    cr_assert_eq(x->sources.dtype, RW_INT32);
    cr_assert(rw_shape_equal(x->sources.shape, rw_shape2(x->source_len, x->size)));
    cr_assert(rw_shape_equal(x->lengths.shape, rw_shape1(x->size)));
    cr_assert(rw_shape_equal(x->labels.shape, rw_shape1(x->size)));
    int T = 0, Tt = 0;
    long tokens = 0;
    for (int j = 0; j < x->size; j++) {
        int i = x->indices[j], ls, lt;
        const int32_t *s = rw_seqdata_source(d, i, &ls);
        const int32_t *tg = rw_seqdata_target(d, i, &lt);
        cr_assert_eq(x->lengths.idata[j], ls);
        cr_assert_eq(x->labels.idata[j], i % 3);
        T = ls > T ? ls : T;
        Tt = lt > Tt ? lt : Tt;
        tokens += ls + lt;
        for (int t = 0; t < x->source_len; t++)
            cr_assert_eq(x->sources.idata[t * x->size + j], t < ls ? s[t] : RW_PAD,
                         "source column %d step %d", j, t);
        if (tg) {
            cr_assert_eq(x->target_lengths.idata[j], lt);
            for (int t = 0; t < x->target_len; t++)
                cr_assert_eq(x->targets.idata[t * x->size + j], t < lt ? tg[t] : RW_PAD,
                             "target column %d step %d", j, t);
        }
    }
    cr_assert_eq(x->source_len, T, "padded to the longest source in the batch");
    cr_assert_eq(x->tokens, tokens);
    if (rw_seqdata_has_targets(d)) {
        cr_assert_eq(x->target_len, Tt, "padded to the longest target in the batch");
        cr_assert(rw_shape_equal(x->targets.shape, rw_shape2(Tt, x->size)));
    } else {
        cr_assert_eq(x->target_len, 0);
        cr_assert_eq(x->targets.size, 0);
    }
}

/* Runs one epoch; writes the examples in visiting order into seen[] and
 * returns how many; checks every batch. */
static int run_epoch(const rw_seqdata *d, rw_batcher *b, int epoch, int *seen, int *sizes, int *nbatches)
{
    cr_assert_eq(rw_batcher_start_epoch(b, epoch), RW_OK, "%s", rw_last_error());
    const rw_batch *x;
    int count = 0, k = 0;
    while ((x = rw_batcher_next(b)) != NULL) {
        check_batch(d, x);
        cr_assert_eq(x->number, k);
        cr_assert_eq(x->epoch, epoch);
        if (sizes)
            sizes[k] = x->size;
        k++;
        for (int j = 0; j < x->size; j++)
            seen[count++] = x->indices[j];
    }
    if (nbatches)
        *nbatches = k;
    cr_assert_eq(k, rw_batcher_batch_count(b));
    return count;
}

Test(batch, every_example_once_per_epoch_in_every_order)
{
    rw_seqdata *d = make_data(true, 1);
    for (int order = RW_ORDER_SHUFFLE; order <= RW_ORDER_TARGET_SOURCE_LENGTH; order++)
        for (int sb = 0; sb < 2; sb++) {
            rw_batcher *b = make_batcher(d, 5, (rw_batch_order)order, sb, false, 9);
            for (int epoch = 0; epoch < 3; epoch++) {
                int seen[N], count[N] = { 0 };
                cr_assert_eq(run_epoch(d, b, epoch, seen, NULL, NULL), N);
                for (int i = 0; i < N; i++)
                    count[seen[i]]++;
                for (int i = 0; i < N; i++)
                    cr_assert_eq(count[i], 1, "order %d epoch %d: example %d seen %d times", order, epoch, i,
                                 count[i]);
            }
            rw_batcher_free(b);
        }
    rw_seqdata_free(d);
}

static int key_of(const rw_seqdata *d, int i, rw_batch_order order, int which)
{
    int ls, lt;
    rw_seqdata_source(d, i, &ls);
    rw_seqdata_target(d, i, &lt);
    bool src_first = order == RW_ORDER_SOURCE_LENGTH || order == RW_ORDER_SOURCE_TARGET_LENGTH;
    if (which == 1)
        return src_first ? ls : lt;
    if (order == RW_ORDER_SOURCE_LENGTH || order == RW_ORDER_TARGET_LENGTH)
        return 0;
    return src_first ? lt : ls;
}

/* a precedes-or-equals b in the strategy's order */
static bool ordered(const rw_seqdata *d, int a, int b, rw_batch_order order)
{
    int a1 = key_of(d, a, order, 1), b1 = key_of(d, b, order, 1);
    return a1 < b1 || (a1 == b1 && key_of(d, a, order, 2) <= key_of(d, b, order, 2));
}

Test(batch, sort_strategies_order_as_promised)
{
    rw_seqdata *d = make_data(true, 2);
    for (int order = RW_ORDER_SOURCE_LENGTH; order <= RW_ORDER_TARGET_SOURCE_LENGTH; order++) {
        /* Without batch shuffling, the whole epoch is sorted. */
        rw_batcher *b = make_batcher(d, 4, (rw_batch_order)order, false, false, 3);
        int seen[N];
        run_epoch(d, b, 0, seen, NULL, NULL);
        for (int i = 1; i < N; i++)
            cr_assert(ordered(d, seen[i - 1], seen[i], (rw_batch_order)order), "order %d, position %d", order, i);
        rw_batcher_free(b);

        /* With it, each batch is sorted, and the batches are runs of the sorted order. */
        b = make_batcher(d, 4, (rw_batch_order)order, true, false, 3);
        int sizes[N], nb;
        run_epoch(d, b, 0, seen, sizes, &nb);
        int first[N], at = 0;
        for (int k = 0; k < nb; k++) {
            first[k] = seen[at];
            for (int j = 1; j < sizes[k]; j++)
                cr_assert(ordered(d, seen[at + j - 1], seen[at + j], (rw_batch_order)order));
            at += sizes[k];
        }
        /* Two batches' ranges overlap at most at equal keys. */
        at = 0;
        for (int k = 0; k < nb; k++) {
            int last_k = seen[at + sizes[k] - 1], at2 = 0;
            for (int m = 0; m < nb; m++) {
                if (m != k && ordered(d, first[k], first[m], (rw_batch_order)order) &&
                    !ordered(d, first[m], first[k], (rw_batch_order)order))
                    cr_assert(ordered(d, last_k, seen[at2], (rw_batch_order)order),
                              "order %d: batches %d and %d interleave", order, k, m);
                at2 += sizes[m];
            }
            at += sizes[k];
        }
        rw_batcher_free(b);
    }
    rw_seqdata_free(d);
}

Test(batch, sorting_reduces_padding)
{
    rw_seqdata *d = make_data(false, 4);
    long padded[2] = { 0, 0 };
    for (int s = 0; s < 2; s++) {
        rw_batcher *b = make_batcher(d, 4, s ? RW_ORDER_SOURCE_LENGTH : RW_ORDER_SHUFFLE, true, false, 5);
        rw_batcher_start_epoch(b, 0);
        const rw_batch *x;
        while ((x = rw_batcher_next(b)) != NULL)
            padded[s] += (long)x->sources.size - x->tokens;
        rw_batcher_free(b);
    }
    cr_assert_lt(padded[1], padded[0], "sorted %ld vs shuffled %ld padding tokens", padded[1], padded[0]);
    rw_seqdata_free(d);
}

static bool same_epoch(const rw_seqdata *d, rw_batcher *a, int ea, rw_batcher *b, int eb)
{
    int sa[N], sb[N], za[N], zb[N], na, nb;
    run_epoch(d, a, ea, sa, za, &na);
    run_epoch(d, b, eb, sb, zb, &nb);
    return na == nb && memcmp(sa, sb, sizeof sa) == 0 && memcmp(za, zb, (size_t)na * sizeof(int)) == 0;
}

Test(batch, shuffling_is_reproducible_from_the_seed)
{
    rw_seqdata *d = make_data(true, 5);
    for (int order = RW_ORDER_SHUFFLE; order <= RW_ORDER_TARGET_SOURCE_LENGTH; order++) {
        rw_batcher *a = make_batcher(d, 3, (rw_batch_order)order, true, false, 42);
        rw_batcher *b = make_batcher(d, 3, (rw_batch_order)order, true, false, 42);
        rw_batcher *c = make_batcher(d, 3, (rw_batch_order)order, true, false, 43);
        cr_assert(same_epoch(d, a, 0, b, 0), "same seed, same epoch");
        cr_assert(same_epoch(d, a, 4, b, 4), "same seed, same epoch");
        cr_assert(!same_epoch(d, a, 0, c, 0), "order %d: another seed gives another order", order);
        cr_assert(!same_epoch(d, a, 0, b, 1), "order %d: another epoch gives another order", order);
        /* An epoch's order depends only on (seed, epoch), not on what ran before. */
        run_epoch(d, a, 2, (int[N]){ 0 }, NULL, NULL);
        rw_batcher *fresh = make_batcher(d, 3, (rw_batch_order)order, true, false, 42);
        cr_assert(same_epoch(d, a, 3, fresh, 3), "resuming at an epoch reproduces it");
        rw_batcher_free(a);
        rw_batcher_free(b);
        rw_batcher_free(c);
        rw_batcher_free(fresh);
    }
    rw_seqdata_free(d);
}

Test(batch, last_partial_batch_kept_or_dropped)
{
    rw_seqdata *d = make_data(false, 6);
    /* 23 = 4 * 5 + 3: kept, five batches, one of 3 examples. */
    rw_batcher *b = make_batcher(d, 5, RW_ORDER_SHUFFLE, false, false, 1);
    int seen[N], sizes[N], nb;
    cr_assert_eq(run_epoch(d, b, 0, seen, sizes, &nb), N);
    cr_assert_eq(nb, 5);
    cr_assert_eq(sizes[4], 3);
    rw_batcher_free(b);
    /* Dropped: four full batches, 20 distinct examples. */
    for (int sb = 0; sb < 2; sb++) {
        b = make_batcher(d, 5, RW_ORDER_SOURCE_LENGTH, sb, true, 1);
        cr_assert_eq(rw_batcher_batch_count(b), 4);
        for (int epoch = 0; epoch < 3; epoch++) {
            int count[N] = { 0 };
            cr_assert_eq(run_epoch(d, b, epoch, seen, sizes, &nb), 20);
            for (int k = 0; k < nb; k++)
                cr_assert_eq(sizes[k], 5);
            for (int i = 0; i < 20; i++)
                cr_assert_eq(++count[seen[i]], 1, "example %d seen twice", seen[i]);
        }
        rw_batcher_free(b);
    }
    /* A batch larger than the dataset: one batch of everything. */
    b = make_batcher(d, 100, RW_ORDER_SHUFFLE, true, false, 1);
    cr_assert_eq(run_epoch(d, b, 0, seen, sizes, &nb), N);
    cr_assert_eq(nb, 1);
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

Test(batch, classification_batches_carry_labels)
{
    rw_seqdata *d = rw_seqdata_new();
    int32_t a[] = { 4, 5, 6 }, bb[] = { 7 };
    cr_assert_eq(rw_seqdata_add(d, a, 3, NULL, 0, 2), RW_OK);
    cr_assert_eq(rw_seqdata_add(d, bb, 1, NULL, 0, 0), RW_OK);
    cr_assert_eq(rw_seqdata_add(d, bb, 1, NULL, 0, -5), RW_OK);
    cr_assert_eq(rw_seqdata_label(d, 2), -1, "negative labels mean none");
    rw_batcher *b = make_batcher(d, 3, RW_ORDER_SOURCE_LENGTH, false, false, 0);
    rw_batcher_start_epoch(b, 0);
    const rw_batch *x = rw_batcher_next(b);
    cr_assert_not_null(x);
    cr_assert_eq(x->size, 3);
    cr_assert_eq(x->source_len, 3);
    /* Sorted by source length: the two 1-token examples first, then [4 5 6]. */
    cr_assert_eq(x->indices[2], 0);
    cr_assert_eq(x->labels.idata[2], 2);
    int32_t expect[9] = { 7, 7, 4, RW_PAD, RW_PAD, 5, RW_PAD, RW_PAD, 6 };
    cr_assert_arr_eq(x->sources.idata, expect, sizeof expect);
    cr_assert_null(rw_batcher_next(b));
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

Test(batch, batches_feed_the_cross_entropy)
{
    /* Padded targets (-1) add nothing to the loss. */
    rw_seqdata *d = make_data(true, 7);
    rw_batcher *b = make_batcher(d, 6, RW_ORDER_SHUFFLE, false, false, 2);
    rw_batcher_start_epoch(b, 0);
    const rw_batch *x = rw_batcher_next(b);
    rw_graph *g = rw_graph_new();
    rw_node *logits = rw_leaf_new(g, RW_REAL, rw_shape3(x->target_len, x->size, 3000), false);
    rw_node *loss = rw_cross_entropy(g, logits, rw_const(g, &x->targets));
    cr_assert_not_null(loss, "%s", rw_last_error());
    rwt_assert_close(rw_scalar(loss), log(3000.0), RWT_EPS, "uniform logits: log C");
    rw_graph_free(g);
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

Test(batch, warm_batcher_allocates_nothing)
{
    rw_seqdata *d = make_data(true, 8);
    rw_batcher *b = make_batcher(d, 4, RW_ORDER_TARGET_SOURCE_LENGTH, true, false, 2);
    size_t before = rw_system_alloc_count();
    for (int epoch = 0; epoch < 3; epoch++) {
        rw_batcher_start_epoch(b, epoch);
        while (rw_batcher_next(b))
            ;
    }
    cr_assert_eq(rw_system_alloc_count(), before);
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

Test(batch, bad_input_is_an_error)
{
    rw_seqdata *d = rw_seqdata_new();
    rw_batcher_opts o = { .batch_size = 2 };
    cr_assert_null(rw_batcher_new(d, &o));
    cr_assert(strstr(rw_last_error(), "empty") != NULL, "%s", rw_last_error());
    int32_t s[] = { 1, 2 }, neg[] = { 1, -3 };
    cr_assert_eq(rw_seqdata_add(d, neg, 2, NULL, 0, 0), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "-3") != NULL, "%s", rw_last_error());
    cr_assert_eq(rw_seqdata_add(d, s, 0, NULL, 0, 0), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_add(d, NULL, 2, NULL, 0, 0), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_add(d, s, 2, NULL, 3, 0), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_count(d), 0, "failed adds add nothing");
    cr_assert_eq(rw_seqdata_add(d, s, 2, NULL, 0, 0), RW_OK);
    cr_assert_eq(rw_seqdata_add(d, s, 2, s, 2, 0), RW_ERR_ARG, "mixing pairs with lone sources");
    cr_assert(strstr(rw_last_error(), "example 1") != NULL, "%s", rw_last_error());
    o.batch_size = 0;
    cr_assert_null(rw_batcher_new(d, &o));
    cr_assert(strstr(rw_last_error(), "batch size 0") != NULL, "%s", rw_last_error());
    o = (rw_batcher_opts){ .batch_size = 1, .order = RW_ORDER_TARGET_LENGTH };
    cr_assert_null(rw_batcher_new(d, &o));
    cr_assert(strstr(rw_last_error(), "no target") != NULL, "%s", rw_last_error());
    o = (rw_batcher_opts){ .batch_size = 2, .drop_last = true };
    cr_assert_null(rw_batcher_new(d, &o));
    o = (rw_batcher_opts){ .batch_size = 1, .order = (rw_batch_order)99 };
    cr_assert_null(rw_batcher_new(d, &o));
    cr_assert_null(rw_batcher_new(NULL, &o));
    cr_assert_null(rw_batcher_new(d, NULL));
    o = (rw_batcher_opts){ .batch_size = 1 };
    rw_batcher *b = rw_batcher_new(d, &o);
    cr_assert_not_null(b);
    cr_assert_null(rw_batcher_next(b));
    cr_assert_eq(rw_last_status(), RW_ERR_STATE, "next before start_epoch");
    cr_assert_eq(rw_batcher_start_epoch(b, -1), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_add(d, s, 2, NULL, 0, 0), RW_OK);
    cr_assert_eq(rw_batcher_start_epoch(b, 0), RW_ERR_STATE, "the dataset changed under the batcher");
    rw_batcher_free(b);
    rw_seqdata_free(d);
}
