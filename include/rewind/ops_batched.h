/* rewind/ops_batched.h - batched matrix products (attention scores and
 * weighted sums), through BLIS. */
#ifndef REWIND_OPS_BATCHED_H
#define REWIND_OPS_BATCHED_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Op "batched_matmul": for each i < N, op(a[i]) @ op(b[i]), where op
 * transposes the last two dimensions when asked. a is [N, M, K] ([N, K, M]
 * when transposed), b is [N, K, P] ([N, P, K] when transposed); the result
 * is [N, M, P]. Attention scores of queries [B, Tq, H] against keys
 * [B, Tk, H] are rw_batched_matmul(g, q, k, false, true) -> [B, Tq, Tk].
 * Shapes that do not fit give RW_ERR_SHAPE naming both shapes. */
RW_API rw_node *rw_batched_matmul(rw_graph *g, rw_node *a, rw_node *b, bool transpose_a, bool transpose_b);

#ifdef __cplusplus
}
#endif
#endif
