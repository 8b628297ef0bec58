/* Gradient cases: elementwise functions of one tensor (activations and
 * math functions with their attributes), with inputs kept away from kinks
 * and poles. */
#include "rw_test.h"

/* Resamples elements closer than `gap` to either bound (clamp's kinks). */
static void keep_away_from(rw_rng *r, rw_tensor *t, double k1, double k2, double lo, double hi, double gap)
{
    for (size_t i = 0; i < t->size; i++)
        while (fabs((double)t->data[i] - k1) < gap || fabs((double)t->data[i] - k2) < gap)
            t->data[i] = (rw_real)(lo + (hi - lo) * rw_rng_uniform(r));
}

static void one(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform_away(r, rw_shape3(2, 3, 4), -3, 3, 0.05);
    d->n = 1;
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

static void wide(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), -6, 6);
    d->n = 1;
}

static rw_node *b_tanh(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_tanh(g, in[0]); }
static rw_node *b_sigmoid(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sigmoid(g, in[0]); }
static rw_node *b_relu(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_relu(g, in[0]); }
static rw_node *b_exp(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_exp(g, in[0]); }
static rw_node *b_log(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_log(g, in[0]); }
static rw_node *b_sqrt(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sqrt(g, in[0]); }
static rw_node *b_abs(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_abs(g, in[0]); }
static rw_node *b_pow_half(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_pow(g, in[0], 2.5); }
static rw_node *b_pow_cube(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_pow(g, in[0], 3); }
static rw_node *b_pow_inv(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_pow(g, in[0], -1.5); }
static rw_node *b_pow_zero(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_pow(g, in[0], 0); }
static rw_node *b_leaky(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_leaky_relu(g, in[0], 0.2); }
static rw_node *b_leaky_default(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_apply_named(g, "leaky_relu", in, 1, NULL); }
static rw_node *b_softplus(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_softplus(g, in[0]); }
static rw_node *b_clamp(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_clamp(g, in[0], -1, 0.5); }

RWT_GRAD_CASES(elementwise_unary,
    { "tanh", "3-D", one, b_tanh, 0 },
    { "sigmoid", "3-D", one, b_sigmoid, 0 },
    { "relu", "away from 0", one, b_relu, 0 },
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
