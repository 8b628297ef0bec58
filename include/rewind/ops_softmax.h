/* rewind/ops_softmax.h - softmax and log-softmax over the last axis.
 *
 * Both subtract each row's maximum before exponentiating, so they stay
 * finite and accurate for logits of any finite magnitude (1e4 included).
 * For a classification loss prefer rw_cross_entropy (rewind/ops_loss.h),
 * which fuses log-softmax with the loss.
 */
#ifndef REWIND_OPS_SOFTMAX_H
#define REWIND_OPS_SOFTMAX_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = e^x / sum(e^x) over the last axis of x [..., C]; same shape.
 * A scalar input (no last axis) is a shape error. */
RW_API rw_node *rw_softmax(rw_graph *g, rw_node *x);
/* y = x - log(sum(e^x)) over the last axis of x [..., C]; same shape. */
RW_API rw_node *rw_log_softmax(rw_graph *g, rw_node *x);

#ifdef __cplusplus
}
#endif
#endif
