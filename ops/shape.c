/* Shape ops: reshape, transpose, swap_axes, concat, slice (and split),
 * stack and index0 (and unstack). They only move data, so they work on
 * real and int32 tensors alike (an int32 result carries no gradient).
 *
 * Every op views its tensors as [outer, axis, inner] blocks so that forward
 * copies and backward adds contiguous runs of `inner` elements (or longer):
 * splitting fused gate pre-activations, unstacking [T, B, X] into steps and
 * stacking states are one memcpy per row or per step, with no allocation. */
#include <limits.h>
#include <string.h>
#include "op_util.h"
#include "rewind/ops_shape.h"

/* ---- helpers ------------------------------------------------------------ */

static size_t esize(const rw_tensor *t) { return t->dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t); }
static char *bytes(const rw_tensor *t) { return t->dtype == RW_REAL ? (char *)t->data : (char *)t->idata; }

static size_t prod(rw_shape s, int from, int to)
{
    size_t p = 1;
    for (int i = from; i < to; i++)
        p *= (size_t)s.dim[i];
    return p;
}

static void add_run(rw_real *restrict g, const rw_real *restrict d, size_t k)
{
    for (size_t i = 0; i < k; i++)
        g[i] += d[i];
}

/* Maps axis in [-ndim, ndim) to [0, ndim); otherwise fails naming it. */
static rw_status norm_axis(const rw_node *n, int axis, int ndim, const char *what, int *out)
{
    if (ndim == 0)
        return rwi_op_shape_error(n, "%s %d: a scalar has no axes", what, axis);
    if (axis < -ndim || axis >= ndim)
        return rwi_op_shape_error(n, "%s %d is out of range for rank %d (valid: %d..%d)", what, axis, ndim,
                                 -ndim, ndim - 1);
    *out = axis < 0 ? axis + ndim : axis;
    return RW_OK;
}

/* All inputs must have input 0's dtype. */
static rw_status same_dtype(const rw_node *n)
{
    for (int i = 1; i < n->n_in; i++)
        if (n->in[i]->value.dtype != n->in[0]->value.dtype)
            return rwi_op_shape_error(n, "input %d is %s but input 0 is %s", i,
                                     n->in[i]->value.dtype == RW_REAL ? "real" : "int32",
                                     n->in[0]->value.dtype == RW_REAL ? "real" : "int32");
    return RW_OK;
}

/* ---- reshape -------------------------------------------------------------- */

/* The target shape, settable by name: d0..d3 and ndim. */
typedef struct reshape_attrs {
    int d0, d1, d2, d3;
    int ndim;
} reshape_attrs;

static const rw_attr_def reshape_attr_defs[] = {
    { "d0", RW_ATTR_INT, offsetof(reshape_attrs, d0), 1, "target dimension 0" },
    { "d1", RW_ATTR_INT, offsetof(reshape_attrs, d1), 1, "target dimension 1" },
    { "d2", RW_ATTR_INT, offsetof(reshape_attrs, d2), 1, "target dimension 2" },
    { "d3", RW_ATTR_INT, offsetof(reshape_attrs, d3), 1, "target dimension 3" },
    { "ndim", RW_ATTR_INT, offsetof(reshape_attrs, ndim), 1, "number of target dimensions (0..4)" },
};

static rw_status reshape_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const reshape_attrs *at = RW_ATTRS(n, reshape_attrs);
    if (at->ndim < 0 || at->ndim > RW_MAX_DIMS)
        return rwi_op_shape_error(n, "the target shape has %d dimensions (0..%d allowed)", at->ndim, RW_MAX_DIMS);
    rw_shape s = { .ndim = at->ndim, .dim = { at->d0, at->d1, at->d2, at->d3 } };
    for (int i = s.ndim; i < RW_MAX_DIMS; i++)
        s.dim[i] = 0;
    char b[64];
    rw_shape_str(s, b, sizeof b);
    for (int i = 0; i < s.ndim; i++)
        if (s.dim[i] < 1)
            return rwi_op_shape_error(n, "target shape %s has dimension %d of size %d; sizes must be >= 1", b, i,
                                     s.dim[i]);
    if (rw_shape_size(s) != n->in[0]->value.size)
        return rwi_op_shape_error(n, "cannot reshape %zu elements into %s (%zu elements)", n->in[0]->value.size, b,
                                 rw_shape_size(s));
    *out = s;
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void copy_forward(rw_node *n)
{
    memcpy(bytes(&n->value), bytes(&n->in[0]->value), n->value.size * esize(&n->value));
}

static void copy_backward(rw_node *n)
{
    if (n->in[0]->grad)
        add_run(n->in[0]->grad, n->grad, n->value.size);
}

/* ---- transpose and swap_axes ------------------------------------------------
 * The input is viewed as [pre, A, mid, B, post] and the output is
 * [pre, B, mid, A, post]; runs of `post` elements are contiguous in both. */

typedef struct swap_geom {
    size_t pre, a, mid, b, post;
} swap_geom;

static swap_geom swap_geom_of(rw_shape s, int a, int b)
{
    if (a == b) /* the identity */
        return (swap_geom){ 1, 1, 1, 1, rw_shape_size(s) };
    if (a > b) {
        int t = a;
        a = b;
        b = t;
    }
    return (swap_geom){ prod(s, 0, a), (size_t)s.dim[a], prod(s, a + 1, b), (size_t)s.dim[b],
                        prod(s, b + 1, s.ndim) };
}

/* y[p, j, m, i, :] = x[p, i, m, j, :], walking y in order. */
#define SWAP_COPY(name, T)                                                                   \
    static void name(T *restrict y, const T *restrict x, swap_geom s)                       \
    {                                                                                        \
        for (size_t p = 0; p < s.pre; p++)                                                   \
            for (size_t j = 0; j < s.b; j++)                                                 \
                for (size_t m = 0; m < s.mid; m++)                                           \
                    for (size_t i = 0; i < s.a; i++) {                                       \
                        const T *src = x + (((p * s.a + i) * s.mid + m) * s.b + j) * s.post; \
                        for (size_t q = 0; q < s.post; q++)                                  \
                            y[q] = src[q];                                                   \
                        y += s.post;                                                         \
                    }                                                                        \
    }
SWAP_COPY(swap_copy_real, rw_real)
SWAP_COPY(swap_copy_int, int32_t)

/* gx[p, i, m, j, :] += dy[p, j, m, i, :]: the same walk, adding back. */
static void swap_add(rw_real *restrict gx, const rw_real *restrict dy, swap_geom s)
{
    for (size_t p = 0; p < s.pre; p++)
        for (size_t j = 0; j < s.b; j++)
            for (size_t m = 0; m < s.mid; m++)
                for (size_t i = 0; i < s.a; i++) {
                    add_run(gx + (((p * s.a + i) * s.mid + m) * s.b + j) * s.post, dy, s.post);
                    dy += s.post;
                }
}

static void swap_forward_geom(rw_node *n, swap_geom s)
{
    if (n->value.dtype == RW_REAL)
        swap_copy_real(n->value.data, n->in[0]->value.data, s);
    else
        swap_copy_int(n->value.idata, n->in[0]->value.idata, s);
}

static rw_status transpose_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s = n->in[0]->value.shape;
    if (s.ndim != 2)
        return rwi_op_shape_error(n, "transpose needs a matrix (2-D); use swap_axes for other ranks");
    *out = rw_shape2(s.dim[1], s.dim[0]);
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void transpose_forward(rw_node *n) { swap_forward_geom(n, swap_geom_of(n->in[0]->value.shape, 0, 1)); }

static void transpose_backward(rw_node *n)
{
    if (n->in[0]->grad)
        swap_add(n->in[0]->grad, n->grad, swap_geom_of(n->in[0]->value.shape, 0, 1));
}

typedef struct swap_axes_attrs {
    int axis_a, axis_b;
} swap_axes_attrs;

static const rw_attr_def swap_attr_defs[] = {
    { "axis_a", RW_ATTR_INT, offsetof(swap_axes_attrs, axis_a), 0, "first axis (negative counts from the end)" },
    { "axis_b", RW_ATTR_INT, offsetof(swap_axes_attrs, axis_b), 1, "second axis (negative counts from the end)" },
};

/* The two axes of a (validated) swap_axes node, normalized. */
static swap_geom swap_axes_geom(const rw_node *n)
{
    const swap_axes_attrs *at = RW_ATTRS(n, swap_axes_attrs);
    rw_shape s = n->in[0]->value.shape;
    int a = at->axis_a < 0 ? at->axis_a + s.ndim : at->axis_a;
    int b = at->axis_b < 0 ? at->axis_b + s.ndim : at->axis_b;
    return swap_geom_of(s, a, b);
}

static rw_status swap_axes_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const swap_axes_attrs *at = RW_ATTRS(n, swap_axes_attrs);
    rw_shape s = n->in[0]->value.shape;
    int a = 0, b = 0;
    if (norm_axis(n, at->axis_a, s.ndim, "axis_a", &a) || norm_axis(n, at->axis_b, s.ndim, "axis_b", &b))
        return RW_ERR_SHAPE;
    *out = s;
    out->dim[a] = s.dim[b];
    out->dim[b] = s.dim[a];
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void swap_axes_forward(rw_node *n) { swap_forward_geom(n, swap_axes_geom(n)); }

static void swap_axes_backward(rw_node *n)
{
    if (n->in[0]->grad)
        swap_add(n->in[0]->grad, n->grad, swap_axes_geom(n));
}

/* ---- concat ----------------------------------------------------------------- */

typedef struct axis_attrs {
    int axis;
} axis_attrs;

static const rw_attr_def axis_attr_defs[] = {
    { "axis", RW_ATTR_INT, offsetof(axis_attrs, axis), 0, "the axis (negative counts from the end)" },
};

static int concat_axis(const rw_node *n)
{
    int axis = RW_ATTRS(n, axis_attrs)->axis;
    return axis < 0 ? axis + n->in[0]->value.shape.ndim : axis;
}

static rw_status concat_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s0 = n->in[0]->value.shape;
    int axis = 0;
    if (same_dtype(n) || norm_axis(n, RW_ATTRS(n, axis_attrs)->axis, s0.ndim, "axis", &axis))
        return RW_ERR_SHAPE;
    long total = s0.dim[axis];
    for (int i = 1; i < n->n_in; i++) {
        rw_shape s = n->in[i]->value.shape;
        bool ok = s.ndim == s0.ndim;
        for (int d = 0; ok && d < s.ndim; d++)
            ok = d == axis || s.dim[d] == s0.dim[d];
        if (!ok)
            return rwi_op_shape_error(n, "input %d differs from input 0 outside axis %d (concatenation needs "
                                        "every other dimension equal)", i, axis);
        total += s.dim[axis];
        if (total > INT_MAX)
            return rwi_op_shape_error(n, "the concatenation is too long along axis %d", axis);
    }
    *out = s0;
    out->dim[axis] = (int)total;
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void concat_forward(rw_node *n)
{
    int axis = concat_axis(n);
    rw_shape s = n->value.shape;
    size_t outer = prod(s, 0, axis), inner = prod(s, axis + 1, s.ndim), es = esize(&n->value);
    char *y = bytes(&n->value);
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            size_t run = (size_t)n->in[i]->value.shape.dim[axis] * inner * es;
            memcpy(y, bytes(&n->in[i]->value) + o * run, run);
            y += run;
        }
}

static void concat_backward(rw_node *n)
{
    int axis = concat_axis(n);
    rw_shape s = n->value.shape;
    size_t outer = prod(s, 0, axis), inner = prod(s, axis + 1, s.ndim);
    const rw_real *dy = n->grad;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            size_t run = (size_t)n->in[i]->value.shape.dim[axis] * inner;
            if (n->in[i]->grad)
                add_run(n->in[i]->grad + o * run, dy, run);
            dy += run;
        }
}

/* ---- slice ---------------------------------------------------------------- */

typedef struct slice_attrs {
    int axis, start, len;
} slice_attrs;

static const rw_attr_def slice_attr_defs[] = {
    { "axis", RW_ATTR_INT, offsetof(slice_attrs, axis), 0, "the axis (negative counts from the end)" },
    { "start", RW_ATTR_INT, offsetof(slice_attrs, start), 0, "first index taken along the axis" },
    { "len", RW_ATTR_INT, offsetof(slice_attrs, len), 1, "number of indices taken" },
};

static rw_status slice_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const slice_attrs *at = RW_ATTRS(n, slice_attrs);
    rw_shape s = n->in[0]->value.shape;
    int axis = 0;
    if (norm_axis(n, at->axis, s.ndim, "axis", &axis))
        return RW_ERR_SHAPE;
    if (at->start < 0 || at->len < 1 || at->start > s.dim[axis] - at->len)
        return rwi_op_shape_error(n, "slice start %d length %d does not fit axis %d of size %d "
                                    "(need start >= 0, length >= 1, start + length <= size)",
                                 at->start, at->len, at->axis, s.dim[axis]);
    *out = s;
    out->dim[axis] = at->len;
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

/* In elements: `outer` rows; each input row has in_run elements, of which
 * out_run starting at `offset` are taken. */
typedef struct slice_geom {
    size_t outer, in_run, out_run, offset;
} slice_geom;

static slice_geom slice_geom_of(const rw_node *n)
{
    const slice_attrs *at = RW_ATTRS(n, slice_attrs);
    rw_shape s = n->in[0]->value.shape;
    int axis = at->axis < 0 ? at->axis + s.ndim : at->axis;
    size_t inner = prod(s, axis + 1, s.ndim);
    return (slice_geom){ prod(s, 0, axis), (size_t)s.dim[axis] * inner, (size_t)at->len * inner,
                         (size_t)at->start * inner };
}

static void slice_forward(rw_node *n)
{
    slice_geom g = slice_geom_of(n);
    size_t es = esize(&n->value);
    const char *x = bytes(&n->in[0]->value);
    char *y = bytes(&n->value);
    for (size_t o = 0; o < g.outer; o++)
        memcpy(y + o * g.out_run * es, x + (o * g.in_run + g.offset) * es, g.out_run * es);
}

static void slice_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    slice_geom g = slice_geom_of(n);
    for (size_t o = 0; o < g.outer; o++)
        add_run(gx + o * g.in_run + g.offset, n->grad + o * g.out_run, g.out_run);
}

/* ---- stack ------------------------------------------------------------------ */

static rw_status stack_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s0 = n->in[0]->value.shape;
    if (same_dtype(n))
        return RW_ERR_SHAPE;
    for (int i = 1; i < n->n_in; i++)
        if (!rw_shape_equal(n->in[i]->value.shape, s0))
            return rwi_op_shape_error(n, "input %d's shape differs from input 0's (stack needs equal shapes)", i);
    if (s0.ndim + 1 > RW_MAX_DIMS)
        return rwi_op_shape_error(n, "stacking rank-%d tensors gives rank %d; at most %d is supported", s0.ndim,
                                 s0.ndim + 1, RW_MAX_DIMS);
    out->ndim = s0.ndim + 1;
    out->dim[0] = n->n_in;
    for (int d = 0; d < s0.ndim; d++)
        out->dim[d + 1] = s0.dim[d];
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void stack_forward(rw_node *n)
{
    size_t k = n->in[0]->value.size * esize(&n->value);
    char *y = bytes(&n->value);
    for (int i = 0; i < n->n_in; i++)
        memcpy(y + (size_t)i * k, bytes(&n->in[i]->value), k);
}

static void stack_backward(rw_node *n)
{
    size_t k = n->in[0]->value.size;
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i]->grad)
            add_run(n->in[i]->grad, n->grad + (size_t)i * k, k);
}

/* ---- index0: x[index] along the first axis ------------------------------------ */

typedef struct index0_attrs {
    int index;
} index0_attrs;

static const rw_attr_def index0_attr_defs[] = {
    { "index", RW_ATTR_INT, offsetof(index0_attrs, index), 0, "the index along axis 0" },
};

static rw_status index0_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s = n->in[0]->value.shape;
    int index = RW_ATTRS(n, index0_attrs)->index;
    if (s.ndim < 1)
        return rwi_op_shape_error(n, "index %d: a scalar has no axis 0", index);
    if (index < 0 || index >= s.dim[0])
        return rwi_op_shape_error(n, "index %d is out of range for axis 0 of size %d", index, s.dim[0]);
    out->ndim = s.ndim - 1;
    for (int d = 1; d < s.ndim; d++)
        out->dim[d - 1] = s.dim[d];
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void index0_forward(rw_node *n)
{
    size_t k = n->value.size * esize(&n->value);
    memcpy(bytes(&n->value), bytes(&n->in[0]->value) + (size_t)RW_ATTRS(n, index0_attrs)->index * k, k);
}

static void index0_backward(rw_node *n)
{
    if (n->in[0]->grad)
        add_run(n->in[0]->grad + (size_t)RW_ATTRS(n, index0_attrs)->index * n->value.size, n->grad,
                n->value.size);
}

/* ---- records ------------------------------------------------------------------ */

static size_t whole_view(const rw_node *n);

static const rw_op_def reshape_def = {
    .view_offset = whole_view,
    .name = "reshape", .arity = 1, .attr_size = sizeof(reshape_attrs), .attrs = reshape_attr_defs,
    .n_attrs = 5, .shape = reshape_shape, .forward = copy_forward, .backward = copy_backward,
    .doc = "the same elements in row-major order with shape [d0..d(ndim-1)]; real or int32" };
static const rw_op_def transpose_def = {
    .fills_output = true,
    .name = "transpose", .arity = 1, .shape = transpose_shape, .forward = transpose_forward,
    .backward = transpose_backward, .doc = "x^T of a matrix [R, C] -> [C, R]" };
static const rw_op_def swap_axes_def = {
    .fills_output = true,
    .name = "swap_axes", .arity = 1, .attr_size = sizeof(swap_axes_attrs), .attrs = swap_attr_defs,
    .n_attrs = 2, .shape = swap_axes_shape, .forward = swap_axes_forward, .backward = swap_axes_backward,
    .doc = "x with axes axis_a and axis_b exchanged (any rank)" };
static const rw_op_def concat_def = {
    .fills_output = true,
    .name = "concat", .arity = RW_VARIADIC, .min_arity = 1, .attr_size = sizeof(axis_attrs),
    .attrs = axis_attr_defs, .n_attrs = 1, .shape = concat_shape, .forward = concat_forward,
    .backward = concat_backward, .doc = "the inputs joined along `axis`; all other dimensions equal" };
static const rw_op_def slice_def = {
    .fills_output = true,
    .name = "slice", .arity = 1, .attr_size = sizeof(slice_attrs), .attrs = slice_attr_defs, .n_attrs = 3,
    .shape = slice_shape, .forward = slice_forward, .backward = slice_backward,
    .doc = "indices [start, start + len) of x along `axis`" };
static const rw_op_def stack_def = {
    .fills_output = true,
    .name = "stack", .arity = RW_VARIADIC, .min_arity = 1, .shape = stack_shape, .forward = stack_forward,
    .backward = stack_backward, .doc = "n tensors of one shape X stacked into [n, X]" };
static size_t index0_view(const rw_node *n) { return (size_t)RW_ATTRS(n, index0_attrs)->index * n->value.size; }
static size_t whole_view(const rw_node *n) { (void)n; return 0; }

static const rw_op_def index0_def = {
    .view_offset = index0_view,
    .name = "index0", .arity = 1, .attr_size = sizeof(index0_attrs), .attrs = index0_attr_defs,
    .n_attrs = 1, .shape = index0_shape, .forward = index0_forward, .backward = index0_backward,
    .doc = "x[index] along the first axis: [T, X] -> X" };

/* ---- constructors ------------------------------------------------------------ */

rw_node *rw_reshape(rw_graph *g, rw_node *x, rw_shape shape)
{
    reshape_attrs at = { 1, 1, 1, 1, shape.ndim };
    int *d[RW_MAX_DIMS] = { &at.d0, &at.d1, &at.d2, &at.d3 };
    for (int i = 0; i < shape.ndim && i < RW_MAX_DIMS; i++)
        *d[i] = shape.dim[i];
    return rw_apply(g, &reshape_def, &x, 1, &at);
}

rw_node *rw_transpose(rw_graph *g, rw_node *x) { return rw_apply(g, &transpose_def, &x, 1, NULL); }

rw_node *rw_swap_axes(rw_graph *g, rw_node *x, int axis_a, int axis_b)
{
    swap_axes_attrs at = { axis_a, axis_b };
    return rw_apply(g, &swap_axes_def, &x, 1, &at);
}

rw_node *rw_concat(rw_graph *g, rw_node *const *xs, int n, int axis)
{
    axis_attrs at = { axis };
    return rw_apply(g, &concat_def, xs, n, &at);
}

rw_node *rw_slice(rw_graph *g, rw_node *x, int axis, int start, int len)
{
    slice_attrs at = { axis, start, len };
    return rw_apply(g, &slice_def, &x, 1, &at);
}

rw_node *rw_stack(rw_graph *g, rw_node *const *xs, int n) { return rw_apply(g, &stack_def, xs, n, NULL); }

rw_node *rw_index0(rw_graph *g, rw_node *x, int index)
{
    index0_attrs at = { index };
    return rw_apply(g, &index0_def, &x, 1, &at);
}

rw_status rw_split(rw_graph *g, rw_node *x, int axis, int parts, rw_node **out)
{
    if (!out)
        return rw_error(RW_ERR_ARG, "op 'split': NULL output array");
    for (int i = 0; i < parts; i++)
        out[i] = NULL;
    if (!x)
        return rwi_op_null_input("op 'split'", "input");
    char b[64];
    rw_shape s = x->value.shape;
    rw_shape_str(s, b, sizeof b);
    if (s.ndim == 0)
        return rw_error(RW_ERR_SHAPE, "op 'split': input %s: axis %d: a scalar has no axes", b, axis);
    if (axis < -s.ndim || axis >= s.ndim)
        return rw_error(RW_ERR_SHAPE, "op 'split': input %s: axis %d is out of range for rank %d (valid: %d..%d)",
                        b, axis, s.ndim, -s.ndim, s.ndim - 1);
    int a = axis < 0 ? axis + s.ndim : axis;
    if (parts < 1 || s.dim[a] % parts != 0)
        return rw_error(RW_ERR_SHAPE, "op 'split': input %s: axis %d of size %d cannot be split into %d equal parts",
                        b, axis, s.dim[a], parts);
    int len = s.dim[a] / parts;
    for (int i = 0; i < parts; i++)
        if (!(out[i] = rw_slice(g, x, a, i * len, len))) {
            for (int k = 0; k < i; k++)
                out[k] = NULL;
            return rw_last_status();
        }
    return RW_OK;
}

rw_status rw_unstack(rw_graph *g, rw_node *x, rw_node **out)
{
    if (!out)
        return rw_error(RW_ERR_ARG, "op 'unstack': NULL output array");
    if (!x)
        return rwi_op_null_input("op 'unstack'", "input");
    if (x->value.shape.ndim == 0)
        return rw_error(RW_ERR_SHAPE, "op 'unstack': input []: a scalar has no axis 0 to unstack");
    int steps = x->value.shape.dim[0];
    for (int t = 0; t < steps; t++)
        if (!(out[t] = rw_index0(g, x, t))) {
            for (int k = 0; k < steps; k++)
                out[k] = NULL;
            return rw_last_status();
        }
    return RW_OK;
}

static const rw_op_def *const defs[] = { &reshape_def, &transpose_def, &swap_axes_def, &concat_def,
                                         &slice_def,   &stack_def,     &index0_def };
const rw_op_family rwi_family_shape = { "shape", defs, sizeof defs / sizeof defs[0] };
