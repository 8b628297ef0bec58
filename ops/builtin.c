/* The built-in op families, registered once when the registry is first used.
 * To add a family: define its rw_op_family in ops/<family>.c and list it here. */
#include "op_util.h"
#include "builtin.h"
#include "rewind_internal/op_table.h"

extern const rw_op_family rwi_family_elementwise_arith, rwi_family_matmul, rwi_family_reduce, rwi_family_loss;
extern const rw_op_family rwi_family_shape_view, rwi_family_shape_join;
extern const rw_op_family rwi_family_gather, rwi_family_mask, rwi_family_batched_matmul;
extern const rw_op_family rwi_family_norm, rwi_family_regularize;
extern const rw_op_family rwi_family_gather_columns;
extern const rw_op_family rwi_family_elementwise_unary, rwi_family_softmax;
extern const rw_op_family rwi_family_argmax, rwi_family_hsm;

static const rw_op_family *const families[] = {
    &rwi_family_elementwise_arith,
    &rwi_family_matmul,
    &rwi_family_reduce,
    &rwi_family_loss,
    &rwi_family_shape_view, &rwi_family_shape_join,
    &rwi_family_gather, &rwi_family_mask, &rwi_family_batched_matmul,
    &rwi_family_norm,
    &rwi_family_regularize,
    &rwi_family_gather_columns,
    &rwi_family_elementwise_unary,
    &rwi_family_softmax,
    &rwi_family_argmax,
    &rwi_family_hsm,
};

void rwi_ops_register_builtins(void)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (int i = 0; i < families[f]->count; i++)
            rwi_op_table_add(families[f]->defs[i]);
}
