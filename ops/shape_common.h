/* Helpers of the shape ops (shape_view.c, shape_join.c). They view a tensor
 * as [outer, axis, inner] blocks and move contiguous runs of elements, on
 * real and int32 tensors alike. */
#ifndef RW_OPS_SHAPE_COMMON_H
#define RW_OPS_SHAPE_COMMON_H

#include "op_util.h"

/* bytes of one element, and the storage as bytes, whatever the dtype */
static inline size_t rw_shape_esize(const rw_tensor *t)
{
    return t->dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t);
}
static inline char *rw_shape_bytes(const rw_tensor *t)
{
    return t->dtype == RW_REAL ? (char *)t->data : (char *)t->idata;
}

/* the product of dimensions [from, to) */
static inline size_t rw_shape_prod(rw_shape s, int from, int to)
{
    size_t p = 1;
    for (int i = from; i < to; i++)
        p *= (size_t)s.dim[i];
    return p;
}

/* g[0..k) += d[0..k) */
static inline void rw_shape_add_run(rw_real *restrict g, const rw_real *restrict d, size_t k)
{
    for (size_t i = 0; i < k; i++)
        g[i] += d[i];
}

/* Maps axis in [-ndim, ndim) to [0, ndim); otherwise fails naming it. */
static inline rw_status rw_shape_norm_axis(const rw_node *n, int axis, int ndim, const char *what, int *out)
{
    if (ndim == 0)
        return rwi_op_shape_error(n, "%s %d: a scalar has no axes", what, axis);
    if (axis < -ndim || axis >= ndim)
        return rwi_op_shape_error(n, "%s %d is out of range for rank %d (valid: %d..%d)", what, axis, ndim,
                                 -ndim, ndim - 1);
    *out = axis < 0 ? axis + ndim : axis;
    return RW_OK;
}

#endif
