/* A layer-list language model as an rw_step_model (rewind/decode.h), so
 * that greedy decoding, sampling and beam search run on it as on any step
 * model. Rows are the batch of an rw_model_state; reordering the rows (beam
 * search keeps K of them) copies state rows into a second state of the new
 * size, and the two states swap, so a search of fixed width allocates only
 * when its width changes.
 *
 * With Monte-Carlo dropout (F65) each row the decoder sees is `passes`
 * rows of the state, row r * passes + k being the model thinned by dropout
 * mask k: all are fed the same token, and the row's log-probabilities are
 * the log of their mean probabilities. Per-sequence masks (variational
 * dropout) belong to k and are kept for the whole text, as in training;
 * per-step masks are drawn afresh at every step. Pass k draws both from
 * its own generator, as pass k of rw_model_mc_probs does (rwi_mc_pass_rng):
 * with one dropout site the two paths draw the same masks in the same order
 * (a YAML cell that draws inside gets the shared generator and its
 * per-step masks do not agree). forward.c's step applies
 * every dropout site of the model through mc_mask, the dropout between
 * stacked layers included. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

typedef struct seq_mask { /* a per-sequence mask: [passes, width] for one site */
    int layer, sub, width;
    mstep_site site;
    rw_real *v;
} seq_mask;

typedef struct lm_step_model {
    rw_step_model base;
    rw_model *m;
    rw_model_state *state, *spare; /* state holds base.rows * passes rows */
    rw_graph *g;
    int passes;                    /* 1: plain (dropout off); > 1: Monte-Carlo dropout */
    rwi_mstep_dropout drop;
    rw_rng rng;                    /* the generator of cells that draw inside */
    rw_rng *pass_rng;              /* [passes]: pass k's masks, split from rng */
    seq_mask *masks;
    int n_masks;
    int32_t *ids;                  /* [rows * passes]: the tokens fed to the state's rows */
    double *mean;                  /* [vocab]: the passes' mean probabilities */
} lm_step_model;

/* One row of inverted-dropout mask: 0 with probability p, else 1 / (1 - p);
 * whole: one draw for all of the row, else one per element in order (as
 * rw_dropout_mask draws a row). */
static void draw_row(rw_real *v, int width, double p, bool whole, rw_rng *rng)
{
    rw_real keep = (rw_real)(1 / (1 - p)), all = whole && rw_rng_uniform(rng) < p ? 0 : keep;
    for (int j = 0; j < width; j++)
        v[j] = whole ? all : rw_rng_uniform(rng) < p ? 0 : keep;
}

static const seq_mask *sequence_mask(lm_step_model *x, int layer, mstep_site site, int sub, int width, double p)
{
    for (int i = 0; i < x->n_masks; i++)
        if (x->masks[i].layer == layer && x->masks[i].site == site && x->masks[i].sub == sub)
            return x->masks[i].width == width ? &x->masks[i] : NULL;
    seq_mask *grown = rwi_realloc(x->masks, (size_t)(x->n_masks + 1) * sizeof *grown, "dropout masks");
    if (!grown)
        return NULL;
    x->masks = grown;
    seq_mask *k = &x->masks[x->n_masks];
    *k = (seq_mask){ .layer = layer, .sub = sub, .width = width, .site = site,
                     .v = rwi_malloc((size_t)x->passes * (size_t)width * sizeof *k->v, "a dropout mask") };
    if (!k->v)
        return NULL;
    x->n_masks++;
    for (int r = 0; r < x->passes; r++)
        draw_row(k->v + (size_t)r * (size_t)width, width, p, false, &x->pass_rng[r]);
    return k;
}

static rw_node *mc_mask(void *ctx, rw_graph *g, int layer, mstep_site site, int sub, rw_shape shape, double p,
                        bool per_sequence, bool whole_rows)
{
    lm_step_model *x = ctx;
    int width = rw_shape_last(shape), rows = (int)rw_shape_rows(shape);
    rw_node *mask = rw_leaf_new(g, RW_REAL, shape, false);
    const seq_mask *keep = mask && per_sequence ? sequence_mask(x, layer, site, sub, width, p) : NULL;
    if (!mask || (per_sequence && !keep)) {
        if (per_sequence && mask)
            rw_error(RW_ERR_STATE, "Monte-Carlo dropout: no mask for layer %d (width %d)", layer, width);
        return NULL;
    }
    for (int r = 0; r < rows; r++) {
        rw_real *v = mask->value.data + (size_t)r * (size_t)width;
        if (keep) /* row r is pass r % passes */
            memcpy(v, keep->v + (size_t)(r % x->passes) * (size_t)width, (size_t)width * sizeof *v);
        else
            draw_row(v, width, p, whole_rows, &x->pass_rng[r % x->passes]);
    }
    return mask;
}

/* out[c] := log-softmax of z's row (out may be z), <unk> masked. */
static void log_softmax_row(const rw_real *z, int V, int unk, rw_real *out)
{
    double top = -INFINITY, sum = 0;
    for (int c = 0; c < V; c++)
        top = c != unk && z[c] > top ? z[c] : top;
    for (int c = 0; c < V; c++)
        sum += c != unk ? exp((double)z[c] - top) : 0;
    double lse = top + log(sum);
    for (int c = 0; c < V; c++) /* <unk> is no text: never decoded (finite, as in rw_model_generate) */
        out[c] = c != unk ? (rw_real)((double)z[c] - lse) : (rw_real)-1e30;
}

static rw_status lm_step(rw_step_model *dm, const int32_t *tokens, int n, rw_real *logprobs)
{
    lm_step_model *x = (lm_step_model *)dm;
    if (n != dm->rows)
        return rw_error(RW_ERR_ARG, "language-model step: %d tokens for %d rows", n, dm->rows);
    int N = x->passes, V = dm->vocab, unk = x->m->vocab.unk;
    for (int r = 0; r < n * N; r++)
        x->ids[r] = tokens[r / N];
    rw_graph_reset(x->g);
    rw_node *z = rwi_model_step_dropout(x->g, x->m, x->state, x->ids, N > 1 ? &x->drop : NULL);
    if (!z)
        return rw_last_status();
    for (int r = 0; r < n; r++) {
        rw_real *out = logprobs + (size_t)r * (size_t)V;
        if (N == 1) {
            log_softmax_row(z->value.data + (size_t)r * (size_t)V, V, unk, out);
            continue;
        }
        memset(x->mean, 0, (size_t)V * sizeof *x->mean);
        for (int k = 0; k < N; k++) { /* each pass's probabilities, averaged */
            rw_real *zk = z->value.data + ((size_t)r * (size_t)N + (size_t)k) * (size_t)V;
            log_softmax_row(zk, V, unk, zk);
            for (int c = 0; c < V; c++)
                x->mean[c] += exp((double)zk[c]) / N;
        }
        for (int c = 0; c < V; c++)
            out[c] = c != unk ? (rw_real)log(fmax(x->mean[c], 1e-300)) : (rw_real)-1e30;
    }
    return RW_OK;
}

/* Draws of <unk> a Monte-Carlo row may reject before it gives up. */
enum { MC_SAMPLE_TRIES = 1000 };

/* A draw from the mean of the passes' distributions without <unk>: a pass
 * chosen uniformly, then its word (class, then word); a draw of <unk>
 * starts again from the choice of pass, so that every other word keeps
 * its share of the mean (excluding <unk> within each pass instead would
 * weigh the passes by how little <unk> each gives). */
static int mc_row_sample(const lm_step_model *x, const rw_node *h, int row, rw_rng *rng)
{
    int N = x->passes, unk = x->m->vocab.unk;
    for (int t = 0; t < MC_SAMPLE_TRIES; t++) {
        int k = (int)(rw_rng_uniform(rng) * N);
        int w = rwi_mhsm_sample_excluding(x->m, h, row * N + (k < N ? k : N - 1), -1, rng);
        if (w != unk)
            return w;
    }
    rw_error(RW_ERR_STATE, "model '%s': %d Monte-Carlo draws in a row gave <unk>; nothing else to sample",
             x->m->name, MC_SAMPLE_TRIES);
    return -1;
}

/* step_sample of a model with a hierarchical softmax: each row's word
 * drawn from the head's input, without the words' log-probabilities; with
 * Monte-Carlo passes, from their mean. */
static rw_status lm_step_sample(rw_step_model *dm, const int32_t *tokens, int n, rw_rng *rng, int32_t *next)
{
    lm_step_model *x = (lm_step_model *)dm;
    if (n != dm->rows)
        return rw_error(RW_ERR_ARG, "language-model step: %d tokens for %d rows", n, dm->rows);
    int N = x->passes;
    rw_graph_reset(x->g);
    rw_node *h;
    if (N == 1) {
        h = rwi_model_step_hidden(x->g, x->m, x->state, tokens);
    } else {
        for (int r = 0; r < n * N; r++)
            x->ids[r] = tokens[r / N];
        h = rwi_model_step_hidden_dropout(x->g, x->m, x->state, x->ids, &x->drop);
    }
    for (int r = 0; h && r < n; r++)
        if ((next[r] = N == 1 ? rwi_mhsm_sample(x->m, h, r, rng) : mc_row_sample(x, h, r, rng)) < 0)
            return rw_last_status();
    return h ? RW_OK : rw_last_status();
}

/* dst's row r := src's row index[r], for every stepped state tensor. */
static void copy_rows(rw_model_state *dst, const rw_model_state *src, const int32_t *index, int n)
{
    for (int i = 0; i < M_MAX_LAYERS; i++)
        for (int k = 0; k < dst->n_step[i]; k++) {
            const rw_tensor *from = src->step[i][k];
            rw_tensor *to = dst->step[i][k];
            size_t w = (size_t)rw_shape_last(to->shape);
            for (int r = 0; r < n; r++)
                memcpy(to->data + (size_t)r * w, from->data + (size_t)index[r] * w, w * sizeof *to->data);
        }
}

static rw_status lm_reorder(rw_step_model *dm, const int32_t *index, int n)
{
    lm_step_model *x = (lm_step_model *)dm;
    if (n < 1)
        return rw_error(RW_ERR_ARG, "language-model reorder: %d rows", n);
    for (int r = 0; r < n; r++)
        if (index[r] < 0 || index[r] >= dm->rows)
            return rw_error(RW_ERR_ARG, "language-model reorder: row %d of %d", (int)index[r], dm->rows);
    int N = x->passes;
    if (n > dm->rows) {
        int32_t *ids = rwi_realloc(x->ids, (size_t)n * (size_t)N * sizeof *ids, "token ids");
        if (!ids)
            return rw_last_status();
        x->ids = ids;
    }
    if (!x->spare || x->spare->batch != n * N) {
        rw_model_state_free(x->spare);
        if (!(x->spare = rw_model_state_new(x->m, n * N)))
            return rw_last_status();
    }
    for (int r = 0; r < n * N; r++) /* pass k of row r: pass k of the row it copies */
        x->ids[r] = index[r / N] * N + r % N;
    x->spare->step_fresh = x->state->step_fresh;
    if (!x->state->step_fresh)
        copy_rows(x->spare, x->state, x->ids, n * N);
    rw_model_state *t = x->state;
    x->state = x->spare;
    x->spare = t;
    dm->rows = n;
    return RW_OK;
}

static void lm_free(rw_step_model *dm)
{
    lm_step_model *x = (lm_step_model *)dm;
    rw_model_state_free(x->state);
    rw_model_state_free(x->spare);
    rw_graph_free(x->g);
    for (int i = 0; i < x->n_masks; i++)
        rwi_free(x->masks[i].v);
    rwi_free(x->masks);
    rwi_free(x->ids);
    rwi_free(x->mean);
    rwi_free(x->pass_rng);
    rwi_free(x);
}

/* The step model of `passes` passes (1: dropout off), primed. */
static rw_step_model *step_model_new(rw_model *m, const char *prime, int passes, uint64_t seed, int32_t *start,
                                     const char *who)
{
    if (!m || m->s2s || !m->has_layers || m->target != MT_NEXT) {
        rw_error(RW_ERR_ARG, "%s: needs a language model (a layer list whose output is the next token)%s", who,
                 m && m->s2s ? "; an encoder-decoder decodes with rw_model_translate" : "");
        return NULL;
    }
    lm_step_model *x = rwi_calloc(1, sizeof *x, "a language-model step model");
    if (!x)
        return NULL;
    x->base = (rw_step_model){ .vocab = m->vocab.n, .rows = 1, .step = lm_step, .reorder = lm_reorder,
                               .free = lm_free };
    if (rwi_mhsm_fast_sampling(m, 1, 0))
        x->base.step_sample = lm_step_sample;
    x->m = m;
    x->passes = passes;
    x->rng = rw_rng_seed(seed);
    x->drop = (rwi_mstep_dropout){ .mask = mc_mask, .ctx = x, .rng = &x->rng };
    if (!(x->state = rw_model_state_new(m, passes)) || !(x->g = rw_graph_new()) ||
        !(x->ids = rwi_malloc((size_t)passes * sizeof *x->ids, "token ids")) ||
        !(x->mean = rwi_malloc((size_t)m->vocab.n * sizeof *x->mean, "probabilities")) ||
        !(x->pass_rng = rwi_malloc((size_t)passes * sizeof *x->pass_rng, "dropout generators"))) {
        lm_free(&x->base);
        return NULL;
    }
    for (int k = 0; k < passes; k++)
        x->pass_rng[k] = rwi_mc_pass_rng(&x->rng);
    rw_graph_set_training(x->g, passes > 1);
    const char *p = prime ? prime : "";
    int n = (int)strlen(p) + 1;
    int32_t *ids = rwi_malloc((size_t)n * sizeof *ids, "a prime");
    int k = ids ? rwi_mprime_ids(m, p, ids, n) : -1;
    rw_real *logprobs = k > 1 ? rwi_malloc((size_t)m->vocab.n * sizeof *logprobs, "log-probabilities") : NULL;
    bool ok = k >= 1 && (k == 1 || logprobs);
    for (int i = 0; ok && i < k - 1; i++) /* all but the last: the decoder feeds that one first */
        ok = lm_step(&x->base, &ids[i], 1, logprobs) == RW_OK;
    if (ok && start)
        *start = ids[k - 1];
    rwi_free(ids);
    rwi_free(logprobs);
    if (!ok) {
        lm_free(&x->base);
        return NULL;
    }
    return &x->base;
}

rw_step_model *rw_model_step_model_new(rw_model *m, const char *prime, int32_t *start)
{
    return step_model_new(m, prime, 1, 0, start, "rw_model_step_model_new");
}

rw_step_model *rw_model_mc_step_model_new(rw_model *m, const char *prime, int passes, uint64_t seed, int32_t *start)
{
    const char *who = "rw_model_mc_step_model_new";
    if (passes < 2 || passes > RW_MODEL_MC_MAX_PASSES) {
        rw_error(RW_ERR_ARG, "%s: passes must be in 2..%d (got %d)", who, RW_MODEL_MC_MAX_PASSES, passes);
        return NULL;
    }
    if (m && !m->s2s && m->has_layers && !rwi_model_step_has_dropout(m)) {
        rw_error(RW_ERR_ARG, "%s: model '%s' has no dropout, so its %d passes would all agree (give a layer "
                 "dropout, e.g. an rnn layer's dropout: {output: 0.2}, and train it)", who, m->name, passes);
        return NULL;
    }
    return step_model_new(m, prime, passes, seed, start, who);
}
