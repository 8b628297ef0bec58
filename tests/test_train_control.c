/* The training loop's controls: the non-finite guard, the stop flag,
 * max steps and schedules, checkpoints, errors, and allocation. */
#include "train_fixture.h"

Test(train, non_finite_guard_names_the_parameter)
{
    rw_rng rng = rw_rng_seed(9);
    source s = { 0 };
    make_blobs(&s, &rng, 2, 8);
    model m;
    model_init(&m, 5);
    m.nan_at = 3;
    rw_optim *opt = sgd(m.P, 0.1);
    const char *ck = temp_path("guard.rwc");
    unlink(ck);
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 5, .check_finite = true, .checkpoint_path = ck }, &r);
    cr_assert_eq(st, RW_ERR_NUMERIC);
    const char *msg = rw_last_error();
    cr_assert(strstr(msg, "'W2'") && strstr(msg, "element 4") && strstr(msg, "step 3"), "message: %s", msg);
    cr_assert(strstr(msg, "gradient") == NULL, "the parameter, not a gradient, is first: %s", msg);
    cr_assert_eq(r.reason, RW_TRAIN_ERROR);
    cr_assert_eq(r.steps, 2);
    cr_assert_eq(rw_optim_steps(opt), 2, "the poisoned step was not applied");
    cr_assert_neq(access(ck, F_OK), 0, "no checkpoint is written on an error");
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

Test(train, non_finite_gradient_is_named)
{
    rw_rng rng = rw_rng_seed(10);
    source s = { 0 };
    make_blobs(&s, &rng, 1, 8);
    /* An infinite input saturates tanh: every value stays finite, but
     * W1's gradient is inf * 0. */
    s.b[0]->x->data[2 * IN + 1] = INFINITY;
    model m;
    model_init(&m, 6);
    rw_optim *opt = sgd(m.P, 0.1);
    rw_real *before = snapshot(m.P);
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 1, .check_finite = true }, NULL);
    cr_assert_eq(st, RW_ERR_NUMERIC);
    const char *msg = rw_last_error();
    cr_assert(strstr(msg, "gradient of parameter 'W1'") && strstr(msg, "element "), "message: %s", msg);
    cr_assert(params_equal(m.P, before), "nothing was applied");
    free(before);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

Test(train, stop_flag_stops_after_the_current_step)
{
    rw_rng rng = rw_rng_seed(12);
    source s = { 0 };
    make_blobs(&s, &rng, 4, 8);
    model m;
    model_init(&m, 7);
    rw_optim *opt = sgd(m.P, 0.1);
    volatile sig_atomic_t stop = 0;
    recorder rec = { .stop = &stop, .stop_at = 6 };
    const char *ck = temp_path("stop.rwc");
    unlink(ck);
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 10, .stop = &stop, .checkpoint_path = ck,
                                              .progress = record, .progress_ctx = &rec },
                            &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.reason, RW_TRAIN_STOP_FLAG);
    cr_assert_eq(r.steps, 6);
    cr_assert_eq(r.epochs, 1);
    cr_assert_eq(m.calls, 6, "no step started after the flag");
    rw_checkpoint *c = rw_checkpoint_open(ck);
    cr_assert_not_null(c, "a checkpoint was saved on stopping: %s", rw_last_error());
    cr_assert_eq(rw_checkpoint_step(c), 6);
    cr_assert_eq(rw_checkpoint_optim_steps(c), 6);
    rw_checkpoint_close(c);
    unlink(ck);
    /* A flag already set: no step at all. */
    rw_status st2 = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                             &(rw_train_opts){ .epochs = 10, .stop = &stop }, &r);
    cr_assert_eq(st2, RW_OK);
    cr_assert_eq(r.steps, 0);
    cr_assert_eq(r.reason, RW_TRAIN_STOP_FLAG);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

static double halving(long step, int epoch, void *ctx)
{
    (void)epoch;
    long *calls = ctx;
    cr_assert_eq(step, *calls, "the schedule sees the steps done so far");
    (*calls)++;
    return 0.1 / (double)(1 << (step / 4));
}

Test(train, max_steps_schedule_and_resume_counts)
{
    rw_rng rng = rw_rng_seed(13);
    source s = { 0 };
    make_blobs(&s, &rng, 3, 8);
    model m;
    model_init(&m, 8);
    rw_optim *opt = sgd(m.P, 0.1);
    recorder rec = { 0 };
    long calls = 0;
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .max_steps = 10, .lr_fn = halving, .lr_ctx = &calls,
                                              .progress = record, .progress_ctx = &rec },
                            &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.reason, RW_TRAIN_MAX_STEPS);
    cr_assert_eq(r.steps, 10);
    cr_assert_eq(r.epochs, 3, "the fourth epoch was cut short");
    cr_assert_eq(rec.lr[0], 0.1);
    cr_assert_eq(rec.lr[4], 0.05);
    cr_assert_eq(rec.lr[9], 0.025);
    /* Resuming at step 10 of 12: two more steps, counted from 10. */
    calls = 10;
    st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                  &(rw_train_opts){ .max_steps = 12, .start_step = 10, .start_epoch = 3, .lr_fn = halving,
                                    .lr_ctx = &calls },
                  &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.steps, 2);
    cr_assert_eq(r.last_step, 12);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

typedef struct peek {
    const char *path;
    volatile sig_atomic_t *stop;
    long at, seen;
} peek;

static void peek_checkpoint(const rw_train_progress *p, void *ctx)
{
    peek *k = ctx;
    if (p->step != k->at)
        return;
    rw_checkpoint *c = rw_checkpoint_open(k->path);
    k->seen = c ? rw_checkpoint_step(c) : -1;
    rw_checkpoint_close(c);
    *k->stop = 1;
}

Test(train, checkpoints_on_schedule)
{
    rw_rng rng = rw_rng_seed(14);
    source s = { 0 };
    make_blobs(&s, &rng, 2, 8);
    model m;
    model_init(&m, 9);
    rw_optim *opt = sgd(m.P, 0.1);
    const char *ck = temp_path("sched.rwc");
    unlink(ck);
    rw_rng state = rw_rng_seed(1);
    const char *keys[] = { "model" }, *values[] = { "a two-layer net" };
    /* At step 5 the scheduled checkpoint of step 4 is on disk; then stop. */
    volatile sig_atomic_t stop = 0;
    peek pk = { .path = ck, .stop = &stop, .at = 5 };
    rw_train_opts o = { .epochs = 3, .checkpoint_path = ck, .checkpoint_every = 4, .rng = &state,
                        .checkpoint_meta_keys = keys, .checkpoint_meta_values = values, .checkpoint_meta_count = 1,
                        .progress = peek_checkpoint, .progress_ctx = &pk, .stop = &stop };
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m, &o, NULL);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(pk.seen, 4, "the scheduled checkpoint");
    rw_checkpoint *c = rw_checkpoint_open(ck);
    cr_assert_not_null(c, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_step(c), 5, "the final checkpoint on stopping");
    cr_assert_str_eq(rw_checkpoint_meta(c, "model"), "a two-layer net");
    rw_rng saved;
    cr_assert(rw_checkpoint_rng(c, &saved));
    cr_assert_eq(saved.key, state.key);
    rw_checkpoint_close(c);
    /* Without the stop: the last scheduled one is at 4, the final at 6. */
    unlink(ck);
    o.progress = NULL;
    o.stop = NULL;
    cr_assert_eq(rw_train(m.P, opt, as_source(&s), model_loss, &m, &o, NULL), RW_OK, "%s", rw_last_error());
    c = rw_checkpoint_open(ck);
    cr_assert_not_null(c, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_step(c), 6);
    rw_checkpoint_close(c);
    unlink(ck);
    /* A checkpoint that cannot be written stops training with the error. */
    st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                  &(rw_train_opts){ .epochs = 3, .checkpoint_path = "/nonexistent-dir/x.rwc", .checkpoint_every = 2 },
                  NULL);
    cr_assert_neq(st, RW_OK);
    cr_assert(strstr(rw_last_error(), "step 2") != NULL, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

Test(train, callback_errors_stop_training)
{
    rw_rng rng = rw_rng_seed(15);
    source s = { 0 };
    make_blobs(&s, &rng, 2, 8);
    model m;
    model_init(&m, 10);
    m.fail_at = 3;
    rw_optim *opt = sgd(m.P, 0.1);
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m, &(rw_train_opts){ .epochs = 3 }, &r);
    cr_assert_eq(st, RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "refuses batch 3") && strstr(rw_last_error(), "step 3"), "%s",
              rw_last_error());
    cr_assert_eq(r.steps, 2);
    cr_assert_eq(r.reason, RW_TRAIN_ERROR);
    /* An empty source is an error, not an endless loop. */
    source empty = { 0 };
    st = rw_train(m.P, opt, as_source(&empty), model_loss, &m, &(rw_train_opts){ .max_steps = 5 }, &r);
    cr_assert_eq(st, RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "no batch") != NULL, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

Test(train, bad_options_are_errors)
{
    model m;
    model_init(&m, 11);
    rw_optim *opt = sgd(m.P, 0.1);
    source s = { 0 };
    rw_train_source src = as_source(&s);
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m, &(rw_train_opts){ 0 }, NULL), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "epochs") != NULL, "%s", rw_last_error());
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m, &(rw_train_opts){ .epochs = 1, .patience = 2 }, NULL),
                 RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "validation") != NULL, "%s", rw_last_error());
    cr_assert_eq(rw_train(m.P, opt, src, NULL, &m, &(rw_train_opts){ .epochs = 1 }, NULL), RW_ERR_ARG);
    cr_assert_eq(rw_train(NULL, opt, src, model_loss, &m, &(rw_train_opts){ .epochs = 1 }, NULL), RW_ERR_ARG);
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m, NULL, NULL), RW_ERR_ARG);
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m, &(rw_train_opts){ .epochs = 1, .clip_norm = -1 }, NULL),
                 RW_ERR_ARG);
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m, &(rw_train_opts){ .epochs = 1, .checkpoint_every = 3 },
                          NULL),
                 RW_ERR_ARG);
    cr_assert_eq(rw_train(m.P, opt, (rw_train_source){ 0 }, model_loss, &m, &(rw_train_opts){ .epochs = 1 }, NULL),
                 RW_ERR_ARG);
    cr_assert_eq(rw_train(m.P, opt, src, model_loss, &m,
                          &(rw_train_opts){ .epochs = 1, .log_path = "/nonexistent-dir/log.csv" }, NULL),
                 RW_ERR_IO);
    cr_assert(strstr(rw_last_error(), "/nonexistent-dir/log.csv") != NULL, "%s", rw_last_error());
    rw_optim_free(opt);
    rw_params_free(m.P);
}

static void count_allocs(const rw_train_progress *p, void *ctx)
{
    size_t *at = ctx;
    if (p->step == 3)
        at[0] = rw_system_alloc_count();
    at[1] = rw_system_alloc_count();
}

Test(train, warm_steps_allocate_nothing)
{
    rw_rng rng = rw_rng_seed(17);
    source s = { 0 }, v = { 0 };
    make_blobs(&s, &rng, 3, 8);
    make_blobs(&v, &rng, 1, 8);
    v.b[0]->valid = true;
    model m;
    model_init(&m, 12);
    rw_optim *opt = rw_adam_new(m.P, &(rw_adam_opts){ .lr = 0.01 });
    rw_train_source vs = as_source(&v);
    size_t at[2] = { 0, 0 };
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 4, .valid = &vs, .valid_every = 2, .clip_norm = 1,
                                              .check_finite = true, .progress = count_allocs, .progress_ctx = at },
                            NULL);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(at[1], at[0], "%zu allocations after the first steps", at[1] - at[0]);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
    free_source(&v);
}
