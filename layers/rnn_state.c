/* State between windows (truncated BPTT), single steps and generation. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/rnn_step_hooks.h"
#include "gather_rows.h"
#include "rnn_internal.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_shape.h"

rw_carry *rw_carry_new(const rw_rnn *r, int batch)
{
    if (!r || batch < 1) {
        rw_error(RW_ERR_ARG, "rw_carry_new: needs a network and a batch >= 1 (got %d)", batch);
        return NULL;
    }
    rw_carry *c = rwi_calloc(1, sizeof *c, "a state carry");
    if (!c)
        return NULL;
    c->rnn = r;
    c->batch = batch;
    c->n = r->layers * r->dirs * r->def->n_states;
    c->t = rwi_calloc((size_t)c->n, sizeof *c->t, "a state carry");
    if (!c->t) {
        rwi_free(c);
        return NULL;
    }
    for (int l = 0; l < r->layers; l++)
        for (int d = 0; d < r->dirs; d++)
            for (int s = 0; s < r->def->n_states; s++) {
                int i = rw_rnn_state_index(r, l, d, s);
                c->t[i] = rw_tensor_new(RW_REAL, rw_shape2(batch, rw_cell_state_size(r->cells[l][d], s)));
                if (!c->t[i]) {
                    rw_carry_free(c);
                    return NULL;
                }
            }
    return c;
}

void rw_carry_free(rw_carry *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        rw_tensor_free(c->t[i]);
    rwi_free(c->t);
    rwi_free(c);
}

void rw_carry_zero(rw_carry *c)
{
    for (int i = 0; c && i < c->n; i++)
        rw_tensor_fill(c->t[i], 0);
}

rw_status rw_carry_keep(rw_carry *c, const rw_seq *s)
{
    if (!c || !s || !s->final || s->n_final != c->n)
        return rw_error(RW_ERR_ARG, "rw_carry_keep: the run does not match the carry (or failed)");
    for (int i = 0; i < c->n; i++) {
        if (!s->final[i])
            return rw_error(RW_ERR_ARG, "rw_carry_keep: the run failed");
        if (rw_tensor_copy(c->t[i], &s->final[i]->value) != RW_OK)
            return rw_last_status();
    }
    return RW_OK;
}

bool rwi_carry_fits(const rw_carry *c, const rw_rnn *r)
{
    const rw_rnn *o = c->rnn;
    if (o == r)
        return true;
    if (o->layers != r->layers || o->dirs != r->dirs || o->def->n_states != r->def->n_states)
        return false;
    for (int l = 0; l < r->layers; l++)
        for (int d = 0; d < r->dirs; d++)
            for (int s = 0; s < r->def->n_states; s++)
                if (rw_cell_state_size(o->cells[l][d], s) != rw_cell_state_size(r->cells[l][d], s))
                    return false;
    return true;
}

rw_status rw_carry_copy_sequences(rw_carry *dst, int dst_first, const rw_carry *src, int src_first, int count)
{
    if (!dst || !src || !rwi_carry_fits(src, dst->rnn))
        return rw_error(RW_ERR_ARG, "rw_carry_copy_sequences: %s", !dst || !src ? "NULL carry"
                        : "the carries belong to networks of different shapes");
    if (count < 0 || dst_first < 0 || src_first < 0 || dst_first + count > dst->batch ||
        src_first + count > src->batch)
        return rw_error(RW_ERR_ARG, "rw_carry_copy_sequences: sequences [%d, %d) of a carry of %d into [%d, %d) of "
                        "one of %d", src_first, src_first + count, src->batch, dst_first, dst_first + count,
                        dst->batch);
    for (int i = 0; i < src->n; i++) { /* [batch, size]: a sequence is a row */
        size_t size = (size_t)src->t[i]->shape.dim[1];
        memcpy(dst->t[i]->data + (size_t)dst_first * size, src->t[i]->data + (size_t)src_first * size,
               (size_t)count * size * sizeof(rw_real));
    }
    return RW_OK;
}

rw_status rw_carry_copy(rw_carry *dst, const rw_carry *src)
{
    if (!dst || !src || dst->rnn != src->rnn || dst->batch != src->batch)
        return rw_error(RW_ERR_ARG, "rw_carry_copy: the carries belong to different networks or batches");
    for (int i = 0; i < src->n; i++)
        if (rw_tensor_copy(dst->t[i], src->t[i]) != RW_OK)
            return rw_last_status();
    return RW_OK;
}

int rw_rnn_state_count(const rw_rnn *r) { return r->layers * r->def->n_states; }

rw_status rw_rnn_zero_state(rw_graph *g, const rw_rnn *r, int batch, rw_node **state)
{
    if (r->dirs != 1)
        return rw_error(RW_ERR_ARG, "rw_rnn_zero_state: stepping needs a unidirectional network");
    for (int l = 0; l < r->layers; l++)
        for (int s = 0; s < r->def->n_states; s++) {
            rw_node *z = rw_leaf_new(g, RW_REAL, rw_shape2(batch, rw_cell_state_size(r->cells[l][0], s)), false);
            if (!z)
                return rw_last_status();
            state[l * r->def->n_states + s] = r->init[l][0][s] ? rw_add(g, z, rw_param_node(g, r->init[l][0][s])) : z;
        }
    return RW_OK;
}

rw_node *rwi_rnn_step_hooked(rw_graph *g, const rw_rnn *r, rw_node *x, rw_node **state,
                             const rwi_rnn_layer_hooks *h)
{
    if (!r || !state || r->dirs != 1) {
        rw_error(RW_ERR_ARG, "rw_rnn_step: needs a unidirectional network and its states");
        return NULL;
    }
    rw_node *x0 = x, *outs[RW_RNN_MAX_LAYERS];
    for (int l = 0; l < r->layers && x; l++) {
        rw_node *in = x;
        if (l == 0 && x->value.dtype == RW_INT32 && !(r->def->accepts_ids && r->def->project))
            x = rw_one_hot(g, x, r->input_size);
        if (x && h && !(x = h->before(h->ctx, g, r, l, x)))
            return NULL;
        x = x ? rw_cell_step(g, r->cells[l][0], x, state + l * r->def->n_states) : NULL;
        if (h)
            h->after(h->ctx, r, l);
        x = x ? outs[l] = rwi_rnn_residual(g, r, l, in, x) : NULL;
    }
    return x && r->o.skip_outputs ? rwi_rnn_skip_concat(g, r, x0, outs, r->layers) : x;
}

rw_node *rw_rnn_step(rw_graph *g, const rw_rnn *r, rw_node *x, rw_node **state)
{
    return rwi_rnn_step_hooked(g, r, x, state, NULL);
}

rw_status rw_rnn_generate(rw_graph *g, const rw_rnn *r, rw_node *x0, rw_node **state, int steps,
                          rw_feedback_fn feedback, void *ctx, rw_node **out)
{
    if (!feedback || steps < 1 || !out)
        return rw_error(RW_ERR_ARG, "rw_rnn_generate: needs a feedback function, steps >= 1 and an output array");
    rw_node *x = x0;
    for (int t = 0; t < steps; t++) {
        out[t] = rw_rnn_step(g, r, x, state);
        if (!out[t])
            return rw_last_status();
        if (t + 1 < steps && !(x = feedback(g, out[t], t, ctx)))
            return rw_last_status() != RW_OK ? rw_last_status()
                                             : rw_error(RW_ERR_ARG, "rw_rnn_generate: feedback returned NULL");
    }
    return RW_OK;
}

/* ---- reordering by row (beam search) -------------------------------------- */

rw_status rw_rnn_state_gather(rw_graph *g, const rw_rnn *r, rw_node **state, const int32_t *index, int n)
{
    if (!g || !r || !state || !index || n < 1 || r->dirs != 1)
        return rw_error(RW_ERR_ARG, "rw_rnn_state_gather: needs a unidirectional network, its states and n >= 1 indices");
    rw_node *ids = rw_leaf_new(g, RW_INT32, rw_shape1(n), false);
    if (!ids)
        return rw_last_status();
    memcpy(ids->value.idata, index, (size_t)n * sizeof *index);
    for (int i = 0; i < rw_rnn_state_count(r); i++)
        if (!(state[i] = rw_gather(g, state[i], ids))) {
            rw_error_prefix("rw_rnn_state_gather: state %d", i);
            return rw_last_status();
        }
    return RW_OK;
}

int rw_carry_batch(const rw_carry *c) { return c ? c->batch : 0; }

rw_status rw_carry_keep_states(rw_carry *c, rw_node *const *state)
{
    if (!c || !state || c->rnn->dirs != 1)
        return rw_error(RW_ERR_ARG, "rw_carry_keep_states: needs a carry of a unidirectional network and its states");
    for (int i = 0; i < c->n; i++)
        if (!state[i] || rw_tensor_copy(c->t[i], &state[i]->value) != RW_OK)
            return rw_error(RW_ERR_ARG, "rw_carry_keep_states: state %d is missing or not [%d, size]", i, c->batch);
    return RW_OK;
}

rw_status rw_carry_load_states(rw_graph *g, const rw_carry *c, rw_node **state)
{
    if (!g || !c || !state || c->rnn->dirs != 1)
        return rw_error(RW_ERR_ARG, "rw_carry_load_states: needs a graph, a carry of a unidirectional network and room");
    for (int i = 0; i < c->n; i++)
        if (!(state[i] = rw_const(g, c->t[i])))
            return rw_last_status();
    return RW_OK;
}

rw_status rw_carry_gather(rw_carry *c, const int32_t *index, int n)
{
    if (!c)
        return rw_error(RW_ERR_ARG, "rw_carry_gather: NULL carry");
    for (int i = 0; i < c->n; i++)
        if (rwi_tensor_regather(&c->t[i], 0, index, n) != RW_OK) {
            rw_error_prefix("rw_carry_gather");
            return rw_last_status();
        }
    c->batch = n;
    return RW_OK;
}
