/* The one GEMM call of matmul and matmul_add (and of their deferred weight
 * gradients, matmul_wgrad.c), with rewind's threading policy. */
#ifndef RW_OPS_GEMM_H
#define RW_OPS_GEMM_H

#include <blis.h>
#include "rewind/tensor.h"

/* A strided view of a row-major buffer as a rows x cols matrix: element
 * (i, j) is at i * rs + j * cs. A transposed operand is the same storage
 * with rs and cs swapped, so no product ever copies its operands. */
typedef struct rw_strided {
    dim_t rows, cols;
    inc_t rs, cs;
} rw_strided;

/* C (+)= A B: C is m x n, A m x k, B k x n, each given by its strides;
 * beta 0 overwrites C, beta 1 accumulates into it. */
void rwi_gemm(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b, inc_t rsb,
             inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc);

/* rwi_gemm split by columns across the thread pool (gemm_split.c): each
 * piece is one single-threaded rwi_gemm on C[:, lo:hi] and B[:, lo:hi], so
 * every element of C is computed as by one rwi_gemm, whatever the split. */
void rwi_gemm_split(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                    inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc);

/* Elementwise work that rides along with a split product, so that it is
 * split with it instead of running alone on one thread: the piece of
 * columns [lo, hi) of the product's n first calls run(ctx, lo, hi, n)
 * (before its GEMM, so run may prepare those columns of C); the pieces
 * cover [0, n) exactly once, so run can map them onto a range of its own
 * (rwi_gemm_side_range). Unsplit, run(ctx, 0, n, n) comes first. */
typedef struct rwi_gemm_side {
    void (*run)(void *ctx, size_t lo, size_t hi, size_t n);
    void *ctx;
} rwi_gemm_side;

void rwi_gemm_split_side(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                         inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc,
                         const rwi_gemm_side *side);

/* [lo, hi) of n mapped proportionally onto [0, size): consecutive pieces
 * map onto consecutive ranges that cover [0, size) exactly once. */
static inline void rwi_gemm_side_range(size_t lo, size_t hi, size_t n, size_t size, size_t *from, size_t *to)
{
    *from = lo == 0 ? 0 : lo * size / n;
    *to = hi == n ? size : hi * size / n;
}

#endif
