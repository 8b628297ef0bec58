/* Internal: recurrent cells defined in YAML as graphs of registered ops (the
 * node form), compiled into an rw_cell_def whose step interprets the nodes
 * in topological order. The rw_cell_def is the first member of ycell, so
 * the callbacks recover their cell from rw_cell_definition(). */
#ifndef RW_MODEL_CELL_GRAPH_H
#define RW_MODEL_CELL_GRAPH_H

#include "rewind/cell.h"
#include "rewind/diagnostics.h"
#include "rewind/op.h"
#include "rewind/model.h"
#include "yaml/schema.h"

#define YC_MAX_INPUTS 16

/* Where a node input comes from. */
typedef enum yref_kind { YREF_INPUT, YREF_PARAM, YREF_PREV, YREF_NODE, YREF_CONST } yref_kind;

typedef struct yref {
    yref_kind kind;
    int index;           /* parameter, state or node index */
    double value;        /* constant */
    const ynode *at;
} yref;

typedef struct yattr {
    int index;           /* into op->attrs */
    yexpr value;
    const ynode *at;
} yattr;

typedef struct ycnode {
    char *name;          /* as written, or "<parent>.in<k>" for a node written inline */
    const ynode *at;     /* the node's mapping */
    const rw_op_def *op;
    int n_in;
    yref in[YC_MAX_INPUTS];
    int n_attrs;
    yattr *attrs;
    bool project;        /* computed once for all steps */
    bool ids_ok;         /* matmul(x, W, transpose_b): a column lookup when x holds token ids */
    bool named;          /* written with a name (an assignment in the equation form), not inline */
} ycnode;

/* The values of a cell's dims for one instantiation, and what depends on them. */
typedef struct yinst {
    int dims[Y_MAX_DIMS];
    void **attrs;        /* per node: the op's attribute block, or NULL */
    int out_width;
    struct yinst *next;
} yinst;

/* A supplier of per-sequence masks for a cell's dropout node `node`: a
 * constant mask of `shape` ([B, W]) with drop probability p, NULL with an error. */
typedef struct rwi_ycell_mask_source {
    rw_node *(*mask)(void *ctx, rw_graph *g, int node, rw_shape shape, double p);
    void *ctx;
} rwi_ycell_mask_source;

typedef struct ycell {
    rw_cell_def def;     /* must stay first */
    char *name;
    const ynode *at;
    yctx ctx;
    int n_dims;
    char *dims[Y_MAX_DIMS];          /* dims[0] = "X", dims[1] = "H", then the cell's own */
    char *input;
    const ynode *input_at;
    int n_states;
    char *states[RW_CELL_MAX_STATES], *prev[RW_CELL_MAX_STATES];
    yexpr state_size[RW_CELL_MAX_STATES];
    const ynode *state_at[RW_CELL_MAX_STATES];
    int state_node[RW_CELL_MAX_STATES];   /* the node computing the new value */
    int n_params;
    char *params[RW_CELL_MAX_PARAMS];
    int param_nd[RW_CELL_MAX_PARAMS];
    yexpr shape[RW_CELL_MAX_PARAMS][RW_MAX_DIMS];
    rw_init_kind init[RW_CELL_MAX_PARAMS];
    yexpr init_a[RW_CELL_MAX_PARAMS], init_b[RW_CELL_MAX_PARAMS];
    const ynode *param_at[RW_CELL_MAX_PARAMS], *init_at[RW_CELL_MAX_PARAMS];
    const ynode *shape_at[RW_CELL_MAX_PARAMS][RW_MAX_DIMS];
    int n_nodes, n_alloc;
    ycnode *nodes;       /* in evaluation (topological) order */
    int projection;      /* node index of the last `project` node, -1 without one */
    int output;          /* node index of the step's output */
    /* gates for saturation diagnostics: the first RW_GATES_MAX named sigmoid
     * nodes of the step, in evaluation order (rwi_ycell_setup_def) */
    int n_gates;
    int gate_node[RW_GATES_MAX];
    yinst *inst;
    /* dropout nodes (cell_dropout.c): how many, and the run in progress
     * between the runner's begin_run and end_run (cell NULL outside one) */
    int n_dropout;
    struct ydrop_run {
        const rw_cell *cell;
        rw_graph *g;
        rw_rng *rng;
        rw_node **masks;     /* per node: its per-sequence mask, drawn at first use */
        rwi_ycell_mask_source source; /* when set: where per-sequence masks come from */
    } run;
    /* Set when a callback fails inside rw_cell_new, whose own prefix would
     * hide the position: the builder reports this text instead. */
    char pending[1024];
    rw_status pending_status;
} ycell;

/* Parses and compiles cell `name` from its mapping (node form, or equations
 * compiled into nodes allocated in h). Ops are looked up in the registry
 * now: register C ops before loading. */
ycell *rwi_ycell_compile(yheap *h, const yctx *ctx, const char *name, const ynode *key, const ynode *map);
void rwi_ycell_free(ycell *c);

/* Parses an initializer: "xavier_uniform", "normal(0.01)", "orthogonal(1, H)",
 * "const(0)", "uniform(-0.1, 0.1)", "identity" ... (glorot_* are accepted
 * for xavier_*). Arguments may use the dims. */
rw_status rwi_yinit_parse(const yctx *c, const ynode *n, const char *what, const char *const *dims, int n_dims,
                      rw_init_kind *kind, yexpr *a, yexpr *b);

/* cell_dropout.c: `dropout` inside a cell is not a registered op (masks
 * need the run's generator); nodes naming it get this record, whose
 * attributes are p (the drop probability) and per_sequence (one mask per
 * sequence and run instead of one per step). */
extern const rw_op_def rwi_ycell_dropout_op;
typedef struct rwi_ydrop_attrs {
    double p;
    bool per_sequence;
} rwi_ydrop_attrs;
/* Node i's dropout applied to x (identity in evaluation mode or for p = 0). */
rw_node *rwi_ycell_dropout(rw_graph *g, const rw_cell *c, const ycell *yc, int i, rw_node *x, const rwi_ydrop_attrs *a);
/* The runner's begin_run / end_run for cells with dropout nodes. */
rw_status rwi_ycell_begin_run(rw_graph *g, const rw_cell *c, int batch, rw_rng *rng);
void rwi_ycell_end_run(const rw_cell *c);
/* For the run begun on c (a cell whose begin_run is rwi_ycell_begin_run):
 * its per-sequence masks come from src instead of the run's generator.
 * Monte-Carlo stepping (model/build/forward.c) begins a run per step and
 * keeps each pass's mask over the whole text this way. */
void rwi_ycell_set_mask_source(const rw_cell *c, rwi_ycell_mask_source src);

/* Index of dim `name` in c->dims, or -1. */
int rwi_ycell_dim_index(const ycell *c, const char *name);

/* For the builder: the dims an instance of the cell has (from X, H and the
 * options), or an error naming the missing dim. */
rw_status rwi_ycell_dims(const ycell *yc, int X, int H, const rw_model_cell_opts *o, int *dims);

#endif
