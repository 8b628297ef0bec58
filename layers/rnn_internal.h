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

/* Index of (layer, dir, state) in final[] and in a carry. */
static inline int rw_rnn_state_index(const rw_rnn *r, int layer, int dir, int state)
{
    return (layer * r->dirs + dir) * r->def->n_states + state;
}

#endif
