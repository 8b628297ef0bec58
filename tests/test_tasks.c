/* Task models of models/tasks/ and models/pos_tagger.yaml trained through
 * the `rewind` program alone, as a user would: the data made by `rewind
 * task`, `rewind train`, then `rewind eval` must beat the trivial baseline
 * clearly and `rewind predict` must print the predictions. Small versions
 * (short sequences, a few epochs); bench/tasks.sh runs the full ones. Also
 * the generator's determinism and errors, and the lines and aligned
 * tsv_seq2seq kinds end to end. */
#include <criterion/logging.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rw_test.h"

static char tmp[64];

static void setup(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/rw_tasks_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(tasks, .init = setup, .fini = teardown, .timeout = 120);

/* Runs a shell command line with $RW (the rewind program) and $T (the temporary directory) set; returns its exit status, and its
 * standard output in *out (malloc'd) when out is not NULL. */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
    const char *bin = getenv("RW_BINARY_DIR");
    cr_assert_not_null(bin, "RW_BINARY_DIR is not set (run the tests through ctest)");
    char line[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "RW=%s/tools/rewind T=%s; export RW T; (%s) >%s/out 2>%s/err", bin, tmp, line, tmp,
             tmp);
    fflush(NULL);
    /* fork and exec, not system(): with system() a failing command made Criterion 2.4 exit 1 though every
     * test passed */
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    char path[128];
    snprintf(path, sizeof path, "%s/out", tmp);
    if (out)
        *out = rwt_read_file(path);
    if (st != 0) {
        snprintf(path, sizeof path, "%s/err", tmp);
        char *err = rwt_read_file(path);
        cr_log_info("command failed: %s\n%s", line, err);
        free(err);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static double number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    cr_assert_not_null(p, "no '%s' in:\n%s", key, text);
    return atof(p + strlen(key));
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Writes a small version of task `name` (seed 1) to $T/name/ and trains
 * models/tasks/name.yaml on it for `epochs` epochs into $T/name.rwc. */
static void train_task(const char *name, int size, int n_train, int epochs)
{
    cr_assert_eq(sh(NULL, "$RW task %s --out $T/%s --size %d --train %d --valid 200 --test 300", name, name, size,
                    n_train), 0);
    cr_assert_eq(sh(NULL, "$RW train models/tasks/%s.yaml --set data.train=$T/%s/train.tsv --set "
                          "data.valid=$T/%s/valid.tsv --set data.test=$T/%s/test.tsv --set train.epochs=%d --set "
                          "train.checkpoint.path=$T/%s.rwc", name, name, name, name, epochs, name), 0);
}

/* `rewind eval` of $T/name.rwc on the held-out $T/name/test.tsv (malloc'd). */
static char *eval_test(const char *name)
{
    char *out;
    cr_assert_eq(sh(&out, "$RW eval $T/%s.rwc --data $T/%s/test.tsv", name, name), 0);
    cr_log_info("%s: %s", name, out);
    return out;
}

/* `rewind predict` lines "index<TAB>prediction<TAB>target": how many there
 * are (*n) and how many predict the target (the ":probability" of each
 * predicted name left out). */
static int predicted_right(const char *out, int *n)
{
    int right = 0;
    *n = 0;
    for (const char *p = out; *p; (*n)++) {
        const char *nl = strchr(p, '\n'), *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        cr_assert(nl && t1 && t2 && t2 < nl, "line %d is not index<TAB>prediction<TAB>target: %.60s", *n, p);
        cr_assert_eq(atoi(p), *n, "predictions in file order");
        char pred[512];
        size_t len = 0;
        for (const char *c = t1 + 1; c < t2 && len + 1 < sizeof pred; c++) {
            if (*c == ':') /* skip the probability */
                while (c + 1 < t2 && c[1] != ' ')
                    c++;
            else
                pred[len++] = *c;
        }
        pred[len] = '\0';
        right += (size_t)(nl - t2 - 1) == len && !strncmp(pred, t2 + 1, len);
        p = nl + 1;
    }
    return right;
}

Test(tasks, adding_problem_t20_beats_the_mean_by_far)
{
    train_task("adding", 20, 2000, 6);
    char *out = eval_test("adding");
    double mse = number_after(out, "mse "); /* predicting the mean 1.0 scores 1/6 */
    cr_expect_lt(mse, 0.02, "held-out mse %g:\n%s", mse, out);
    free(out);
    /* predict: one line per example, "index<TAB>predicted<TAB>target", close to the target */
    cr_assert_eq(sh(&out, "$RW predict $T/adding.rwc --data $T/adding/test.tsv"), 0);
    cr_assert_eq(count_lines(out), 300);
    double sq = 0;
    int i = 0;
    for (char *p = out; *p; i++) {
        int idx;
        double pred, truth;
        cr_assert_eq(sscanf(p, "%d\t%lf\t%lf", &idx, &pred, &truth), 3, "line %d: %.60s", i, p);
        cr_assert_eq(idx, i);
        sq += (pred - truth) * (pred - truth);
        p = strchr(p, '\n') + 1;
    }
    cr_expect_lt(sq / 300, 0.02);
    free(out);
}

Test(tasks, sum_of_the_inputs_beats_predicting_zero_by_far)
{
    train_task("sum", 10, 1000, 6);
    char *out = eval_test("sum");
    double mse = number_after(out, "mse "); /* predicting 0 scores T/3 = 3.3 */
    cr_expect_lt(mse, 0.1, "held-out mse %g:\n%s", mse, out);
    free(out);
}

/* A two-class task: held-out accuracy and predict's labels far above chance. */
static void two_classes(const char *name, int size, int n_train, int epochs)
{
    train_task(name, size, n_train, epochs);
    char *out = eval_test(name);
    double acc = number_after(out, "accuracy ");
    cr_expect_geq(acc, 80.0, "%s: held-out accuracy %g%% (chance 50%%):\n%s", name, acc, out);
    free(out);
    cr_assert_eq(sh(&out, "$RW predict $T/%s.rwc --data $T/%s/test.tsv", name, name), 0);
    int n, right = predicted_right(out, &n);
    cr_expect_eq(n, 300);
    cr_expect_geq(right, 240, "%s: predict has %d of %d right", name, right, n);
    free(out);
}

Test(tasks, sign_of_the_first_input_is_remembered) { two_classes("sign", 20, 2000, 10); }

Test(tasks, larger_of_two_streams_is_found) { two_classes("larger", 10, 1000, 6); }

/* A tagging task: the share of held-out sequences eval finds right at every
 * step, and predict's lines whose tags are all the targets (of 300). */
static void sequences_right(const char *name, double min_percent, int min_right)
{
    char *out = eval_test(name);
    double seq = number_after(out, "sequences ");
    cr_expect_geq(seq, min_percent, "%s: sequences right at every step %g%%:\n%s", name, seq, out);
    cr_expect(strstr(out, "precision") && strstr(out, "recall"), "%s", out);
    free(out);
    cr_assert_eq(sh(&out, "$RW predict $T/%s.rwc --data $T/%s/test.tsv", name, name), 0);
    int n, right = predicted_right(out, &n);
    cr_expect_eq(n, 300);
    cr_expect_geq(right, min_right, "%s: predict has %d of %d sequences right", name, right, n);
    free(out);
}

/* Without memory of the second symbol half the strings fail at the symbol before the last. */
Test(tasks, reber_strings_have_every_next_symbol_legal)
{
    train_task("reber", 20, 1000, 6);
    sequences_right("reber", 95.0, 285);
}

Test(tasks, binary_addition_gets_held_out_sums_whole)
{
    train_task("addition", 8, 2000, 4);
    char *out;
    /* the test pairs never occur in training */
    cr_assert_eq(sh(&out, "cut -f1 $T/addition/train.tsv | sort >$T/a && cut -f1 $T/addition/test.tsv | sort >$T/b && "
                          "comm -12 $T/a $T/b | wc -l"), 0);
    cr_expect_eq(atoi(out), 0, "pairs in both train and test: %s", out);
    free(out);
    sequences_right("addition", 95.0, 285); /* whole sums right */
    /* --steps: example, step, input, tag:probability, target */
    cr_assert_eq(sh(&out, "$RW predict $T/addition.rwc --data $T/addition/test.tsv --steps --top 2"), 0);
    cr_assert_eq(count_lines(out), 300 * 9);
    int ex, step;
    char input[8], p1[16], p2[16], target[8];
    cr_assert_eq(sscanf(out, "%d\t%d\t%7s\t%15s %15s\t%7s", &ex, &step, input, p1, p2, target), 6, "%.80s", out);
    cr_expect(ex == 0 && step == 0 && strlen(input) == 2 && strchr(p1, ':') && strchr(p2, ':'));
    free(out);
}

Test(tasks, xml_nesting_keeps_the_stack)
{
    train_task("xml", 3, 1000, 8);
    sequences_right("xml", 90.0, 270);
}

Test(tasks, distractor_arithmetic_ignores_the_distractors)
{
    train_task("distractor", 8, 2000, 10);
    char *out;
    cr_assert_eq(sh(&out, "$RW eval models/tasks/distractor.yaml --checkpoint $T/distractor.rwc --set "
                          "data.train=$T/distractor/train.tsv --set data.valid=$T/distractor/valid.tsv --set "
                          "data.test=$T/distractor/test.tsv"), 0);
    const char *test = strstr(out, "test: ");
    cr_assert_not_null(test, "%s", out);
    double acc = number_after(test, "accuracy "); /* the likeliest sum alone: 10% */
    cr_expect_geq(acc, 80.0, "held-out accuracy %g%%:\n%s", acc, out);
    free(out);
}

Test(tasks, the_same_seed_writes_the_same_bytes)
{
    for (int i = 0; i < rw_task_count(); i++) {
        const char *name = rw_task_at(i)->name;
        cr_assert_eq(sh(NULL, "$RW task %s --out $T/a --seed 7 --train 20 --valid 5 --test 5 && "
                              "$RW task %s --out $T/b --seed 7 --train 20 --valid 5 --test 5 && "
                              "$RW task %s --out $T/c --seed 8 --train 20 --valid 5 --test 5", name, name, name), 0);
        for (int s = 0; s < 3; s++) {
            const char *file = (const char *[]){ "train", "valid", "test" }[s];
            cr_expect_eq(sh(NULL, "cmp $T/a/%s.tsv $T/b/%s.tsv", file, file), 0, "%s: seed 7 twice differs", name);
            cr_expect_neq(sh(NULL, "cmp -s $T/a/%s.tsv $T/c/%s.tsv", file, file), 0, "%s: seeds 7 and 8 agree", name);
        }
        cr_assert_eq(sh(NULL, "cmp -s $T/a/train.tsv $T/a/valid.tsv"), 1, "%s: the splits are the same", name);
        /* the C API writes what the command writes */
        char path[160];
        snprintf(path, sizeof path, "%s/api.tsv", tmp);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        cr_assert_eq(rw_task_generate(name, &(rw_task_opts){ .seed = 7 }, RW_TASK_VALID, 5, f), RW_OK, "%s",
                     rw_last_error());
        fclose(f);
        cr_expect_eq(sh(NULL, "cmp $T/a/valid.tsv $T/api.tsv"), 0, "%s: rw_task_generate differs", name);
    }
}

/* The exit status of a command and its standard error contains `want`. */
static void fails_with(int status, const char *want, const char *cmd)
{
    cr_assert_eq(sh(NULL, "%s", cmd), status, "%s", cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/err", tmp);
    char *err = rwt_read_file(path);
    cr_expect(strstr(err, want), "%s: stderr lacks '%s':\n%s", cmd, want, err);
    free(err);
}

Test(tasks, bad_task_arguments_are_named)
{
    fails_with(2, "unknown task 'adder' (known: adding, sign, larger, sum, reber, addition, distractor, xml)",
               "$RW task adder --out $T/x");
    fails_with(2, "--size expects an integer from 2 to 100000, got '1'", "$RW task adding --size 1 --out $T/x");
    fails_with(2, "--size expects an integer from 1 to 30, got '31'", "$RW task addition --size 31 --out $T/x");
    fails_with(2, "--train expects an integer", "$RW task xml --train 0 --out $T/x");
    fails_with(2, "needs a task NAME and --out DIR", "$RW task reber");
    fails_with(1, "cannot create directory", "$RW task reber --out /proc/no/such");
    fails_with(0, "", "$RW task --list | grep -q '^distractor  *tsv_classify'");
    /* the C API */
    cr_expect_null(rw_task_find("nope"));
    cr_expect(strstr(rw_last_error(), "unknown task 'nope'"));
    cr_expect_eq(rw_task_write("sum", tmp, &(rw_task_opts){ .size = 100001 }), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "task 'sum': size 100001 is out of range (the size is T, the steps: 1 .. "
                                      "100000)"), "%s", rw_last_error());
    cr_expect_eq(rw_task_write("sum", tmp, &(rw_task_opts){ .train = -1 }), RW_ERR_ARG);
    cr_expect_eq(rw_task_generate("sum", NULL, RW_TASK_TRAIN, 0, stdout), RW_ERR_ARG);
    cr_expect_null(rw_task_at(rw_task_count()));
}

Test(tasks, pos_tagger_example_learns_its_data)
{
    char *out;
    cr_assert_eq(sh(NULL, "$RW train models/pos_tagger.yaml --set train.checkpoint.path=$T/pos.rwc"), 0);
    cr_assert_eq(sh(&out, "$RW eval $T/pos.rwc --data models/data/pos_tiny.tsv"), 0);
    cr_expect_geq(number_after(out, "accuracy "), 98.0, "%s", out);
    cr_expect(strstr(out, "class NOUN") != NULL, "%s", out);
    free(out);
    cr_assert_eq(sh(&out, "$RW predict $T/pos.rwc --data models/data/pos_tiny.tsv | head -1"), 0);
    cr_expect_str_eq(out, "0\tDET NOUN VERB\tDET NOUN VERB\n");
    free(out);
}

static const char *lm_model = "format: rewind/1\n"
                              "data: {kind: lines, train: lines.txt, bos: \"^\", eos: \"$\"}\n"
                              "model:\n"
                              "  layers:\n"
                              "    - embedding: {size: 8}\n"
                              "    - gru: {size: 32}\n"
                              "    - linear: {size: vocab}\n"
                              "  outputs:\n"
                              "    next: {target: next}\n"
                              "train: {seed: 2, epochs: 30, batch: {size: 16}, optimizer: {type: adam, lr: 0.01}}\n";

Test(tasks, lines_start_every_sequence_fresh_with_bos_and_eos)
{
    /* "x" then (ab)^k then "y": every next symbol is certain except where (ab)^k stops */
    char path[128];
    snprintf(path, sizeof path, "%s/lines.txt", tmp);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 150; i++) {
        fputc('x', f);
        for (int k = 0; k < 1 + i % 4; k++)
            fputs("ab", f);
        fputs("y\n", f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/lm.yaml", tmp);
    f = fopen(path, "w");
    fputs(lm_model, f);
    fclose(f);
    char *out;
    cr_assert_eq(sh(NULL, "cd $T && $RW train lm.yaml --set train.checkpoint.path=$T/lm.rwc"), 0);
    cr_assert_eq(sh(&out, "$RW eval $T/lm.rwc --data $T/lines.txt"), 0);
    /* x a b a b ... y $: 2 uncertain choices at most per line */
    double acc = number_after(out, "accuracy ");
    cr_expect_geq(acc, 85.0, "%s", out);
    free(out);
    /* from a fresh state after the bos, 'x' is certain; the last prediction of a line is the eos */
    cr_assert_eq(sh(&out, "$RW predict $T/lm.rwc --data $T/lines.txt --steps | head -1"), 0);
    int ex, step;
    char input[8], pred[32], target[8];
    cr_assert_eq(sscanf(out, "%d\t%d\t%7s\t%31s\t%7s", &ex, &step, input, pred, target), 5, "%s", out);
    cr_expect_str_eq(input, "^");
    cr_expect_str_eq(target, "x");
    cr_expect(!strncmp(pred, "x:0.9", 5), "after the bos: %s", pred);
    free(out);
    /* sampling starts from the bos marker, so greedy text begins like a line */
    cr_assert_eq(sh(&out, "$RW sample $T/lm.rwc --temperature 0 --length 3"), 0);
    cr_expect_str_eq(out, "xab\n");
    free(out);
    cr_assert_eq(sh(&out, "$RW predict $T/lm.rwc --data $T/lines.txt | head -1"), 0);
    cr_expect(strstr(out, "\t$:0.9") && strstr(out, "\t$\n"), "the end of a line predicts the eos: %s", out);
    free(out);
}

Test(tasks, aligned_seq2seq_targets_train_a_layer_list)
{
    char path[128];
    snprintf(path, sizeof path, "%s/pairs.tsv", tmp);
    FILE *f = fopen(path, "w");
    const char *words[] = { "abc", "cab", "bca", "aabb", "ccab", "bac", "abca", "cbba" };
    for (int i = 0; i < 64; i++) { /* each letter maps to the next one: a->b, b->c, c->a */
        const char *w = words[i % 8];
        fprintf(f, "%s\t", w);
        for (const char *c = w; *c; c++)
            fputc(*c == 'c' ? 'a' : *c + 1, f);
        fputc('\n', f);
    }
    fputs("ab\tabc\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/s2s.yaml", tmp);
    f = fopen(path, "w");
    fputs("format: rewind/1\n"
          "data: {kind: tsv_seq2seq, train: pairs.tsv}\n"
          "model:\n"
          "  layers:\n"
          "    - embedding: {size: 8}\n"
          "    - gru: {size: 16}\n"
          "    - linear: {size: vocab}\n"
          "  outputs:\n"
          "    y: {target: aligned}\n"
          "train: {epochs: 20, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}}\n", f);
    fclose(f);
    char *out;
    /* unequal lengths are named */
    cr_assert_eq(sh(NULL, "cd $T && $RW train s2s.yaml"), 1);
    snprintf(path, sizeof path, "%s/err", tmp);
    out = rwt_read_file(path);
    cr_expect(strstr(out, "pairs.tsv:65: the source has 2 tokens and the target 3; 'target: aligned' needs equal "
                          "lengths"), "%s", out);
    free(out);
    cr_assert_eq(sh(NULL, "cd $T && sed -i '$d' pairs.tsv && $RW train s2s.yaml --set train.checkpoint.path=$T/s.rwc"),
                 0);
    cr_assert_eq(sh(&out, "$RW predict $T/s.rwc --data $T/pairs.tsv --steps | head -3"), 0);
    const char *p = out;
    for (int step = 0; step < 3; step++) { /* abc -> bca, each with probability > 0.9 */
        int ex, st;
        char in, pred, target;
        double prob;
        cr_assert_eq(sscanf(p, "%d\t%d\t%c\t%c:%lf\t%c", &ex, &st, &in, &pred, &prob, &target), 6, "%s", out);
        cr_expect(ex == 0 && st == step && in == "abc"[step] && pred == "bca"[step] && target == pred && prob > 0.9,
                  "%s", out);
        p = strchr(p, '\n') + 1;
    }
    free(out);
}

Test(tasks, predict_usage_and_failures)
{
    cr_expect_eq(sh(NULL, "$RW predict"), 2);
    cr_expect_eq(sh(NULL, "$RW predict $T/none.rwc"), 2);
    cr_expect_eq(sh(NULL, "$RW predict $T/none.rwc --data x.tsv"), 1);
    cr_expect_eq(sh(NULL, "$RW predict $T/none.rwc --data x.tsv --top 0"), 2);
}
