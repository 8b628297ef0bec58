/* Losses: fused, numerically stable softmax cross-entropy (plain and with
 * per-row weights), binary cross-entropy on logits, and mean squared error. */
#include "op_util.h"
#include "fastmath.h"
#include "rewind/ops_loss.h"

/* The constructor of a two-input loss. */
static rw_node *two(rw_graph *g, const rw_op_def *def, rw_node *a, rw_node *b)
{
    rw_node *in[2] = { a, b };
    return rw_apply(g, def, in, 2, NULL);
}

/* ---- softmax cross-entropy ----------------------------------------------
 * "cross_entropy" weighs a row 1, or 0 when its target is negative
 * (padding); "cross_entropy_masked" weighs row r by mask[r]. Both give
 * sum_r w_r * (lse_r - x[r, t_r]) / sum_r w_r, and 0 when the weights sum
 * to 0. Rows of weight 0 are never read past their target. */

/* Saved by forward: the total weight and, per row, the maximum and
 * log(sum_j e^(x_j - max)) kept apart, so that x_j - max stays exact for
 * large logits in the float build. */
typedef struct xent_scratch {
    double weight;
    rw_real stats[]; /* max, log_z for each row */
} xent_scratch;

static rw_real row_weight(const rw_node *n, size_t r)
{
    if (n->n_in == 3)
        return n->in[2]->value.data[r];
    return n->in[1]->value.idata[r] >= 0 ? 1 : 0;
}

/* Logits real [..., C] with C >= 1; targets int32 with the logits' leading
 * shape, or flat with one target per row. */
static rw_status check_logits_and_targets(const rw_node *n)
{
    if (rwi_op_require_real(n, 0) || rwi_op_require_int(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sl = n->in[0]->value.shape, st = n->in[1]->value.shape;
    if (sl.ndim < 1)
        return rwi_op_shape_error(n, "the logits need a class dimension");
    size_t rows = rw_shape_rows(sl);
    bool leading = st.ndim == sl.ndim - 1;
    for (int i = 0; leading && i < st.ndim; i++)
        leading = st.dim[i] == sl.dim[i];
    if (!leading && !(st.ndim == 1 && (size_t)st.dim[0] == rows))
        return rwi_op_shape_error(n, "the targets must have the logits' leading shape (one target per row, "
                                    "%zu rows)", rows);
    return RW_OK;
}

static rw_status xent_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (check_logits_and_targets(n))
        return RW_ERR_SHAPE;
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int classes = rw_shape_last(n->in[0]->value.shape);
    const int32_t *t = n->in[1]->value.idata;
    for (size_t r = 0; r < rows; r++)
        if (t[r] >= classes)
            return rwi_op_shape_error(n, "target %d at row %zu is out of range for %d classes "
                                        "(negative targets mark padding)", (int)t[r], r, classes);
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static rw_status xent_masked_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (check_logits_and_targets(n) || rwi_op_require_real(n, 2))
        return RW_ERR_SHAPE;
    if (!rw_shape_equal(n->in[2]->value.shape, n->in[1]->value.shape))
        return rwi_op_shape_error(n, "the mask must have the targets' shape (one weight per row)");
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int classes = rw_shape_last(n->in[0]->value.shape);
    const int32_t *t = n->in[1]->value.idata;
    const rw_real *m = n->in[2]->value.data;
    for (size_t r = 0; r < rows; r++) {
        if (!(m[r] >= 0) || !isfinite(m[r]))
            return rwi_op_shape_error(n, "mask value %g at row %zu must be finite and >= 0", (double)m[r], r);
        if (m[r] != 0 && (t[r] < 0 || t[r] >= classes))
            return rwi_op_shape_error(n, "target %d at row %zu (mask %g) is out of range for %d classes "
                                        "(rows with mask 0 may hold any target)",
                                     (int)t[r], r, (double)m[r], classes);
    }
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

/* the stats, then one row of C values for the exponentials */
static size_t xent_scratch_bytes(const rw_node *n)
{
    size_t rows = rw_shape_rows(n->in[0]->value.shape), c = (size_t)rw_shape_last(n->in[0]->value.shape);
    return sizeof(xent_scratch) + (2 * rows + c) * sizeof(rw_real);
}

static rw_real *xent_row_buffer(const rw_node *n, xent_scratch *s)
{
    return s->stats + 2 * rw_shape_rows(n->in[0]->value.shape);
}

/* The row's maximum, and log(sum_j e^(x_j - max)). */
static void row_stats(const rw_real *row, size_t c, rw_real *e, rw_real *stats)
{
    stats[1] = (rw_real)log(rwi_exp_row(row, c, e, &stats[0]));
}

static void xent_forward(rw_node *n)
{
    xent_scratch *s = n->scratch;
    size_t rows = rw_shape_rows(n->in[0]->value.shape), c = (size_t)rw_shape_last(n->in[0]->value.shape);
    const rw_real *x = n->in[0]->value.data;
    const int32_t *t = n->in[1]->value.idata;
    double loss = 0, weight = 0;
    for (size_t r = 0; r < rows; r++) {
        rw_real w = row_weight(n, r);
        if (w == 0)
            continue;
        const rw_real *row = x + r * c;
        rw_real *st = s->stats + 2 * r;
        row_stats(row, c, xent_row_buffer(n, s), st);
        loss += (double)w * ((double)(st[0] - row[t[r]]) + (double)st[1]);
        weight += (double)w;
    }
    s->weight = weight;
    n->value.data[0] = weight > 0 ? (rw_real)(loss / weight) : 0;
}

/* dx[r] += dy * w_r / W * (softmax(x[r]) - onehot(t_r)) */
static void xent_backward(rw_node *n)
{
    xent_scratch *s = n->scratch;
    rw_real *gx = n->in[0]->grad, *e = xent_row_buffer(n, s);
    if (!gx || s->weight == 0)
        return;
    size_t rows = rw_shape_rows(n->in[0]->value.shape), c = (size_t)rw_shape_last(n->in[0]->value.shape);
    const rw_real *x = n->in[0]->value.data;
    const int32_t *t = n->in[1]->value.idata;
    for (size_t r = 0; r < rows; r++) {
        rw_real w = row_weight(n, r);
        if (w == 0)
            continue;
        rw_real scale = (rw_real)((double)n->grad[0] * (double)w / s->weight);
        const rw_real *row = x + r * c, *st = s->stats + 2 * r;
        rw_real *g = gx + r * c;
        rwi_fast_exp(row, st[0], st[1], e, c);
        for (size_t j = 0; j < c; j++)
            g[j] += scale * e[j];
        g[t[r]] -= scale;
    }
}

static const rw_op_def xent_def = {
    .fills_output = true,
    .name = "cross_entropy", .arity = 2, .nondiff = 1u << 1, .shape = xent_shape,
    .scratch_bytes = xent_scratch_bytes, .forward = xent_forward, .backward = xent_backward,
    .doc = "mean softmax cross-entropy of logits [..., C] against int32 targets; target < 0 is padding" };

rw_node *rw_cross_entropy(rw_graph *g, rw_node *logits, rw_node *targets)
{
    return two(g, &xent_def, logits, targets);
}

static const rw_op_def xent_masked_def = {
    .name = "cross_entropy_masked", .arity = 3, .nondiff = (1u << 1) | (1u << 2), .shape = xent_masked_shape,
    .scratch_bytes = xent_scratch_bytes, .forward = xent_forward, .backward = xent_backward,
    .doc = "softmax cross-entropy of logits [..., C] against int32 targets, weighted per row by a real mask" };

rw_node *rw_cross_entropy_masked(rw_graph *g, rw_node *logits, rw_node *targets, rw_node *mask)
{
    rw_node *in[3] = { logits, targets, mask };
    return rw_apply(g, &xent_masked_def, in, 3, NULL);
}

/* ---- binary cross-entropy with logits ----------------------------------- */

static rw_status same_shapes(const rw_node *n, const char *what)
{
    if (rwi_op_require_real(n, 0) || rwi_op_require_real(n, 1))
        return RW_ERR_SHAPE;
    if (!rw_shape_equal(n->in[0]->value.shape, n->in[1]->value.shape))
        return rwi_op_shape_error(n, "%s", what);
    return RW_OK;
}

static rw_status bce_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (same_shapes(n, "the targets must have the logits' shape"))
        return RW_ERR_SHAPE;
    const rw_real *t = n->in[1]->value.data;
    for (size_t i = 0; i < n->in[1]->value.size; i++)
        if (!(t[i] >= 0 && t[i] <= 1))
            return rwi_op_shape_error(n, "target %g at element %zu is outside [0, 1]", (double)t[i], i);
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

/* -t log s(x) - (1 - t) log(1 - s(x)) = max(x, 0) - x t + log1p(e^-|x|) */
static void bce_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data, *t = n->in[1]->value.data;
    size_t size = n->in[0]->value.size;
    double loss = 0;
    for (size_t i = 0; i < size; i++)
        loss += (double)((x[i] > 0 ? x[i] : 0) - x[i] * t[i] + RW_LOG1P(RW_EXP(-RW_FABS(x[i]))));
    n->value.data[0] = (rw_real)(loss / (double)size);
}

/* dx += dy / N * (sigmoid(x) - t) */
static void bce_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    const rw_real *x = n->in[0]->value.data, *t = n->in[1]->value.data;
    size_t size = n->in[0]->value.size;
    rw_real scale = n->grad[0] / (rw_real)size, s[RWI_FASTMATH_CHUNK];
    for (size_t i0 = 0; i0 < size; i0 += RWI_FASTMATH_CHUNK) {
        size_t len = size - i0 < RWI_FASTMATH_CHUNK ? size - i0 : RWI_FASTMATH_CHUNK;
        rwi_fast_sigmoid(x + i0, s, len);
        for (size_t i = 0; i < len; i++)
            gx[i0 + i] += scale * (s[i] - t[i0 + i]);
    }
}

static const rw_op_def bce_def = {
    .name = "bce_with_logits", .arity = 2, .nondiff = 1u << 1, .shape = bce_shape, .forward = bce_forward,
    .backward = bce_backward, .doc = "mean binary cross-entropy of sigmoid(logits) against targets in [0, 1]" };

rw_node *rw_bce_with_logits(rw_graph *g, rw_node *logits, rw_node *targets)
{
    return two(g, &bce_def, logits, targets);
}

/* ---- mean squared error ------------------------------------------------- */

static rw_status mse_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (same_shapes(n, "the prediction and the target must have the same shape"))
        return RW_ERR_SHAPE;
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static void mse_forward(rw_node *n)
{
    const rw_real *p = n->in[0]->value.data, *t = n->in[1]->value.data;
    size_t size = n->in[0]->value.size;
    double loss = 0;
    for (size_t i = 0; i < size; i++)
        loss += ((double)p[i] - t[i]) * ((double)p[i] - t[i]);
    n->value.data[0] = (rw_real)(loss / (double)size);
}

/* dpred += dy * 2 (p - t) / N, dtarget -= the same */
static void mse_backward(rw_node *n)
{
    rw_real *gp = n->in[0]->grad, *gt = n->in[1]->grad;
    const rw_real *p = n->in[0]->value.data, *t = n->in[1]->value.data;
    size_t size = n->in[0]->value.size;
    rw_real scale = 2 * n->grad[0] / (rw_real)size;
    for (size_t i = 0; i < size; i++) {
        rw_real d = scale * (p[i] - t[i]);
        if (gp)
            gp[i] += d;
        if (gt)
            gt[i] -= d;
    }
}

static const rw_op_def mse_def = {
    .name = "mse", .arity = 2, .shape = mse_shape, .forward = mse_forward, .backward = mse_backward,
    .doc = "mean squared error of a prediction against a target of the same shape" };

rw_node *rw_mse(rw_graph *g, rw_node *pred, rw_node *target) { return two(g, &mse_def, pred, target); }

/* ---- the family, registered by ops/builtin.c ------------------------------ */

static const rw_op_def *const defs[] = { &xent_def, &xent_masked_def, &bce_def, &mse_def };
const rw_op_family rwi_family_loss = { "loss", defs, sizeof defs / sizeof defs[0] };
