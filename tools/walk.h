/* tools/walk.h - running a model over examples (rw_model_read_examples) in
 * evaluation mode and visiting each prediction with its target, for
 * `rewind predict` and `rewind eval`; and the metrics eval reports. */
#ifndef REWIND_TOOLS_WALK_H
#define REWIND_TOOLS_WALK_H

#include <stdio.h>
#include <rewind.h>

/* One prediction: example `example` (its position in the files), step
 * `step` (-1 for a per-sequence output). out: the output row (probabilities
 * or values, `width` of them); truth: the target class / token (-1: none)
 * or, for real targets, `width` values. input: the step's input token
 * (-1 for real inputs or per-sequence outputs). */
typedef struct walk_item {
    int example, step;
    const rw_real *out;
    int width;
    int truth;
    const rw_real *truth_values;
    int input;
} walk_item;

typedef void (*walk_visit)(void *ctx, const rw_model *m, const walk_item *it);

/* Visits every prediction of every example; *loss_sum / *weight (may be
 * NULL) receive the weighted losses, as rw_train's validation counts them. */
rw_status walk_examples(rw_model *m, const rw_seqdata *d, walk_visit visit, void *ctx, double *loss_sum,
                        double *weight);

/* ---- metrics (eval_metrics.c) ---- */

typedef struct eval_metrics {
    int classes;          /* > 0: class targets (per-class counts kept) */
    long *tp, *fp, *fn;   /* [classes] */
    long correct, count;
    double sq, abs;       /* real targets: sums of squared / absolute errors */
    long values;
} eval_metrics;

/* classes: 0 for real targets. */
rw_status eval_metrics_init(eval_metrics *e, int classes);
void eval_metrics_free(eval_metrics *e);
void eval_metrics_class(eval_metrics *e, int predicted, int truth);
void eval_metrics_value(eval_metrics *e, double predicted, double truth);
/* "accuracy 98.50% (197 of 200)" and a per-class precision/recall table,
 * or "mse 0.0123  mae 0.0871 (500 values)". name(id) names a class. */
void eval_metrics_print(FILE *f, const eval_metrics *e, const char *(*name)(const rw_model *, int), const rw_model *m);

/* Only the per-class table (one line per class seen), and zeroing the counts. */
void eval_metrics_print_classes(FILE *f, const eval_metrics *e, const char *(*name)(const rw_model *, int),
                                const rw_model *m);
void eval_metrics_reset(eval_metrics *e);

/* The likeliest entry of a row. */
int walk_argmax(const rw_real *row, int n);

#endif
