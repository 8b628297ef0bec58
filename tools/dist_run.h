/* tools/dist_run.h - `mpirun -np K rewind train`: the shard of every batch
 * this process trains on (dist_source.c), and joining and leaving the job. */
#ifndef REWIND_TOOLS_DIST_RUN_H
#define REWIND_TOOLS_DIST_RUN_H

#include <rewind.h>

/* A source that hands the loss this process' columns (rw_dist_shard) of
 * each batch of `inner` (whose batches are rw_model_batch), and tells
 * rw_train which columns they are (for the dropout masks). Its weight is
 * the number of loss terms in the shard, so that the gradient average is
 * exact with padding; its tokens are the whole batch's, so the progress
 * line shows the job's throughput. A carried recurrent state is kept for
 * the shard's streams and reset with every epoch, as the inner source's.
 * A validation source (`validation`) also takes batches smaller than the
 * number of processes (a last batch): the processes without a column of
 * one skip it. */
typedef struct dist_source {
    rw_train_source inner;
    rw_model *m;
    int32_t *buf;                 /* the shard's inputs, targets, lengths, labels */
    size_t cap;
    rw_tensor inputs, targets, lengths, labels;
    rw_model_batch batch;
    rw_model_state *state;        /* for the shard's columns, when the inner batches carry one */
    double weight;
    int first, count, total;      /* the current batch's columns: [first, first + count) of total */
    bool validation;
} dist_source;

rw_train_source dist_source_wrap(dist_source *d, rw_model *m, rw_train_source inner, bool validation);
void dist_source_free(dist_source *d);

/* Joins the job when started by mpirun (rw_dist_launched); else nothing. */
rw_status dist_join(int *argc, char ***argv);
/* Leaves it: after a failure of this process, ends every process
 * (rw_dist_abort) so that none waits for this one; else finalizes. */
int dist_leave(int status);

#endif
