#include <stdio.h>
#include <string.h>
#include "op_util.h"

rw_status rwi_op_shape_error(const rw_node *n, const char *fmt, ...)
{
    char shapes[512] = "";
    size_t at = 0;
    for (int i = 0; i < n->n_in && at < sizeof shapes; i++) {
        char b[64];
        const rw_tensor *v = &n->in[i]->value;
        at += (size_t)snprintf(shapes + at, sizeof shapes - at, "%s%s%s",
                               i == 0 ? "" : (i == n->n_in - 1 ? " and " : ", "),
                               rw_shape_str(v->shape, b, sizeof b), v->dtype == RW_INT32 ? " int32" : "");
    }
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return rw_error(RW_ERR_SHAPE, "op '%s': input%s %s: %s", n->op->name, n->n_in == 1 ? "" : "s",
                    shapes, reason);
}

rw_status rwi_op_null_input(const char *who, const char *what)
{
    if (rw_last_status() != RW_OK)
        return rw_last_status();
    return rw_error(RW_ERR_ARG, "%s: NULL %s", who, what);
}

rw_status rwi_op_require_real(const rw_node *n, int i)
{
    if (n->in[i]->value.dtype != RW_REAL)
        return rwi_op_shape_error(n, "input %d must be real, not int32", i);
    return RW_OK;
}

rw_status rwi_op_require_int(const rw_node *n, int i)
{
    if (n->in[i]->value.dtype != RW_INT32)
        return rwi_op_shape_error(n, "input %d must be int32 (indices), not real", i);
    return RW_OK;
}

static bool is_suffix(rw_shape small, rw_shape big)
{
    if (small.ndim > big.ndim)
        return false;
    for (int i = 0; i < small.ndim; i++)
        if (small.dim[small.ndim - 1 - i] != big.dim[big.ndim - 1 - i])
            return false;
    return true;
}

rw_status rwi_op_broadcast_shape(const rw_node *n, rw_shape a, rw_shape b, rw_shape *out)
{
    if (is_suffix(b, a)) {
        *out = a;
        return RW_OK;
    }
    if (is_suffix(a, b)) {
        *out = b;
        return RW_OK;
    }
    return rwi_op_shape_error(n, "shapes must be equal, or the smaller must equal the trailing "
                                "dimensions of the larger (broadcast along leading dimensions)");
}

rw_status rwi_op_binary_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0) || rwi_op_require_real(n, 1))
        return RW_ERR_SHAPE;
    *dt = RW_REAL;
    return rwi_op_broadcast_shape(n, n->in[0]->value.shape, n->in[1]->value.shape, out);
}

rw_status rwi_op_unary_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    *out = n->in[0]->value.shape;
    *dt = RW_REAL;
    return RW_OK;
}

rw_status rwi_op_finite_attrs_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_unary_shape(n, out, dt))
        return RW_ERR_SHAPE;
    for (int i = 0; i < n->op->n_attrs; i++) {
        const rw_attr_def *a = &n->op->attrs[i];
        if (a->type != RW_ATTR_REAL)
            continue;
        double v = *(const double *)((const char *)n->attrs + a->offset);
        if (!isfinite(v))
            return rwi_op_shape_error(n, "attribute '%s' must be a finite number, got %g", a->name, v);
    }
    return RW_OK;
}
