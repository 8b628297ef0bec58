/* Internal: the stacked/bidirectional network struct, shared by the runner,
 * the carry and the step/generation API. */
#ifndef RW_LAYERS_RNN_INTERNAL_H
#define RW_LAYERS_RNN_INTERNAL_H

#include "rewind/rnn.h"

struct rw_rnn {
    char *name;
    const rw_cell_def *def;
    rw_rnn_spec o;           /* as given, resolved; name points to `name`, cell_opts is NULL */
    int layers, dirs, input_size, hidden;
    rw_cell *cells[RW_RNN_MAX_LAYERS][2];
    /* learned initial states, [layer][dir][state] (NULL unless RW_STATE_LEARNED) */
    rw_param *init[RW_RNN_MAX_LAYERS][2][RW_CELL_MAX_STATES];
    /* rnn_skip.c: residual projections (NULL where widths agree or none is
     * asked for) and the width of the skip outputs */
    rw_param *res_proj[RW_RNN_MAX_LAYERS];
    int skip_width;
};

/* rnn_skip.c: after layer l is made (its input width in_w): the residual
 * projection it needs and the skip width so far. */
rw_status rwi_rnn_skip_setup(rw_params *P, rw_rnn *r, int l, int in_w, rw_rng *rng);
/* Layer l's output y with its input added as the residual options say (y
 * itself when they do not apply). */
rw_node *rwi_rnn_residual(rw_graph *g, const rw_rnn *r, int l, rw_node *input, rw_node *y);
/* The skip outputs: xs (ids one-hot) and the n layer outputs ([T, B, W] or,
 * stepping, [B, W]) concatenated along the last axis. */
rw_node *rwi_rnn_skip_concat(rw_graph *g, const rw_rnn *r, rw_node *xs, rw_node *const *layer_out, int n);

struct rw_carry {
    const rw_rnn *rnn;
    int batch, n;
    rw_tensor **t;   /* [layers * dirs * n_states], each [batch, size] */
};

/* True when carry c (made for its own network) fits r: the same network,
 * or one of the same shape, such as a data-parallel replica's copy. */
bool rwi_carry_fits(const rw_carry *c, const rw_rnn *r);

/* Index of (layer, dir, state) in final[] and in a carry. */
static inline int rw_rnn_state_index(const rw_rnn *r, int layer, int dir, int state)
{
    return (layer * r->dirs + dir) * r->def->n_states + state;
}

/* One step of one direction as the runner takes it (rnn_stepper.c), on
 * whichever graph runs it: the runner's, or a recomputed segment's. */
typedef struct rwi_rnn_stepper {
    rw_graph *g;
    const rw_rnn *r;
    const rw_cell *cell;
    rw_rng *rng;          /* recurrent dropout's masks */
    rw_node *h_mask;      /* variational recurrent dropout: the sequence's mask (drawn on first use) */
    rw_node *zero_out;    /* zeros [B, W] for padded steps (made on first use) */
    rw_node *last;        /* with padding masks: each sequence's output at its last valid step so far */
    struct rwi_gate_probe *probe; /* gate saturation: told each step's padding mask (NULL: not counting) */
} rwi_rnn_stepper;

/* Recurrent dropout on h_{t-1}, the cell's step on x (its projected row),
 * and the padding mask (real [B], or NULL): a padded step keeps the state,
 * outputs zeros and leaves st->last alone. state[] is updated in place.
 * Returns the output the layer sees; *raw (may be NULL) gets the cell's own
 * output. NULL on error. */
rw_node *rwi_rnn_stepper_step(rwi_rnn_stepper *st, rw_node *x, rw_node *mask, rw_node **state, rw_node **raw);

/* One direction of one layer, for the checkpointed runner (rnn_checkpoint.c). */
typedef struct rwi_rnn_direction {
    rw_graph *g;
    const rw_rnn *r;
    const rw_run_opts *o;
    int layer, dir, T, B;
    rw_node **masks;      /* [T] real [B], or NULL without lengths */
    rw_node **outs;       /* [T]: filled with the direction's output at each step */
    rw_node **final;      /* [n_states]: filled with the final states */
} rwi_rnn_direction;

/* true when the run asks for recomputation and T is long enough for it to
 * matter (recompute_every < T). */
bool rwi_rnn_recomputes(const rw_run_opts *o, int T);

/* Runs the direction in segments of o->recompute_every steps from the
 * initial states: only each segment's boundary states and its outputs stay
 * on dir->g; the steps between are recomputed during backward. *last as
 * the plain runner gives it. */
rw_status rwi_rnn_direction_recomputed(const rwi_rnn_direction *dir, rw_node *input, rw_node *const *initial,
                                       rw_node **last);

#endif
