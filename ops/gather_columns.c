/* gather_columns: the first layer of a network over one-hot inputs, as a
 * lookup instead of a [rows, V] x [V, G] product. */
#include <string.h>
#include "op_util.h"
#include "matmul_weight.h"
#include "rewind/ops_gather_columns.h"

static rw_status gather_columns_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0) || rwi_op_require_int(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sw = n->in[0]->value.shape, si = n->in[1]->value.shape;
    if (sw.ndim != 2)
        return rwi_op_shape_error(n, "the table must be a matrix [G, V]");
    if (si.ndim >= RW_MAX_DIMS)
        return rwi_op_shape_error(n, "the ids may have at most %d dimensions", RW_MAX_DIMS - 1);
    const int32_t *ids = n->in[1]->value.idata;
    for (size_t i = 0; i < n->in[1]->value.size; i++)
        if (ids[i] >= sw.dim[1])
            return rwi_op_shape_error(n, "id %d at position %zu is out of range for %d columns", (int)ids[i], i,
                                     sw.dim[1]);
    *out = si;
    out->dim[out->ndim++] = sw.dim[0];
    *dt = RW_REAL;
    return RW_OK;
}

/* A parameter table is read through its transpose W^T [V, G] (one copy per
 * step, matmul_weight.h), where a column of W is a contiguous row: the
 * forward copies rows, and the backward adds rows into a transposed
 * gradient that goes into dW at the end, instead of reading and writing W
 * with a stride of V at every element. */
typedef struct gather_job {
    rw_node *n;
    const rw_real *wt;  /* W^T [V, G], or NULL: read W as stored */
    rw_real *gt;        /* backward: the transposed gradient [V, G] */
    bool few;           /* fewer ids than V / 8: a repeated id copies its first row */
} gather_job;

/* The first row in [lo, r) with id ids[r], or r. Searched only among few
 * ids, where reading W's column costs G cache lines. */
static size_t same_id_before(const int32_t *ids, size_t lo, size_t r)
{
    while (lo < r && ids[lo] != ids[r])
        lo++;
    return lo;
}

/* rows [lo, hi) of y: y[r, :] = w[:, ids[r]] */
static void gather_columns_forward_piece(void *ctx, size_t lo, size_t hi)
{
    const gather_job *j = ctx;
    rw_node *n = j->n;
    int G = n->in[0]->value.shape.dim[0], V = n->in[0]->value.shape.dim[1];
    const rw_real *w = n->in[0]->value.data;
    const int32_t *ids = n->in[1]->value.idata;
    size_t same;
    for (size_t r = lo; r < hi; r++) {
        rw_real *y = n->value.data + r * (size_t)G;
        if (ids[r] < 0)
            memset(y, 0, (size_t)G * sizeof(rw_real)); /* padding: a zero row */
        else if (j->wt)
            memcpy(y, j->wt + (size_t)ids[r] * (size_t)G, (size_t)G * sizeof(rw_real));
        else if (j->few && (same = same_id_before(ids, lo, r)) < r) /* beams often share a token: copy it */
            memcpy(y, n->value.data + same * (size_t)G, (size_t)G * sizeof(rw_real));
        else
            for (int k = 0; k < G; k++)
                y[k] = w[(size_t)k * (size_t)V + (size_t)ids[r]];
    }
}

/* the rows split across threads: each writes its own */
static void gather_columns_forward(rw_node *n)
{
    size_t G = (size_t)n->in[0]->value.shape.dim[0], V = (size_t)n->in[0]->value.shape.dim[1];
    size_t ids = n->in[1]->value.size;
    /* The copy reads all of W; a few ids (a batch-1 generation step: one)
     * read W's columns for less than that. */
    gather_job j = { n, ids * 8 >= V ? rwi_weight_transposed(n, n->in[0]) : NULL, NULL, ids * 8 < V };
    rwi_parallel_for(ids, RWI_GRAIN_ARITH / G + 1, 1, gather_columns_forward_piece, &j);
}

/* table rows [lo, hi): dw[k, ids[r]] += dy[r, k] for every r in order */
static void gather_columns_backward_piece(void *ctx, size_t lo, size_t hi)
{
    const gather_job *j = ctx;
    rw_node *n = j->n;
    int G = n->in[0]->value.shape.dim[0], V = n->in[0]->value.shape.dim[1];
    rw_real *gw = n->in[0]->grad;
    const int32_t *ids = n->in[1]->value.idata;
    for (size_t r = 0; r < n->in[1]->value.size; r++) {
        const rw_real *dy = n->grad + r * (size_t)G;
        if (ids[r] < 0)
            continue;
        if (j->gt) {
            rw_real *gt = j->gt + (size_t)ids[r] * (size_t)G;
            for (size_t k = lo; k < hi; k++)
                gt[k] += dy[k];
        } else {
            for (size_t k = lo; k < hi; k++)
                gw[k * (size_t)V + (size_t)ids[r]] += dy[k];
        }
    }
    if (j->gt) /* this piece's rows of dW, from the transposed sums */
        for (size_t k = lo; k < hi; k++)
            for (int v = 0; v < V; v++)
                gw[k * (size_t)V + (size_t)v] += j->gt[(size_t)v * (size_t)G + k];
}

/* split by table rows k, not by ids (two ids may be equal): each element of
 * dw sums its terms in the same order whatever the split */
static void gather_columns_backward(rw_node *n)
{
    size_t rows = n->in[1]->value.size, G = (size_t)n->in[0]->value.shape.dim[0];
    size_t V = (size_t)n->in[0]->value.shape.dim[1];
    gather_job j = { n, NULL, NULL, false };
    if (n->in[0]->param && rows > V) { /* the transposed sums pay when the ids outnumber the table's columns */
        j.gt = rw_node_temp(n, G * V * sizeof(rw_real));
        if (j.gt)
            memset(j.gt, 0, G * V * sizeof(rw_real));
        else
            rw_error_clear(); /* W's layout, as without the parameter */
    }
    rwi_parallel_for(G, RWI_GRAIN_ARITH / (rows + 1) + 1, 16, gather_columns_backward_piece, &j);
}

static const rw_op_def gather_columns_def = {
    .fills_output = true, /* each piece writes its rows whole: no serial zero-fill first */
    .name = "gather_columns", .arity = 2, .nondiff = 1u << 1, .shape = gather_columns_shape,
    .forward = gather_columns_forward, .backward = gather_columns_backward,
    .backward_skips_inputs = 1u << 0, .backward_skips_output = true, /* reads only the ids */
    .doc = "y[..., :] = w[:, id]: one_hot(ids) @ w^T without the one-hot" };

rw_node *rw_gather_columns(rw_graph *g, rw_node *w, rw_node *ids)
{
    rw_node *in[2] = { w, ids };
    return rw_apply(g, &gather_columns_def, in, 2, NULL);
}

static const rw_op_def *const defs[] = { &gather_columns_def };
const rw_op_family rwi_family_gather_columns = { "gather_columns", defs, 1 };
