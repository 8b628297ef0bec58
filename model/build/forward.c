/* Running a model: the forward pass over a batch of token ids, the loss,
 * carried state, single steps for generation, sampling. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"
#include "rewind_internal/rnn_step_hooks.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_loss.h"
#include "rewind/ops_shape.h"
#include "rewind/ops_softmax.h"

rw_model_state *rw_model_state_new(const rw_model *m, int batch)
{
    if (!m || !m->has_layers || batch < 1) {
        rw_error(RW_ERR_ARG, "rw_model_state_new: needs a model with layers and a batch >= 1 (got %d)", batch);
        return NULL;
    }
    rw_model_state *s = rwi_calloc(1, sizeof *s, "a model state");
    if (!s)
        return NULL;
    s->m = m;
    s->batch = batch;
    s->run_fresh = s->step_fresh = true;
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        if (l->kind != ML_RNN)
            continue;
        if (!(s->carry[i] = rw_carry_new(l->rnn, batch)))
            goto fail;
        if (rw_rnn_directions(l->rnn) != 1)
            continue; /* a bidirectional layer cannot step */
        int ns = l->cell->n_states, n = rw_rnn_layers(l->rnn) * ns;
        if (!(s->step[i] = rwi_calloc((size_t)n, sizeof *s->step[i], "step states")))
            goto fail;
        s->n_step[i] = n;
        for (int k = 0; k < n; k++) {
            int size = rw_cell_state_size(rw_rnn_cell(l->rnn, k / ns, 0), k % ns);
            if (!(s->step[i][k] = rw_tensor_new(RW_REAL, rw_shape2(batch, size))))
                goto fail;
        }
    }
    return s;
fail:
    rw_model_state_free(s);
    return NULL;
}

rw_model_state *rwi_model_state_clone(const rw_model_state *src)
{
    rw_model_state *s = rw_model_state_new(src->m, src->batch);
    if (!s)
        return NULL;
    if (rwi_model_state_copy(s, src) != RW_OK) {
        rw_model_state_free(s);
        return NULL;
    }
    return s;
}

rw_status rwi_model_state_copy_sequences(rw_model_state *dst, int dst_first, const rw_model_state *src,
                                         int src_first, int count)
{
    dst->run_fresh = src->run_fresh;
    for (int i = 0; i < M_MAX_LAYERS; i++)
        if (src->carry[i] && rw_carry_copy_sequences(dst->carry[i], dst_first, src->carry[i], src_first, count) != RW_OK)
            return rw_last_status();
    return RW_OK;
}

rw_status rwi_model_state_copy(rw_model_state *dst, const rw_model_state *src)
{
    dst->run_fresh = src->run_fresh;
    for (int i = 0; i < M_MAX_LAYERS; i++)
        if (src->carry[i] && rw_carry_copy(dst->carry[i], src->carry[i]) != RW_OK)
            return rw_last_status();
    return RW_OK;
}

void rw_model_state_reset(rw_model_state *s)
{
    if (s)
        s->run_fresh = s->step_fresh = true;
}

void rw_model_state_free(rw_model_state *s)
{
    if (!s)
        return;
    for (int i = 0; i < M_MAX_LAYERS; i++) {
        rw_carry_free(s->carry[i]);
        for (int k = 0; k < s->n_step[i]; k++)
            rw_tensor_free(s->step[i][k]);
        rwi_free(s->step[i]);
    }
    rwi_free(s);
}

/* ---- the forward pass ------------------------------------------------------------ */

/* Token ids with padding made 0 (the runner masks those steps), and the
 * lengths: given, or found from the padding. */
static rw_status prepare_ids(rw_graph *g, const rw_model *m, const rw_model_batch *b, rw_node **ids, rw_node **lengths)
{
    char s[64];
    const rw_tensor *in = b ? b->inputs : NULL;
    if (!in || in->dtype != RW_INT32 || in->shape.ndim != 2)
        return rw_error(RW_ERR_SHAPE, "model '%s': inputs must be int32 token ids [T, B], got %s", m->name,
                        in ? rw_shape_str(in->shape, s, sizeof s) : "none");
    int T = in->shape.dim[0], B = in->shape.dim[1];
    rw_node *x = rw_leaf_new(g, RW_INT32, in->shape, false);
    rw_node *len = rw_leaf_new(g, RW_INT32, rw_shape1(B), false);
    if (!x || !len)
        return rw_last_status();
    bool padded = false;
    for (int bb = 0; bb < B; bb++)
        len->value.idata[bb] = T;
    for (int t = 0; t < T; t++)
        for (int bb = 0; bb < B; bb++) {
            int32_t v = in->idata[t * B + bb];
            if (v >= m->vocab.n)
                return rw_error(RW_ERR_SHAPE, "model '%s': token id %d at step %d of sequence %d is outside the "
                                "vocabulary of %d", m->name, (int)v, t, bb, m->vocab.n);
            if (v < 0 && len->value.idata[bb] == T) {
                len->value.idata[bb] = t;
                padded = true;
            }
            x->value.idata[t * B + bb] = v < 0 ? 0 : v;
        }
    if (b->lengths) {
        if (b->lengths->dtype != RW_INT32 || b->lengths->size != (size_t)B)
            return rw_error(RW_ERR_SHAPE, "model '%s': lengths must be int32 [%d]", m->name, B);
        memcpy(len->value.idata, b->lengths->idata, (size_t)B * sizeof(int32_t));
        padded = true;
    }
    *ids = x;
    *lengths = padded ? len : NULL;
    return RW_OK;
}

/* Dropout of [T, B, W] or [B, W]; per_sequence: one mask [B, W] for all steps. */
static rw_node *drop(rw_graph *g, rw_model *m, rw_node *x, double p, bool per_sequence)
{
    if (!x || p <= 0 || !rw_graph_is_training(g))
        return x;
    rw_shape s = x->value.shape;
    if (per_sequence && s.ndim == 3)
        return rw_mul(g, x, rw_dropout_mask(g, rw_shape2(s.dim[1], s.dim[2]), p, &m->rng));
    return rw_dropout(g, x, p, &m->rng);
}

/* An activation as ops (model_internal.h). */
rw_node *rwi_mactivate(rw_graph *g, rw_node *x, rw_activation a)
{
    switch (a) {
    case RW_ACT_TANH: return rw_tanh(g, x);
    case RW_ACT_SIGMOID: return rw_sigmoid(g, x);
    case RW_ACT_RELU: return rw_relu(g, x);
    case RW_ACT_NONE: return x;
    }
    return x;
}

/* The layers over ids; *penalty collects regularizer terms (NULL if none). */
static rw_node *forward(rw_graph *g, rw_model *m, const rw_model_batch *b, rw_node **penalty)
{
    rw_node *ids = NULL, *lengths = NULL, *x;
    *penalty = NULL;
    if (!g || !m || !m->has_layers) {
        rw_error(RW_ERR_ARG, "rw_model_logits: needs a graph and a model with layers");
        return NULL;
    }
    if (prepare_ids(g, m, b, &ids, &lengths) != RW_OK)
        return NULL;
    rw_model_state *st = b->state;
    if (st && ((st->m != m && st->m != m->replica_of) || st->batch != ids->value.shape.dim[1])) {
        rw_error(RW_ERR_ARG, "model '%s': the state is for another model or a batch of %d, not %d", m->name,
                 st->batch, ids->value.shape.dim[1]);
        return NULL;
    }
    x = m->real_input ? rwi_mreal_features(g, m, b) : ids;
    /* a hierarchical softmax reads the head's input, never its full logits */
    for (int i = 0; i < m->n_layers - (m->hsm.on ? 1 : 0) && x; i++) {
        mlayer *l = &m->layers[i];
        switch (l->kind) {
        case ML_EMBEDDING:
            x = rw_embedding_apply(g, l->emb, ids);
            if (l->token_unit && l->p > 0 && rw_graph_is_training(g))
                x = rw_mul(g, x, rw_token_dropout_mask(g, ids, l->size, l->p, &m->rng));
            else
                x = drop(g, m, x, l->p, false);
            break;
        case ML_RNN: {
            if (x->value.dtype == RW_REAL)
                x = drop(g, m, x, l->in_dropout, l->ro.variational);
            rw_run_opts ro = { .lengths = lengths, .rng = &m->rng, .output = l->last && !l->pool ? RW_OUTPUT_LAST : RW_OUTPUT_ALL,
                               .pool = l->pool,
                               .norm_stabilizer = rw_graph_is_training(g) ? l->norm_stabilizer : 0,
                               .hidden_l2 = rw_graph_is_training(g) ? l->hidden_l2 : 0,
                               .hidden_diff_l2 = rw_graph_is_training(g) ? l->hidden_diff_l2 : 0,
                               .keep_hidden_grads = m->diag_runs != NULL,
                               .gate_saturation = m->diag_gates ? m->diag_gates + i * M_DIAG_GATES : NULL,
                               /* diagnostics read every step's gradient: no recomputation then */
                               .recompute_every = m->diag_runs ? 0 : l->recompute_every,
                               .carry = st && !st->run_fresh ? st->carry[i] : NULL };
            rw_seq s = rw_rnn_run(g, l->rnn, x, &ro);
            if (!s.last)
                return NULL;
            if (st && rw_carry_keep(st->carry[i], &s) != RW_OK)
                return NULL;
            if (m->diag_runs)
                m->diag_runs[i] = s;
            if (s.penalty)
                *penalty = *penalty ? rw_add(g, *penalty, s.penalty) : s.penalty;
            x = drop(g, m, l->pool ? s.pooled : l->last ? s.last : s.outputs, l->out_dropout, l->ro.variational);
            break;
        }
        case ML_LINEAR:
            x = rwi_mactivate(g, rw_linear_apply(g, l->lin, x), l->act);
            break;
        case ML_DROPOUT:
            x = drop(g, m, x, l->p, l->per_sequence);
            break;
        }
    }
    if (st && x)
        st->run_fresh = false;
    return x;
}

rw_node *rw_model_logits(rw_graph *g, rw_model *m, const rw_model_batch *b)
{
    if (m && m->s2s)
        return rwi_ms2s_forward(g, m, b, true);
    rw_node *penalty, *x = forward(g, m, b, &penalty);
    return m && m->hsm.on ? rwi_mhsm_log_probs(g, m, x) : x;
}

rw_node *rw_model_loss(rw_graph *g, rw_model *m, const rw_model_batch *b)
{
    if (m && m->s2s)
        return rwi_ms2s_forward(g, m, b, false);
    rw_node *penalty, *out = forward(g, m, b, &penalty), *loss = rwi_mloss_apply(g, m, b, out), *weights = NULL;
    if (!loss)
        return NULL;
    if (rw_graph_is_training(g) && rw_param_penalty(g, m->P, &m->param_penalty, &weights) != RW_OK)
        return NULL;
    if (weights)
        penalty = penalty ? rw_add(g, penalty, weights) : weights;
    if (m->loss == MLOSS_CROSS_ENTROPY) { /* what train.metrics score (metrics.c) */
        m->last_logits = !m->hsm.on ? out : m->train.n_metrics ? rwi_mhsm_log_probs(g, m, out) : NULL;
        m->last_want = m->target == MT_LABEL ? b->labels : b->targets;
    } else if (m->train.n_metrics && !rw_graph_is_training(g)) { /* mse, mae: of the activated outputs */
        if (!(m->last_values = rwi_moutput_activate(g, m, out)))
            return NULL;
        m->last_values_want = b->values;
        m->last_inputs = b->inputs;
    }
    return penalty ? rw_add(g, loss, penalty) : loss;
}

rw_node *rw_model_outputs(rw_graph *g, rw_model *m, const rw_model_batch *b)
{
    if (m && m->s2s) /* teacher-forced next-token probabilities of the decoder */
        return rw_softmax(g, rwi_ms2s_forward(g, m, b, true));
    rw_node *penalty;
    return rwi_moutput_activate(g, m, forward(g, m, b, &penalty));
}

rw_node *rw_model_loss_fn(rw_graph *g, void *batch, void *ctx) { return rw_model_loss(g, ctx, batch); }

/* ---- single steps and sampling ------------------------------------------------------- */

/* x * d's mask for a dropout site (x itself without d or dropout). */
static rw_node *step_drop(rw_graph *g, const rwi_mstep_dropout *d, rw_node *x, int layer, mstep_site site, int sub,
                          double p, bool per_sequence, bool whole_rows)
{
    if (!x || !d || p <= 0)
        return x;
    rw_node *mask = d->mask(d->ctx, g, layer, site, sub, x->value.shape, p, per_sequence, whole_rows);
    return mask ? rw_mul(g, x, mask) : NULL;
}

/* Monte-Carlo stepping, around each stacked layer of layer i: the dropout
 * between stacked layers (as the runner draws it on layer k > 0's input),
 * and the run of a cell that draws its own dropout, begun and ended per
 * layer (the runner also runs one layer at a time). */
typedef struct step_hooks {
    const rwi_mstep_dropout *d;
    const mlayer *l;
    int i, batch;
    int k; /* the stacked layer stepping */
} step_hooks;

/* A per-sequence mask of dropout node `node` of stacked layer h->k's YAML
 * cell: pass r's row, kept for the whole text. */
static rw_node *cell_sequence_mask(void *ctx, rw_graph *g, int node, rw_shape shape, double p)
{
    const step_hooks *h = ctx;
    return h->d->mask(h->d->ctx, g, h->i, MSTEP_CELL, node * RW_RNN_MAX_LAYERS + h->k, shape, p, true, false);
}

static rw_node *before_layer(void *ctx, rw_graph *g, const rw_rnn *r, int k, rw_node *x)
{
    step_hooks *h = ctx;
    if (k > 0 && !(x = step_drop(g, h->d, x, h->i, MSTEP_BETWEEN, k, h->l->ro.dropout, h->l->ro.variational, false)))
        return NULL;
    const rw_cell *cell = rw_rnn_cell(r, k, 0);
    const rw_cell_def *def = rw_cell_definition(cell);
    if (def->begin_run && def->begin_run(g, cell, h->batch, h->d->rng) != RW_OK) {
        if (def->end_run)
            def->end_run(cell);
        return NULL;
    }
    h->k = k;
    if (def->begin_run == rwi_ycell_begin_run)
        rwi_ycell_set_mask_source(cell, (rwi_ycell_mask_source){ .mask = cell_sequence_mask, .ctx = h });
    return x;
}

static void after_layer(void *ctx, const rw_rnn *r, int k)
{
    (void)ctx;
    const rw_cell *cell = rw_rnn_cell(r, k, 0);
    const rw_cell_def *def = rw_cell_definition(cell);
    if (def->end_run)
        def->end_run(cell);
}

/* One step of a recurrent layer from its stepping state; with d, its
 * recurrent dropout on each stacked layer's h_{t-1} (as the runner drops it:
 * the cell reads the masked h), the dropout between stacked layers and the
 * generator for cells that draw. */
static rw_node *step_rnn(rw_graph *g, mlayer *l, int i, rw_node *x, rw_node **state, int n_state, int batch,
                         const rwi_mstep_dropout *d)
{
    if (!d)
        return rw_rnn_step(g, l->rnn, x, state);
    int layers = rw_rnn_layers(l->rnn), per = n_state / layers;
    for (int k = 0; k < layers; k++)
        if (!(state[k * per] = step_drop(g, d, state[k * per], i, MSTEP_RECURRENT, k, l->ro.recurrent_dropout,
                                         l->ro.variational, false)))
            return NULL;
    step_hooks h = { .d = d, .l = l, .i = i, .batch = batch };
    return rwi_rnn_step_hooked(g, l->rnn, x, state,
                               &(rwi_rnn_layer_hooks){ .before = before_layer, .after = after_layer, .ctx = &h });
}

bool rwi_model_step_has_dropout(const rw_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        if ((l->kind == ML_EMBEDDING || l->kind == ML_DROPOUT) && l->p > 0)
            return true;
        if (l->kind == ML_RNN && (l->in_dropout > 0 || l->out_dropout > 0 || l->ro.recurrent_dropout > 0 ||
                                  (l->ro.dropout > 0 && rw_rnn_layers(l->rnn) > 1) ||
                                  rw_cell_definition(rw_rnn_cell(l->rnn, 0, 0))->begin_run))
            return true;
    }
    return false;
}

rw_node *rw_model_step(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids)
{
    return rwi_model_step_dropout(g, m, s, ids, NULL);
}

static rw_node *step_layers(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                            const rwi_mstep_dropout *d, bool hidden);

rw_node *rwi_model_step_dropout(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                                const rwi_mstep_dropout *d)
{
    return step_layers(g, m, s, ids, d, false);
}

rw_node *rwi_model_step_hidden(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids)
{
    return step_layers(g, m, s, ids, NULL, true);
}

rw_node *rwi_model_step_hidden_dropout(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                                       const rwi_mstep_dropout *d)
{
    return step_layers(g, m, s, ids, d, true);
}

/* hidden: a hierarchical softmax's input instead of its log-probabilities. */
static rw_node *step_layers(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                            const rwi_mstep_dropout *d, bool hidden)
{
    if (m && m->s2s) {
        rw_error(RW_ERR_ARG, "rw_model_step: model '%s' is an encoder-decoder: decode it with "
                 "rw_model_translate", m->name);
        return NULL;
    }
    if (!g || !m || !s || !ids || s->m != m) {
        rw_error(RW_ERR_ARG, "rw_model_step: needs a graph, a model, its state and token ids");
        return NULL;
    }
    rw_node *tok = rw_leaf_new(g, RW_INT32, rw_shape1(s->batch), false);
    if (!tok)
        return NULL;
    for (int b = 0; b < s->batch; b++) {
        if (ids[b] < 0 || ids[b] >= m->vocab.n) {
            rw_error(RW_ERR_ARG, "rw_model_step: token id %d is outside the vocabulary of %d", (int)ids[b], m->vocab.n);
            return NULL;
        }
        tok->value.idata[b] = ids[b];
    }
    rw_node *x = tok;
    for (int i = 0; i < m->n_layers && x; i++) {
        mlayer *l = &m->layers[i];
        if (l->kind == ML_EMBEDDING) {
            x = step_drop(g, d, rw_embedding_apply(g, l->emb, tok), i, MSTEP_EMBEDDING, 0, l->p, false,
                          l->token_unit);
        } else if (l->kind == ML_LINEAR) {
            if (m->hsm.on && i == m->n_layers - 1)
                x = hidden ? x : rwi_mhsm_log_probs(g, m, x);
            else
                x = rwi_mactivate(g, rw_linear_apply(g, l->lin, x), l->act);
        } else if (l->kind == ML_DROPOUT) {
            x = d ? step_drop(g, d, x, i, MSTEP_DROPOUT, 0, l->p, l->per_sequence, false) : drop(g, m, x, l->p, false);
        } else {
            if (l->last || !s->step[i]) {
                rw_error(RW_ERR_ARG, "rw_model_step: layer '%s' cannot be stepped (%s)", l->name,
                         l->last ? "it returns only the last output" : "it is bidirectional");
                return NULL;
            }
            rw_node **state = rw_arena_alloc(rw_graph_arena(g), (size_t)s->n_step[i] * sizeof *state);
            if (!state)
                return NULL;
            if (s->step_fresh) {
                if (rw_rnn_zero_state(g, l->rnn, s->batch, state) != RW_OK)
                    return NULL;
            } else {
                for (int k = 0; k < s->n_step[i]; k++)
                    state[k] = rw_const(g, s->step[i][k]);
            }
            if (x->value.dtype == RW_REAL)
                x = step_drop(g, d, x, i, MSTEP_INPUT, 0, l->in_dropout, l->ro.variational, false);
            x = x ? step_rnn(g, l, i, x, state, s->n_step[i], s->batch, d) : NULL;
            for (int k = 0; x && k < s->n_step[i]; k++)
                if (rw_tensor_copy(s->step[i][k], &state[k]->value) != RW_OK)
                    return NULL;
            x = step_drop(g, d, x, i, MSTEP_OUTPUT, 0, l->out_dropout, l->ro.variational, false);
        }
    }
    if (x)
        s->step_fresh = false;
    return x;
}

int rw_model_sample(const rw_node *logits, int row, double temperature, int top_k, rw_rng *rng)
{
    if (!logits || logits->value.dtype != RW_REAL || logits->value.shape.ndim < 1 || row < 0 ||
        (size_t)row >= rw_shape_rows(logits->value.shape) || (temperature > 0 && !rng)) {
        rw_error(RW_ERR_ARG, "rw_model_sample: needs real logits, a row in range and a generator");
        return -1;
    }
    int C = rw_shape_last(logits->value.shape);
    const rw_real *z = logits->value.data + (size_t)row * (size_t)C;
    int best = 0;
    for (int c = 1; c < C; c++)
        if (z[c] > z[best])
            best = c;
    if (temperature <= 0)
        return best;
    double cut = -INFINITY; /* keep the top_k largest */
    if (top_k > 0 && top_k < C) {
        int above;
        double lo = z[best];
        do { /* lower the cut until top_k values reach it */
            double next = -INFINITY;
            above = 0;
            for (int c = 0; c < C; c++) {
                above += z[c] >= lo;
                if (z[c] < lo && z[c] > next)
                    next = z[c];
            }
            cut = lo;
            lo = next;
        } while (above < top_k && isfinite(lo));
    }
    double total = 0;
    for (int c = 0; c < C; c++)
        total += z[c] >= cut ? exp(((double)z[c] - (double)z[best]) / temperature) : 0;
    double u = rw_rng_uniform(rng) * total;
    for (int c = 0; c < C; c++) {
        double p = z[c] >= cut ? exp(((double)z[c] - (double)z[best]) / temperature) : 0;
        if (u < p)
            return c;
        u -= p;
    }
    return best;
}

int rwi_mprime_ids(const rw_model *m, const char *prime, int32_t *ids, int n)
{
    int k = 0;
    for (const char *c = prime; *c; c++) { /* a byte the vocabulary lacks is <unk>, else left out of the prime */
        int id = m->vocab.bytes ? m->vocab.byte_id[(unsigned char)*c] : -1;
        if (id < 0 && m->vocab.bytes)
            id = m->vocab.unk;
        if (id >= 0)
            ids[k++] = id;
    }
    if (!m->vocab.bytes && *prime) {
        k = rw_model_encode(m, prime, ids, n);
        if (k < 0)
            return -1;
    }
    if (k == 0) { /* start from the bos marker (kind lines), else after a newline when there is one, else token 0 */
        int nl = m->vocab.bytes ? m->vocab.byte_id['\n'] : -1, bos = rwi_mbos_token(m);
        ids[k++] = bos >= 0 ? bos : nl >= 0 ? nl : 0;
    }
    return k;
}

char *rw_model_generate(rw_model *m, const char *prime, int length, double temperature, int top_k, rw_rng *rng)
{
    if (!m || !m->has_layers || !m->vocab.tok || m->target != MT_NEXT || length < 0 || !rng) {
        rw_error(RW_ERR_ARG, "rw_model_generate: needs a token model with a vocabulary, a length >= 0 and a "
                 "generator");
        return NULL;
    }
    const char *p = prime ? prime : "";
    int n = (int)strlen(p) + 1;
    int32_t *ids = rwi_calloc((size_t)n, sizeof *ids, "a prime");
    size_t cap = 64, at = 0;
    char *out = rwi_malloc(cap, "generated text");
    rw_model_state *s = rw_model_state_new(m, 1);
    rw_graph *g = rw_graph_new();
    if (!ids || !out || !s || !g)
        goto fail;
    rw_graph_set_training(g, false);
    int k = rwi_mprime_ids(m, p, ids, n);
    if (k < 0)
        goto fail;
    /* a hierarchical softmax at temperature 1 draws from its head's input: no logits of all words */
    bool fast = rwi_mhsm_fast_sampling(m, temperature, top_k);
    rw_node *logits = NULL;
    for (int i = 0; i < k; i++) {
        rw_graph_reset(g);
        if (!(logits = fast ? rwi_model_step_hidden(g, m, s, &ids[i]) : rw_model_step(g, m, s, &ids[i])))
            goto fail;
    }
    for (int t = 0; t < length; t++) {
        if (m->vocab.unk >= 0 && !fast) /* <unk> is no text: masked, so never generated (finite: fast-math safe) */
            logits->value.data[m->vocab.unk] = (rw_real)-1e30;
        int32_t next = fast ? rwi_mhsm_sample(m, logits, 0, rng)
                            : rw_model_sample(logits, 0, temperature, top_k, rng);
        if (next < 0)
            goto fail;
        const char *tok = m->vocab.tok[next];
        size_t len = strlen(tok) + (m->vocab.bytes ? 0 : 1);
        if (at + len + 1 > cap) {
            cap = (at + len + 1) * 2;
            char *grown = rwi_realloc(out, cap, "generated text");
            if (!grown)
                goto fail;
            out = grown;
        }
        if (!m->vocab.bytes && at)
            out[at++] = ' ';
        memcpy(out + at, tok, strlen(tok));
        at += strlen(tok);
        rw_graph_reset(g);
        if (!(logits = fast ? rwi_model_step_hidden(g, m, s, &next) : rw_model_step(g, m, s, &next)))
            goto fail;
    }
    out[at] = '\0';
    rwi_free(ids);
    rw_model_state_free(s);
    rw_graph_free(g);
    return out;
fail:
    rwi_free(ids);
    rwi_free(out);
    rw_model_state_free(s);
    rw_graph_free(g);
    return NULL;
}
