/* The training loop: steps, validation, early stopping, CSV log,
 * checkpoints, the non-finite guard and the stop flag. The guard and the
 * keeping of the best parameters live in train_guard.c. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "rewind_internal/alloc.h"
#include "rewind/checkpoint.h"
#include "rewind/train.h"
#include "replicas.h"
#include "train_internal.h"

typedef struct trainer {
    rw_params *P;
    rw_optim *opt;
    rw_train_source src;
    rw_loss_fn loss;
    void *loss_ctx;
    const rw_train_opts *o;
    rw_graph *g;
    rwi_replicas *reps;     /* data-parallel shares (NULL: none) */
    FILE *log;
    rw_real *best;          /* the parameters at the best validation, when kept */
    struct timespec t0;
    long step;              /* steps done, from start_step */
    int epoch;
    long tokens;
    long last_saved;        /* the step of the last checkpoint (-1: none) */
    int bad;                /* validations in a row without improvement */
    double valid_loss;
    double metric_values[RW_TRAIN_MAX_METRICS]; /* at the latest validation */
    double *columns;        /* the extra log columns' values of the latest step */
    rw_train_result r;
} trainer;

const char *rw_train_stop_name(rw_train_stop reason)
{
    switch (reason) {
    case RW_TRAIN_EPOCHS_DONE: return "epochs done";
    case RW_TRAIN_MAX_STEPS: return "max steps reached";
    case RW_TRAIN_EARLY_STOP: return "early stop";
    case RW_TRAIN_STOP_FLAG: return "stopped on request";
    case RW_TRAIN_ERROR: return "error";
    }
    return "unknown";
}

static rw_status check_opts(rw_params *P, rw_optim *opt, const rw_train_source *src, rw_loss_fn loss,
                            const rw_train_opts *o)
{
    const char *bad = !P ? "parameters" : !opt ? "optimizer" : !loss ? "loss callback"
                    : !o ? "options" : !src->next ? "training source's next callback" : NULL;
    if (bad)
        return rw_error(RW_ERR_ARG, "rw_train: NULL %s", bad);
    if (o->epochs < 0 || o->max_steps < 0 || o->start_step < 0 || o->start_epoch < 0)
        return rw_error(RW_ERR_ARG, "rw_train: epochs %d, max_steps %ld, start_step %ld and start_epoch %d "
                        "must be >= 0", o->epochs, o->max_steps, o->start_step, o->start_epoch);
    if (o->epochs == 0 && o->max_steps == 0)
        return rw_error(RW_ERR_ARG, "rw_train: set epochs or max_steps (both are 0: training would never end)");
    if (!(o->clip_norm >= 0) || !(o->clip_value >= 0) || !(o->lr >= 0) || !(o->min_delta >= 0) ||
        isinf(o->clip_norm) || isinf(o->clip_value) || isinf(o->lr))
        return rw_error(RW_ERR_ARG, "rw_train: clip_norm %g, clip_value %g, lr %g and min_delta %g must be "
                        "finite and >= 0", o->clip_norm, o->clip_value, o->lr, o->min_delta);
    if (o->valid_every < 0 || o->patience < 0 || o->checkpoint_every < 0)
        return rw_error(RW_ERR_ARG, "rw_train: valid_every %ld, patience %d and checkpoint_every %ld must be >= 0",
                        o->valid_every, o->patience, o->checkpoint_every);
    if (o->valid && !o->valid->next)
        return rw_error(RW_ERR_ARG, "rw_train: the validation source has no next callback");
    if (o->patience > 0 && !o->valid)
        return rw_error(RW_ERR_ARG, "rw_train: early stopping (patience %d) needs a validation source",
                        o->patience);
    if (o->checkpoint_meta_count < 0 || (o->checkpoint_meta_count > 0 && (!o->checkpoint_meta_keys ||
                                                                           !o->checkpoint_meta_values)))
        return rw_error(RW_ERR_ARG, "rw_train: %d checkpoint metadata strings without their keys or values",
                        o->checkpoint_meta_count);
    if (o->checkpoint_every > 0 && !o->checkpoint_path)
        return rw_error(RW_ERR_ARG, "rw_train: checkpoint_every %ld without a checkpoint_path",
                        o->checkpoint_every);
    rw_status s = rwi_replicas_check(P, src, o);
    return s == RW_OK ? rwi_train_metrics_check(o) : s;
}

static double elapsed(const trainer *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t->t0.tv_nsec);
}

/* Writes one log row (validation rows carry the metrics); a failed write is an I/O error. */
static rw_status log_row(trainer *t, const char *split, double loss, double grad_norm, double lr)
{
    if (!t->log)
        return RW_OK;
    int n;
    if (grad_norm >= 0)
        n = fprintf(t->log, "%ld,%d,%s,%.9g,%.17g,%.10g", t->step, t->epoch, split, loss, grad_norm, lr);
    else
        n = fprintf(t->log, "%ld,%d,%s,%.9g,,", t->step, t->epoch, split, loss);
    if (n >= 0)
        n = rwi_train_metrics_log(t->log, t->o, false, grad_norm >= 0 ? NULL : t->metric_values);
    if (n >= 0)
        n = rwi_train_columns_log(t->log, t->o, false, grad_norm >= 0 ? t->columns : NULL);
    if (n >= 0)
        n = fputc('\n', t->log);
    if (n < 0 || fflush(t->log) != 0)
        return rw_error(RW_ERR_IO, "rw_train: cannot write the log '%s': %s", t->o->log_path, strerror(errno));
    return RW_OK;
}

static rw_status save_checkpoint(trainer *t)
{
    const rw_train_opts *o = t->o;
    rw_status s = rw_checkpoint_save_ex(o->checkpoint_path, t->P, t->opt, o->rng, t->step, o->checkpoint_meta_keys,
                                        o->checkpoint_meta_values, o->checkpoint_meta_count);
    if (s != RW_OK) {
        rw_error_prefix("rw_train: checkpoint at step %ld", t->step);
        return s;
    }
    t->last_saved = t->step;
    return RW_OK;
}

/* A callback's failure: keeps its message, or says it left none. */
static rw_status callback_failed(const trainer *t, rw_status s, const char *what, bool validating)
{
    if (s == RW_OK)
        s = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_STATE;
    if (rw_last_status() == RW_OK)
        rw_error(s, "it failed without an error message");
    if (validating)
        rw_error_prefix("rw_train: validation after step %ld (epoch %d): %s", t->step, t->epoch, what);
    else
        rw_error_prefix("rw_train: step %ld (epoch %d): %s", t->step + 1, t->epoch, what);
    return s;
}

/* Runs the whole validation source; *out receives the weighted mean loss. */
static rw_status validate(trainer *t, double *out)
{
    const rw_train_source *v = t->o->valid;
    rw_status s = RW_OK;
    double sum = 0, weights = 0;
    long batches = 0;
    rw_graph_set_training(t->g, false);
    rwi_train_metrics_start(t->o);
    if (v->start_epoch && (s = v->start_epoch(v->ctx, t->epoch)) != RW_OK) {
        s = callback_failed(t, s, "the validation source's start_epoch", true);
        goto done;
    }
    for (;;) {
        void *batch = NULL;
        rw_error_clear();
        if ((s = v->next(v->ctx, &batch)) != RW_OK) {
            s = callback_failed(t, s, "the validation source's next", true);
            goto done;
        }
        if (!batch)
            break;
        rw_graph_reset(t->g);
        rw_error_clear();
        rw_node *L = t->loss(t->g, batch, t->loss_ctx);
        if (!L) {
            s = callback_failed(t, RW_OK, "the loss callback", true);
            goto done;
        }
        if ((s = rwi_train_metrics_observe(t->o, t->g, batch, L, t->loss_ctx)) != RW_OK) {
            s = callback_failed(t, s, "the metrics' observe callback", true);
            goto done;
        }
        double w = v->weight ? v->weight(v->ctx, batch) : 1.0;
        sum += w * (double)rw_scalar(L);
        weights += w;
        batches++;
    }
    if (t->o->after_validation) {
        rw_error_clear();
        s = t->o->after_validation(&sum, &weights, &batches, t->o->metric_count > 0 ? t->o->metrics : NULL,
                                   t->o->after_validation_ctx);
        if (s != RW_OK) {
            s = callback_failed(t, s, "the after_validation hook", true);
            goto done;
        }
    }
    if (batches == 0 || !(weights > 0)) {
        s = rw_error(RW_ERR_ARG, "rw_train: validation after step %ld: the validation source gave %s", t->step,
                     batches ? "batches of total weight 0" : "no batch");
        goto done;
    }
    *out = sum / weights;
    rwi_train_metrics_read(t->o, t->metric_values);
done:
    rw_graph_reset(t->g);
    rw_graph_set_training(t->g, true);
    return s;
}

/* Tells the graph which columns of the whole batch this batch is (the
 * source's shard callback), for the dropout masks. */
static rw_status set_shard(trainer *t, const void *batch)
{
    if (!t->src.shard)
        return RW_OK;
    int first = 0, count = 0, total = 0;
    t->src.shard(t->src.ctx, batch, &first, &count, &total);
    rw_status s = rw_graph_set_batch_shard(t->g, first, count, total);
    return s == RW_OK ? s : callback_failed(t, s, "the source's shard callback", false);
}

/* Validates, logs, tracks the best; *stop_early when patience ran out. */
static rw_status validate_and_track(trainer *t, bool *stop_early)
{
    double vl = NAN;
    rw_status s = validate(t, &vl);
    if (s != RW_OK)
        return s;
    if (t->o->check_finite && !isfinite(vl))
        return rw_error(RW_ERR_NUMERIC, "rw_train: validation after step %ld: the validation loss is %g", t->step,
                        vl);
    if ((s = log_row(t, "valid", vl, -1, 0)) != RW_OK)
        return s;
    t->valid_loss = vl;
    t->r.validations++;
    bool first = t->r.best_step < 0;
    if (isfinite(vl) && (first || vl < t->r.best_valid_loss - t->o->min_delta)) {
        t->r.best_valid_loss = vl;
        t->r.best_step = t->step;
        t->bad = 0;
        if (t->best)
            rwi_train_copy_params(t->P, t->best, false);
    } else {
        t->bad++;
    }
    *stop_early = t->o->patience > 0 && t->bad >= t->o->patience;
    return RW_OK;
}

static void report(trainer *t, double loss, double grad_norm, double lr, bool validated)
{
    if (!t->o->progress)
        return;
    rw_train_progress p = {
        .step = t->step, .epoch = t->epoch, .loss = loss, .grad_norm = grad_norm, .lr = lr,
        .tokens = t->tokens, .seconds = elapsed(t), .valid_loss = t->valid_loss,
        .best_valid_loss = t->r.best_valid_loss, .best_step = t->r.best_step, .validated = validated,
        .metric_count = t->o->metric_count, .metric_list = t->o->metric_list, .metric_values = t->metric_values,
    };
    t->o->progress(&p, t->o->progress_ctx);
}

/* The loss of the whole batch on the trainer's graph, and its backward. */
static rw_status whole_batch_backward(trainer *t, void *batch, double *loss_out)
{
    rw_status s = set_shard(t, batch);
    if (s != RW_OK)
        return s;
    rw_node *L = t->loss(t->g, batch, t->loss_ctx);
    if (!L)
        return callback_failed(t, RW_OK, "the loss callback", false);
    rw_params_zero_grad(t->P);
    s = rw_backward(t->g, L);
    if (s != RW_OK)
        return callback_failed(t, s, "backward from the loss", false);
    *loss_out = (double)rw_scalar(L);
    return RW_OK;
}

/* One step on `batch`: loss, backward, guard, norm, clipping, update. */
static rw_status train_step(trainer *t, void *batch, double *loss_out, double *norm_out, double *lr_out)
{
    const rw_train_opts *o = t->o;
    if (o->lr_fn) {
        double lr = o->lr_fn(t->step, t->epoch, o->lr_ctx);
        if (!isfinite(lr) || lr < 0)
            return rw_error(RW_ERR_ARG, "rw_train: step %ld (epoch %d): the learning-rate callback gave %g",
                            t->step + 1, t->epoch, lr);
        rw_status st = rw_optim_set_lr(t->opt, lr);
        if (st != RW_OK)
            return st;
    }
    *lr_out = rw_optim_lr(t->opt);
    rw_graph_reset(t->g);
    rw_error_clear();
    double w = 0;
    bool split = false;
    rw_status s = t->reps ? rwi_replicas_backward(t->reps, batch, loss_out, &w, &split) : RW_OK;
    if (s != RW_OK)
        return callback_failed(t, s, "the data-parallel shares", false);
    if (!split && (s = whole_batch_backward(t, batch, loss_out)) != RW_OK)
        return s;
    if (o->after_backward) {
        if (!split)
            w = t->src.weight ? t->src.weight(t->src.ctx, batch) : 1.0;
        rw_error_clear();
        if ((s = o->after_backward(t->P, loss_out, w, o->after_backward_ctx)) != RW_OK)
            return callback_failed(t, s, "the after_backward hook", false);
    }
    if (o->check_finite && (s = rwi_train_check_finite(t->P, true, *loss_out)) != RW_OK) {
        rw_error_prefix("rw_train: step %ld (epoch %d)", t->step + 1, t->epoch);
        return s;
    }
    *norm_out = o->clip_norm > 0 ? rw_clip_global_norm(t->P, o->clip_norm) : rw_grad_global_norm(t->P);
    if (o->clip_value > 0)
        rw_clip_value(t->P, o->clip_value);
    if ((s = rw_optim_step(t->opt)) != RW_OK) {
        rw_error_prefix("rw_train: step %ld (epoch %d)", t->step + 1, t->epoch);
        return s;
    }
    if (o->check_finite && (s = rwi_train_check_finite(t->P, false, 0)) != RW_OK) {
        rw_error_prefix("rw_train: step %ld (epoch %d), after the update", t->step + 1, t->epoch);
        return s;
    }
    if (t->src.tokens)
        t->tokens += t->src.tokens(t->src.ctx, batch);
    t->step++;
    t->r.steps++;
    return RW_OK;
}

/* Everything after a step: log, validation, progress, checkpoint. */
static rw_status after_step(trainer *t, double loss, double norm, double lr, bool *stop_early)
{
    const rw_train_opts *o = t->o;
    rw_status s = rwi_train_columns_measure(o, t->step, t->columns);
    if (s == RW_OK)
        s = log_row(t, "train", loss, norm, lr);
    bool validated = false;
    if (s == RW_OK && o->valid && o->valid_every > 0 && t->step % o->valid_every == 0) {
        s = validate_and_track(t, stop_early);
        validated = true;
    }
    if (s != RW_OK)
        return s;
    report(t, loss, norm, lr, validated);
    if (o->checkpoint_every > 0 && t->step % o->checkpoint_every == 0)
        return save_checkpoint(t);
    return RW_OK;
}

static bool stop_requested(const trainer *t) { return t->o->stop && *t->o->stop; }

/* Epoch-end work: count the epoch, validate if it is due, maybe stop early. */
static rw_status end_epoch(trainer *t, double loss, double norm, double lr, bool *stop_early)
{
    t->r.epochs++;
    if (!t->o->valid || t->o->valid_every > 0)
        return RW_OK;
    rw_status s = validate_and_track(t, stop_early);
    if (s == RW_OK)
        report(t, loss, norm, lr, true);
    return s;
}

static rw_status run(trainer *t)
{
    const rw_train_opts *o = t->o;
    rw_status s;
    for (t->epoch = o->start_epoch; o->epochs == 0 || t->epoch < o->epochs; t->epoch++) {
        if (stop_requested(t)) {
            t->r.reason = RW_TRAIN_STOP_FLAG;
            return RW_OK;
        }
        if (o->max_steps && t->step >= o->max_steps) {
            t->r.reason = RW_TRAIN_MAX_STEPS;
            return RW_OK;
        }
        rw_error_clear();
        if (t->src.start_epoch && (s = t->src.start_epoch(t->src.ctx, t->epoch)) != RW_OK)
            return callback_failed(t, s, "the training source's start_epoch", false);
        long batches = 0;
        double loss = NAN, norm = NAN, lr = NAN;
        bool stop_early = false;
        for (;;) {
            if (stop_requested(t)) {
                t->r.reason = RW_TRAIN_STOP_FLAG;
                return RW_OK;
            }
            void *batch = NULL;
            rw_error_clear();
            if ((s = t->src.next(t->src.ctx, &batch)) != RW_OK)
                return callback_failed(t, s, "the training source's next", false);
            if (!batch)
                break;
            /* Fetching first tells an epoch that ends exactly at max_steps
             * (its end-of-epoch validation still runs) from one cut short. */
            if (o->max_steps && t->step >= o->max_steps) {
                t->r.reason = RW_TRAIN_MAX_STEPS;
                return RW_OK;
            }
            batches++;
            if ((s = train_step(t, batch, &loss, &norm, &lr)) != RW_OK)
                return s;
            t->r.last_loss = loss;
            if ((s = after_step(t, loss, norm, lr, &stop_early)) != RW_OK)
                return s;
            if (stop_early) {
                t->r.reason = RW_TRAIN_EARLY_STOP;
                return RW_OK;
            }
        }
        if (batches == 0)
            return rw_error(RW_ERR_ARG, "rw_train: the training source gave no batch in epoch %d", t->epoch);
        if ((s = end_epoch(t, loss, norm, lr, &stop_early)) != RW_OK)
            return s;
        if (stop_early) {
            t->r.reason = RW_TRAIN_EARLY_STOP;
            return RW_OK;
        }
    }
    t->r.reason = RW_TRAIN_EPOCHS_DONE;
    return RW_OK;
}

static rw_status open_log(trainer *t)
{
    if (!t->o->log_path)
        return RW_OK;
    t->log = fopen(t->o->log_path, "w");
    if (!t->log)
        return rw_error(RW_ERR_IO, "rw_train: cannot open the log '%s': %s", t->o->log_path, strerror(errno));
    if (fprintf(t->log, "step,epoch,split,loss,grad_norm,lr") < 0 || rwi_train_metrics_log(t->log, t->o, true, NULL) < 0 ||
        rwi_train_columns_log(t->log, t->o, true, NULL) < 0 ||
        fputc('\n', t->log) < 0 || fflush(t->log) != 0)
        return rw_error(RW_ERR_IO, "rw_train: cannot write the log '%s': %s", t->o->log_path, strerror(errno));
    return RW_OK;
}

/* The end of a run: final checkpoint and best parameters on a clean end. */
static rw_status finish(trainer *t, rw_status s)
{
    if (s == RW_OK && t->o->checkpoint_path && t->last_saved != t->step)
        s = save_checkpoint(t);
    if (s == RW_OK && t->best && t->r.best_step >= 0 && !t->o->keep_last) {
        rwi_train_copy_params(t->P, t->best, true);
        t->r.restored_best = true;
    }
    if (t->log && fclose(t->log) != 0 && s == RW_OK)
        s = rw_error(RW_ERR_IO, "rw_train: cannot write the log '%s': %s", t->o->log_path, strerror(errno));
    t->log = NULL;
    return s;
}

rw_status rw_train(rw_params *P, rw_optim *opt, rw_train_source train, rw_loss_fn loss, void *loss_ctx,
                   const rw_train_opts *o, rw_train_result *result)
{
    trainer t = {
        .P = P, .opt = opt, .src = train, .loss = loss, .loss_ctx = loss_ctx, .o = o,
        .last_saved = -1, .valid_loss = NAN,
        .r = { .last_loss = NAN, .best_valid_loss = NAN, .best_step = -1, .reason = RW_TRAIN_ERROR },
    };
    rw_status s = check_opts(P, opt, &train, loss, o);
    for (int i = 0; i < RW_TRAIN_MAX_METRICS; i++)
        t.metric_values[i] = NAN;
    if (s == RW_OK) {
        t.step = t.r.last_step = o->start_step;
        t.epoch = o->start_epoch;
        clock_gettime(CLOCK_MONOTONIC, &t.t0);
        t.g = rw_graph_new();
        if (!t.g)
            s = rw_last_status();
        else if (o->replicas > 1 && !(t.reps = rwi_replicas_new(t.g, P, loss_ctx, &t.src, loss, o)))
            s = rw_last_status();
    }
    if (s == RW_OK && (s = rwi_train_columns_check(o)) == RW_OK && o->log_column_count > 0 &&
        !(t.columns = rwi_calloc((size_t)o->log_column_count, sizeof *t.columns, "the extra log columns")))
        s = RW_ERR_NOMEM;
    if (s == RW_OK && o->valid && !o->keep_last &&
        !(t.best = rwi_malloc(rw_params_size(P) * sizeof(rw_real), "the best parameters")))
        s = RW_ERR_NOMEM;
    if (s == RW_OK)
        s = open_log(&t);
    if (s == RW_OK && o->lr > 0 && !o->lr_fn)
        s = rw_optim_set_lr(opt, o->lr);
    if (s == RW_OK)
        s = run(&t);
    s = finish(&t, s);
    if (s != RW_OK)
        t.r.reason = RW_TRAIN_ERROR;
    t.r.last_step = t.step;
    if (result)
        *result = t.r;
    rwi_replicas_free(t.reps);
    rw_graph_free(t.g);
    rwi_free(t.best);
    rwi_free(t.columns);
    return s;
}
