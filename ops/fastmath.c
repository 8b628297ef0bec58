/* Vectorized exp, tanh and sigmoid (fastmath.h): one recipe, written three
 * times (portable C, AVX2 + FMA, AVX-512F) with the same operations in the
 * same order, so all three give the same bits.
 *
 * The recipe. For y in [-104, 89] (outside, e^y rounds to 0 or overflows):
 *   n = round(y / ln 2)       by adding 1.5 * 2^23, whose low bits then hold n
 *   r = y - n ln 2            ln 2 in two parts, |r| <= ln 2 / 2, exact enough
 *   q = e^r - 1 = r + r^2 (1/2 + r/6 + ... + r^5/5040)   (Taylor, error < 2^-27)
 *   e^y  = 2^n1 (1 + q) 2^n2  with n1 + n2 = n, both normal exponents, so the
 *                             first product is one rounding and the second is
 *                             exact or rounds once into the denormals / inf
 *   tanh |x| = -m / (2 + m)   with m = e^(-2|x|) - 1 = 2^n q + (2^n - 1) (one
 *                             fused rounding; accurate near 0, where
 *                             1 - 2 / (1 + e^2x) loses digits), sign copied
 *   sigmoid x = (x < 0 ? e : 1) / (1 + e)   with e = e^-|x| <= 1
 * NaN passes through: the clamps keep it (max(lo, NaN) is NaN here). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rewind/blas.h"
#include <math.h>
#include "fastmath.h"
#include "rewind/blas.h"

#if !defined(RW_DOUBLE) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RW_FASTMATH_X86 1
#include <immintrin.h>
#endif

enum op { OP_EXP, OP_TANH, OP_SIGMOID };

#ifdef RW_DOUBLE
static void run_c(enum op op, const double *x, double a, double b, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        y[i] = op == OP_EXP ? exp((v - a) - b) : op == OP_TANH ? tanh(v) : 1 / (1 + exp(-v));
    }
}
#else
/* The constants of the recipe. */
#define LO_EXP -104.0f
#define HI_EXP 89.0f
#define LO_TANH -40.0f /* e^-40 - 1 rounds to -1: tanh is 1 from |x| = 20 on */
#define LOG2E 1.44269504088896341f
#define MAGIC 12582912.0f /* 1.5 * 2^23 */
#define LN2_HI 0.693145751953125f /* ln 2 = LN2_HI + LN2_LO; n * LN2_HI is exact */
#define LN2_LO 1.42860682030941723e-6f
#define C2 0.5f
#define C3 0.166666672f   /* 1/6 */
#define C4 0.0416666679f  /* 1/24 */
#define C5 0.00833333377f /* 1/120 */
#define C6 0.00138888892f /* 1/720 */
#define C7 0.000198412701f /* 1/5040 */
#define MAGIC_BITS 0x4b400000u

/* ---- portable C ----------------------------------------------------------------- */

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* n (as bits: two's complement) and q = e^r - 1 for y already clamped */
static float reduce_c(float y, uint32_t *n_bits)
{
    float t = fmaf(y, LOG2E, MAGIC);
    float n = t - MAGIC;
    *n_bits = bits_of(t) - MAGIC_BITS;
    float r = fmaf(-n, LN2_HI, y);
    r = fmaf(-n, LN2_LO, r);
    float p = fmaf(fmaf(fmaf(fmaf(fmaf(C7, r, C6), r, C5), r, C4), r, C3), r, C2);
    return fmaf(r * r, p, r);
}

static float clamp_c(float y, float lo, float hi)
{
    y = lo > y ? lo : y; /* as the vector max(lo, y): NaN stays */
    return hi < y ? hi : y;
}

static float exp_c(float y)
{
    uint32_t n;
    float q = reduce_c(clamp_c(y, LO_EXP, HI_EXP), &n);
    uint32_t half = (n + 150u) >> 1; /* n in [-150, 129]: n1 = half - 75, n2 = n - n1 */
    float s1 = float_of((half + 52u) << 23), s2 = float_of((n - half + 202u) << 23);
    return fmaf(q, s1, s1) * s2;
}

static float tanh_c(float x)
{
    uint32_t n;
    float q = reduce_c(clamp_c(-2.0f * fabsf(x), LO_TANH, 0.0f), &n);
    float s = float_of((n + 127u) << 23);
    float m = fmaf(s, q, s - 1.0f);
    float t = -m / (2.0f + m);
    return float_of((bits_of(t) & 0x7fffffffu) | (bits_of(x) & 0x80000000u));
}

static float sigmoid_c(float x)
{
    float e = exp_c(-fabsf(x));
    return (x < 0 ? e : 1.0f) / (1.0f + e);
}

static void run_c(enum op op, const float *x, float a, float b, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = op == OP_EXP ? exp_c((x[i] - a) - b) : op == OP_TANH ? tanh_c(x[i]) : sigmoid_c(x[i]);
}

#ifdef RW_FASTMATH_X86
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- AVX2 + FMA: 8 lanes -------------------------------------------------------- */
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 ALWAYS_INLINE __m256 reduce_avx2(__m256 y, __m256i *n_bits)
{
    __m256 t = _mm256_fmadd_ps(y, _mm256_set1_ps(LOG2E), _mm256_set1_ps(MAGIC));
    __m256 n = _mm256_sub_ps(t, _mm256_set1_ps(MAGIC));
    *n_bits = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32((int)MAGIC_BITS));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), y);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(C7), r, _mm256_set1_ps(C6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C2));
    return _mm256_fmadd_ps(_mm256_mul_ps(r, r), p, r);
}

AVX2 ALWAYS_INLINE __m256 clamp_avx2(__m256 y, float lo, float hi)
{
    return _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), y));
}

AVX2 ALWAYS_INLINE __m256 scale_avx2(__m256i n, int add) /* 2^(n + add - 127) */
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(add)), 23));
}

AVX2 ALWAYS_INLINE __m256 exp_avx2(__m256 y)
{
    __m256i n;
    __m256 q = reduce_avx2(clamp_avx2(y, LO_EXP, HI_EXP), &n);
    __m256i half = _mm256_srli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(150)), 1);
    __m256 s1 = scale_avx2(half, 52), s2 = scale_avx2(_mm256_sub_epi32(n, half), 202);
    return _mm256_mul_ps(_mm256_fmadd_ps(q, s1, s1), s2);
}

AVX2 ALWAYS_INLINE __m256 tanh_avx2(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256i n;
    __m256 y = _mm256_mul_ps(_mm256_set1_ps(-2.0f), _mm256_andnot_ps(sign, x));
    __m256 q = reduce_avx2(clamp_avx2(y, LO_TANH, 0.0f), &n);
    __m256 s = scale_avx2(n, 127);
    __m256 m = _mm256_fmadd_ps(s, q, _mm256_sub_ps(s, _mm256_set1_ps(1.0f)));
    __m256 t = _mm256_div_ps(_mm256_xor_ps(m, sign), _mm256_add_ps(_mm256_set1_ps(2.0f), m));
    return _mm256_or_ps(_mm256_andnot_ps(sign, t), _mm256_and_ps(sign, x));
}

AVX2 ALWAYS_INLINE __m256 sigmoid_avx2(__m256 x)
{
    __m256 e = exp_avx2(_mm256_or_ps(_mm256_set1_ps(-0.0f), x)); /* e^-|x| */
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, neg);
    return _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

AVX2 ALWAYS_INLINE __m256 apply_avx2(enum op op, __m256 x, float a, float b)
{
    if (op == OP_EXP)
        return exp_avx2(_mm256_sub_ps(_mm256_sub_ps(x, _mm256_set1_ps(a)), _mm256_set1_ps(b)));
    return op == OP_TANH ? tanh_avx2(x) : sigmoid_avx2(x);
}

/* mask for the last n % 8 elements: 8 - n entries of -1 read from here + n */
static const int32_t TAIL_MASK[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

AVX2 ALWAYS_INLINE void run_avx2_op(enum op op, const float *x, float a, float b, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, apply_avx2(op, _mm256_loadu_ps(x + i), a, b));
    if (i < n) {
        __m256i m = _mm256_loadu_si256((const __m256i *)(TAIL_MASK + 8 - (n - i)));
        _mm256_maskstore_ps(y + i, m, apply_avx2(op, _mm256_maskload_ps(x + i, m), a, b));
    }
}

AVX2 static void run_avx2(enum op op, const float *x, float a, float b, float *y, size_t n)
{
    switch (op) { /* a constant op in each copy of the loop */
    case OP_EXP: run_avx2_op(OP_EXP, x, a, b, y, n); break;
    case OP_TANH: run_avx2_op(OP_TANH, x, a, b, y, n); break;
    default: run_avx2_op(OP_SIGMOID, x, a, b, y, n); break;
    }
}

/* ---- AVX-512F: 16 lanes --------------------------------------------------------- */
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

AVX512 ALWAYS_INLINE __m512 reduce_avx512(__m512 y, __m512i *n_bits)
{
    __m512 t = _mm512_fmadd_ps(y, _mm512_set1_ps(LOG2E), _mm512_set1_ps(MAGIC));
    __m512 n = _mm512_sub_ps(t, _mm512_set1_ps(MAGIC));
    *n_bits = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32((int)MAGIC_BITS));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), y);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(C7), r, _mm512_set1_ps(C6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C2));
    return _mm512_fmadd_ps(_mm512_mul_ps(r, r), p, r);
}

AVX512 ALWAYS_INLINE __m512 clamp_avx512(__m512 y, float lo, float hi)
{
    return _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), y));
}

AVX512 ALWAYS_INLINE __m512 scale_avx512(__m512i n, int add) /* 2^(n + add - 127) */
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(add)), 23));
}

/* AVX-512F has no float and/or/xor (they are DQ): the sign work is on integers */
AVX512 ALWAYS_INLINE __m512 with_bits_avx512(__m512 x, uint32_t and_mask, __m512 or_from, uint32_t or_mask)
{
    __m512i v = _mm512_and_epi32(_mm512_castps_si512(x), _mm512_set1_epi32((int)and_mask));
    __m512i o = _mm512_and_epi32(_mm512_castps_si512(or_from), _mm512_set1_epi32((int)or_mask));
    return _mm512_castsi512_ps(_mm512_or_epi32(v, o));
}

AVX512 ALWAYS_INLINE __m512 exp_avx512(__m512 y)
{
    __m512i n;
    __m512 q = reduce_avx512(clamp_avx512(y, LO_EXP, HI_EXP), &n);
    __m512i half = _mm512_srli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(150)), 1);
    __m512 s1 = scale_avx512(half, 52), s2 = scale_avx512(_mm512_sub_epi32(n, half), 202);
    return _mm512_mul_ps(_mm512_fmadd_ps(q, s1, s1), s2);
}

AVX512 ALWAYS_INLINE __m512 tanh_avx512(__m512 x)
{
    __m512i n;
    __m512 y = _mm512_mul_ps(_mm512_set1_ps(-2.0f), _mm512_abs_ps(x));
    __m512 q = reduce_avx512(clamp_avx512(y, LO_TANH, 0.0f), &n);
    __m512 s = scale_avx512(n, 127);
    __m512 m = _mm512_fmadd_ps(s, q, _mm512_sub_ps(s, _mm512_set1_ps(1.0f)));
    __m512 t = _mm512_div_ps(_mm512_sub_ps(_mm512_setzero_ps(), m), _mm512_add_ps(_mm512_set1_ps(2.0f), m));
    return with_bits_avx512(t, 0x7fffffffu, x, 0x80000000u);
}

AVX512 ALWAYS_INLINE __m512 sigmoid_avx512(__m512 x)
{
    __m512 minus_abs = _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
    __m512 e = exp_avx512(minus_abs);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 num = _mm512_mask_blend_ps(neg, _mm512_set1_ps(1.0f), e);
    return _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

AVX512 ALWAYS_INLINE __m512 apply_avx512(enum op op, __m512 x, float a, float b)
{
    if (op == OP_EXP)
        return exp_avx512(_mm512_sub_ps(_mm512_sub_ps(x, _mm512_set1_ps(a)), _mm512_set1_ps(b)));
    return op == OP_TANH ? tanh_avx512(x) : sigmoid_avx512(x);
}

AVX512 ALWAYS_INLINE void run_avx512_op(enum op op, const float *x, float a, float b, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, apply_avx512(op, _mm512_loadu_ps(x + i), a, b));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, apply_avx512(op, _mm512_maskz_loadu_ps(m, x + i), a, b));
    }
}

AVX512 static void run_avx512(enum op op, const float *x, float a, float b, float *y, size_t n)
{
    switch (op) {
    case OP_EXP: run_avx512_op(OP_EXP, x, a, b, y, n); break;
    case OP_TANH: run_avx512_op(OP_TANH, x, a, b, y, n); break;
    default: run_avx512_op(OP_SIGMOID, x, a, b, y, n); break;
    }
}
#endif /* RW_FASTMATH_X86 */
#endif /* RW_DOUBLE */

/* ---- choosing and dispatching ------------------------------------------------------ */

static const char *const KERNEL_NAMES[] = { "c", "avx2", "avx512" };

const char *rwi_fastmath_kernel_name(rwi_fastmath_kernel k)
{
    return k >= RWI_FASTMATH_C && k <= RWI_FASTMATH_AVX512 ? KERNEL_NAMES[k] : "?";
}

const char *rw_fastmath_kernel(void)
{
    return rwi_fastmath_kernel_name(rwi_fastmath_kernel_used());
}

bool rwi_fastmath_kernel_runs(rwi_fastmath_kernel k)
{
    if (k == RWI_FASTMATH_C)
        return true;
#ifdef RW_FASTMATH_X86
    rw_cpu_features cpu = rw_cpu_detect();
    if (k == RWI_FASTMATH_AVX2)
        return cpu.avx2 && cpu.fma3;
    if (k == RWI_FASTMATH_AVX512)
        return cpu.avx512f && cpu.avx2 && cpu.fma3;
#endif
    return false;
}

rwi_fastmath_kernel rwi_fastmath_kernel_used(void)
{
    static _Atomic int chosen = -1; /* the same choice on every thread, so a race is harmless */
    int k = atomic_load(&chosen);
    if (k >= 0)
        return (rwi_fastmath_kernel)k;
    k = RWI_FASTMATH_AVX512;
    while (k > RWI_FASTMATH_C && !rwi_fastmath_kernel_runs((rwi_fastmath_kernel)k))
        k--;
    const char *env = getenv("RW_FASTMATH");
    for (int i = 0; env && i < k; i++)
        if (!strcmp(env, KERNEL_NAMES[i]))
            k = i;
    atomic_store(&chosen, k);
    return (rwi_fastmath_kernel)k;
}

static void run(rwi_fastmath_kernel k, enum op op, const rw_real *x, rw_real a, rw_real b, rw_real *y, size_t n)
{
#ifdef RW_FASTMATH_X86
    if (k == RWI_FASTMATH_AVX512) {
        run_avx512(op, x, a, b, y, n);
        return;
    }
    if (k == RWI_FASTMATH_AVX2) {
        run_avx2(op, x, a, b, y, n);
        return;
    }
#endif
    (void)k;
    run_c(op, x, a, b, y, n);
}

void rwi_fast_tanh_on(rwi_fastmath_kernel k, const rw_real *x, rw_real *y, size_t n) { run(k, OP_TANH, x, 0, 0, y, n); }
void rwi_fast_sigmoid_on(rwi_fastmath_kernel k, const rw_real *x, rw_real *y, size_t n) { run(k, OP_SIGMOID, x, 0, 0, y, n); }
void rwi_fast_exp_on(rwi_fastmath_kernel k, const rw_real *x, rw_real a, rw_real b, rw_real *y, size_t n)
{
    run(k, OP_EXP, x, a, b, y, n);
}

void rwi_fast_tanh(const rw_real *x, rw_real *y, size_t n) { run(rwi_fastmath_kernel_used(), OP_TANH, x, 0, 0, y, n); }
void rwi_fast_sigmoid(const rw_real *x, rw_real *y, size_t n) { run(rwi_fastmath_kernel_used(), OP_SIGMOID, x, 0, 0, y, n); }
void rwi_fast_exp(const rw_real *x, rw_real a, rw_real b, rw_real *y, size_t n)
{
    run(rwi_fastmath_kernel_used(), OP_EXP, x, a, b, y, n);
}

double rwi_exp_row(const rw_real *x, size_t c, rw_real *e, rw_real *max)
{
    rw_real m = x[0];
    for (size_t j = 1; j < c; j++)
        m = x[j] > m ? x[j] : m;
    rwi_fast_exp(x, m, 0, e, c);
    double z = 0;
    for (size_t j = 0; j < c; j++)
        z += (double)e[j];
    *max = m;
    return z;
}
