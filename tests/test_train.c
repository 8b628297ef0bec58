/* The training loop: learning, early stopping, the CSV log, the logged
 * gradient norms, and the batcher as a source. */
#include "train_fixture.h"



Test(train, a_small_net_learns)
{
    rw_rng rng = rw_rng_seed(11);
    source s = { 0 };
    make_blobs(&s, &rng, 4, 32);
    model m;
    model_init(&m, 1);
    rw_optim *opt = rw_adam_new(m.P, &(rw_adam_opts){ .lr = 0.02 });
    recorder rec = { 0 };
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 25, .clip_norm = 5, .progress = record, .progress_ctx = &rec },
                            &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.reason, RW_TRAIN_EPOCHS_DONE);
    cr_assert_eq(r.steps, 100);
    cr_assert_eq(r.last_step, 100);
    cr_assert_eq(r.epochs, 25);
    cr_assert_eq(s.epochs_started, 25);
    cr_assert_eq(rw_optim_steps(opt), 100);
    cr_assert_eq(rec.n, 100);
    double first = (rec.loss[0] + rec.loss[1] + rec.loss[2] + rec.loss[3]) / 4;
    double last = (rec.loss[96] + rec.loss[97] + rec.loss[98] + rec.loss[99]) / 4;
    cr_log_info("loss %g -> %g", first, last);
    cr_assert_lt(last, 0.3 * first, "loss %g -> %g", first, last);
    cr_assert(isnan(r.best_valid_loss));
    cr_assert_eq(r.best_step, -1);
    cr_assert_eq(m.eval_mode_in_train, 0, "training steps run in training mode");
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
}

/* Validation points are the training points, one in four with another label:
 * the validation loss first falls, then rises as the net memorizes. */
static void make_conflict(source *train, source *valid, rw_rng *rng)
{
    train->n = valid->n = 1;
    batch *t = train->b[0] = new_batch(12, false), *v = valid->b[0] = new_batch(12, true);
    for (int i = 0; i < 12; i++) {
        int c = i % CLS;
        t->y->idata[i] = c;
        v->y->idata[i] = i % 4 == 3 ? (c + 1) % CLS : c;
        for (int d = 0; d < IN; d++)
            t->x->data[i * IN + d] = v->x->data[i * IN + d] = (rw_real)(rw_rng_uniform(rng) * 2 - 1);
    }
}

static void early_stopping(bool keep_last)
{
    rw_rng rng = rw_rng_seed(5);
    source train = { 0 }, valid = { 0 };
    make_conflict(&train, &valid, &rng);
    model m;
    model_init(&m, 2);
    rw_optim *opt = rw_adam_new(m.P, &(rw_adam_opts){ .lr = 0.05 });
    recorder rec = { .P = m.P };
    rw_train_source vs = as_source(&valid);
    rw_train_result r;
    const char *log = temp_path("early.csv");
    rw_status st = rw_train(m.P, opt, as_source(&train), model_loss, &m,
                            &(rw_train_opts){ .epochs = 2000, .valid = &vs, .valid_every = 0, .patience = 5,
                                              .min_delta = 1e-4, .keep_last = keep_last, .log_path = log,
                                              .progress = record, .progress_ctx = &rec },
                            &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.reason, RW_TRAIN_EARLY_STOP, "reason: %s", rw_train_stop_name(r.reason));
    cr_log_info("early stop: best %g at step %ld, %ld steps", r.best_valid_loss, r.best_step, r.steps);
    cr_assert_gt(r.best_step, 3, "the validation loss fell first (best at step %ld)", r.best_step);
    cr_assert_eq(r.steps, r.best_step + 5, "stopped %d validations after the best", 5);
    cr_assert_eq(r.validations, r.steps, "one validation per epoch of one batch");
    cr_assert_eq(m.train_mode_in_eval, 0, "validation runs in evaluation mode");
    cr_assert_eq(m.eval_calls, r.validations);
    cr_assert_not_null(rec.best);
    if (keep_last) {
        cr_assert(!r.restored_best);
        cr_assert(params_equal(m.P, rec.last));
    } else {
        cr_assert(r.restored_best);
        cr_assert(params_equal(m.P, rec.best), "the best parameters come back bit for bit");
        cr_assert(!params_equal(m.P, rec.last), "and they differ from the last ones");
    }
    /* The validation loss of the restored parameters is the best one. */
    rw_graph *g = rw_graph_new();
    rw_node *L = forward(g, &m, valid.b[0]);
    if (!keep_last)
        cr_assert_eq((double)rw_scalar(L), r.best_valid_loss);
    rw_graph_free(g);
    free(rec.best);
    free(rec.last);
    unlink(log);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&train);
    free_source(&valid);
}

Test(train, early_stopping_restores_the_best_parameters) { early_stopping(false); }
Test(train, early_stopping_can_keep_the_last_parameters) { early_stopping(true); }

/* Reads the CSV log: returns the rows (up to max) after checking the header. */
typedef struct row {
    long step;
    int epoch;
    char split[8];
    double loss, norm, lr;
    bool has_norm;
} row;

static int read_log(const char *path, row *rows, int max)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no log at %s", path);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "step,epoch,split,loss,grad_norm,lr\n");
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        row *r = &rows[n++];
        char *p = line, *end;
        r->step = strtol(p, &end, 10);
        cr_assert_eq(*end, ',', "%s", line);
        r->epoch = (int)strtol(end + 1, &end, 10);
        cr_assert_eq(*end, ',', "%s", line);
        p = end + 1;
        size_t k = strcspn(p, ",");
        cr_assert_lt(k, sizeof r->split);
        memcpy(r->split, p, k);
        r->split[k] = '\0';
        r->loss = strtod(p + k + 1, &end);
        cr_assert_eq(*end, ',', "%s", line);
        r->has_norm = end[1] != ',';
        r->norm = r->has_norm ? strtod(end + 1, &end) : 0;
        r->lr = r->has_norm ? strtod(end + 1, &end) : 0;
    }
    fclose(f);
    return n;
}

Test(train, csv_log_has_one_row_per_step_and_per_validation)
{
    rw_rng rng = rw_rng_seed(3);
    source s = { 0 }, v = { 0 };
    make_blobs(&s, &rng, 3, 8);
    make_blobs(&v, &rng, 2, 8);
    for (int i = 0; i < v.n; i++)
        v.b[i]->valid = true;
    model m;
    model_init(&m, 3);
    rw_optim *opt = sgd(m.P, 0.1);
    rw_train_source vs = as_source(&v);
    const char *log = temp_path("log.csv");
    rw_train_result r;
    rw_status st = rw_train(m.P, opt, as_source(&s), model_loss, &m,
                            &(rw_train_opts){ .epochs = 4, .valid = &vs, .valid_every = 5, .log_path = log }, &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    row rows[64];
    int n = read_log(log, rows, 64);
    cr_assert_eq(n, 12 + 2, "12 steps and validations at steps 5 and 10");
    int steps = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].split, "train") == 0) {
            steps++;
            cr_assert_eq(rows[i].step, steps);
            cr_assert_eq(rows[i].epoch, (steps - 1) / 3);
            cr_assert(rows[i].has_norm);
            rwt_assert_close(rows[i].lr, 0.1, 1e-12, "lr");
        } else {
            cr_assert_str_eq(rows[i].split, "valid");
            cr_assert_eq(rows[i].step, steps);
            cr_assert_eq(steps % 5, 0);
            cr_assert(!rows[i].has_norm);
        }
    }
    cr_assert_eq(steps, 12);
    cr_assert_eq(r.validations, 2);
    unlink(log);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&s);
    free_source(&v);
}

/* The logged norms are rw_grad_global_norm before clipping: replay the same
 * training by hand and compare step by step. */
Test(train, logged_gradient_norms_match_rw_grad_global_norm)
{
    rw_rng rng = rw_rng_seed(8);
    source s = { 0 };
    make_blobs(&s, &rng, 3, 10);
    model a, b;
    model_init(&a, 4);
    model_init(&b, 4);
    rw_optim *oa = sgd(a.P, 0.3), *ob = sgd(b.P, 0.3);
    const char *log = temp_path("norm.csv");
    recorder rec = { 0 };
    rw_status st = rw_train(a.P, oa, as_source(&s), model_loss, &a,
                            &(rw_train_opts){ .epochs = 3, .clip_norm = 0.5, .log_path = log, .progress = record,
                                              .progress_ctx = &rec },
                            NULL);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    row rows[16];
    cr_assert_eq(read_log(log, rows, 16), 9);
    rw_graph *g = rw_graph_new();
    int clipped = 0;
    for (int k = 0; k < 9; k++) {
        rw_node *L = forward(g, &b, s.b[k % 3]);
        rw_params_zero_grad(b.P);
        cr_assert_eq(rw_backward(g, L), RW_OK);
        double norm = rw_grad_global_norm(b.P);
        rwt_assert_close(rows[k].norm, norm, 1e-15, "step %d: logged %.17g, expected %.17g", k + 1, rows[k].norm,
                         norm);
        cr_assert_eq(rec.norm[k], norm, "the progress callback sees the same norm");
        rwt_assert_close(rows[k].loss, rw_scalar(L), 1e-7, "step %d loss", k + 1);
        clipped += norm > 0.5;
        rw_clip_global_norm(b.P, 0.5);
        cr_assert_eq(rw_optim_step(ob), RW_OK);
        rw_graph_reset(g);
    }
    cr_assert_gt(clipped, 0, "clipping was active");
    rw_real *vb = snapshot(b.P);
    cr_assert(params_equal(a.P, vb), "the loop trains exactly as the hand-written steps");
    free(vb);
    rw_graph_free(g);
    unlink(log);
    rw_optim_free(oa);
    rw_optim_free(ob);
    rw_params_free(a.P);
    rw_params_free(b.P);
    free_source(&s);
}

/* ---- the batcher as a source: a unigram model of target tokens ---------- */

#define VOCAB 5

static rw_node *unigram_loss(rw_graph *g, void *vb, void *ctx)
{
    const rw_batch *x = vb;
    rw_param *b = ctx;
    rw_node *zeros = rw_leaf_new(g, RW_REAL, rw_shape3(x->target_len, x->size, VOCAB), false);
    return rw_cross_entropy(g, rw_add(g, zeros, rw_param_node(g, b)), rw_const(g, &x->targets));
}

Test(train, batcher_source_trains_a_sequence_model)
{
    rw_rng rng = rw_rng_seed(16);
    rw_seqdata *d = rw_seqdata_new();
    int32_t src[8], tgt[8];
    for (int i = 0; i < 40; i++) {
        int ls = 1 + (int)rw_rng_below(&rng, 8), lt = 1 + (int)rw_rng_below(&rng, 8);
        for (int t = 0; t < ls; t++)
            src[t] = (int32_t)rw_rng_below(&rng, VOCAB);
        for (int t = 0; t < lt; t++) /* token 2 three times as often as the others */
            tgt[t] = rw_rng_uniform(&rng) < 3.0 / 7 ? 2 : (int32_t)rw_rng_below(&rng, VOCAB);
        cr_assert_eq(rw_seqdata_add(d, src, ls, tgt, lt, -1), RW_OK);
    }
    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 8, .order = RW_ORDER_TARGET_LENGTH,
                                                          .shuffle_batches = true, .seed = 3 });
    rw_batcher *vb = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 16, .seed = 4 });
    rw_params *P = rw_params_new();
    rw_param *bias = rw_params_add(P, "bias", rw_shape1(VOCAB));
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.1 });
    rw_train_source ts = rw_batcher_source(b), vs = rw_batcher_source(vb);
    recorder rec = { 0 };
    rw_train_result r;
    rw_status st = rw_train(P, opt, ts, unigram_loss, bias,
                            &(rw_train_opts){ .epochs = 15, .valid = &vs, .progress = record, .progress_ctx = &rec },
                            &r);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(r.steps, 15 * 5);
    cr_assert_eq(r.validations, 15);
    cr_assert_lt(r.best_valid_loss, log((double)VOCAB) - 0.05, "best %g", r.best_valid_loss);
    int best = 0;
    for (int v = 1; v < VOCAB; v++)
        if (bias->value->data[v] > bias->value->data[best])
            best = v;
    cr_assert_eq(best, 2, "the frequent token gets the largest bias");
    rw_optim_free(opt);
    rw_params_free(P);
    rw_batcher_free(b);
    rw_batcher_free(vb);
    rw_seqdata_free(d);
}
