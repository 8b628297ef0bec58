/* Regularizers of recurrent nets, as scalar-valued ops: the norm-stabilizer
 * penalty over a sequence of hidden states, and the L2 penalty (sum of
 * squares). Sums accumulate in double so the float build stays accurate. */
#include "op_util.h"
#include "rewind/ops_norm.h"

/* ---- norm_stabilizer -------------------------------------------------- */

typedef struct stabilizer_attrs {
    double beta;
} stabilizer_attrs;

static const rw_attr_def stabilizer_attr_defs[] = {
    { "beta", RW_ATTR_REAL, offsetof(stabilizer_attrs, beta), 1, "the penalty's weight (>= 0)" },
};

static rw_status stabilizer_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    double beta = RW_ATTRS(n, stabilizer_attrs)->beta;
    if (!(beta >= 0) || !isfinite(beta))
        return rwi_op_shape_error(n, "beta must be finite and >= 0, not %g", beta);
    for (int i = 0; i < n->n_in; i++)
        if (rwi_op_require_real(n, i))
            return RW_ERR_SHAPE;
    rw_shape s0 = n->in[0]->value.shape;
    if (s0.ndim < 1)
        return rwi_op_shape_error(n, "the states must be [B, H] (at least one dimension), not scalars");
    for (int i = 1; i < n->n_in; i++)
        if (!rw_shape_equal(n->in[i]->value.shape, s0)) {
            char a[64], b[64];
            return rwi_op_shape_error(n, "every state must have the same shape; state %d is %s, state 0 is %s",
                                     i, rw_shape_str(n->in[i]->value.shape, a, sizeof a),
                                     rw_shape_str(s0, b, sizeof b));
        }
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

/* Scratch: the norm of every row of every state, norms[t * rows + b]. */
static size_t stabilizer_scratch_bytes(const rw_node *n)
{
    return (size_t)n->n_in * rw_shape_rows(n->in[0]->value.shape) * sizeof(rw_real);
}

static void stabilizer_forward(rw_node *n)
{
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int h = rw_shape_last(n->in[0]->value.shape);
    rw_real *norms = n->scratch;
    for (int t = 0; t < n->n_in; t++)
        for (size_t b = 0; b < rows; b++) {
            const rw_real *x = n->in[t]->value.data + b * (size_t)h;
            double s = 0;
            for (int j = 0; j < h; j++)
                s += (double)x[j] * (double)x[j];
            norms[(size_t)t * rows + b] = (rw_real)sqrt(s);
        }
    double total = 0;
    for (int t = 1; t < n->n_in; t++)
        for (size_t b = 0; b < rows; b++) {
            double d = (double)norms[(size_t)t * rows + b] - (double)norms[(size_t)(t - 1) * rows + b];
            total += d * d;
        }
    double beta = RW_ATTRS(n, stabilizer_attrs)->beta;
    n->value.data[0] = (rw_real)(beta / n->n_in * total / (double)rows);
}

/* With d_t = N_t - N_{t-1} (the norms' differences, t = 1..n-1):
 *   dL/dN_t = c * (d_t - d_{t+1}),  c = dy * 2 beta / (n B),
 * where d_0 and d_n are taken as 0; and dN/dh = h / N (0 when N = 0). */
static void stabilizer_backward(rw_node *n)
{
    int steps = n->n_in;
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int h = rw_shape_last(n->in[0]->value.shape);
    const rw_real *norms = n->scratch;
    double beta = RW_ATTRS(n, stabilizer_attrs)->beta;
    rw_real c = (rw_real)(2 * beta / steps / (double)rows) * n->grad[0];
    for (int t = 0; t < steps; t++) {
        rw_real *gx = n->in[t]->grad;
        if (!gx)
            continue;
        for (size_t b = 0; b < rows; b++) {
            rw_real nt = norms[(size_t)t * rows + b];
            if (nt == 0)
                continue;
            rw_real dn = 0;
            if (t > 0)
                dn += nt - norms[(size_t)(t - 1) * rows + b];
            if (t < steps - 1)
                dn -= norms[(size_t)(t + 1) * rows + b] - nt;
            rw_real scale = c * dn / nt;
            const rw_real *x = n->in[t]->value.data + b * (size_t)h;
            rw_real *g = gx + b * (size_t)h;
            for (int j = 0; j < h; j++)
                g[j] += scale * x[j];
        }
    }
}

static const rw_op_def stabilizer_def = {
    .name = "norm_stabilizer", .arity = RW_VARIADIC, .min_arity = 2,
    .attr_size = sizeof(stabilizer_attrs), .attrs = stabilizer_attr_defs, .n_attrs = 1,
    .shape = stabilizer_shape, .scratch_bytes = stabilizer_scratch_bytes,
    .forward = stabilizer_forward, .backward = stabilizer_backward, .fills_output = true,
    .doc = "beta / n * sum_{t>=1} mean_b (||h_t[b]|| - ||h_{t-1}[b]||)^2 over n states [B, H] (a scalar)" };

rw_node *rw_norm_stabilizer(rw_graph *g, rw_node *const *states, int n, double beta)
{
    stabilizer_attrs at = { beta };
    return rw_apply(g, &stabilizer_def, states, n, &at);
}

/* ---- l2_penalty -------------------------------------------------------- */

static rw_status l2_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static void l2_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    double s = 0;
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        s += (double)x[i] * (double)x[i];
    n->value.data[0] = (rw_real)s;
}

/* dx += 2 dy x */
static void l2_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    rw_real *gx = n->in[0]->grad, c = 2 * n->grad[0];
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        gx[i] += c * x[i];
}

static const rw_op_def l2_def = {
    .name = "l2_penalty", .arity = 1, .shape = l2_shape, .forward = l2_forward, .backward = l2_backward,
    .fills_output = true,
    .doc = "sum of squares of all elements (a scalar)" };

rw_node *rw_l2_penalty(rw_graph *g, rw_node *x) { return rw_apply(g, &l2_def, &x, 1, NULL); }

/* ---- the family, registered by ops/builtin.c ------------------------------ */

static const rw_op_def *const defs[] = { &stabilizer_def, &l2_def };
const rw_op_family rwi_family_regularize = { "regularize", defs, 2 };
