/* What `rewind eval` reports beyond the loss: accuracy with per-class
 * precision and recall for class targets, mean squared and absolute error
 * for real targets. One small file, so that a metrics module can take it over. */
#include <math.h>
#include <stdlib.h>
#include "walk.h"

rw_status eval_metrics_init(eval_metrics *e, int classes)
{
    *e = (eval_metrics){ .classes = classes };
    if (classes <= 0)
        return RW_OK;
    e->tp = calloc((size_t)classes, sizeof *e->tp);
    e->fp = calloc((size_t)classes, sizeof *e->fp);
    e->fn = calloc((size_t)classes, sizeof *e->fn);
    if (!e->tp || !e->fp || !e->fn) {
        eval_metrics_free(e);
        return rw_error(RW_ERR_NOMEM, "out of memory for the metrics of %d classes", classes);
    }
    return RW_OK;
}

void eval_metrics_free(eval_metrics *e)
{
    free(e->tp);
    free(e->fp);
    free(e->fn);
    e->tp = e->fp = e->fn = NULL;
}

void eval_metrics_class(eval_metrics *e, int predicted, int truth)
{
    if (truth < 0)
        return;
    e->count++;
    e->correct += predicted == truth;
    if (e->classes <= 0 || truth >= e->classes || predicted < 0 || predicted >= e->classes)
        return;
    if (predicted == truth) {
        e->tp[truth]++;
    } else {
        e->fp[predicted]++;
        e->fn[truth]++;
    }
}

void eval_metrics_value(eval_metrics *e, double predicted, double truth)
{
    double d = predicted - truth;
    e->sq += d * d;
    e->abs += fabs(d);
    e->values++;
}

void eval_metrics_print(FILE *f, const eval_metrics *e, const char *(*name)(const rw_model *, int), const rw_model *m)
{
    if (e->values) {
        fprintf(f, "  mse %.6f  mae %.6f  (%ld values)", e->sq / (double)e->values, e->abs / (double)e->values,
                e->values);
        return;
    }
    if (!e->count)
        return;
    fprintf(f, "  accuracy %.2f%% (%ld of %ld)", 100.0 * (double)e->correct / (double)e->count, e->correct, e->count);
    eval_metrics_print_classes(f, e, name, m);
}

void eval_metrics_reset(eval_metrics *e)
{
    for (int c = 0; c < e->classes; c++)
        e->tp[c] = e->fp[c] = e->fn[c] = 0;
    e->correct = e->count = e->values = 0;
    e->sq = e->abs = 0;
}

void eval_metrics_print_classes(FILE *f, const eval_metrics *e, const char *(*name)(const rw_model *, int),
                                const rw_model *m)
{
    for (int c = 0; c < e->classes; c++) {
        long pred = e->tp[c] + e->fp[c], real = e->tp[c] + e->fn[c];
        if (!pred && !real)
            continue;
        const char *n = name ? name(m, c) : NULL;
        fprintf(f, "\n    class %-12s precision %6.2f%%  recall %6.2f%%  (%ld predicted, %ld true)", n ? n : "?",
                pred ? 100.0 * (double)e->tp[c] / (double)pred : 0.0, real ? 100.0 * (double)e->tp[c] / (double)real : 0.0,
                pred, real);
    }
}
