/* Products with a few rows (batch-1 generation, beam search over a few
 * beams) against a weight stored [N, K]: a kernel that reads each weight
 * once for all rows, with vector registers as accumulators. */
#ifndef RW_OPS_GEMM_SMALL_H
#define RW_OPS_GEMM_SMALL_H

#include <stdbool.h>
#include <stddef.h>
#include "rewind/tensor.h"

/* The most rows the small kernel takes; larger products go to BLIS. */
#define RW_GEMM_SMALL_MAX_ROWS 8

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

/* Its name ("off", "c", "avx2", "avx512"). */
const char *rwi_gemm_small_kernel_name(rwi_small_kernel k);

/* C (+)= A B as rwi_gemm (gemm.h) on kernel `kernel`, when the shapes suit
 * it: m <= RW_GEMM_SMALL_MAX_ROWS, A's rows contiguous (csa == 1) and B's
 * columns contiguous (rsb == 1: B is a weight W [N, K] used as W^T). Returns
 * false, touching nothing, otherwise (or for RWI_SMALL_OFF, or in the double
 * build). Each C element is one dot product summed in a fixed order that
 * depends only on k and the kernel, never on m, n or where the element sits,
 * so a row's result is the same alone (greedy) as among beams. */
bool rwi_gemm_small(rwi_small_kernel kernel, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const rw_real *a, ptrdiff_t rsa,
                    ptrdiff_t csa, const rw_real *b, ptrdiff_t rsb, ptrdiff_t csb, rw_real beta, rw_real *c,
                    ptrdiff_t rsc, ptrdiff_t csc);

#endif
