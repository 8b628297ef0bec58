/* The `rewind` program, run as a user would: help, ops, check, a tiny
 * training run with sample and eval, Ctrl-C saving a checkpoint and
 * --resume going on from it, and usage errors. The binary is
 * $RW_BINARY_DIR/tools/rewind; the tests run in the source directory. */
#include <math.h>
#include "cli_harness.h"

/* ---- the tests ---------------------------------------------------------------- */

Test(cli, help_and_version)
{
    run_result r = RUN(NULL, "--help");
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *c = (const char *const[]){ "train", "sample", "eval", "check", "ops", NULL }; *c; c++)
        cr_assert(strstr(r.out, *c), "'rewind --help' names '%s':\n%s", *c, r.out);
    run_free(&r);
    r = RUN(NULL, "train", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--resume") && strstr(r.out, "--steps") && strstr(r.out, "--set"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "--version");
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "rewind ", 7) == 0, "%s", r.out);
    run_free(&r);
}

Test(cli, ops_lists_the_registry)
{
    run_result r = RUN(NULL, "ops");
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *op = (const char *const[]){ "matmul", "sigmoid", "tanh", "add", "mul", NULL }; *op; op++) {
        char line[64];
        snprintf(line, sizeof line, "\n%s ", *op);
        cr_assert(strstr(r.out, line), "'rewind ops' lists '%s':\n%s", *op, r.out);
    }
    char count[32];
    snprintf(count, sizeof count, "%d ops", rw_op_count());
    cr_assert(strstr(r.out, count), "every registered op: %s", count);
    run_free(&r);
    r = RUN(NULL, "ops", "sigmoid");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "sigmoid") && strstr(r.out, "inputs: 1"), "%s", r.out);
    run_free(&r);
}

Test(cli, check_prints_the_parameter_count)
{
    /* The fortunes corpus is the model's data; without it, any text will do. */
    bool fortunes = access("/usr/share/games/fortunes", F_OK) == 0;
    run_result r = fortunes ? RUN(NULL, "check", "models/char_lstm.yaml")
                            : RUN(NULL, "check", "models/char_lstm.yaml", "--set", "data.train=data/sentiment.tsv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "char_lstm") && strstr(r.out, "rnn"), "%s", r.out);
    const char *total = strstr(r.out, "total: ");
    long count = 0;
    cr_assert(total && sscanf(total, "total: %ld parameters", &count) == 1 && count > 1000, "%s", r.out);
    /* the recurrent layer's cell and the options in effect */
    cr_assert(strstr(r.out, "cell lstm: forget_bias 1, layer_norm false"), "%s", r.out);
    run_free(&r);
}

Test(cli, cells_lists_the_registry_with_options)
{
    run_result r = RUN(NULL, "cells");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "lstm: ") && strstr(r.out, "irnn: ") && strstr(r.out, "6 cells"), "%s", r.out);
    cr_assert(strstr(r.out, "forget_bias        real  default 1       [-1000, 1000]"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "cells", "gru");
    cr_assert(r.status == 0 && strstr(r.out, "reset_after") && !strstr(r.out, "lstm"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "cells", "grr");
    cr_assert(r.status == 1 && strstr(r.err, "no cell is registered as 'grr'"), "%s", r.err);
    run_free(&r);
}

Test(cli, check_reports_file_line_col)
{
    char path[128];
    snprintf(path, sizeof path, "%s/typo.yaml", dir);
    write_file(path, "format: rewind/1\n"
                     "model:\n"
                     "  layers:\n"
                     "    - embedding: {size: 8}\n"
                     "    - lstm:\n"
                     "        size: 16\n"
                     "        forget_bais: 1.0\n"
                     "    - linear: {name: head, size: vocab}\n");
    run_result r = RUN(NULL, "check", path);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char where[160];
    snprintf(where, sizeof where, "%s:7:9: error:", path);
    cr_assert(strstr(r.err, where) && strstr(r.err, "forget_bias"), "message:\n%s", r.err);
    run_free(&r);
    /* a YAML syntax error */
    write_file(path, "format: rewind/1\nmodel: {layers: [\n");
    r = RUN(NULL, "check", path);
    cr_assert_eq(r.status, 1);
    snprintf(where, sizeof where, "%s:", path);
    const char *at = strstr(r.err, where);
    int line = 0, col = 0;
    cr_assert(at && sscanf(at + strlen(where), "%d:%d: error", &line, &col) == 2 && line > 0 && col > 0,
              "file:line:col in:\n%s", r.err);
    run_free(&r);
    /* a bad --set, reported at its column on the command line */
    r = RUN(NULL, "check", "tests/model_bad/lstm_typo.yaml", "--set", "train.optimizer.lr=fast");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "error:"), "%s", r.err);
    run_free(&r);
}

Test(cli, train_then_sample_and_eval)
{
    write_tiny_model();
    /* --set changes the model; the checkpoint remembers it (sample's restore
     * would fail on the rnn's shapes otherwise) */
    run_result r = RUN(dir, "train", "tiny.yaml", "--steps", "6", "--threads", "1", "--set",
                       "model.layers.1.lstm.size=10");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "run/tiny.rwc"), "says where the checkpoint is:\n%s", r.err);
    cr_assert(strstr(r.err, "BLIS kernels '"), "the header names the BLIS kernels:\n%s", r.err);
    cr_assert(strncmp(r.out, "the ", 4) == 0, "a language model shows a sample at the end:\n%s", r.out);
    run_free(&r);
    char ck[128];
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    cr_assert_eq(checkpoint_step(ck), 6);
    rw_checkpoint *c = rw_checkpoint_open(ck);
    cr_assert(c);
    int U = rw_checkpoint_param_find(c, "rnn.l0.U");
    cr_assert(U >= 0 && rw_checkpoint_param_shape(c, U).dim[1] == 10, "--set made the LSTM 10 wide");
    rw_checkpoint_close(c);

    /* from another directory: the checkpoint alone rebuilds the model */
    r = RUN("/", "sample", ck, "--length", "40", "--prime", "cat ", "--seed", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "cat ", 4) == 0 && strlen(r.out) >= 44, "prime and 40 characters:\n%s", r.out);
    char *first = strdup(r.out);
    run_free(&r);
    r = RUN("/", "sample", ck, "--length", "40", "--prime", "cat ", "--seed", "2");
    cr_assert_str_eq(r.out, first, "the same seed gives the same text");
    free(first);
    run_free(&r);

    r = RUN("/", "eval", ck);
    cr_assert_eq(r.status, 0, "%s", r.err);
    double loss = 0;
    const char *at = strstr(r.out, "valid: loss ");
    cr_assert(at && sscanf(at, "valid: loss %lf", &loss) == 1 && loss > 0 && loss < 10, "%s", r.out);
    run_free(&r);
    r = RUN("/", "eval", ck, "--mc-dropout", "3"); /* probabilities averaged over 3 passes with dropout on */
    cr_assert_eq(r.status, 0, "%s", r.err);
    double mc = 0;
    at = strstr(r.out, "valid: loss ");
    cr_assert(at && sscanf(at, "valid: loss %lf", &mc) == 1 && fabs(mc - loss) < 0.5, "%g vs %g:\n%s", mc, loss,
              r.out);
    run_free(&r);
    r = RUN("/", "eval", ck, "--mc-dropout", "0");
    cr_assert_neq(r.status, 0, "--mc-dropout needs N >= 1");
    run_free(&r);
    char corpus[128];
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
    r = RUN(NULL, "eval", ck, "--data", corpus);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "perplexity"), "%s", r.out);
    run_free(&r);
}

Test(cli, classifier_eval_reports_accuracy)
{
    char ck[128];
    snprintf(ck, sizeof ck, "%s/cls.rwc", dir);
    run_result r = RUN(NULL, "train", "models/classifier.yaml", "--steps", "2", "--checkpoint", ck, "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(NULL, "eval", ck);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "valid: loss") && strstr(r.out, "accuracy"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "sample", ck);
    cr_assert_eq(r.status, 1, "a classifier cannot be sampled");
    cr_assert(strstr(r.err, "classifier"), "%s", r.err);
    run_free(&r);
}

/* The "must show": Ctrl-C saves a checkpoint at step S and exits 0;
 * --resume goes on from S + 1. */
Test(cli, ctrl_c_saves_and_resume_continues)
{
    write_tiny_model();
    char log[128], ck[128];
    snprintf(log, sizeof log, "%s/run/first.csv", dir);
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    pid_t pid = start(dir, "first", (const char *const[]){ "train", "tiny.yaml", "--steps", "1000000", "--log",
                                                           "run/first.csv", NULL });
    long first = 0, last = 0;
    for (int waited = 0; log_rows(log, &first, &last) < 5; waited += 20) {
        cr_assert(waited < 60000, "the run made no progress in 60 s");
        cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "the run ended before it was interrupted");
        sleep_ms(20);
    }
    kill(pid, SIGINT);
    run_result r = finish(pid, "first");
    cr_assert_eq(r.status, 0, "Ctrl-C exits 0:\n%s", r.err);
    long S = checkpoint_step(ck);
    cr_assert(S >= 5 && S < 1000000, "saved at step %ld", S);
    cr_assert_eq(log_rows(log, &first, &last) >= 5, true);
    cr_assert_eq(first, 1);
    cr_assert_eq(last, S, "the checkpoint is at the last step trained (%ld vs %ld)", S, last);
    char says[64];
    snprintf(says, sizeof says, "interrupted at step %ld", S);
    cr_assert(strstr(r.err, says) && strstr(r.err, "run/tiny.rwc"), "says where:\n%s", r.err);
    run_free(&r);

    char until[32];
    snprintf(until, sizeof until, "%ld", S + 3);
    r = RUN(dir, "train", "tiny.yaml", "--resume", "--steps", until, "--log", "run/second.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(says, sizeof says, "at step %ld", S);
    cr_assert(strstr(r.err, "resuming") && strstr(r.err, says), "%s", r.err);
    run_free(&r);
    snprintf(log, sizeof log, "%s/run/second.csv", dir);
    cr_assert_eq(log_rows(log, &first, &last), 3, "three more steps");
    cr_assert_eq(first, S + 1, "the resumed run starts at step S + 1 = %ld, not %ld", S + 1, first);
    cr_assert_eq(last, S + 3);
    cr_assert_eq(checkpoint_step(ck), S + 3);
}

/* The train row of step `step` in a CSV log, or "" (malloc'd). */
static void resume_reproduces_the_uninterrupted_run(bool carry)
{
    write_tiny_model();
    /* 32 streams of 12-step windows: about 10 batches an epoch */
    const char *set1 = "train.batch.size=32",
               *set2 = carry ? "train.batch.bptt.carry_state=true" : "train.batch.bptt.carry_state=false";
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "25",
                       "--checkpoint", "run/whole.rwc", "--log", "run/whole.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "13", "--checkpoint",
            "run/parts.rwc", "--log", "run/part1.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "25", "--checkpoint",
            "run/parts.rwc", "--log", "run/part2.csv", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char whole[128], part[128];
    snprintf(whole, sizeof whole, "%s/run/whole.csv", dir);
    snprintf(part, sizeof part, "%s/run/part2.csv", dir);
    long first = 0, last = 0;
    cr_assert_eq(log_rows(part, &first, &last), 12);
    cr_assert_eq(first, 14);
    expect_same_rows("run/whole.csv", "run/part2.csv", 14, 25, "the resumed run");
    char *a = log_row(whole, 25);
    cr_assert(strncmp(a, "25,2,", 5) == 0, "the runs cross into a third epoch: %s", a);
    free(a);
}

Test(cli, resume_reproduces_the_uninterrupted_run) { resume_reproduces_the_uninterrupted_run(false); }
Test(cli, resume_with_carried_state_reproduces_the_uninterrupted_run) { resume_reproduces_the_uninterrupted_run(true); }

/* The loss of a log row ("step,epoch,split,loss,..."). */
static double row_loss(const char *row)
{
    const char *p = row;
    for (int commas = 0; *p && commas < 3; p++)
        commas += *p == ',';
    return strtod(p, NULL);
}

/* --replicas 2: the losses of one copy up to rounding, with the state
 * carried from window to window, and a resumed run equal to the whole. */
Test(cli, replicas_train_as_one_copy_and_resume_exactly)
{
    write_tiny_model();
    const char *set1 = "train.batch.size=32", *set2 = "train.batch.bptt.carry_state=true";
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "20",
                       "--checkpoint", "run/one.rwc", "--log", "run/one.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--set", set1, "--set", set2, "--steps", "20", "--replicas", "2",
            "--checkpoint", "run/two.rwc", "--log", "run/two.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "2 threads, 2 replicas (each on 1/2 of every batch)"), "the header:\n%s", r.err);
    run_free(&r);
    char one[128], two[128];
    snprintf(one, sizeof one, "%s/run/one.csv", dir);
    snprintf(two, sizeof two, "%s/run/two.csv", dir);
    for (long step = 1; step <= 20; step++) {
        char *a = log_row(one, step), *b = log_row(two, step);
        cr_assert(*a && *b, "step %ld is in both logs", step);
        double la = row_loss(a), lb = row_loss(b);
        cr_expect_leq(fabs(la - lb), 1e-5 * fabs(la), "step %ld: loss %.9g on one copy, %.9g on two", step, la, lb);
        free(a);
        free(b);
    }
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "9", "--replicas", "2",
            "--checkpoint", "run/parts.rwc", "--log", "run/part1.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "20", "--replicas", "2",
            "--checkpoint", "run/parts.rwc", "--log", "run/part2.csv", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    expect_same_rows("run/two.csv", "run/part2.csv", 10, 20, "the resumed run on replicas");
    r = RUN(dir, "train", "tiny.yaml", "--replicas", "0");
    cr_expect_eq(r.status, 2, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "check", "tiny.yaml", "--set", "train.replicas=3");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, ", 3 replicas (each on 1/3 of every batch)"), "rewind check shows them:\n%s", r.out);
    run_free(&r);
}

/* An encoder-decoder with scheduled sampling on replicas: its copies feed
 * by the trained model's step clock, so a resumed run equals the whole. */
Test(cli, an_encoder_decoder_on_replicas_resumes_exactly)
{
    char path[256], pairs[4096];
    size_t at = 0;
    rw_rng rng = rw_rng_seed(4);
    for (int i = 0; i < 40; i++) {
        int a = (int)rw_rng_below(&rng, 9), b = (int)rw_rng_below(&rng, 9), c = (int)rw_rng_below(&rng, 9);
        at += (size_t)snprintf(pairs + at, sizeof pairs - at, "%d %d %d\t%d %d %d\n", a, b, c, c, b, a);
    }
    snprintf(path, sizeof path, "%s/pairs.tsv", dir);
    write_file(path, pairs);
    snprintf(path, sizeof path, "%s/s2s.yaml", dir);
    write_file(path, "format: rewind/1\n"
                     "data: {kind: tsv_seq2seq, train: pairs.tsv, tokens: words}\n"
                     "model:\n"
                     "  graph:\n"
                     "    - {name: enc, layer: {lstm: {size: 12}}, in: [source]}\n"
                     "    - {name: tgt_emb, layer: {embedding: {size: 6}}, in: [target]}\n"
                     "    - name: dec\n"
                     "      layer: {lstm: {size: 12, initial_state: {from: enc, reduce: last}}}\n"
                     "      in: [tgt_emb]\n"
                     "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n"
                     "  outputs:\n"
                     "    y: {from: head, loss: cross_entropy, target: target}\n"
                     "train:\n"
                     "  batch: {size: 8}\n"
                     "  optimizer: {type: adam, lr: 0.01}\n"
                     "  teacher_forcing: {schedule: linear, k: 0.7, c: 0.05, sample: true}\n");
    run_result r = RUN(dir, "train", "s2s.yaml", "--quiet", "--steps", "12", "--replicas", "2", "--checkpoint",
                       "run/s2s.rwc", "--log", "run/s2s.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "s2s.yaml", "--quiet", "--steps", "5", "--replicas", "2", "--checkpoint", "run/s2s_p.rwc",
            "--log", "run/s2s_1.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "s2s.yaml", "--quiet", "--steps", "12", "--replicas", "2", "--checkpoint", "run/s2s_p.rwc",
            "--log", "run/s2s_2.csv", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    expect_same_rows("run/s2s.csv", "run/s2s_2.csv", 6, 12, "the resumed encoder-decoder on replicas");
}

Test(cli, usage_errors_exit_2)
{
    const char *const cases[][5] = {
        { "frobnicate", NULL },
        { "tarin", "x.yaml", NULL },
        { "train", NULL },
        { "train", "models/char_lstm.yaml", "--stpes", "3", NULL },
        { "train", "models/char_lstm.yaml", "--steps", "many", NULL },
        { "train", "models/char_lstm.yaml", "--steps", NULL },
        { "sample", NULL },
        { "sample", "a.rwc", "--temperature", "hot", NULL },
        { "check", "a.yaml", "b.yaml", NULL },
        { "ops", "-x", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r = run_in(NULL, "usage", cases[i]);
        cr_assert_eq(r.status, 2, "rewind %s %s: status %d", cases[i][0], cases[i][1] ? cases[i][1] : "", r.status);
        cr_assert(strstr(r.err, "error:"), "a message for rewind %s:\n%s", cases[i][0], r.err);
        run_free(&r);
    }
    run_result r = RUN(NULL, "tarin");
    cr_assert(strstr(r.err, "did you mean 'train'"), "%s", r.err);
    run_free(&r);
}

Test(cli, failures_exit_1)
{
    run_result r = RUN(NULL, "train", "no/such/model.yaml");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no/such/model.yaml"), "%s", r.err);
    run_free(&r);
    r = RUN(NULL, "sample", "no/such/checkpoint.rwc");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "checkpoint.rwc"), "%s", r.err);
    run_free(&r);
    write_tiny_model();
    r = RUN(dir, "train", "tiny.yaml", "--resume", "--checkpoint", "nothing/here.rwc");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no checkpoint"), "%s", r.err);
    run_free(&r);
}

Test(cli, info_reports_the_blis_kernels_and_obeys_the_override)
{
    run_result r = RUN(NULL, "info");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char expected[128];
    snprintf(expected, sizeof expected, "blis_arch:     %s\n", rw_blas_arch()); /* this process chose the same */
    cr_assert(strstr(r.out, expected), "expected '%s' in:\n%s", expected, r.out);
    cr_assert(strstr(r.out, "why:") && strstr(r.out, "threads:       1"), "%s", r.out);
    run_free(&r);

    setenv("RW_BLIS_ARCH", "generic", 1);
    r = RUN(NULL, "info", "--threads", "2");
    unsetenv("RW_BLIS_ARCH");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "blis_arch:     generic\n") && strstr(r.out, "RW_BLIS_ARCH"), "%s", r.out);
    cr_assert(strstr(r.out, "threads:       2"), "%s", r.out);
    run_free(&r);
}

/* recompute_every on a recurrent layer (gradient checkpointing over time)
 * trains the same model as without it: every logged loss agrees. A bad
 * value is refused at its line. */
Test(cli, recompute_every_trains_the_same)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "6", "--threads", "1", "--checkpoint",
                       "run/plain.rwc", "--log", "run/plain.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "6", "--threads", "1", "--checkpoint", "run/seg.rwc",
            "--log", "run/seg.csv", "--set", "model.layers.1.lstm.recompute_every=5");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char plain[128], seg[128];
    snprintf(plain, sizeof plain, "%s/run/plain.csv", dir);
    snprintf(seg, sizeof seg, "%s/run/seg.csv", dir);
    for (long step = 1; step <= 6; step++) {
        char *a = log_row(plain, step), *b = log_row(seg, step);
        double la = -1, lb = -2, ga = -1, gb = -2; /* loss and gradient norm */
        cr_assert(sscanf(a, "%*d,%*d,train,%lf,%lf", &la, &ga) == 2 && sscanf(b, "%*d,%*d,train,%lf,%lf", &lb, &gb) == 2,
                  "step %ld: '%s' / '%s'", step, a, b);
        cr_assert(fabs(la - lb) <= 1e-5 * fabs(la) && fabs(ga - gb) <= 1e-5 * fabs(ga),
                  "step %ld: loss %.9g and gradient norm %.9g plain, %.9g and %.9g recomputed", step, la, ga, lb, gb);
        free(a);
        free(b);
    }
    r = RUN(dir, "check", "tiny.yaml", "--set", "model.layers.1.lstm.recompute_every=-3");
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, "recompute_every"), "names the key:\n%s", r.err);
    run_free(&r);
}

Test(cli, sample_by_beam_search)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "8");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "sample", "run/tiny.rwc", "--beam", "3", "--nbest", "3", "--length", "12");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double prev = 1;
    int lines = 0;
    for (char *line = r.out; line && *line; lines++) {
        double score = 0;
        char text[256] = "";
        cr_assert(sscanf(line, "%lf\tthe %255[^\n]", &score, text) >= 1, "line %d: '%s'", lines, line);
        cr_assert(score <= prev && score < 0, "scores fall: %g after %g", score, prev);
        prev = score;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    cr_assert_eq(lines, 3, "three continuations:\n%s", r.out);
    run_free(&r);
    run_result one = RUN(dir, "sample", "run/tiny.rwc", "--beam", "1", "--length", "12");
    run_result greedy = RUN(dir, "sample", "run/tiny.rwc", "--method", "greedy", "--length", "12");
    cr_assert_eq(one.status, 0, "%s", one.err);
    cr_assert_eq(greedy.status, 0, "%s", greedy.err);
    cr_assert_str_eq(one.out, greedy.out);
    cr_assert_eq(strlen(one.out), strlen("the ") + 12 + 1, "'%s'", one.out);
    run_free(&one);
    run_free(&greedy);
    r = RUN(dir, "sample", "run/tiny.rwc", "--method", "viterbi");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "not one of sample, greedy, beam"), "%s", r.err);
    run_free(&r);
    r = RUN(dir, "sample", "run/tiny.rwc", "--method", "sample", "--beam", "2");
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
}

/* The last progress line (printed after rw_train returned) shows metrics
 * only from a validation: none ran here, so none is shown (it used to read
 * rw_train's metric array after that was gone, and showed 0 or garbage). */
Test(cli, the_last_progress_line_shows_no_metric_before_a_validation)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--steps", "8", "--set", "train.metrics=[accuracy, perplexity]");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "step 8/8"), "%s", r.err);
    cr_assert(!strstr(r.err, "accuracy") && !strstr(r.err, "perplexity"), "%s", r.err);
    run_free(&r);
}
