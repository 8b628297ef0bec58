/* Shape ops that rearrange one tensor: reshape, transpose and swap_axes.
 * They only move data, so they work on real and int32 tensors alike (an
 * int32 result carries no gradient). Ops that join tensors or take them
 * apart along an axis (concat, slice, stack, index0) are in shape_join.c.
 *
 * Each op below reads top to bottom: attributes, shape rule, forward,
 * backward (its formula above it), record, constructor. */
#include <string.h>
#include "shape_common.h"
#include "rewind/ops_shape.h"

/* ---- reshape: the same elements with another shape ------------------------
 * A view: the output is input 0's storage (view_offset 0), so forward
 * copies nothing. */

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

/* (not called for a view; kept as the op's definition of its value) */
static void reshape_forward(rw_node *n)
{
    memcpy(rw_shape_bytes(&n->value), rw_shape_bytes(&n->in[0]->value), n->value.size * rw_shape_esize(&n->value));
}

/* dx += dy, element for element */
static void reshape_backward(rw_node *n)
{
    if (n->in[0]->grad)
        rw_shape_add_run(n->in[0]->grad, n->grad, n->value.size);
}

static size_t reshape_view(const rw_node *n) { (void)n; return 0; }

static const rw_op_def reshape_def = {
    .view_offset = reshape_view,
    .name = "reshape", .arity = 1, .attr_size = sizeof(reshape_attrs), .attrs = reshape_attr_defs,
    .n_attrs = 5, .shape = reshape_shape, .forward = reshape_forward, .backward = reshape_backward,
    .backward_skips_inputs = 1u << 0, .backward_skips_output = true,
    .doc = "the same elements in row-major order with shape [d0..d(ndim-1)]; real or int32" };

rw_node *rw_reshape(rw_graph *g, rw_node *x, rw_shape shape)
{
    reshape_attrs at = { 1, 1, 1, 1, shape.ndim };
    int *d[RW_MAX_DIMS] = { &at.d0, &at.d1, &at.d2, &at.d3 };
    for (int i = 0; i < shape.ndim && i < RW_MAX_DIMS; i++)
        *d[i] = shape.dim[i];
    return rw_apply(g, &reshape_def, &x, 1, &at);
}

/* ---- exchanging two axes: the walk shared by transpose and swap_axes ------
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
    return (swap_geom){ rw_shape_prod(s, 0, a), (size_t)s.dim[a], rw_shape_prod(s, a + 1, b), (size_t)s.dim[b],
                        rw_shape_prod(s, b + 1, s.ndim) };
}

/* The offset, in runs, of x[p, i, m, j, :]. */
static size_t swap_src_run(swap_geom s, size_t p, size_t i, size_t m, size_t j)
{
    return ((p * s.a + i) * s.mid + m) * s.b + j;
}

/* y[p, j, m, i, :] = x[p, i, m, j, :], walking y in order; any dtype. */
static void swap_copy(rw_node *n, swap_geom s)
{
    size_t run = s.post * rw_shape_esize(&n->value);
    const char *x = rw_shape_bytes(&n->in[0]->value);
    char *y = rw_shape_bytes(&n->value);
    for (size_t p = 0; p < s.pre; p++)
        for (size_t j = 0; j < s.b; j++)
            for (size_t m = 0; m < s.mid; m++)
                for (size_t i = 0; i < s.a; i++, y += run)
                    memcpy(y, x + swap_src_run(s, p, i, m, j) * run, run);
}

/* dx[p, i, m, j, :] += dy[p, j, m, i, :]: the same walk, adding back. */
static void swap_add(rw_node *n, swap_geom s)
{
    rw_real *gx = n->in[0]->grad;
    const rw_real *dy = n->grad;
    if (!gx)
        return;
    for (size_t p = 0; p < s.pre; p++)
        for (size_t j = 0; j < s.b; j++)
            for (size_t m = 0; m < s.mid; m++)
                for (size_t i = 0; i < s.a; i++, dy += s.post)
                    rw_shape_add_run(gx + swap_src_run(s, p, i, m, j) * s.post, dy, s.post);
}

/* ---- transpose: y = x^T of a matrix ----------------------------------------- */

static rw_status transpose_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s = n->in[0]->value.shape;
    if (s.ndim != 2)
        return rwi_op_shape_error(n, "transpose needs a matrix (2-D); use swap_axes for other ranks");
    *out = rw_shape2(s.dim[1], s.dim[0]);
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

static void transpose_forward(rw_node *n) { swap_copy(n, swap_geom_of(n->in[0]->value.shape, 0, 1)); }

/* dx += dy^T */
static void transpose_backward(rw_node *n) { swap_add(n, swap_geom_of(n->in[0]->value.shape, 0, 1)); }

static const rw_op_def transpose_def = {
    .fills_output = true,
    .name = "transpose", .arity = 1, .shape = transpose_shape, .forward = transpose_forward,
    .backward = transpose_backward, .doc = "x^T of a matrix [R, C] -> [C, R]" };

rw_node *rw_transpose(rw_graph *g, rw_node *x) { return rw_apply(g, &transpose_def, &x, 1, NULL); }

/* ---- swap_axes: x with two axes exchanged (any rank) ------------------------- */

typedef struct swap_axes_attrs {
    int axis_a, axis_b;
} swap_axes_attrs;

static const rw_attr_def swap_attr_defs[] = {
    { "axis_a", RW_ATTR_INT, offsetof(swap_axes_attrs, axis_a), 0, "first axis (negative counts from the end)" },
    { "axis_b", RW_ATTR_INT, offsetof(swap_axes_attrs, axis_b), 1, "second axis (negative counts from the end)" },
};

static rw_status swap_axes_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const swap_axes_attrs *at = RW_ATTRS(n, swap_axes_attrs);
    rw_shape s = n->in[0]->value.shape;
    int a = 0, b = 0;
    if (rw_shape_norm_axis(n, at->axis_a, s.ndim, "axis_a", &a) ||
        rw_shape_norm_axis(n, at->axis_b, s.ndim, "axis_b", &b))
        return RW_ERR_SHAPE;
    *out = s;
    out->dim[a] = s.dim[b];
    out->dim[b] = s.dim[a];
    *dt = n->in[0]->value.dtype;
    return RW_OK;
}

/* The geometry of a (validated) swap_axes node, its axes normalized. */
static swap_geom swap_axes_geom(const rw_node *n)
{
    const swap_axes_attrs *at = RW_ATTRS(n, swap_axes_attrs);
    rw_shape s = n->in[0]->value.shape;
    int a = at->axis_a < 0 ? at->axis_a + s.ndim : at->axis_a;
    int b = at->axis_b < 0 ? at->axis_b + s.ndim : at->axis_b;
    return swap_geom_of(s, a, b);
}

static void swap_axes_forward(rw_node *n) { swap_copy(n, swap_axes_geom(n)); }

/* dx += dy with the same two axes exchanged back */
static void swap_axes_backward(rw_node *n) { swap_add(n, swap_axes_geom(n)); }

static const rw_op_def swap_axes_def = {
    .fills_output = true,
    .name = "swap_axes", .arity = 1, .attr_size = sizeof(swap_axes_attrs), .attrs = swap_attr_defs,
    .n_attrs = 2, .shape = swap_axes_shape, .forward = swap_axes_forward, .backward = swap_axes_backward,
    .doc = "x with axes axis_a and axis_b exchanged (any rank)" };

rw_node *rw_swap_axes(rw_graph *g, rw_node *x, int axis_a, int axis_b)
{
    swap_axes_attrs at = { axis_a, axis_b };
    return rw_apply(g, &swap_axes_def, &x, 1, &at);
}

static const rw_op_def *const defs[] = { &reshape_def, &transpose_def, &swap_axes_def };
const rw_op_family rwi_family_shape_view = { "shape_view", defs, sizeof defs / sizeof defs[0] };
