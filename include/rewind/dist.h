/* rewind/dist.h - data-parallel training over MPI.
 *
 * K processes (started by `mpirun -np K program`) train one model: each
 * builds the same batch of B examples (same data, seed and order), computes
 * the loss and gradients of its own shard of the batch's columns, and the
 * gradients are averaged over the processes, weighted by how many loss terms
 * (tokens) each shard holds, before every update. Every process then applies
 * the same update to the same parameters, so they stay identical, and the
 * run equals one process training on batches of B (docs/scaling.md says how
 * exactly). The gradients travel in a few large messages: they are packed
 * into buckets of rw_dist_train.bucket_bytes and summed by MPI_Allreduce.
 *
 * Built without MPI (-DRW_MPI=OFF, or no MPI found), every function works
 * for one process: rank 0 of 1, and the all-reduce changes nothing.
 *
 *     static volatile sig_atomic_t interrupted;
 *     // the loss of this rank's columns; with dropout it first calls
 *     // rw_graph_set_batch_shard(g, first, count, batch_size), so that the
 *     // masks are the whole batch's (or give the source a shard callback)
 *     rw_node *shard_loss(rw_graph *g, void *batch, void *ctx);
 *     static int train_everywhere(int *argc, char ***argv, rw_params *P, rw_optim *opt,
 *                                 rw_train_source src, int batch_size)
 *     {
 *         if (rw_dist_init(argc, argv) != RW_OK)
 *             return 1;
 *         int first, count;   // the columns of every batch this process trains on
 *         if (rw_dist_shard(batch_size, &first, &count) != RW_OK)
 *             rw_dist_abort(1);
 *         rw_train_opts o = { .max_steps = 100, .clip_norm = 5, .log_path = "train.csv",
 *                             .checkpoint_path = "run.rwc", .stop = &interrupted };
 *         rw_dist_train d = { .bucket_bytes = 8 << 20 };
 *         rw_dist_train_setup(&d, &o);   // hook, agreed stop flag, files on rank 0 only
 *         if (rw_train(P, opt, src, shard_loss, &first, &o, NULL) != RW_OK) {
 *             fprintf(stderr, "rank %d: %s\n", rw_dist_rank(), rw_last_error());
 *             rw_dist_abort(1);          // ends every process, not only this one
 *         }
 *         return rw_dist_finalize() == RW_OK ? 0 : 1;
 *     }
 */
#ifndef REWIND_DIST_H
#define REWIND_DIST_H

#include "rewind/export.h"
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "rewind/error.h"
#include "rewind/param.h"
#include "rewind/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when the library was built with MPI (config.h: RW_HAVE_MPI). */
RW_API bool rw_dist_built(void);

/* True when this process was started by an MPI launcher (mpirun, mpiexec
 * or srun: their environment variables are set), so that a program can
 * call rw_dist_init only then and start quickly otherwise. */
RW_API bool rw_dist_launched(void);

/* Joins the processes of the job (MPI_Init, unless the program did it
 * already; argc and argv may be NULL). Collective: every process calls it.
 * Errors of rewind's communication are returned, not fatal; a collective
 * that waits longer than its timeout ends the process with a message (see
 * rw_dist_train.timeout). Calling it again does nothing. RW_ERR_STATE when
 * MPI cannot start. */
RW_API rw_status rw_dist_init(int *argc, char ***argv);

/* Leaves the job (MPI_Finalize if rw_dist_init started MPI). Every process
 * calls it after its last collective. Without rw_dist_init: nothing. */
RW_API rw_status rw_dist_finalize(void);

/* This process' rank (0 ... size - 1) and the number of processes; 0 and 1
 * before rw_dist_init or without MPI. */
RW_API int rw_dist_rank(void);
RW_API int rw_dist_size(void);

/* Ends every process of the job with exit status `status` (MPI_Abort):
 * what a process does after an error that the others cannot know about,
 * so that they do not wait for it. Without MPI, or before rw_dist_init:
 * exit(status). Does not return. */
RW_API void rw_dist_abort(int status);

/* This process' share of a batch of `batch` columns: *count columns from
 * *first, the first batch % size processes taking one more. RW_ERR_ARG
 * when batch < size (a process would have nothing to train on). */
RW_API rw_status rw_dist_shard(int batch, int *first, int *count);

/* Averages the gradients of P over the processes: each process passes the
 * loss of its shard and the shard's weight (how many terms its mean loss
 * averages over, e.g. real target tokens); afterwards every process holds
 * sum_k(weight_k * grad_k) / sum_k(weight_k), and *loss the same weighted
 * mean of the losses. The gradients go in buckets of `bucket_bytes` (0:
 * 8 MiB), one MPI_Allreduce each. Collective: every process calls it with
 * the same parameter shapes. RW_ERR_ARG when the weights sum to <= 0 or a
 * weight is negative or not finite; RW_ERR_IO when communication fails. */
RW_API rw_status rw_dist_allreduce_grads(rw_params *P, double *loss, double weight, size_t bucket_bytes);

/* Checks that every process holds the same parameter values (bit for bit,
 * by a checksum). Collective. RW_ERR_STATE naming the first rank that
 * differs from rank 0. */
RW_API rw_status rw_dist_check_params(const rw_params *P);

/* The state of a data-parallel rw_train run (see rw_dist_train_setup). */
typedef struct rw_dist_train {
    size_t bucket_bytes;            /* gradient bucket size (0: 8 MiB) */
    /* Seconds one collective may wait for the other processes before this
     * process stops with an error naming the step (0: 120; the environment
     * variable REWIND_DIST_TIMEOUT overrides it). A dead process is usually
     * seen much sooner: mpirun ends the job when one of its processes dies. */
    double timeout;
    /* Set by rw_dist_train_setup: */
    volatile sig_atomic_t *local_stop;  /* this process' own stop flag (the options' stop) */
    volatile sig_atomic_t agreed_stop;  /* set on every process at the same step */
    long steps;                         /* steps averaged so far */
    bool checked;                       /* the parameters were checked equal at the first step */
} rw_dist_train;

/* Makes rw_train options data-parallel: installs rw_dist_train_hook as the
 * after_backward hook and rw_dist_valid_hook as the after_validation hook;
 * replaces the options' stop flag by one that every process sets at the
 * same step when any process' own flag is set; and on
 * every rank but 0 clears the log, the checkpoint and the progress callback
 * (checkpoints are written by rank 0 alone, with rw_train's usual atomic
 * rename; logs and progress are printed once). Call it after the options
 * are complete, and keep `d` alive during rw_train. */
RW_API void rw_dist_train_setup(rw_dist_train *d, rw_train_opts *o);

/* rw_train's after_validation hook (ctx: an rw_dist_train): adds the
 * validation sums (loss times weight, weights, batches) and the metrics'
 * counts of every process up, in one MPI_Allreduce, so that every process
 * reads the loss and metrics of the whole validation set. Meant for runs
 * whose validation source gives each process its share of the validation
 * set (its columns of every validation batch, as `rewind train` does): a
 * validation then costs each process 1/K. If every process validates the
 * whole set instead, every sum is K times as large and the means and
 * metrics are unchanged (up to rounding). Collective. */
RW_API rw_status rw_dist_valid_hook(double *loss_sum, double *weight_sum, long *batches, rw_metrics *metrics,
                                    void *ctx);

/* rw_train's after_backward hook (ctx: an rw_dist_train): the weighted
 * gradient average of rw_dist_allreduce_grads, plus the agreement on the
 * stop flag. At the first step it also checks that every process starts
 * from the same parameters. */
RW_API rw_status rw_dist_train_hook(rw_params *P, double *loss, double weight, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
