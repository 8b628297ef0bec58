/* Elementwise math, reductions and softmax against plain C: values,
 * gradients, stability for large logits, and error messages. */
#include <string.h>
#include "rw_test.h"

#define has(msg, s) (strstr((msg), (s)) != NULL)

/* ---- elementwise math ---------------------------------------------------- */

typedef struct unary_case {
    const char *name;
    rw_node *(*build)(rw_graph *g, rw_node *x);
    double (*f)(double x);
    double (*df)(double x);
    double lo, hi;
} unary_case;

static rw_node *u_neg(rw_graph *g, rw_node *x) { return rw_neg(g, x); }
static rw_node *u_scale(rw_graph *g, rw_node *x) { return rw_scale(g, x, -2.5); }
static rw_node *u_add_scalar(rw_graph *g, rw_node *x) { return rw_add_scalar(g, x, 3); }
static rw_node *u_pow(rw_graph *g, rw_node *x) { return rw_pow(g, x, 2.5); }
static rw_node *u_leaky(rw_graph *g, rw_node *x) { return rw_leaky_relu(g, x, 0.2); }
static rw_node *u_clamp(rw_graph *g, rw_node *x) { return rw_clamp(g, x, -1, 0.5); }

static double neg1(double x) { return -x; }
static double dneg1(double x) { (void)x; return -1; }
static double scale1(double x) { return -2.5 * x; }
static double dscale1(double x) { (void)x; return -2.5; }
static double add3(double x) { return x + 3; }
static double one1(double x) { (void)x; return 1; }
static double dlog1(double x) { return 1 / x; }
static double dsqrt1(double x) { return 0.5 / sqrt(x); }
static double dabs1(double x) { return x > 0 ? 1 : -1; }
static double pow1(double x) { return pow(x, 2.5); }
static double dpow1(double x) { return 2.5 * pow(x, 1.5); }
static double leaky1(double x) { return x > 0 ? x : 0.2 * x; }
static double dleaky1(double x) { return x > 0 ? 1 : 0.2; }
static double softplus1(double x) { return log(1 + exp(x)); }
static double dsoftplus1(double x) { return 1 / (1 + exp(-x)); }
static double clamp1(double x) { return x < -1 ? -1 : (x > 0.5 ? 0.5 : x); }
static double dclamp1(double x) { return x > -1 && x < 0.5 ? 1 : 0; }

static const unary_case unary_cases[] = {
    { "neg", u_neg, neg1, dneg1, -3, 3 },
    { "scale", u_scale, scale1, dscale1, -3, 3 },
    { "add_scalar", u_add_scalar, add3, one1, -3, 3 },
    { "exp", rw_exp, exp, exp, -3, 3 },
    { "log", rw_log, log, dlog1, 0.1, 5 },
    { "sqrt", rw_sqrt, sqrt, dsqrt1, 0.1, 5 },
    { "abs", rw_abs, fabs, dabs1, -3, 3 },
    { "pow", u_pow, pow1, dpow1, 0.1, 3 },
    { "leaky_relu", u_leaky, leaky1, dleaky1, -3, 3 },
    { "softplus", rw_softplus, softplus1, dsoftplus1, -8, 8 },
    { "clamp", u_clamp, clamp1, dclamp1, -2, 2 },
};

Test(elementwise_math, unary_values_and_gradients_match_plain_c)
{
    rw_rng rng = rw_rng_seed(5);
    for (size_t k = 0; k < sizeof unary_cases / sizeof unary_cases[0]; k++) {
        const unary_case *c = &unary_cases[k];
        rw_tensor *x = rwt_uniform_away(&rng, rw_shape2(3, 7), c->lo, c->hi, 0.01);
        rw_graph *g = rw_graph_new();
        rw_node *xn = rw_var(g, x), *y = c->build(g, xn);
        cr_assert_not_null(y, "%s: %s", c->name, rw_last_error());
        cr_assert_str_eq(y->op->name, c->name);
        cr_assert(rw_shape_equal(y->value.shape, x->shape), "%s keeps the shape", c->name);
        cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK, "%s: %s", c->name, rw_last_error());
        for (size_t i = 0; i < x->size; i++) {
            double xi = x->data[i];
            rwt_assert_close(y->value.data[i], c->f(xi), RWT_EPS * 10, "%s(%g)", c->name, xi);
            rwt_assert_close(rw_node_grad(xn)[i], c->df(xi), RWT_EPS * 10, "%s'(%g)", c->name, xi);
        }
        rw_graph_free(g);
        rw_tensor_free(x);
    }
}

/* [T, B, H] / [B, H] and [H] / [B, H]: values, and gradients summed over repeats. */
Test(elementwise_math, div_broadcasts_both_ways)
{
    rw_rng rng = rw_rng_seed(6);
    rw_tensor *big = rwt_uniform_away(&rng, rw_shape3(4, 2, 3), -2, 2, 0.3);
    rw_tensor *small = rwt_uniform_away(&rng, rw_shape2(2, 3), -2, 2, 0.3);
    for (int small_first = 0; small_first < 2; small_first++) {
        rw_graph *g = rw_graph_new();
        rw_node *bn = rw_var(g, big), *sn = rw_var(g, small);
        rw_node *y = small_first ? rw_div(g, sn, bn) : rw_div(g, bn, sn);
        cr_assert_not_null(y, "%s", rw_last_error());
        cr_assert(rw_shape_equal(y->value.shape, big->shape));
        cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK);
        double gs[6] = { 0 };
        for (size_t i = 0; i < big->size; i++) {
            double b = big->data[i], s = small->data[i % 6];
            double num = small_first ? s : b, den = small_first ? b : s;
            rwt_assert_close(y->value.data[i], num / den, RWT_EPS * 10, "element %zu", i);
            double dnum = 1 / den, dden = -num / (den * den);
            rwt_assert_close(rw_node_grad(bn)[i], small_first ? dden : dnum, RWT_EPS * 10, "d big %zu", i);
            gs[i % 6] += small_first ? dnum : dden;
        }
        for (int j = 0; j < 6; j++)
            rwt_assert_close(rw_node_grad(sn)[j], gs[j], RWT_EPS * 100, "d small %d", j);
        rw_graph_free(g);
    }
    rw_tensor_free(big);
    rw_tensor_free(small);
}

Test(elementwise_math, softplus_is_stable_for_magnitude_1e4)
{
    rw_real v[4] = { 1e4, -1e4, 0, 30 };
    rw_tensor *x = rw_tensor_from(rw_shape1(4), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *y = rw_softplus(g, xn);
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK);
    double expect[4] = { 1e4, 0, log(2.0), 30 + log1p(exp(-30.0)) }, dexpect[4] = { 1, 0, 0.5, 1 };
    for (int i = 0; i < 4; i++) {
        cr_assert(isfinite(y->value.data[i]) && isfinite(rw_node_grad(xn)[i]), "element %d", i);
        rwt_assert_close(y->value.data[i], expect[i], RWT_EPS, "softplus(%g)", (double)v[i]);
        rwt_assert_close(rw_node_grad(xn)[i], dexpect[i], RWT_EPS, "softplus'(%g)", (double)v[i]);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* At the bounds exactly, clamp passes no gradient; lo == hi is allowed. */
Test(elementwise_math, clamp_gradient_only_strictly_inside)
{
    rw_real v[5] = { -1, -0.5, 0.5, 2, -3 };
    rw_tensor *x = rw_tensor_from(rw_shape1(5), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *y = rw_clamp(g, xn, -1, 0.5);
    rw_node *flat = rw_clamp(g, xn, 0.25, 0.25);
    cr_assert_not_null(flat, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, rw_add(g, rw_sum(g, y), rw_sum(g, flat))), RW_OK);
    rw_real expect[5] = { -1, -0.5, 0.5, 0.5, -1 }, dexpect[5] = { 0, 1, 0, 0, 0 };
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(y->value.data[i], expect[i], "clamp(%g)", (double)v[i]);
        cr_assert_eq(flat->value.data[i], (rw_real)0.25);
        cr_assert_eq(rw_node_grad(xn)[i], dexpect[i], "gradient at %g", (double)v[i]);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(elementwise_math, attributes_by_name_and_defaults)
{
    const rw_op_def *def = rw_op_find("leaky_relu");
    cr_assert_not_null(def);
    rw_real v[2] = { -2, 3 };
    rw_tensor *x = rw_tensor_from(rw_shape1(2), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_const(g, x);
    rw_node *y = rw_apply_named(g, "leaky_relu", &xn, 1, NULL); /* default slope 0.01 */
    rwt_assert_close(y->value.data[0], -0.02, RWT_EPS, "default slope");
    double at[1];
    rw_op_default_attrs(def, at);
    cr_assert_eq(rw_op_set_attr(def, at, "slope", 0.5), RW_OK);
    y = rw_apply_named(g, "leaky_relu", &xn, 1, at);
    rwt_assert_close(y->value.data[0], -1, RWT_EPS, "slope 0.5");
    cr_assert_eq(y->value.data[1], 3);
    double cl[2];
    rw_op_default_attrs(rw_op_find("clamp"), cl);
    cr_assert_eq(rw_op_set_attr(rw_op_find("clamp"), cl, "hi", 2.5), RW_OK);
    y = rw_apply_named(g, "clamp", &xn, 1, cl);
    cr_assert_eq(y->value.data[0], -1);
    cr_assert_eq(y->value.data[1], (rw_real)2.5);
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(elementwise_math, errors_name_the_op_and_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape1(4));
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape1(3));
    rw_graph *g = rw_graph_new();
    rw_node *an = rw_const(g, a), *bn = rw_const(g, b);
    cr_assert_null(rw_div(g, an, bn));
    cr_assert(has(rw_last_error(), "op 'div'") && has(rw_last_error(), "[2, 3] and [4]"), "%s", rw_last_error());
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert_null(rw_clamp(g, an, 1, 0));
    cr_assert(has(rw_last_error(), "op 'clamp': input [2, 3]") && has(rw_last_error(), "lo (1) must not exceed hi (0)"),
              "%s", rw_last_error());
    cr_assert_null(rw_clamp(g, an, NAN, 0));
    cr_assert(has(rw_last_error(), "'clamp'"), "%s", rw_last_error());
    cr_assert_null(rw_pow(g, an, NAN));
    cr_assert(has(rw_last_error(), "op 'pow': input [2, 3]") && has(rw_last_error(), "'exponent'"), "%s",
              rw_last_error());
    cr_assert_null(rw_scale(g, an, INFINITY));
    cr_assert(has(rw_last_error(), "op 'scale'") && has(rw_last_error(), "'factor'"), "%s", rw_last_error());
    cr_assert_null(rw_exp(g, rw_const(g, ids)));
    cr_assert(has(rw_last_error(), "op 'exp': input [3] int32") && has(rw_last_error(), "real"), "%s",
              rw_last_error());
    /* A NULL input keeps the first message. */
    cr_assert_null(rw_div(g, an, bn));
    cr_assert_null(rw_log(g, rw_softplus(g, rw_div(g, an, bn))));
    cr_assert(has(rw_last_error(), "op 'div'"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(ids);
}

/* ---- reductions ----------------------------------------------------------- */

/* Plain C reduction of x [2, 3, 4] along `axis` (0..2): 0 sum, 1 mean, 2 max. */
static double reduce_ref(const rw_tensor *x, int axis, int kind, int o, int i, int *arg)
{
    int dims[3] = { 2, 3, 4 }, len = dims[axis];
    double s = 0, m = -INFINITY;
    for (int k = 0; k < len; k++) {
        int idx[3];
        int out_axes[2], q = 0;
        for (int d = 0; d < 3; d++)
            if (d != axis)
                out_axes[q++] = d;
        idx[axis] = k;
        idx[out_axes[0]] = o;
        idx[out_axes[1]] = i;
        double v = x->data[(idx[0] * 3 + idx[1]) * 4 + idx[2]];
        s += v;
        if (v > m) {
            m = v;
            *arg = (idx[0] * 3 + idx[1]) * 4 + idx[2];
        }
    }
    return kind == 0 ? s : kind == 1 ? s / len : m;
}

Test(reduce, axis_reductions_match_plain_c_for_every_axis)
{
    rw_rng rng = rw_rng_seed(8);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(2, 3, 4), -2, 2);
    int dims[3] = { 2, 3, 4 };
    for (int axis = -3; axis < 3; axis++)
        for (int kind = 0; kind < 3; kind++) {
            int a = axis < 0 ? axis + 3 : axis;
            rw_graph *g = rw_graph_new();
            rw_node *xn = rw_var(g, x);
            rw_node *y = kind == 0 ? rw_sum_axis(g, xn, axis)
                       : kind == 1 ? rw_mean_axis(g, xn, axis) : rw_max_axis(g, xn, axis);
            cr_assert_not_null(y, "%s", rw_last_error());
            cr_assert_eq(y->value.shape.ndim, 2);
            int d0 = a == 0 ? dims[1] : dims[0], d1 = a == 2 ? dims[1] : dims[2];
            cr_assert(y->value.shape.dim[0] == d0 && y->value.shape.dim[1] == d1, "axis %d shape", axis);
            cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK);
            double expect_grad[24] = { 0 };
            for (int o = 0; o < d0; o++)
                for (int i = 0; i < d1; i++) {
                    int arg = -1;
                    double r = reduce_ref(x, a, kind, o, i, &arg);
                    rwt_assert_close(y->value.data[o * d1 + i], r, RWT_EPS * 10, "kind %d axis %d (%d, %d)",
                                     kind, axis, o, i);
                    if (kind == 2)
                        expect_grad[arg] += 1;
                }
            for (int k = 0; k < 24; k++) {
                double e = kind == 0 ? 1 : kind == 1 ? 1.0 / dims[a] : expect_grad[k];
                rwt_assert_close(rw_node_grad(xn)[k], e, RWT_EPS, "kind %d axis %d grad %d", kind, axis, k);
            }
            rw_graph_free(g);
        }
    rw_tensor_free(x);
}

Test(reduce, max_gradient_goes_to_the_first_of_ties)
{
    rw_real v[6] = { 1, 5, 5, 7, 7, 2 };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 3), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *all = rw_max(g, xn), *rows = rw_max_axis(g, xn, -1), *cols = rw_max_axis(g, xn, 0);
    cr_assert_eq(rw_scalar(all), 7);
    cr_assert(rows->value.data[0] == 5 && rows->value.data[1] == 7);
    cr_assert(cols->value.data[0] == 7 && cols->value.data[1] == 7 && cols->value.data[2] == 5);
    rw_node *loss = rw_add(g, rw_scale(g, all, 100), rw_add(g, rw_sum(g, rows), rw_scale(g, rw_sum(g, cols), 10)));
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    /* max: the first 7 (element 3); row maxima: the first 5 (element 1) and the first 7 (3);
     * column maxima: elements 3, 4 and 2 */
    rw_real expect[6] = { 0, 1, 10, 100 + 1 + 10, 10, 0 };
    for (int i = 0; i < 6; i++)
        cr_assert_eq(rw_node_grad(xn)[i], expect[i], "element %d: %g", i, (double)rw_node_grad(xn)[i]);
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(reduce, l2_norm_values_and_zero_rows)
{
    rw_real v[12] = { 3, 4, 0, 0, 0, 0, 0, 0, 1, -2, 2, 4 };
    rw_tensor *x = rw_tensor_from(rw_shape3(3, 1, 4), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *y = rw_l2_norm(g, xn);
    cr_assert(rw_shape_equal(y->value.shape, rw_shape2(3, 1)));
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK);
    rwt_assert_close(y->value.data[0], 5, RWT_EPS, "norm 0");
    cr_assert_eq(y->value.data[1], 0, "a zero row has norm 0");
    rwt_assert_close(y->value.data[2], 5, RWT_EPS, "norm 2");
    for (int j = 0; j < 4; j++) {
        cr_assert_eq(rw_node_grad(xn)[4 + j], 0, "a zero row has gradient 0, not NaN");
        rwt_assert_close(rw_node_grad(xn)[j], v[j] / 5.0, RWT_EPS, "grad row 0");
        rwt_assert_close(rw_node_grad(xn)[8 + j], v[8 + j] / 5.0, RWT_EPS, "grad row 2");
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* Squares of these would overflow or underflow rw_real (naively, double). */
#ifdef RW_DOUBLE
#define BIG 1e300
#define TINY 1e-300
#else
#define BIG 1e30
#define TINY 1e-30
#endif

Test(reduce, l2_norm_neither_overflows_nor_underflows)
{
    rw_real v[4] = { 3 * BIG, 4 * BIG, 3 * TINY, 4 * TINY };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 2), v), *x1 = rw_tensor_from(rw_shape1(2), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *y = rw_l2_norm(g, xn), *s = rw_l2_norm(g, rw_const(g, x1));
    cr_assert_eq(s->value.shape.ndim, 0, "a 1-D input gives a scalar");
    rwt_assert_close(rw_scalar(s) / (5 * BIG), 1, RWT_EPS, "big: %g", (double)rw_scalar(s));
    rwt_assert_close(y->value.data[1] / (5 * TINY), 1, RWT_EPS, "tiny: %g", (double)y->value.data[1]);
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK);
    double expect[4] = { 0.6, 0.8, 0.6, 0.8 }; /* x / |x| */
    for (int i = 0; i < 4; i++) {
        cr_assert(isfinite(rw_node_grad(xn)[i]), "gradient %d", i);
        rwt_assert_close(rw_node_grad(xn)[i], expect[i], RWT_EPS, "gradient %d: %g", i, (double)rw_node_grad(xn)[i]);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(x1);
}

Test(reduce, errors_name_the_op_shape_and_axis)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape3(2, 3, 4)), *s = rw_tensor_new(RW_REAL, rw_shape_scalar());
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_const(g, x), *sn = rw_const(g, s);
    cr_assert_null(rw_sum_axis(g, xn, 3));
    cr_assert(has(rw_last_error(), "op 'sum_axis': input [2, 3, 4]") && has(rw_last_error(), "axis 3"), "%s",
              rw_last_error());
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert_null(rw_mean_axis(g, xn, -4));
    cr_assert(has(rw_last_error(), "op 'mean_axis': input [2, 3, 4]") && has(rw_last_error(), "axis -4"), "%s",
              rw_last_error());
    cr_assert_null(rw_max_axis(g, sn, 0));
    cr_assert(has(rw_last_error(), "op 'max_axis': input []") && has(rw_last_error(), "axis 0"), "%s",
              rw_last_error());
    cr_assert_null(rw_l2_norm(g, sn));
    cr_assert(has(rw_last_error(), "op 'l2_norm': input []"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(s);
}

/* ---- softmax ----------------------------------------------------------- */

Test(softmax, values_match_plain_c)
{
    rw_rng rng = rw_rng_seed(9);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(2, 3, 5), -4, 4);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_const(g, x), *p = rw_softmax(g, xn), *lp = rw_log_softmax(g, xn);
    cr_assert(rw_shape_equal(p->value.shape, x->shape) && rw_shape_equal(lp->value.shape, x->shape));
    for (int r = 0; r < 6; r++) {
        double z = 0, total = 0;
        for (int j = 0; j < 5; j++)
            z += exp((double)x->data[r * 5 + j]);
        for (int j = 0; j < 5; j++) {
            double xv = x->data[r * 5 + j];
            rwt_assert_close(p->value.data[r * 5 + j], exp(xv) / z, RWT_EPS, "softmax (%d, %d)", r, j);
            rwt_assert_close(lp->value.data[r * 5 + j], xv - log(z), RWT_EPS * 10, "log_softmax (%d, %d)", r, j);
            total += p->value.data[r * 5 + j];
        }
        rwt_assert_close(total, 1, RWT_EPS, "row %d sums to 1", r);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* Weighted sums of both outputs: gradients against the closed forms. */
Test(softmax, gradients_match_plain_c)
{
    rw_real v[3] = { 0.5, -1, 2 }, w[3] = { 1, -2, 0.5 };
    rw_tensor *x = rw_tensor_from(rw_shape1(3), v), *wt = rw_tensor_from(rw_shape1(3), w);
    for (int log_form = 0; log_form < 2; log_form++) {
        rw_graph *g = rw_graph_new();
        rw_node *xn = rw_var(g, x);
        rw_node *y = log_form ? rw_log_softmax(g, xn) : rw_softmax(g, xn);
        cr_assert_eq(rw_backward(g, rw_sum(g, rw_mul(g, y, rw_const(g, wt)))), RW_OK);
        double z = exp(0.5) + exp(-1.0) + exp(2.0), p[3], dot = 0, wsum = 0;
        for (int j = 0; j < 3; j++) {
            p[j] = exp((double)v[j]) / z;
            dot += w[j] * p[j];
            wsum += w[j];
        }
        for (int j = 0; j < 3; j++) {
            double e = log_form ? w[j] - p[j] * wsum : p[j] * (w[j] - dot);
            rwt_assert_close(rw_node_grad(xn)[j], e, RWT_EPS, "log %d, element %d", log_form, j);
        }
        rw_graph_free(g);
    }
    rw_tensor_free(x);
    rw_tensor_free(wt);
}

Test(softmax, stable_for_logits_of_magnitude_1e4)
{
    rw_real v[6] = { 1e4, -1e4, 0, -1e4, 1e4, 1e4 - 1 };
    rw_real w[6] = { 1, 2, 3, -1, 0.5, 2 };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 3), v), *wt = rw_tensor_from(rw_shape2(2, 3), w);
    double e1 = exp(-1.0);
    double p_expect[6] = { 1, 0, 0, 0, 1 / (1 + e1), e1 / (1 + e1) };
    double lp_expect[6] = { 0, -2e4, -1e4, -2e4 - log1p(e1), -log1p(e1), -1 - log1p(e1) };
    for (int log_form = 0; log_form < 2; log_form++) {
        rw_graph *g = rw_graph_new();
        rw_node *xn = rw_var(g, x);
        rw_node *y = log_form ? rw_log_softmax(g, xn) : rw_softmax(g, xn);
        cr_assert_eq(rw_backward(g, rw_sum(g, rw_mul(g, y, rw_const(g, wt)))), RW_OK);
        for (int i = 0; i < 6; i++) {
            cr_assert(isfinite(y->value.data[i]), "log %d value %d", log_form, i);
            cr_assert(isfinite(rw_node_grad(xn)[i]), "log %d gradient %d", log_form, i);
            rwt_assert_close(y->value.data[i], log_form ? lp_expect[i] : p_expect[i], RWT_EPS,
                             "log %d value %d: %g", log_form, i, (double)y->value.data[i]);
        }
        rw_graph_free(g);
    }
    rw_tensor_free(x);
    rw_tensor_free(wt);
}

Test(softmax, errors_name_the_op_and_shape)
{
    rw_tensor *s = rw_tensor_new(RW_REAL, rw_shape_scalar()), *ids = rw_tensor_new(RW_INT32, rw_shape2(2, 3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_softmax(g, rw_const(g, s)));
    cr_assert(has(rw_last_error(), "op 'softmax': input []") && has(rw_last_error(), "last axis"), "%s",
              rw_last_error());
    cr_assert_null(rw_log_softmax(g, rw_const(g, ids)));
    cr_assert(has(rw_last_error(), "op 'log_softmax': input [2, 3] int32"), "%s", rw_last_error());
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    rw_graph_free(g);
    rw_tensor_free(s);
    rw_tensor_free(ids);
}
