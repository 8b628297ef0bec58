/* Gradient cases: layer_norm in each of its input variants, on rows of
 * very different scales. */
#include "rw_test.h"

#ifdef RW_DOUBLE
#define SMALL_SCALE 0.01 /* the float build's finite-difference step is too coarse for this */
#define SCALES "rows of scales 0.01..40"
#else
#define SMALL_SCALE 0.3
#define SCALES "rows of scales 0.3..40"
#endif

/* x [T, B, D] = [2, 2, 5] whose four rows have scales from SMALL_SCALE to 40
 * and non-zero means; then gain and bias [5] when the case wants them. */
static void ln_setup(rw_rng *r, rwt_grad_data *d, bool gain, bool bias)
{
    static const double scale[4] = { SMALL_SCALE, 1, 5, 40 };
    rw_tensor *x = rwt_uniform(r, rw_shape3(2, 2, 5), -1, 1);
    for (int row = 0; row < 4; row++)
        for (int j = 0; j < 5; j++)
            x->data[row * 5 + j] = (rw_real)(scale[row] * (x->data[row * 5 + j] + 0.5 * row));
    int k = 0;
    d->in[k++] = x;
    if (gain)
        d->in[k++] = rwt_uniform(r, rw_shape1(5), 0.5, 2);
    if (bias)
        d->in[k++] = rwt_uniform(r, rw_shape1(5), -1, 1);
    d->n = k;
}
static void ln_plain(rw_rng *r, rwt_grad_data *d) { ln_setup(r, d, false, false); }
static void ln_gain(rw_rng *r, rwt_grad_data *d) { ln_setup(r, d, true, false); }
static void ln_bias(rw_rng *r, rwt_grad_data *d) { ln_setup(r, d, false, true); }
static void ln_both(rw_rng *r, rwt_grad_data *d) { ln_setup(r, d, true, true); }

static void ln_batch(rw_rng *r, rwt_grad_data *d) /* plain [B, H] with gain and bias */
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 8), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape1(8), -2, 2);
    d->in[2] = rwt_uniform(r, rw_shape1(8), -2, 2);
    d->n = 3;
}

static rw_node *b_plain(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_layer_norm(g, in[0]); }
static rw_node *b_gain(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_layer_norm_gain(g, in[0], in[1]); }
static rw_node *b_bias(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_layer_norm_bias(g, in[0], in[1]); }
static rw_node *b_both(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_layer_norm_affine(g, in[0], in[1], in[2]); }
/* A larger eps, set by name, with the op recorded through the registry. */
static rw_node *b_eps(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    const rw_op_def *ln = rw_op_find("layer_norm");
    double attrs[4];
    rw_op_default_attrs(ln, attrs);
    rw_op_set_attr(ln, attrs, "eps", 0.5);
    return rw_apply(g, ln, in, 3, attrs);
}
/* Normalized input feeding a nonlinearity and reused: x gets both paths. */
static rw_node *b_reused(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    return rw_mul(g, rw_tanh(g, rw_layer_norm_affine(g, in[0], in[1], in[2])), in[0]);
}

RWT_GRAD_CASES(norm,
    { "layer_norm", "no gain, no bias; " SCALES, ln_plain, b_plain, 0 },
    { "layer_norm", "gain only; " SCALES, ln_gain, b_gain, 0 },
    { "layer_norm", "bias only (no_gain); " SCALES, ln_bias, b_bias, 0 },
    { "layer_norm", "gain and bias; " SCALES, ln_both, b_both, 0 },
    { "layer_norm", "gain and bias, [B, H]", ln_batch, b_both, 0 },
    { "layer_norm", "eps = 0.5 set by name", ln_batch, b_eps, 0 },
    { "layer_norm", "output times its own input", ln_batch, b_reused, 0 })
