/* Losses: fused, numerically stable softmax cross-entropy. */
#include "op_util.h"
#include "rewind/ops_loss.h"

/* Saved by forward: the log-sum-exp of each row, and the count of rows
 * that have a target (padding rows, target < 0, are left out). */
typedef struct xent_scratch {
    double valid;
    rw_real lse[];
} xent_scratch;

static rw_status xent_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rw_op_require_real(n, 0) || rw_op_require_int(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sl = n->in[0]->value.shape, st = n->in[1]->value.shape;
    if (sl.ndim < 1)
        return rw_op_shape_error(n, "the logits need a class dimension");
    size_t rows = rw_shape_rows(sl);
    bool leading = st.ndim == sl.ndim - 1;
    for (int i = 0; leading && i < st.ndim; i++)
        leading = st.dim[i] == sl.dim[i];
    if (!leading && !(st.ndim == 1 && (size_t)st.dim[0] == rows))
        return rw_op_shape_error(n, "the targets must have the logits' leading shape (one target per row, "
                                    "%zu rows)", rows);
    int classes = rw_shape_last(sl);
    const int32_t *t = n->in[1]->value.idata;
    for (size_t r = 0; r < rows; r++)
        if (t[r] >= classes)
            return rw_op_shape_error(n, "target %d at row %zu is out of range for %d classes "
                                        "(negative targets mark padding)", (int)t[r], r, classes);
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static size_t xent_scratch_bytes(const rw_node *n)
{
    return sizeof(xent_scratch) + rw_shape_rows(n->in[0]->value.shape) * sizeof(rw_real);
}

static void xent_forward(rw_node *n)
{
    xent_scratch *s = n->scratch;
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int c = rw_shape_last(n->in[0]->value.shape);
    const rw_real *x = n->in[0]->value.data;
    const int32_t *t = n->in[1]->value.idata;
    double loss = 0, valid = 0;
    for (size_t r = 0; r < rows; r++) {
        const rw_real *row = x + r * (size_t)c;
        rw_real m = row[0];
        for (int j = 1; j < c; j++)
            m = row[j] > m ? row[j] : m;
        rw_real z = 0;
        for (int j = 0; j < c; j++)
            z += RW_EXP(row[j] - m);
        s->lse[r] = m + RW_LOG(z);
        if (t[r] >= 0) {
            loss += (double)(s->lse[r] - row[t[r]]);
            valid += 1;
        }
    }
    s->valid = valid;
    n->value.data[0] = valid > 0 ? (rw_real)(loss / valid) : 0;
}

static void xent_backward(rw_node *n)
{
    const xent_scratch *s = n->scratch;
    if (s->valid == 0)
        return;
    size_t rows = rw_shape_rows(n->in[0]->value.shape);
    int c = rw_shape_last(n->in[0]->value.shape);
    const rw_real *x = n->in[0]->value.data;
    const int32_t *t = n->in[1]->value.idata;
    rw_real *gx = n->in[0]->grad;
    rw_real scale = n->grad[0] / (rw_real)s->valid;
    for (size_t r = 0; r < rows; r++) {
        if (t[r] < 0)
            continue;
        const rw_real *row = x + r * (size_t)c;
        rw_real *g = gx + r * (size_t)c;
        for (int j = 0; j < c; j++)
            g[j] += scale * RW_EXP(row[j] - s->lse[r]);
        g[t[r]] -= scale;
    }
}

static const rw_op_def xent_def = {
    .name = "cross_entropy", .arity = 2, .nondiff = 1u << 1, .shape = xent_shape,
    .scratch_bytes = xent_scratch_bytes, .forward = xent_forward, .backward = xent_backward,
    .doc = "mean softmax cross-entropy of logits [..., C] against int32 targets; target < 0 is padding" };

rw_node *rw_cross_entropy(rw_graph *g, rw_node *logits, rw_node *targets)
{
    rw_node *in[2] = { logits, targets };
    return rw_apply(g, &xent_def, in, 2, NULL);
}

static const rw_op_def *const defs[] = { &xent_def };
const rw_op_family rw_family_loss = { "loss", defs, 1 };
