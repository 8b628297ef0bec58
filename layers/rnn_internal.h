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
};

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
