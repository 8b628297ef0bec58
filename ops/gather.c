/* Embedding lookup: rows of a table selected by int32 ids. Forward copies
 * one row per id; backward scatter-adds each output row's gradient into
 * its table row, so repeated ids receive the sum. The padding id -1 (what
 * the batcher writes past a sequence's end) selects no row: its output row
 * is zero and its gradient goes nowhere. */
#include <stdio.h>
#include <string.h>
#include "op_util.h"
#include "rewind/ops_shape.h"

/* The batcher's padding id (RW_PAD in rewind/batch.h, a layer above). */
enum { PAD_ID = -1 };

/* "[1, 3]": the multi-index of flat position k in shape s. */
static char *position_str(rw_shape s, size_t k, char *buf, size_t len)
{
    rw_shape idx = { .ndim = s.ndim };
    for (int d = s.ndim - 1; d >= 0; d--) {
        idx.dim[d] = (int)(k % (size_t)s.dim[d]);
        k /= (size_t)s.dim[d];
    }
    return rw_shape_str(idx, buf, len);
}

static rw_status gather_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0) || rwi_op_require_int(n, 1))
        return RW_ERR_SHAPE;
    rw_shape st = n->in[0]->value.shape, si = n->in[1]->value.shape;
    if (st.ndim != 2)
        return rwi_op_shape_error(n, "the table must be a matrix [V, E], one row per id");
    if (si.ndim + 1 > RW_MAX_DIMS)
        return rwi_op_shape_error(n, "the ids may have at most %d dimensions (the result adds one)",
                                 RW_MAX_DIMS - 1);
    const int32_t *ids = n->in[1]->value.idata;
    for (size_t k = 0; k < n->in[1]->value.size; k++)
        if ((ids[k] < 0 && ids[k] != PAD_ID) || ids[k] >= st.dim[0]) {
            char b[64];
            return rwi_op_shape_error(n, "id %d at position %s is out of range for a table of %d rows",
                                     (int)ids[k], position_str(si, k, b, sizeof b), st.dim[0]);
        }
    *out = si;
    out->dim[si.ndim] = st.dim[1];
    out->ndim = si.ndim + 1;
    *dt = RW_REAL;
    return RW_OK;
}

static void gather_forward(rw_node *n)
{
    size_t e = (size_t)n->in[0]->value.shape.dim[1], count = n->in[1]->value.size;
    const rw_real *table = n->in[0]->value.data;
    const int32_t *ids = n->in[1]->value.idata;
    rw_real *y = n->value.data;
    for (size_t k = 0; k < count; k++)
        if (ids[k] == PAD_ID)
            memset(y + k * e, 0, e * sizeof *y);
        else
            memcpy(y + k * e, table + (size_t)ids[k] * e, e * sizeof *y);
}

static void gather_backward(rw_node *n)
{
    rw_real *gt = n->in[0]->grad;
    if (!gt)
        return;
    size_t e = (size_t)n->in[0]->value.shape.dim[1], count = n->in[1]->value.size;
    const int32_t *ids = n->in[1]->value.idata;
    for (size_t k = 0; k < count; k++) {
        if (ids[k] == PAD_ID)
            continue;
        rw_real *row = gt + (size_t)ids[k] * e;
        const rw_real *dy = n->grad + k * e;
        for (size_t j = 0; j < e; j++)
            row[j] += dy[j];
    }
}

static const rw_op_def gather_def = {
    .fills_output = true,
    .name = "gather", .arity = 2, .nondiff = 1u << 1, .shape = gather_shape, .forward = gather_forward,
    .backward = gather_backward, .doc = "embedding lookup: rows ids[...] of table [V, E] -> [..., E]; id -1 (padding) gives a zero row" };

rw_node *rw_gather(rw_graph *g, rw_node *table, rw_node *ids)
{
    rw_node *in[2] = { table, ids };
    return rw_apply(g, &gather_def, in, 2, NULL);
}

static const rw_op_def *const defs[] = { &gather_def };
const rw_op_family rwi_family_gather = { "gather", defs, 1 };
