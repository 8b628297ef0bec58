/* rewind/rnn.h - the sequence runner: a cell unrolled over a batch of
 * sequences, stacked, bidirectional, with padding, dropout and carried state.
 *
 * Inputs are time-major: xs is [T, B, X] real, or [T, B] int32 token ids
 * (the first layer then looks its input projection up by id, which equals a
 * one-hot input times W^T without building the one-hot). Every step is
 * recorded on the tape; rw_backward on a loss over the outputs is BPTT.
 *
 *     rw_rnn *lstm = rw_rnn_new(P, &(rw_rnn_spec){ .name = "lstm", .cell = &rw_lstm_cell,
 *                                                 .vocab = V, .hidden = 256, .layers = 2 }, &rng);
 *     rw_carry *carry = rw_carry_new(lstm, 32);
 *     rw_seq s = rw_rnn_run(g, lstm, ids, &(rw_run_opts){ .carry = carry });
 *     // ... a loss over s.outputs, rw_backward ...
 *     rw_carry_keep(carry, &s);   // values kept for the next window, gradient cut
 */
#ifndef REWIND_RNN_H
#define REWIND_RNN_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/cell.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RW_RNN_MAX_LAYERS 8

typedef enum rw_initial_state {
    RW_STATE_ZERO = 0,    /* zeros (or the carry's values when a carry is given) */
    RW_STATE_LEARNED,     /* a parameter "<name>.l<k>.<dir>.s<i>" per layer, direction and state */
} rw_initial_state;

/* How a bidirectional network combines its two directions' outputs. */
typedef enum rw_dir_merge {
    RW_DIRS_CONCAT = 0,       /* [fw; bw], width 2W */
    RW_DIRS_SUM,              /* fw + bw, width W */
    RW_DIRS_MEAN,             /* (fw + bw) / 2, width W */
} rw_dir_merge;

/* What to build. Zero is the default for every field but name, the cell,
 * hidden and the input width (input_size, or vocab for token ids):
 *
 *     rw_lstm_opts peep = RW_LSTM_DEFAULTS;
 *     peep.peephole = true;
 *     rw_rnn_spec spec = { .name = "enc", .cell = &rw_lstm_cell, .cell_opts = &peep,
 *                          .input_size = 32, .hidden = 64, .bidirectional = true };
 *     rw_rnn *enc = rw_rnn_new(P, &spec, &rng);
 *
 *     // a registered cell by name, with its default options:
 *     rw_rnn *dec = rw_rnn_new(P, &(rw_rnn_spec){ .name = "dec", .cell_name = "gru",
 *                                                 .input_size = 32, .hidden = 64 }, &rng);
 */
typedef struct rw_rnn_spec {
    const char *name;         /* parameters are "<name>.l<k>[.rev].<param>" */
    const rw_cell_def *cell;  /* the cell; or NULL and ... */
    const char *cell_name;    /* ... a cell of the registry by name (rw_cell_find) */
    const void *cell_opts;    /* the cell's options struct (cell->opts_size bytes); NULL: its defaults */
    int input_size;           /* X: width of a real input [T, B, X] */
    int vocab;                /* or > 0: the input is int32 token ids in [0, vocab) */
    int hidden;               /* H: each cell's hidden size */
    int layers;               /* stacked layers; 0 means 1 */
    bool bidirectional;       /* forward and backward runs, outputs merged as `merge` says */
    rw_dir_merge merge;       /* concat (default), sum or mean; for outputs, last and the next layer's input */
    double dropout;           /* between stacked layers (on each layer's input but the first) */
    double recurrent_dropout; /* on h_{t-1} as each cell reads it (state 0; the carried state is not dropped) */
    bool variational;         /* one dropout mask per sequence, reused at every step (both dropouts above) */
    bool residual;            /* layer input added to its output when the widths agree */
    /* With residual: every layer, the first included, adds its input to its
     * output, through a learned matrix "<name>.l<k>.res_proj" [W_out, W_in]
     * (xavier-uniform) where the widths differ (F29; token ids: a column
     * lookup of that matrix). */
    bool residual_projection;
    /* Skip connections to the read-out (F28): rw_seq.outputs (and pooled) is
     * the input (one-hot for token ids) concatenated with every layer's
     * outputs, [T, B, X + W_1 + ... + W_L], as rw_rnn_output_size says. The
     * input part is as given at padded steps. Needs RW_OUTPUT_ALL; `last`
     * stays the top layer's. */
    bool skip_outputs;
    rw_initial_state initial_state;
} rw_rnn_spec;

typedef struct rw_rnn rw_rnn;

/* Builds the network `spec` describes (the spec is copied; the cell record
 * must outlive the network). NULL and rw_last_error() if the spec is
 * incomplete or inconsistent, or a cell cannot be made. */
RW_API rw_rnn *rw_rnn_new(rw_params *P, const rw_rnn_spec *spec, rw_rng *rng);
RW_API void rw_rnn_free(rw_rnn *rnn);

RW_API int rw_rnn_layers(const rw_rnn *rnn);
RW_API int rw_rnn_directions(const rw_rnn *rnn);
RW_API int rw_rnn_output_size(const rw_rnn *rnn);          /* top layer's output width times directions
                                                         (concat), or the skip width (skip_outputs) */
RW_API rw_cell *rw_rnn_cell(const rw_rnn *rnn, int layer, int direction);

/* State carried between windows of a long stream (truncated BPTT): values
 * only, so the next window's gradient stops here. */
typedef struct rw_carry rw_carry;
RW_API rw_carry *rw_carry_new(const rw_rnn *rnn, int batch);
RW_API void rw_carry_free(rw_carry *carry);
RW_API void rw_carry_zero(rw_carry *carry);                 /* e.g. when the streams restart */

typedef enum rw_output_mode {
    RW_OUTPUT_ALL = 0,        /* outputs [T, B, W] (many-to-many) */
    RW_OUTPUT_LAST,           /* only `last` (many-to-one): skip stacking the top layer's outputs */
} rw_output_mode;

/* A read-out pooled over each sequence's valid steps (F22), in rw_seq.pooled. */
typedef enum rw_pool {
    RW_POOL_NONE = 0,
    RW_POOL_MEAN,             /* 1/len_b sum_t h_t (a sequence of length 0 gives 0) */
    RW_POOL_MAX,              /* elementwise max over the valid steps (0 for length 0) */
    RW_POOL_SUM,              /* sum_t h_t */
} rw_pool;

/* Gate saturation counts of one layer and direction (rewind/diagnostics.h). */
typedef struct rw_gate_saturation rw_gate_saturation;

typedef struct rw_run_opts {
    rw_node *lengths;         /* int32 [B]: valid steps per sequence; NULL = all T */
    rw_carry *carry;          /* initial states from here (and rw_carry_keep afterwards) */
    rw_node *const *initial;  /* or given initial states: [layers * dirs * n_states] nodes [B, size] */
    rw_rng *rng;              /* for dropout; required when dropout > 0 in training mode */
    rw_output_mode output;
    rw_pool pool;             /* also a pooled read-out of the top outputs (needs RW_OUTPUT_ALL) */
    /* Penalties on the top layer's outputs h_t (every direction), summed into
     * s.penalty. Each sequence b counts only its valid steps t < len_b, and
     * the batch's penalty is the mean over its B sequences, so a padded
     * batch's penalty is the mean of each sequence's penalty alone. */
    double hidden_l2;         /* alpha: alpha/B sum_b sum_t ||h_t||^2 (activation regularization) */
    double hidden_diff_l2;    /* beta: beta/B sum_b sum_{t>=1} ||h_t - h_{t-1}||^2 (temporal activation reg.) */
    double norm_stabilizer;   /* beta: beta/B sum_b 1/len_b sum_{t>=1} (||h_t|| - ||h_{t-1}||)^2 */
    /* Diagnostics: keep dL/dh_t of every layer, direction and step through
     * rw_backward (intermediate gradients are otherwise recycled); read them
     * with rw_rnn_grad_norms (rewind/diagnostics.h). */
    bool keep_hidden_grads;
    /* Diagnostics: when set, [layers * dirs] counts (index layer * dirs +
     * dir) to which the run adds how often each gate of the built-in LSTM
     * and GRU saturated, over the valid steps (rewind/diagnostics.h; zero
     * them before the first run). Not with recompute_every. */
    rw_gate_saturation *gate_saturation;
    /* Gradient checkpointing over time: 0 (off) or k >= 1. The steps run in
     * segments of k; only each segment's boundary states and its outputs stay
     * on the tape, and backward records each segment's steps again from its
     * boundary before backpropagating through them. BPTT over T steps then
     * holds about T/k boundaries and one segment's k steps instead of T steps
     * (k near sqrt(T) is the least), for one more forward pass in time. The
     * gradients are those of the plain run (up to rounding inside GEMMs);
     * dropout masks replay exactly. Not with keep_hidden_grads. No effect
     * when k >= T. */
    int recompute_every;
} rw_run_opts;

typedef struct rw_seq {
    rw_node *outputs;         /* [T, B, W]: top layer, directions merged; zero at padded steps */
    rw_node *pooled;          /* [B, W]: the pooled read-out when opts.pool asks for one, else NULL */
    rw_node *last;            /* [B, W]: each sequence's output at its last valid step (backward
                                 direction: at step 0) */
    rw_node **final;          /* [layers * dirs * n_states] final states, each [B, size] */
    int n_final;
    rw_node *penalty;         /* the penalties of rw_run_opts, when asked for (and T >= 2 for the
                                 differences), else NULL: add it to the loss */
    int steps, batch;
    rw_node **hidden;         /* keep_hidden_grads: each cell's output h_t before padding masks, at
                                 [(layer * dirs + dir) * steps + t]; else NULL */
} rw_seq;

/* Unrolls the network over xs. On error every node in the result is NULL
 * (check s.last or s.outputs) and rw_last_error() says why. */
RW_API rw_seq rw_rnn_run(rw_graph *g, const rw_rnn *rnn, rw_node *xs, const rw_run_opts *opts);

/* Copies src's values into dst (carries of the same network and batch),
 * e.g. to run several passes from one carried state. */
RW_API rw_status rw_carry_copy(rw_carry *dst, const rw_carry *src);
/* Copies the carried states of sequences [src_first, src_first + count) of
 * src into sequences [dst_first, ...) of dst: e.g. a batch's share for a
 * data-parallel replica, and back. The carries may belong to different
 * networks of the same shape (a replica's copy of the network: a run
 * accepts such a carry too). */
RW_API rw_status rw_carry_copy_sequences(rw_carry *dst, int dst_first, const rw_carry *src, int src_first,
                                         int count);
/* Copies the final states' values into the carry. */
RW_API rw_status rw_carry_keep(rw_carry *carry, const rw_seq *s);

/* One step of a unidirectional network, for generation: x [B, X] (or int32
 * ids [B]); state[] holds layers * n_states nodes, updated in place
 * (initialize with rw_rnn_zero_state). Returns the top layer's output. */
RW_API rw_node *rw_rnn_step(rw_graph *g, const rw_rnn *rnn, rw_node *x, rw_node **state);
RW_API rw_status rw_rnn_zero_state(rw_graph *g, const rw_rnn *rnn, int batch, rw_node **state);
RW_API int rw_rnn_state_count(const rw_rnn *rnn);

/* Reordering states by row, for beam search (row i becomes old row
 * index[i]; n may differ from the batch, e.g. one primed row grown to K).
 * On the tape: each state node is replaced by an rw_gather of its rows, so
 * gradients flow back to the rows chosen. */
RW_API rw_status rw_rnn_state_gather(rw_graph *g, const rw_rnn *rnn, rw_node **state, const int32_t *index, int n);

/* A carry as the value store of a stepping network between graph resets
 * (unidirectional networks; rw_rnn_step's state order): */
RW_API int rw_carry_batch(const rw_carry *carry);
/* copies the step states' values in (their batch must be the carry's) */
RW_API rw_status rw_carry_keep_states(rw_carry *carry, rw_node *const *state);
/* puts the carried values on g as constants, ready for rw_rnn_step */
RW_API rw_status rw_carry_load_states(rw_graph *g, const rw_carry *carry, rw_node **state);
/* reorders the carried rows (the carry's batch becomes n) */
RW_API rw_status rw_carry_gather(rw_carry *carry, const int32_t *index, int n);

/* One-to-many generation: from input x0 [B, X] runs `steps` steps, feeding
 * back next = feedback(g, output, ctx) as the next input (e.g. a head and a
 * sampler). Writes the outputs to out[steps]. */
typedef rw_node *(*rw_feedback_fn)(rw_graph *g, rw_node *output, int step, void *ctx);
RW_API rw_status rw_rnn_generate(rw_graph *g, const rw_rnn *rnn, rw_node *x0, rw_node **state, int steps,
                          rw_feedback_fn feedback, void *ctx, rw_node **out);

#ifdef __cplusplus
}
#endif
#endif
