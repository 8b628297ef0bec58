/* rewind/ops_mask.h - masks for batches of sequences of unequal lengths.
 *
 * A batch of B sequences padded to T steps carries a [T, B] mask (1 for a
 * real step, 0 for padding). At step t, a padded sequence keeps its state:
 *
 *     rw_node *mask = rw_sequence_mask(g, lengths, T);   // [T, B]
 *     rw_node *m[T];
 *     rw_unstack(g, mask, m);                            // T x [B]
 *     h = rw_where(g, m[t], h_new, h);                   // [B] selects rows of [B, H]
 */
#ifndef REWIND_OPS_MASK_H
#define REWIND_OPS_MASK_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Op "where": y = mask != 0 ? a : b. a and b are real of one shape; the
 * real mask has a's shape, or a leading part of it ([B] for [B, H],
 * [T, B] for [T, B, H]), giving one choice per row. The gradient goes to a
 * where a was chosen and to b elsewhere; the mask gets none. */
RW_API rw_node *rw_where(rw_graph *g, rw_node *mask, rw_node *a, rw_node *b);

/* Op "sequence_mask": lengths int32 [B] -> real [steps, B], 1 where
 * t < lengths[b] and 0 elsewhere. A length outside [0, steps] is an error
 * naming it and its position. Not differentiable. */
RW_API rw_node *rw_sequence_mask(rw_graph *g, rw_node *lengths, int steps);

#ifdef __cplusplus
}
#endif
#endif
