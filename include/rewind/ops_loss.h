/* rewind/ops_loss.h - losses: each returns a scalar to call rw_backward on. */
#ifndef REWIND_OPS_LOSS_H
#define REWIND_OPS_LOSS_H

#include "rewind/export.h"
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
RW_API rw_node *rw_cross_entropy(rw_graph *g, rw_node *logits, rw_node *targets);

/* Softmax cross-entropy with a real weight per row: mask has the targets'
 * shape, and the result is sum_r mask_r * ce_r / sum_r mask_r (0 when the
 * mask sums to 0), with ce_r the cross-entropy of row r. A mask of 0 marks
 * padding: that row's target is not read and may be anything (-1, say).
 * Recording fails when a mask value is negative or not finite, or a row
 * with a non-zero mask has a target outside 0 .. C-1. Only the logits get
 * a gradient. */
RW_API rw_node *rw_cross_entropy_masked(rw_graph *g, rw_node *logits, rw_node *targets, rw_node *mask);

/* Binary cross-entropy of sigmoid(logits) against real targets in [0, 1]
 * of the logits' shape (multi-label: K independent sigmoids per row), the
 * mean over all elements. Computed as max(x, 0) - x t + log1p(e^-|x|), so
 * it is finite for logits of any finite magnitude. A target outside
 * [0, 1] is an error at recording time. Only the logits get a gradient. */
RW_API rw_node *rw_bce_with_logits(rw_graph *g, rw_node *logits, rw_node *targets);

/* Mean squared error, mean over all elements of (pred - target)^2; the
 * shapes must be equal. Both inputs get a gradient. */
RW_API rw_node *rw_mse(rw_graph *g, rw_node *pred, rw_node *target);

#ifdef __cplusplus
}
#endif
#endif
