/* rewind/train.h - the training loop shared by user programs and the
 * `rewind` command.
 *
 * The caller supplies where batches come from (an rw_train_source: a few
 * callbacks), how to turn a batch into a scalar loss (an rw_loss_fn that
 * records ops on the graph it is given), the parameters, an optimizer, and
 * options. Each step the loop resets its graph, builds the loss, runs
 * backward, measures the global gradient norm, clips, and steps the
 * optimizer; around that it validates, stops early, logs CSV rows, saves
 * checkpoints, guards against non-finite values and honours a stop flag.
 *
 *   rw_train_source src = rw_batcher_source(batcher);
 *   rw_train_result r;
 *   rw_status s = rw_train(P, opt, src, my_loss, &model, &(rw_train_opts){
 *       .epochs = 20, .clip_norm = 5, .valid = &valid_src, .patience = 3,
 *       .log_path = "train.csv", .checkpoint_path = "run.rwc", .checkpoint_every = 500,
 *       .check_finite = true, .stop = &interrupted }, &r);
 */
#ifndef REWIND_TRAIN_H
#define REWIND_TRAIN_H

#include "rewind/export.h"
#include <signal.h>
#include <stdbool.h>
#include "rewind/batch.h"
#include "rewind/graph.h"
#include "rewind/metrics.h"
#include "rewind/optim.h"
#include "rewind/param.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where batches come from. A batch is an opaque pointer handed to the loss
 * callback; it must stay valid until the next call of `next`. */
typedef struct rw_train_source {
    /* Prepares epoch `epoch` (counting from 0); called before every pass,
     * including every validation pass. NULL: nothing to prepare, in which
     * case `next` must itself start over after reporting the end. */
    rw_status (*start_epoch)(void *ctx, int epoch);
    /* Sets *batch to the next batch and returns RW_OK, or sets *batch to
     * NULL at the end of the epoch. Any other status stops training with
     * that error. Required. */
    rw_status (*next)(void *ctx, void **batch);
    /* Real tokens in a batch, for the tokens/second of the progress
     * callback. NULL: every batch counts 0. */
    long (*tokens)(void *ctx, const void *batch);
    /* How many loss terms the batch's (mean) loss averages over; the
     * validation loss is the mean of the batches' losses weighted by it.
     * NULL: every batch weighs 1. */
    double (*weight)(void *ctx, const void *batch);
    void *ctx;
    /* Data-parallel training: the batch is the columns [*first, *first +
     * *count) of a batch of *total that other processes share. rw_train
     * passes them to rw_graph_set_batch_shard before each training step's
     * loss, so that dropout masks are the whole batch's rows (see
     * rewind/graph.h). NULL: the batch is whole (the graph's shard is left
     * as it is). */
    void (*shard)(void *ctx, const void *batch, int *first, int *count, int *total);
    /* Data-parallel training in threads (rw_train_opts.replicas): the
     * number of sequences (columns) in `batch`; and, for replica `part`, a
     * batch of its own holding sequences [first, first + count) of it,
     * with *weight set to that part's weight (as the weight callback would
     * give it). Each part keeps its own storage, valid until the next call
     * of next. A source that carries recurrent state from batch to batch
     * hands each part the state of its sequences, and columns_done (may be
     * NULL) puts the parts' final states back once all `parts` are done.
     * columns and take_columns NULL: the source cannot be split. */
    int (*columns)(void *ctx, const void *batch);
    rw_status (*take_columns)(void *ctx, const void *batch, int part, int first, int count, void **out,
                              double *weight);
    rw_status (*columns_done)(void *ctx, const void *batch, int parts);
} rw_train_source;

/* Builds the loss of `batch` on `g` and returns the scalar loss node, or
 * NULL with an error (rw_error) to stop training. In validation the graph
 * is in evaluation mode (rw_graph_is_training(g) is false). */
typedef rw_node *(*rw_loss_fn)(rw_graph *g, void *batch, void *ctx);

/* What the progress callback sees after every step. */
typedef struct rw_train_progress {
    long step;               /* steps done, counted from the run's start_step */
    int epoch;
    double loss;             /* this step's training loss */
    double grad_norm;        /* the global gradient norm before clipping */
    double lr;               /* the learning rate this step used */
    long tokens;             /* tokens trained on since rw_train began */
    double seconds;          /* wall-clock seconds since rw_train began */
    double valid_loss;       /* the latest validation loss (NAN before the first) */
    double best_valid_loss;  /* the best so far (NAN before the first) */
    long best_step;          /* the step of the best validation (-1 before the first) */
    bool validated;          /* a validation ran after this step */
    /* The options' metric_list and each metric's value at the latest
     * validation (NAN before the first); metric_count 0 without metrics.
     * The array lives only during the callback: copy the values you keep. */
    int metric_count;
    const rw_metric *metric_list;
    const double *metric_values;
} rw_train_progress;

/* One more copy of the model for data-parallel training in threads (see
 * rw_train_opts.replicas). */
typedef struct rw_train_replica {
    /* The copy's parameters: the same model built on a store of its own
     * that then shares the trained store's values (rw_params_share_values). */
    rw_params *P;
    /* The loss callback's context for this copy (the copy of the model). */
    void *loss_ctx;
    /* NULL, or the generator the copy's dropout draws from: set to the
     * options' `rng` before every step, so that every copy draws the masks
     * of the whole batch from where the trained model's generator stands. */
    rw_rng *rng;
} rw_train_replica;

/* The most metrics rw_train_opts.metric_list may name. */
#define RW_TRAIN_MAX_METRICS 16

typedef struct rw_train_opts {
    /* Length: train until `epochs` passes over the source are done and
     * stop once `max_steps` steps are done; both count from 0 and include
     * start_epoch / start_step (0: no limit). At least one must be set. */
    int epochs;
    long max_steps;
    /* Resuming: the step and epoch the run starts at (e.g. from a
     * checkpoint). The epoch starts from its first batch. */
    long start_step;
    int start_epoch;

    /* Gradient clipping, applied after the norm is measured: by global L2
     * norm (rw_clip_global_norm; 0: off), then elementwise to [-v, v]
     * (rw_clip_value; 0: off). */
    double clip_norm;
    double clip_value;

    /* Learning rate: lr_fn(step, epoch, lr_ctx) before each step when set
     * (step counts the steps done before this one); otherwise `lr` when
     * > 0, set once at the start; otherwise the optimizer's own. */
    double (*lr_fn)(long step, int epoch, void *lr_ctx);
    void *lr_ctx;
    double lr;

    /* Validation on a second source: every `valid_every` steps, or at the
     * end of every epoch when 0. The loss callback runs with the graph in
     * evaluation mode and no backward. */
    const rw_train_source *valid;
    long valid_every;
    /* Early stopping on the validation loss: a validation improves when its
     * loss is below the best by more than min_delta; after `patience`
     * validations in a row without improvement training stops (0: never).
     * Whenever there is validation, a copy of the best parameters is kept
     * and restored when training ends cleanly, unless keep_last is set. */
    int patience;
    double min_delta;
    bool keep_last;
    /* Metrics at each validation (metric_count 0: none). `metrics` is reset
     * before each validation; after each validation batch's loss,
     * observe(g, batch, loss, metrics, loss_ctx) adds the batch's predictions
     * (g still holds the batch's nodes, e.g. the logits under the loss).
     * The metric_count metrics named in metric_list (at most
     * RW_TRAIN_MAX_METRICS) are then read, passed to the progress callback
     * and written to the log. */
    rw_metrics *metrics;
    rw_status (*observe)(rw_graph *g, void *batch, rw_node *loss, rw_metrics *metrics, void *loss_ctx);
    const rw_metric *metric_list;
    int metric_count;

    /* A CSV log (NULL: none), overwritten, with the header
     *   step,epoch,split,loss,grad_norm,lr
     * followed by one column per metric ("accuracy", "top5", ...) when
     * metrics are set; one "train" row per step (grad_norm before clipping,
     * empty metric cells), and one "valid" row per validation with its loss,
     * empty grad_norm and lr, and the metrics' values. */
    const char *log_path;
    /* Extra measurements per step (e.g. a model's train.diagnostics):
     * log_column_count more columns after the metrics, named log_columns.
     * After every training step, before validation, log_values(step, values,
     * log_ctx) fills values[0 .. log_column_count) (NAN: an empty cell; on
     * steps it does not measure it leaves them all NAN). Validation rows
     * leave these cells empty. Called with or without a log; a status other
     * than RW_OK stops training with that error. */
    const char *const *log_columns;
    int log_column_count;
    rw_status (*log_values)(long step, double *values, void *log_ctx);
    void *log_ctx;

    /* Checkpoints through rw_checkpoint_save_ex (NULL: none): every
     * `checkpoint_every` steps (0: never on a schedule), and when training
     * ends for any reason other than an error, including the stop flag. The
     * final checkpoint is saved before the best parameters are restored, so
     * it resumes this run exactly. `rng` (may be NULL) is saved with it. */
    const char *checkpoint_path;
    long checkpoint_every;
    const rw_rng *rng;
    /* Metadata strings stored in every checkpoint (rw_checkpoint_save_ex),
     * e.g. the model's definition; n = 0: none. */
    const char *const *checkpoint_meta_keys;
    const char *const *checkpoint_meta_values;
    int checkpoint_meta_count;

    /* Called every step right after backward, before the non-finite check,
     * the gradient norm, clipping and the update, with the step's loss and
     * the batch's weight (the source's weight callback; 1 without one). It
     * may change the gradients and *loss: rw_dist_train_hook averages them
     * over the processes of a data-parallel run. A status other than RW_OK
     * stops training with that error. NULL: none. */
    rw_status (*after_backward)(rw_params *P, double *loss, double weight, void *ctx);
    void *after_backward_ctx;
    /* Called at the end of every validation pass, before its loss and
     * metrics are read, with the pass's sums: the batches' losses times
     * their weights, the weights, the batches, and the metrics' accumulator
     * (the options' metrics when metric_count > 0, else NULL). It may change
     * them: rw_dist_valid_hook adds them up over the processes of a
     * data-parallel run, each of which validated its share. The validation
     * loss is then *loss_sum / *weight_sum (an error when *batches is 0).
     * A status other than RW_OK stops training with that error. NULL: none. */
    rw_status (*after_validation)(double *loss_sum, double *weight_sum, long *batches, rw_metrics *metrics,
                                  void *ctx);
    void *after_validation_ctx;

    /* Data-parallel training in threads: with replicas = N > 1, every
     * training step cuts its batch into N shares of sequences (the source's
     * columns / take_columns; a batch of fewer than N sequences into as many
     * as it has) and computes their losses and gradients at once, one thread
     * each (rw_set_threads(N) or more lets them run side by side): share 0
     * on (P, loss_ctx), share r on replica_list[r - 1], a copy of the model
     * on a store sharing P's values. The gradients are then added into P's,
     * each weighted by its share of the batch's weight, as is the loss; so
     * a step equals the unsplit step up to rounding, and clipping, the
     * update, hooks, the log and checkpoints see one step. Dropout masks are
     * the whole batch's (rw_graph_set_batch_shard). Each thread runs its
     * ops on its own core (no op splits across threads inside a share).
     * Validation runs on share 0's model alone. 0 or 1: no replicas. */
    int replicas;
    const rw_train_replica *replica_list;

    /* Stop with RW_ERR_NUMERIC, before the optimizer applies anything, when
     * the loss, a parameter or a gradient is not finite; the message names
     * the first such parameter (in store order, values before gradients)
     * and the element. Parameters are checked again after each update. */
    bool check_finite;

    /* Called after every step, and once more after the validation that
     * ends an epoch (with `validated` set) when valid_every is 0. NULL: none. */
    void (*progress)(const rw_train_progress *p, void *progress_ctx);
    void *progress_ctx;

    /* When *stop becomes nonzero (e.g. set by a SIGINT handler), training
     * stops after the current step, saving a checkpoint if a path is set. */
    volatile sig_atomic_t *stop;
} rw_train_opts;

typedef enum rw_train_stop {
    RW_TRAIN_EPOCHS_DONE = 0,  /* every epoch ran */
    RW_TRAIN_MAX_STEPS,        /* max_steps reached */
    RW_TRAIN_EARLY_STOP,       /* `patience` validations without improvement */
    RW_TRAIN_STOP_FLAG,        /* the caller's stop flag was set */
    RW_TRAIN_ERROR             /* an error: see rw_train's status and rw_last_error() */
} rw_train_stop;

typedef struct rw_train_result {
    long steps;              /* steps run by this call */
    long last_step;          /* the step count at the end (start_step + steps) */
    int epochs;              /* epochs completed by this call */
    double last_loss;        /* the last step's training loss (NAN if none) */
    double best_valid_loss;  /* NAN when no validation ran */
    long best_step;          /* the step count when the best was seen (-1 if none) */
    int validations;
    bool restored_best;      /* the best parameters were copied back */
    rw_train_stop reason;
} rw_train_result;

/* Trains `P` with `opt` on batches from `train`. Returns RW_OK when training
 * ends cleanly (see result->reason), or the error that stopped it: a bad
 * option (RW_ERR_ARG), a failing callback (its status), a non-finite value
 * (RW_ERR_NUMERIC), a log or checkpoint that could not be written
 * (RW_ERR_IO). On an error the parameters are left as they are, for
 * inspection, and no checkpoint is written. `result` may be NULL. */
RW_API rw_status rw_train(rw_params *P, rw_optim *opt, rw_train_source train, rw_loss_fn loss, void *loss_ctx,
                   const rw_train_opts *o, rw_train_result *result);

/* A name for a stop reason ("epochs done", "early stop", ...). */
RW_API const char *rw_train_stop_name(rw_train_stop reason);

/* A source over a batcher: its batches are `const rw_batch *` (cast the
 * loss callback's `void *batch`); tokens are the batch's real tokens, and
 * the weight is its real target tokens when the data has target sequences,
 * else its number of examples. It cuts batches into shares of examples for
 * replicas (rw_batch_take_columns). The batcher must outlive the source. */
RW_API rw_train_source rw_batcher_source(rw_batcher *b);

#ifdef __cplusplus
}
#endif
#endif
