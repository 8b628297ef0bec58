/* Shapes and owned tensors. */
#include <inttypes.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/tensor.h"
#include "rewind_internal/tensor_slice.h"

rw_shape rw_shape_scalar(void) { return (rw_shape){ .ndim = 0 }; }
rw_shape rw_shape1(int d0) { return (rw_shape){ .ndim = 1, .dim = { d0 } }; }
rw_shape rw_shape2(int d0, int d1) { return (rw_shape){ .ndim = 2, .dim = { d0, d1 } }; }
rw_shape rw_shape3(int d0, int d1, int d2) { return (rw_shape){ .ndim = 3, .dim = { d0, d1, d2 } }; }
rw_shape rw_shape4(int d0, int d1, int d2, int d3)
{
    return (rw_shape){ .ndim = 4, .dim = { d0, d1, d2, d3 } };
}

size_t rw_shape_size(rw_shape s)
{
    size_t n = 1;
    for (int i = 0; i < s.ndim; i++)
        n *= (size_t)s.dim[i];
    return n;
}

bool rw_shape_equal(rw_shape a, rw_shape b)
{
    if (a.ndim != b.ndim)
        return false;
    for (int i = 0; i < a.ndim; i++)
        if (a.dim[i] != b.dim[i])
            return false;
    return true;
}

char *rw_shape_str(rw_shape s, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    at += (size_t)snprintf(buf + at, len - at, "[");
    for (int i = 0; i < s.ndim && i < RW_MAX_DIMS && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, i ? ", %d" : "%d", s.dim[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
    return buf;
}

rw_status rw_shape_check(rw_shape s)
{
    if (s.ndim < 0 || s.ndim > RW_MAX_DIMS)
        return rw_error(RW_ERR_SHAPE, "a tensor has %d dimensions; rewind supports 0 to %d",
                        s.ndim, RW_MAX_DIMS);
    size_t n = 1;
    for (int i = 0; i < s.ndim; i++) {
        if (s.dim[i] < 1) {
            char b[64];
            return rw_error(RW_ERR_SHAPE, "shape %s has dimension %d of size %d; sizes must be >= 1",
                            rw_shape_str(s, b, sizeof b), i, s.dim[i]);
        }
        if (n > ((size_t)1 << 40) / (size_t)s.dim[i]) {
            char b[64];
            return rw_error(RW_ERR_SHAPE, "shape %s is too large", rw_shape_str(s, b, sizeof b));
        }
        n *= (size_t)s.dim[i];
    }
    return RW_OK;
}

int rw_shape_last(rw_shape s) { return s.ndim ? s.dim[s.ndim - 1] : 1; }

size_t rw_shape_rows(rw_shape s) { return s.ndim ? rw_shape_size(s) / (size_t)s.dim[s.ndim - 1] : 1; }

rw_tensor *rw_tensor_new(rw_dtype dtype, rw_shape shape)
{
    if (rw_shape_check(shape) != RW_OK)
        return NULL;
    if (dtype != RW_REAL && dtype != RW_INT32) {
        rw_error(RW_ERR_ARG, "rw_tensor_new: unknown dtype %d", (int)dtype);
        return NULL;
    }
    rw_tensor *t = rwi_calloc(1, sizeof *t, "a tensor header");
    if (!t)
        return NULL;
    t->dtype = dtype;
    t->shape = shape;
    t->size = rw_shape_size(shape);
    t->owns = true;
    /* 64 spare bytes: BLIS's packing kernels may read a few bytes past the
     * end of a small operand (seen with valgrind on a [128, 2] weight). */
    size_t spare = 64 / (dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t));
    if (dtype == RW_REAL)
        t->data = rwi_calloc_aligned(t->size + spare, sizeof(rw_real), "tensor data");
    else
        t->idata = rwi_calloc_aligned(t->size + spare, sizeof(int32_t), "tensor data");
    if (!t->data && !t->idata) {
        rwi_free(t);
        return NULL;
    }
    return t;
}

rw_tensor *rw_tensor_from(rw_shape shape, const rw_real *values)
{
    rw_tensor *t = rw_tensor_new(RW_REAL, shape);
    if (t && values)
        memcpy(t->data, values, t->size * sizeof(rw_real));
    return t;
}

rw_tensor *rw_tensor_from_ints(rw_shape shape, const int32_t *values)
{
    rw_tensor *t = rw_tensor_new(RW_INT32, shape);
    if (t && values)
        memcpy(t->idata, values, t->size * sizeof(int32_t));
    return t;
}

rw_tensor *rw_tensor_clone(const rw_tensor *src)
{
    if (!src) {
        rw_error(RW_ERR_ARG, "rw_tensor_clone: NULL tensor");
        return NULL;
    }
    rw_tensor *t = rw_tensor_new(src->dtype, src->shape);
    if (t && rw_tensor_copy(t, src) != RW_OK) {
        rw_tensor_free(t);
        return NULL;
    }
    return t;
}

void rw_tensor_free(rw_tensor *t)
{
    if (!t)
        return;
    if (t->owns) {
        rwi_free(t->data);
        rwi_free(t->idata);
    }
    rwi_free(t);
}

rw_status rw_tensor_copy(rw_tensor *dst, const rw_tensor *src)
{
    if (!dst || !src)
        return rw_error(RW_ERR_ARG, "rw_tensor_copy: NULL tensor");
    if (dst->dtype != src->dtype || !rw_shape_equal(dst->shape, src->shape)) {
        char a[64], b[64];
        return rw_error(RW_ERR_SHAPE, "rw_tensor_copy: destination %s %s, source %s %s",
                        dst->dtype == RW_REAL ? "real" : "int32", rw_shape_str(dst->shape, a, sizeof a),
                        src->dtype == RW_REAL ? "real" : "int32", rw_shape_str(src->shape, b, sizeof b));
    }
    if (src->dtype == RW_REAL)
        memmove(dst->data, src->data, src->size * sizeof(rw_real));
    else
        memmove(dst->idata, src->idata, src->size * sizeof(int32_t));
    return RW_OK;
}

void rw_tensor_fill(rw_tensor *t, rw_real value)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->size; i++) {
        if (t->dtype == RW_REAL)
            t->data[i] = value;
        else
            t->idata[i] = (int32_t)value;
    }
}

size_t rw_tensor_index(const rw_tensor *t, const int *idx)
{
    size_t at = 0;
    for (int i = 0; i < t->shape.ndim; i++)
        at = at * (size_t)t->shape.dim[i] + (size_t)idx[i];
    return at;
}

void rw_tensor_print(FILE *f, const char *label, const rw_tensor *t, size_t max_elems)
{
    char b[64];
    if (!t) {
        fprintf(f, "%s: (null)\n", label ? label : "tensor");
        return;
    }
    fprintf(f, "%s: %s %s", label ? label : "tensor", t->dtype == RW_REAL ? RW_REAL_NAME : "int32",
            rw_shape_str(t->shape, b, sizeof b));
    size_t n = t->size < max_elems ? t->size : max_elems;
    int last = rw_shape_last(t->shape);
    for (size_t i = 0; i < n; i++) {
        if (i % (size_t)last == 0)
            fprintf(f, "\n  ");
        if (t->dtype == RW_REAL)
            fprintf(f, "% .6g ", (double)t->data[i]);
        else
            fprintf(f, "%" PRId32 " ", t->idata[i]);
    }
    fprintf(f, "%s\n", n < t->size ? "..." : "");
}

size_t rwi_tensor_slice_bytes(const rw_tensor *t, int dim, int count)
{
    if (t->size == 0)
        return 0;
    size_t elem = t->dtype == RW_INT32 ? sizeof(int32_t) : sizeof(rw_real);
    return t->size / (size_t)t->shape.dim[dim] * (size_t)count * elem;
}

void rwi_tensor_slice(rw_tensor *to, const rw_tensor *t, int dim, int first, int count, char **at)
{
    *to = *t;
    to->owns = false;
    if (t->size == 0)
        return;
    size_t elem = t->dtype == RW_INT32 ? sizeof(int32_t) : sizeof(rw_real);
    size_t outer = 1, inner = elem;
    for (int d = 0; d < dim; d++)
        outer *= (size_t)t->shape.dim[d];
    for (int d = dim + 1; d < t->shape.ndim; d++)
        inner *= (size_t)t->shape.dim[d];
    size_t n = (size_t)t->shape.dim[dim];
    const char *from = t->dtype == RW_INT32 ? (const char *)t->idata : (const char *)t->data;
    for (size_t o = 0; o < outer; o++)
        memcpy(*at + o * (size_t)count * inner, from + (o * n + (size_t)first) * inner, (size_t)count * inner);
    to->shape.dim[dim] = count;
    to->size = t->size / n * (size_t)count;
    if (t->dtype == RW_INT32)
        to->idata = (int32_t *)*at;
    else
        to->data = (rw_real *)*at;
    *at += outer * (size_t)count * inner;
}
