/* Shape ops that join tensors or take them apart along an axis: concat and
 * its inverse slice (and split), stack and its inverse index0 (and
 * unstack). They only move data, so they work on real and int32 tensors
 * alike (an int32 result carries no gradient). Ops that rearrange one
 * tensor (reshape, transpose, swap_axes) are in shape_view.c.
 *
 * Every op views its tensors as [outer, axis, inner] blocks so that forward
 * copies and backward adds contiguous runs of `inner` elements (or longer):
 * splitting fused gate pre-activations, unstacking [T, B, X] into steps and
 * stacking states are one memcpy per row or per step, with no allocation.
 *
 * Each op below reads top to bottom: attributes, shape rule, forward,
 * backward (its formula above it), record, constructor. */
#include <limits.h>
#include <string.h>
#include "shape_common.h"
#include "rewind/ops_shape.h"

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

/* ---- concat: the inputs joined along an axis --------------------------------- */

typedef struct axis_attrs {
    int axis;
} axis_attrs;

static const rw_attr_def axis_attr_defs[] = {
    { "axis", RW_ATTR_INT, offsetof(axis_attrs, axis), 0, "the axis (negative counts from the end)" },
};

static rw_status concat_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    rw_shape s0 = n->in[0]->value.shape;
    int axis = 0;
    if (same_dtype(n) || rw_shape_norm_axis(n, RW_ATTRS(n, axis_attrs)->axis, s0.ndim, "axis", &axis))
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

static int concat_axis(const rw_node *n)
{
    int axis = RW_ATTRS(n, axis_attrs)->axis;
    return axis < 0 ? axis + n->in[0]->value.shape.ndim : axis;
}

/* Each of `outer` output rows is input 0's row, then input 1's, ... */
static void concat_forward(rw_node *n)
{
    int axis = concat_axis(n);
    rw_shape s = n->value.shape;
    size_t outer = rw_shape_prod(s, 0, axis), inner = rw_shape_prod(s, axis + 1, s.ndim);
    size_t es = rw_shape_esize(&n->value);
    char *y = rw_shape_bytes(&n->value);
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            size_t run = (size_t)n->in[i]->value.shape.dim[axis] * inner * es;
            memcpy(y, rw_shape_bytes(&n->in[i]->value) + o * run, run);
            y += run;
        }
}

/* dx_i += the part of dy that came from x_i */
static void concat_backward(rw_node *n)
{
    int axis = concat_axis(n);
    rw_shape s = n->value.shape;
    size_t outer = rw_shape_prod(s, 0, axis), inner = rw_shape_prod(s, axis + 1, s.ndim);
    const rw_real *dy = n->grad;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            size_t run = (size_t)n->in[i]->value.shape.dim[axis] * inner;
            if (n->in[i]->grad)
                rw_shape_add_run(n->in[i]->grad + o * run, dy, run);
            dy += run;
        }
}

static const rw_op_def concat_def = {
    .fills_output = true,
    .name = "concat", .arity = RW_VARIADIC, .min_arity = 1, .attr_size = sizeof(axis_attrs),
    .attrs = axis_attr_defs, .n_attrs = 1, .shape = concat_shape, .forward = concat_forward,
    .backward = concat_backward, .backward_skips_inputs = UINT32_MAX, .backward_skips_output = true,
    .doc = "the inputs joined along `axis`; all other dimensions equal" };

rw_node *rw_concat(rw_graph *g, rw_node *const *xs, int n, int axis)
{
    axis_attrs at = { axis };
    return rw_apply(g, &concat_def, xs, n, &at);
}

/* ---- slice: indices [start, start + len) along an axis (and split) --------- */

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
    if (rw_shape_norm_axis(n, at->axis, s.ndim, "axis", &axis))
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
    size_t inner = rw_shape_prod(s, axis + 1, s.ndim);
    return (slice_geom){ rw_shape_prod(s, 0, axis), (size_t)s.dim[axis] * inner, (size_t)at->len * inner,
                         (size_t)at->start * inner };
}

/* rows [lo, hi) of the slice */
static void slice_forward_rows(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    slice_geom g = slice_geom_of(n);
    size_t es = rw_shape_esize(&n->value);
    const char *x = rw_shape_bytes(&n->in[0]->value);
    char *y = rw_shape_bytes(&n->value);
    for (size_t o = lo; o < hi; o++)
        memcpy(y + o * g.out_run * es, x + (o * g.in_run + g.offset) * es, g.out_run * es);
}

/* Rows of at least RWI_GRAIN_ARITH elements a piece, split across threads
 * (each row is its own run of the input and of its gradient). */
static void by_rows(rw_node *n, size_t rows, size_t run, void (*piece)(void *node, size_t lo, size_t hi))
{
    rwi_parallel_for(rows, RWI_GRAIN_ARITH / (run + 1) + 1, 1, piece, n);
}

static void slice_forward(rw_node *n)
{
    slice_geom g = slice_geom_of(n);
    by_rows(n, g.outer, g.out_run, slice_forward_rows);
}

/* dx[..., start + j, ...] += dy[..., j, ...] for rows [lo, hi) */
static void slice_backward_rows(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    slice_geom g = slice_geom_of(n);
    for (size_t o = lo; o < hi; o++)
        rw_shape_add_run(n->in[0]->grad + o * g.in_run + g.offset, n->grad + o * g.out_run, g.out_run);
}

static void slice_backward(rw_node *n)
{
    if (!n->in[0]->grad)
        return;
    slice_geom g = slice_geom_of(n);
    by_rows(n, g.outer, g.out_run, slice_backward_rows);
}

static const rw_op_def slice_def = {
    .fills_output = true,
    .name = "slice", .arity = 1, .attr_size = sizeof(slice_attrs), .attrs = slice_attr_defs, .n_attrs = 3,
    .shape = slice_shape, .forward = slice_forward, .backward = slice_backward,
    .backward_skips_inputs = 1u << 0, .backward_skips_output = true,
    .doc = "indices [start, start + len) of x along `axis`" };

rw_node *rw_slice(rw_graph *g, rw_node *x, int axis, int start, int len)
{
    slice_attrs at = { axis, start, len };
    return rw_apply(g, &slice_def, &x, 1, &at);
}

/* split: `parts` equal slices along an axis (no op of its own) */
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

/* ---- stack: n tensors of one shape X into [n, X] -------------------------- */

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

/* inputs [lo, hi) into their rows of y */
static void stack_forward_rows(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    size_t k = n->in[0]->value.size * rw_shape_esize(&n->value);
    char *y = rw_shape_bytes(&n->value);
    for (size_t i = lo; i < hi; i++)
        memcpy(y + i * k, rw_shape_bytes(&n->in[i]->value), k);
}

static void stack_forward(rw_node *n) { by_rows(n, (size_t)n->n_in, n->in[0]->value.size, stack_forward_rows); }

/* dx_i += dy[i] */
static void stack_backward(rw_node *n)
{
    size_t k = n->in[0]->value.size;
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i]->grad)
            rw_shape_add_run(n->in[i]->grad, n->grad + (size_t)i * k, k);
}

static const rw_op_def stack_def = {
    .fills_output = true,
    .name = "stack", .arity = RW_VARIADIC, .min_arity = 1, .shape = stack_shape, .forward = stack_forward,
    .backward = stack_backward, .backward_skips_inputs = UINT32_MAX, .backward_skips_output = true,
    .doc = "n tensors of one shape X stacked into [n, X]" };

rw_node *rw_stack(rw_graph *g, rw_node *const *xs, int n) { return rw_apply(g, &stack_def, xs, n, NULL); }

/* ---- index0: x[index] along the first axis (and unstack) -------------------
 * A view: the output is a window onto input 0's storage, so forward copies
 * nothing. */

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

/* (not called for a view; kept as the op's definition of its value) */
static void index0_forward(rw_node *n)
{
    size_t k = n->value.size * rw_shape_esize(&n->value);
    memcpy(rw_shape_bytes(&n->value), rw_shape_bytes(&n->in[0]->value) + (size_t)RW_ATTRS(n, index0_attrs)->index * k,
           k);
}

/* dx[index] += dy */
static void index0_backward(rw_node *n)
{
    if (n->in[0]->grad)
        rw_shape_add_run(n->in[0]->grad + (size_t)RW_ATTRS(n, index0_attrs)->index * n->value.size, n->grad,
                         n->value.size);
}

static size_t index0_view(const rw_node *n) { return (size_t)RW_ATTRS(n, index0_attrs)->index * n->value.size; }

static const rw_op_def index0_def = {
    .view_offset = index0_view,
    .name = "index0", .arity = 1, .attr_size = sizeof(index0_attrs), .attrs = index0_attr_defs,
    .n_attrs = 1, .shape = index0_shape, .forward = index0_forward, .backward = index0_backward,
    .backward_skips_inputs = 1u << 0, .backward_skips_output = true,
    .doc = "x[index] along the first axis: [T, X] -> X" };

rw_node *rw_index0(rw_graph *g, rw_node *x, int index)
{
    index0_attrs at = { index };
    return rw_apply(g, &index0_def, &x, 1, &at);
}

/* unstack: every x[t] along the first axis (no op of its own) */
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

static const rw_op_def *const defs[] = { &concat_def, &slice_def, &stack_def, &index0_def };
const rw_op_family rwi_family_shape_join = { "shape_join", defs, sizeof defs / sizeof defs[0] };
