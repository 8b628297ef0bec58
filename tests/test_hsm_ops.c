/* The hierarchical softmax ops (rewind/ops_hsm.h) against the full
 * softmax: with one class the loss and every gradient equal
 * rw_cross_entropy of the full logits; with several classes the loss is
 * the mean of -hsm_log_probs at the targets and the probabilities sum to 1.
 * The classes: frequency bins, the text form, and the errors. */
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

#define has(msg, s) (strstr((msg), (s)) != NULL)

enum { H = 5, V = 9, N = 6 };

typedef struct fixture {
    rw_tensor *h, *cw, *cb, *w, *b, *t;
} fixture;

static fixture make(int C, uint64_t seed)
{
    rw_rng r = rw_rng_seed(seed);
    fixture f = { rwt_uniform(&r, rw_shape2(N, H), -1, 1), rwt_uniform(&r, rw_shape2(C, H), -1, 1),
                  rwt_uniform(&r, rw_shape1(C), -1, 1), rwt_uniform(&r, rw_shape2(V, H), -1, 1),
                  rwt_uniform(&r, rw_shape1(V), -1, 1),
                  rw_tensor_from_ints(rw_shape1(N), (int32_t[]){ 3, -1, 8, 0, 3, 5 }) };
    return f;
}

static void drop(fixture *f)
{
    rw_tensor *all[] = { f->h, f->cw, f->cb, f->w, f->b, f->t };
    for (int i = 0; i < 6; i++)
        rw_tensor_free(all[i]);
}

Test(hsm_ops, one_class_equals_full_softmax_cross_entropy)
{
    fixture f = make(1, 3);
    rw_hsm_classes cls = { 0 };
    double counts[V] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 1), RW_OK, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *h1 = rw_var(g, f.h), *cw = rw_var(g, f.cw), *cb = rw_var(g, f.cb), *w1 = rw_var(g, f.w),
            *b1 = rw_var(g, f.b);
    rw_node *hsm = rw_hsm_loss(g, h1, cw, cb, w1, b1, rw_const(g, f.t), &cls);
    cr_assert_not_null(hsm, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, hsm), RW_OK, "%s", rw_last_error());
    rw_graph *g2 = rw_graph_new();
    rw_node *h2 = rw_var(g2, f.h), *w2 = rw_var(g2, f.w), *b2 = rw_var(g2, f.b);
    rw_node *full = rw_cross_entropy(g2, rw_add(g2, rw_matmul_ex(g2, h2, w2, false, true), b2), rw_const(g2, f.t));
    cr_assert_not_null(full, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g2, full), RW_OK, "%s", rw_last_error());
    rwt_assert_close(rw_scalar(hsm), rw_scalar(full), RWT_EPS, "loss %g vs %g", (double)rw_scalar(hsm),
                     (double)rw_scalar(full));
    const rw_node *pairs[3][2] = { { h1, h2 }, { w1, w2 }, { b1, b2 } };
    for (int p = 0; p < 3; p++)
        for (size_t i = 0; i < pairs[p][0]->value.size; i++)
            rwt_assert_close(rw_node_grad(pairs[p][0])[i], rw_node_grad(pairs[p][1])[i], RWT_EPS,
                             "gradient %d element %zu", p, i);
    for (size_t i = 0; i < (size_t)H; i++) /* log P(the one class) = 0 whatever its logit */
        cr_assert_eq(rw_node_grad(cw)[i], 0);
    cr_assert_eq(rw_node_grad(cb)[0], 0);
    rw_graph_free(g);
    rw_graph_free(g2);
    rw_hsm_classes_free(&cls);
    drop(&f);
}

Test(hsm_ops, loss_is_minus_log_probs_at_targets_and_probs_sum_to_one)
{
    fixture f = make(3, 5);
    rw_hsm_classes cls = { 0 };
    double counts[V] = { 1, 30, 2, 20, 3, 10, 4, 5, 6 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 3), RW_OK, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *args[5] = { rw_const(g, f.h), rw_const(g, f.cw), rw_const(g, f.cb), rw_const(g, f.w),
                         rw_const(g, f.b) };
    rw_node *loss = rw_hsm_loss(g, args[0], args[1], args[2], args[3], args[4], rw_const(g, f.t), &cls);
    rw_node *lp = rw_hsm_log_probs(g, args[0], args[1], args[2], args[3], args[4], &cls);
    cr_assert(loss && lp, "%s", rw_last_error());
    cr_assert_eq(lp->value.shape.dim[1], V);
    double want = 0;
    int live = 0;
    for (int r = 0; r < N; r++) {
        double total = 0;
        for (int w = 0; w < V; w++)
            total += exp(lp->value.data[r * V + w]);
        rwt_assert_close(total, 1.0, RWT_EPS, "row %d sums to %g", r, total);
        if (f.t->idata[r] >= 0) {
            want -= lp->value.data[r * V + f.t->idata[r]];
            live++;
        }
    }
    rwt_assert_close(rw_scalar(loss), want / live, RWT_EPS, "loss %g, want %g", (double)rw_scalar(loss), want / live);
    rw_graph_free(g);
    rw_hsm_classes_free(&cls);
    drop(&f);
}

Test(hsm_ops, all_padding_gives_zero_and_no_gradient)
{
    fixture f = make(2, 7);
    for (int r = 0; r < N; r++)
        f.t->idata[r] = -1;
    rw_hsm_classes cls = { 0 };
    double counts[V] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 2), RW_OK);
    rw_graph *g = rw_graph_new();
    rw_node *h = rw_var(g, f.h);
    rw_node *loss = rw_hsm_loss(g, h, rw_var(g, f.cw), rw_var(g, f.cb), rw_var(g, f.w), rw_var(g, f.b),
                                rw_const(g, f.t), &cls);
    cr_assert_not_null(loss, "%s", rw_last_error());
    cr_assert_eq(rw_scalar(loss), 0);
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    for (size_t i = 0; i < f.h->size; i++)
        cr_assert_eq(rw_node_grad(h)[i], 0);
    rw_graph_free(g);
    rw_hsm_classes_free(&cls);
    drop(&f);
}

Test(hsm_classes, frequency_bins_of_about_equal_mass)
{
    /* 100 words with Zipf counts 1000/(w+1) into 10 classes: every class
     * non-empty, classes ordered by frequency, the frequent ones small */
    enum { W = 100, C = 10 };
    double counts[W], total = 0;
    for (int w = 0; w < W; w++)
        total += counts[w] = 1000.0 / (w + 1);
    rw_hsm_classes cls = { 0 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, W, C), RW_OK, "%s", rw_last_error());
    cr_assert_eq(cls.n_classes, C);
    cr_assert_eq(cls.class_of->idata[0], 0, "the most frequent word opens class 0");
    cr_assert_eq(cls.class_of->idata[W - 1], C - 1);
    for (int w = 1; w < W; w++)
        cr_assert_geq(cls.class_of->idata[w], cls.class_of->idata[w - 1], "bins follow the frequency order");
    const int32_t *s = cls.start->idata;
    for (int c = 0; c < C; c++)
        cr_assert_gt(s[c + 1], s[c], "class %d is empty", c);
    cr_assert_lt(s[1] - s[0], s[C] - s[C - 1], "frequent words sit in smaller classes");
    for (int c = 0; c + 1 < C; c++) { /* each bin but the last holds about total / C */
        double mass = 0;
        for (int j = s[c]; j < s[c + 1]; j++)
            mass += counts[cls.words->idata[j]];
        cr_assert_lt(mass, 2.2 * total / C, "class %d holds %g of %g", c, mass, total);
    }
    cr_assert_eq(rw_hsm_default_classes(10000), 100);
    cr_assert_eq(rw_hsm_default_classes(1), 1);
    rw_hsm_classes_free(&cls);
}

Test(hsm_classes, text_round_trip_and_errors)
{
    double counts[V] = { 5, 4, 3, 2, 1, 0, 0, 7, 1 };
    rw_hsm_classes cls = { 0 }, back = { 0 }, bad = { 0 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 4), RW_OK);
    char *text = rw_hsm_classes_to_text(&cls);
    cr_assert_not_null(text);
    cr_assert_eq(rw_hsm_classes_from_text(&back, text), RW_OK, "%s", rw_last_error());
    cr_assert_eq(back.n_classes, 4);
    cr_assert_eq(memcmp(back.class_of->idata, cls.class_of->idata, V * sizeof(int32_t)), 0);
    cr_assert_eq(memcmp(back.words->idata, cls.words->idata, V * sizeof(int32_t)), 0);
    free(text);
    cr_assert_neq(rw_hsm_classes_from_counts(&bad, counts, V, V + 1), RW_OK);
    cr_assert(has(rw_last_error(), "10 classes for 9 words"), "%s", rw_last_error());
    cr_assert_neq(rw_hsm_classes_from_counts(&bad, counts, V, 0), RW_OK);
    cr_assert(has(rw_last_error(), "needs 1 <= classes <= words"), "%s", rw_last_error());
    cr_assert_neq(rw_hsm_classes_from_assignment(&bad, (int32_t[]){ 0, 2, 0 }, 3, 3), RW_OK);
    cr_assert(has(rw_last_error(), "class 1 has no words"), "%s", rw_last_error());
    cr_assert_neq(rw_hsm_classes_from_text(&bad, "rewind-hsm 1 3 2\n0 1 5\n"), RW_OK);
    cr_assert(has(rw_last_error(), "entry 2 of 3"), "%s", rw_last_error());
    cr_assert_neq(rw_hsm_classes_from_text(&bad, "vocab"), RW_OK);
    cr_assert_null(bad.class_of);
    rw_hsm_classes_free(&cls);
    rw_hsm_classes_free(&back);
}

Test(hsm_ops, shape_errors_name_the_op)
{
    fixture f = make(2, 9);
    rw_hsm_classes cls = { 0 };
    double counts[V] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 3), RW_OK);
    rw_graph *g = rw_graph_new();
    rw_node *h = rw_const(g, f.h), *cw = rw_const(g, f.cw), *cb = rw_const(g, f.cb), *w = rw_const(g, f.w),
            *b = rw_const(g, f.b);
    cr_assert_null(rw_hsm_loss(g, h, cw, cb, w, b, rw_const(g, f.t), &cls), "2 class rows for 3 classes");
    cr_assert(has(rw_last_error(), "hsm_loss") && has(rw_last_error(), "[4] int32"), "%s", rw_last_error());
    rw_hsm_classes_free(&cls);
    cr_assert_eq(rw_hsm_classes_from_counts(&cls, counts, V, 2), RW_OK);
    f.t->idata[0] = V;
    cr_assert_null(rw_hsm_loss(g, h, cw, cb, w, b, rw_const(g, f.t), &cls));
    cr_assert(has(rw_last_error(), "target 9 at row 0 is out of range for 9 words"), "%s", rw_last_error());
    cr_assert_null(rw_hsm_log_probs(g, h, cw, cb, w, b, NULL));
    cr_assert(has(rw_last_error(), "no classes"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_hsm_classes_free(&cls);
    drop(&f);
}
