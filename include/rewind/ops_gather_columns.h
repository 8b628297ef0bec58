/* rewind/ops_gather_columns.h - column lookup: one-hot input times W^T
 * without the one-hot. */
#ifndef REWIND_OPS_GATHER_COLUMNS_H
#define REWIND_OPS_GATHER_COLUMNS_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* w real [G, V], ids int32 [...] -> [..., G] with y[..., :] = w[:, id], which
 * equals one_hot(ids, V) @ w^T. A negative id (padding) gives a zero row.
 * Backward adds each row of dy into column id of dw. */
RW_API rw_node *rw_gather_columns(rw_graph *g, rw_node *w, rw_node *ids);

#ifdef __cplusplus
}
#endif
#endif
