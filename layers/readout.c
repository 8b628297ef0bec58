/* Read-outs of the sequence runner: the two directions merged by
 * concatenation, sum or mean, and pooling over each sequence's valid steps
 * (F22), composed of ordinary ops. */
#include "readout.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_reduce.h"
#include "rewind/ops_shape.h"

rw_node *rwi_rnn_merge_dirs(rw_graph *g, rw_dir_merge merge, rw_node *fw, rw_node *bw)
{
    rw_node *both[2] = { fw, bw };
    switch (merge) {
    case RW_DIRS_SUM: return rw_add(g, fw, bw);
    case RW_DIRS_MEAN: return rw_scale(g, rw_add(g, fw, bw), 0.5);
    case RW_DIRS_CONCAT: break;
    }
    return rw_concat(g, both, 2, -1);
}

/* A constant shaped like `shape` with value(t, b) at [t, b, :] (t < 0: [b, :] of a 2-D shape). */
static rw_node *fill(rw_graph *g, rw_shape shape, const rw_node *lengths, rw_real (*value)(int t, int b, int len))
{
    rw_node *c = rw_leaf_new(g, RW_REAL, shape, false);
    if (!c)
        return NULL;
    bool steps = shape.ndim == 3;
    int T = steps ? shape.dim[0] : 1, B = shape.dim[steps], W = shape.dim[steps + 1];
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            int len = lengths ? lengths->value.idata[b] : (steps ? T : -1);
            rw_real v = value(steps ? t : -1, b, len);
            for (int j = 0; j < W; j++)
                c->value.data[((size_t)t * B + b) * W + j] = v;
        }
    return c;
}

static rw_real inverse_length(int t, int b, int len) { (void)t, (void)b; return len > 0 ? (rw_real)(1.0 / len) : 0; }
static rw_real padded_far_below(int t, int b, int len) { (void)b; return t < len ? 0 : (rw_real)-1e30; }
static rw_real any_valid(int t, int b, int len) { (void)t, (void)b; return len > 0 ? 1 : 0; }

rw_node *rwi_rnn_pool(rw_graph *g, rw_pool pool, rw_node *outputs, const rw_node *lengths)
{
    rw_shape sh = outputs->value.shape;
    rw_shape row = rw_shape2(sh.dim[1], sh.dim[2]);
    if (!lengths && pool == RW_POOL_MEAN)
        return rw_mean_axis(g, outputs, 0);
    switch (pool) {
    case RW_POOL_SUM: return rw_sum_axis(g, outputs, 0);
    case RW_POOL_MEAN: {
        /* the lengths as the T of a [B, W] constant */
        rw_node *inv = fill(g, row, lengths, inverse_length);
        return inv ? rw_mul(g, rw_sum_axis(g, outputs, 0), inv) : NULL;
    }
    case RW_POOL_MAX: {
        if (!lengths)
            return rw_max_axis(g, outputs, 0);
        rw_node *below = fill(g, sh, lengths, padded_far_below), *any = fill(g, row, lengths, any_valid);
        return below && any ? rw_mul(g, rw_max_axis(g, rw_add(g, outputs, below), 0), any) : NULL;
    }
    case RW_POOL_NONE: break;
    }
    rw_error(RW_ERR_ARG, "rw_rnn_run: unknown pool %d", (int)pool);
    return NULL;
}
