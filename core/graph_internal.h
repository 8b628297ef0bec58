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
    /* Recycled buffers (gradients used up, values of released nodes), one
     * free list per byte size (core/recycle.c). */
    struct pool_bucket {
        size_t bytes;
        void *head;          /* the first word of a free buffer links to the next */
    } buckets[32];
    int n_buckets;
    bool recycle;         /* released values give their storage back (rw_graph_set_recycling) */
    rw_graph *child;      /* rwi_graph_child's graph, made on first use */
    rw_status backward_status; /* an op's backward could not do its work (rwi_backward_fail) */
    /* rw_graph_set_batch_shard: columns [shard_first, + shard_count) of a
     * batch of shard_total (shard_count 0: not a shard) */
    int shard_first, shard_count, shard_total;
    struct graph_memo {   /* rewind_internal/graph_memo.h; forgotten at reset */
        const void *key;
        int kind;
        void *value;
    } memo[64];
    int n_memo;
};

/* A fresh node on the tape (appended), value unset. NULL on allocation failure. */
rw_node *rwi_graph_push(rw_graph *g);

/* `bytes` of storage for a value or gradient of this step: a recycled buffer
 * of that size, or new from the arena; zero-filled when `zero`. NULL (with
 * an error) when out of memory. */
void *rwi_graph_buffer(rw_graph *g, size_t bytes, bool zero);
/* Gives a buffer from rwi_graph_buffer back for reuse within this step. */
void rwi_graph_give_back(rw_graph *g, void *p, size_t bytes);
/* Counts the reads of values that node n (just recorded) brings: the inputs
 * and the own value its backward reads (when it can run), and the input a
 * view looks into. */
void rwi_graph_pin_reads(rw_node *n);

#endif
