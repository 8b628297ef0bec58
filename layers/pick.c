/* Argmax and temperature / top-k sampling over one row of scores. */
#include <math.h>
#include <stdlib.h>
#include "rewind_internal/alloc.h"
#include "pick.h"

int rwi_pick_argmax(const rw_real *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

/* the k-th largest value (k >= 1), by partial selection on a copy */
static double kth_largest(const rw_real *x, int n, int k, double *tmp)
{
    for (int i = 0; i < n; i++)
        tmp[i] = x[i];
    for (int i = 0; i < k; i++) { /* k passes of selection: k is small */
        int m = i;
        for (int j = i + 1; j < n; j++)
            if (tmp[j] > tmp[m])
                m = j;
        double t = tmp[i];
        tmp[i] = tmp[m];
        tmp[m] = t;
    }
    return tmp[k - 1];
}

int rwi_pick_sample(const rw_real *x, int n, double temperature, int top_k, rw_rng *rng)
{
    double cut = -INFINITY;
    if (top_k > 0 && top_k < n) {
        double *tmp = rwi_malloc((size_t)n * sizeof *tmp, "a top-k buffer");
        if (!tmp)
            return rwi_pick_argmax(x, n);
        cut = kth_largest(x, n, top_k, tmp);
        rwi_free(tmp);
    }
    double mx = x[rwi_pick_argmax(x, n)], total = 0;
    for (int i = 0; i < n; i++)
        total += x[i] >= cut ? exp((x[i] - mx) / temperature) : 0;
    double u = rw_rng_uniform(rng) * total;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (x[i] < cut)
            continue;
        last = i;
        u -= exp((x[i] - mx) / temperature);
        if (u < 0)
            return i;
    }
    return last; /* rounding: the last eligible token */
}
