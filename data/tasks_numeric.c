/* The real-valued tasks, written as tsv_vectors lines ("x m;x m;...<TAB>
 * target"). Every number is a whole count of thousandths, printed from the
 * integer, so that a file is the same bytes everywhere and holds exactly the
 * values its targets were computed from. */
#include <stdlib.h>
#include "tasks_internal.h"

/* v thousandths as "-0.250". */
static void put_milli(FILE *out, long v)
{
    fprintf(out, "%s%ld.%03ld", v < 0 ? "-" : "", labs(v) / 1000, labs(v) % 1000);
}

/* Uniform thousandths in [lo, hi). */
static long milli(rwi_task_rng *r, long lo, long hi) { return lo + rwi_task_below(r, (int)(hi - lo)); }

/* The adding problem (Hochreiter & Schmidhuber 1997): step t reads x_t in
 * [0, 1) and a marker; one step in each half is marked, and the target is
 * the sum of the two marked x. */
void rwi_task_adding(rwi_task_rng *r, int T, int split, int n, FILE *out)
{
    (void)split;
    for (int e = 0; e < n; e++) {
        int first = rwi_task_below(r, T / 2), second = T / 2 + rwi_task_below(r, T - T / 2);
        long sum = 0;
        for (int t = 0; t < T; t++) {
            long x = milli(r, 0, 1000);
            int mark = t == first || t == second;
            sum += mark ? x : 0;
            if (t)
                fputc(';', out);
            put_milli(out, x);
            fprintf(out, " %d", mark);
        }
        fputc('\t', out);
        put_milli(out, sum);
        fputc('\n', out);
    }
}

/* The sign of the first input: T values in [-1, 1); the class is "+" when
 * the first is >= 0, else "-". The other T - 1 values are noise to outlast. */
void rwi_task_sign(rwi_task_rng *r, int T, int split, int n, FILE *out)
{
    (void)split;
    for (int e = 0; e < n; e++) {
        long first = 0;
        for (int t = 0; t < T; t++) {
            long x = milli(r, -1000, 1000);
            first = t ? first : x;
            if (t)
                fputc(';', out);
            put_milli(out, x);
        }
        fprintf(out, "\t%s\n", first >= 0 ? "+" : "-");
    }
}

/* The larger of two streams: step t reads (a_t, b_t) in [0, 1)^2; the class
 * is "a" when the a stream's sum is the larger (ties: "a"), else "b". */
void rwi_task_larger(rwi_task_rng *r, int T, int split, int n, FILE *out)
{
    (void)split;
    for (int e = 0; e < n; e++) {
        long diff = 0;
        for (int t = 0; t < T; t++) {
            long a = milli(r, 0, 1000), b = milli(r, 0, 1000);
            diff += a - b;
            if (t)
                fputc(';', out);
            put_milli(out, a);
            fputc(' ', out);
            put_milli(out, b);
        }
        fprintf(out, "\t%s\n", diff >= 0 ? "a" : "b");
    }
}

/* The sum of the inputs: T values in [-1, 1); the target is their sum. */
void rwi_task_sum(rwi_task_rng *r, int T, int split, int n, FILE *out)
{
    (void)split;
    for (int e = 0; e < n; e++) {
        long sum = 0;
        for (int t = 0; t < T; t++) {
            long x = milli(r, -1000, 1000);
            sum += x;
            if (t)
                fputc(';', out);
            put_milli(out, x);
        }
        fputc('\t', out);
        put_milli(out, sum);
        fputc('\n', out);
    }
}
