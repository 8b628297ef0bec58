/* Masked cross-entropy, binary cross-entropy on logits and mean squared
 * error against plain C: values, gradients, stability for logits of
 * magnitude 1e4, and error messages. */
#include <string.h>
#include "rw_test.h"

#define has(msg, s) (strstr((msg), (s)) != NULL)

/* Plain C: the cross-entropy of one row of logits against target t. */
static double row_ce(const rw_real *x, int c, int t)
{
    double m = x[0], z = 0;
    for (int j = 1; j < c; j++)
        m = fmax(m, x[j]);
    for (int j = 0; j < c; j++)
        z += exp(x[j] - m);
    return m + log(z) - x[t];
}

/* ---- cross_entropy_masked ---------------------------------------------- */

Test(cross_entropy_masked, value_and_gradient_match_plain_c)
{
    rw_rng rng = rw_rng_seed(21);
    enum { N = 5, C = 4 };
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(N, C), -3, 3);
    int32_t tv[N] = { 2, -1, 0, 3, 1 };
    rw_real mv[N] = { 0.5, 0, 2, 1, 0.25 };
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(N), tv), *m = rw_tensor_from(rw_shape1(N), mv);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *mn = rw_var(g, m);
    rw_node *loss = rw_cross_entropy_masked(g, xn, rw_const(g, t), mn);
    cr_assert_not_null(loss, "%s", rw_last_error());
    cr_assert_eq(loss->value.shape.ndim, 0);
    double num = 0, den = 0;
    for (int r = 0; r < N; r++)
        if (mv[r] != 0) {
            num += mv[r] * row_ce(x->data + r * C, C, tv[r]);
            den += mv[r];
        }
    rwt_assert_close(rw_scalar(loss), num / den, RWT_EPS, "loss %g", (double)rw_scalar(loss));
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    cr_assert_null(rw_node_grad(mn), "the mask gets no gradient");
    for (int r = 0; r < N; r++) {
        const rw_real *row = x->data + r * C;
        double mx = row[0], z = 0;
        for (int j = 1; j < C; j++)
            mx = fmax(mx, row[j]);
        for (int j = 0; j < C; j++)
            z += exp(row[j] - mx);
        for (int j = 0; j < C; j++) {
            double e = mv[r] == 0 ? 0 : mv[r] / den * (exp(row[j] - mx) / z - (j == tv[r]));
            rwt_assert_close(rw_node_grad(xn)[r * C + j], e, RWT_EPS, "row %d class %d", r, j);
        }
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(t);
    rw_tensor_free(m);
}

/* A 0/1 mask from the padding gives exactly what cross_entropy gives. */
Test(cross_entropy_masked, agrees_with_cross_entropy_on_a_padding_mask)
{
    rw_rng rng = rw_rng_seed(22);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(3, 2, 4), -3, 3);
    int32_t tv[6] = { 1, 3, -1, 0, 2, -1 };
    rw_real mv[6] = { 1, 1, 0, 1, 1, 0 };
    rw_tensor *t = rw_tensor_from_ints(rw_shape2(3, 2), tv), *m = rw_tensor_from(rw_shape2(3, 2), mv);
    rw_graph *g = rw_graph_new();
    rw_node *a = rw_var(g, x), *b = rw_var(g, x);
    rw_node *la = rw_cross_entropy(g, a, rw_const(g, t));
    rw_node *lb = rw_cross_entropy_masked(g, b, rw_const(g, t), rw_const(g, m));
    rwt_assert_close(rw_scalar(lb), rw_scalar(la), RWT_EPS, "losses");
    cr_assert_eq(rw_backward(g, rw_add(g, la, lb)), RW_OK);
    for (int i = 0; i < 24; i++)
        rwt_assert_close(rw_node_grad(b)[i], rw_node_grad(a)[i], RWT_EPS, "gradient %d", i);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(t);
    rw_tensor_free(m);
}

Test(cross_entropy_masked, zero_mask_gives_zero_loss_and_gradient)
{
    rw_real xv[4] = { 1, 2, 3, 4 }, mv[2] = { 0, 0 };
    int32_t tv[2] = { -5, 99 }; /* never read */
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 2), xv), *m = rw_tensor_from(rw_shape1(2), mv);
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *loss = rw_cross_entropy_masked(g, xn, rw_const(g, t), rw_const(g, m));
    cr_assert_not_null(loss, "%s", rw_last_error());
    cr_assert_eq(rw_scalar(loss), 0);
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(rw_node_grad(xn)[i], 0);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(m);
    rw_tensor_free(t);
}

Test(cross_entropy_masked, stable_for_logits_of_magnitude_1e4)
{
    rw_real lv[6] = { 1e4, -1e4, 0, -1e4, 1e4, 1e4 - 1 }, mv[2] = { 1, 3 };
    int32_t tv[2] = { 1, 2 };
    rw_tensor *l = rw_tensor_from(rw_shape2(2, 3), lv), *m = rw_tensor_from(rw_shape1(2), mv);
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv);
    rw_graph *g = rw_graph_new();
    rw_node *x = rw_var(g, l);
    rw_node *loss = rw_cross_entropy_masked(g, x, rw_const(g, t), rw_const(g, m));
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    /* row 0: 2e4; row 1: 1 + log(1 + e^-1); weights 1 and 3 */
    double e1 = exp(-1.0), expect = (2e4 + 3 * (1 + log1p(e1))) / 4;
    rwt_assert_close(rw_scalar(loss), expect, 1e-6, "loss %g", (double)rw_scalar(loss));
    double gexpect[6] = { 0.25, -0.25, 0, 0, 0.75 * (1 / (1 + e1)), 0.75 * (e1 / (1 + e1) - 1) };
    for (int i = 0; i < 6; i++) {
        cr_assert(isfinite(rw_node_grad(x)[i]), "gradient %d", i);
        rwt_assert_close(rw_node_grad(x)[i], gexpect[i], RWT_EPS, "gradient %d: %g", i, (double)rw_node_grad(x)[i]);
    }
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(m);
    rw_tensor_free(t);
}

Test(cross_entropy_masked, errors_name_the_op_and_shapes)
{
    rw_tensor *l = rw_tensor_new(RW_REAL, rw_shape2(2, 3));
    int32_t tv[2] = { 0, 3 };
    rw_real good[2] = { 1, 1 }, neg[2] = { 1, -0.5 }, pad[2] = { 1, 0 };
    rw_tensor *t = rw_tensor_from_ints(rw_shape1(2), tv), *m3 = rw_tensor_new(RW_REAL, rw_shape1(3));
    rw_tensor *mg = rw_tensor_from(rw_shape1(2), good), *mn = rw_tensor_from(rw_shape1(2), neg);
    rw_tensor *mp = rw_tensor_from(rw_shape1(2), pad), *mi = rw_tensor_new(RW_INT32, rw_shape1(2));
    rw_graph *g = rw_graph_new();
    rw_node *ln = rw_const(g, l), *tn = rw_const(g, t);
    cr_assert_null(rw_cross_entropy_masked(g, ln, tn, rw_const(g, m3)));
    cr_assert(has(rw_last_error(), "op 'cross_entropy_masked': inputs [2, 3], [2] int32 and [3]") &&
              has(rw_last_error(), "mask"), "%s", rw_last_error());
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert_null(rw_cross_entropy_masked(g, ln, tn, rw_const(g, mg)));
    cr_assert(has(rw_last_error(), "'cross_entropy_masked'") && has(rw_last_error(), "target 3 at row 1"), "%s",
              rw_last_error());
    cr_assert_null(rw_cross_entropy_masked(g, ln, tn, rw_const(g, mn)));
    cr_assert(has(rw_last_error(), "mask value -0.5 at row 1"), "%s", rw_last_error());
    cr_assert_null(rw_cross_entropy_masked(g, ln, tn, rw_const(g, mi)));
    cr_assert(has(rw_last_error(), "[2] int32 and [2] int32"), "%s", rw_last_error());
    cr_assert_not_null(rw_cross_entropy_masked(g, ln, tn, rw_const(g, mp)), "mask 0 ignores target 3: %s",
                       rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(l);
    rw_tensor_free(t);
    rw_tensor_free(m3);
    rw_tensor_free(mg);
    rw_tensor_free(mn);
    rw_tensor_free(mp);
    rw_tensor_free(mi);
}

/* ---- bce_with_logits ----------------------------------------------------- */

static double sigmoid_ref(double x) { return 1 / (1 + exp(-x)); }

Test(bce_with_logits, value_and_gradient_match_plain_c)
{
    rw_rng rng = rw_rng_seed(23);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(4, 3), -5, 5), *t = rwt_uniform(&rng, rw_shape2(4, 3), 0, 1);
    t->data[0] = 0;
    t->data[1] = 1;
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *tn = rw_var(g, t);
    rw_node *loss = rw_bce_with_logits(g, xn, tn);
    cr_assert_not_null(loss, "%s", rw_last_error());
    double expect = 0;
    for (int i = 0; i < 12; i++) {
        double s = sigmoid_ref(x->data[i]), tt = t->data[i];
        expect -= tt * log(s) + (1 - tt) * log(1 - s);
    }
    rwt_assert_close(rw_scalar(loss), expect / 12, RWT_EPS, "loss %g", (double)rw_scalar(loss));
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    cr_assert_null(rw_node_grad(tn), "the targets get no gradient");
    for (int i = 0; i < 12; i++)
        rwt_assert_close(rw_node_grad(xn)[i], (sigmoid_ref(x->data[i]) - t->data[i]) / 12, RWT_EPS, "gradient %d", i);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(t);
}

Test(bce_with_logits, stable_for_logits_of_magnitude_1e4)
{
    rw_real xv[6] = { 1e4, -1e4, 1e4, -1e4, 1e4, 0 }, tv[6] = { 0, 1, 1, 0, 0.5, 0.5 };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 3), xv), *t = rw_tensor_from(rw_shape2(2, 3), tv);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *loss = rw_bce_with_logits(g, xn, rw_const(g, t));
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    /* per element: 1e4, 1e4, 0, 0, 5e3, log 2 */
    double expect = (2.5e4 + log(2.0)) / 6;
    rwt_assert_close(rw_scalar(loss), expect, 1e-6, "loss %g", (double)rw_scalar(loss));
    double gexpect[6] = { 1.0 / 6, -1.0 / 6, 0, 0, 0.5 / 6, 0 };
    for (int i = 0; i < 6; i++) {
        cr_assert(isfinite(rw_node_grad(xn)[i]), "gradient %d", i);
        rwt_assert_close(rw_node_grad(xn)[i], gexpect[i], RWT_EPS, "gradient %d", i);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(t);
}

Test(bce_with_logits, errors_name_the_op_and_shapes)
{
    rw_real bad[3] = { 0, 1.5, 1 };
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *t = rw_tensor_new(RW_REAL, rw_shape1(3));
    rw_tensor *x1 = rw_tensor_new(RW_REAL, rw_shape1(3)), *tb = rw_tensor_from(rw_shape1(3), bad);
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_bce_with_logits(g, rw_const(g, x), rw_const(g, t)));
    cr_assert(has(rw_last_error(), "op 'bce_with_logits': inputs [2, 3] and [3]") &&
              has(rw_last_error(), "the targets must have the logits' shape"), "%s", rw_last_error());
    cr_assert_null(rw_bce_with_logits(g, rw_const(g, x1), rw_const(g, tb)));
    cr_assert(has(rw_last_error(), "op 'bce_with_logits'") && has(rw_last_error(), "target 1.5 at element 1"),
              "%s", rw_last_error());
    tb->data[1] = NAN;
    cr_assert_null(rw_bce_with_logits(g, rw_const(g, x1), rw_const(g, tb)));
    cr_assert(has(rw_last_error(), "at element 1 is outside [0, 1]"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(t);
    rw_tensor_free(x1);
    rw_tensor_free(tb);
}

/* ---- mse ------------------------------------------------------------------ */

Test(mse, value_and_gradients_match_plain_c)
{
    rw_rng rng = rw_rng_seed(24);
    rw_tensor *p = rwt_uniform(&rng, rw_shape3(2, 2, 3), -2, 2), *t = rwt_uniform(&rng, rw_shape3(2, 2, 3), -2, 2);
    rw_graph *g = rw_graph_new();
    rw_node *pn = rw_var(g, p), *tn = rw_var(g, t);
    rw_node *loss = rw_mse(g, pn, tn);
    double expect = 0;
    for (int i = 0; i < 12; i++)
        expect += ((double)p->data[i] - t->data[i]) * ((double)p->data[i] - t->data[i]);
    rwt_assert_close(rw_scalar(loss), expect / 12, RWT_EPS, "loss");
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    for (int i = 0; i < 12; i++) {
        double d = 2 * ((double)p->data[i] - t->data[i]) / 12;
        rwt_assert_close(rw_node_grad(pn)[i], d, RWT_EPS, "dpred %d", i);
        rwt_assert_close(rw_node_grad(tn)[i], -d, RWT_EPS, "dtarget %d", i);
    }
    rw_graph_free(g);
    rw_tensor_free(p);
    rw_tensor_free(t);
}

Test(mse, errors_name_the_op_and_shapes)
{
    rw_tensor *p = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *t = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    rw_tensor *ti = rw_tensor_new(RW_INT32, rw_shape2(2, 3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_mse(g, rw_const(g, p), rw_const(g, t)));
    cr_assert(has(rw_last_error(), "op 'mse': inputs [2, 3] and [3, 2]") && has(rw_last_error(), "same shape"),
              "%s", rw_last_error());
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert_null(rw_mse(g, rw_const(g, p), rw_const(g, ti)));
    cr_assert(has(rw_last_error(), "op 'mse': inputs [2, 3] and [2, 3] int32"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(p);
    rw_tensor_free(t);
    rw_tensor_free(ti);
}
