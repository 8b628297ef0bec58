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
 *         rw_init glorot = rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), ortho = rw_init_of(RW_INIT_ORTHOGONAL, 0, 0),
 *                 ones = rw_init_of(RW_INIT_CONST, 1, 0), zeros = rw_init_of(RW_INIT_ZEROS, 0, 0);
 *         if (!rw_cell_param(c, "W", rw_shape2(H, X), glorot, rng) ||
 *             !rw_cell_param(c, "U", rw_shape2(H, H), ortho, rng) ||
 *             !rw_cell_param(c, "gain", rw_shape1(H), ones, rng) || !rw_cell_param(c, "b", rw_shape1(H), zeros, rng))
 *             return rw_last_status();
 *         return RW_OK;
 *     }
 *     static rw_node *ln_elman_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state) {
 *         rw_node *a = rw_add(g, rw_matmul_ex(g, x, rw_p(g, c, "W"), false, true),
 *                                rw_matmul_ex(g, state[0], rw_p(g, c, "U"), false, true));
 *         state[0] = rw_tanh(g, rw_add(g, rw_layer_norm_gain(g, a, rw_p(g, c, "gain")), rw_p(g, c, "b")));
 *         return state[0];
 *     }
 *     static const rw_cell_def ln_elman = { .name = "ln_elman", .doc = "Elman with layer norm", .n_states = 1,
 *                                           .declare = ln_elman_declare, .step = ln_elman_step };
 *
 * The examples in this header, cells.h and rnn.h are compiled by
 * tests/header_examples.sh.
 */
#ifndef REWIND_CELL_H
#define REWIND_CELL_H

#include "rewind/export.h"
#include <stdbool.h>
#include <stddef.h>
#include "rewind/graph.h"
#include "rewind/param.h"
#include "rewind/init.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RW_CELL_MAX_STATES 4
#define RW_CELL_MAX_PARAMS 16

typedef struct rw_cell rw_cell;

/* ---- described options -----------------------------------------------------
 * A cell's options are one C struct. Each field a user may set is described
 * by an rw_cell_option, so that model files (and rw_cell_option_set) set it
 * by name, values are checked against its type and range, and `rewind cells`
 * and docs/cells.md list it. The field at `offset` is a bool (BOOL), an int
 * (INT), a double (REAL), or an int holding the index of a name in `names`
 * (ENUM; an enum type of int size, such as rw_activation, fits). Its default
 * is the field's value in the cell definition's `opts_defaults`. */
typedef enum rw_option_type { RW_OPTION_BOOL, RW_OPTION_INT, RW_OPTION_REAL, RW_OPTION_ENUM } rw_option_type;

typedef struct rw_cell_option {
    const char *name;            /* the key in model files: "forget_bias" */
    rw_option_type type;
    size_t offset;               /* offsetof(the options struct, field) */
    double min, max;             /* INT and REAL: the allowed values, inclusive */
    const char *const *names;    /* ENUM: names[v] names value v; a NULL entry is a value not allowed */
    int n_names;
    const char *doc;             /* one line */
} rw_cell_option;

/* Descriptions of a field of options struct S, named as the field:
 *     typedef struct leaky_opts { double leak; } leaky_opts;
 *     static const rw_cell_option leaky_options[] = {
 *         RW_CELL_OPTION_REAL(leaky_opts, leak, 0, 1, "initial leak rate"),
 *     };
 */
#define RW_CELL_OPTION_BOOL(S, field, doc_) \
    { .name = #field, .type = RW_OPTION_BOOL, .offset = offsetof(S, field), .doc = (doc_) }
#define RW_CELL_OPTION_INT(S, field, lo, hi, doc_) \
    { .name = #field, .type = RW_OPTION_INT, .offset = offsetof(S, field), .min = (lo), .max = (hi), .doc = (doc_) }
#define RW_CELL_OPTION_REAL(S, field, lo, hi, doc_) \
    { .name = #field, .type = RW_OPTION_REAL, .offset = offsetof(S, field), .min = (lo), .max = (hi), .doc = (doc_) }
/* `names` is an array (not a pointer): its length is the number of values. */
#define RW_CELL_OPTION_ENUM(S, field, names_, doc_)                                                     \
    { .name = #field, .type = RW_OPTION_ENUM, .offset = offsetof(S, field), .names = (names_),           \
      .n_names = (int)(sizeof(names_) / sizeof((names_)[0])), .doc = (doc_) }

typedef struct rw_cell_def {
    const char *name;  /* unique in the registry; model files use it as a layer type */
    const char *doc;   /* one line: what the cell computes */
    int n_states;      /* 1..RW_CELL_MAX_STATES values carried from step to step */
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
    /* The options: sizeof the struct (0: none), its defaults (NULL: all
     * zero) and its described fields. Fields not described can still be set
     * from C. */
    size_t opts_size;
    const void *opts_defaults;
    const rw_cell_option *options;
    int n_options;
    /* Optional: rejects a combination of options that no single range can
     * (e.g. coupled gates without a forget gate). Returns rw_error(...) and
     * sets *blame to the name of the option to point at. */
    rw_status (*check)(const void *opts, const char **blame);
    /* Optional, for a cell that draws randomness (dropout inside the cell):
     * the sequence runner calls begin_run before the first step of each run
     * of this cell instance (each layer, direction and window) with the
     * batch size and the run's generator (rw_run_opts.rng, may be NULL), and
     * end_run after its last step, also when the run fails. Between the two,
     * step may draw from the generator and keep per-sequence masks (nodes
     * of g). A step outside such a pair (rw_cell_step, rw_rnn_step) has no
     * generator. */
    rw_status (*begin_run)(rw_graph *g, const rw_cell *cell, int batch, rw_rng *rng);
    void (*end_run)(const rw_cell *cell);
} rw_cell_def;

/* An instance of `def` with parameters "<name>.<param>" added to P. `opts`
 * (def->opts_size bytes, copied) may be NULL for the defaults; it is
 * checked against the option ranges and def->check, then passed to the
 * callbacks via rw_cell_opts. NULL and an error message if anything fails. */
RW_API rw_cell *rw_cell_new(rw_params *P, const char *name, const rw_cell_def *def, int input_size, int hidden,
                     const void *opts, rw_rng *rng);
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

/* ---- the registry ----------------------------------------------------------
 * Every cell a model file can name: the built-ins (lstm, gru, elman, irnn,
 * jordan, elman_jordan) and any registered from C. Register before loading
 * a model that uses the cell:
 *
 *     rw_cell_register(&ln_elman);      // then "- ln_elman: {size: 64}" in YAML
 *
 * Fails (RW_ERR_ARG) on a duplicate name, or a record without name, declare
 * and step, with bad state count or with an option that is malformed, lies
 * outside opts_size or whose default is outside its range. The record must
 * stay alive. */
RW_API rw_status rw_cell_register(const rw_cell_def *def);
/* The cell registered under `name`, or NULL. */
RW_API const rw_cell_def *rw_cell_find(const char *name);
/* Enumerates the registry: built-ins first, then in registration order. */
RW_API int rw_cell_count(void);
RW_API const rw_cell_def *rw_cell_at(int i);

/* ---- options by name --------------------------------------------------------
 * `opts` points to def->opts_size bytes, the cell's options struct:
 *
 *     rw_lstm_opts o;
 *     rw_cell_default_opts(&rw_lstm_cell, &o);
 *     if (rw_cell_option_set(&rw_lstm_cell, &o, "forget_bias", "2") != RW_OK)
 *         fprintf(stderr, "%s\n", rw_last_error());
 */
RW_API const rw_cell_option *rw_cell_option_find(const rw_cell_def *def, const char *name);
/* Copies the defaults into opts. */
RW_API void rw_cell_default_opts(const rw_cell_def *def, void *opts);
/* Sets option `name` from text: "true"/"false", an integer, a number, or
 * one of the enum's names. RW_ERR_ARG, naming cell, option and the allowed
 * values, if there is no such option or the value does not fit. */
RW_API rw_status rw_cell_option_set(const rw_cell_def *def, void *opts, const char *name, const char *value);
/* The same from a number: a bool is 0 or 1, an enum its value's index. */
RW_API rw_status rw_cell_option_set_value(const rw_cell_def *def, void *opts, const char *name, double value);
/* The option's current value as a number (bool 0/1, enum index). */
RW_API double rw_cell_option_value(const rw_cell_option *o, const void *opts);
/* Writes the value as text ("true", "2", "1.5", "tanh"), and the allowed
 * values ("true | false", "0 .. 16777216", "[-1000, 1000]", "tanh | none").
 * Return buf. */
RW_API const char *rw_cell_option_format(const rw_cell_option *o, const void *opts, char *buf, size_t len);
RW_API const char *rw_cell_option_allowed(const rw_cell_option *o, char *buf, size_t len);
/* Every described field in range and def->check satisfied; on error
 * *blame (may be NULL) names the option at fault. */
RW_API rw_status rw_cell_check_opts(const rw_cell_def *def, const void *opts, const char **blame);

/* Runs one step without projection hoisting (applies project to x itself
 * when the cell has one). */
RW_API rw_node *rw_cell_step(rw_graph *g, const rw_cell *cell, rw_node *x, rw_node **state);

#ifdef __cplusplus
}
#endif
#endif
