/* rewind/ops_shape.h - ops that move data: reshape, transpose, swap axes,
 * concatenate, slice, split, stack, unstack, and embedding lookup (gather).
 *
 * Axes may be negative and then count from the end (-1 is the last axis).
 * The data-moving ops (all but gather) work on real and int32 tensors alike;
 * an int32 result carries no gradient. Backward adds the output gradient
 * back into the positions each element came from. Every failure (bad axis,
 * index or shape) returns NULL or a status, with a message naming the op,
 * the input shapes and the offending axis or index.
 *
 * In a recurrent network, per time step:
 *
 *     rw_node *gates[4];                             // fused [B, 4H] -> 4 x [B, H]
 *     rw_split(g, pre, -1, 4, gates);
 *     rw_node *steps[T];                             // [T, B, X] -> T x [B, X]
 *     rw_unstack(g, xs, steps);
 *     rw_node *hs = rw_stack(g, states, T);          // T x [B, H] -> [T, B, H]
 */
#ifndef REWIND_OPS_SHAPE_H
#define REWIND_OPS_SHAPE_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Op "reshape": x's elements, in row-major order, with shape `shape`; the
 * element counts must match. The target shape is kept in the attributes
 * d0..d3 and ndim (settable by name). */
RW_API rw_node *rw_reshape(rw_graph *g, rw_node *x, rw_shape shape);

/* Op "transpose": the transpose of a matrix: [R, C] -> [C, R]. */
RW_API rw_node *rw_transpose(rw_graph *g, rw_node *x);

/* Op "swap_axes": x with axes axis_a and axis_b exchanged, any rank
 * ([T, B, X] with 0, 1 -> [B, T, X]). Equal axes give a copy of x. */
RW_API rw_node *rw_swap_axes(rw_graph *g, rw_node *x, int axis_a, int axis_b);

/* Op "concat": the n >= 1 inputs joined along `axis`; all their other
 * dimensions (and their dtypes) must be equal. */
RW_API rw_node *rw_concat(rw_graph *g, rw_node *const *xs, int n, int axis);

/* Op "slice": indices [start, start + len) of x along `axis`;
 * 0 <= start, 1 <= len, start + len <= the axis' size. */
RW_API rw_node *rw_slice(rw_graph *g, rw_node *x, int axis, int start, int len);

/* Splits x along `axis` into `parts` equal slices, written to
 * out[0..parts-1] (one "slice" node each). Fails with RW_ERR_SHAPE if the
 * axis' size is not divisible by `parts`; on any failure every out[i] is
 * NULL. A NULL x fails keeping the earlier message. */
RW_API rw_status rw_split(rw_graph *g, rw_node *x, int axis, int parts, rw_node **out);

/* Op "stack": n >= 1 tensors of one shape X (and dtype) -> [n, X]; the
 * result may have at most 4 dimensions. The inverse of rw_unstack. */
RW_API rw_node *rw_stack(rw_graph *g, rw_node *const *xs, int n);

/* Op "index0": x[index] along the first axis, [T, X] -> X, for
 * 0 <= index < T (a 1-D x gives a scalar). */
RW_API rw_node *rw_index0(rw_graph *g, rw_node *x, int index);

/* Splits x [T, X] into its T steps of shape X, written to out[0..T-1]
 * (one "index0" node each); out must have room for T nodes. On failure
 * every out[t] is NULL, except when x itself is NULL (T is unknown): then
 * nothing is written and the earlier message is kept. */
RW_API rw_status rw_unstack(rw_graph *g, rw_node *x, rw_node **out);

/* Op "gather" (embedding lookup): table real [V, E], ids int32 of any
 * shape S with at most 3 dimensions -> [S, E], row ids[k] of the table for
 * each k. The padding id -1 (RW_PAD, what rw_batcher writes past each
 * sequence's end) gives a zero row and passes no gradient; any other id
 * outside [0, V) is an error when the op is recorded, naming the id and its
 * position. Backward adds each output row's gradient into
 * the table row it came from (a repeated id receives the sum); ids get no
 * gradient. */
RW_API rw_node *rw_gather(rw_graph *g, rw_node *table, rw_node *ids);

#ifdef __cplusplus
}
#endif
#endif
