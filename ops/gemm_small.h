/* Products with a few rows (batch-1 generation, beam search over a few
 * beams, the batch of a recurrent step) against a weight stored [N, K]: a
 * kernel that reads each weight once for all rows, with vector registers
 * as accumulators, and packs nothing (BLIS packs all of the weight at
 * every step: on the skx kernels [32, 256] x [256, 768] takes 170 us of
 * CPU in BLIS and about half of that here, see bench/README.md). */
#ifndef RW_OPS_GEMM_SMALL_H
#define RW_OPS_GEMM_SMALL_H

#include <stdbool.h>
#include <stddef.h>
#include "rewind/tensor.h"

/* The most rows any small kernel takes (rwi_gemm_small_rows gives each
 * kernel's own limit); larger products go to BLIS. */
#define RW_GEMM_SMALL_MAX_ROWS 64

typedef enum rwi_small_kernel {
    RWI_SMALL_OFF = 0, /* not used: the caller runs BLIS instead */
    RWI_SMALL_C,       /* portable C */
    RWI_SMALL_AVX2,    /* AVX2 + FMA, 8 lanes */
    RWI_SMALL_AVX512,  /* AVX-512F, 16 lanes */
} rwi_small_kernel;

/* The kernel this process uses: the widest the CPU runs, unless
 * RW_SMALL_GEMM=off|c|avx2|avx512 in the environment says otherwise (a set
 * the CPU lacks falls back to the widest it has). Decided once. */
rwi_small_kernel rwi_gemm_small_kernel(void);

/* The most rows kernel k takes: AVX-512 beats BLIS's skx kernels up to 64
 * (a recurrent step's batch), AVX2 loses to BLIS's haswell kernels beyond
 * 8 (measured: config G, 16.1k against 18.4k chars per CPU second at 32). */
int rwi_gemm_small_rows(rwi_small_kernel k);

/* Its name ("off", "c", "avx2", "avx512"). */
const char *rwi_gemm_small_kernel_name(rwi_small_kernel k);

/* C (+)= A B as rwi_gemm (gemm.h) on kernel `kernel`, when the shapes suit
 * it: m <= rwi_gemm_small_rows(kernel), A's rows contiguous (csa == 1) and B's
 * columns contiguous (rsb == 1: B is a weight W [N, K] used as W^T). Returns
 * false, touching nothing, otherwise (or for RWI_SMALL_OFF, or in the double
 * build). Each C element is one dot product summed in a fixed order that
 * depends only on k and the kernel, never on m, n or where the element sits,
 * so a row's result is the same alone (greedy) as among beams. */
bool rwi_gemm_small(rwi_small_kernel kernel, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const rw_real *a, ptrdiff_t rsa,
                    ptrdiff_t csa, const rw_real *b, ptrdiff_t rsb, ptrdiff_t csb, rw_real beta, rw_real *c,
                    ptrdiff_t rsc, ptrdiff_t csc);

#endif
