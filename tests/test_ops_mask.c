/* where and sequence_mask against plain C, gradient routing, padding of a
 * recurrence, and their error messages. */
#include <string.h>
#include "rw_test.h"

#define ERR_HAS(s) cr_assert(strstr(rw_last_error(), (s)) != NULL, "missing \"%s\" in: %s", (s), rw_last_error())

/* Checks where(mask, a, b) for a of shape s against plain C, with `rows`
 * mask values (one per row of s.size / rows elements), and its gradients. */
static void check_where(rw_shape s, rw_shape ms)
{
    rw_rng rng = rw_rng_seed(21);
    rw_tensor *a = rwt_uniform(&rng, s, -1, 1), *b = rwt_uniform(&rng, s, -1, 1);
    rw_tensor *w = rwt_uniform(&rng, s, -1, 1), *m = rw_tensor_new(RW_REAL, ms);
    for (size_t i = 0; i < m->size; i++)
        m->data[i] = i % 3 == 1 ? 0 : (rw_real)(i % 2 ? -0.5 : 2); /* any nonzero selects a */
    size_t inner = a->size / m->size;
    rw_graph *g = rw_graph_new();
    rw_node *an = rw_var(g, a), *bn = rw_var(g, b), *mn = rw_var(g, m);
    rw_node *y = rw_where(g, mn, an, bn);
    cr_assert(y && rw_shape_equal(y->value.shape, s), "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, rw_sum(g, rw_mul(g, y, rw_const(g, w)))), RW_OK, "%s", rw_last_error());
    for (size_t i = 0; i < a->size; i++) {
        bool pick = m->data[i / inner] != 0;
        cr_assert_eq(y->value.data[i], pick ? a->data[i] : b->data[i], "element %zu", i);
        cr_assert_eq(rw_node_grad(an)[i], pick ? w->data[i] : 0, "da %zu", i);
        cr_assert_eq(rw_node_grad(bn)[i], pick ? 0 : w->data[i], "db %zu", i);
    }
    cr_assert_null(rw_node_grad(mn), "the mask gets no gradient");
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(w);
    rw_tensor_free(m);
}

Test(where, full_mask) { check_where(rw_shape2(3, 4), rw_shape2(3, 4)); }
Test(where, row_mask_for_a_batch) { check_where(rw_shape2(5, 3), rw_shape1(5)); }
Test(where, step_mask_for_a_sequence) { check_where(rw_shape3(3, 2, 4), rw_shape2(3, 2)); }
Test(where, scalar_mask_selects_everything) { check_where(rw_shape2(2, 3), rw_shape_scalar()); }

Test(where, mismatch_names_the_op_and_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    rw_tensor *m3 = rw_tensor_new(RW_REAL, rw_shape1(3)), *m2 = rw_tensor_new(RW_REAL, rw_shape1(2));
    rw_tensor *mi = rw_tensor_new(RW_INT32, rw_shape1(2));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_where(g, rw_const(g, m3), rw_const(g, a), rw_const(g, a)));
    ERR_HAS("op 'where'");
    ERR_HAS("[3], [2, 3] and [2, 3]");
    ERR_HAS("leading part");
    cr_assert_null(rw_where(g, rw_const(g, m2), rw_const(g, a), rw_const(g, b)));
    ERR_HAS("[2], [2, 3] and [3, 2]");
    ERR_HAS("same shape");
    cr_assert_null(rw_where(g, rw_const(g, mi), rw_const(g, a), rw_const(g, a)));
    ERR_HAS("input 0 must be real");
    cr_assert_not_null(rw_where(g, rw_const(g, m2), rw_const(g, a), rw_const(g, a)), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(m3);
    rw_tensor_free(m2);
    rw_tensor_free(mi);
}

Test(sequence_mask, matches_plain_c)
{
    int32_t lv[4] = { 3, 0, 5, 1 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(4), lv);
    rw_graph *g = rw_graph_new();
    rw_node *m = rw_sequence_mask(g, rw_const(g, len), 5);
    cr_assert(m && rw_shape_equal(m->value.shape, rw_shape2(5, 4)), "%s", rw_last_error());
    cr_assert_eq(m->value.dtype, RW_REAL);
    for (int t = 0; t < 5; t++)
        for (int b = 0; b < 4; b++)
            cr_assert_eq(m->value.data[t * 4 + b], t < lv[b] ? 1 : 0, "t %d b %d", t, b);
    cr_assert_null(rw_op_find("sequence_mask")->backward);
    rw_graph_free(g);
    rw_tensor_free(len);
}

Test(sequence_mask, bad_lengths_are_named)
{
    int32_t big[3] = { 2, 5, 1 }, neg[2] = { 1, -2 };
    rw_tensor *lb = rw_tensor_from_ints(rw_shape1(3), big), *ln = rw_tensor_from_ints(rw_shape1(2), neg);
    rw_tensor *l2 = rw_tensor_new(RW_INT32, rw_shape2(2, 2)), *lr = rw_tensor_new(RW_REAL, rw_shape1(2));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_sequence_mask(g, rw_const(g, lb), 4));
    ERR_HAS("op 'sequence_mask'");
    ERR_HAS("[3] int32");
    ERR_HAS("length 5 at position 1 is out of range [0, 4]");
    cr_assert_null(rw_sequence_mask(g, rw_const(g, ln), 4));
    ERR_HAS("length -2 at position 1");
    cr_assert_null(rw_sequence_mask(g, rw_const(g, l2), 4));
    ERR_HAS("[2, 2] int32");
    cr_assert_null(rw_sequence_mask(g, rw_const(g, lr), 4));
    ERR_HAS("must be int32");
    cr_assert_null(rw_sequence_mask(g, rw_const(g, lb), 0));
    ERR_HAS("steps is 0");
    rw_graph_free(g);
    rw_tensor_free(lb);
    rw_tensor_free(ln);
    rw_tensor_free(l2);
    rw_tensor_free(lr);
}

/* h_t = where(m_t, tanh(w * h_{t-1} + x_t), h_{t-1}) over a padded batch:
 * the final state and the gradient of w for a sequence of length L equal
 * those of running that sequence alone for L steps. */
static rw_node *run(rw_graph *g, rw_node *w, rw_node *x, rw_node *lengths, int steps)
{
    rw_node *xs[4], *ms[4];
    cr_assert_eq(rw_unstack(g, x, xs), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_unstack(g, rw_sequence_mask(g, lengths, steps), ms), RW_OK, "%s", rw_last_error());
    rw_node *h = rw_scalar_const(g, 0);
    h = rw_mul(g, h, rw_index0(g, x, 0)); /* zeros of one step's shape [B, H] */
    for (int t = 0; t < steps; t++)
        h = rw_where(g, ms[t], rw_tanh(g, rw_add(g, rw_mul(g, w, h), xs[t])), h);
    return h;
}

Test(where, padded_steps_leave_the_state_unchanged)
{
    rw_rng rng = rw_rng_seed(22);
    int T = 4, B = 2, H = 3;
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(T, B, H), -1, 1), *w = rwt_uniform(&rng, rw_shape1(H), -1, 1);
    int32_t lv[2] = { 4, 2 }, l1[1] = { 2 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(2), lv), *len1 = rw_tensor_from_ints(rw_shape1(1), l1);
    rw_tensor *x1 = rw_tensor_new(RW_REAL, rw_shape3(2, 1, H)); /* sequence 1 alone, its 2 real steps */
    for (int t = 0; t < 2; t++)
        memcpy(x1->data + t * H, x->data + (t * B + 1) * H, (size_t)H * sizeof(rw_real));
    rw_graph *g = rw_graph_new();
    rw_node *wn = rw_var(g, w), *w1 = rw_var(g, w);
    rw_node *h = run(g, wn, rw_const(g, x), rw_const(g, len), T);
    rw_node *h1 = run(g, w1, rw_const(g, x1), rw_const(g, len1), 2);
    for (int j = 0; j < H; j++)
        rwt_assert_close(h->value.data[H + j], h1->value.data[j], RWT_EPS, "h[1][%d]", j);
    /* Only sequence 1's final state in the loss: same gradient as alone. */
    rw_node *pick = rw_slice(g, h, 0, 1, 1);
    cr_assert_eq(rw_backward(g, rw_add(g, rw_sum(g, pick), rw_sum(g, h1))), RW_OK, "%s", rw_last_error());
    for (int j = 0; j < H; j++)
        rwt_assert_close(rw_node_grad(wn)[j], rw_node_grad(w1)[j], RWT_EPS, "dw[%d]", j);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(w);
    rw_tensor_free(len);
    rw_tensor_free(len1);
    rw_tensor_free(x1);
}
