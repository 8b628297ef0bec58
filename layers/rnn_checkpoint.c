/* Gradient checkpointing over time (rw_run_opts.recompute_every = k).
 *
 * Why: plain BPTT keeps every op of every step on the tape until backward,
 * so memory grows with T times the activations of one step. Here a
 * direction runs in segments of k steps. Each segment's steps are recorded
 * on a private graph (rwi_graph_child), and only what the runner's graph
 * needs survives: the segment's outputs, its final states (the next
 * segment's boundary) and, with padding, the last valid output so far, all
 * packed into the value of one "rnn.segment" node; views ("rnn.segment_part")
 * hand out the pieces. The private graph is then reset. During backward
 * the segment node records its k steps again from the saved boundary, seeds
 * that small tape with the gradient of its packed outputs and runs it
 * backward, which adds into the parameters' gradients and into the
 * boundary's and the inputs' gradients (their leaves point at the outer
 * buffers). Memory: O(T/k) boundaries and the outputs the layer returns
 * anyway, plus one segment of k steps at a time: O(T/k + k) steps.
 *
 * Exactness: the recomputation records the same ops on the same values.
 * Recurrent dropout draws its masks in the same order as the plain runner;
 * each segment keeps the generator's state at its start and replays it, and
 * a variational mask is drawn once on the runner's graph and shared. The
 * input projection (def->project) is recomputed per segment over its rows,
 * so only the sums inside GEMMs may round differently from one projection
 * over all T rows. */
#include <string.h>
#include "rewind_internal/graph_child.h"
#include "rnn_internal.h"
#include "rewind/layers.h"
#include "rewind/op.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_shape.h"

/* ---- rnn.pack: nodes of any shapes as one flat vector ---------------------- */

static rw_status pack_shape(const rw_node *n, rw_shape *out, rw_dtype *dtype)
{
    size_t total = 0;
    for (int i = 0; i < n->n_in; i++) {
        if (n->in[i]->value.dtype != RW_REAL)
            return rw_error(RW_ERR_SHAPE, "op 'rnn.pack': input %d is not real", i);
        total += n->in[i]->value.size;
    }
    *out = rw_shape1((int)total);
    *dtype = RW_REAL;
    return RW_OK;
}

static void pack_forward(rw_node *n)
{
    rw_real *y = n->value.data;
    for (int i = 0; i < n->n_in; i++) {
        memcpy(y, n->in[i]->value.data, n->in[i]->value.size * sizeof *y);
        y += n->in[i]->value.size;
    }
}

static void pack_backward(rw_node *n)
{
    const rw_real *dy = n->grad;
    for (int i = 0; i < n->n_in; i++) {
        rw_node *x = n->in[i];
        for (size_t j = 0; x->grad && j < x->value.size; j++)
            x->grad[j] += dy[j];
        dy += x->value.size;
    }
}

static const rw_op_def pack_def = {
    .name = "rnn.pack", .arity = RW_VARIADIC, .min_arity = 1, .shape = pack_shape,
    .forward = pack_forward, .backward = pack_backward, .fills_output = true,
    .doc = "the inputs' elements one after the other, as a vector",
};

/* ---- one segment ------------------------------------------------------------ */

/* What a segment needs to record its steps again. Its node's inputs are
 * the layer's input [T, B, ...], the n_states boundary states, and (when
 * has_last_in) the last valid output before the segment. */
typedef struct segment {
    const rw_rnn *r;
    const rw_cell *cell;
    int dir, T, first, n;    /* steps i = first .. first+n-1 of the direction; t = i, or T-1-i backwards */
    rw_node *const *masks;   /* the runner's [T] padding masks, or NULL */
    rw_node *h_mask;         /* variational recurrent dropout's mask on the runner's graph, or NULL */
    rw_rng rng;              /* the generator as the segment began (has_rng) */
    bool has_rng, carries_last, has_last_in;
    size_t total;            /* elements of the packed value */
    const rw_real *src;      /* while the node is recorded: the packed value to copy */
} segment;

/* A leaf on sg viewing `shape` elements of src's value from `offset`; with
 * `grads` and a gradient on src, its gradient is src's (at the offset). */
static rw_node *view_leaf(rw_graph *sg, const rw_node *src, size_t offset, rw_shape shape, bool grads)
{
    rw_tensor t = src->value;
    t.shape = shape;
    t.size = rw_shape_size(shape);
    t.owns = false;
    if (t.dtype == RW_REAL)
        t.data += offset;
    else
        t.idata += offset;
    if (!grads || !src->grad)
        return rw_const(sg, &t);
    rw_node *v = rw_var(sg, &t);
    if (v)
        v->grad = src->grad + offset;
    return v;
}

/* The segment's steps recorded on sg from its inputs in[], packed as the
 * n outputs, the final states, then (carries_last) the last valid output.
 * rng is the generator at the segment's start (advanced as it is used). */
static rw_node *segment_steps(rw_graph *sg, const segment *s, rw_node *const *in, rw_rng *rng, bool grads)
{
    const rw_rnn *r = s->r;
    const rw_cell_def *def = r->def;
    int ns = def->n_states;
    const rw_node *input = in[0];
    size_t row = input->value.size / (size_t)s->T; /* elements of one step of the input */
    int lo = s->dir == 0 ? s->first : s->T - s->first - s->n;
    rw_shape sh = input->value.shape;
    sh.dim[0] = s->n;
    rw_node *x = view_leaf(sg, input, (size_t)lo * row, sh, grads);
    if (x && x->value.dtype == RW_INT32 && !(def->accepts_ids && def->project))
        x = rw_one_hot(sg, x, r->input_size);
    if (x && def->project)
        x = def->project(sg, s->cell, x);
    rw_node **steps = rw_arena_alloc(rw_graph_arena(sg), (size_t)s->n * sizeof *steps);
    rw_node **pack = rw_arena_alloc(rw_graph_arena(sg), (size_t)(s->n + ns + 1) * sizeof *pack);
    if (!x || !steps || !pack || rw_unstack(sg, x, steps) != RW_OK)
        return NULL;
    rw_node *state[RW_CELL_MAX_STATES];
    for (int k = 0; k < ns; k++)
        if (!(state[k] = view_leaf(sg, in[1 + k], 0, in[1 + k]->value.shape, grads)))
            return NULL;
    rwi_rnn_stepper st = { .g = sg, .r = r, .cell = s->cell, .rng = rng };
    if (s->h_mask && !(st.h_mask = rw_const(sg, &s->h_mask->value)))
        return NULL;
    if (s->has_last_in && !(st.last = view_leaf(sg, in[1 + ns], 0, in[1 + ns]->value.shape, grads)))
        return NULL;
    for (int j = 0; j < s->n; j++) {
        int i = s->first + j, t = s->dir == 0 ? i : s->T - 1 - i;
        rw_node *mask = s->masks ? rw_const(sg, &s->masks[t]->value) : NULL;
        if ((s->masks && !mask) || !(pack[j] = rwi_rnn_stepper_step(&st, steps[t - lo], mask, state, NULL))) {
            rw_error_prefix("step %d", t);
            return NULL;
        }
    }
    memcpy(pack + s->n, state, (size_t)ns * sizeof *pack);
    int n_pack = s->n + ns;
    if (s->carries_last)
        pack[n_pack++] = st.last;
    return rw_apply(sg, &pack_def, pack, n_pack, NULL);
}

static rw_status segment_shape(const rw_node *n, rw_shape *out, rw_dtype *dtype)
{
    *out = rw_shape1((int)((const segment *)n->attrs)->total);
    *dtype = RW_REAL;
    return RW_OK;
}

static void segment_forward(rw_node *n)
{
    const segment *s = n->attrs;
    memcpy(n->value.data, s->src, s->total * sizeof(rw_real));
}

/* The steps again, then their backward from this node's gradient. */
static void segment_backward(rw_node *n)
{
    const segment *s = n->attrs;
    rw_graph *sg = rwi_graph_child(n->graph);
    rw_rng rng = s->rng;
    rw_node *packed = sg ? segment_steps(sg, s, n->in, s->has_rng ? &rng : NULL, true) : NULL;
    if (!packed || packed->value.size != n->value.size || rw_backward_seeded(sg, packed, n->grad) != RW_OK) {
        rw_error_prefix("rnn '%s': recomputing steps %d..%d for backward", s->r->name, s->first,
                        s->first + s->n - 1);
        rwi_backward_fail(n->graph, rw_last_status());
    }
    if (sg)
        rw_graph_reset(sg);
}

static const rw_op_def segment_def = {
    .name = "rnn.segment", .arity = RW_VARIADIC, .min_arity = 2, .attr_size = sizeof(segment),
    .shape = segment_shape, .forward = segment_forward, .backward = segment_backward, .fills_output = true,
    .doc = "a recurrent segment's outputs and final states, its steps recomputed during backward",
};

/* ---- views into a segment's packed value ------------------------------------ */

typedef struct part {
    size_t offset;
    rw_shape shape;
} part;

static rw_status part_shape(const rw_node *n, rw_shape *out, rw_dtype *dtype)
{
    *out = ((const part *)n->attrs)->shape;
    *dtype = RW_REAL;
    return RW_OK;
}

static size_t part_offset(const rw_node *n) { return ((const part *)n->attrs)->offset; }

static void part_backward(rw_node *n)
{
    rw_real *dx = n->in[0]->grad;
    if (!dx)
        return;
    dx += part_offset(n);
    for (size_t i = 0; i < n->value.size; i++)
        dx[i] += n->grad[i];
}

static const rw_op_def part_def = {
    .name = "rnn.segment_part", .arity = 1, .attr_size = sizeof(part), .shape = part_shape,
    .view_offset = part_offset, .backward = part_backward,
    .doc = "one output or state of a recurrent segment (a view)",
};

/* ---- a direction in segments ------------------------------------------------ */

bool rwi_rnn_recomputes(const rw_run_opts *o, int T) { return o->recompute_every != 0 && o->recompute_every < T; }

rw_status rwi_rnn_direction_recomputed(const rwi_rnn_direction *dir, rw_node *input, rw_node *const *initial,
                                       rw_node **last)
{
    const rw_rnn *r = dir->r;
    rw_graph *g = dir->g;
    int ns = r->def->n_states, T = dir->T, k = dir->o->recompute_every;
    rw_rng *rng = dir->o->rng;
    if (k < 1)
        return rw_error(RW_ERR_ARG, "rnn '%s': recompute_every must be >= 1 (or 0: off), got %d", r->name, k);
    if (dir->o->keep_hidden_grads || dir->o->gate_saturation)
        return rw_error(RW_ERR_ARG, "rnn '%s': %s needs every step on the tape; it cannot be combined with "
                        "recompute_every", r->name, dir->o->keep_hidden_grads ? "keep_hidden_grads" : "gate_saturation");
    rw_node *state[RW_CELL_MAX_STATES], *in[RW_CELL_MAX_STATES + 2], *last_valid = NULL, *h_mask = NULL;
    memcpy(state, initial, (size_t)ns * sizeof *state);
    /* a variational mask is drawn where the plain runner draws it (before step 0), and shared */
    if (r->o.variational && r->o.recurrent_dropout > 0 && rw_graph_is_training(g) && rng &&
        !(h_mask = rw_dropout_mask(g, state[0]->value.shape, r->o.recurrent_dropout, rng)))
        return rw_last_status();
    for (int first = 0; first < T; first += k) {
        segment s = { .r = r, .cell = r->cells[dir->layer][dir->dir], .dir = dir->dir, .T = T, .first = first,
                      .n = T - first < k ? T - first : k, .masks = dir->masks, .h_mask = h_mask,
                      .has_rng = rng != NULL, .rng = rng ? *rng : (rw_rng){ 0 },
                      .carries_last = dir->masks != NULL, .has_last_in = last_valid != NULL };
        int n_in = 0;
        in[n_in++] = input;
        for (int j = 0; j < ns; j++)
            in[n_in++] = state[j];
        if (last_valid)
            in[n_in++] = last_valid;
        rw_graph *sg = rwi_graph_child(g);
        rw_node *packed = sg ? segment_steps(sg, &s, in, rng, false) : NULL;
        rw_node *seg = NULL;
        if (packed) {
            s.total = packed->value.size;
            s.src = packed->value.data;
            if ((seg = rw_apply(g, &segment_def, in, n_in, &s)))
                seg->needs_grad = true; /* the cell's parameters are inside */
        }
        /* the views, shaped as the packed pieces, before sg forgets them */
        size_t at = 0;
        for (int j = 0; seg && j < packed->n_in; j++) {
            part p = { at, packed->in[j]->value.shape };
            rw_node *v = rw_apply(g, &part_def, &seg, 1, &p);
            at += packed->in[j]->value.size;
            if (!v)
                seg = NULL;
            else if (j < s.n)
                dir->outs[dir->dir == 0 ? first + j : T - 1 - first - j] = v;
            else if (j < s.n + ns)
                state[j - s.n] = v;
            else
                last_valid = v;
        }
        if (sg)
            rw_graph_reset(sg);
        if (!seg) {
            rw_error_prefix("rnn '%s' layer %d", r->name, dir->layer);
            return rw_last_status();
        }
    }
    memcpy(dir->final, state, (size_t)ns * sizeof *state);
    if (!dir->masks)
        *last = dir->outs[dir->dir == 0 ? T - 1 : 0];
    else
        *last = dir->dir == 0 ? last_valid : dir->outs[0];
    return RW_OK;
}
