/* The sequence runner: unrolls cells over [T, B, ...] sequences. Every step
 * is ordinary ops on the tape, so BPTT is rw_backward. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rnn_internal.h"
#include "rnn_regularize.h"
#include "readout.h"
#include "rewind_internal/gate_probe.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_shape.h"
#include "rewind/ops_mask.h"
#include "rewind_internal/release.h"
#include "rewind/ops_dropout.h"

/* The spec with its defaults filled in and its cell resolved, or an error. */
static rw_status resolve(const rw_rnn_spec *spec, rw_rnn_spec *o)
{
    if (!spec)
        return rw_error(RW_ERR_ARG, "rw_rnn_new: NULL spec");
    *o = *spec;
    const char *name = o->name ? o->name : "(null)";
    if (o->layers == 0)
        o->layers = 1;
    if (o->cell && o->cell_name)
        return rw_error(RW_ERR_ARG, "rw_rnn_new('%s'): give the cell or its name, not both", name);
    if (!o->cell && o->cell_name && !(o->cell = rw_cell_find(o->cell_name)))
        return rw_error(RW_ERR_ARG, "rw_rnn_new('%s'): no cell named '%s' is registered", name, o->cell_name);
    o->cell_name = NULL;
    if (!o->name || !o->cell || o->layers < 1 || o->layers > RW_RNN_MAX_LAYERS || o->dropout < 0 ||
        o->dropout >= 1 || o->vocab < 0 || o->merge < RW_DIRS_CONCAT || o->merge > RW_DIRS_MEAN || !(o->recurrent_dropout >= 0 && o->recurrent_dropout < 1))
        return rw_error(RW_ERR_ARG, "rw_rnn_new('%s'): needs a name, a cell, 1..%d layers (got %d) and dropout and "
                        "recurrent_dropout in [0, 1) (got %g, %g)", name, RW_RNN_MAX_LAYERS, o->layers, o->dropout,
                        o->recurrent_dropout);
    if (o->vocab > 0)
        o->input_size = o->vocab;
    return RW_OK;
}

rw_rnn *rw_rnn_new(rw_params *P, const rw_rnn_spec *spec, rw_rng *rng)
{
    rw_rnn_spec o;
    if (resolve(spec, &o) != RW_OK)
        return NULL;
    if (!P || !rng) {
        rw_error(RW_ERR_ARG, "rw_rnn_new('%s'): needs a parameter store and a generator", o.name);
        return NULL;
    }
    const char *name = o.name;
    const rw_cell_def *cell = o.cell;
    rw_rnn *r = rwi_calloc(1, sizeof *r, "a recurrent network");
    if (!r)
        return NULL;
    r->name = rwi_strdup(name, "a network name");
    r->def = cell;
    r->o = o;
    r->o.name = r->name;     /* the caller's pointers need not outlive the call */
    r->o.cell_opts = NULL;
    r->layers = o.layers;
    r->dirs = o.bidirectional ? 2 : 1;
    r->input_size = o.input_size;
    r->hidden = o.hidden;
    if (!r->name)
        goto fail;
    int in = o.input_size;
    for (int l = 0; l < r->layers; l++) {
        for (int d = 0; d < r->dirs; d++) {
            char cname[256];
            snprintf(cname, sizeof cname, "%s.l%d%s", name, l, d ? ".rev" : "");
            r->cells[l][d] = rw_cell_new(P, cname, cell, in, o.hidden, o.cell_opts, rng);
            if (!r->cells[l][d])
                goto fail;
            for (int s = 0; o.initial_state == RW_STATE_LEARNED && s < cell->n_states; s++) {
                char pname[300];
                snprintf(pname, sizeof pname, "%s.h0.s%d", cname, s);
                r->init[l][d][s] = rw_params_add(P, pname, rw_shape1(rw_cell_state_size(r->cells[l][d], s)));
                if (!r->init[l][d][s])
                    goto fail;
            }
        }
        if (rwi_rnn_skip_setup(P, r, l, in, rng) != RW_OK)
            goto fail;
        in = rw_cell_output_size(r->cells[l][0]) * (o.merge == RW_DIRS_CONCAT ? r->dirs : 1);
    }
    return r;
fail:
    rw_rnn_free(r);
    return NULL;
}

void rw_rnn_free(rw_rnn *r)
{
    if (!r)
        return;
    for (int l = 0; l < RW_RNN_MAX_LAYERS; l++)
        for (int d = 0; d < 2; d++)
            rw_cell_free(r->cells[l][d]);
    rwi_free(r->name);
    rwi_free(r);
}

int rw_rnn_layers(const rw_rnn *r) { return r->layers; }
int rw_rnn_directions(const rw_rnn *r) { return r->dirs; }
int rw_rnn_output_size(const rw_rnn *r)
{
    if (r->o.skip_outputs)
        return r->skip_width;
    return rw_cell_output_size(r->cells[r->layers - 1][0]) * (r->o.merge == RW_DIRS_CONCAT ? r->dirs : 1);
}
rw_cell *rw_rnn_cell(const rw_rnn *r, int layer, int dir)
{
    return layer >= 0 && layer < r->layers && dir >= 0 && dir < r->dirs ? r->cells[layer][dir] : NULL;
}

/* ---- one run -------------------------------------------------------------- */

typedef struct run {
    rw_graph *g;
    const rw_rnn *r;
    const rw_run_opts *o;
    int T, B;
    rw_node **masks;    /* [T] real [B] leaves, or NULL without lengths */
    rw_node **steps;    /* scratch: [T] per-step inputs */
    rw_node **outs[2];  /* [T] per-step outputs of the current layer, per direction */
    rw_node **hidden;   /* keep_hidden_grads: rw_seq.hidden */
    rwi_gate_probe *probe; /* gate_saturation: the current direction's, else NULL */
} run;

static rw_node *initial_state(run *u, int l, int d, int s)
{
    const rw_rnn *r = u->r;
    int idx = rw_rnn_state_index(r, l, d, s);
    int size = rw_cell_state_size(r->cells[l][d], s);
    if (u->o->initial)
        return u->o->initial[idx];
    if (u->o->carry)
        return rw_const_copy(u->g, u->o->carry->t[idx]); /* a copy: rw_carry_keep may overwrite the carry before backward */
    rw_node *zero = rw_leaf_new(u->g, RW_REAL, rw_shape2(u->B, size), false);
    if (r->init[l][d][s]) /* learned: zeros [B, S] + h0 [S] broadcast over the batch */
        return rw_add(u->g, zero, rw_param_node(u->g, r->init[l][d][s]));
    return zero;
}

static rw_status make_masks(run *u)
{
    rw_node *len = u->o->lengths;
    if (!len)
        return RW_OK;
    if (len->value.dtype != RW_INT32 || len->value.size != (size_t)u->B)
        return rw_error(RW_ERR_SHAPE, "rw_rnn_run: lengths must be int32 [%d] (one per sequence)", u->B);
    for (int b = 0; b < u->B; b++)
        if (len->value.idata[b] < 0 || len->value.idata[b] > u->T)
            return rw_error(RW_ERR_SHAPE, "rw_rnn_run: length %d of sequence %d is outside [0, %d]",
                            (int)len->value.idata[b], b, u->T);
    u->masks = rw_arena_alloc(rw_graph_arena(u->g), (size_t)u->T * sizeof *u->masks);
    if (!u->masks)
        return RW_ERR_NOMEM;
    for (int t = 0; t < u->T; t++) {
        u->masks[t] = rw_leaf_new(u->g, RW_REAL, rw_shape1(u->B), false);
        if (!u->masks[t])
            return RW_ERR_NOMEM;
        for (int b = 0; b < u->B; b++)
            u->masks[t]->value.data[b] = t < len->value.idata[b] ? 1 : 0;
    }
    return RW_OK;
}

/* One direction of one layer over all steps. Returns the output at each
 * sequence's last valid step in *last; final states in s->final. */
static rw_status run_direction(run *u, int l, int d, rw_node *input, rw_seq *s, rw_node **last)
{
    const rw_rnn *r = u->r;
    rw_graph *g = u->g;
    const rw_cell *cell = r->cells[l][d];
    const rw_cell_def *def = r->def;
    int ns = def->n_states, T = u->T;

    rw_node *state[RW_CELL_MAX_STATES];
    for (int k = 0; k < ns; k++)
        if (!(state[k] = initial_state(u, l, d, k)))
            return rw_last_status();
    if (rwi_rnn_recomputes(u->o, T)) {
        if (def->begin_run && rw_graph_is_training(g)) /* its masks live for one recording, not the replay */
            return rw_error(RW_ERR_ARG, "rnn '%s': recompute_every cannot replay a cell that draws its own "
                            "randomness (dropout inside a YAML cell); use the layer's recurrent dropout instead",
                            r->name);
        rwi_rnn_direction dir = { .g = g, .r = r, .o = u->o, .layer = l, .dir = d, .T = T, .B = u->B,
                                  .masks = u->masks, .outs = u->outs[d],
                                  .final = s->final + rw_rnn_state_index(r, l, d, 0) };
        return rwi_rnn_direction_recomputed(&dir, input, state, last);
    }
    rw_node *mark = rwi_graph_last(g); /* what is made from here on serves this run only */
    if (input->value.dtype == RW_INT32 && !(def->accepts_ids && def->project)) {
        input = rw_one_hot(g, input, r->input_size);
        if (!input)
            return rw_last_status();
    }
    rw_node *x = def->project ? def->project(g, cell, input) : input;
    if (x)
        rwi_graph_release_since(g, mark, &x, 1); /* the projection's intermediates */
    if (!x) {
        rw_error_prefix("rnn '%s' layer %d", r->name, l);
        return rw_last_status();
    }
    rwi_rnn_stepper st = { .g = g, .r = r, .cell = cell, .rng = u->o->rng, .probe = u->probe };
    *last = NULL;
    for (int i = 0; i < T; i++) {
        int t = d == 0 ? i : T - 1 - i;
        rw_node *raw, *out = NULL;
        /* each step's input view is made just before the step, so that its
         * gradient is summed into x's right after the step's backward (and
         * its buffer reused) rather than kept until all steps are through */
        if ((u->steps[t] = rw_index0(g, x, t)))
            out = rwi_rnn_stepper_step(&st, u->steps[t], u->masks ? u->masks[t] : NULL, state, &raw);
        if (!out) {
            rw_error_prefix("rnn '%s' layer %d step %d", r->name, l, t);
            return rw_last_status();
        }
        if (u->hidden) { /* diagnostics: dL/dh_t survives rw_backward */
            raw->keep_grad = true;
            u->hidden[(l * r->dirs + d) * T + t] = raw;
        }
        if (u->masks)
            *last = st.last;
        else if (i == T - 1)
            *last = out;
        u->outs[d][t] = out;
        rw_node *made[1 + RW_CELL_MAX_STATES] = { out };
        memcpy(made + 1, state, (size_t)ns * sizeof *made);
        rwi_node_release_except(u->steps[t], made, 1 + ns); /* read by this step only */
    }
    if (!mark || x->id > mark->id) /* made here: every step has read it */
        rwi_node_release(x);
    for (int k = 0; k < ns; k++)
        s->final[rw_rnn_state_index(r, l, d, k)] = state[k];
    if (d == 1 && u->masks) /* backward direction: its output at step 0 is its last */
        *last = u->outs[1][0];
    return *last ? RW_OK : rw_last_status();
}

/* run_direction inside the cell's begin_run/end_run pair (cells that draw
 * randomness per run, such as dropout inside a YAML cell). */
static rw_status run_cell(run *u, int l, int d, rw_node *input, rw_seq *s, rw_node **last)
{
    const rw_cell_def *def = u->r->def;
    const rw_cell *cell = u->r->cells[l][d];
    if (def->begin_run && def->begin_run(u->g, cell, u->B, u->o->rng) != RW_OK)
        return rw_last_status();
    rwi_gate_probe probe = { .sat = u->o->gate_saturation ? &u->o->gate_saturation[l * u->r->dirs + d] : NULL };
    if (probe.sat) {
        u->probe = &probe;
        rwi_cell_set_gate_probe(u->r->cells[l][d], &probe);
    }
    rw_status st = run_direction(u, l, d, input, s, last);
    if (probe.sat) {
        rwi_cell_set_gate_probe(u->r->cells[l][d], NULL);
        u->probe = NULL;
    }
    if (def->end_run)
        def->end_run(cell);
    return st;
}

/* The layer's outputs as one [T, B, W] tensor, directions concatenated. */
static rw_node *layer_outputs(run *u)
{
    rw_node *fw = rw_stack(u->g, u->outs[0], u->T);
    if (u->r->dirs == 1)
        return fw;
    return rwi_rnn_merge_dirs(u->g, u->r->o.merge, fw, rw_stack(u->g, u->outs[1], u->T));
}

static rw_node *between_layers_dropout(run *u, rw_node *x)
{
    const rw_rnn_spec *o = &u->r->o;
    if (o->dropout <= 0 || !rw_graph_is_training(u->g))
        return x;
    if (!u->o->rng) {
        rw_error(RW_ERR_ARG, "rw_rnn_run: dropout %g needs a generator (rw_run_opts.rng)", o->dropout);
        return NULL;
    }
    if (!o->variational)
        return rw_dropout(u->g, x, o->dropout, u->o->rng);
    /* one mask [B, W] per sequence, broadcast over all T steps */
    rw_shape s = x->value.shape;
    rw_node *mask = rw_dropout_mask(u->g, rw_shape2(s.dim[1], s.dim[2]), o->dropout, u->o->rng);
    return rw_mul(u->g, x, mask);
}

rw_seq rw_rnn_run(rw_graph *g, const rw_rnn *r, rw_node *xs, const rw_run_opts *opts)
{
    rw_seq s = { 0 }, fail = { 0 };
    rw_run_opts none = { 0 };
    const rw_run_opts *o = opts ? opts : &none;
    if (!g || !r || !xs) {
        if (!xs && rw_last_status() != RW_OK)
            return fail; /* keep the message of the call that produced xs */
        rw_error(RW_ERR_ARG, "rw_rnn_run: NULL %s", !g ? "graph" : !r ? "network" : "input");
        return fail;
    }
    rw_shape xsh = xs->value.shape;
    bool ids = xs->value.dtype == RW_INT32;
    if ((ids && xsh.ndim != 2) || (!ids && (xsh.ndim != 3 || xsh.dim[2] != r->input_size)) ||
        (ids && r->o.vocab == 0) || (!ids && r->o.vocab > 0)) {
        char b[64];
        if (r->o.vocab > 0)
            rw_error(RW_ERR_SHAPE, "rnn '%s': input %s %s; expected int32 token ids [T, B]", r->name,
                     ids ? "int32" : "real", rw_shape_str(xsh, b, sizeof b));
        else
            rw_error(RW_ERR_SHAPE, "rnn '%s': input %s %s; expected real [T, B, %d]", r->name,
                     ids ? "int32" : "real", rw_shape_str(xsh, b, sizeof b), r->input_size);
        return fail;
    }
    if (o->carry && (!rwi_carry_fits(o->carry, r) || o->carry->batch != xsh.dim[1])) {
        rw_error(RW_ERR_ARG, "rnn '%s': the carry belongs to another network or a batch of %d, not %d", r->name,
                 o->carry->batch, xsh.dim[1]);
        return fail;
    }
    run u = { .g = g, .r = r, .o = o, .T = xsh.dim[0], .B = xsh.dim[1] };
    rw_arena *arena = rw_graph_arena(g);
    s.n_final = r->layers * r->dirs * r->def->n_states;
    s.final = rw_arena_calloc(arena, (size_t)s.n_final * sizeof *s.final);
    u.steps = rw_arena_alloc(arena, (size_t)u.T * sizeof *u.steps);
    u.outs[0] = rw_arena_alloc(arena, (size_t)u.T * sizeof *u.outs[0]);
    u.outs[1] = rw_arena_alloc(arena, (size_t)u.T * sizeof *u.outs[1]);
    if (o->keep_hidden_grads && u.T > 0 &&
        !(s.hidden = u.hidden = rw_arena_calloc(arena, (size_t)r->layers * r->dirs * u.T * sizeof *u.hidden)))
        return fail;
    if (!s.final || !u.steps || !u.outs[0] || !u.outs[1] || make_masks(&u) != RW_OK)
        return fail;

    if (r->o.skip_outputs && o->output == RW_OUTPUT_LAST) {
        rw_error(RW_ERR_ARG, "rnn '%s': skip outputs need the outputs of every step (RW_OUTPUT_ALL)", r->name);
        return fail;
    }
    rw_node *input = xs, *last[2] = { NULL, NULL }, *layer_out[RW_RNN_MAX_LAYERS];
    for (int l = 0; l < r->layers; l++) {
        rw_node *x = l > 0 ? between_layers_dropout(&u, input) : input;
        if (!x)
            return fail;
        for (int d = 0; d < r->dirs; d++)
            if (run_cell(&u, l, d, x, &s, &last[d]) != RW_OK)
                return fail;
        bool top = l == r->layers - 1;
        if (top && o->output == RW_OUTPUT_LAST)
            break;
        rw_node *y = layer_outputs(&u);
        if (!y || !(y = layer_out[l] = rwi_rnn_residual(g, r, l, input, y)))
            return fail;
        input = y;
    }
    if (o->output != RW_OUTPUT_LAST)
        s.outputs = r->o.skip_outputs ? rwi_rnn_skip_concat(g, r, xs, layer_out, r->layers) : input;
    if (o->output != RW_OUTPUT_LAST && !s.outputs)
        return fail;
    s.last = r->dirs == 2 ? rwi_rnn_merge_dirs(g, r->o.merge, last[0], last[1]) : last[0];
    if (o->pool != RW_POOL_NONE &&
        !(s.pooled = s.outputs ? rwi_rnn_pool(g, o->pool, s.outputs, o->lengths) : NULL)) {
        if (!s.outputs)
            rw_error(RW_ERR_ARG, "rnn '%s': a pooled read-out needs the outputs of every step (RW_OUTPUT_ALL)", r->name);
        return fail;
    }
    if (!s.last || rwi_rnn_hidden_penalty(g, u.outs, r->dirs, u.T, o->lengths, o, &s.penalty) != RW_OK)
        return fail;
    s.steps = u.T;
    s.batch = u.B;
    return s;
}
