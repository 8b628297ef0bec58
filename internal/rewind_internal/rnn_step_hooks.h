/* Internal: one step of a stacked network with a hook around each layer.
 * Monte-Carlo generation (model/build/forward.c) draws the dropout between
 * stacked layers there and begins and ends each layer's cell run (a YAML
 * cell that draws its own dropout), as the sequence runner does per layer. */
#ifndef RW_INTERNAL_RNN_STEP_HOOKS_H
#define RW_INTERNAL_RNN_STEP_HOOKS_H

#include "rewind/rnn.h"

typedef struct rwi_rnn_layer_hooks {
    /* Before stacked layer `layer` steps: x is its input (for layer 0
     * after the one-hot of token ids). Returns what the layer reads (x, or
     * x with dropout), NULL with an error; when it returns a node, `after`
     * is called for this layer once its step is over, also when it fails. */
    rw_node *(*before)(void *ctx, rw_graph *g, const rw_rnn *r, int layer, rw_node *x);
    void (*after)(void *ctx, const rw_rnn *r, int layer);
    void *ctx;
} rwi_rnn_layer_hooks;

/* rw_rnn_step with hooks (NULL: rw_rnn_step). A residual connection adds
 * the layer's input as it was before `before` (as the runner adds it
 * before the between-layer dropout). */
rw_node *rwi_rnn_step_hooked(rw_graph *g, const rw_rnn *r, rw_node *x, rw_node **state,
                             const rwi_rnn_layer_hooks *h);

#endif
