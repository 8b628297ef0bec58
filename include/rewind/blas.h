/* rewind/blas.h - which BLIS kernels rewind's matrix products run on.
 *
 * BLIS picks its kernels from the CPU it finds at start-up, but a BLIS
 * older than the CPU does not recognise it and falls back to its portable
 * "generic" kernels, 4-7 times slower than the ones it ships for the same
 * instruction set (BLIS 0.9 on AMD family 0x1a, Zen 5, is one such case).
 * So, before its first BLIS call, rewind looks at the CPU itself: where BLIS
 * would not recognise it but the CPU supports a set the library carries
 * (AVX-512 F/DQ/BW/VL -> "skx"; AVX2 + FMA -> "zen3" on AMD, "haswell"
 * elsewhere), rewind selects that set. It never selects one the CPU lacks,
 * and it leaves BLIS's own choice alone wherever BLIS knows the CPU.
 *
 * The user decides over rewind, in this order:
 *   1. BLIS_ARCH_TYPE in the environment (BLIS's own numeric id) is obeyed;
 *   2. RW_BLIS_ARCH=NAME in the environment ("skx", "haswell", "generic", ...);
 *   3. rw_set_blas_arch("NAME") called before the first product.
 *
 *     if (rw_set_blas_arch("generic") != RW_OK)       // e.g. to compare kernels
 *         fprintf(stderr, "%s\n", rw_last_error());
 *     printf("BLIS kernels: %s (%s)\n", rw_blas_arch(), rw_blas_arch_reason());
 */
#ifndef REWIND_BLAS_H
#define REWIND_BLAS_H

#include "rewind/export.h"

#include <stdbool.h>
#include "rewind/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_cpu_vendor { RW_CPU_OTHER = 0, RW_CPU_INTEL, RW_CPU_AMD } rw_cpu_vendor;

/* What the kernel choice looks at. `family` and `model` are the displayed
 * values (base plus extended), e.g. family 0x1a for Zen 5. The feature flags
 * are true only where the operating system also saves the registers. */
typedef struct rw_cpu_features {
    rw_cpu_vendor vendor;
    unsigned family, model;
    bool avx, fma3, avx2;
    bool avx512f, avx512dq, avx512bw, avx512vl;
} rw_cpu_features;

/* The features of the CPU this process runs on (all false off x86-64). */
RW_API rw_cpu_features rw_cpu_detect(void);

/* Whether BLIS 0.9's own detection recognises this CPU, i.e. picks a
 * non-generic kernel set for it by itself. */
RW_API bool rw_blas_recognises(const rw_cpu_features *cpu);

/* The kernel set rewind selects for `cpu` when nobody says otherwise: a
 * BLIS name, or NULL to leave BLIS's own choice. Pure: tests call it with
 * made-up CPUs. */
RW_API const char *rw_blas_arch_choose(const rw_cpu_features *cpu);

/* Whether `cpu` can run the kernel set `name` (unknown names: false). */
RW_API bool rw_blas_arch_supported(const char *name, const rw_cpu_features *cpu);

/* Selects the kernel set `name` ("auto" restores rewind's own choice).
 * Fails with RW_ERR_ARG for a name this BLIS does not have or a set this CPU
 * cannot run, and with RW_ERR_STATE once BLIS has started (the set is chosen
 * once per process, at the first product). */
RW_API rw_status rw_set_blas_arch(const char *name);

/* BLIS's name for the kernel set in use, e.g. "skx" or "generic". Starts
 * BLIS (and so fixes the choice) if nothing has yet. */
RW_API const char *rw_blas_arch(void);

/* Why that set: e.g. "selected by rewind: BLIS does not recognise this CPU
 * (AMD family 0x1a) and would run its generic kernels". */
RW_API const char *rw_blas_arch_reason(void);

/* The kernels of rewind's own loops, chosen from the CPU at the first use:
 * the product of matrices with few rows (batch-1 generation, beam search;
 * "off" leaves it to BLIS, as the double build always does) and the
 * vectorized exp/tanh/sigmoid. The environment variables RW_SMALL_GEMM
 * (off, c, avx2, avx512) and RW_FASTMATH (c, avx2, avx512) choose a
 * narrower one, e.g. to compare against the reference path:
 *
 *     printf("small products: %s, math: %s\n", rw_small_gemm_kernel(), rw_fastmath_kernel());
 */
RW_API const char *rw_small_gemm_kernel(void);
RW_API const char *rw_fastmath_kernel(void);

/* Makes the choice now if it is not made yet (every BLIS call of rewind
 * goes through this first). Idempotent and thread-safe. */
RW_API void rw_blas_prepare(void);

#ifdef __cplusplus
}
#endif
#endif
