/* rw_train's hooks for data-parallel training: after_validation sees (and
 * may change) the validation pass's sums, and a source's shard callback
 * reaches the graph before each training step's loss. Also the metrics'
 * array of sums that rw_dist_valid_hook adds up over processes. */
#include "train_fixture.h"
#include "internal/rewind_internal/metrics_sums.h"

typedef struct sums_seen {
    int calls;
    double loss_sum, weight_sum;
    long batches, classified;
    double scale_loss;    /* multiply the loss sum by this (1: unchanged) */
    double scale_all;     /* ... and both sums by this */
    bool fail;
} sums_seen;

static rw_status see_sums(double *loss_sum, double *weight_sum, long *batches, rw_metrics *metrics, void *ctx)
{
    sums_seen *s = ctx;
    s->calls++;
    s->loss_sum = *loss_sum;
    s->weight_sum = *weight_sum;
    s->batches = *batches;
    s->classified = rw_metrics_classified(metrics);
    if (s->fail)
        return rw_error(RW_ERR_IO, "no answer from rank 1");
    *loss_sum *= s->scale_loss * s->scale_all;
    *weight_sum *= s->scale_all;
    return RW_OK;
}

static rw_status observe(rw_graph *g, void *b, rw_node *loss, rw_metrics *m, void *ctx)
{
    (void)g;
    (void)b;
    (void)ctx;
    return rw_metrics_add_scores(m, &loss->in[0]->value, &loss->in[1]->value, NULL);
}

static void last_valid(const rw_train_progress *p, void *ctx) { *(double *)ctx = p->valid_loss; }

/* One epoch on the blobs with validation and the hook; the validation loss. */
static rw_status run_with_hook(sums_seen *s, double *valid_loss)
{
    rw_rng rng = rw_rng_seed(8);
    source tr = { 0 }, va = { 0 };
    make_blobs(&tr, &rng, 3, 8);
    make_blobs(&va, &rng, 3, 10);
    for (int i = 0; i < va.n; i++)
        va.b[i]->valid = true;
    model m;
    model_init(&m, 2);
    rw_optim *opt = rw_sgd_new(m.P, &(rw_sgd_opts){ .lr = 0.1 });
    rw_train_source ts = as_source(&tr), vs = as_source(&va);
    rw_metric acc;
    cr_assert_eq(rw_metric_parse("accuracy", &acc), RW_OK);
    rw_metrics *mt = rw_metrics_new(CLS);
    rw_status st = rw_train(m.P, opt, ts, model_loss, &m, &(rw_train_opts){
        .epochs = 1, .valid = &vs, .keep_last = true, .metrics = mt, .observe = observe, .metric_list = &acc,
        .metric_count = 1, .after_validation = see_sums, .after_validation_ctx = s, .progress = last_valid,
        .progress_ctx = valid_loss }, NULL);
    rw_metrics_free(mt);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&tr);
    free_source(&va);
    return st;
}

Test(train_hooks, after_validation_sees_the_sums_and_its_changes_count)
{
    sums_seen plain = { .scale_loss = 1, .scale_all = 1 }, doubled = { .scale_loss = 1, .scale_all = 2 },
              halved = { .scale_loss = 0.5, .scale_all = 1 };
    double v_plain = NAN, v_doubled = NAN, v_halved = NAN;
    cr_assert_eq(run_with_hook(&plain, &v_plain), RW_OK, "%s", rw_last_error());
    cr_assert_eq(plain.calls, 1, "one validation, one call");
    cr_assert_eq(plain.batches, 3);
    cr_assert_eq(plain.weight_sum, 3, "no weight callback: every batch weighs 1");
    cr_assert_eq(plain.classified, 30, "the metrics of all 30 validation points");
    rwt_assert_close(v_plain, plain.loss_sum / plain.weight_sum, 1e-15, "the loss is the sums' mean");
    /* every sum twice as large (K processes each validating everything): the same mean */
    cr_assert_eq(run_with_hook(&doubled, &v_doubled), RW_OK, "%s", rw_last_error());
    cr_assert_eq(v_doubled, v_plain);
    cr_assert_eq(run_with_hook(&halved, &v_halved), RW_OK, "%s", rw_last_error());
    rwt_assert_close(v_halved, v_plain / 2, 1e-15, "a changed sum is what rw_train reads");
    sums_seen failing = { .scale_loss = 1, .scale_all = 1, .fail = true };
    double v = NAN;
    cr_assert_eq(run_with_hook(&failing, &v), RW_ERR_IO);
    cr_assert(strstr(rw_last_error(), "after_validation") && strstr(rw_last_error(), "rank 1"), "%s",
              rw_last_error());
}

/* ---- the shard callback ---- */

typedef struct sharded {
    source s;
    int first, count, total;
    int steps_checked;
} sharded;

static void shard_of(void *ctx, const void *batch, int *first, int *count, int *total)
{
    (void)batch;
    const sharded *sh = ctx;
    *first = sh->first;
    *count = sh->count;
    *total = sh->total;
}

static rw_status sh_start(void *ctx, int epoch) { return src_start(&((sharded *)ctx)->s, epoch); }
static rw_status sh_next(void *ctx, void **out) { return src_next(&((sharded *)ctx)->s, out); }

typedef struct checking_model {
    model m;
    sharded *sh;
} checking_model;

static rw_node *checking_loss(rw_graph *g, void *vb, void *ctx)
{
    checking_model *cm = ctx;
    int first, count, total;
    bool on = rw_graph_batch_shard(g, &first, &count, &total);
    if (!((const batch *)vb)->valid) {
        cr_assert(on && first == cm->sh->first && count == cm->sh->count && total == cm->sh->total,
                  "the graph holds columns %d + %d of %d", first, count, total);
        cm->sh->steps_checked++;
    }
    return model_loss(g, vb, &cm->m);
}

Test(train_hooks, the_source_shard_reaches_the_graph_before_each_loss)
{
    rw_rng rng = rw_rng_seed(4);
    sharded sh = { .first = 3, .count = 8, .total = 20 };
    make_blobs(&sh.s, &rng, 4, 8);
    checking_model cm = { .sh = &sh };
    model_init(&cm.m, 1);
    rw_optim *opt = rw_sgd_new(cm.m.P, &(rw_sgd_opts){ .lr = 0.1 });
    rw_train_source ts = { .start_epoch = sh_start, .next = sh_next, .shard = shard_of, .ctx = &sh };
    cr_assert_eq(rw_train(cm.m.P, opt, ts, checking_loss, &cm, &(rw_train_opts){ .epochs = 2 }, NULL), RW_OK, "%s",
                 rw_last_error());
    cr_assert_eq(sh.steps_checked, 8);
    /* columns that do not fit the batch stop training with a message */
    sh.first = 15;
    cr_assert_eq(rw_train(cm.m.P, opt, ts, checking_loss, &cm, &(rw_train_opts){ .epochs = 1 }, NULL), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "shard callback") && strstr(rw_last_error(), "15 to 22"), "%s",
              rw_last_error());
    rw_optim_free(opt);
    rw_params_free(cm.m.P);
    free_source(&sh.s);
}

/* ---- metrics as sums ---- */

/* Adding two accumulators' sums gives the accumulator of both batches. */
Test(train_hooks, metrics_sums_add_up_like_the_batches)
{
    rw_rng rng = rw_rng_seed(12);
    rw_tensor *sa = rw_tensor_new(RW_REAL, rw_shape2(7, 4)), *sb = rw_tensor_new(RW_REAL, rw_shape2(5, 4));
    rw_tensor *ta = rw_tensor_new(RW_INT32, rw_shape1(7)), *tb = rw_tensor_new(RW_INT32, rw_shape1(5));
    rw_rng_fill_normal(&rng, sa, 0, 1);
    rw_rng_fill_normal(&rng, sb, 0, 1);
    rw_tensor *pa = rw_tensor_new(RW_REAL, rw_shape2(7, 4));
    rw_rng_fill_normal(&rng, pa, 0, 1);
    for (int i = 0; i < 7; i++)
        ta->idata[i] = (int32_t)rw_rng_below(&rng, 4);
    for (int i = 0; i < 5; i++)
        tb->idata[i] = (int32_t)rw_rng_below(&rng, 4);
    rw_metrics *a = rw_metrics_new(4), *b = rw_metrics_new(4), *both = rw_metrics_new(4), *added = rw_metrics_new(4);
    cr_assert_eq(rw_metrics_add_scores(a, sa, ta, NULL), RW_OK);
    cr_assert_eq(rw_metrics_add_scores(b, sb, tb, NULL), RW_OK);
    cr_assert_eq(rw_metrics_add_scores(both, sa, ta, NULL), RW_OK);
    cr_assert_eq(rw_metrics_add_scores(both, sb, tb, NULL), RW_OK);
    cr_assert_eq(rw_metrics_add_values(a, pa, sa, NULL), RW_OK);
    cr_assert_eq(rw_metrics_add_values(both, pa, sa, NULL), RW_OK);
    size_t n = rwi_metrics_sums_size(a);
    cr_assert_eq(n, rwi_metrics_sums_size(both));
    cr_assert_eq(rwi_metrics_sums_size(NULL), 0);
    double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
    rwi_metrics_to_sums(a, x);
    rwi_metrics_to_sums(b, y);
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
    rwi_metrics_from_sums(added, x);
    const char *names[] = { "accuracy", "top2", "perplexity", "f1", "precision", "recall", "mse", "mae" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        rw_metric mk;
        cr_assert_eq(rw_metric_parse(names[k], &mk), RW_OK);
        rwt_assert_close(rw_metrics_value(added, mk), rw_metrics_value(both, mk), 1e-12, "%s", names[k]);
    }
    cr_assert_eq(rw_metrics_classified(added), 12);
    cr_assert_eq(rw_metrics_values(added), 28);
    free(x);
    free(y);
    rw_metrics_free(a);
    rw_metrics_free(b);
    rw_metrics_free(both);
    rw_metrics_free(added);
    rw_tensor_free(sa);
    rw_tensor_free(sb);
    rw_tensor_free(pa);
    rw_tensor_free(ta);
    rw_tensor_free(tb);
}
