/* Gradient cases: elementwise math (div with broadcasting, unary functions
 * with their attributes), with inputs kept away from kinks and poles. */
#include "rw_test.h"

/* Resamples elements closer than `gap` to either bound (clamp's kinks). */
static void keep_away_from(rw_rng *r, rw_tensor *t, double k1, double k2, double lo, double hi, double gap)
{
    for (size_t i = 0; i < t->size; i++)
        while (fabs((double)t->data[i] - k1) < gap || fabs((double)t->data[i] - k2) < gap)
            t->data[i] = (rw_real)(lo + (hi - lo) * rw_rng_uniform(r));
}

static void div_same(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape2(3, 4), -2, 2, 0.5);
    d->n = 2;
}
static void div_row(rw_rng *r, rwt_grad_data *d) /* [B, H] / [H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(5, 3), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape1(3), -2, 2, 0.5);
    d->n = 2;
}
static void div_small_first(rw_rng *r, rwt_grad_data *d) /* [B, H] / [T, B, H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(2, 3), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape3(4, 2, 3), -2, 2, 0.5);
    d->n = 2;
}
static void signed3d(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform_away(r, rw_shape3(2, 3, 4), -3, 3, 0.1);
    d->n = 1;
}
static void positive(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), 0.5, 3);
    d->n = 1;
}
static void small_range(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), -2, 2);
    d->n = 1;
}
static void clamp_in(rw_rng *r, rwt_grad_data *d) /* lo = -1, hi = 0.5 */
{
    d->in[0] = rwt_uniform(r, rw_shape2(5, 6), -2, 2);
    keep_away_from(r, d->in[0], -1, 0.5, -2, 2, 0.1);
    d->n = 1;
}

#define BUILDER(fname, expr)                                                  \
    static rw_node *fname(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) \
    {                                                                              \
        (void)d;                                                                   \
        return expr;                                                               \
    }

BUILDER(b_div, rw_div(g, in[0], in[1]))
BUILDER(b_div_self, rw_div(g, in[0], rw_add_scalar(g, rw_abs(g, in[0]), 1)))
BUILDER(b_neg, rw_neg(g, in[0]))
BUILDER(b_scale, rw_scale(g, in[0], -2.5))
BUILDER(b_add_scalar, rw_add_scalar(g, in[0], 3))
BUILDER(b_exp, rw_exp(g, in[0]))
BUILDER(b_log, rw_log(g, in[0]))
BUILDER(b_sqrt, rw_sqrt(g, in[0]))
BUILDER(b_abs, rw_abs(g, in[0]))
BUILDER(b_pow_half, rw_pow(g, in[0], 2.5))
BUILDER(b_pow_cube, rw_pow(g, in[0], 3))
BUILDER(b_pow_inv, rw_pow(g, in[0], -1.5))
BUILDER(b_pow_zero, rw_pow(g, in[0], 0))
BUILDER(b_leaky, rw_leaky_relu(g, in[0], 0.2))
BUILDER(b_leaky_default, rw_apply_named(g, "leaky_relu", in, 1, NULL))
BUILDER(b_softplus, rw_softplus(g, in[0]))
BUILDER(b_clamp, rw_clamp(g, in[0], -1, 0.5))

static void wide(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), -6, 6);
    d->n = 1;
}

RWT_GRAD_CASES(elementwise_math,
    { "div", "same shapes", div_same, b_div, 0 },
    { "div", "divisor row broadcast", div_row, b_div, 0 },
    { "div", "smaller dividend", div_small_first, b_div, 0 },
    { "div", "one node as dividend and divisor", signed3d, b_div_self, 0 },
    { "neg", "3-D", signed3d, b_neg, 0 },
    { "scale", "factor -2.5", signed3d, b_scale, 0 },
    { "add_scalar", "c = 3", signed3d, b_add_scalar, 0 },
    { "exp", "[-2, 2]", small_range, b_exp, 0 },
    { "log", "positive", positive, b_log, 0 },
    { "sqrt", "positive", positive, b_sqrt, 0 },
    { "abs", "away from 0", signed3d, b_abs, 0 },
    { "pow", "exponent 2.5, positive x", positive, b_pow_half, 0 },
    { "pow", "exponent 3, signed x", signed3d, b_pow_cube, 0 },
    { "pow", "exponent -1.5", positive, b_pow_inv, 0 },
    { "pow", "exponent 0", signed3d, b_pow_zero, 0 },
    { "leaky_relu", "slope 0.2, away from 0", signed3d, b_leaky, 0 },
    { "leaky_relu", "default slope, by name", signed3d, b_leaky_default, 0 },
    { "softplus", "[-6, 6]", wide, b_softplus, 0 },
    { "clamp", "[-1, 0.5], away from the bounds", clamp_in, b_clamp, 0 })
