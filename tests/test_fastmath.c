/* The vectorized exp, tanh and sigmoid (ops/fastmath.c) on every variant
 * this CPU runs: the error in ulp against double-precision libm over a sweep
 * of all floats (every STRIDE-th bit pattern, denser in [1/16, 1] where tanh
 * is hardest) and at ±0, ±inf, NaN, the denormals and the overflow edges;
 * every variant gives the same bits (NaN for NaN); an element's result does not depend on
 * its position, the array's length or alignment, or computing in place.
 * RW_TEST_SWEEP_STRIDE=1 sweeps all 2^32 floats (minutes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"
#include "ops/fastmath.h"

enum { N_FUNCS = 3 };
static const char *const FUNC_NAMES[N_FUNCS] = { "exp", "tanh", "sigmoid" };

static void apply(rwi_fastmath_kernel k, int f, const rw_real *x, rw_real *y, size_t n)
{
    if (f == 0)
        rwi_fast_exp_on(k, x, 0, 0, y, n);
    else if (f == 1)
        rwi_fast_tanh_on(k, x, y, n);
    else
        rwi_fast_sigmoid_on(k, x, y, n);
}

static double reference(int f, double x)
{
    return f == 0 ? exp(x) : f == 1 ? tanh(x) : 1 / (1 + exp(-x));
}

#ifdef RW_DOUBLE
Test(fastmath, the_double_build_keeps_libm)
{
    rw_real x[5] = { -800, -3, 0, 0.5, 30 }, y[5];
    for (int f = 0; f < N_FUNCS; f++) {
        apply(rwi_fastmath_kernel_used(), f, x, y, 5);
        for (int i = 0; i < 5; i++)
            cr_assert(y[i] == reference(f, x[i]) || fabs(y[i] - reference(f, x[i])) <= 1e-15 * fabs(y[i]),
                      "%s(%g)", FUNC_NAMES[f], x[i]);
    }
    cr_assert_eq(rwi_fastmath_kernel_used(), RWI_FASTMATH_C);
}
#else
/* A float's place on the line of all floats: ulp distance is a difference. */
static int64_t ordinal(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    int64_t mag = u & 0x7fffffffu;
    return u >> 31 ? -mag : mag;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

typedef struct sweep {
    float *x;
    size_t n;
} sweep;

static sweep make_sweep(void)
{
    const char *env = getenv("RW_TEST_SWEEP_STRIDE");
    uint64_t stride = env && atoi(env) > 0 ? (uint64_t)atoi(env) : 4099;
    uint64_t dense = stride < 67 ? stride : 67, lo = 0x3d800000u, hi = 0x3f800000u; /* [1/16, 1] */
    size_t cap = (size_t)((1ull << 32) / stride + 2 * (hi - lo) / dense + 64);
    sweep s = { malloc(cap * sizeof(float)), 0 };
    cr_assert_not_null(s.x);
    for (uint64_t u = 0; u < (1ull << 32); u += stride)
        s.x[s.n++] = float_of((uint32_t)u);
    for (uint64_t u = lo; u < hi; u += dense) {
        s.x[s.n++] = float_of((uint32_t)u);
        s.x[s.n++] = -float_of((uint32_t)u);
    }
    const float special[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 1.17549435e-38f,
                              1.1754942e-38f, -1.1754942e-38f, 88.72283f, 88.72284f, 88.7f, 89.0f, 100.0f,
                              -87.33654f, -87.5f, -100.0f, -103.9f, -103.97208f, -104.0f, -150.0f, 1e30f,
                              -1e30f, 0.0625f, -0.0625f, 0.34657359f, 0.5493061f, 9.0f, 9.01f, 20.0f, -20.0f,
                              1e-8f, -1e-8f, 3e-4f, 1.0f, -1.0f };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        s.x[s.n++] = special[i];
    return s;
}

static bool kernel_runs(rwi_fastmath_kernel k) { return rwi_fastmath_kernel_runs(k); }

Test(fastmath, errors_within_a_few_ulp_of_libm_on_every_variant)
{
    const int64_t bound[N_FUNCS] = { 1, 2, 2 }; /* exp, tanh, sigmoid */
    sweep s = make_sweep();
    float *y = malloc(s.n * sizeof *y);
    cr_assert_not_null(y);
    for (int k = RWI_FASTMATH_C; k <= RWI_FASTMATH_AVX512; k++) {
        if (!kernel_runs((rwi_fastmath_kernel)k))
            continue;
        for (int f = 0; f < N_FUNCS; f++) {
            apply((rwi_fastmath_kernel)k, f, s.x, y, s.n);
            int64_t worst = 0;
            float worst_x = 0;
            for (size_t i = 0; i < s.n; i++) {
                float want = (float)reference(f, s.x[i]);
                if (isnan(want)) {
                    cr_assert(isnan(y[i]), "%s %s(NaN) gave %g", rwi_fastmath_kernel_name(k), FUNC_NAMES[f],
                              y[i]);
                    continue;
                }
                cr_assert(!isnan(y[i]), "%s %s(%a) gave NaN", rwi_fastmath_kernel_name(k), FUNC_NAMES[f],
                          s.x[i]);
                int64_t d = llabs(ordinal(y[i]) - ordinal(want));
                if (d > worst)
                    worst = d, worst_x = s.x[i];
            }
            cr_log_info("%s %s: %zu inputs, max error %lld ulp (at %a)", rwi_fastmath_kernel_name(k),
                        FUNC_NAMES[f], s.n, (long long)worst, worst_x);
            fprintf(stderr, "fastmath %s %s: %zu inputs, max error %lld ulp (at %a)\n",
                    rwi_fastmath_kernel_name(k), FUNC_NAMES[f], s.n, (long long)worst, worst_x);
            cr_assert_leq(worst, bound[f], "%s %s: %lld ulp at %a", rwi_fastmath_kernel_name(k), FUNC_NAMES[f],
                          (long long)worst, worst_x);
        }
    }
    free(y);
    free(s.x);
}

Test(fastmath, exact_at_the_edges)
{
    const float x[] = { INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f, 200.0f, -200.0f };
    enum { N = sizeof x / sizeof *x };
    const float want[N_FUNCS][N] = {
        { INFINITY, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, INFINITY, 0.0f },
        { 1.0f, -1.0f, 0.0f, -0.0f, 1e-45f, -1e-45f, 1.0f, -1.0f },
        { 1.0f, 0.0f, 0.5f, 0.5f, 0.5f, 0.5f, 1.0f, 0.0f },
    };
    float y[N];
    for (int k = RWI_FASTMATH_C; k <= RWI_FASTMATH_AVX512; k++)
        for (int f = 0; kernel_runs((rwi_fastmath_kernel)k) && f < N_FUNCS; f++) {
            apply((rwi_fastmath_kernel)k, f, x, y, N);
            for (int i = 0; i < N; i++)
                cr_assert(ordinal(y[i]) == ordinal(want[f][i]) && signbit(y[i]) == signbit(want[f][i]),
                          "%s %s(%g) = %a, want %a", rwi_fastmath_kernel_name(k), FUNC_NAMES[f], x[i], y[i],
                          want[f][i]);
        }
    /* a denormal result: e^-100 = 3.72e-44 is 26.5 denormal steps of 2^-149 */
    float e, m100 = -100.0f;
    rwi_fast_exp(&m100, 0, 0, &e, 1);
    cr_assert(e == float_of(27) || e == float_of(26), "e^-100 = %a", e);
}

Test(fastmath, every_variant_gives_the_same_bits)
{
    sweep s = make_sweep();
    float *y0 = malloc(s.n * sizeof *y0), *y = malloc(s.n * sizeof *y);
    cr_assert(y0 && y);
    for (int f = 0; f < N_FUNCS; f++) {
        apply(RWI_FASTMATH_C, f, s.x, y0, s.n);
        for (int k = RWI_FASTMATH_AVX2; k <= RWI_FASTMATH_AVX512; k++) {
            if (!kernel_runs((rwi_fastmath_kernel)k))
                continue;
            apply((rwi_fastmath_kernel)k, f, s.x, y, s.n);
            for (size_t i = 0; i < s.n; i++) /* NaN's sign and payload may differ */
                cr_assert(!memcmp(&y[i], &y0[i], sizeof *y) || (isnan(y[i]) && isnan(y0[i])), "%s(%a): %s gives %a, c gives %a", FUNC_NAMES[f],
                          s.x[i], rwi_fastmath_kernel_name(k), y[i], y0[i]);
        }
    }
    free(y0);
    free(y);
    free(s.x);
}

/* Each element alone, then in arrays of every length 0..40 starting at
 * every offset 0..17 (so vector bodies, masked tails and misalignment all
 * occur), out of place and in place: the same bits. The shifted exp too. */
Test(fastmath, an_elements_result_does_not_depend_on_its_position)
{
    enum { N = 64 };
    rw_rng rng = rw_rng_seed(7);
    float x[N], alone[N_FUNCS + 1][N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(40 * rw_rng_uniform(&rng) - 20);
    x[5] = NAN, x[9] = -INFINITY, x[20] = 1e-40f, x[33] = -95.0f;
    for (int k = RWI_FASTMATH_C; k <= RWI_FASTMATH_AVX512; k++) {
        if (!kernel_runs((rwi_fastmath_kernel)k))
            continue;
        for (int i = 0; i < N; i++) {
            for (int f = 0; f < N_FUNCS; f++)
                apply((rwi_fastmath_kernel)k, f, &x[i], &alone[f][i], 1);
            rwi_fast_exp_on((rwi_fastmath_kernel)k, &x[i], 1.5f, -0.25f, &alone[N_FUNCS][i], 1);
        }
        for (int off = 0; off < 18; off++)
            for (int len = 0; off + len <= N && len <= 40; len++)
                for (int f = 0; f <= N_FUNCS; f++)
                    for (int in_place = 0; in_place < 2; in_place++) {
                        float *out = in_place ? y + off : y;
                        memcpy(y, x, sizeof y);
                        if (f == N_FUNCS)
                            rwi_fast_exp_on((rwi_fastmath_kernel)k, in_place ? out : x + off, 1.5f, -0.25f, out,
                                            (size_t)len);
                        else
                            apply((rwi_fastmath_kernel)k, f, in_place ? out : x + off, out, (size_t)len);
                        for (int i = 0; i < len; i++)
                            cr_assert(!memcmp(&out[i], &alone[f][off + i], sizeof *out),
                                      "%s f%d off %d len %d elem %d", rwi_fastmath_kernel_name(k), f, off, len, i);
                    }
    }
}

Test(fastmath, the_shifted_exp_subtracts_in_order)
{
    float x[3] = { 1.0f, 90.0f, -3.0f }, y[3], z[3];
    float moved[3] = { (1.0f - 2.5f) - 0.75f, (90.0f - 2.5f) - 0.75f, (-3.0f - 2.5f) - 0.75f };
    rwi_fast_exp(x, 2.5f, 0.75f, y, 3);
    rwi_fast_exp(moved, 0, 0, z, 3);
    cr_assert(!memcmp(y, z, sizeof y));
    cr_assert(fabs(y[1] - exp(86.75)) <= 1e-6 * exp(86.75));
}
#endif
