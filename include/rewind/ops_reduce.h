/* rewind/ops_reduce.h - reductions over all elements, along an axis, and norms. */
#ifndef REWIND_OPS_REDUCE_H
#define REWIND_OPS_REDUCE_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

RW_API rw_node *rw_sum(rw_graph *g, rw_node *x);    /* sum of all elements -> scalar */
RW_API rw_node *rw_mean(rw_graph *g, rw_node *x);   /* mean of all elements -> scalar */
/* The largest element -> scalar. The gradient goes to the first largest
 * element (lowest flat index on ties). */
RW_API rw_node *rw_max(rw_graph *g, rw_node *x);

/* Reductions along one axis. `axis` counts from 0, or from the end when
 * negative (-1 is the last axis); the reduced axis is dropped from the
 * output shape ([2, 3, 4] along axis 1 gives [2, 4]; a 1-D input gives a
 * scalar). An axis outside -ndim .. ndim-1 is a shape error naming the op,
 * the shape and the axis. */
RW_API rw_node *rw_sum_axis(rw_graph *g, rw_node *x, int axis);
RW_API rw_node *rw_mean_axis(rw_graph *g, rw_node *x, int axis);
/* The largest element along the axis; the gradient goes to the first
 * largest (lowest index along the axis on ties). */
RW_API rw_node *rw_max_axis(rw_graph *g, rw_node *x, int axis);

/* Op "argmax": the index of the largest value along the last axis, as
 * int32: [..., C] -> [...] (a 1-D input gives a scalar; the first of equal
 * maxima wins). It has no gradient: x receives nothing from it, and a loss
 * cannot be built on it. Use it for predictions and metrics:
 *   rw_node *pred = rw_argmax(g, logits);   // int32 [T, B] from [T, B, C] */
RW_API rw_node *rw_argmax(rw_graph *g, rw_node *x);

/* The Euclidean norm over the last axis: [..., D] -> [...] (a 1-D input
 * gives a scalar). Computed without overflow; a zero vector has norm 0 and
 * gradient 0 (never NaN). */
RW_API rw_node *rw_l2_norm(rw_graph *g, rw_node *x);

#ifdef __cplusplus
}
#endif
#endif
