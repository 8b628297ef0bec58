/* A layer-list language model as an rw_step_model (rewind/decode.h), so
 * that greedy decoding, sampling and beam search run on it as on any step
 * model. Rows are the batch of an rw_model_state; reordering the rows (beam
 * search keeps K of them) copies state rows into a second state of the new
 * size, and the two states swap, so a search of fixed width allocates only
 * when its width changes. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

typedef struct lm_step_model {
    rw_step_model base;
    rw_model *m;
    rw_model_state *state, *spare; /* state holds base.rows rows */
    rw_graph *g;
} lm_step_model;

static rw_status lm_step(rw_step_model *dm, const int32_t *tokens, int n, rw_real *logprobs)
{
    lm_step_model *x = (lm_step_model *)dm;
    if (n != dm->rows)
        return rw_error(RW_ERR_ARG, "language-model step: %d tokens for %d rows", n, dm->rows);
    rw_graph_reset(x->g);
    rw_node *z = rw_model_step(x->g, x->m, x->state, tokens);
    if (!z)
        return rw_last_status();
    int V = dm->vocab, unk = x->m->vocab.unk;
    for (int r = 0; r < n; r++) { /* log-softmax of each row */
        rw_real *zr = z->value.data + (size_t)r * (size_t)V;
        if (unk >= 0) /* <unk> is no text: never decoded (finite, as in rw_model_generate) */
            zr[unk] = (rw_real)-1e30;
        rw_real *out = logprobs + (size_t)r * (size_t)V;
        double top = zr[0], sum = 0;
        for (int c = 1; c < V; c++)
            top = zr[c] > top ? zr[c] : top;
        for (int c = 0; c < V; c++)
            sum += exp((double)zr[c] - top);
        double lse = top + log(sum);
        for (int c = 0; c < V; c++)
            out[c] = (rw_real)((double)zr[c] - lse);
    }
    return RW_OK;
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
    if (!x->spare || x->spare->batch != n) {
        rw_model_state_free(x->spare);
        if (!(x->spare = rw_model_state_new(x->m, n)))
            return rw_last_status();
    }
    x->spare->step_fresh = x->state->step_fresh;
    if (!x->state->step_fresh)
        copy_rows(x->spare, x->state, index, n);
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
    rwi_free(x);
}

rw_step_model *rw_model_step_model_new(rw_model *m, const char *prime, int32_t *start)
{
    if (!m || m->s2s || !m->has_layers || m->target != MT_NEXT) {
        rw_error(RW_ERR_ARG, "rw_model_step_model_new: needs a language model (a layer list whose output is the "
                 "next token)%s", m && m->s2s ? "; an encoder-decoder decodes with rw_model_translate" : "");
        return NULL;
    }
    lm_step_model *x = rwi_calloc(1, sizeof *x, "a language-model step model");
    if (!x)
        return NULL;
    x->base = (rw_step_model){ .vocab = m->vocab.n, .rows = 1, .step = lm_step, .reorder = lm_reorder,
                               .free = lm_free };
    x->m = m;
    if (!(x->state = rw_model_state_new(m, 1)) || !(x->g = rw_graph_new())) {
        lm_free(&x->base);
        return NULL;
    }
    rw_graph_set_training(x->g, false);
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
