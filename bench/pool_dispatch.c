/* pool_dispatch: what one hand-off to the thread pool costs, to choose the
 * grains of rewind_internal/parallel.h. For loops of n floats (y = a + b,
 * y = tanh-like), it times many calls run whole on one thread and split in
 * two pieces, and prints nanoseconds per call of each: splitting pays off
 * from the n where the split call is the cheaper one. On a loaded machine
 * compare runs, not single numbers.
 *
 *   pool_dispatch [REPEATS]     (2 threads; prints one JSON line per n) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <rewind.h>
#include "rewind_internal/parallel.h"

typedef struct job {
    const float *a, *b;
    float *y;
} job;

static void add_piece(void *ctx, size_t lo, size_t hi)
{
    const job *j = ctx;
    for (size_t i = lo; i < hi; i++)
        j->y[i] = j->a[i] + j->b[i];
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ns per call: the fastest of 5 rounds of `calls` calls */
static double time_calls(size_t n, size_t grain, int calls, job *j)
{
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            rwi_parallel_for(n, grain, 16, add_piece, j);
        double dt = (now() - t0) / calls * 1e9;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 2000;
    if (calls < 1 || rw_set_threads(2) != RW_OK)
        return 1;
    enum { MAX = 1 << 16 };
    float *a = calloc(MAX, sizeof *a), *b = calloc(MAX, sizeof *b), *y = calloc(MAX, sizeof *y);
    if (!a || !b || !y)
        return 1;
    job j = { a, b, y };
    for (size_t n = 512; n <= MAX; n *= 2) {
        double whole = time_calls(n, n, calls, &j), split = time_calls(n, 16, calls, &j);
        printf("{\"n\": %zu, \"whole_ns\": %.0f, \"split_ns\": %.0f}\n", n, whole, split);
    }
    free(a);
    free(b);
    free(y);
    return 0;
}
