/* rw_step_model for the library's networks: a character LM (rw_rnn + head)
 * and an encoder-decoder primed with one source. Each step builds the
 * step's ops on a private graph from stored state values, copies the new
 * values out and resets the graph, so memory stays flat. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "gather_rows.h"
#include "rewind/decode.h"
#include "rewind/ops_softmax.h"

/* Copies log_softmax(logits) [n, V] into lp. */
static rw_status write_logprobs(rw_graph *g, rw_node *logits, rw_real *lp)
{
    rw_node *y = logits ? rw_log_softmax(g, logits) : NULL;
    if (!y)
        return rw_last_status();
    memcpy(lp, y->value.data, y->value.size * sizeof *lp);
    return RW_OK;
}

static rw_node *token_leaf(rw_graph *g, const int32_t *tokens, int n, int vocab)
{
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= vocab) {
            rw_error(RW_ERR_ARG, "step model: token %d of row %d is outside [0, %d)", (int)tokens[i], i, vocab);
            return NULL;
        }
    rw_node *ids = rw_leaf_new(g, RW_INT32, rw_shape1(n), false);
    if (ids)
        memcpy(ids->value.idata, tokens, (size_t)n * sizeof *tokens);
    return ids;
}

static rw_status check_rows(const rw_step_model *m, int n)
{
    return n == m->rows ? RW_OK : rw_error(RW_ERR_ARG, "step model: %d tokens for %d rows", n, m->rows);
}

/* ---- a character LM ----------------------------------------------------------- */

typedef struct rnn_model {
    rw_step_model base;
    const rw_rnn *rnn;
    const rw_linear *head;
    rw_graph *g;
    rw_carry *carry;
} rnn_model;

static rw_status rnn_step(rw_step_model *base, const int32_t *tokens, int n, rw_real *lp)
{
    rnn_model *m = (rnn_model *)base;
    rw_node *state[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES];
    rw_status st = check_rows(base, n);
    rw_node *ids = st == RW_OK ? token_leaf(m->g, tokens, n, base->vocab) : NULL;
    if (ids && (st = rw_carry_load_states(m->g, m->carry, state)) == RW_OK) {
        rw_node *h = rw_rnn_step(m->g, m->rnn, ids, state);
        st = write_logprobs(m->g, h ? rw_linear_apply(m->g, m->head, h) : NULL, lp);
        if (st == RW_OK)
            st = rw_carry_keep_states(m->carry, state);
    } else if (st == RW_OK) {
        st = rw_last_status();
    }
    rw_graph_reset(m->g);
    return st;
}

static rw_status rnn_reorder(rw_step_model *base, const int32_t *index, int n)
{
    rnn_model *m = (rnn_model *)base;
    rw_status st = rw_carry_gather(m->carry, index, n);
    if (st == RW_OK)
        base->rows = n;
    return st;
}

static void rnn_free(rw_step_model *base)
{
    rnn_model *m = (rnn_model *)base;
    rw_carry_free(m->carry);
    rw_graph_free(m->g);
    rwi_free(m);
}

rw_step_model *rw_rnn_step_model_new(const rw_rnn *rnn, const rw_linear *head)
{
    if (!rnn || !head || rw_rnn_directions(rnn) != 1 || head->in != rw_rnn_output_size(rnn)) {
        rw_error(RW_ERR_ARG, "rw_rnn_step_model_new: needs a unidirectional network and a head over its output");
        return NULL;
    }
    rnn_model *m = rwi_calloc(1, sizeof *m, "a step model");
    if (!m)
        return NULL;
    m->base = (rw_step_model){ .vocab = head->out, .rows = 1, .step = rnn_step, .reorder = rnn_reorder, .free = rnn_free };
    m->rnn = rnn;
    m->head = head;
    m->g = rw_graph_new();
    m->carry = rw_carry_new(rnn, 1);
    rw_node *state[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES];
    if (!m->g || !m->carry || rw_rnn_zero_state(m->g, rnn, 1, state) != RW_OK ||
        rw_carry_keep_states(m->carry, state) != RW_OK) {
        rnn_free(&m->base);
        return NULL;
    }
    rw_graph_set_training(m->g, false);
    rw_graph_reset(m->g);
    return &m->base;
}

/* ---- an encoder-decoder ----------------------------------------------------- */

typedef struct s2s_model {
    rw_step_model base;
    const rw_seq2seq *m;
    rw_graph *g;
    rw_carry *carry;         /* decoder states */
    rw_tensor *context;      /* [rows, K] with input feeding, else NULL */
    rw_tensor *values, *keys;/* attention memory, rows along keys_axis for keys and 0 for values */
    int keys_axis, steps;
    rw_tensor *weights;      /* [rows, S] of the last step */
} s2s_model;

static rw_tensor *keep(const rw_node *n) { return n ? rw_tensor_clone(&n->value) : NULL; }

static rw_status s2s_step(rw_step_model *base, const int32_t *tokens, int n, rw_real *lp)
{
    s2s_model *m = (s2s_model *)base;
    rw_graph *g = m->g;
    rw_seq2seq_state st = { .batch = n };
    rw_status s = check_rows(base, n);
    rw_node *ids = s == RW_OK ? token_leaf(g, tokens, n, base->vocab) : NULL;
    if (!ids || rw_carry_load_states(g, m->carry, st.rnn) != RW_OK) {
        s = s != RW_OK ? s : rw_last_status();
        goto out;
    }
    if (m->context)
        st.context = rw_const(g, m->context);
    if (m->values)
        st.memory = (rw_attention_memory){ .values = rw_const(g, m->values), .keys = rw_const(g, m->keys), .batch = n,
                                           .steps = m->steps };
    if ((s = write_logprobs(g, rw_seq2seq_step(g, m->m, &st, ids), lp)) != RW_OK ||
        (s = rw_carry_keep_states(m->carry, st.rnn)) != RW_OK)
        goto out;
    if (m->context)
        rw_tensor_copy(m->context, &st.context->value);
    if (st.weights && m->weights && rw_shape_equal(m->weights->shape, st.weights->value.shape)) {
        rw_tensor_copy(m->weights, &st.weights->value); /* a warm step allocates nothing */
    } else if (st.weights) {
        rw_tensor_free(m->weights);
        if (!(m->weights = keep(st.weights)))
            s = rw_last_status();
    }
out:
    rw_graph_reset(g);
    return s;
}

static rw_status s2s_reorder(rw_step_model *base, const int32_t *index, int n)
{
    s2s_model *m = (s2s_model *)base;
    rw_status s = rw_carry_gather(m->carry, index, n);
    if (s == RW_OK && m->context)
        s = rwi_tensor_regather(&m->context, 0, index, n);
    /* every row of the attention memory holds the one source: only the row count changes */
    if (s == RW_OK && m->values && m->values->shape.dim[0] != n)
        s = rwi_tensor_regather(&m->values, 0, index, n);
    if (s == RW_OK && m->keys && m->keys->shape.dim[m->keys_axis] != n)
        s = rwi_tensor_regather(&m->keys, m->keys_axis, index, n);
    if (s == RW_OK && m->weights)
        s = rwi_tensor_regather(&m->weights, 0, index, n);
    if (s == RW_OK)
        base->rows = n;
    return s;
}

static void s2s_free(rw_step_model *base)
{
    s2s_model *m = (s2s_model *)base;
    rw_carry_free(m->carry);
    rw_graph_free(m->g);
    rw_tensor_free(m->context);
    rw_tensor_free(m->values);
    rw_tensor_free(m->keys);
    rw_tensor_free(m->weights);
    rwi_free(m);
}

rw_step_model *rw_seq2seq_step_model_new(const rw_seq2seq *net, const int32_t *src, int len)
{
    if (!net || !src || len < 1) {
        rw_error(RW_ERR_ARG, "rw_seq2seq_step_model_new: needs a model and a source of length >= 1 (got %d)", len);
        return NULL;
    }
    s2s_model *m = rwi_calloc(1, sizeof *m, "a step model");
    if (!m)
        return NULL;
    m->base = (rw_step_model){ .vocab = rw_seq2seq_options(net)->tgt_vocab, .rows = 1, .step = s2s_step,
                               .reorder = s2s_reorder, .free = s2s_free };
    m->m = net;
    m->g = rw_graph_new();
    m->carry = rw_carry_new(rw_seq2seq_decoder(net), 1);
    rw_tensor *srct = rw_tensor_from_ints(rw_shape2(len, 1), src);
    rw_seq2seq_state st;
    bool ok = m->g && m->carry && srct;
    if (ok) {
        rw_graph_set_training(m->g, false);
        ok = rw_seq2seq_encode(m->g, net, rw_const(m->g, srct), NULL, &st) == RW_OK &&
             rw_carry_keep_states(m->carry, st.rnn) == RW_OK;
    }
    if (ok && st.context)
        ok = (m->context = keep(st.context)) != NULL;
    if (ok && st.memory.values) {
        m->steps = st.memory.steps;
        m->keys_axis = rw_attention_options(rw_seq2seq_attention(net))->score == RW_ATTN_ADDITIVE ? 1 : 0;
        ok = (m->values = keep(st.memory.values)) && (m->keys = keep(st.memory.keys));
    }
    rw_tensor_free(srct);
    if (m->g)
        rw_graph_reset(m->g);
    if (!ok) {
        s2s_free(&m->base);
        return NULL;
    }
    return &m->base;
}

const rw_real *rw_seq2seq_step_model_weights(const rw_step_model *base, int *steps)
{
    if (!base || base->step != s2s_step)
        return NULL;
    const s2s_model *m = (const s2s_model *)base;
    if (steps)
        *steps = m->steps;
    return m->weights ? m->weights->data : NULL;
}
