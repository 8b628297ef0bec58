/* GEMM through BLIS for matmul, matmul_add and their deferred weight
 * gradients, and the number of threads those products may use. */
#include "gemm.h"
#include "gemm_small.h"
#include "rewind_internal/parallel.h"
#include "rewind/blas.h"
#include "rewind/ops_matmul.h"

static int blis_threads = 1;

/* multiply-adds below which a product runs on one thread (measured on the
 * benchmark shapes: 32 x 128 x 512 is faster alone, 64 x 512 x 2048 is not) */
#define RW_GEMM_THREAD_WORK (8.0 * 1024 * 1024)

/* C (+)= A B on strided views. BLIS is asked to pack both operands: the
 * products of a recurrent step are skinny ([batch, H] x [H, 4H]), where its
 * default small-matrix path is markedly slower (see bench/README.md). */
/* Products with at most this many rows (batch-1 generation, a few beams)
 * go first to the small-row kernel (gemm_small.c: a weight used as W^T,
 * float); what it does not take (double, B not transposed, strided A rows)
 * runs as one GEMV per row. A GEMM packs all of B (a whole weight matrix)
 * at every call, which for one row costs ten times the arithmetic: on the
 * skx kernels [1, 256] x [256, 1024] takes 133 us as a GEMM, 11.5 us as a
 * GEMV, and 8 GEMVs still beat one GEMM (bench/README.md). */
#define RW_GEMV_MAX_ROWS 8

static void gemv_rows(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                      inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rw_real one = 1;
    for (dim_t i = 0; i < m; i++) /* row i of C = B^T (row i of A) */
#ifdef RW_DOUBLE
        bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, k, n, &one, (double *)b, rsb, csb, (double *)a + i * rsa,
                  csa, &beta, c + i * rsc, csc);
#else
        bli_sgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, k, n, &one, (float *)b, rsb, csb, (float *)a + i * rsa,
                  csa, &beta, c + i * rsc, csc);
#endif
}

void rwi_gemm(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b, inc_t rsb,
             inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rw_real one = 1;
    if (rwi_gemm_small(rwi_gemm_small_kernel(), m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc))
        return; /* a few rows against a weight W^T: gemm_small.c */
    rw_blas_prepare(); /* BLIS's kernel set is chosen before its first call */
    if (m <= RW_GEMV_MAX_ROWS && k > 0) {
        gemv_rows(m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
        return;
    }
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    /* Threads only pay for themselves on large products: a recurrent step's
     * [B, H] x [H, 4H] with small B runs faster on one thread than on two. */
    double work = (double)m * (double)n * (double)k;
    bli_rntm_set_num_threads(work >= RW_GEMM_THREAD_WORK && !rwi_parallel_in_piece() ? blis_threads : 1, &rntm);
    bli_rntm_set_pack_a(TRUE, &rntm);
    bli_rntm_set_pack_b(TRUE, &rntm);
#ifdef RW_DOUBLE
    bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (double *)a, rsa, csa, (double *)b, rsb,
                 csb, &beta, c, rsc, csc, NULL, &rntm);
#else
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)a, rsa, csa, (float *)b, rsb,
                 csb, &beta, c, rsc, csc, NULL, &rntm);
#endif
}


/* Threads are rewind's own pool (core/parallel.c): it splits products by
 * columns (gemm_split.c) and long elementwise loops, while BLIS itself stays
 * on one thread (blis_threads is left at 1). Debian's BLIS threads through
 * OpenMP, whose idle threads spin after every product and would take the
 * cores the pool's pieces need. */
rw_status rw_set_threads(int n)
{
    if (n < 1)
        return rw_error(RW_ERR_ARG, "rw_set_threads: the number of threads must be at least 1, not %d", n);
    rwi_parallel_set_threads(n);
    return RW_OK;
}

int rw_get_threads(void) { return rwi_parallel_threads(); }
