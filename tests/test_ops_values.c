/* Op values against plain C: matmul in every layout, cross-entropy. */
#include <string.h>
#include "rw_test.h"

static double at(const rw_tensor *t, int r, int c, bool trans)
{
    int cols = t->shape.dim[1];
    return trans ? t->data[c * cols + r] : t->data[r * cols + c];
}

Test(matmul, matches_plain_c_in_every_layout)
{
    rw_rng rng = rw_rng_seed(11);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int M = 5, K = 7, N = 3;
            rw_tensor *a = rwt_uniform(&rng, ta ? rw_shape2(K, M) : rw_shape2(M, K), -1, 1);
            rw_tensor *b = rwt_uniform(&rng, tb ? rw_shape2(N, K) : rw_shape2(K, N), -1, 1);
            rw_graph *g = rw_graph_new();
            rw_node *c = rw_matmul_ex(g, rw_const(g, a), rw_const(g, b), ta, tb);
            cr_assert_not_null(c, "%s", rw_last_error());
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++)
                        s += at(a, i, k, ta) * at(b, k, j, tb);
                    rwt_assert_close(c->value.data[i * N + j], s, RWT_EPS * 10, "ta %d tb %d (%d,%d)", ta, tb, i, j);
                }
            rw_graph_free(g);
            rw_tensor_free(a);
            rw_tensor_free(b);
        }
}

Test(matmul, keeps_leading_dimensions)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape3(4, 2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 5));
    rw_graph *g = rw_graph_new();
    rw_node *c = rw_matmul(g, rw_const(g, a), rw_const(g, b));
    cr_assert(rw_shape_equal(c->value.shape, rw_shape3(4, 2, 5)));
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(cross_entropy, value_by_hand)
{
    rw_real lv[4] = { 1, 2, 3, 0 };
    int32_t tv[2] = { 1, 0 };
    rw_tensor *l = rw_tensor_from(rw_shape2(2, 2), lv);
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv);
    rw_graph *g = rw_graph_new();
    rw_node *loss = rw_cross_entropy(g, rw_const(g, l), rw_const(g, t));
    double r0 = log(exp(1.0) + exp(2.0)) - 2, r1 = log(exp(3.0) + 1) - 3;
    rwt_assert_close(rw_scalar(loss), (r0 + r1) / 2, RWT_EPS, "loss %g", (double)rw_scalar(loss));
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(t);
}

Test(cross_entropy, stable_for_logits_of_magnitude_1e4)
{
    rw_real lv[6] = { 1e4, -1e4, 0, -1e4, 1e4, 1e4 - 1 };
    int32_t tv[2] = { 1, 2 };
    rw_tensor *l = rw_tensor_from(rw_shape2(2, 3), lv);
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv);
    rw_graph *g = rw_graph_new();
    rw_node *x = rw_var(g, l);
    rw_node *loss = rw_cross_entropy(g, x, rw_const(g, t));
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    /* row 0: lse = 1e4, loss 2e4; row 1: lse = 1e4 + log(1 + e^-1), loss 1 + log(1 + e^-1) */
    double expect = (2e4 + 1 + log(1 + exp(-1.0))) / 2;
    rwt_assert_close(rw_scalar(loss), expect, 1e-6, "loss %g", (double)rw_scalar(loss));
    for (int i = 0; i < 6; i++)
        cr_assert(isfinite(rw_node_grad(x)[i]), "gradient %d", i);
    rwt_assert_close(rw_node_grad(x)[0], 0.5, 1e-6, "softmax(row 0)[0] - 0, halved");
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(t);
}

Test(cross_entropy, padding_rows_change_nothing)
{
    rw_real lv[6] = { 0.1, 0.2, 0.3, 5, 6, 7 };
    int32_t padded[2] = { 2, -1 }, alone[1] = { 2 };
    rw_tensor *l = rw_tensor_from(rw_shape2(2, 3), lv), *l1 = rw_tensor_from(rw_shape2(1, 3), lv);
    rw_tensor *tp = rw_tensor_from_ints(rw_shape1(2), padded), *t1 = rw_tensor_from_ints(rw_shape1(1), alone);
    rw_graph *g = rw_graph_new();
    rw_node *x = rw_var(g, l), *x1 = rw_var(g, l1);
    rw_node *a = rw_cross_entropy(g, x, rw_const(g, tp));
    rw_node *b = rw_cross_entropy(g, x1, rw_const(g, t1));
    cr_assert_eq(rw_scalar(a), rw_scalar(b));
    cr_assert_eq(rw_backward(g, rw_add(g, a, b)), RW_OK);
    for (int j = 0; j < 3; j++) {
        cr_assert_eq(rw_node_grad(x)[j], rw_node_grad(x1)[j]);
        cr_assert_eq(rw_node_grad(x)[3 + j], 0);
    }
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(l1);
    rw_tensor_free(tp);
    rw_tensor_free(t1);
}

Test(cross_entropy, out_of_range_target_is_an_error)
{
    rw_tensor *l = rw_tensor_new(RW_REAL, rw_shape2(2, 3));
    int32_t tv[2] = { 0, 3 };
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv), *t3 = rw_tensor_new(RW_INT32, rw_shape1(3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_cross_entropy(g, rw_const(g, l), rw_const(g, t)));
    cr_assert(strstr(rw_last_error(), "target 3 at row 1") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_cross_entropy(g, rw_const(g, l), rw_const(g, t3)));
    cr_assert(strstr(rw_last_error(), "'cross_entropy'") && strstr(rw_last_error(), "[2, 3] and [3] int32"),
              "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(t);
    rw_tensor_free(t3);
}

Test(matmul, set_threads_rejects_fewer_than_one)
{
    int before = rw_get_threads();
    cr_assert_eq(rw_set_threads(0), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "rw_set_threads") && strstr(rw_last_error(), "at least 1"), "%s",
              rw_last_error());
    cr_assert_eq(rw_set_threads(-3), RW_ERR_ARG);
    cr_assert_eq(rw_get_threads(), before, "a rejected count changes nothing");
    cr_assert_eq(rw_set_threads(1), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_get_threads(), 1);
}
