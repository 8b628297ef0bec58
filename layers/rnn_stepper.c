/* One step of the sequence runner: recurrent dropout, the cell, the padding
 * mask. Shared by the plain runner and the recomputed segments, so both
 * record the same ops and draw the same random numbers. */
#include <string.h>
#include "rnn_internal.h"
#include "rnn_regularize.h"
#include "rewind_internal/gate_probe.h"
#include "rewind/ops_mask.h"
#include "rewind_internal/release.h"

rw_node *rwi_rnn_stepper_step(rwi_rnn_stepper *st, rw_node *x, rw_node *mask, rw_node **state, rw_node **raw)
{
    rw_graph *g = st->g;
    int ns = st->r->def->n_states;
    rw_node *prev[RW_CELL_MAX_STATES];
    memcpy(prev, state, (size_t)ns * sizeof *prev);
    if (!(state[0] = rwi_rnn_drop_recurrent(g, &st->r->o, st->rng, state[0], &st->h_mask)))
        return NULL;
    rw_node *mark = rwi_graph_last(g);
    if (st->probe)
        st->probe->mask = mask;
    rw_node *out = st->r->def->step(g, st->cell, x, state);
    if (raw)
        *raw = out;
    if (!out)
        return NULL;
    /* the step's intermediates: their storage is reused once nothing reads it */
    rw_node *keep[RW_CELL_MAX_STATES + 1];
    memcpy(keep, state, (size_t)ns * sizeof *keep);
    keep[ns] = out;
    rwi_graph_release_since(g, mark, keep, ns + 1);
    if (!mask)
        return out;
    /* padded steps change neither the state nor the output */
    if (!st->zero_out && !(st->zero_out = rw_leaf_new(g, RW_REAL, out->value.shape, false)))
        return NULL;
    for (int k = 0; k < ns; k++)
        if (!(state[k] = rw_where(g, mask, state[k], prev[k])))
            return NULL;
    if (!(st->last = rw_where(g, mask, out, st->last ? st->last : st->zero_out)))
        return NULL;
    return rw_where(g, mask, out, st->zero_out);
}
