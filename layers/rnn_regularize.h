/* Internal to layers/: the runner's regularizers (rnn_regularize.c). */
#ifndef RW_LAYERS_RNN_REGULARIZE_H
#define RW_LAYERS_RNN_REGULARIZE_H

#include "rewind/rnn.h"

/* h_{t-1} as the cell reads it under recurrent dropout: h * mask, with
 * *mask drawn on first use (and kept when per_sequence) or drawn anew at
 * every step. h itself when the probability is 0 or g is not training.
 * NULL and an error without a generator. */
rw_node *rwi_rnn_drop_recurrent(rw_graph *g, const rw_rnn_spec *spec, rw_rng *rng, rw_node *h, rw_node **mask);

/* The hidden-state penalties of rw_run_opts over one layer's per-step
 * outputs outs[d][t] ([B, W], zero at padded steps), d < dirs; lengths is
 * int32 [B] or NULL. Each sequence contributes only its valid steps, and the
 * batch's penalty is the mean over its sequences. *penalty is NULL when
 * none is asked for (or T is too short for the ones asked). */
rw_status rwi_rnn_hidden_penalty(rw_graph *g, rw_node **const outs[2], int dirs, int T, const rw_node *lengths,
                             const rw_run_opts *o, rw_node **penalty);

#endif
