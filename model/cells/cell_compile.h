/* Internal: the state of compiling one YAML cell, shared by cell_parse.c
 * (nodes, names, sorting) and cell_sections.c (the cell's sections). */
#ifndef RW_MODEL_CELL_COMPILE_H
#define RW_MODEL_CELL_COMPILE_H

#include "cell_graph.h"

#define YC_MAX_NODES 512

typedef struct compile {
    ycell *c;
    const yctx *ctx;
    const ynode *pending[YC_MAX_NODES][YC_MAX_INPUTS]; /* input names to resolve, per node */
} compile;

/* Letters, digits and '_' (and '.' when dots: parameter names like "ln_x.gain"). */
bool rwi_yc_is_ident(const char *s, bool dots);
int rwi_yc_find_node(const ycell *c, const char *name);
int rwi_yc_find_in(char *const *list, int n, const char *name);
/* An error if `name` is already the input, a parameter, a <state>_prev, a dim or a node. */
rw_status rwi_yc_name_taken(compile *k, const ynode *at, const char *name);
/* Adds the node written as `map` (and the nodes written inline as its
 * inputs); its index, or -1 with an error. */
int rwi_yc_add_node(compile *k, const ynode *map, bool project, const char *auto_name);
/* Resolves node idx's input names. */
rw_status rwi_yc_resolve(compile *k, int idx);
/* cell_equations.c: compiles `equations:` (name -> expression string) into a
 * list of node mappings, allocated in the heap. */
rw_status rwi_yc_equations_to_nodes(yheap *h, const yctx *ctx, const ynode *eqs, ynode **out);
/* Puts the nodes in evaluation order, reporting cycles. */
rw_status rwi_yc_sort_nodes(compile *k);

#endif
