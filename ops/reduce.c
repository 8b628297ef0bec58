/* Reductions. Sums accumulate in double so long reductions stay accurate
 * in the float build. */
#include "op_util.h"
#include "rewind/ops_reduce.h"

static rw_status to_scalar_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rw_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static double total(const rw_node *n)
{
    double s = 0;
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        s += x[i];
    return s;
}

static void sum_forward(rw_node *n) { n->value.data[0] = (rw_real)total(n); }

static void mean_forward(rw_node *n) { n->value.data[0] = (rw_real)(total(n) / (double)n->in[0]->value.size); }

static void spread(rw_node *n, rw_real dy)
{
    rw_real *gx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        gx[i] += dy;
}

static void sum_backward(rw_node *n) { spread(n, n->grad[0]); }

static void mean_backward(rw_node *n) { spread(n, n->grad[0] / (rw_real)n->in[0]->value.size); }

static const rw_op_def sum_def = {
    .name = "sum", .arity = 1, .shape = to_scalar_shape, .forward = sum_forward,
    .backward = sum_backward, .doc = "sum of all elements (a scalar)" };
static const rw_op_def mean_def = {
    .name = "mean", .arity = 1, .shape = to_scalar_shape, .forward = mean_forward,
    .backward = mean_backward, .doc = "mean of all elements (a scalar)" };

rw_node *rw_sum(rw_graph *g, rw_node *x) { return rw_apply(g, &sum_def, &x, 1, NULL); }
rw_node *rw_mean(rw_graph *g, rw_node *x) { return rw_apply(g, &mean_def, &x, 1, NULL); }

static const rw_op_def *const defs[] = { &sum_def, &mean_def };
const rw_op_family rw_family_reduce = { "reduce", defs, 2 };
