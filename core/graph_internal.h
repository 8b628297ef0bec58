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
    /* Recycled gradient buffers, one free list per byte size. */
    struct grad_bucket {
        size_t bytes;
        void *head;          /* the first word of a free buffer links to the next */
    } buckets[16];
    int n_buckets;
    rw_graph *child;      /* rwi_graph_child's graph, made on first use */
    rw_status backward_status; /* an op's backward could not do its work (rwi_backward_fail) */
};

/* A fresh node on the tape (appended), value unset. NULL on allocation failure. */
rw_node *rwi_graph_push(rw_graph *g);

#endif
