/* Internal to layers/: merging directions and pooled read-outs (readout.c). */
#ifndef RW_LAYERS_READOUT_H
#define RW_LAYERS_READOUT_H

#include "rewind/rnn.h"

/* The two directions' [.., W] nodes merged as `merge` says. */
rw_node *rwi_rnn_merge_dirs(rw_graph *g, rw_dir_merge merge, rw_node *fw, rw_node *bw);
/* outputs [T, B, W] (zero at padded steps) pooled over each sequence's valid
 * steps (lengths int32 [B] or NULL) to [B, W]. */
rw_node *rwi_rnn_pool(rw_graph *g, rw_pool pool, rw_node *outputs, const rw_node *lengths);

#endif
