/* Internal: the graph struct, shared by the tape's files. */
#ifndef RW_CORE_GRAPH_INTERNAL_H
#define RW_CORE_GRAPH_INTERNAL_H

#include "rewind/graph.h"

struct rw_graph {
    rw_arena *arena;
    rw_node *last;        /* the newest node; older ones via ->prev */
    int count;
    bool training;
    bool backward_done;   /* rw_backward ran since the last reset */
    struct rw_defer *deferred;  /* work to finish at the end of this backward pass */
};

/* A fresh node on the tape (appended), value unset. NULL on allocation failure. */
rw_node *rw_graph_push(rw_graph *g);

/* Seeds the registry with the built-in ops (defined in ops/builtin.c). */
void rw_ops_register_builtins(void);

#endif
