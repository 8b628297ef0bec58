/* Training an encoder-decoder with `rewind train`: the exact-match metric
 * (greedy decoding equals the reference) at each validation, in the
 * progress line and the CSV log; and a run resumed from its checkpoint
 * under a scheduled teacher-forcing setting equals the uninterrupted run
 * (the schedule's clock continues from the checkpoint's step). */
#include "cli_harness.h"

/* Reversal of every string of 2 or 3 letters over "abcd" (80 pairs): train
 * and valid hold them all (a toy task the model can learn in seconds). */
static void write_toy_data(void)
{
    char text[2048], path[128];
    int n = 0;
    for (int len = 2; len <= 3; len++) {
        int count = len == 2 ? 16 : 64;
        for (int k = 0; k < count; k++) {
            char s[4] = { 0 }, r[4] = { 0 };
            for (int i = 0, v = k; i < len; i++, v /= 4)
                s[i] = r[len - 1 - i] = (char)('a' + v % 4);
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\t%s\n", s, r);
        }
    }
    snprintf(path, sizeof path, "%s/train.tsv", dir);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/valid.tsv", dir);
    write_file(path, text);
}

static void write_toy_model(const char *train_extra)
{
    char path[128], text[2048];
    snprintf(text, sizeof text,
             "format: rewind/1\n"
             "name: toy_reverse\n"
             "data: {kind: tsv_seq2seq, train: train.tsv, valid: valid.tsv}\n"
             "model:\n"
             "  graph:\n"
             "    - {name: enc, layer: {gru: {size: 24}}, in: [source]}\n"
             "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
             "    - {name: dec, layer: {gru: {size: 24}}, in: [emb], attention: {type: dot, keys: enc}}\n"
             "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n"
             "train:\n"
             "  seed: 5\n"
             "  batch: {size: 16}\n"
             "  optimizer: {type: adam, lr: 2.0e-2}\n"
             "  clip: {global_norm: 5.0}\n"
             "  checkpoint: {path: run/toy.rwc}\n"
             "%s",
             train_extra);
    write_toy_data();
    snprintf(path, sizeof path, "%s/toy.yaml", dir);
    write_file(path, text);
}

/* The values of column `name` in the valid rows of a CSV log; their count. */
static int valid_column(const char *path, const char *name, double *out, int max)
{
    char *s = slurp(path), *save = NULL;
    int col = -1, n = 0;
    char *line = strtok_r(s, "\n", &save);
    cr_assert(line, "%s is empty", path);
    char *header = strdup(line), *hsave = NULL;
    int i = 0;
    for (char *f = strtok_r(header, ",", &hsave); f; f = strtok_r(NULL, ",", &hsave), i++)
        if (!strcmp(f, name))
            col = i;
    free(header);
    cr_assert_geq(col, 0, "no column '%s' in the header '%s'", name, line);
    while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
        if (!strstr(line, ",valid,"))
            continue;
        const char *f = line;
        for (int k = 0; k < col && f; k++)
            f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
        cr_assert(f && *f && *f != ',', "the valid row '%s' has no %s", line, name);
        out[n++] = strtod(f, NULL);
    }
    free(s);
    return n;
}

Test(cli, exact_match_at_each_validation_in_the_progress_line_and_the_log, .timeout = 120)
{
    write_toy_model("  steps: 60\n  valid_every: 10 steps\n  metrics: [exact_match, accuracy]\n");
    run_result r = RUN(dir, "train", "toy.yaml", "--log", "run/log.csv", "--threads", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "exact_match "), "the progress shows exact match:\n%s", r.err);
    run_free(&r);
    char path[128];
    snprintf(path, sizeof path, "%s/run/log.csv", dir);
    double v[16];
    int n = valid_column(path, "exact_match", v, 16);
    cr_assert_eq(n, 6, "a value at each of the 6 validations");
    for (int i = 0; i < n; i++)
        cr_expect(v[i] >= 0 && v[i] <= 1, "exact match %g at validation %d is a fraction", v[i], i + 1);
    fprintf(stderr, "toy reversal, exact match at steps 10..60: %.3f %.3f %.3f %.3f %.3f %.3f\n", v[0], v[1], v[2],
            v[3], v[4], v[5]);
    cr_expect_leq(v[0], 0.5, "little is right after 10 steps: %g", v[0]);
    cr_expect_geq(v[n - 1], v[0] + 0.4, "exact match rises from %g to %g", v[0], v[n - 1]);
}

Test(cli, exact_match_needs_an_encoder_decoder)
{
    write_tiny_model();
    run_result r = RUN(dir, "check", "tiny.yaml", "--set", "train.metrics=[exact_match]");
    cr_expect_neq(r.status, 0);
    cr_expect(strstr(r.err, "exact_match") && strstr(r.err, "encoder-decoder"), "%s", r.err);
    run_free(&r);
}

/* Scheduled sampling feeds the model's own tokens with a probability that
 * falls with the step: resumed at step 10, the run must go on at step 10's
 * probability, so its rows 11..20 and its final parameters equal those of
 * the run that never stopped. */
Test(cli, resume_continues_the_teacher_forcing_schedule, .timeout = 120)
{
    write_toy_model("  teacher_forcing: {schedule: linear, k: 1.0, c: 0.04}\n");
    run_result r = RUN(dir, "train", "toy.yaml", "--quiet", "--steps", "20", "--checkpoint", "run/whole.rwc",
                       "--log", "run/whole.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "toy.yaml", "--quiet", "--steps", "10", "--checkpoint", "run/parts.rwc", "--log",
            "run/part1.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "toy.yaml", "--quiet", "--steps", "20", "--checkpoint", "run/parts.rwc", "--log",
            "run/part2.csv", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char whole[128], part[128];
    snprintf(whole, sizeof whole, "%s/run/whole.csv", dir);
    snprintf(part, sizeof part, "%s/run/part2.csv", dir);
    for (long step = 11; step <= 20; step++) {
        char *a = log_row(whole, step), *b = log_row(part, step);
        cr_assert(*a && *b, "step %ld is in both logs", step);
        cr_assert_str_eq(a, b, "step %ld: the resumed run differs", step);
        free(a);
        free(b);
    }
    snprintf(whole, sizeof whole, "%s/run/whole.rwc", dir);
    snprintf(part, sizeof part, "%s/run/parts.rwc", dir);
    rw_model *a = rw_model_from_checkpoint(whole, NULL), *b = rw_model_from_checkpoint(part, NULL);
    cr_assert(a && b, "%s", rw_last_error());
    const rw_params *pa = rw_model_params(a), *pb = rw_model_params(b);
    cr_assert_eq(rw_params_count(pa), rw_params_count(pb));
    for (int i = 0; i < rw_params_count(pa); i++) {
        const rw_tensor *u = rw_params_at(pa, i)->value, *v = rw_params_at(pb, i)->value;
        cr_assert_eq(u->size, v->size);
        cr_expect(!memcmp(u->data, v->data, u->size * sizeof *u->data), "parameter %s differs",
                  rw_params_at(pa, i)->name);
    }
    rw_model_free(a);
    rw_model_free(b);
}
