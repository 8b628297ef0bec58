/* rewind/ops_loss.h - losses. */
#ifndef REWIND_OPS_LOSS_H
#define REWIND_OPS_LOSS_H

#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Softmax cross-entropy, fused and numerically stable (log-sum-exp with
 * the row maximum subtracted). logits: real [..., C]; targets: int32 with
 * the logits' leading shape ([N] for [N, C], [T, B] for [T, B, C]).
 * A negative target marks padding: that row adds nothing to the loss or to
 * any gradient. The result is the mean over the non-padding rows (0 when
 * there are none). A target >= C is an error at recording time. */
rw_node *rw_cross_entropy(rw_graph *g, rw_node *logits, rw_node *targets);

#ifdef __cplusplus
}
#endif
#endif
