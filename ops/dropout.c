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
    for (size_t i = 0; i < m->value.size; i++)
        v[i] = rw_rng_uniform(rng) < p ? 0 : keep;
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

/* In-place heapsort: deterministic and, unlike glibc's qsort, never calls
 * malloc (drawing a mask is part of every training step). */
static void sift_down(int32_t *a, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        int32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

static void sort_ids(int32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        int32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* Index of `id` in the sorted, distinct ids[0..n). It is always there. */
static size_t find_id(const int32_t *ids, size_t n, int32_t id)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] <= id)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
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
    /* The distinct ids in increasing order, one draw each; the scratch
     * comes from the step's arena and goes with the next reset. */
    int32_t *uniq = rw_arena_alloc(rw_graph_arena(g), n * sizeof *uniq);
    rw_real *decision = rw_arena_alloc(rw_graph_arena(g), n * sizeof *decision);
    if (!uniq || !decision) {
        rw_error_prefix("%s", who);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        uniq[i] = ids->value.idata[i];
    sort_ids(uniq, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || uniq[i] != uniq[k - 1])
            uniq[k++] = uniq[i];
    rw_real keep = (rw_real)(1 / (1 - p));
    for (size_t i = 0; i < k; i++)
        decision[i] = rw_rng_uniform(rng) < p ? 0 : keep;
    for (size_t i = 0; i < n; i++) {
        rw_real d = decision[find_id(uniq, k, ids->value.idata[i])];
        for (int j = 0; j < width; j++)
            v[i * (size_t)width + j] = d;
    }
    return m;
}
