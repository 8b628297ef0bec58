/* rewind/ops_elementwise.h - elementwise ops.
 *
 * Binary ops broadcast a smaller operand along leading dimensions: its
 * shape must equal the trailing dimensions of the other operand's shape
 * (a bias row [H] against a batch [B, H], or [B, H] against [T, B, H]).
 * Either operand may be the smaller; the output has the larger shape, and
 * the smaller operand's gradient is summed over the repeats.
 */
#ifndef REWIND_OPS_ELEMENTWISE_H
#define REWIND_OPS_ELEMENTWISE_H

#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

rw_node *rw_add(rw_graph *g, rw_node *a, rw_node *b);   /* a + b */
rw_node *rw_sub(rw_graph *g, rw_node *a, rw_node *b);   /* a - b */
rw_node *rw_mul(rw_graph *g, rw_node *a, rw_node *b);   /* a * b (elementwise) */

rw_node *rw_tanh(rw_graph *g, rw_node *x);
rw_node *rw_sigmoid(rw_graph *g, rw_node *x);           /* 1 / (1 + exp(-x)), stable */
rw_node *rw_relu(rw_graph *g, rw_node *x);              /* max(x, 0); gradient 0 at 0 */

#ifdef __cplusplus
}
#endif
#endif
