/* From the train: section to an optimizer and rw_train options. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

rw_optim *rw_model_optim_new(const rw_model *m)
{
    if (!m || !m->P) {
        rw_error(RW_ERR_ARG, "rw_model_optim_new: the model has no parameters (no 'model:' section)");
        return NULL;
    }
    const rw_model_optim_config *o = &m->train.optimizer;
    switch (o->kind) {
    case RW_OPTIM_SGD:
    case RW_OPTIM_MOMENTUM:
        return rw_sgd_new(m->P, &(rw_sgd_opts){ .lr = o->lr, .momentum = o->momentum, .nesterov = o->nesterov,
                                                .weight_decay = o->weight_decay });
    case RW_OPTIM_ADAGRAD:
        return rw_adagrad_new(m->P, &(rw_adagrad_opts){ .lr = o->lr, .eps = o->eps, .weight_decay = o->weight_decay });
    case RW_OPTIM_RMSPROP:
        return rw_rmsprop_new(m->P, &(rw_rmsprop_opts){ .lr = o->lr, .alpha = o->alpha, .eps = o->eps,
                                                        .momentum = o->momentum, .weight_decay = o->weight_decay });
    case RW_OPTIM_ADAM:
    case RW_OPTIM_ADAMW: {
        rw_adam_opts a = { .lr = o->lr, .beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps,
                           .weight_decay = o->weight_decay };
        return o->kind == RW_OPTIM_ADAM ? rw_adam_new(m->P, &a) : rw_adamw_new(m->P, &a);
    }
    }
    rw_error(RW_ERR_ARG, "rw_model_optim_new: unknown optimizer kind %d", (int)o->kind);
    return NULL;
}

/* rw_train calls this before every step with the steps done, resumed ones
 * included: it also sets the teacher-forcing schedule's clock, so that a
 * resumed encoder-decoder feeds with the probability of that step. */
static double schedule_lr(long step, int epoch, void *ctx)
{
    rw_model *m = ctx;
    (void)epoch;
    if (m->s2s)
        rwi_ms2s_set_clock(m, step);
    return rw_schedule_lr(&m->train.schedule, m->train.optimizer.lr, step);
}

/* An interval in steps; "N epochs" needs the data to know an epoch's length. */
static long in_steps(rw_model *m, rw_model_interval iv, const char *what, rw_status *st)
{
    if (!iv.epochs)
        return iv.count;
    long per = rwi_mbatches_per_epoch(m);
    if (per < 1)
        *st = rw_error(RW_ERR_ARG, "model '%s': '%s' is given in epochs, which needs the data to be loaded", m->name,
                       what);
    return iv.count * per;
}

rw_status rw_model_train_opts(rw_model *m, rw_train_opts *o)
{
    if (!m || !o)
        return rw_error(RW_ERR_ARG, "rw_model_train_opts: NULL argument");
    const rw_model_train_config *t = &m->train;
    rw_status st = RW_OK;
    memset(o, 0, sizeof *o);
    o->epochs = t->epochs;
    o->max_steps = t->steps;
    if (!o->epochs && !o->max_steps)
        o->epochs = 1;
    o->clip_norm = t->clip_norm;
    o->clip_value = t->clip_value;
    o->lr = t->optimizer.lr;
    if (t->schedule.kind != RW_SCHEDULE_CONSTANT || t->schedule.warmup || rwi_ms2s_has_schedule(m)) {
        if (t->schedule.kind == RW_SCHEDULE_STEP && t->schedule_every.epochs) {
            long every = in_steps(m, t->schedule_every, "schedule.every", &st);
            m->train.schedule.every = every > 0 ? every : 1;
        }
        o->lr_fn = schedule_lr;
        o->lr_ctx = m;
    }
    bool has_valid = false;
    if (m->d) {
        m->valid_src = rw_model_source(m, RW_SPLIT_VALID, &has_valid);
        if (!has_valid)
            rw_error_clear(); /* no validation split is not an error here */
    }
    if (has_valid) {
        o->valid = &m->valid_src;
        if (!(t->valid_every.epochs && t->valid_every.count == 1))
            o->valid_every = in_steps(m, t->valid_every, "valid_every", &st);
        o->patience = t->patience;
        o->min_delta = t->min_delta;
        o->keep_last = !t->restore_best;
    }
    o->checkpoint_path = t->checkpoint_path;
    o->checkpoint_every = in_steps(m, t->checkpoint_every, "checkpoint.every", &st);
    o->rng = &m->rng;
    if (!m->meta_vocab && m->vocab.tok)
        m->meta_vocab = rw_model_vocab_string(m);
    m->meta_keys[0] = RW_MODEL_META_TEXT;
    m->meta_values[0] = rw_model_text(m);
    m->meta_keys[1] = RW_MODEL_META_VOCAB;
    m->meta_values[1] = m->meta_vocab;
    o->checkpoint_meta_keys = m->meta_keys;
    o->checkpoint_meta_values = m->meta_values;
    o->checkpoint_meta_count = m->meta_vocab ? 2 : 1;
    o->log_path = t->log_path;
    o->check_finite = t->check_finite;
    if (st == RW_OK)
        st = rwi_mmetrics_train_opts(m, o);
    if (st == RW_OK)
        st = rwi_mdiag_train_opts(m, o);
    if (st == RW_OK)
        st = rwi_mreplicas_train_opts(m, o);
    return st;
}
