/* The small-row product kernel (ops/gemm_small.c) on every kernel this CPU
 * runs: values against a double-precision reference over shapes with and
 * without vector tails, strided operands, beta 0 and 1; a row's result is
 * bit for bit the same alone as among other rows; layouts it does not take
 * are refused untouched. */
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"
#include "ops/gemm_small.h"

#ifdef RW_DOUBLE
Test(gemm_small, the_double_build_keeps_blis)
{
    rw_real x = 1, y = 1, z = 0;
    cr_assert_not(rwi_gemm_small(RWI_SMALL_C, 1, 1, 1, &x, 1, 1, &y, 1, 1, 0, &z, 1, 1));
    cr_assert_eq(z, 0, "nothing written");
}
#else
static rw_rng rng;

static void fill(rw_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (rw_real)(2 * rw_rng_uniform(&rng) - 1);
}

static bool runs(rwi_small_kernel k)
{
    rw_cpu_features cpu = rw_cpu_detect();
    return k == RWI_SMALL_C || (k == RWI_SMALL_AVX2 && cpu.avx2 && cpu.fma3) ||
           (k == RWI_SMALL_AVX512 && cpu.avx512f && cpu.avx2 && cpu.fma3);
}

/* C (m x n, strides rsc, csc) (+)= A (m x k, row stride rsa) W^T (W: n x k, row stride ldw) */
static void check_shape(rwi_small_kernel kern, int m, int n, int k, rw_real beta)
{
    int rsa = k + 3, ldw = k + 5, rsc = 1, csc = m + 2; /* C stored column-major, padded */
    rw_real *a = malloc(sizeof *a * (size_t)(m * rsa)), *w = malloc(sizeof *w * (size_t)(n * ldw));
    rw_real *c = malloc(sizeof *c * (size_t)(n * csc)), *c0 = malloc(sizeof *c0 * (size_t)(n * csc));
    fill(a, (size_t)(m * rsa));
    fill(w, (size_t)(n * ldw));
    fill(c0, (size_t)(n * csc));
    memcpy(c, c0, sizeof *c * (size_t)(n * csc));
    cr_assert(rwi_gemm_small(kern, m, n, k, a, rsa, 1, w, 1, ldw, beta, c, rsc, csc), "m %d n %d k %d", m, n, k);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double want = beta != 0 ? c0[i * rsc + j * csc] : 0, scale = 1;
            for (int p = 0; p < k; p++) {
                want += (double)a[i * rsa + p] * (double)w[j * ldw + p];
                scale += fabs((double)a[i * rsa + p] * (double)w[j * ldw + p]);
            }
            double got = c[i * rsc + j * csc];
            cr_assert(fabs(got - want) <= 1e-6 * scale, "%s: m %d n %d k %d beta %g: C[%d,%d] = %.9g, want %.9g",
                      rwi_gemm_small_kernel_name(kern), m, n, k, (double)beta, i, j, got, want);
        }
    for (int j = 0; j < n; j++) /* the padding between columns is untouched */
        for (int i = m; i < csc; i++)
            cr_assert_eq(c[i + j * csc], c0[i + j * csc], "padding written at [%d,%d]", i, j);
    free(a);
    free(w);
    free(c);
    free(c0);
}

Test(gemm_small, matches_a_double_reference_on_every_kernel)
{
    rng = rw_rng_seed(17);
    static const int ns[] = { 1, 3, 4, 5, 17, 114 }, ks[] = { 1, 7, 8, 15, 16, 17, 32, 33, 256 };
    for (rwi_small_kernel kern = RWI_SMALL_C; kern <= RWI_SMALL_AVX512; kern++) {
        if (!runs(kern))
            continue;
        for (int m = 1; m <= rwi_gemm_small_rows(kern); m++)
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                    check_shape(kern, m, ns[ni], ks[ki], (m + ki) % 2 ? 1 : 0);
    }
}

Test(gemm_small, a_row_gives_the_same_bits_alone_and_among_others)
{
    rng = rw_rng_seed(3);
    enum { M = 8, N = 37, K = 41 };
    rw_real a[M * K], w[N * K], all[M * N], one[N];
    fill(a, M * K);
    fill(w, N * K);
    for (rwi_small_kernel kern = RWI_SMALL_C; kern <= RWI_SMALL_AVX512; kern++) {
        if (!runs(kern))
            continue;
        cr_assert(rwi_gemm_small(kern, M, N, K, a, K, 1, w, 1, K, 0, all, N, 1));
        for (int i = 0; i < M; i++) {
            cr_assert(rwi_gemm_small(kern, 1, N, K, a + i * K, K, 1, w, 1, K, 0, one, N, 1));
            cr_assert_arr_eq(one, all + i * N, sizeof one, "%s: row %d differs alone", rwi_gemm_small_kernel_name(kern), i);
        }
    }
}

/* Five to eight rows take their own path on AVX-512 (three outputs at a
 * time, the dot products folded a register at a time): every row's result
 * must have exactly the bits it has alone, on every kernel, with tails in k
 * and n, two slices of k, beta 0 and 1 and C stored either way. */
static void rows_match_alone(rwi_small_kernel kern, int m, int n, int k, rw_real beta, bool c_by_rows)
{
    int rsa = k + 1, ldw = k + 2, rsc = c_by_rows ? n + 3 : 1, csc = c_by_rows ? 1 : m + 1;
    size_t cn = (size_t)(c_by_rows ? m * rsc : n * csc);
    rw_real *a = malloc(sizeof *a * (size_t)(m * rsa)), *w = malloc(sizeof *w * (size_t)(n * ldw));
    rw_real *all = malloc(sizeof *all * cn), *c0 = malloc(sizeof *c0 * cn), *one = malloc(sizeof *one * (size_t)n);
    fill(a, (size_t)(m * rsa));
    fill(w, (size_t)(n * ldw));
    fill(c0, cn);
    memcpy(all, c0, sizeof *all * cn);
    cr_assert(rwi_gemm_small(kern, m, n, k, a, rsa, 1, w, 1, ldw, beta, all, rsc, csc));
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++)
            one[j] = c0[i * rsc + j * csc];
        cr_assert(rwi_gemm_small(kern, 1, n, k, a + i * rsa, rsa, 1, w, 1, ldw, beta, one, 1, 1));
        for (int j = 0; j < n; j++)
            cr_assert(one[j] == all[i * rsc + j * csc], "%s: m %d n %d k %d beta %g: C[%d,%d] = %.9g among rows, %.9g alone",
                      rwi_gemm_small_kernel_name(kern), m, n, k, (double)beta, i, j, (double)all[i * rsc + j * csc],
                      (double)one[j]);
    }
    for (size_t e = 0; e < cn; e++) { /* only C's m x n elements change */
        int i = c_by_rows ? (int)(e / (size_t)rsc) : (int)(e % (size_t)csc);
        int j = c_by_rows ? (int)(e % (size_t)rsc) : (int)(e / (size_t)csc);
        if (i >= m || j >= n)
            cr_assert_eq(all[e], c0[e], "padding written at element %zu", e);
    }
    free(a);
    free(w);
    free(all);
    free(c0);
    free(one);
}

Test(gemm_small, five_to_eight_rows_give_each_row_its_bits_alone)
{
    rng = rw_rng_seed(5);
    static const int ns[] = { 1, 2, 3, 4, 5, 7, 114 }, ks[] = { 1, 15, 16, 17, 33, 256, 1024 + 21 };
    for (rwi_small_kernel kern = RWI_SMALL_C; kern <= RWI_SMALL_AVX512; kern++) {
        if (!runs(kern))
            continue;
        for (int m = 5; m <= 8; m++)
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                    for (int layout = 0; layout < 2; layout++)
                        rows_match_alone(kern, m, ns[ni], ks[ki], (m + ni + ki) % 2 ? 1 : 0, layout);
    }
}

Test(gemm_small, refuses_what_it_does_not_take)
{
    rw_real a[9 * 4] = { 0 }, w[4 * 4] = { 0 }, c[9 * 4], before[9 * 4];
    for (int i = 0; i < 9 * 4; i++)
        c[i] = before[i] = (rw_real)i;
    cr_assert_not(rwi_gemm_small(RWI_SMALL_C, 9, 4, 4, a, 4, 1, w, 1, 4, 0, c, 4, 1), "9 rows go to BLIS");
    cr_assert_eq(rwi_gemm_small_rows(RWI_SMALL_OFF), 0);
    cr_assert_geq(rwi_gemm_small_rows(RWI_SMALL_AVX512), rwi_gemm_small_rows(RWI_SMALL_AVX2));
    cr_assert_not(rwi_gemm_small(RWI_SMALL_C, 2, 4, 4, a, 1, 2, w, 1, 4, 0, c, 4, 1), "A by columns");
    cr_assert_not(rwi_gemm_small(RWI_SMALL_C, 2, 4, 4, a, 4, 1, w, 4, 1, 0, c, 4, 1), "B by rows (W not transposed)");
    cr_assert_not(rwi_gemm_small(RWI_SMALL_OFF, 2, 4, 4, a, 4, 1, w, 1, 4, 0, c, 4, 1), "switched off");
    cr_assert_arr_eq(c, before, sizeof c, "a refused product writes nothing");
    cr_assert_str_eq(rwi_gemm_small_kernel_name(rwi_gemm_small_kernel()),
                     rwi_gemm_small_kernel_name(rwi_gemm_small_kernel()), "decided once");
}
#endif
