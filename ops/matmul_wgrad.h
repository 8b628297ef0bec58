/* Deferred weight gradients of matmul and matmul_add (matmul_wgrad.c). */
#ifndef RW_OPS_MATMUL_WGRAD_H
#define RW_OPS_MATMUL_WGRAD_H

#include <stdbool.h>
#include "gemm.h"
#include "rewind/op.h"

/* For node n computing op(A) op(B), with op(A) [m, k] and op(B) [k, nn]
 * given by their strides: postpones d op(B) += op(A)^T dC to the end of
 * the backward pass, gathered with the same parameter's other terms into
 * one GEMM. Returns false when the term must be computed now instead (B is
 * not a parameter leaf, B is used with another layout, or out of memory). */
bool rwi_matmul_defer_weight_grad(rw_node *n, rw_strided a, rw_strided b, dim_t m, dim_t k, dim_t nn);

#endif
