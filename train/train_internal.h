/* Internal: pieces of the training loop shared between optim/train*.c. */
#ifndef RW_OPTIM_TRAIN_INTERNAL_H
#define RW_OPTIM_TRAIN_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include "rewind/param.h"
#include "rewind/train.h"

/* RW_ERR_NUMERIC naming the first non-finite element: every parameter's
 * value in store order, then (when `grads_and_loss`) every gradient, then
 * the loss. RW_OK when all are finite. */
rw_status rwi_train_check_finite(const rw_params *P, bool grads_and_loss, double loss);

/* Copies every parameter's value into `buf` (rw_params_size elements, in
 * store order), or back from it when `restore`. */
void rwi_train_copy_params(rw_params *P, rw_real *buf, bool restore);

/* train_metrics.c: the metrics of rw_train_opts. RW_ERR_ARG for a bad
 * metric option. */
rw_status rwi_train_metrics_check(const rw_train_opts *o);
/* Appends ",name" per metric to the log header, or per metric "," plus its
 * value (values NULL: empty cells) to a row; the row's newline is the caller's. */
int rwi_train_metrics_log(FILE *log, const rw_train_opts *o, bool header, const double *values);
/* Before a validation: resets the accumulator. After each batch: observes
 * it (RW_OK when there are no metrics). At the end: reads the values. */
void rwi_train_metrics_start(const rw_train_opts *o);
rw_status rwi_train_metrics_observe(const rw_train_opts *o, rw_graph *g, void *batch, rw_node *loss, void *loss_ctx);
void rwi_train_metrics_read(const rw_train_opts *o, double *values);

/* log_columns.c: the extra log columns of rw_train_opts. RW_ERR_ARG for
 * an inconsistent set. */
rw_status rwi_train_columns_check(const rw_train_opts *o);
/* Appends ",name" per extra column to the header, or per column "," plus
 * its value (NAN or values NULL: an empty cell) to a row. */
int rwi_train_columns_log(FILE *log, const rw_train_opts *o, bool header, const double *values);
/* After a step: all NAN, then the callback's values. */
rw_status rwi_train_columns_measure(const rw_train_opts *o, long step, double *values);

#endif
