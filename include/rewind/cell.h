/* rewind/cell.h - recurrent cells as plain functions of ops.
 *
 * A cell is an rw_cell_def: it declares its parameters once, and its step
 * function composes ordinary ops to turn (x_t, states_{t-1}) into
 * (output_t, states_t). Running it T times records T copies of those ops on
 * the tape, and rw_backward is backpropagation through time; no cell has a
 * hand-written backward. The sequence runner (rewind/rnn.h) gives every cell
 * padding masks, stacking, bidirectional runs, dropout between layers,
 * truncated BPTT and generation.
 *
 *     // h_t = tanh(LN(x W^T + h U^T) + b)
 *     static rw_status ln_elman_declare(rw_cell *c, rw_rng *rng) {
 *         int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
 *         rw_init glorot = { RW_INIT_XAVIER_UNIFORM };
 *         if (!rw_cell_param(c, "W", rw_shape2(H, X), glorot, rng)) return rw_last_status();
 *         ...
 *     }
 *     static rw_node *ln_elman_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state) {
 *         rw_node *a = rw_add(g, rw_matmul_ex(g, x, rw_p(g, c, "W"), false, true),
 *                                rw_matmul_ex(g, state[0], rw_p(g, c, "U"), false, true));
 *         state[0] = rw_tanh(g, rw_add(g, rw_layer_norm(g, a, rw_p(g, c, "gain"), NULL), rw_p(g, c, "b")));
 *         return state[0];
 *     }
 *     static const rw_cell_def ln_elman = { .name = "ln_elman", .n_states = 1,
 *                                           .declare = ln_elman_declare, .step = ln_elman_step };
 */
#ifndef REWIND_CELL_H
#define REWIND_CELL_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/graph.h"
#include "rewind/param.h"
#include "rewind/init.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RW_CELL_MAX_STATES 4
#define RW_CELL_MAX_PARAMS 16

typedef struct rw_cell rw_cell;

typedef struct rw_cell_def {
    const char *name;
    int n_states;   /* 1..RW_CELL_MAX_STATES values carried from step to step */
    /* Declares the parameters with rw_cell_param; may read the sizes and the options. */
    rw_status (*declare)(rw_cell *cell, rw_rng *rng);
    /* Width of state i and of the output; NULL means the hidden size. */
    int (*state_size)(const rw_cell *cell, int i);
    int (*output_size)(const rw_cell *cell);
    /* Optional: the part of the step that depends only on the input, for all
     * steps at once ([T, B, X] -> [T, B, P], e.g. x W^T + b in one GEMM).
     * When present, step receives this projection's row for step t as x. */
    rw_node *(*project)(rw_graph *g, const rw_cell *cell, rw_node *xs);
    /* One step: x [B, X] (or [B, P] if projected); state[i] [B, state_size(i)]
     * holds the previous states on entry and must hold the new ones on
     * return. Returns the step's output [B, output_size], NULL on error. */
    rw_node *(*step)(rw_graph *g, const rw_cell *cell, rw_node *x, rw_node **state);
    /* true if project (or step) accepts int32 token ids [T, B] in place of
     * one-hot vectors; otherwise the runner builds the one-hot input. */
    bool accepts_ids;
} rw_cell_def;

/* An instance of `def` with parameters "<name>.<param>" added to P. `opts`
 * (opts_size bytes, may be NULL) is copied and passed to the callbacks via
 * rw_cell_opts. NULL and an error message if declaration fails. */
RW_API rw_cell *rw_cell_new(rw_params *P, const char *name, const rw_cell_def *def, int input_size, int hidden,
                     const void *opts, size_t opts_size, rw_rng *rng);
RW_API void rw_cell_free(rw_cell *cell);

/* For declare: a new parameter "<cell name>.<name>", initialized. */
RW_API rw_param *rw_cell_param(rw_cell *cell, const char *name, rw_shape shape, rw_init init, rw_rng *rng);
/* For step/project: the parameter `name` as a node on g (NULL + error if unknown). */
RW_API rw_node *rw_p(rw_graph *g, const rw_cell *cell, const char *name);
RW_API rw_param *rw_cell_get_param(const rw_cell *cell, const char *name);

RW_API const rw_cell_def *rw_cell_definition(const rw_cell *cell);
RW_API const char *rw_cell_name(const rw_cell *cell);
RW_API const void *rw_cell_opts(const rw_cell *cell);
RW_API int rw_cell_input_size(const rw_cell *cell);
RW_API int rw_cell_hidden(const rw_cell *cell);
RW_API int rw_cell_state_size(const rw_cell *cell, int i);
RW_API int rw_cell_output_size(const rw_cell *cell);

/* Runs one step without projection hoisting (applies project to x itself
 * when the cell has one). */
RW_API rw_node *rw_cell_step(rw_graph *g, const rw_cell *cell, rw_node *x, rw_node **state);

#ifdef __cplusplus
}
#endif
#endif
