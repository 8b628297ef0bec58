/* Layer norm, the norm-stabilizer and the L2 penalty: values against plain
 * C, zero-norm rows, attributes by name, and shape errors. */
#include <stdio.h>
#include <string.h>
#include "rw_test.h"

/* ---- layer_norm --------------------------------------------------------- */

/* Plain C layer norm of one row, in double. gain/bias may be NULL. */
static void ln_row(const rw_real *x, int d, double eps, const rw_real *gain, const rw_real *bias, double *y)
{
    double m = 0, v = 0;
    for (int j = 0; j < d; j++)
        m += x[j];
    m /= d;
    for (int j = 0; j < d; j++)
        v += (x[j] - m) * (x[j] - m);
    v /= d;
    for (int j = 0; j < d; j++)
        y[j] = (gain ? gain[j] : 1) * (x[j] - m) / sqrt(v + eps) + (bias ? bias[j] : 0);
}

Test(layer_norm, matches_plain_c_in_every_variant)
{
    rw_rng rng = rw_rng_seed(5);
    enum { D = 6, ROWS = 6 };
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(2, 3, D), -1, 1);
    for (int r = 0; r < ROWS; r++) /* rows of scales 0.01 .. 1000, with offsets */
        for (int j = 0; j < D; j++)
            x->data[r * D + j] = (rw_real)(pow(10, r - 2) * 0.5 * (x->data[r * D + j] + r));
    rw_tensor *gain = rwt_uniform(&rng, rw_shape1(D), 0.5, 2), *bias = rwt_uniform(&rng, rw_shape1(D), -1, 1);
    rw_graph *g = rw_graph_new();
    for (int variant = 0; variant < 4; variant++) {
        bool with_gain = variant & 1, with_bias = variant & 2;
        rw_node *xn = rw_const(g, x), *gn = rw_const(g, gain), *bn = rw_const(g, bias);
        rw_node *y = with_gain && with_bias ? rw_layer_norm_affine(g, xn, gn, bn)
                     : with_gain           ? rw_layer_norm_gain(g, xn, gn)
                     : with_bias           ? rw_layer_norm_bias(g, xn, bn)
                                           : rw_layer_norm(g, xn);
        cr_assert_not_null(y, "%s", rw_last_error());
        cr_assert(rw_shape_equal(y->value.shape, x->shape));
        for (int r = 0; r < ROWS; r++) {
            double want[D];
            ln_row(x->data + r * D, D, 1e-5, with_gain ? gain->data : NULL, with_bias ? bias->data : NULL, want);
            for (int j = 0; j < D; j++)
                rwt_assert_close(y->value.data[r * D + j], want[j], RWT_EPS * 10,
                                 "variant %d row %d col %d: %g vs %g", variant, r, j,
                                 (double)y->value.data[r * D + j], want[j]);
        }
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(gain);
    rw_tensor_free(bias);
}

Test(layer_norm, constant_row_gives_the_bias)
{
    rw_real xv[8] = { 3, 3, 3, 3, 1, 2, 3, 4 }, bv[4] = { 0.5, -1, 2, 0 };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 4), xv), *b = rw_tensor_from(rw_shape1(4), bv);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *y = rw_layer_norm_bias(g, xn, rw_const(g, b));
    cr_assert_not_null(y, "%s", rw_last_error());
    for (int j = 0; j < 4; j++)
        cr_assert_eq(y->value.data[j], bv[j]);
    cr_assert_eq(rw_backward(g, rw_sum(g, rw_mul(g, y, y))), RW_OK, "%s", rw_last_error());
    for (int i = 0; i < 8; i++)
        cr_assert(isfinite(rw_node_grad(xn)[i]), "gradient %d", i);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(b);
}

/* The affine form requires both nodes: a NULL gain (here from a misspelled
 * parameter name) gives NULL and keeps that lookup's error, where the old
 * NULL-means-none API silently normalized without the gain. */
Test(layer_norm, affine_with_a_null_gain_is_an_error_not_a_missing_gain)
{
    rw_params *P = rw_params_new();
    cr_assert_not_null(rw_params_add(P, "ln.gain", rw_shape1(4)));
    cr_assert_not_null(rw_params_add(P, "ln.bias", rw_shape1(4)));
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 4));
    rw_graph *g = rw_graph_new();
    rw_error_clear();
    rw_param *misspelled = rw_params_get(P, "ln.gian");
    rw_node *gain = misspelled ? rw_param_node(g, misspelled) : NULL;
    cr_assert_null(gain);
    char kept[256];
    snprintf(kept, sizeof kept, "%s", rw_last_error());
    cr_assert(strstr(kept, "ln.gian"), "%s", kept);
    rw_node *bias = rw_param_node(g, rw_params_get(P, "ln.bias"));
    cr_assert_not_null(bias, "%s", rw_last_error());
    int nodes = rw_graph_node_count(g);
    cr_assert_null(rw_layer_norm_affine(g, rw_const(g, x), gain, bias));
    cr_assert_neq(rw_last_status(), RW_OK);
    cr_assert_str_eq(rw_last_error(), kept, "the first error is kept: %s", rw_last_error());
    cr_assert_eq(rw_graph_node_count(g), nodes + 1, "nothing but the constant x went on the tape");

    /* With no earlier error, a NULL gain or bias names the op and the input. */
    rw_error_clear();
    cr_assert_null(rw_layer_norm_affine(g, rw_const(g, x), NULL, bias));
    cr_assert(strstr(rw_last_error(), "'layer_norm'") && strstr(rw_last_error(), "input 1 is NULL"), "%s",
              rw_last_error());
    rw_error_clear();
    cr_assert_null(rw_layer_norm_gain(g, rw_const(g, x), NULL));
    cr_assert(strstr(rw_last_error(), "input 1 is NULL"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_params_free(P);
}

Test(layer_norm, eps_is_an_attribute_settable_by_name)
{
    rw_real xv[4] = { 1, 2, 4, 7 };
    rw_tensor *x = rw_tensor_from(rw_shape1(4), xv);
    const rw_op_def *ln = rw_op_find("layer_norm");
    cr_assert_not_null(ln);
    double attrs[4];
    cr_assert_geq(sizeof attrs, ln->attr_size);
    rw_op_default_attrs(ln, attrs);
    cr_assert_eq(rw_op_set_attr(ln, attrs, "eps", 2.0), RW_OK, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *in = rw_const(g, x);
    rw_node *y = rw_apply(g, ln, &in, 1, attrs);
    cr_assert_not_null(y, "%s", rw_last_error());
    double want[4];
    ln_row(xv, 4, 2.0, NULL, NULL, want);
    for (int j = 0; j < 4; j++)
        rwt_assert_close(y->value.data[j], want[j], RWT_EPS, "col %d", j);
    cr_assert_eq(rw_op_set_attr(ln, attrs, "eps", 0), RW_OK);
    cr_assert_null(rw_apply(g, ln, &in, 1, attrs));
    cr_assert(strstr(rw_last_error(), "'layer_norm'") && strstr(rw_last_error(), "eps"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(layer_norm, shape_errors_name_the_op_and_shapes)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 4)), *v5 = rw_tensor_new(RW_REAL, rw_shape1(5));
    rw_tensor *v4 = rw_tensor_new(RW_REAL, rw_shape1(4)), *m = rw_tensor_new(RW_REAL, rw_shape2(1, 4));
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape2(2, 4));
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_const(g, x);

    cr_assert_null(rw_layer_norm_gain(g, xn, rw_const(g, v5)));
    const char *e = rw_last_error();
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert(strstr(e, "'layer_norm'") && strstr(e, "[2, 4]") && strstr(e, "[5]") && strstr(e, "gain"), "%s", e);

    cr_assert_null(rw_layer_norm_affine(g, xn, rw_const(g, v4), rw_const(g, m)));
    e = rw_last_error();
    cr_assert(strstr(e, "'layer_norm'") && strstr(e, "[1, 4]") && strstr(e, "bias"), "%s", e);

    cr_assert_null(rw_layer_norm_bias(g, xn, rw_const(g, v5)));
    cr_assert(strstr(rw_last_error(), "bias (input 1)") != NULL, "%s", rw_last_error());

    cr_assert_null(rw_layer_norm(g, rw_const(g, ids)));
    cr_assert(strstr(rw_last_error(), "'layer_norm'") && strstr(rw_last_error(), "int32"), "%s", rw_last_error());

    rw_node *four[4] = { xn, rw_const(g, v4), rw_const(g, v4), rw_const(g, v4) };
    cr_assert_null(rw_apply_named(g, "layer_norm", four, 4, NULL));
    cr_assert(strstr(rw_last_error(), "1 to 3 inputs") != NULL, "%s", rw_last_error());

    const rw_op_def *ln = rw_op_find("layer_norm");
    double attrs[4];
    rw_op_default_attrs(ln, attrs);
    rw_op_set_attr(ln, attrs, "no_gain", 1);
    cr_assert_null(rw_apply(g, ln, four, 3, attrs));
    cr_assert(strstr(rw_last_error(), "no_gain") != NULL, "%s", rw_last_error());

    /* A NULL x keeps the earlier message. */
    cr_assert_null(rw_layer_norm(g, NULL));
    cr_assert(strstr(rw_last_error(), "no_gain") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(v5);
    rw_tensor_free(v4);
    rw_tensor_free(m);
    rw_tensor_free(ids);
}

/* ---- norm_stabilizer --------------------------------------------------- */

static double plain_stabilizer(rw_tensor *const *h, int n, double beta)
{
    int rows = h[0]->shape.dim[0], cols = h[0]->shape.dim[1];
    double total = 0;
    for (int t = 1; t < n; t++)
        for (int b = 0; b < rows; b++) {
            double a = 0, c = 0;
            for (int j = 0; j < cols; j++) {
                a += (double)h[t]->data[b * cols + j] * h[t]->data[b * cols + j];
                c += (double)h[t - 1]->data[b * cols + j] * h[t - 1]->data[b * cols + j];
            }
            total += (sqrt(a) - sqrt(c)) * (sqrt(a) - sqrt(c));
        }
    return beta / n * total / rows;
}

Test(norm_stabilizer, matches_plain_c_for_2_and_5_states)
{
    rw_rng rng = rw_rng_seed(8);
    rw_tensor *h[5];
    for (int t = 0; t < 5; t++)
        h[t] = rwt_uniform(&rng, rw_shape2(3, 7), -2, 2);
    rw_graph *g = rw_graph_new();
    rw_node *hn[5];
    for (int t = 0; t < 5; t++)
        hn[t] = rw_const(g, h[t]);
    for (int n = 2; n <= 5; n += 3) {
        rw_node *y = rw_norm_stabilizer(g, hn, n, 3.0);
        cr_assert_not_null(y, "%s", rw_last_error());
        cr_assert_eq(y->value.shape.ndim, 0);
        double want = plain_stabilizer(h, n, 3.0);
        rwt_assert_close(rw_scalar(y), want, RWT_EPS, "n = %d: %g vs %g", n, (double)rw_scalar(y), want);
    }
    for (int t = 0; t < 5; t++)
        rw_tensor_free(h[t]);
    rw_graph_free(g);
}

Test(norm_stabilizer, zero_norm_row_gives_no_nan)
{
    rw_real a[6] = { 0, 0, 0, 1, 2, 2 }, b[6] = { 3, 4, 0, 0, 0, 0 }, c[6] = { 0, 0, 0, 0, 0, 0 };
    rw_tensor *h[3] = { rw_tensor_from(rw_shape2(2, 3), a), rw_tensor_from(rw_shape2(2, 3), b),
                        rw_tensor_from(rw_shape2(2, 3), c) };
    rw_graph *g = rw_graph_new();
    rw_node *hn[3];
    for (int t = 0; t < 3; t++)
        hn[t] = rw_var(g, h[t]);
    rw_node *y = rw_norm_stabilizer(g, hn, 3, 1.0);
    cr_assert_not_null(y, "%s", rw_last_error());
    /* row 0 norms 0, 5, 0; row 1 norms 3, 0, 0: (25 + 25 + 9) / 2 / 3 */
    rwt_assert_close(rw_scalar(y), 59.0 / 6, RWT_EPS, "value %g", (double)rw_scalar(y));
    cr_assert_eq(rw_backward(g, y), RW_OK, "%s", rw_last_error());
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 6; i++)
            cr_assert(isfinite(rw_node_grad(hn[t])[i]), "state %d element %d", t, i);
    /* h_1 row 0 = (3, 4, 0), norm 5: dL/dN = 2/(3*2) * (5 - (0 - 5)) = 10/3, times h/5 */
    rwt_assert_close(rw_node_grad(hn[1])[0], 10.0 / 3 * 3 / 5, RWT_EPS, "got %g", (double)rw_node_grad(hn[1])[0]);
    cr_assert_eq(rw_node_grad(hn[0])[0], 0);
    cr_assert_eq(rw_node_grad(hn[2])[5], 0);
    for (int t = 0; t < 3; t++)
        rw_tensor_free(h[t]);
    rw_graph_free(g);
}

Test(norm_stabilizer, errors_name_the_op_and_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 4)), *b = rw_tensor_new(RW_REAL, rw_shape2(2, 5));
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape2(2, 4)), *s = rw_tensor_new(RW_REAL, rw_shape_scalar());
    rw_graph *g = rw_graph_new();
    rw_node *in[3] = { rw_const(g, a), rw_const(g, a), rw_const(g, b) };
    cr_assert_null(rw_norm_stabilizer(g, in, 3, 1));
    const char *e = rw_last_error();
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert(strstr(e, "'norm_stabilizer'") && strstr(e, "[2, 4]") && strstr(e, "[2, 5]") && strstr(e, "state 2"),
              "%s", e);
    cr_assert_null(rw_norm_stabilizer(g, in, 1, 1));
    cr_assert(strstr(rw_last_error(), "'norm_stabilizer'") && strstr(rw_last_error(), "at least 2"), "%s",
              rw_last_error());
    cr_assert_null(rw_norm_stabilizer(g, in, 2, -1));
    cr_assert(strstr(rw_last_error(), "beta") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_norm_stabilizer(g, in, 2, NAN));
    cr_assert(strstr(rw_last_error(), "beta") != NULL, "%s", rw_last_error());
    rw_node *mixed[2] = { rw_const(g, a), rw_const(g, ids) };
    cr_assert_null(rw_norm_stabilizer(g, mixed, 2, 1));
    cr_assert(strstr(rw_last_error(), "int32") != NULL, "%s", rw_last_error());
    rw_node *scalars[2] = { rw_const(g, s), rw_const(g, s) };
    cr_assert_null(rw_norm_stabilizer(g, scalars, 2, 1));
    cr_assert(strstr(rw_last_error(), "scalars") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_norm_stabilizer(g, NULL, 2, 1));
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(ids);
    rw_tensor_free(s);
}

Test(norm_stabilizer, beta_defaults_to_one_by_name)
{
    rw_real a[2] = { 3, 4 }, b[2] = { 0, 1 };
    rw_tensor *ta = rw_tensor_from(rw_shape2(1, 2), a), *tb = rw_tensor_from(rw_shape2(1, 2), b);
    rw_graph *g = rw_graph_new();
    rw_node *in[2] = { rw_const(g, ta), rw_const(g, tb) };
    rw_node *y = rw_apply_named(g, "norm_stabilizer", in, 2, NULL);
    cr_assert_not_null(y, "%s", rw_last_error());
    rwt_assert_close(rw_scalar(y), 16.0 / 2, RWT_EPS, "value %g", (double)rw_scalar(y));
    rw_graph_free(g);
    rw_tensor_free(ta);
    rw_tensor_free(tb);
}

/* ---- l2_penalty ---------------------------------------------------------- */

Test(l2_penalty, sum_of_squares_and_of_differences)
{
    rw_rng rng = rw_rng_seed(9);
    rw_tensor *a = rwt_uniform(&rng, rw_shape3(2, 3, 4), -2, 2), *b = rwt_uniform(&rng, rw_shape3(2, 3, 4), -2, 2);
    rw_graph *g = rw_graph_new();
    rw_node *an = rw_var(g, a), *bn = rw_const(g, b);
    rw_node *y = rw_l2_penalty(g, an), *yd = rw_l2_penalty(g, rw_sub(g, an, bn));
    cr_assert_not_null(yd, "%s", rw_last_error());
    double s = 0, sd = 0;
    for (size_t i = 0; i < a->size; i++) {
        s += (double)a->data[i] * a->data[i];
        sd += ((double)a->data[i] - b->data[i]) * ((double)a->data[i] - b->data[i]);
    }
    rwt_assert_close(rw_scalar(y), s, RWT_EPS, "%g vs %g", (double)rw_scalar(y), s);
    rwt_assert_close(rw_scalar(yd), sd, RWT_EPS, "%g vs %g", (double)rw_scalar(yd), sd);
    cr_assert_eq(rw_backward(g, rw_add(g, y, yd)), RW_OK, "%s", rw_last_error());
    for (size_t i = 0; i < a->size; i++)
        rwt_assert_close(rw_node_grad(an)[i], 2.0 * a->data[i] + 2.0 * (a->data[i] - b->data[i]), RWT_EPS,
                         "element %zu", i);
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(l2_penalty, int_input_names_the_op_and_shape)
{
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape2(3, 2));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_l2_penalty(g, rw_const(g, ids)));
    const char *e = rw_last_error();
    cr_assert(strstr(e, "'l2_penalty'") && strstr(e, "[3, 2] int32"), "%s", e);
    rw_graph_free(g);
    rw_tensor_free(ids);
}
