/* Masking: where() selects between two tensors by a mask, one value per
 * element or per row; sequence_mask turns lengths into a [T, B] mask.
 * Together they freeze padded steps of a batch of unequal sequences:
 * state_t = where(mask_t, new_state, old_state). */
#include <string.h>
#include "op_util.h"
#include "rewind/ops_mask.h"

/* ---- where -------------------------------------------------------------- */

static rw_status where_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    for (int i = 0; i < 3; i++)
        if (rwi_op_require_real(n, i))
            return RW_ERR_SHAPE;
    rw_shape sm = n->in[0]->value.shape, sa = n->in[1]->value.shape, sb = n->in[2]->value.shape;
    if (!rw_shape_equal(sa, sb))
        return rwi_op_shape_error(n, "the two choices (inputs 1 and 2) must have the same shape");
    bool prefix = sm.ndim <= sa.ndim;
    for (int d = 0; prefix && d < sm.ndim; d++)
        prefix = sm.dim[d] == sa.dim[d];
    if (!prefix)
        return rwi_op_shape_error(n, "the mask (input 0) must have the choices' shape or a leading part of it "
                                    "(one mask value per row)");
    *out = sa;
    *dt = RW_REAL;
    return RW_OK;
}

static void where_forward(rw_node *n)
{
    const rw_real *m = n->in[0]->value.data, *a = n->in[1]->value.data, *b = n->in[2]->value.data;
    rw_real *y = n->value.data;
    size_t rows = n->in[0]->value.size, inner = n->value.size / rows;
    if (inner == 1) {
        for (size_t i = 0; i < rows; i++)
            y[i] = m[i] != 0 ? a[i] : b[i];
        return;
    }
    for (size_t r = 0; r < rows; r++)
        memcpy(y + r * inner, (m[r] != 0 ? a : b) + r * inner, inner * sizeof *y);
}

/* The selected input's gradient gets dy; the other gets nothing there. */
static void where_backward(rw_node *n)
{
    const rw_real *m = n->in[0]->value.data, *dy = n->grad;
    rw_real *ga = n->in[1]->grad, *gb = n->in[2]->grad;
    size_t rows = n->in[0]->value.size, inner = n->value.size / rows;
    for (size_t r = 0; r < rows; r++) {
        rw_real *g = m[r] != 0 ? ga : gb;
        if (!g)
            continue;
        g += r * inner;
        const rw_real *d = dy + r * inner;
        for (size_t j = 0; j < inner; j++)
            g[j] += d[j];
    }
}

static const rw_op_def where_def = {
    .fills_output = true,
    .name = "where", .arity = 3, .nondiff = 1u << 0, .shape = where_shape, .forward = where_forward,
    .backward = where_backward, .backward_skips_inputs = 3u << 1, .backward_skips_output = true, /* reads the mask */
    .doc = "mask != 0 ? a : b, the mask having a's shape or a leading part of it (one value per row)" };

rw_node *rw_where(rw_graph *g, rw_node *mask, rw_node *a, rw_node *b)
{
    rw_node *in[3] = { mask, a, b };
    return rw_apply(g, &where_def, in, 3, NULL);
}

/* ---- sequence_mask ------------------------------------------------------ */

typedef struct sequence_mask_attrs {
    int steps;
} sequence_mask_attrs;

static const rw_attr_def sequence_mask_attr_defs[] = {
    { "steps", RW_ATTR_INT, offsetof(sequence_mask_attrs, steps), 1, "number of time steps T" },
};

static rw_status sequence_mask_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    int steps = RW_ATTRS(n, sequence_mask_attrs)->steps;
    if (rwi_op_require_int(n, 0))
        return RW_ERR_SHAPE;
    rw_shape sl = n->in[0]->value.shape;
    if (sl.ndim != 1)
        return rwi_op_shape_error(n, "the lengths must be a vector [B], one length per sequence");
    if (steps < 1)
        return rwi_op_shape_error(n, "steps is %d; it must be at least 1", steps);
    const int32_t *len = n->in[0]->value.idata;
    for (int b = 0; b < sl.dim[0]; b++)
        if (len[b] < 0 || len[b] > steps)
            return rwi_op_shape_error(n, "length %d at position %d is out of range [0, %d]", (int)len[b], b, steps);
    *out = rw_shape2(steps, sl.dim[0]);
    *dt = RW_REAL;
    return RW_OK;
}

static void sequence_mask_forward(rw_node *n)
{
    const int32_t *len = n->in[0]->value.idata;
    int steps = n->value.shape.dim[0], batch = n->value.shape.dim[1];
    rw_real *y = n->value.data;
    for (int t = 0; t < steps; t++)
        for (int b = 0; b < batch; b++)
            y[(size_t)t * (size_t)batch + (size_t)b] = t < len[b] ? 1 : 0;
}

static const rw_op_def sequence_mask_def = {
    .name = "sequence_mask", .arity = 1, .nondiff = 1u << 0, .attr_size = sizeof(sequence_mask_attrs),
    .attrs = sequence_mask_attr_defs, .n_attrs = 1, .shape = sequence_mask_shape,
    .forward = sequence_mask_forward, .backward = NULL,
    .doc = "lengths int32 [B] -> real [steps, B]: 1 where t < lengths[b], else 0" };

rw_node *rw_sequence_mask(rw_graph *g, rw_node *lengths, int steps)
{
    sequence_mask_attrs at = { steps };
    return rw_apply(g, &sequence_mask_def, &lengths, 1, &at);
}

/* ---- the family, registered by ops/builtin.c ------------------------------ */

static const rw_op_def *const defs[] = { &where_def, &sequence_mask_def };
const rw_op_family rwi_family_mask = { "mask", defs, 2 };
