/* Copies of a weight that make the products of a recurrent step cheaper:
 * W^T stored by rows, made once per step (matmul_weight.c). */
#ifndef RW_OPS_MATMUL_WEIGHT_H
#define RW_OPS_MATMUL_WEIGHT_H

#include "gemm.h"
#include "rewind/graph.h"

/* W^T as a row-major [K, N] copy for a parameter W [N, K] read by node n,
 * made at the first call of the step and kept until rw_graph_reset
 * (rewind_internal/graph_memo.h). NULL when W is not a parameter, or
 * memory or memo places ran out: then read W as stored. */
const rw_real *rwi_weight_transposed(rw_node *n, const rw_node *w);

/* Forward of product node n (m rows) with op(B) = W^T, W [N, K] a
 * parameter: W^T as a row-major [K, N] copy, with *b set to its strides, when
 * BLIS will run the product and the copy pays (see the .c). NULL, *b
 * untouched, otherwise: then use W as stored. */
const rw_real *rwi_matmul_weight_rows(rw_node *n, const rw_node *w, dim_t m, rw_strided *b);

/* Backward of the same product, d op(A) += dC W for a few rows (m): W as
 * the transpose of that copy, so the small-row kernel (gemm_small.c) runs
 * it as dC (W^T)^T; *wt gets W's strides in the copy (rows 1 apart,
 * columns N apart). NULL, *wt untouched, when the kernel would not take it. */
const rw_real *rwi_matmul_weight_for_grad(rw_node *n, const rw_node *w, dim_t m, rw_strided *wt);

#endif
