/* Metrics in rw_train: computed at each validation through the observe
 * callback, passed to the progress callback, written to the CSV log. */
#include "train_fixture.h"

/* The fixture's loss is cross_entropy(logits, targets): score those. */
static rw_status observe(rw_graph *g, void *b, rw_node *loss, rw_metrics *m, void *ctx)
{
    (void)g;
    (void)b;
    (void)ctx;
    return rw_metrics_add_scores(m, &loss->in[0]->value, &loss->in[1]->value, NULL);
}

typedef struct seen {
    int validations;
    double valid_loss, values[4];
} seen;

static void on_progress(const rw_train_progress *p, void *ctx)
{
    seen *s = ctx;
    if (!p->validated)
        return;
    cr_assert_eq(p->metric_count, 4);
    s->validations++;
    s->valid_loss = p->valid_loss;
    for (int i = 0; i < 4; i++)
        s->values[i] = p->metric_values[i];
}

Test(train_metrics, computed_at_each_validation_shown_and_logged)
{
    rw_rng rng = rw_rng_seed(3);
    source tr = { 0 }, va = { 0 };
    make_blobs(&tr, &rng, 8, 16);
    make_blobs(&va, &rng, 2, 32);
    for (int i = 0; i < va.n; i++)
        va.b[i]->valid = true;
    model m;
    model_init(&m, 5);
    rw_optim *opt = rw_adam_new(m.P, &(rw_adam_opts){ .lr = 0.05 });
    rw_train_source ts = as_source(&tr), vs = as_source(&va);
    rw_metric list[4];
    const char *names[4] = { "accuracy", "top2", "perplexity", "f1" };
    for (int i = 0; i < 4; i++)
        cr_assert_eq(rw_metric_parse(names[i], &list[i]), RW_OK);
    rw_metrics *acc = rw_metrics_new(CLS);
    seen s = { 0 };
    char *log = temp_path("metrics.csv");
    rw_status st = rw_train(m.P, opt, ts, model_loss, &m, &(rw_train_opts){
        .epochs = 3, .valid = &vs, .keep_last = true, .log_path = log, .progress = on_progress, .progress_ctx = &s,
        .metrics = acc, .observe = observe, .metric_list = list, .metric_count = 4 }, NULL);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_eq(s.validations, 3);
    /* perplexity is exp(mean cross-entropy) = exp(validation loss) (equal batch sizes) */
    rwt_assert_close(s.values[2], exp(s.valid_loss), 1e-4, "perplexity %g vs exp(loss %g)", s.values[2], s.valid_loss);
    /* accuracy of the final parameters (keep_last: those of the last validation), in plain C */
    long right = 0, total = 0;
    rw_graph *g = rw_graph_new();
    for (int k = 0; k < va.n; k++) {
        rw_graph_reset(g);
        rw_node *logits = forward(g, &m, va.b[k])->in[0];
        for (size_t i = 0; i < va.b[k]->y->size; i++, total++) {
            const rw_real *z = logits->value.data + i * CLS;
            int best = z[1] > z[0] ? 1 : 0;
            best = z[2] > z[best] ? 2 : best;
            right += best == va.b[k]->y->idata[i];
        }
    }
    rw_graph_free(g);
    rwt_assert_close(s.values[0], (double)right / (double)total, 1e-12, "accuracy");
    cr_assert(s.values[1] >= s.values[0] && s.values[1] <= 1, "top2 >= accuracy");
    cr_assert(s.values[3] > 0 && s.values[3] <= 1, "f1 %g", s.values[3]);
    /* the log */
    FILE *f = fopen(log, "r");
    cr_assert_not_null(f);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "step,epoch,split,loss,grad_norm,lr,accuracy,top2,perplexity,f1\n");
    int valid_rows = 0;
    while (fgets(line, sizeof line, f)) {
        int commas = 0;
        for (char *c = line; *c; c++)
            commas += *c == ',';
        cr_assert_eq(commas, 9, "%s", line);
        if (strstr(line, ",valid,")) {
            valid_rows++;
            cr_assert_null(strstr(line, ",,,,\n"), "a validation row has its metrics: %s", line);
        } else {
            cr_assert(strstr(line, ",,,,\n"), "a training row has empty metric cells: %s", line);
        }
    }
    fclose(f);
    unlink(log);
    cr_assert_eq(valid_rows, 3);
    rw_metrics_free(acc);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&tr);
    free_source(&va);
}

Test(train_metrics, bad_metric_options_are_refused)
{
    rw_rng rng = rw_rng_seed(3);
    source tr = { 0 };
    make_blobs(&tr, &rng, 2, 8);
    model m;
    model_init(&m, 5);
    rw_optim *opt = rw_sgd_new(m.P, &(rw_sgd_opts){ .lr = 0.1 });
    rw_metric list[1] = { { .kind = RW_METRIC_ACCURACY } };
    rw_train_source ts = as_source(&tr);
    cr_assert_neq(rw_train(m.P, opt, ts, model_loss, &m, &(rw_train_opts){
        .epochs = 1, .valid = &ts, .metric_list = list, .metric_count = 1 }, NULL), RW_OK);
    cr_assert(strstr(rw_last_error(), "without an accumulator"), "%s", rw_last_error());
    rw_metrics *acc = rw_metrics_new(CLS);
    cr_assert_neq(rw_train(m.P, opt, ts, model_loss, &m, &(rw_train_opts){
        .epochs = 1, .metrics = acc, .observe = observe, .metric_list = list, .metric_count = 1 }, NULL), RW_OK);
    cr_assert(strstr(rw_last_error(), "validation source"), "%s", rw_last_error());
    rw_metrics_free(acc);
    rw_optim_free(opt);
    rw_params_free(m.P);
    free_source(&tr);
}
