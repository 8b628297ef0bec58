/* argmax over the last axis: the index of each row's largest value, as an
 * int32 tensor. It has no gradient (an index is piecewise constant), so it
 * has no backward; its output can feed metrics, gather or one_hot. */
#include "op_util.h"
#include "rewind/ops_reduce.h"

static rw_status argmax_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    rw_shape s = n->in[0]->value.shape;
    if (s.ndim < 1 || s.dim[s.ndim - 1] < 1)
        return rwi_op_shape_error(n, "needs at least one axis with at least one value");
    *out = s;
    out->ndim = s.ndim - 1; /* a vector gives a scalar */
    *dt = RW_INT32;
    return RW_OK;
}

static void argmax_forward(rw_node *n)
{
    const rw_tensor *x = &n->in[0]->value;
    size_t c = (size_t)x->shape.dim[x->shape.ndim - 1], rows = x->size / c;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *row = x->data + r * c;
        size_t best = 0; /* the first of equal maxima; NaN never wins */
        for (size_t k = 1; k < c; k++)
            if (row[k] > row[best])
                best = k;
        n->value.idata[r] = (int32_t)best;
    }
}

static const rw_op_def argmax_def = {
    .fills_output = true,
    .name = "argmax", .arity = 1, .shape = argmax_shape, .forward = argmax_forward, .backward = NULL,
    .doc = "index of the largest value along the last axis, int32 [..., C] -> [...]; no gradient" };

rw_node *rw_argmax(rw_graph *g, rw_node *x)
{
    rw_node *in[1] = { x };
    return rw_apply(g, &argmax_def, in, 1, NULL);
}

static const rw_op_def *const defs[] = { &argmax_def };
const rw_op_family rwi_family_argmax = { "argmax", defs, 1 };
