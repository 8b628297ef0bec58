/* Monte-Carlo dropout (F65): predictions averaged in probability space over
 * several passes with dropout switched on. */
#include <math.h>
#include <string.h>
#include "model_internal.h"

/* Pass k draws its masks from its own generator, the k-th split of the
 * model's (rwi_mc_pass_rng): the Monte-Carlo step model (lm_step_model.c)
 * gives pass k the same one, so a pass's masks come in the same order on
 * both paths however many steps the sequence has. */
static rw_node *passes_of(rw_graph *g, rw_model *m, const rw_model_batch *b, int passes, rw_model_state *start)
{
    rw_node *acc = NULL;
    rw_rng base = m->rng;
    for (int k = 0; k < passes; k++) {
        if (k > 0 && start && rwi_model_state_copy(b->state, start) != RW_OK)
            return NULL;
        m->rng = rwi_mc_pass_rng(&base);
        rw_node *z = rw_model_logits(g, m, b);
        if (!z)
            return NULL;
        rw_shape s = z->value.shape;
        int C = s.dim[s.ndim - 1];
        size_t rows = z->value.size / (size_t)C;
        if (!acc && !(acc = rw_leaf_new(g, RW_REAL, rw_shape2((int)rows, C), false)))
            return NULL;
        for (size_t r = 0; r < rows; r++) { /* softmax of the row, added in */
            const rw_real *v = z->value.data + r * (size_t)C;
            rw_real *p = acc->value.data + r * (size_t)C;
            double top = v[0], sum = 0;
            for (int c = 1; c < C; c++)
                top = v[c] > top ? v[c] : top;
            for (int c = 0; c < C; c++)
                sum += exp((double)v[c] - top);
            for (int c = 0; c < C; c++)
                p[c] += (rw_real)(exp((double)v[c] - top) / sum / passes);
        }
    }
    m->rng = base; /* the next call draws other masks */
    return acc;
}

rw_rng rwi_mc_pass_rng(rw_rng *base) { return rw_rng_split(base); }

rw_node *rw_model_mc_probs(rw_graph *g, rw_model *m, const rw_model_batch *b, int passes)
{
    if (!g || !m || !b || passes < 1 || m->s2s) {
        rw_error(RW_ERR_ARG, "rw_model_mc_probs: needs a graph, a model of layers (not an encoder-decoder), a batch "
                 "and passes >= 1 (got %d)", passes);
        return NULL;
    }
    rw_model_state *start = NULL;
    if (b->state && passes > 1 && !(start = rwi_model_state_clone(b->state)))
        return NULL;
    bool training = rw_graph_is_training(g);
    rw_graph_set_training(g, true);
    rw_node *p = passes_of(g, m, b, passes, start);
    rw_graph_set_training(g, training);
    rw_model_state_free(start);
    return p;
}

double rw_model_mc_loss(const rw_node *probs, const rw_model_batch *b, long *count, long *correct)
{
    int C = probs->value.shape.dim[1];
    size_t rows = (size_t)probs->value.shape.dim[0];
    /* Per-step outputs score the targets, one row each; a classifier its
     * labels. Batches of a batcher carry a labels tensor [B] always (-1s
     * when the data has none), so the targets win when their count fits. */
    const rw_tensor *want = b->targets && b->targets->size == rows ? b->targets : b->labels ? b->labels : b->targets;
    double sum = 0;
    long n = 0, right = 0;
    for (size_t r = 0; r < rows && want && r < want->size; r++) {
        int32_t t = want->idata[r];
        if (t < 0 || t >= C)
            continue; /* padding */
        const rw_real *p = probs->value.data + r * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            best = p[c] > p[best] ? c : best;
        right += best == t;
        sum -= log(fmax((double)p[t], 1e-300));
        n++;
    }
    if (count)
        *count = n;
    if (correct)
        *correct = right;
    return n ? sum / (double)n : 0;
}
