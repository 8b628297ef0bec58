/* Normalization: layer norm over the last axis, with optional gain and bias.
 *
 * One registered op, "layer_norm", taking 1 to 3 inputs: x, then the gain
 * when present, then the bias when present. With two inputs the second is
 * the gain unless the no_gain attribute says it is the bias. Forward saves
 * each row's mean and inverse standard deviation for backward. Each C
 * constructor names its variant (rw_layer_norm, _gain, _bias, _affine), so
 * a NULL gain or bias is an error, never a silent "none". */
#include "op_util.h"
#include "rewind/ops_norm.h"

typedef struct layer_norm_attrs {
    double eps;
    bool no_gain;
} layer_norm_attrs;

static const rw_attr_def layer_norm_attr_defs[] = {
    { "eps", RW_ATTR_REAL, offsetof(layer_norm_attrs, eps), 1e-5, "added to the variance (> 0)" },
    { "no_gain", RW_ATTR_BOOL, offsetof(layer_norm_attrs, no_gain), 0,
      "with two inputs, the second is the bias (there is no gain)" },
};

/* Which input holds the gain and the bias; -1 when absent. */
typedef struct ln_inputs {
    int gain, bias;
} ln_inputs;

static ln_inputs ln_inputs_of(const rw_node *n)
{
    bool no_gain = RW_ATTRS(n, layer_norm_attrs)->no_gain;
    switch (n->n_in) {
    case 3: return (ln_inputs){ 1, 2 };
    case 2: return no_gain ? (ln_inputs){ -1, 1 } : (ln_inputs){ 1, -1 };
    default: return (ln_inputs){ -1, -1 };
    }
}

static rw_status ln_check_vector(const rw_node *n, int i, const char *what, int d)
{
    if (i < 0)
        return RW_OK;
    if (rwi_op_require_real(n, i))
        return RW_ERR_SHAPE;
    rw_shape s = n->in[i]->value.shape;
    if (s.ndim != 1 || s.dim[0] != d)
        return rwi_op_shape_error(n, "the %s (input %d) must have shape [%d], the last dimension of x", what,
                                 i, d);
    return RW_OK;
}

static rw_status layer_norm_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const layer_norm_attrs *at = RW_ATTRS(n, layer_norm_attrs);
    if (n->n_in > 3)
        return rwi_op_shape_error(n, "takes x and optionally a gain and a bias (1 to 3 inputs), got %d",
                                 n->n_in);
    if (at->no_gain && n->n_in == 3)
        return rwi_op_shape_error(n, "no_gain is set but three inputs (x, gain, bias) were given");
    if (!(at->eps > 0) || !isfinite(at->eps))
        return rwi_op_shape_error(n, "eps must be positive and finite, not %g", at->eps);
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    rw_shape sx = n->in[0]->value.shape;
    if (sx.ndim < 1)
        return rwi_op_shape_error(n, "x needs at least one dimension (the normalized axis)");
    ln_inputs w = ln_inputs_of(n);
    int d = rw_shape_last(sx);
    if (ln_check_vector(n, w.gain, "gain", d) || ln_check_vector(n, w.bias, "bias", d))
        return RW_ERR_SHAPE;
    *out = sx;
    *dt = RW_REAL;
    return RW_OK;
}

/* Scratch: mean[rows] then rstd[rows]. */
static size_t layer_norm_scratch_bytes(const rw_node *n)
{
    return 2 * rw_shape_rows(n->in[0]->value.shape) * sizeof(rw_real);
}

static void layer_norm_forward(rw_node *n)
{
    ln_inputs w = ln_inputs_of(n);
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int d = rw_shape_last(n->in[0]->value.shape);
    rw_real eps = (rw_real)RW_ATTRS(n, layer_norm_attrs)->eps;
    const rw_real *gain = w.gain >= 0 ? n->in[w.gain]->value.data : NULL;
    const rw_real *bias = w.bias >= 0 ? n->in[w.bias]->value.data : NULL;
    rw_real *mean = n->scratch, *rstd = mean + rows;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *x = n->in[0]->value.data + r * (size_t)d;
        rw_real *y = n->value.data + r * (size_t)d;
        rw_real m = 0, v = 0;
        for (int j = 0; j < d; j++)
            m += x[j];
        m /= (rw_real)d;
        for (int j = 0; j < d; j++)
            v += (x[j] - m) * (x[j] - m); /* two passes: no cancellation for rows with a large mean */
        v /= (rw_real)d;
        rw_real s = 1 / RW_SQRT(v + eps);
        mean[r] = m;
        rstd[r] = s;
        for (int j = 0; j < d; j++) {
            rw_real xhat = (x[j] - m) * s;
            y[j] = (gain ? gain[j] * xhat : xhat) + (bias ? bias[j] : 0);
        }
    }
}

/* With xhat = (x - mean) * rstd and g = dy * gain:
 *   dx    += rstd * (g - mean(g) - xhat * mean(g * xhat))   (per row)
 *   dgain += sum over rows of dy * xhat
 *   dbias += sum over rows of dy                                        */
static void layer_norm_backward(rw_node *n)
{
    ln_inputs w = ln_inputs_of(n);
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int d = rw_shape_last(n->in[0]->value.shape);
    const rw_real *gain = w.gain >= 0 ? n->in[w.gain]->value.data : NULL;
    rw_real *gx = n->in[0]->grad;
    rw_real *ggain = w.gain >= 0 ? n->in[w.gain]->grad : NULL;
    rw_real *gbias = w.bias >= 0 ? n->in[w.bias]->grad : NULL;
    const rw_real *mean = n->scratch, *rstd = mean + rows;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *x = n->in[0]->value.data + r * (size_t)d;
        const rw_real *dy = n->grad + r * (size_t)d;
        rw_real m = mean[r], s = rstd[r];
        if (ggain)
            for (int j = 0; j < d; j++)
                ggain[j] += dy[j] * (x[j] - m) * s;
        if (gbias)
            for (int j = 0; j < d; j++)
                gbias[j] += dy[j];
        if (!gx)
            continue;
        rw_real m1 = 0, m2 = 0;
        for (int j = 0; j < d; j++) {
            rw_real g = gain ? dy[j] * gain[j] : dy[j];
            m1 += g;
            m2 += g * (x[j] - m) * s;
        }
        m1 /= (rw_real)d;
        m2 /= (rw_real)d;
        rw_real *gxr = gx + r * (size_t)d;
        for (int j = 0; j < d; j++) {
            rw_real g = gain ? dy[j] * gain[j] : dy[j];
            gxr[j] += s * (g - m1 - (x[j] - m) * s * m2);
        }
    }
}

static const rw_op_def layer_norm_def = {
    .name = "layer_norm", .arity = RW_VARIADIC, .min_arity = 1,
    .attr_size = sizeof(layer_norm_attrs), .attrs = layer_norm_attr_defs, .n_attrs = 2,
    .shape = layer_norm_shape, .scratch_bytes = layer_norm_scratch_bytes,
    .forward = layer_norm_forward, .backward = layer_norm_backward, .fills_output = true,
    .doc = "gain * (x - mean) / sqrt(var + eps) + bias over the last axis of x [..., D]; "
           "gain [D] and bias [D] optional" };

/* The inputs are passed as given: rw_apply turns a NULL among them into a
 * NULL result, keeping the first error. */
static rw_node *layer_norm(rw_graph *g, rw_node *const *in, int n_in, bool no_gain)
{
    layer_norm_attrs at;
    rw_op_default_attrs(&layer_norm_def, &at);
    at.no_gain = no_gain;
    return rw_apply(g, &layer_norm_def, in, n_in, &at);
}

rw_node *rw_layer_norm(rw_graph *g, rw_node *x) { return layer_norm(g, &x, 1, false); }

rw_node *rw_layer_norm_gain(rw_graph *g, rw_node *x, rw_node *gain)
{
    return layer_norm(g, (rw_node *[]){ x, gain }, 2, false);
}

rw_node *rw_layer_norm_bias(rw_graph *g, rw_node *x, rw_node *bias)
{
    return layer_norm(g, (rw_node *[]){ x, bias }, 2, true);
}

rw_node *rw_layer_norm_affine(rw_graph *g, rw_node *x, rw_node *gain, rw_node *bias)
{
    return layer_norm(g, (rw_node *[]){ x, gain, bias }, 3, false);
}

static const rw_op_def *const defs[] = { &layer_norm_def };
const rw_op_family rwi_family_norm = { "norm", defs, 1 };
