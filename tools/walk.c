/* Running a model over a dataset of examples in evaluation mode, batch by
 * batch, and handing each prediction with its target to a visitor: one per
 * example for per-sequence outputs, one per real step otherwise. */
#include <stdlib.h>
#include "walk.h"

enum { WALK_BATCH = 32 };

int walk_argmax(const rw_real *row, int n)
{
    int best = 0;
    for (int c = 1; c < n; c++)
        best = row[c] > row[best] ? c : best;
    return best;
}

static void visit_batch(const rw_model *m, const rw_batch *x, const rw_node *y, walk_visit visit, void *ctx)
{
    rw_model_target t = rw_model_target_kind(m);
    bool per_seq = t == RW_TARGET_LABEL || t == RW_TARGET_VALUE, real = t == RW_TARGET_VALUE || t == RW_TARGET_VALUES;
    bool tokens_in = x->features.size == 0;
    const rw_tensor *out = rw_node_value(y);
    int B = x->size, W = rw_shape_last(out->shape);
    for (int j = 0; j < B; j++) {
        int steps = per_seq ? 1 : x->lengths.idata[j];
        for (int s = 0; s < steps; s++) {
            size_t row = per_seq ? (size_t)j : (size_t)s * (size_t)B + (size_t)j;
            walk_item it = { .example = x->indices[j], .step = per_seq ? -1 : s, .out = out->data + row * (size_t)W,
                             .width = W, .truth = -1, .input = -1 };
            if (real)
                it.truth_values = x->values.data + row * (size_t)W;
            else
                it.truth = per_seq ? x->labels.idata[j] : x->targets.idata[row];
            if (!per_seq && tokens_in)
                it.input = x->sources.idata[row];
            visit(ctx, m, &it);
        }
    }
}

rw_status walk_examples(rw_model *m, const rw_seqdata *d, walk_visit visit, void *ctx, double *loss_sum,
                        double *weight)
{
    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = WALK_BATCH, .order = RW_ORDER_SOURCE_LENGTH });
    rw_graph *g = rw_graph_new();
    rw_status st = b && g ? rw_batcher_start_epoch(b, 0) : rw_last_status();
    rw_model_target t = rw_model_target_kind(m);
    bool per_seq = t == RW_TARGET_LABEL || t == RW_TARGET_VALUE;
    if (g)
        rw_graph_set_training(g, false);
    const rw_batch *x;
    while (st == RW_OK && (x = rw_batcher_next(b)) != NULL) {
        rw_model_batch mb = rw_model_batch_of(x);
        rw_graph_reset(g);
        rw_node *L = rw_model_loss(g, m, &mb);
        if (!L) {
            st = rw_last_status();
            break;
        }
        double w = per_seq ? x->size : (double)x->tokens / (x->target_len ? 2 : 1); /* targets: one per step */
        if (loss_sum)
            *loss_sum += w * (double)rw_scalar(L);
        if (weight)
            *weight += w;
        rw_graph_reset(g);
        rw_node *y = rw_model_outputs(g, m, &mb);
        if (!y) {
            st = rw_last_status();
            break;
        }
        visit_batch(m, x, y, visit, ctx);
    }
    rw_graph_free(g);
    rw_batcher_free(b);
    return st;
}
