/* Value-level row gathers for reordering carried states by beam index. */
#include <string.h>
#include "gather_rows.h"

rw_tensor *rwi_tensor_gather_axis(const rw_tensor *t, int axis, const int32_t *index, int n)
{
    if (!t || !index || n < 1 || axis < 0 || axis >= t->shape.ndim) {
        rw_error(RW_ERR_ARG, "gather rows: needs a tensor, an axis inside it and n >= 1 indices");
        return NULL;
    }
    int rows = t->shape.dim[axis];
    size_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= (size_t)t->shape.dim[d];
    for (int d = axis + 1; d < t->shape.ndim; d++)
        inner *= (size_t)t->shape.dim[d];
    for (int i = 0; i < n; i++)
        if (index[i] < 0 || index[i] >= rows) {
            rw_error(RW_ERR_ARG, "gather rows: index %d at position %d is outside [0, %d)", (int)index[i], i, rows);
            return NULL;
        }
    rw_shape s = t->shape;
    s.dim[axis] = n;
    rw_tensor *out = rw_tensor_new(t->dtype, s);
    if (!out)
        return NULL;
    size_t es = t->dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t);
    const char *src = t->dtype == RW_REAL ? (const char *)t->data : (const char *)t->idata;
    char *dst = out->dtype == RW_REAL ? (char *)out->data : (char *)out->idata;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++)
            memcpy(dst + ((o * n + i) * inner) * es, src + ((o * rows + index[i]) * inner) * es, inner * es);
    return out;
}

rw_status rwi_tensor_regather(rw_tensor **t, int axis, const int32_t *index, int n)
{
    rw_tensor *g = rwi_tensor_gather_axis(*t, axis, index, n);
    if (!g)
        return rw_last_status();
    rw_tensor_free(*t);
    *t = g;
    return RW_OK;
}
