/* The roofline for bench/compare.sh: the GFLOP/s of one large BLIS sgemm
 * (1024 x 1024 x 1024, median of 5) on the kernels and thread count rewind
 * uses, so that a training run's GFLOP/s can be quoted as a fraction of it.
 * rewind chooses BLIS's kernel set before BLIS's first call (rw_blas_prepare);
 * the sgemm here must come after that choice, or BLIS fixes its own
 * (generic, on CPUs it does not know) and the roofline reads far too low.
 *
 *   sgemm_rate [--threads N] [--size N]
 */
#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rewind.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = 1, n = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) n = atoi(argv[i + 1]);
    }
    if (rw_set_threads(threads) != RW_OK || n < 16) {
        fprintf(stderr, "usage: sgemm_rate [--threads N>=1] [--size N>=16]\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c)
        return 1;
    for (size_t i = 0; i < nn; i++)
        a[i] = (float)(i % 13) * 1e-2f, b[i] = (float)(i % 7) * 1e-2f, c[i] = 0;
    float one = 1, zero = 0;
    rw_blas_prepare(); /* the kernel set rewind runs on, fixed before BLIS starts */
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(threads, &rntm);
    double rate[5];
    for (int r = -1; r < 5; r++) { /* one untimed warm-up */
        double t0 = now();
        bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n, n, n, &one, a, n, 1, b, n, 1, &zero, c, n, 1, NULL,
                     &rntm);
        double secs = now() - t0;
        if (r >= 0)
            rate[r] = 2.0 * n * (double)nn / secs / 1e9;
    }
    qsort(rate, 5, sizeof rate[0], by_value);
    printf("{\"sgemm_gflops\": %.1f, \"size\": %d, \"threads\": %d, \"blis_arch\": \"%s\", \"blis_arch_reason\": \"%s\"}\n",
           rate[2], n, threads, rw_blas_arch(), rw_blas_arch_reason());
    free(a);
    free(b);
    free(c);
    return 0;
}
