/* Internal: values an op derives once per step from data that stays fixed
 * while the step's tape lives, e.g. the row-major copy of a weight used
 * transposed at every time step (ops/matmul_weight.c). The graph forgets
 * them at rw_graph_reset; their storage is the step's arena. */
#ifndef RW_INTERNAL_GRAPH_MEMO_H
#define RW_INTERNAL_GRAPH_MEMO_H

#include <stdbool.h>
#include "rewind/graph.h"

/* What was stored under (key, kind) since the last reset, or NULL. */
void *rwi_graph_memo(const rw_graph *g, const void *key, int kind);
/* Whether a place is free for rwi_graph_memo_put (a graph has 64). */
bool rwi_graph_memo_room(const rw_graph *g);
/* Stores value under (key, kind); false when every place is taken (the
 * caller then computes without the memo). */
bool rwi_graph_memo_put(rw_graph *g, const void *key, int kind, void *value);

#endif
