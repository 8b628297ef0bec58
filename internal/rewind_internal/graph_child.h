/* Internal: a graph inside a graph, for ops whose forward or backward runs
 * a piece of tape of their own (the runner's recomputed segments,
 * layers/rnn_checkpoint.c). */
#ifndef RW_INTERNAL_GRAPH_CHILD_H
#define RW_INTERNAL_GRAPH_CHILD_H

#include "rewind/graph.h"

/* The graph g owns for such work: made on first use, reset and given g's
 * training mode on every call, freed with g (its arena is kept between
 * uses, so a warm step allocates nothing). One at a time: what a caller
 * needs from it must be copied out before the next call. NULL when out of
 * memory. */
rw_graph *rwi_graph_child(rw_graph *g);

/* For an op's backward that cannot do its work (e.g. out of memory while
 * recomputing): the rest of the pass runs, and rw_backward then returns
 * `status` (the message stays in rw_last_error). */
void rwi_backward_fail(rw_graph *g, rw_status status);

#endif
