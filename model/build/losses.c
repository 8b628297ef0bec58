/* What a layer list's output is trained against: softmax cross-entropy
 * over classes or tokens (one per sequence or per step, padding ignored),
 * mean squared error of real values after the output activation, and
 * binary cross-entropy of K sigmoids against 0/1 targets; per-step real
 * targets are masked over the padding. Also the output as predictions. */
#include <stdio.h>
#include <string.h>
#include "model_internal.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_loss.h"
#include "rewind/ops_reduce.h"
#include "rewind/ops_softmax.h"

double rwi_mbatch_weight(const rw_model *m, const rw_batch *x)
{
    if (m->target == MT_LABEL || m->target == MT_VALUE)
        return x->size;
    if (m->target == MT_VALUES || !x->target_len)
        return (double)x->tokens;
    double steps = 0;
    for (int j = 0; j < x->size; j++)
        steps += x->target_lengths.idata[j];
    return steps;
}

rw_node *rwi_moutput_activate(rw_graph *g, const rw_model *m, rw_node *out)
{
    if (!out)
        return NULL;
    if (m->loss == MLOSS_CROSS_ENTROPY)
        return rw_softmax(g, m->hsm.on ? rwi_mhsm_log_probs(g, m, out) : out);
    return rwi_mactivate(g, out, m->loss == MLOSS_BCE ? RW_ACT_SIGMOID : m->out_act);
}

/* A real [T, B, K] mask: 1 on the steps before each sequence's end (from
 * the padding of the inputs), and how many steps are real. */
static rw_node *step_mask(rw_graph *g, const rw_model_batch *b, int K, double *count)
{
    const rw_tensor *in = b->inputs;
    int T = in->shape.dim[0], B = in->shape.dim[1];
    rw_node *mask = rw_leaf_new(g, RW_REAL, rw_shape3(T, B, K), false);
    if (!mask)
        return NULL;
    *count = 0;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < B; j++) {
            bool live = b->lengths ? t < b->lengths->idata[j] : in->idata[t * B + j] >= 0;
            *count += live;
            for (int k = 0; k < K; k++)
                mask->value.data[((size_t)t * (size_t)B + (size_t)j) * (size_t)K + (size_t)k] = live ? 1 : 0;
        }
    return mask;
}

static rw_node *real_loss(rw_graph *g, rw_model *m, const rw_model_batch *b, rw_node *out)
{
    char s1[64], s2[64];
    const rw_tensor *want = b->values;
    if (!want || want->dtype != RW_REAL || !rw_shape_equal(want->shape, out->value.shape)) {
        rw_error(RW_ERR_SHAPE, "model '%s': loss %s needs real target values %s, got %s", m->name,
                 m->loss == MLOSS_BCE ? "bce" : "mse", rw_shape_str(out->value.shape, s1, sizeof s1),
                 want ? rw_shape_str(want->shape, s2, sizeof s2) : "none");
        return NULL;
    }
    rw_node *y = rw_const(g, want);
    if (m->target == MT_VALUE)
        return m->loss == MLOSS_BCE ? rw_bce_with_logits(g, out, y) : rw_mse(g, rwi_mactivate(g, out, m->out_act), y);
    double live;
    rw_node *mask = step_mask(g, b, rw_shape_last(out->value.shape), &live);
    if (!mask)
        return NULL;
    if (live == 0)
        return rw_scalar_const(g, 0);
    double per_step = (double)rw_shape_last(out->value.shape);
    if (m->loss == MLOSS_BCE) { /* softplus(x) - x y is the loss of sigmoid(x) against y, stable */
        rw_node *l = rw_sub(g, rw_softplus(g, out), rw_mul(g, out, y));
        return rw_scale(g, rw_sum(g, rw_mul(g, l, mask)), 1.0 / (live * per_step));
    }
    rw_node *pred = rw_mul(g, rwi_mactivate(g, out, m->out_act), mask);
    double all = (double)out->value.size;
    return rw_scale(g, rw_mse(g, pred, rw_mul(g, y, mask)), all / (live * per_step));
}

rw_node *rwi_mloss_apply(rw_graph *g, rw_model *m, const rw_model_batch *b, rw_node *out)
{
    if (!out)
        return NULL;
    if (m->loss != MLOSS_CROSS_ENTROPY)
        return real_loss(g, m, b, out);
    char s1[64], s2[64];
    bool label = m->target == MT_LABEL;
    const rw_tensor *in = b->inputs, *want = label ? b->labels : b->targets;
    rw_shape expect = label ? rw_shape1(in->shape.dim[1]) : in->shape;
    if (!want || want->dtype != RW_INT32 || !rw_shape_equal(want->shape, expect)) {
        rw_error(RW_ERR_SHAPE, "model '%s': the loss needs int32 %s %s, got %s", m->name,
                 label ? "labels" : "targets", rw_shape_str(expect, s1, sizeof s1),
                 want ? rw_shape_str(want->shape, s2, sizeof s2) : "none");
        return NULL;
    }
    if (m->hsm.on)
        return rwi_mhsm_loss(g, m, out, rw_const(g, want));
    return rw_cross_entropy(g, out, rw_const(g, want));
}

rw_node *rwi_mreal_features(rw_graph *g, const rw_model *m, const rw_model_batch *b)
{
    char s1[64];
    const rw_tensor *f = b->features, *in = b->inputs;
    rw_shape want = rw_shape3(in->shape.dim[0], in->shape.dim[1], m->input_width);
    if (!f || f->dtype != RW_REAL || !rw_shape_equal(f->shape, want)) {
        rw_error(RW_ERR_SHAPE, "model '%s': real inputs must be features %s (steps, batch, width), got %s", m->name,
                 rw_shape_str(want, s1, sizeof s1), f ? "another shape or type" : "none");
        return NULL;
    }
    return rw_const(g, f);
}

void rwi_mprint_output(FILE *f, const rw_model *m)
{
    static const char *const against[] = { "the next token", "the label", "a tag per step", "the aligned token",
                                           "real values per sequence", "real values per step" };
    static const char *const acts[] = { "tanh", "sigmoid", "relu", "none" };
    if (m->loss == MLOSS_CROSS_ENTROPY) {
        bool classes = m->target == MT_LABEL || m->target == MT_TAGS;
        fprintf(f, "output '%s': softmax cross-entropy against %s (%d %s)\n", m->out_name, against[m->target],
                classes ? m->labels.n : m->vocab.n, classes ? "classes" : "tokens");
        if (m->hsm.on)
            fprintf(f, "  hierarchical softmax: %d classes of the vocabulary by frequency\n", m->hsm.cls.n_classes);
    } else if (m->loss == MLOSS_BCE) {
        fprintf(f, "output '%s': binary cross-entropy of %d sigmoids against %s\n", m->out_name, m->value_width,
                against[m->target]);
    } else {
        fprintf(f, "output '%s': mean squared error of %d values (activation %s) against %s\n", m->out_name,
                m->value_width, acts[m->out_act], against[m->target]);
    }
}
