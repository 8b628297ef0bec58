/* Real-valued data through every layer: rw_seqdata / rw_batcher with real
 * features and targets (padding, masks, the token path unchanged),
 * rw_parse_steps, tsv_vectors models with mse (per sequence and per step,
 * masked) and bce, and data errors named at file:line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw_real_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(real_data, .init = setup, .fini = teardown);

static const char *write_tmp(const char *name, const char *text)
{
    static char path[4][256];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

Test(real_data, parse_steps_reads_vectors_and_names_bad_steps)
{
    rw_real v[16];
    int w = 0;
    cr_assert_eq(rw_parse_steps("0.5 1; 0.25,0 ;0.75\t1", &w, v), 3);
    cr_assert_eq(w, 2);
    cr_assert(v[0] == (rw_real)0.5 && v[2] == (rw_real)0.25 && v[3] == 0 && v[5] == 1);
    w = 2;
    cr_assert_eq(rw_parse_steps("1 2; 3", &w, v), -1);
    cr_assert_str_eq(rw_last_error(), "step 2 has 1 value, expected 2");
    w = 0;
    cr_assert_eq(rw_parse_steps("1 x", &w, v), -1);
    cr_assert_str_eq(rw_last_error(), "step 1: 'x' is not a finite number");
    cr_assert_eq(rw_parse_steps("1;;2", &w, v), -1);
    cr_assert_str_eq(rw_last_error(), "step 2 is empty (steps are separated by ';')");
    w = 0;
    cr_assert_eq(rw_parse_steps("inf", &w, v), -1);
}

Test(real_data, batches_pad_features_and_per_step_values_with_zeros)
{
    rw_seqdata *d = rw_seqdata_new();
    cr_assert_eq(rw_seqdata_set_reals(d, 2, 1, true), RW_OK);
    rw_real x1[] = { 1, 2, 3, 4, 5, 6 }, y1[] = { 7, 8, 9 };
    rw_real x2[] = { -1, -2 }, y2[] = { -3 };
    cr_assert_eq(rw_seqdata_add_example(d, &(rw_example){ .features = x1, .len = 3, .label = -1, .values = y1 }), RW_OK);
    cr_assert_eq(rw_seqdata_add_example(d, &(rw_example){ .features = x2, .len = 1, .label = 4, .values = y2 }), RW_OK);
    /* wrong kinds of example are refused */
    int32_t tok[] = { 1 };
    cr_assert_eq(rw_seqdata_add(d, tok, 1, NULL, 0, -1), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_add_example(d, &(rw_example){ .source = tok, .len = 1, .values = y2 }), RW_ERR_ARG);
    rw_real bad[] = { 1, NAN };
    cr_assert_eq(rw_seqdata_add_example(d, &(rw_example){ .features = bad, .len = 1, .values = y2 }), RW_ERR_ARG);
    cr_assert_eq(rw_seqdata_set_reals(d, 1, 1, false), RW_ERR_STATE);
    cr_assert_eq(rw_seqdata_count(d), 2);

    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 2, .order = RW_ORDER_SOURCE_LENGTH, .seed = 3 });
    cr_assert_not_null(b);
    cr_assert_eq(rw_batcher_start_epoch(b, 0), RW_OK);
    const rw_batch *x = rw_batcher_next(b);
    cr_assert_not_null(x);
    cr_assert_eq(x->features.shape.ndim, 3);
    cr_assert(x->features.shape.dim[0] == 3 && x->features.shape.dim[1] == 2 && x->features.shape.dim[2] == 2);
    cr_assert(x->values.shape.ndim == 3 && x->values.shape.dim[2] == 1);
    int long_col = x->indices[0] == 0 ? 0 : 1, short_col = 1 - long_col;
    for (int t = 0; t < 3; t++) {
        for (int f = 0; f < 2; f++) {
            cr_assert_eq(x->features.data[(t * 2 + long_col) * 2 + f], x1[t * 2 + f]);
            cr_assert_eq(x->features.data[(t * 2 + short_col) * 2 + f], t < 1 ? x2[f] : 0);
        }
        cr_assert_eq(x->values.data[t * 2 + long_col], y1[t]);
        cr_assert_eq(x->values.data[t * 2 + short_col], t < 1 ? y2[0] : 0);
        /* the source tokens mark the steps: 0 inside, RW_PAD past the end */
        cr_assert_eq(x->sources.idata[t * 2 + short_col], t < 1 ? 0 : RW_PAD);
    }
    cr_assert_eq(x->labels.idata[short_col], 4);
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

Test(real_data, token_batches_carry_no_real_tensors)
{
    rw_seqdata *d = rw_seqdata_new();
    int32_t s[] = { 1, 2, 3 };
    cr_assert_eq(rw_seqdata_add(d, s, 3, NULL, 0, 1), RW_OK);
    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 4 });
    rw_batcher_start_epoch(b, 0);
    const rw_batch *x = rw_batcher_next(b);
    cr_assert(x && x->features.size == 0 && x->values.size == 0 && x->sources.size == 3);
    cr_assert_null(rw_seqdata_features(d, 0));
    rw_batcher_free(b);
    rw_seqdata_free(d);
}

/* ---- models ------------------------------------------------------------------ */

static rw_model *load(const char *yaml, const char *const *sets, int n)
{
    const char *path = write_tmp("m.yaml", yaml);
    return rw_model_load(path, &(rw_model_load_opts){ .overrides = sets, .n_overrides = n });
}

static double train_loss(rw_model *m, long steps)
{
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    o.max_steps = steps;
    o.epochs = 0;
    rw_train_result r = { 0 };
    cr_assert_eq(rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m, &o,
                          &r), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    return r.last_loss;
}

#define MODEL(data_kind, target_line, loss, last, size)                                                       \
    "format: rewind/1\n"                                                                                      \
    "data: {kind: " data_kind ", train: d.tsv}\n"                                                             \
    "model:\n"                                                                                                \
    "  inputs: {x: {type: real, width: 2}}\n"                                                                 \
    "  layers:\n"                                                                                             \
    "    - gru: {size: 8" last "}\n"                                                                          \
    "    - linear: {size: " size "}\n"                                                                        \
    "  outputs:\n"                                                                                            \
    "    y: {target: " target_line ", loss: " loss "}\n"                                                      \
    "train: {seed: 3, batch: {size: 4}, optimizer: {type: adam, lr: 0.01}}\n"

/* The first batch of the training data, its loss and its predictions. */
static const rw_model_batch *first_batch(rw_model *m)
{
    rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
    cr_assert_eq(src.start_epoch(src.ctx, 0), RW_OK);
    void *b = NULL;
    cr_assert_eq(src.next(src.ctx, &b), RW_OK);
    cr_assert_not_null(b);
    return b;
}

Test(real_data, per_step_mse_and_bce_leave_the_padding_out)
{
    write_tmp("d.tsv", "0.1 0.2; 0.3 0.4; 0.5 0.6\t1; 0; 1\n0.7 0.8\t0\n0.9 1; 0 0\t1; 1\n");
    for (int k = 0; k < 2; k++) {
        rw_model *m = load(k ? MODEL("tsv_vectors", "values", "bce", "", "1") : MODEL("tsv_vectors", "values", "mse", "", "1"),
                           NULL, 0);
        cr_assert_not_null(m, "%s", rw_last_error());
        const rw_model_batch *b = first_batch(m);
        rw_graph *g = rw_graph_new();
        rw_graph_set_training(g, false);
        rw_node *p = rw_model_outputs(g, m, b);
        cr_assert_not_null(p, "%s", rw_last_error());
        int T = b->inputs->shape.dim[0], B = b->inputs->shape.dim[1];
        double want = 0, n = 0;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < B; j++) {
                if (t >= b->lengths->idata[j])
                    continue;
                double y = b->values->data[t * B + j], q = p->value.data[t * B + j];
                want += k ? -(y * log(q) + (1 - y) * log(1 - q)) : (q - y) * (q - y);
                n++;
            }
        cr_assert_eq(n, 6);
        rw_graph_reset(g);
        rw_node *L = rw_model_loss(g, m, b);
        cr_assert_not_null(L, "%s", rw_last_error());
        rwt_assert_close(rw_scalar(L), want / n, 1e-4, "%s: %g vs %g", k ? "bce" : "mse", (double)rw_scalar(L), want / n);
        rw_graph_free(g);
        rw_model_free(m);
    }
}

Test(real_data, sequence_targets_regression_and_classes_learn)
{
    /* the target is the first feature of the last step (regression) / its sign class */
    char *text = malloc(1 << 16), *cls = malloc(1 << 16);
    size_t at = 0, ct = 0;
    rw_rng r = rw_rng_seed(5);
    for (int i = 0; i < 200; i++) {
        int T = 2 + (int)rw_rng_below(&r, 4);
        double last = 0;
        for (int t = 0; t < T; t++) {
            last = rw_rng_uniform(&r) * 2 - 1;
            at += (size_t)sprintf(text + at, "%s%.3f %.3f", t ? ";" : "", last, rw_rng_uniform(&r));
            ct += (size_t)sprintf(cls + ct, "%s%.3f 0", t ? ";" : "", last);
        }
        at += (size_t)sprintf(text + at, "\t%.3f\n", last);
        ct += (size_t)sprintf(cls + ct, "\t%s\n", last > 0 ? "pos" : "neg");
    }
    write_tmp("d.tsv", text);
    rw_model *m = load(MODEL("tsv_vectors", "value", "mse", ", output: last", "1"), NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    double loss = train_loss(m, 300);
    cr_expect_lt(loss, 0.02, "regression loss %g after 300 steps", loss);
    rw_model_free(m);
    write_tmp("d.tsv", cls);
    m = load(MODEL("tsv_vectors", "label", "cross_entropy", ", output: last", "classes"), NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_eq(rw_model_classes(m), 2);
    loss = train_loss(m, 300);
    cr_expect_lt(loss, 0.2, "classification loss %g after 300 steps", loss);
    rw_model_free(m);
    free(text);
    free(cls);
}

static void expect_data_error(const char *yaml, const char *data, const char *fragment)
{
    write_tmp("d.tsv", data);
    rw_model *m = load(yaml, NULL, 0);
    cr_expect_null(m, "loaded, but should fail with %s", fragment);
    rw_model_free(m);
    cr_expect(strstr(rw_last_error(), fragment) != NULL, "expected '%s' in:\n%s", fragment, rw_last_error());
    if (strstr(fragment, "d.tsv")) /* an error in a data file also points at the data: section */
        cr_expect(strstr(rw_last_error(), "m.yaml:2:7: error: ") != NULL, "no position of data: in:\n%s",
                  rw_last_error());
}

Test(real_data, bad_data_lines_are_named_by_file_and_line)
{
    const char *values = MODEL("tsv_vectors", "values", "mse", "", "1");
    expect_data_error(values, "1 2; 3 4\t1; 2\n1 2; 3\t1; 2\n", "d.tsv:2: the steps column: step 2 has 1 value, expected 2");
    expect_data_error(values, "1 2; 3 4\t1; 2\n1 2; 3 4\t1\n", "d.tsv:2: 1 target step for 2 input steps");
    expect_data_error(values, "1 2\t1\n1 2\t1 2\n", "d.tsv:2: the target column: step 1 has 2 values, expected 1");
    expect_data_error(MODEL("tsv_vectors", "values", "bce", "", "1"), "1 2\t1.5\n",
                      "d.tsv:1: target 1.5 is outside [0, 1], as loss bce needs");
    expect_data_error(MODEL("tsv_vectors", "tags", "cross_entropy", "", "classes"), "1 2; 3 4\tA; B\n1 2\tA; B\n",
                      "d.tsv:2: 1 steps but 2 classes");
    expect_data_error(MODEL("tsv_vectors", "value", "mse", ", output: last", "3"), "1 2\t0.5\n",
                      "m.yaml:7:22: error: layer 'linear_2' gives 3 values per sequence, but the targets have 1");
    expect_data_error(values, "1 2\n", "d.tsv:1: expected steps<TAB>target");
}

#define TAGGER(tokens)                                                                                        \
    "format: rewind/1\n"                                                                                      \
    "data: {kind: tsv_tagging, tokens: " tokens ", train: d.tsv}\n"                                           \
    "model:\n"                                                                                                \
    "  layers:\n"                                                                                             \
    "    - embedding: {size: 4}\n"                                                                            \
    "    - gru: {size: 4}\n"                                                                                  \
    "    - linear: {size: classes}\n"                                                                         \
    "  outputs:\n"                                                                                            \
    "    y: {target: tags}\n"

Test(real_data, tagging_lines_need_one_tag_per_token)
{
    expect_data_error(TAGGER("words"), "a b c\tX Y Z\na b\tX\n", "d.tsv:2: 2 tokens but 1 tag; tsv_tagging needs one "
                      "tag per token");
    expect_data_error(TAGGER("chars"), "a b\tX Y\n", "d.tsv:1: 3 tokens but 2 tags; tsv_tagging needs one tag per "
                      "token (tokens: chars counts every character; for space-separated tokens write 'tokens: words')");
    /* classes and vocabulary come from the data; unknown classes in more files are named */
    write_tmp("d.tsv", "a b c\tX Y Z\nb a\tY X\n");
    rw_model *m = load(TAGGER("words"), NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_eq(rw_model_tag_classes(m), 3);
    cr_assert_eq(rw_model_target_kind(m), RW_TARGET_TAGS);
    const char *more = write_tmp("more.tsv", "a b\tX W\n");
    cr_assert_null(rw_model_read_examples(m, &more, 1));
    cr_expect(strstr(rw_last_error(), "more.tsv:1: unknown class 'W' (the model knows 3)"), "%s", rw_last_error());
    more = write_tmp("more.tsv", "c c a\tZ Z X\n");
    rw_seqdata *d = rw_model_read_examples(m, &more, 1);
    cr_assert_not_null(d, "%s", rw_last_error());
    int len;
    const int32_t *tags = rw_seqdata_target(d, 0, &len);
    cr_assert(len == 3 && tags[0] == 2 && tags[1] == 2 && tags[2] == 0);
    rw_seqdata_free(d);
    rw_model_free(m);
}

Test(real_data, lines_make_next_token_pairs_within_each_line)
{
    write_tmp("d.tsv", "ab\nc\n\nabc\n");
    const char *yaml = "format: rewind/1\n"
                       "data: {kind: lines, train: d.tsv, bos: \"^\", eos: \"$\"}\n"
                       "model:\n"
                       "  layers:\n"
                       "    - embedding: {size: 4}\n"
                       "    - gru: {size: 4}\n"
                       "    - linear: {size: vocab}\n"
                       "  outputs:\n"
                       "    y: {target: next}\n";
    rw_model *m = load(yaml, NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_eq(rw_model_vocab_size(m), 6); /* $ ^ a b c <unk> */
    const char *path = write_tmp("more.txt", "ab\nc\nabc\n");
    rw_seqdata *d = rw_model_read_examples(m, &path, 1);
    cr_assert_not_null(d, "%s", rw_last_error());
    cr_assert_eq(rw_seqdata_count(d), 3);
    int ls, lt;
    const int32_t *src = rw_seqdata_source(d, 0, &ls), *tgt = rw_seqdata_target(d, 0, &lt);
    /* ^ a b -> a b $ */
    cr_assert(ls == 3 && lt == 3);
    cr_assert_str_eq(rw_model_token(m, src[0]), "^");
    cr_assert_str_eq(rw_model_token(m, src[2]), "b");
    cr_assert_str_eq(rw_model_token(m, tgt[0]), "a");
    cr_assert_str_eq(rw_model_token(m, tgt[2]), "$");
    rw_seqdata_free(d);
    path = write_tmp("more.txt", "abz\n"); /* z: a byte the training data lacks is read as <unk> */
    d = rw_model_read_examples(m, &path, 1);
    cr_assert_not_null(d, "%s", rw_last_error());
    src = rw_seqdata_source(d, 0, &ls);
    cr_assert(ls == 4);
    cr_expect_str_eq(rw_model_token(m, src[3]), "<unk>");
    rw_seqdata_free(d);
    rw_model_free(m);
}

Test(real_data, output_activations_and_sequence_bce)
{
    write_tmp("d.tsv", "0.1 0.2; 0.3 0.4\t1 0 1\n0.7 0.8\t0 1 1\n");
    rw_model *m = load(MODEL("tsv_vectors", "value, activation: sigmoid", "mse", ", output: last", "3"), NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_node *y = rw_model_outputs(g, m, first_batch(m));
    cr_assert_not_null(y, "%s", rw_last_error());
    for (size_t i = 0; i < rw_node_value(y)->size; i++)
        cr_assert(rw_node_value(y)->data[i] > 0 && rw_node_value(y)->data[i] < 1);
    rw_graph_free(g);
    rw_model_free(m);
    m = load(MODEL("tsv_vectors", "value, activation: sigmoid", "bce", ", output: last", "3"), NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_eq(rw_model_value_width(m), 3);
    double loss = train_loss(m, 200);
    cr_expect_lt(loss, 0.05, "multi-label bce after 200 steps: %g", loss);
    rw_model_free(m);
}

/* train.metrics [mse, mae] on a per-step mse output: scored at validation
 * over the real steps only (the mean squared error equals the loss); a
 * class metric on a real output is refused at its item. */
Test(real_data, regression_metrics_from_the_model_file)
{
    write_tmp("d.tsv", "0.1 0.2; 0.3 0.4; 0.5 0.6\t1; 0; 1\n0.7 0.8\t0\n0.9 1; 0 0\t1; 1\n");
    static const char yaml[] =
        "format: rewind/1\n"
        "data: {kind: tsv_vectors, train: d.tsv, valid: d.tsv}\n"
        "model:\n"
        "  inputs: {x: {type: real, width: 2}}\n"
        "  layers:\n"
        "    - gru: {size: 8}\n"
        "    - linear: {size: 1}\n"
        "  outputs:\n"
        "    y: {target: values, loss: mse}\n"
        "train: {seed: 3, batch: {size: 4}, optimizer: {type: adam, lr: 0.01}, metrics: [mse, mae]}\n";
    rw_model *m = load(yaml, NULL, 0);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_train_opts o = { 0 };
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    cr_assert_not_null(o.observe);
    const rw_model_batch *b = first_batch(m);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_node *L = rw_model_loss(g, m, b);
    cr_assert_not_null(L, "%s", rw_last_error());
    cr_assert_eq(o.observe(g, (void *)b, L, o.metrics, m), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_metrics_values(o.metrics), 6, "the 6 real steps, not the padding");
    rwt_assert_close(rw_metrics_mse(o.metrics), rw_scalar(L), 1e-4, "mse %g, loss %g", rw_metrics_mse(o.metrics),
                     (double)rw_scalar(L));
    cr_assert(rw_metrics_mae(o.metrics) > 0 && rw_metrics_mae(o.metrics) * rw_metrics_mae(o.metrics) <=
              rw_metrics_mse(o.metrics) * (1 + 1e-6), "mae %g", rw_metrics_mae(o.metrics));
    rw_graph_free(g);
    rw_model_free(m);
    char bad[sizeof yaml + 16];
    snprintf(bad, sizeof bad, "%s", yaml);
    char *at = strstr(bad, "[mse, mae]");
    memcpy(at, "[mse, f1 ]", 10);
    expect_data_error(bad, "0.1 0.2\t1\n", "metric 'f1' needs class predictions");
}
