/* Softmax and log-softmax over the last axis. Each row's maximum is
 * subtracted before exponentiating, so logits of any finite magnitude give
 * finite results. */
#include "op_util.h"
#include "fastmath.h"
#include "rewind/ops_softmax.h"

static rw_status last_axis_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    if (n->in[0]->value.shape.ndim < 1)
        return rwi_op_shape_error(n, "the input needs a last axis (the classes) to normalize over");
    *out = n->in[0]->value.shape;
    *dt = RW_REAL;
    return RW_OK;
}

/* y = e^(x - max) / sum_j e^(x_j - max), row by row */
static void softmax_forward(rw_node *n)
{
    size_t c = (size_t)rw_shape_last(n->value.shape), rows = n->value.size / c;
    for (size_t r = 0; r < rows; r++) {
        rw_real *y = n->value.data + r * c, m;
        double z = rwi_exp_row(n->in[0]->value.data + r * c, c, y, &m);
        for (size_t j = 0; j < c; j++)
            y[j] = (rw_real)((double)y[j] / z);
    }
}

/* dx = y * (dy - sum_j dy_j y_j) */
static void softmax_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    size_t c = (size_t)rw_shape_last(n->value.shape), rows = n->value.size / c;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *y = n->value.data + r * c, *dy = n->grad + r * c;
        double dot = 0;
        for (size_t j = 0; j < c; j++)
            dot += (double)dy[j] * (double)y[j];
        for (size_t j = 0; j < c; j++)
            gx[r * c + j] += y[j] * (dy[j] - (rw_real)dot);
    }
}

/* y = (x - max) - log(sum_j e^(x_j - max)); the exponentials go through y */
static void log_softmax_forward(rw_node *n)
{
    size_t c = (size_t)rw_shape_last(n->value.shape), rows = n->value.size / c;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *x = n->in[0]->value.data + r * c;
        rw_real *y = n->value.data + r * c, m;
        rw_real log_z = (rw_real)log(rwi_exp_row(x, c, y, &m));
        for (size_t j = 0; j < c; j++)
            y[j] = (x[j] - m) - log_z;
    }
}

/* dx = dy - softmax * sum_j dy_j, with softmax = e^y (one row at a time in the scratch) */
static void log_softmax_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad, *p = n->scratch;
    if (!gx)
        return;
    size_t c = (size_t)rw_shape_last(n->value.shape), rows = n->value.size / c;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *y = n->value.data + r * c, *dy = n->grad + r * c;
        double total = 0;
        for (size_t j = 0; j < c; j++)
            total += dy[j];
        rwi_fast_exp(y, 0, 0, p, c);
        for (size_t j = 0; j < c; j++)
            gx[r * c + j] += dy[j] - p[j] * (rw_real)total;
    }
}

static const rw_op_def softmax_def = {
    .name = "softmax", .arity = 1, .shape = last_axis_shape, .forward = softmax_forward,
    .backward = softmax_backward, .doc = "e^x / sum(e^x) over the last axis, stable for large logits" };
static size_t one_row_bytes(const rw_node *n) { return (size_t)rw_shape_last(n->in[0]->value.shape) * sizeof(rw_real); }

static const rw_op_def log_softmax_def = {
    .name = "log_softmax", .arity = 1, .shape = last_axis_shape, .scratch_bytes = one_row_bytes, .forward = log_softmax_forward,
    .backward = log_softmax_backward, .doc = "x - log(sum(e^x)) over the last axis, stable for large logits" };

rw_node *rw_softmax(rw_graph *g, rw_node *x) { return rw_apply(g, &softmax_def, &x, 1, NULL); }
rw_node *rw_log_softmax(rw_graph *g, rw_node *x) { return rw_apply(g, &log_softmax_def, &x, 1, NULL); }

static const rw_op_def *const defs[] = { &softmax_def, &log_softmax_def };
const rw_op_family rwi_family_softmax = { "softmax", defs, sizeof defs / sizeof defs[0] };
