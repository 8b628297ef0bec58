/* Dropout masks: constant leaves filled from an explicit generator (mask
 * drawing is not an op; dropout itself is an rw_mul by the mask). */
#include "op_util.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_elementwise.h"

static rw_status check_args(const char *who, const rw_graph *g, double p, const rw_rng *rng)
{
    if (!g)
        return rw_error(RW_ERR_ARG, "%s: NULL graph", who);
    if (!rng)
        return rw_error(RW_ERR_ARG, "%s: NULL generator", who);
    if (!(p >= 0 && p < 1))
        return rw_error(RW_ERR_ARG, "%s: the drop probability p must be in [0, 1), not %g", who, p);
    return RW_OK;
}

/* No randomness is drawn when nothing can be dropped. */
static bool draws(const rw_graph *g, double p) { return p > 0 && rw_graph_is_training(g); }

rw_node *rw_dropout_mask(rw_graph *g, rw_shape shape, double p, rw_rng *rng)
{
    if (check_args("rw_dropout_mask", g, p, rng) != RW_OK)
        return NULL;
    rw_node *m = rw_leaf_new(g, RW_REAL, shape, false);
    if (!m) {
        rw_error_prefix("rw_dropout_mask");
        return NULL;
    }
    rw_real *v = m->value.data;
    if (!draws(g, p)) {
        for (size_t i = 0; i < m->value.size; i++)
            v[i] = 1;
        return m;
    }
    rw_real keep = (rw_real)(1 / (1 - p));
    int first, count, total;
    if (m->value.size == 0 || !rw_graph_batch_shard(g, &first, &count, &total) || shape.ndim < 2 || shape.dim[shape.ndim - 2] != count) {
        for (size_t i = 0; i < m->value.size; i++)
            v[i] = rw_rng_uniform(rng) < p ? 0 : keep;
        return m;
    }
    /* Rows [first, first + count) of the whole batch's mask: a row's draws
     * are those a process with the whole batch makes for it (the generator
     * is counter-based), and the stream advances past the whole mask. */
    size_t width = (size_t)shape.dim[shape.ndim - 1], lead = m->value.size / ((size_t)count * width);
    uint64_t start = rng->counter;
    for (size_t l = 0; l < lead; l++)
        for (size_t b = 0; b < (size_t)count; b++) {
            rw_rng row = *rng;
            row.counter = start + (l * (size_t)total + (size_t)first + b) * width;
            rw_real *out = v + (l * (size_t)count + b) * width;
            for (size_t j = 0; j < width; j++)
                out[j] = rw_rng_uniform(&row) < p ? 0 : keep;
        }
    rng->counter = start + lead * (size_t)total * width;
    return m;
}

rw_node *rw_dropout(rw_graph *g, rw_node *x, double p, rw_rng *rng)
{
    if (!x) {
        rwi_op_null_input("rw_dropout", "input");
        return NULL;
    }
    if (check_args("rw_dropout", g, p, rng) != RW_OK)
        return NULL;
    if (x->value.dtype != RW_REAL) {
        char b[64];
        rw_error(RW_ERR_SHAPE, "rw_dropout: input %s int32: dropout needs a real input",
                 rw_shape_str(x->value.shape, b, sizeof b));
        return NULL;
    }
    if (!draws(g, p))
        return x;
    return rw_mul(g, x, rw_dropout_mask(g, x->value.shape, p, rng));
}

rw_node *rw_token_dropout_mask(rw_graph *g, rw_node *ids, int width, double p, rw_rng *rng)
{
    const char *who = "rw_token_dropout_mask";
    if (!ids) {
        rwi_op_null_input(who, "ids");
        return NULL;
    }
    if (check_args(who, g, p, rng) != RW_OK)
        return NULL;
    rw_shape s = ids->value.shape;
    char b[64];
    if (ids->value.dtype != RW_INT32) {
        rw_error(RW_ERR_SHAPE, "%s: ids %s must be int32 token ids, not real", who,
                 rw_shape_str(s, b, sizeof b));
        return NULL;
    }
    if (s.ndim >= RW_MAX_DIMS || width < 1) {
        rw_error(RW_ERR_SHAPE, "%s: ids %s with width %d: %s", who, rw_shape_str(s, b, sizeof b), width,
                 width < 1 ? "width must be >= 1" : "ids may have at most 3 dimensions");
        return NULL;
    }
    rw_shape ms = s;
    ms.dim[ms.ndim++] = width;
    rw_node *m = rw_leaf_new(g, RW_REAL, ms, false);
    if (!m) {
        rw_error_prefix("%s", who);
        return NULL;
    }
    rw_real *v = m->value.data;
    size_t n = ids->value.size;
    if (!draws(g, p)) {
        for (size_t i = 0; i < m->value.size; i++)
            v[i] = 1;
        return m;
    }
    /* One decision per id, keyed by the id: a generator split off for this
     * call (one draw of rng) decides id i by its draw number i. A decision
     * so depends on neither the other ids of the batch nor on which process
     * holds which columns of it (data-parallel training). */
    rw_rng by_id = rw_rng_split(rng);
    rw_real keep = (rw_real)(1 / (1 - p));
    for (size_t i = 0; i < n; i++) {
        by_id.counter = (uint64_t)(int64_t)ids->value.idata[i];
        rw_real d = rw_rng_uniform(&by_id) < p ? 0 : keep;
        for (int j = 0; j < width; j++)
            v[i * (size_t)width + j] = d;
    }
    return m;
}
