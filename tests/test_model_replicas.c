/* train.replicas: a model file trained on 2 and 3 copies at once gives the
 * losses of one copy (a character model carrying its state from window to
 * window with dropout, a classifier, a per-step regression on real inputs,
 * an encoder-decoder with scheduled sampling), and the refusals. The C API's own tests are in test_train_replicas.c;
 * `rewind train --replicas` is in test_cli.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw_replicas_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(model_replicas, .init = setup, .fini = teardown);

#define STEPS 24

typedef struct losses {
    double v[STEPS];
    int n;
} losses;

static void keep_loss(const rw_train_progress *p, void *ctx)
{
    losses *l = ctx;
    if (l->n < STEPS)
        l->v[l->n++] = p->loss;
}

/* Loads `yaml` (data files in tmpdir) with train.replicas = replicas and
 * trains STEPS steps; the losses of every step. */
static losses train(const char *yaml, int replicas)
{
    char set[32];
    snprintf(set, sizeof set, "train.replicas=%d", replicas);
    const char *sets[] = { set };
    rw_model *m = rw_model_load_string(yaml, "replicas.yaml",
                                       &(rw_model_load_opts){ .base_dir = tmpdir, .overrides = sets, .n_overrides = 1 });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    cr_assert_eq(o.replicas, replicas > 1 ? replicas : 0);
    losses l = { .n = 0 };
    o.epochs = 0;
    o.max_steps = STEPS;
    o.valid = NULL;
    o.checkpoint_path = NULL;
    o.progress = keep_loss;
    o.progress_ctx = &l;
    cr_assert_eq(rw_set_threads(replicas), RW_OK);
    cr_assert_eq(rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m, &o,
                          NULL), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_set_threads(1), RW_OK);
    cr_assert_eq(l.n, STEPS);
    rw_optim_free(opt);
    rw_model_free(m);
    return l;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Replicas 2 and 3 against 1: every step's loss within `tol` (relative),
 * and the model learns. */
static void expect_same_training(const char *yaml, double tol)
{
    losses one = train(yaml, 1), two = train(yaml, 2), three = train(yaml, 3);
    for (int i = 0; i < STEPS; i++) {
        double scale = fmax(1e-3, fabs(one.v[i]));
        cr_expect_leq(fabs(one.v[i] - two.v[i]) / scale, tol, "step %d: %.9g on one copy, %.9g on two", i + 1,
                      one.v[i], two.v[i]);
        cr_expect_leq(fabs(one.v[i] - three.v[i]) / scale, tol, "step %d: %.9g on one copy, %.9g on three", i + 1,
                      one.v[i], three.v[i]);
    }
    double first = (one.v[0] + one.v[1]) / 2, last = (one.v[STEPS - 2] + one.v[STEPS - 1]) / 2;
    cr_expect_lt(last, 0.9 * first, "it learns: %g -> %g", first, last);
}

Test(model_replicas, a_character_model_carries_its_state_through_the_shares)
{
    char text[4096];
    size_t at = 0;
    for (int i = 0; at + 40 < sizeof text; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "the cat sat on mat %d; ", i % 7);
    write_file("t.txt", text);
    /* 6 streams: shares of 3 and 3, or 2, 2 and 2; dropout between the layers, a learned initial state */
    expect_same_training("format: rewind/1\n"
                         "data: {kind: chars, train: t.txt}\n"
                         "model:\n"
                         "  layers:\n"
                         "    - embedding: {size: 8}\n"
                         "    - lstm: {size: 24, stack: 2, dropout: 0.1, initial_state: learned}\n"
                         "    - linear: {size: vocab}\n"
                         "  outputs:\n"
                         "    y: {target: next}\n"
                         "train: {seed: 4, batch: {size: 6, bptt: {window: 12, carry_state: true}},\n"
                         "        optimizer: {type: adam, lr: 0.01}, clip: 5}\n",
                         1e-4);
}

Test(model_replicas, a_classifier_and_a_real_valued_regression)
{
    char lines[4096];
    size_t at = 0;
    for (int i = 0; i < 60; i++)
        at += (size_t)snprintf(lines + at, sizeof lines - at, "%s\t%s\n", i % 3 ? "neg" : "pos",
                               i % 3 ? "a b c b a" : (i % 2 ? "x a x" : "b x"));
    write_file("c.tsv", lines);
    expect_same_training("format: rewind/1\n"
                         "data: {kind: tsv_classify, train: c.tsv, tokens: words}\n"
                         "model:\n"
                         "  layers:\n"
                         "    - embedding: {size: 8}\n"
                         "    - gru: {size: 16, output: last}\n"
                         "    - linear: {size: classes}\n"
                         "  outputs:\n"
                         "    y: {target: label}\n"
                         "train: {seed: 2, batch: {size: 10}, optimizer: {type: adam, lr: 0.02}}\n",
                         1e-4);
    at = 0;
    for (int i = 0; i < 40; i++) { /* per-step targets: the running sum of the first feature */
        double a = (i % 5) * 0.1, b = (i % 3) * 0.2;
        at += (size_t)snprintf(lines + at, sizeof lines - at, "%g 0; %g 1%s\t%g; %g%s\n", a, b,
                               i % 2 ? "; 0.1 0" : "", a, a + b, i % 2 ? "; 0" : "");
    }
    write_file("v.tsv", lines);
    expect_same_training("format: rewind/1\n"
                         "data: {kind: tsv_vectors, train: v.tsv}\n"
                         "model:\n"
                         "  inputs: {x: {type: real, width: 2}}\n"
                         "  layers:\n"
                         "    - lstm: {size: 12}\n"
                         "    - linear: {size: 1}\n"
                         "  outputs:\n"
                         "    y: {target: values, loss: mse}\n"
                         "train: {seed: 3, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}}\n",
                         1e-4);
}

Test(model_replicas, an_encoder_decoder_with_scheduled_sampling_and_dropout)
{
    char lines[8192];
    size_t at = 0;
    rw_rng rng = rw_rng_seed(8);
    for (int i = 0; i < 48; i++) { /* reverse 3 to 6 letters */
        char w[8];
        int n = 3 + (int)rw_rng_below(&rng, 4);
        for (int k = 0; k < n; k++)
            w[k] = (char)('a' + rw_rng_below(&rng, 5));
        for (int k = 0; k < n; k++)
            at += (size_t)snprintf(lines + at, sizeof lines - at, "%s%c", k ? " " : "", w[k]);
        lines[at++] = '\t';
        for (int k = n - 1; k >= 0; k--)
            at += (size_t)snprintf(lines + at, sizeof lines - at, "%c%s", w[k], k ? " " : "\n");
    }
    lines[at] = '\0';
    write_file("p.tsv", lines);
    /* 10 pairs a batch: shares of 5 and 5, or 4, 3 and 3 */
    expect_same_training("format: rewind/1\n"
                         "data: {kind: tsv_seq2seq, train: p.tsv, tokens: words}\n"
                         "model:\n"
                         "  graph:\n"
                         "    - {name: enc, layer: {lstm: {size: 16, dropout: {recurrent: 0.2, output: 0.2, "
                         "mask: per_sequence}}}, in: [source]}\n"
                         "    - {name: tgt_emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                         "    - name: dec\n"
                         "      layer:\n"
                         "        lstm:\n"
                         "          size: 16\n"
                         "          initial_state: {from: enc, reduce: last}\n"
                         "          dropout: {input: 0.2, recurrent: 0.2}\n"
                         "      in: [tgt_emb]\n"
                         "      attention: {type: general, keys: enc}\n"
                         "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n"
                         "  outputs:\n"
                         "    y: {from: head, loss: cross_entropy, target: target}\n"
                         "train:\n"
                         "  seed: 5\n"
                         "  batch: {size: 10}\n"
                         "  optimizer: {type: adam, lr: 0.01}\n"
                         "  teacher_forcing: {schedule: linear, k: 0.9, c: 0.02, sample: true}\n",
                         1e-4);
}

Test(model_replicas, bad_replica_counts_are_refused)
{
    write_file("t.txt", "abcabcabcabcabcabcabcabcabcabcabcabc");
    rw_model *m = rw_model_load_string("format: rewind/1\n"
                                       "data: {kind: chars, train: t.txt}\n"
                                       "model:\n"
                                       "  layers:\n"
                                       "    - embedding: {size: 4}\n"
                                       "    - lstm: {size: 8}\n"
                                       "    - linear: {size: vocab}\n"
                                       "  outputs:\n"
                                       "    y: {target: next}\n"
                                       "train: {replicas: 2, batch: {size: 2, bptt: {window: 4}}}\n",
                                       "r.yaml", &(rw_model_load_opts){ .base_dir = tmpdir });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect_eq(rw_model_set_replicas(m, 0), RW_ERR_ARG);
    cr_expect_eq(rw_model_set_replicas(m, 65), RW_ERR_ARG);
    cr_expect_eq(rw_model_set_replicas(NULL, 2), RW_ERR_ARG);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    cr_expect_eq(o.replicas, 2);
    cr_expect_eq(rw_model_set_replicas(m, 3), RW_ERR_STATE, "the copies are made");
    cr_expect_eq(rw_model_set_replicas(m, 2), RW_OK);
    rw_model_free(m);
}
