/* Internal: the dropout of an encoder-decoder (rw_seq2seq_dropout), for
 * layers/seq2seq.c. Every function is a no-op outside training mode. */
#ifndef RW_LAYERS_SEQ2SEQ_DROPOUT_H
#define RW_LAYERS_SEQ2SEQ_DROPOUT_H

#include "rewind/seq2seq.h"

/* RW_ERR_ARG naming `part` for a rate outside [0, 1), or input dropout on
 * a network that reads token ids (has_vectors false: nothing to drop). */
rw_status rwi_s2s_dropout_check(const char *model, const char *part, const rw_seq2seq_dropout *d, bool has_vectors);

/* Whether anything is dropped. */
bool rwi_s2s_dropout_any(const rw_seq2seq_dropout *d);

/* x [S, B, W] with dropout p: a fresh mask, or per_sequence one [B, W]
 * mask for every step. */
rw_node *rwi_s2s_drop_sequence(rw_graph *g, rw_node *x, double p, bool per_sequence, rw_rng *rng);

/* One decoder step with d's dropout: x [B, X] (input dropout applied by
 * the caller through rwi_s2s_drop_step), recurrent dropout on each layer's
 * h_{t-1}, dropout between stacked layers. Per-sequence masks are kept in
 * st->dropout_masks from the first step on. */
rw_node *rwi_s2s_decoder_step(rw_graph *g, const rw_rnn *dec, const rw_seq2seq_dropout *d, rw_seq2seq_state *st,
                              rw_node *x);

/* Decoder dropout site `site` (the sites of RW_SEQ2SEQ_DROPOUT_SITES) on a
 * step value x [B, W]. */
enum { RWI_S2S_DROP_INPUT = 0, RWI_S2S_DROP_OUTPUT = 1, RWI_S2S_DROP_RECURRENT = 2,
       RWI_S2S_DROP_BETWEEN = 2 + RW_RNN_MAX_LAYERS };
rw_node *rwi_s2s_drop_step(rw_graph *g, rw_seq2seq_state *st, int site, rw_node *x, double p, bool per_sequence);

#endif
