/* GEMMs shared across the thread pool by columns: C[:, lo:hi] (+)=
 * A B[:, lo:hi], each piece one single-threaded BLIS call. Cut by columns,
 * each thread packs only its part of B (a recurrent step's [batch, H] x
 * [H, 4H] packs all of U at every step), and each element of C is the same
 * dot product as in one call, so results do not depend on the threads. */
#include "gemm.h"
#include "gemm_small.h"
#include "rewind_internal/parallel.h"

/* products below this many multiply-adds are not worth a hand-off */
#define SPLIT_MIN_WORK (256.0 * 1024)
/* rows at or below which rwi_gemm runs GEMVs; left whole */
#define SPLIT_MIN_ROWS 16
/* columns per piece are a multiple of this (whole register tiles) */
#define SPLIT_ALIGN 32

typedef struct split_job {
    dim_t m, k;
    const rw_real *a, *b;
    inc_t rsa, csa, rsb, csb, rsc, csc;
    rw_real beta, *c;
    const rwi_gemm_side *side;
    size_t n;
} split_job;

static void columns(void *ctx, size_t lo, size_t hi)
{
    const split_job *j = ctx;
    if (j->side)
        j->side->run(j->side->ctx, lo, hi, j->n);
    rwi_gemm(j->m, (dim_t)(hi - lo), j->k, j->a, j->rsa, j->csa, j->b + (size_t)lo * (size_t)j->csb, j->rsb, j->csb,
             j->beta, j->c + (size_t)lo * (size_t)j->csc, j->rsc, j->csc);
}

void rwi_gemm_split_side(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                         inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc,
                         const rwi_gemm_side *side)
{
    double work = (double)m * (double)n * (double)k;
    if (rwi_parallel_threads() < 2 || m <= SPLIT_MIN_ROWS || work < SPLIT_MIN_WORK || n < 2 * SPLIT_ALIGN) {
        if (side)
            side->run(side->ctx, 0, (size_t)n, (size_t)n);
        rwi_gemm(m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
        return;
    }
    split_job j = { m, k, a, b, rsa, csa, rsb, csb, rsc, csc, beta, c, side, (size_t)n };
    if (m <= rwi_gemm_small_rows(rwi_gemm_small_kernel()) && csa == 1 && rsb == 1)
        rwi_parallel_for_shared((size_t)n, SPLIT_ALIGN, SPLIT_ALIGN, columns, &j); /* the small kernel packs nothing */
    else
        rwi_parallel_for((size_t)n, SPLIT_ALIGN, SPLIT_ALIGN, columns, &j);
}

void rwi_gemm_split(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                    inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rwi_gemm_split_side(m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, NULL);
}
