/* tools/curves.h - curves.svg of `rewind train`: the training loss at every
 * step, the validation loss and every metric at each validation, against
 * the step; rewritten in the run directory (next to the checkpoint) at each
 * validation, every few seconds, and when training ends. */
#ifndef REWIND_TOOLS_CURVES_H
#define REWIND_TOOLS_CURVES_H

#include <rewind.h>
#include "train_support.h"

typedef struct curve {
    double *x, *y;
    long n, cap;
} curve;

typedef struct curves {
    char *path;                             /* <run dir>/curves.svg */
    const char *title;
    progress *prog;                         /* the progress line, called first */
    curve train, valid, metric[RW_TRAIN_MAX_METRICS];
    int n_metrics;
    const rw_metric *metric_list;
    double last_write;                      /* seconds into the run */
    bool failed;                            /* a write failed (reported once) */
} curves;

/* The most training-loss points drawn; longer runs are drawn as the means
 * of equal runs of steps. */
#define CURVES_MAX_POINTS 2000

rw_status curves_init(curves *c, const char *checkpoint_path, const char *title, progress *prog);
/* rw_train's progress callback (ctx: a curves): the progress line, then the curves. */
void curves_progress(const rw_train_progress *tp, void *ctx);
/* Writes curves.svg now (through a temporary file and a rename). */
rw_status curves_write(curves *c);
void curves_free(curves *c);

#endif
