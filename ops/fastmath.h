/* Internal: tanh, sigmoid and exp over arrays, vectorized (float build).
 *
 * libm's scalar tanhf and expf took ~3 ns an element, a quarter of a beam
 * step. These kernels come in three variants, AVX-512F, AVX2+FMA and
 * portable C, chosen once at run time like the small-row product kernel
 * (gemm_small.h); RW_FASTMATH=c|avx2|avx512 in the environment picks a
 * narrower one.
 *
 * Determinism: every variant performs the same IEEE operations in the same
 * order on each element (the C one calls fmaf where the vector ones fuse),
 * and a vector tail is loaded with a mask, so an element's result depends
 * only on its value: not on the variant (up to a NaN's sign), the array's
 * length or alignment, or how the pool split the loop. tests/test_fastmath.c checks this.
 *
 * Accuracy (measured by tests/test_fastmath.c over a dense sweep of all
 * floats, against double-precision libm): exp within 1 ulp, tanh within
 * 2 ulp, sigmoid within 2 ulp, including denormal results, overflow to
 * inf, ±inf and NaN. The double build keeps libm. */
#ifndef RW_OPS_FASTMATH_H
#define RW_OPS_FASTMATH_H

#include <stdbool.h>
#include <stddef.h>
#include "rewind/tensor.h"

typedef enum rwi_fastmath_kernel {
    RWI_FASTMATH_C = 0,  /* portable C (the only one in the double build) */
    RWI_FASTMATH_AVX2,   /* AVX2 + FMA, 8 lanes */
    RWI_FASTMATH_AVX512, /* AVX-512F, 16 lanes */
} rwi_fastmath_kernel;

/* The variant this process uses: the widest the CPU runs unless
 * RW_FASTMATH says otherwise. Decided once. */
rwi_fastmath_kernel rwi_fastmath_kernel_used(void);

/* Whether this CPU (and build) runs variant k; its name ("c", "avx2", "avx512"). */
bool rwi_fastmath_kernel_runs(rwi_fastmath_kernel k);
const char *rwi_fastmath_kernel_name(rwi_fastmath_kernel k);

/* y[i] = tanh(x[i]), i < n; y may be x. */
void rwi_fast_tanh(const rw_real *x, rw_real *y, size_t n);
/* y[i] = 1 / (1 + e^-x[i]), never exponentiating a large positive number.
 * The one sigmoid of the library: the sigmoid op, softplus' gradient and
 * bce_with_logits' gradient all use it. */
void rwi_fast_sigmoid(const rw_real *x, rw_real *y, size_t n);
/* y[i] = e^((x[i] - a) - b): softmax's e^(x - max) and the like. */
void rwi_fast_exp(const rw_real *x, rw_real a, rw_real b, rw_real *y, size_t n);

/* e[j] = e^(x[j] - max) over a row of c >= 1 values, *max its maximum;
 * returns sum_j e[j], summed in order in double. The first half of softmax,
 * log_softmax and cross-entropy. */
double rwi_exp_row(const rw_real *x, size_t c, rw_real *e, rw_real *max);

/* A stack buffer's worth of elements, for callers that need a function's
 * values only briefly (a gradient formula). */
#define RWI_FASTMATH_CHUNK 256

/* The same on a given variant (for tests; k must run here). */
void rwi_fast_tanh_on(rwi_fastmath_kernel k, const rw_real *x, rw_real *y, size_t n);
void rwi_fast_sigmoid_on(rwi_fastmath_kernel k, const rw_real *x, rw_real *y, size_t n);
void rwi_fast_exp_on(rwi_fastmath_kernel k, const rw_real *x, rw_real a, rw_real b, rw_real *y, size_t n);

#endif
