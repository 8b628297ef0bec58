/* The built-in op families, registered once when the registry is first used.
 * To add a family: define its rw_op_family in ops/<family>.c and list it here. */
#include "op_util.h"
#include "../core/graph_internal.h"

extern const rw_op_family rw_family_elementwise_arith, rw_family_matmul, rw_family_reduce, rw_family_loss;
extern const rw_op_family rw_family_shape, rw_family_gather, rw_family_mask, rw_family_batched_matmul;
extern const rw_op_family rw_family_norm, rw_family_regularize;
extern const rw_op_family rw_family_gather_columns;
extern const rw_op_family rw_family_elementwise_unary, rw_family_softmax;
extern const rw_op_family rw_family_argmax;

static const rw_op_family *const families[] = {
    &rw_family_elementwise_arith,
    &rw_family_matmul,
    &rw_family_reduce,
    &rw_family_loss,
    &rw_family_shape, &rw_family_gather, &rw_family_mask, &rw_family_batched_matmul,
    &rw_family_norm,
    &rw_family_regularize,
    &rw_family_gather_columns,
    &rw_family_elementwise_unary,
    &rw_family_softmax,
    &rw_family_argmax,
};

void rw_op_register_builtin(const rw_op_def *def);

void rw_ops_register_builtins(void)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (int i = 0; i < families[f]->count; i++)
            rw_op_register_builtin(families[f]->defs[i]);
}
