/* rewind/graph.h - the tape: define-by-run forward, reverse-walk backward.
 *
 * Every op call computes its output at once and appends a node to the graph.
 * rw_backward(g, loss) seeds d(loss)/d(loss) = 1 and walks the nodes in the
 * reverse of the order they were made, calling each op's backward, which
 * *adds* into its inputs' gradients. A node used by several consumers (a
 * weight used at every time step) therefore receives the sum of their
 * gradients: backpropagation through time is this walk over the unrolled
 * steps. rw_graph_reset frees the whole step at once.
 */
#ifndef REWIND_GRAPH_H
#define REWIND_GRAPH_H

#include "rewind/export.h"
#include <stdbool.h>
#include <stdio.h>
#include "rewind/tensor.h"
#include "rewind/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_graph rw_graph;
typedef struct rw_node rw_node;
struct rw_op_def;
struct rw_param;

/* A node of the tape. Op authors read `in`, `value`, `grad`, `attrs` and
 * `scratch`; everyone else uses the accessors below. */
struct rw_node {
    const struct rw_op_def *op;   /* NULL for a leaf */
    rw_node **in;                 /* the op's inputs */
    int n_in;
    rw_tensor value;              /* the output, computed when the node is made */
    rw_real *grad;                /* d(loss)/d(value), same size; NULL when no gradient reaches it */
    bool needs_grad;              /* a gradient can flow back from here to a variable or parameter */
    const void *attrs;            /* the op's attribute struct (a copy owned by the graph) */
    void *scratch;                /* bytes the op asked for to save between forward and backward */
    struct rw_param *param;       /* for a parameter leaf: the parameter */
    const char *label;            /* optional name for printing */
    bool keep_grad;               /* set by a backward whose deferred work reads this node's
                                     gradient later (see rw_backward_defer) */
    rw_node *prev;                /* the node made just before (the tape is this list) */
    rw_graph *graph;
    int id;                       /* position on the tape, from 0 */
    /* Memory bookkeeping of the tape (op authors ignore these): */
    int pins;                     /* recorded readers of this value after its forward:
                                     backwards that read it, views onto it */
    bool released;                /* no new op may take this node as an input; its storage
                                     is reused once pins is 0 (value.data becomes NULL) */
};

RW_API rw_graph *rw_graph_new(void);
RW_API void rw_graph_free(rw_graph *g);
/* Forgets every node and frees the step's memory in O(1); keeps the arena. */
RW_API void rw_graph_reset(rw_graph *g);

/* Training mode (the default) or evaluation mode; ops such as dropout
 * consult it. Survives rw_graph_reset. */
RW_API void rw_graph_set_training(rw_graph *g, bool training);
RW_API bool rw_graph_is_training(const rw_graph *g);

/* Data-parallel training: this graph computes the columns [first, first +
 * count) of a batch of `total` columns (examples or streams) that other
 * processes share. Random masks follow it: rw_dropout_mask draws a mask
 * whose second-to-last dimension is `count` as those rows of the mask of
 * the whole batch, so that K processes draw together exactly the masks one
 * process with the whole batch would draw, and every generator advances
 * alike on all of them. rw_train sets it from its source's `shard`
 * callback; a loss callback may set it itself. (0, 0, 0) clears it (the
 * default: the graph holds the whole batch). Survives rw_graph_reset.
 * RW_ERR_ARG when the columns do not fit in the batch.
 *
 *     rw_graph_set_batch_shard(g, 4, 4, 8);   // the second half of a batch of 8
 */
RW_API rw_status rw_graph_set_batch_shard(rw_graph *g, int first, int count, int total);
/* The shard set by rw_graph_set_batch_shard: false (and zeros) when none. */
RW_API bool rw_graph_batch_shard(const rw_graph *g, int *first, int *count, int *total);

/* Memory reuse within a step (the default): the runner of recurrent layers
 * releases each cell step's intermediates, and the values among them that
 * no backward reads (a gate's pre-activation, its slices, products whose
 * backward reads only their inputs) give their storage to later values and
 * gradients of the same size. Results are bit-identical either way; off
 * keeps every value of the step readable (e.g. to inspect a custom cell's
 * intermediates). Survives rw_graph_reset.
 *
 *     rw_graph *g = rw_graph_new();
 *     rw_graph_set_recycling(g, false);    // keep every intermediate
 */
RW_API void rw_graph_set_recycling(rw_graph *g, bool on);
RW_API bool rw_graph_recycling(const rw_graph *g);

RW_API rw_arena *rw_graph_arena(rw_graph *g);
RW_API int rw_graph_node_count(const rw_graph *g);
/* The most bytes the graph's arena has held at once since it was made,
 * plus the same for the graph it uses to recompute steps during backward
 * (rw_run_opts.recompute_every): an upper bound of the tape's peak memory. */
RW_API size_t rw_graph_high_water(const rw_graph *g);

/* Leaves. rw_const and rw_var *view* the tensor's storage (no copy): the
 * tensor must outlive the graph step. rw_const gets no gradient; rw_var gets
 * one, readable with rw_node_grad after rw_backward. int32 tensors can only
 * be constants. rw_const_copy copies the tensor into the graph's arena. */
RW_API rw_node *rw_const(rw_graph *g, const rw_tensor *t);
RW_API rw_node *rw_var(rw_graph *g, const rw_tensor *t);
RW_API rw_node *rw_const_copy(rw_graph *g, const rw_tensor *t);
/* A zero-filled leaf in the arena, for the caller to fill (e.g. a batch). */
RW_API rw_node *rw_leaf_new(rw_graph *g, rw_dtype dtype, rw_shape shape, bool needs_grad);
/* A real scalar constant. */
RW_API rw_node *rw_scalar_const(rw_graph *g, rw_real v);

/* Backpropagation from a scalar loss (one element): every variable and
 * parameter the loss depends on gets its gradient; parameters' gradients
 * are *added* to (call rw_params_zero_grad first). Once per step.
 * Intermediate nodes' gradient buffers are recycled as soon as their own
 * backward has run (a gradient is dead once passed on), so after
 * rw_backward only leaves (rw_var, parameters) hold gradients. */
RW_API rw_status rw_backward(rw_graph *g, rw_node *loss);
/* Backpropagation from any node with a given output gradient (size of
 * out's value); used by the gradient checker and vector-Jacobian products. */
RW_API rw_status rw_backward_seeded(rw_graph *g, rw_node *out, const rw_real *seed);

/* Accessors. rw_scalar returns element 0 of the node's value. */
RW_API const rw_tensor *rw_node_value(const rw_node *n);
RW_API const rw_real *rw_node_grad(const rw_node *n);
RW_API rw_real rw_scalar(const rw_node *n);
RW_API rw_shape rw_node_shape(const rw_node *n);
RW_API rw_node *rw_node_label(rw_node *n, const char *label); /* returns n */

/* Arena memory for an op's temporary use inside forward or backward. */
RW_API void *rw_node_temp(rw_node *n, size_t bytes);

/* One line per node: id, op, label, shape, inputs. For debugging. */
RW_API void rw_graph_print(FILE *f, const rw_graph *g);

#ifdef __cplusplus
}
#endif
#endif
