/* Task models of models/tasks/ and models/pos_tagger.yaml trained through
 * the `rewind` program alone, as a user would: the data made by gen_task
 * (models/tasks/gen_task.c), `rewind train`, then `rewind eval` must reach
 * the stated metric and `rewind predict` must print the predictions.
 * Also the lines and aligned tsv_seq2seq kinds end to end. */
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

/* Runs a shell command line with $RW (the rewind program), $GEN (gen_task)
 * and $T (the temporary directory) set; returns its exit status, and its
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
    snprintf(cmd, sizeof cmd, "RW=%s/tools/rewind GEN=%s/tests/gen_task T=%s; export RW GEN T; (%s) >%s/out 2>%s/err",
             bin, bin, tmp, line, tmp, tmp);
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

Test(tasks, adding_problem_t50_reaches_mse_below_0_02)
{
    char *out;
    cr_assert_eq(sh(NULL, "$GEN adding 50 4000 1 > $T/train.tsv && $GEN adding 50 500 2 > $T/valid.tsv"), 0);
    cr_assert_eq(sh(NULL, "$RW train models/tasks/adding.yaml --set data.train=$T/train.tsv --set "
                          "data.valid=$T/valid.tsv --set train.checkpoint.path=$T/adding.rwc"), 0);
    cr_assert_eq(sh(&out, "$RW eval $T/adding.rwc --data $T/valid.tsv"), 0);
    double mse = number_after(out, "mse ");
    cr_expect_lt(mse, 0.02, "held-out mse %g:\n%s", mse, out);
    cr_log_info("adding T=50: %s", out);
    free(out);
    /* predict: one line per example, "index<TAB>predicted<TAB>target", close to the target */
    cr_assert_eq(sh(&out, "$RW predict $T/adding.rwc --data $T/valid.tsv"), 0);
    cr_assert_eq(count_lines(out), 500);
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
    cr_expect_lt(sq / 500, 0.02);
    free(out);
}

Test(tasks, binary_addition_tags_99_percent_of_held_out_bits)
{
    char *out;
    cr_assert_eq(sh(NULL, "$GEN addition 8 3000 1 train > $T/train.tsv && $GEN addition 8 500 2 test > $T/test.tsv"),
                 0);
    cr_assert_eq(sh(NULL, "$RW train models/tasks/addition.yaml --set data.train=$T/train.tsv --set "
                          "data.test=$T/test.tsv --set train.checkpoint.path=$T/add.rwc"), 0);
    cr_assert_eq(sh(&out, "$RW eval models/tasks/addition.yaml --checkpoint $T/add.rwc --set data.train=$T/train.tsv "
                          "--set data.test=$T/test.tsv"), 0);
    const char *test = strstr(out, "test: ");
    cr_assert_not_null(test, "%s", out);
    double acc = number_after(test, "accuracy ");
    cr_expect_geq(acc, 99.0, "held-out bit accuracy %g%%:\n%s", acc, out);
    cr_expect(strstr(test, "class 1") && strstr(test, "precision") && strstr(test, "recall"), "%s", out);
    cr_log_info("addition: %s", out);
    free(out);
    /* predict: the tags of each example; whole sums right */
    cr_assert_eq(sh(&out, "$RW predict $T/add.rwc --data $T/test.tsv"), 0);
    cr_assert_eq(count_lines(out), 500);
    int right = 0, n = 0;
    for (char *p = out; *p; n++) {
        char *nl = strchr(p, '\n'), *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        cr_assert(t1 && t2 && t2 < nl, "line %d is not index<TAB>tags<TAB>targets", n);
        right += t2 - t1 - 1 == nl - t2 - 1 && !strncmp(t1 + 1, t2 + 1, (size_t)(nl - t2 - 1));
        p = nl + 1;
    }
    cr_expect_geq(right, 490, "%d of %d sums right", right, n);
    free(out);
    /* --steps: example, step, input, tag:probability, target */
    cr_assert_eq(sh(&out, "$RW predict $T/add.rwc --data $T/test.tsv --steps --top 2"), 0);
    cr_assert_eq(count_lines(out), 500 * 9);
    int ex, step;
    char input[8], p1[16], p2[16], target[8];
    cr_assert_eq(sscanf(out, "%d\t%d\t%7s\t%15s %15s\t%7s", &ex, &step, input, p1, p2, target), 6, "%.80s", out);
    cr_expect(ex == 0 && step == 0 && strlen(input) == 2 && strchr(p1, ':') && strchr(p2, ':'));
    free(out);
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
