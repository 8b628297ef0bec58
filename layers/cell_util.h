/* Internal helpers shared by the built-in cells. */
#ifndef RW_LAYERS_CELL_UTIL_H
#define RW_LAYERS_CELL_UTIL_H

#include "rewind/cells.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_matmul.h"
#include "rewind/ops_gather_columns.h"

/* x W^T for real x [..., X], or the column lookup for int32 ids. */
static inline rw_node *rw_cell_project_input(rw_graph *g, const rw_cell *c, rw_node *xs, const char *w)
{
    rw_node *W = rw_p(g, c, w);
    if (xs && xs->value.dtype == RW_INT32)
        return rw_gather_columns(g, W, xs);
    return rw_matmul_ex(g, xs, W, false, true);
}

/* x W^T + b (one op for real input; a lookup plus the bias for token ids) */
static inline rw_node *rw_cell_project_bias(rw_graph *g, const rw_cell *c, rw_node *xs, const char *w, const char *b)
{
    if (xs && xs->value.dtype == RW_INT32)
        return rw_add(g, rw_gather_columns(g, rw_p(g, c, w), xs), rw_p(g, c, b));
    return rw_matmul_add(g, xs, rw_p(g, c, w), rw_p(g, c, b), false, true);
}

/* h U^T */
static inline rw_node *rw_cell_recur(rw_graph *g, const rw_cell *c, rw_node *h, const char *u)
{
    return rw_matmul_ex(g, h, rw_p(g, c, u), false, true);
}

/* xp + h U^T in one GEMM */
static inline rw_node *rw_cell_recur_add(rw_graph *g, const rw_cell *c, rw_node *h, const char *u, rw_node *xp)
{
    return rw_matmul_add(g, h, rw_p(g, c, u), xp, false, true);
}

/* Enum options are stored as an int (rewind/cell.h). */
_Static_assert(sizeof(rw_activation) == sizeof(int), "rw_activation is stored as an int option");
/* The number of entries of an option table. */
#define RW_COUNT_OPTIONS(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* An option's names for rw_activation values, indexed by value. */
#define RW_ACTIVATION_NAMES { "tanh", "sigmoid", "relu", "none" }

static inline rw_node *rw_activate(rw_graph *g, rw_node *x, rw_activation a)
{
    switch (a) {
    case RW_ACT_TANH: return rw_tanh(g, x);
    case RW_ACT_SIGMOID: return rw_sigmoid(g, x);
    case RW_ACT_RELU: return rw_relu(g, x);
    case RW_ACT_NONE: return x;
    }
    return x;
}

#define RW_CELL_PARAM(c, name, shape, init, rng) \
    do { if (!rw_cell_param((c), (name), (shape), (init), (rng))) return rw_last_status(); } while (0)

#endif
