/* The small-row product kernel (gemm_small.h): C (+)= A W^T for a few rows
 * of A and a weight W [N, K] stored row-major, as in every layer's x W^T.
 *
 * BLIS offers two poor choices here: a GEMM packs all of W at every call,
 * and a GEMV per row reads all of W once per row, so K beams cost K times
 * one row. This kernel walks W in blocks of four rows (four outputs) and
 * streams each block once against up to four rows of A held in registers
 * (4 x 4 vector accumulators); further rows reuse the block from L1. On
 * AVX-512, five to eight rows (beam search) go instead against three rows of
 * W at a time with all of A's rows in one pass (rows8_avx512). Each output
 * is one dot product: lanes accumulate along k in order, then fold in a
 * fixed tree, whatever m, n and the position of the element, so results do
 * not depend on how many rows are computed together. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "gemm_small.h"
#include "rewind/blas.h"

#if !defined(RW_DOUBLE) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RW_SMALL_X86 1
#include <immintrin.h>
#endif

#ifndef RW_DOUBLE /* the kernels are single precision */
enum { BLOCK_COLS = 4, BLOCK_ROWS = 4 };
/* Dot products longer than this run in slices (see rwi_gemm_small). */
enum { K_SLICE = 1024 };

/* Where the outputs of one block go: rows r0.., columns j0.. of C. */
typedef struct block_out {
    float *c;
    ptrdiff_t rsc, csc;
    float beta;
    int rows, cols; /* how many of the block's 4 x 4 are real */
    ptrdiff_t ldw;  /* from one row of W to the next */
} block_out;

static void store_block(const block_out *o, float sums[BLOCK_ROWS][BLOCK_COLS])
{
    for (int r = 0; r < o->rows; r++)
        for (int j = 0; j < o->cols; j++) {
            float *c = o->c + r * o->rsc + j * o->csc;
            *c = o->beta != 0 ? *c + sums[r][j] : sums[r][j];
        }
}

/* ---- portable C --------------------------------------------------------------- */

/* Eight lanes per dot product, as in the AVX2 kernel, which compilers turn
 * into vector code on any SIMD target without reordering a sum. */
enum { C_LANES = 8 };

static void block_c(int rows, ptrdiff_t k, const float *a, ptrdiff_t rsa, const float *const *w, const block_out *o)
{
    float sums[BLOCK_ROWS][BLOCK_COLS] = { { 0 } };
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < BLOCK_COLS; j++) {
            const float *x = a + r * rsa, *y = w[j];
            float lane[C_LANES] = { 0 };
            ptrdiff_t p = 0;
            for (; p + C_LANES <= k; p += C_LANES)
                for (int l = 0; l < C_LANES; l++)
                    lane[l] += x[p + l] * y[p + l];
            for (int l = 0; p + l < k; l++)
                lane[l] += x[p + l] * y[p + l];
            float s = 0;
            for (int l = 0; l < C_LANES; l++)
                s += lane[l];
            sums[r][j] = s;
        }
    store_block(o, sums);
}

#ifdef RW_SMALL_X86
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Four 8-lane sums -> one 4-lane vector of their totals (lane j: sum j). */
__attribute__((target("avx2,fma"))) ALWAYS_INLINE __m128 fold4_256(__m256 s0, __m256 s1, __m256 s2, __m256 s3)
{
    __m128 h0 = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    __m128 h1 = _mm_add_ps(_mm256_castps256_ps128(s1), _mm256_extractf128_ps(s1, 1));
    __m128 h2 = _mm_add_ps(_mm256_castps256_ps128(s2), _mm256_extractf128_ps(s2, 1));
    __m128 h3 = _mm_add_ps(_mm256_castps256_ps128(s3), _mm256_extractf128_ps(s3, 1));
    return _mm_hadd_ps(_mm_hadd_ps(h0, h1), _mm_hadd_ps(h2, h3));
}

/* ---- AVX2 + FMA: 8 lanes -------------------------------------------------------- */

/* mask for the last k % 8 elements: 8 - n entries of -1 read from here + n */
static const int32_t TAIL_MASK[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

__attribute__((target("avx2,fma"))) ALWAYS_INLINE void block_avx2_rows(const int rows, ptrdiff_t k, const float *a,
                                                                        ptrdiff_t rsa, const float *const *w,
                                                                        const block_out *o)
{
    __m256 acc[BLOCK_ROWS][BLOCK_COLS];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < BLOCK_COLS; j++)
            acc[r][j] = _mm256_setzero_ps();
    ptrdiff_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 w0 = _mm256_loadu_ps(w[0] + p), w1 = _mm256_loadu_ps(w[1] + p);
        __m256 w2 = _mm256_loadu_ps(w[2] + p), w3 = _mm256_loadu_ps(w[3] + p);
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_loadu_ps(a + r * rsa + p);
            acc[r][0] = _mm256_fmadd_ps(x, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, w1, acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(x, w2, acc[r][2]);
            acc[r][3] = _mm256_fmadd_ps(x, w3, acc[r][3]);
        }
    }
    if (p < k) {
        __m256i m = _mm256_loadu_si256((const __m256i *)(TAIL_MASK + 8 - (k - p)));
        __m256 w0 = _mm256_maskload_ps(w[0] + p, m), w1 = _mm256_maskload_ps(w[1] + p, m);
        __m256 w2 = _mm256_maskload_ps(w[2] + p, m), w3 = _mm256_maskload_ps(w[3] + p, m);
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_maskload_ps(a + r * rsa + p, m);
            acc[r][0] = _mm256_fmadd_ps(x, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, w1, acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(x, w2, acc[r][2]);
            acc[r][3] = _mm256_fmadd_ps(x, w3, acc[r][3]);
        }
    }
    float sums[BLOCK_ROWS][BLOCK_COLS] = { { 0 } };
    for (int r = 0; r < rows; r++)
        _mm_storeu_ps(sums[r], fold4_256(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
    store_block(o, sums);
}

/* AVX2 has 16 registers: 2 rows x 4 columns of accumulators, the 4 weight
 * vectors and one row's x fit; a third or fourth row runs as a second pass
 * over the block (from L1). */
__attribute__((target("avx2,fma"))) static void block_avx2(int rows, ptrdiff_t k, const float *a, ptrdiff_t rsa,
                                                            const float *const *w, const block_out *o)
{
    block_out first = *o;
    first.rows = rows < 2 ? rows : 2;
    if (rows == 1) /* a constant row count, so the accumulators stay in registers */
        block_avx2_rows(1, k, a, rsa, w, &first);
    else
        block_avx2_rows(2, k, a, rsa, w, &first);
    if (rows > 2) {
        block_out rest = *o;
        rest.c += 2 * o->rsc;
        rest.rows = rows - 2;
        if (rows == 3)
            block_avx2_rows(1, k, a + 2 * rsa, rsa, w, &rest);
        else
            block_avx2_rows(2, k, a + 2 * rsa, rsa, w, &rest);
    }
}

/* ---- AVX-512F: 16 lanes --------------------------------------------------------- */

__attribute__((target("avx512f,avx2,fma"))) ALWAYS_INLINE __m256 fold_512(__m512 s)
{
    return _mm256_add_ps(_mm512_castps512_ps256(s), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
}

__attribute__((target("avx512f,avx2,fma"))) ALWAYS_INLINE void block_avx512_rows(const int rows, ptrdiff_t k,
                                                                                  const float *a, ptrdiff_t rsa,
                                                                                  const float *const *w,
                                                                                  const block_out *o)
{
    __m512 acc[BLOCK_ROWS][BLOCK_COLS];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < BLOCK_COLS; j++)
            acc[r][j] = _mm512_setzero_ps();
    ptrdiff_t p = 0;
    const ptrdiff_t ahead = o->ldw * BLOCK_COLS; /* the next block's rows, while this one computes */
    for (; p + 16 <= k; p += 16) {
        for (int j = 0; j < BLOCK_COLS; j++)
            _mm_prefetch((const char *)(w[j] + ahead + p), _MM_HINT_T0);
        __m512 w0 = _mm512_loadu_ps(w[0] + p), w1 = _mm512_loadu_ps(w[1] + p);
        __m512 w2 = _mm512_loadu_ps(w[2] + p), w3 = _mm512_loadu_ps(w[3] + p);
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_loadu_ps(a + r * rsa + p);
            acc[r][0] = _mm512_fmadd_ps(x, w0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, w1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(x, w2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(x, w3, acc[r][3]);
        }
    }
    if (p < k) {
        __mmask16 m = (__mmask16)((1u << (k - p)) - 1);
        __m512 w0 = _mm512_maskz_loadu_ps(m, w[0] + p), w1 = _mm512_maskz_loadu_ps(m, w[1] + p);
        __m512 w2 = _mm512_maskz_loadu_ps(m, w[2] + p), w3 = _mm512_maskz_loadu_ps(m, w[3] + p);
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_maskz_loadu_ps(m, a + r * rsa + p);
            acc[r][0] = _mm512_fmadd_ps(x, w0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, w1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(x, w2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(x, w3, acc[r][3]);
        }
    }
    float sums[BLOCK_ROWS][BLOCK_COLS] = { { 0 } };
    for (int r = 0; r < rows; r++)
        _mm_storeu_ps(sums[r], fold4_256(fold_512(acc[r][0]), fold_512(acc[r][1]), fold_512(acc[r][2]),
                                         fold_512(acc[r][3])));
    store_block(o, sums);
}

__attribute__((target("avx512f,avx2,fma"))) static void block_avx512(int rows, ptrdiff_t k, const float *a, ptrdiff_t rsa,
                                                                      const float *const *w, const block_out *o)
{
    switch (rows) {
    case 1: block_avx512_rows(1, k, a, rsa, w, o); break;
    case 2: block_avx512_rows(2, k, a, rsa, w, o); break;
    case 3: block_avx512_rows(3, k, a, rsa, w, o); break;
    default: block_avx512_rows(4, k, a, rsa, w, o); break;
    }
}

/* Five to eight rows (beam search over up to 8 beams): all rows against
 * three of W's rows at a time, so each weight vector loaded feeds eight rows
 * (24 accumulators, 3 weight vectors and one row of A in registers: 11 loads
 * for 24 FMAs, where four rows at a time took 8 for 16 and loads, not FMAs,
 * set the pace), and the dot products then fold together a register at a
 * time instead of one by one. Rows a group lacks repeat its last row, and
 * outputs its last output (computed, not stored). */
enum { ROWS8 = 8, COLS8 = 3 };

typedef struct rows8 {
    const float *a[ROWS8]; /* the rows of A, from the slice's first column */
    int rows;
} rows8;

/* One step of the fold for registers P and Q: lanes picked by shuffle lo
 * plus lanes picked by shuffle hi, as one register. */
#define FOLD_LANES(P, Q, lo, hi) _mm512_add_ps(_mm512_shuffle_f32x4(P, Q, lo), _mm512_shuffle_f32x4(P, Q, hi))
#define FOLD_PAIRS(P, Q) _mm512_add_ps(_mm512_shuffle_ps(P, Q, 0x88), _mm512_shuffle_ps(P, Q, 0xDD))

/* The first two folds of output j's eight accumulators: lanes i + (i + 8)
 * (fold_512), then i + (i + 4) (the 128-bit halves in fold4_256); q[h]'s
 * 128-bit lane l holds row 2 l + h. */
__attribute__((target("avx512f,avx2,fma"))) ALWAYS_INLINE void fold_quarters(__m512 acc[ROWS8][COLS8], int j,
                                                                              __m512 q[2])
{
    for (int h = 0; h < 2; h++)
        q[h] = FOLD_LANES(FOLD_LANES(acc[h][j], acc[h + 2][j], 0x44, 0xEE),
                          FOLD_LANES(acc[h + 4][j], acc[h + 6][j], 0x44, 0xEE), 0x88, 0xDD);
}

/* The totals of acc[r][j], each summed in exactly block_avx512_rows' tree
 * (the two folds above, then the two pairs of _mm_hadd_ps):
 * sums[2 r + j] for outputs 0 and 1, sums[16 + r] for output 2. */
__attribute__((target("avx512f,avx2,fma"))) ALWAYS_INLINE void fold8x3(__m512 acc[ROWS8][COLS8], float sums[24])
{
    __m512 q0[2], q1[2], q2[2];
    fold_quarters(acc, 0, q0);
    fold_quarters(acc, 1, q1);
    fold_quarters(acc, 2, q2);
    /* lane l: rows 2 l, 2 l + 1 of outputs 0 and 1, in that order */
    _mm512_storeu_ps(sums, FOLD_PAIRS(FOLD_PAIRS(q0[0], q1[0]), FOLD_PAIRS(q0[1], q1[1])));
    float t[16]; /* lane l: rows 2 l, 2 l + 1 of output 2, twice */
    _mm512_storeu_ps(t, FOLD_PAIRS(FOLD_PAIRS(q2[0], q2[1]), FOLD_PAIRS(q2[0], q2[1])));
    for (int l = 0; l < 4; l++) {
        sums[16 + 2 * l] = t[4 * l];
        sums[16 + 2 * l + 1] = t[4 * l + 1];
    }
}

/* The outputs of a group from fold8x3's sums; one branch on beta (not one
 * per output), and a full group's 24 stores unrolled. */
static inline void store8x3(int rows, const float sums[24], const block_out *o)
{
    ptrdiff_t rsc = o->rsc, csc = o->csc;
    float *c = o->c;
    if (rows == ROWS8 && o->cols == COLS8) {
        if (o->beta != 0)
            for (int r = 0; r < ROWS8; r++) {
                c[r * rsc] += sums[2 * r];
                c[r * rsc + csc] += sums[2 * r + 1];
                c[r * rsc + 2 * csc] += sums[16 + r];
            }
        else
            for (int r = 0; r < ROWS8; r++) {
                c[r * rsc] = sums[2 * r];
                c[r * rsc + csc] = sums[2 * r + 1];
                c[r * rsc + 2 * csc] = sums[16 + r];
            }
        return;
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < o->cols; j++) {
            float s = j < 2 ? sums[2 * r + j] : sums[16 + r];
            c[r * rsc + j * csc] = o->beta != 0 ? c[r * rsc + j * csc] + s : s;
        }
}

__attribute__((target("avx512f,avx2,fma"))) static void block8_avx512(const rows8 *x, ptrdiff_t k,
                                                                       const float *const w[COLS8], const block_out *o)
{
    __m512 acc[ROWS8][COLS8];
    for (int r = 0; r < ROWS8; r++)
        for (int j = 0; j < COLS8; j++)
            acc[r][j] = _mm512_setzero_ps();
    const float *w0 = w[0], *w1 = w[1], *w2 = w[2];
    const float *a0 = x->a[0], *a1 = x->a[1], *a2 = x->a[2], *a3 = x->a[3];
    const float *a4 = x->a[4], *a5 = x->a[5], *a6 = x->a[6], *a7 = x->a[7];
#define ROW8(r, load)                                                                                                  \
    do {                                                                                                               \
        __m512 xr = load(a##r);                                                                                        \
        __asm__("" : "+v"(xr)); /* one load feeding three products, not one folded into each FMA */                   \
        acc[r][0] = _mm512_fmadd_ps(xr, v0, acc[r][0]);                                                                \
        acc[r][1] = _mm512_fmadd_ps(xr, v1, acc[r][1]);                                                                \
        acc[r][2] = _mm512_fmadd_ps(xr, v2, acc[r][2]);                                                                \
    } while (0)
#define ALL_ROWS8(load)                                                                                                \
    do {                                                                                                               \
        ROW8(0, load); ROW8(1, load); ROW8(2, load); ROW8(3, load);                                                    \
        ROW8(4, load); ROW8(5, load); ROW8(6, load); ROW8(7, load);                                                    \
    } while (0)
    ptrdiff_t p = 0;
    const ptrdiff_t ahead = o->ldw * COLS8; /* the next outputs' rows of W, while these compute */
    for (; p + 16 <= k; p += 16) {
        _mm_prefetch((const char *)(w0 + ahead + p), _MM_HINT_T0);
        _mm_prefetch((const char *)(w1 + ahead + p), _MM_HINT_T0);
        _mm_prefetch((const char *)(w2 + ahead + p), _MM_HINT_T0);
        __m512 v0 = _mm512_loadu_ps(w0 + p), v1 = _mm512_loadu_ps(w1 + p), v2 = _mm512_loadu_ps(w2 + p);
#define LOAD_FULL(row) _mm512_loadu_ps((row) + p)
        ALL_ROWS8(LOAD_FULL);
    }
    if (p < k) {
        __mmask16 m = (__mmask16)((1u << (k - p)) - 1);
        __m512 v0 = _mm512_maskz_loadu_ps(m, w0 + p), v1 = _mm512_maskz_loadu_ps(m, w1 + p);
        __m512 v2 = _mm512_maskz_loadu_ps(m, w2 + p);
#define LOAD_TAIL(row) _mm512_maskz_loadu_ps(m, (row) + p)
        ALL_ROWS8(LOAD_TAIL);
    }
#undef LOAD_FULL
#undef LOAD_TAIL
#undef ALL_ROWS8
#undef ROW8
    float sums[24];
    fold8x3(acc, sums);
    store8x3(x->rows, sums, o);
}

/* C (+)= A W^T over one slice of k for 5 to 8 rows, three outputs at a time. */
static void rows8_avx512(int rows, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t rsa, const float *b,
                         ptrdiff_t ldw, float beta, float *c, ptrdiff_t rsc, ptrdiff_t csc)
{
    rows8 x = { .rows = rows };
    for (int r = 0; r < ROWS8; r++)
        x.a[r] = a + (r < rows ? r : rows - 1) * rsa;
    for (ptrdiff_t j0 = 0; j0 < n; j0 += COLS8) {
        int cols = n - j0 < COLS8 ? (int)(n - j0) : COLS8;
        const float *w[COLS8];
        for (int j = 0; j < COLS8; j++)
            w[j] = b + (j0 + (j < cols ? j : cols - 1)) * ldw;
        block_out o = { c + j0 * csc, rsc, csc, beta, rows, cols, ldw };
        block8_avx512(&x, k, w, &o);
    }
}
#endif /* RW_SMALL_X86 */
#endif /* RW_DOUBLE */

/* ---- choosing and dispatching ------------------------------------------------------ */

static const char *const KERNEL_NAMES[] = { "off", "c", "avx2", "avx512" };

int rwi_gemm_small_rows(rwi_small_kernel k)
{
    return k == RWI_SMALL_OFF ? 0 : k == RWI_SMALL_AVX512 ? RW_GEMM_SMALL_MAX_ROWS : 8;
}

const char *rwi_gemm_small_kernel_name(rwi_small_kernel k)
{
    return k >= RWI_SMALL_OFF && k <= RWI_SMALL_AVX512 ? KERNEL_NAMES[k] : "?";
}

const char *rw_small_gemm_kernel(void)
{
#ifdef RW_DOUBLE
    return "off";
#else
    return rwi_gemm_small_kernel_name(rwi_gemm_small_kernel());
#endif
}

static rwi_small_kernel widest(void)
{
#ifdef RW_SMALL_X86
    rw_cpu_features cpu = rw_cpu_detect();
    if (cpu.avx512f && cpu.avx2 && cpu.fma3)
        return RWI_SMALL_AVX512;
    if (cpu.avx2 && cpu.fma3)
        return RWI_SMALL_AVX2;
#endif
    return RWI_SMALL_C;
}

rwi_small_kernel rwi_gemm_small_kernel(void)
{
    static _Atomic int chosen = -1; /* the choice is the same on every thread, so a race is harmless */
    int k = atomic_load(&chosen);
    if (k >= 0)
        return (rwi_small_kernel)k;
    rwi_small_kernel best = widest(), want = best;
    const char *env = getenv("RW_SMALL_GEMM");
    for (int i = 0; env && i <= RWI_SMALL_AVX512; i++)
        if (!strcmp(env, KERNEL_NAMES[i]))
            want = (rwi_small_kernel)i;
    k = want <= best ? want : best;
    atomic_store(&chosen, k);
    return (rwi_small_kernel)k;
}

bool rwi_gemm_small(rwi_small_kernel kernel, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const rw_real *a, ptrdiff_t rsa, ptrdiff_t csa,
                    const rw_real *b, ptrdiff_t rsb, ptrdiff_t csb, rw_real beta, rw_real *c, ptrdiff_t rsc, ptrdiff_t csc)
{
#ifdef RW_DOUBLE
    (void)kernel, (void)m, (void)n, (void)k, (void)a, (void)rsa, (void)csa, (void)b, (void)rsb, (void)csb;
    (void)beta, (void)c, (void)rsc, (void)csc;
    return false; /* the double build keeps BLIS's GEMV */
#else
    if (m < 1 || m > rwi_gemm_small_rows(kernel) || n < 1 || k < 1 || csa != 1 || rsb != 1)
        return false;
    void (*block)(int, ptrdiff_t, const float *, ptrdiff_t, const float *const *, const block_out *) = block_c;
#ifdef RW_SMALL_X86
    if (kernel == RWI_SMALL_AVX512)
        block = block_avx512;
    else if (kernel == RWI_SMALL_AVX2)
        block = block_avx2;
#endif
    /* Long dot products in slices of K_SLICE, each slice after the first
     * adding to C: a block's 4 rows of A and 4 of W then stay in L1. At
     * k = 2048 they did not: config M's backward [64, 2048] x [2048, 512]
     * ran at 86 GFLOP/s against the forward's 145, and at 108 sliced
     * (one thread; /tmp microbenchmark, a loaded machine). Products with
     * k <= K_SLICE, all of generation's, are summed exactly as before. */
    for (ptrdiff_t p0 = 0; p0 < k; p0 += K_SLICE) {
        ptrdiff_t kc = k - p0 < K_SLICE ? k - p0 : K_SLICE;
        float bc = p0 ? 1.0f : beta;
#ifdef RW_SMALL_X86
        if (kernel == RWI_SMALL_AVX512 && m > BLOCK_ROWS && m <= 8) {
            rows8_avx512((int)m, n, kc, a + p0, rsa, b + p0, csb, bc, c, rsc, csc);
            continue;
        }
#endif
        for (ptrdiff_t j0 = 0; j0 < n; j0 += BLOCK_COLS) {
            int cols = n - j0 < BLOCK_COLS ? (int)(n - j0) : BLOCK_COLS;
            const float *w[BLOCK_COLS]; /* W's rows for outputs j0..; missing ones repeat the last (not stored) */
            for (int j = 0; j < BLOCK_COLS; j++)
                w[j] = b + (j0 + (j < cols ? j : cols - 1)) * csb + p0;
            for (ptrdiff_t r0 = 0; r0 < m; r0 += BLOCK_ROWS) {
                int rows = m - r0 < BLOCK_ROWS ? (int)(m - r0) : BLOCK_ROWS;
                block_out o = { c + r0 * rsc + j0 * csc, rsc, csc, bc, rows, cols, csb };
                block(rows, kc, a + r0 * rsa + p0, rsa, w, &o);
            }
        }
    }
    return true;
#endif
}
