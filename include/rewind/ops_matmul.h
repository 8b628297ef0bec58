/* rewind/ops_matmul.h - matrix products through BLIS. */
#ifndef REWIND_OPS_MATMUL_H
#define REWIND_OPS_MATMUL_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* op(a) @ op(b), where op transposes when asked. b is 2-D. a is 2-D, or,
 * when not transposed, of any rank: its leading dimensions are kept
 * ([T, B, X] @ [X, Y] -> [T, B, Y]), which projects every time step with
 * one GEMM. Shapes that do not fit give RW_ERR_SHAPE naming both shapes. */
RW_API rw_node *rw_matmul(rw_graph *g, rw_node *a, rw_node *b);
RW_API rw_node *rw_matmul_ex(rw_graph *g, rw_node *a, rw_node *b, bool transpose_a, bool transpose_b);

/* op(a) @ op(b) + c, as one GEMM accumulating onto a copy of c, which has
 * the product's shape or is one row [N] added to every row (a bias): a
 * recurrent step's x_t W^T + h U^T, or a linear layer, without a separate
 * product node. */
RW_API rw_node *rw_matmul_add(rw_graph *g, rw_node *a, rw_node *b, rw_node *c, bool transpose_a, bool transpose_b);

/* Threads the library may use (default 1): matrix products are split by
 * columns and long elementwise loops in pieces across a pool of n threads
 * (BLIS itself runs on one); work too small to gain runs on the caller.
 * Results are bit-identical at any n. Call it between steps, not while
 * another thread runs ops. n < 1 is an error (RW_ERR_ARG) and changes
 * nothing:
 *
 *     if (rw_set_threads(2) != RW_OK)
 *         fprintf(stderr, "%s\n", rw_last_error());
 */
RW_API rw_status rw_set_threads(int n);
RW_API int rw_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
