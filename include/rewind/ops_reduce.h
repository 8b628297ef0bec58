/* rewind/ops_reduce.h - reductions. */
#ifndef REWIND_OPS_REDUCE_H
#define REWIND_OPS_REDUCE_H

#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

rw_node *rw_sum(rw_graph *g, rw_node *x);    /* sum of all elements -> scalar */
rw_node *rw_mean(rw_graph *g, rw_node *x);   /* mean of all elements -> scalar */

#ifdef __cplusplus
}
#endif
#endif
