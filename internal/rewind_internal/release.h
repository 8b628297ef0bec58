/* Internal: telling the tape which nodes their maker is done with, so the
 * values no backward reads give their storage back for reuse during the
 * step (core/recycle.c). A layer releases the intermediates of a cell step
 * (everything but the step's output and new states) and the inputs it made
 * for a run once the run has read them.
 *
 * Releasing is a promise: no new op takes the node as an input (rw_apply
 * refuses one, naming it). The value stays readable while a recorded
 * backward reads it or a view looks into it; otherwise its storage is
 * reused and value.data becomes NULL. Leaves are never released (their
 * storage belongs to the caller or lives as long as the step). Nothing
 * happens when the graph's recycling is off (rw_graph_set_recycling). */
#ifndef RW_INTERNAL_RELEASE_H
#define RW_INTERNAL_RELEASE_H

#include "rewind/graph.h"

void rwi_node_release(rw_node *n);

/* The newest node of the tape (NULL when empty): a mark for
 * rwi_graph_release_since. */
rw_node *rwi_graph_last(rw_graph *g);

/* Releases every node made after `mark` except the n_keep nodes in keep. */
void rwi_graph_release_since(rw_graph *g, const rw_node *mark, rw_node *const *keep, int n_keep);
/* Releases n unless it is one of the n_keep nodes in keep. */
void rwi_node_release_except(rw_node *n, rw_node *const *keep, int n_keep);

#endif
