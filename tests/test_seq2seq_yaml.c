/* Encoder-decoders from YAML (model.graph, data kind tsv_seq2seq) through
 * every door: the C API (rw_model_load, rw_train, rw_model_translate,
 * attention weights, the vocabulary specials saved and read back) and the
 * `rewind` program (check, train, eval, translate with --nbest and
 * --attention, sample with generate.stop_at), and learning digit-string
 * reversal with `rewind train` alone. Data comes from
 * scripts/seq2seq_data.sh into a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static const char *env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

/* Runs a shell command in dir; its standard output (malloc'd) and status. */
static char *run(const char *dir, const char *cmd, int *status)
{
    char line[4096];
    snprintf(line, sizeof line, "cd '%s' && %s 2>>stderr.txt", dir, cmd);
    FILE *p = popen(line, "r");
    cr_assert_not_null(p, "cannot run %s", cmd);
    size_t cap = 4096, n = 0, got;
    char *out = malloc(cap);
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = '\0';
    *status = pclose(p);
    return out;
}

static char *run_ok(const char *dir, const char *cmd)
{
    int st;
    char *out = run(dir, cmd, &st);
    cr_assert_eq(st, 0, "'%s' failed (status %d); its stderr is in %s/stderr.txt", cmd, st, dir);
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    s[fread(s, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return s;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A temporary directory with reversal data (train/valid/test) and rev.yaml. */
static void make_task(char *dir, int n_train, long steps, int hidden)
{
    strcpy(dir, "/tmp/rw_s2s_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char cmd[2048], path[1200];
    snprintf(cmd, sizeof cmd, "sh '%s/scripts/seq2seq_data.sh' reverse '%s' %d 300 300 7", env("RW_SOURCE_DIR", "."),
             dir, n_train);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    snprintf(path, sizeof path, "%s/rev.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "format: rewind/1\n"
               "name: rev_test\n"
               "data: {kind: tsv_seq2seq, train: train.tsv, valid: valid.tsv, test: test.tsv}\n"
               "model:\n"
               "  graph:\n"
               "    - {name: enc, layer: {lstm: {size: %d}}, in: [source]}\n"
               "    - {name: tgt_emb, layer: {embedding: {size: 16}}, in: [target]}\n"
               "    - {name: dec, layer: {lstm: {size: %d, initial_state: {from: enc, reduce: last}}}, in: [tgt_emb],\n"
               "       attention: {type: general, keys: enc, input_feeding: true}}\n"
               "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n"
               "  outputs:\n"
               "    reversed: {from: head, loss: cross_entropy, target: target}\n"
               "train:\n"
               "  seed: 3\n"
               "  steps: %ld\n"
               "  batch: {size: 32}\n"
               "  optimizer: {type: adam, lr: 1.0e-2}\n"
               "  clip: {global_norm: 5.0}\n"
               "  teacher_forcing: {schedule: always}\n"
               "  valid_every: 300 steps\n"
               "  checkpoint: {path: rev.rwc}\n"
               "generate: {method: greedy, max_length: 12, stop_at: \"</s>\"}\n",
            hidden, hidden, steps);
    fclose(f);
}

static void remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *rewind_cmd(char *buf, size_t len, const char *args)
{
    snprintf(buf, len, "'%s/tools/rewind' %s", env("RW_BINARY_DIR", "build"), args);
    return buf;
}

/* ---- the command line -------------------------------------------------------------- */

Test(seq2seq_yaml, check_train_eval_translate_from_the_command_line, .timeout = 300)
{
    char dir[64], cmd[4096];
    make_task(dir, 400, 40, 16);
    char *out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "check rev.yaml"));
    cr_expect(strstr(out, "graph (an encoder-decoder") && strstr(out, "attention: general over 'enc', input feeding"),
              "rewind check prints the graph:\n%s", out);
    cr_expect(strstr(out, "vocabulary of 14"), "10 digits and 4 specials:\n%s", out);
    free(out);
    free(run_ok(dir, rewind_cmd(cmd, sizeof cmd, "train rev.yaml --quiet")));
    char ck[128];
    snprintf(ck, sizeof ck, "%s/rev.rwc", dir);
    cr_assert_eq(access(ck, F_OK), 0, "no checkpoint after training");
    out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "eval rev.rwc"));
    cr_expect(strstr(out, "valid: loss") && strstr(out, "test: loss") && count(out, "exact match") == 2,
              "eval reports loss and exact match on valid and test:\n%s", out);
    free(out);

    /* five sources: one output line each, from a file and from stdin */
    free(run_ok(dir, "head -5 test.tsv | cut -f1 > in.txt"));
    out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "translate rev.rwc --input in.txt"));
    cr_expect_eq(count(out, "\n"), 5, "one output per line:\n%s", out);
    free(out);
    out = run_ok(dir, strcat(strcpy((char[4200]){ 0 }, "echo 1234 | "), rewind_cmd(cmd, sizeof cmd,
                                                                                    "translate rev.rwc")));
    cr_expect_eq(count(out, "\n"), 1, "stdin: one line:\n%s", out);
    free(out);

    /* --nbest 3: three outputs with scores per line, best first */
    out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "translate rev.rwc --input in.txt --nbest 3 --max-length 12"));
    cr_expect_eq(count(out, "\n"), 5);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *field[8];
        int n = 0;
        for (char *f = line; f && n < 8; n++) {
            field[n] = f;
            f = strchr(f, '\t');
            if (f)
                *f++ = '\0';
        }
        cr_assert_eq(n, 6, "three outputs and their scores");
        for (int k = 0; k < 3; k++) {
            char *end;
            double s = strtod(field[2 * k + 1], &end);
            cr_expect(*end == '\0' && s <= 0, "a score is a log-probability: '%s'", field[2 * k + 1]);
            if (k)
                cr_expect_leq(s, strtod(field[2 * k - 1], NULL), "best first");
        }
    }
    free(out);

    /* --attention: a well-formed SVG with one cell per (output, source) pair */
    free(run_ok(dir, rewind_cmd(cmd, sizeof cmd, "translate rev.rwc --input in.txt --attention att.svg")));
    if (access("/usr/bin/xmllint", X_OK) == 0)
        free(run_ok(dir, "xmllint --noout att.svg"));
    snprintf(cmd, sizeof cmd, "%s/att.svg", dir);
    char *svg = slurp(cmd), *src = run_ok(dir, "head -1 in.txt | tr -d '\\n' | wc -c");
    int cols = atoi(src), rows = count(svg, "class=\"output\"");
    cr_expect_eq(count(svg, "class=\"source\""), cols, "a label per source token");
    cr_expect_geq(rows, 1);
    cr_expect_eq(count(svg, "class=\"cell\""), rows * cols, "%d x %d cells", rows, cols);
    cr_expect(strncmp(svg, "<?xml", 5) == 0 && strstr(svg, "</svg>"));
    free(svg);
    free(src);

    /* a usage error and a model that is not an encoder-decoder */
    int st;
    free(run(dir, rewind_cmd(cmd, sizeof cmd, "translate rev.rwc --method beem"), &st));
    cr_expect_eq(WEXITSTATUS(st), 2);
    remove_dir(dir);
}

Test(seq2seq_yaml, char_lm_sample_stops_at_generate_stop_at, .timeout = 120)
{
    char dir[64] = "/tmp/rw_stop_XXXXXX", cmd[4096];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "%s/lm.yaml", dir);
    FILE *f = fopen(cmd, "w");
    fprintf(f, "format: rewind/1\ndata: {kind: chars, train: text.txt}\nmodel:\n  layers:\n"
               "    - embedding: {size: 8}\n    - gru: {size: 16}\n    - linear: {size: vocab}\n"
               "  outputs:\n    next: {target: next}\n"
               "train: {steps: 3, batch: {size: 2, bptt: 8}, checkpoint: {path: lm.rwc}}\n"
               "generate: {method: sample, max_length: 400, stop_at: \"b\"}\n");
    fclose(f);
    free(run_ok(dir, "printf 'abababababababababababababababab\\n' > text.txt"));
    free(run_ok(dir, rewind_cmd(cmd, sizeof cmd, "train lm.yaml --quiet")));
    char *out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "sample lm.rwc --prime a"));
    size_t len = strlen(out);
    if (len && out[len - 1] == '\n')
        out[--len] = '\0';
    const char *after = out + 1; /* after the prime */
    cr_expect_leq(count(after, "b"), 1, "the text ends at the first b: %s", out);
    cr_expect(count(after, "b") == 0 || out[len - 1] == 'b', "ends with b: '%s'", out);
    free(out);
    remove_dir(dir);
}

/* ---- the C API ------------------------------------------------------------------------ */

static double train_steps(rw_model *m)
{
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    o.checkpoint_path = NULL;
    rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
    rw_train_result res;
    cr_assert_eq(rw_train(rw_model_params(m), opt, src, rw_model_loss_fn, m, &o, &res), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    return res.last_loss;
}

Test(seq2seq_yaml, c_api_trains_translates_and_shows_attention, .timeout = 300)
{
    char dir[64], path[128];
    make_task(dir, 300, 30, 16);
    snprintf(path, sizeof path, "%s/rev.yaml", dir);
    const char *sets[] = { "generate.stop_at=\"7\"" };
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .overrides = sets, .n_overrides = 1 });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert(rw_model_is_seq2seq(m));
    const char *specials[] = { "<pad>", "<s>", "</s>", "<unk>" };
    for (int i = 0; i < 4; i++)
        cr_expect_str_eq(rw_model_token(m, i), specials[i]);
    int32_t seven = -1;
    cr_assert_eq(rw_model_encode(m, "7", &seven, 1), 1);
    cr_expect_eq(rw_model_translate_defaults(m).end, seven, "stop_at names the end token");
    double loss = train_steps(m);
    cr_expect(isfinite(loss) && loss < 2.7, "30 steps lower the loss below ln(14): %g", loss);

    /* beam width 1 is greedy decoding */
    int32_t ids[8], greedy[12];
    int n = rw_model_encode(m, "40913", ids, 8), glen;
    cr_assert_eq(n, 5);
    rw_step_model *dm = rw_seq2seq_step_model_new(rw_model_seq2seq(m), ids, n);
    cr_assert_eq(rw_decode_greedy(dm, &(rw_decode_opts){ .start = RW_VOCAB_BOS, .end = RW_VOCAB_EOS,
                                                          .max_length = 12 }, greedy, &glen), RW_OK);
    rw_step_model_free(dm);
    rw_translate_opts o = rw_model_translate_defaults(m);
    o.end = RW_VOCAB_EOS;
    o.beam = 1;
    o.sample = false;
    rw_hypothesis h[3];
    int got;
    cr_assert_eq(rw_model_translate(m, "40913", &o, h, 1, &got), RW_OK, "%s", rw_last_error());
    cr_assert_eq(got, 1);
    cr_expect_eq(h[0].length, glen);
    cr_expect_arr_eq(h[0].tokens, greedy, (size_t)glen * sizeof *greedy);

    /* attention: one row per output (and </s>), each a distribution over the 5 source tokens */
    rw_tensor *w = rw_model_attention_weights(m, "40913", h[0].tokens, h[0].length, h[0].ended);
    cr_assert_not_null(w, "%s", rw_last_error());
    cr_expect_eq(w->shape.dim[0], h[0].length + h[0].ended);
    cr_expect_eq(w->shape.dim[1], 5);
    for (int i = 0; i < w->shape.dim[0]; i++) {
        double sum = 0;
        for (int j = 0; j < 5; j++)
            sum += (double)w->data[i * 5 + j];
        rwt_assert_close(sum, 1.0, 1e-4, "row %d sums to %g", i, sum);
    }
    rw_tensor_free(w);
    rw_hypotheses_free(h, got);

    /* n best from a beam of 3, best first */
    o.beam = 3;
    cr_assert_eq(rw_model_translate(m, "40913", &o, h, 3, &got), RW_OK);
    cr_expect_eq(got, 3);
    for (int i = 1; i < got; i++)
        cr_expect_leq(h[i].score, h[i - 1].score);
    rw_hypotheses_free(h, got);

    /* the vocabulary with its specials saves and reads back (as a checkpoint does) */
    char *vocab = rw_model_vocab_string(m);
    rw_model *back = rw_model_load(path, &(rw_model_load_opts){ .skip_data = true, .vocab = vocab });
    cr_assert_not_null(back, "%s", rw_last_error());
    cr_expect_eq(rw_model_vocab_size(back), 14);
    cr_expect_str_eq(rw_model_token(back, 2), "</s>");
    int32_t again[8];
    cr_expect_eq(rw_model_encode(back, "40913", again, 8), 5);
    cr_expect_arr_eq(again, ids, 5 * sizeof *ids);
    free(vocab);
    rw_model_free(back);
    long right, total;
    cr_assert_eq(rw_model_exact_match(m, RW_SPLIT_VALID, &right, &total), RW_OK);
    cr_expect_eq(total, 300);
    rw_model_free(m);
    remove_dir(dir);
}

Test(seq2seq_yaml, specials_keep_a_byte_vocabulary_and_move_unk)
{
    unsigned char present[256] = { 0 };
    rw_bytes_mark("ab", 2, false, present);
    rw_vocab v = { 0 };
    cr_assert_eq(rw_vocab_from_bytes(&v, present), RW_OK);
    cr_assert_eq(rw_vocab_add_specials(&v), RW_OK);
    cr_expect_eq(v.n, 6);
    cr_expect(v.bytes && rw_vocab_has_specials(&v) && v.unk == RW_VOCAB_UNK);
    int32_t ids[3];
    cr_expect_eq(rw_vocab_encode(&v, "abc", ids), 3);
    cr_expect(ids[0] == 4 && ids[1] == 5 && ids[2] == RW_VOCAB_UNK, "a b, and c unknown");
    cr_expect_eq(rw_vocab_add_specials(&v), RW_OK, "a second time changes nothing");
    cr_expect_eq(v.n, 6);
    rw_vocab_free(&v);
    char *words[] = { "x", "y" };
    cr_assert_eq(rw_vocab_from_words(&v, words, 2, 1), RW_OK);
    cr_assert_eq(rw_vocab_add_specials(&v), RW_OK);
    cr_expect_eq(v.n, 6, "the word vocabulary's own <unk> moves to id 3");
    cr_expect_str_eq(v.tok[3], "<unk>");
    cr_expect_str_eq(v.tok[4], "x");
    rw_vocab_free(&v);
}

/* ---- learning through `rewind train` alone ------------------------------------------------- */

Test(seq2seq_yaml, rewind_train_learns_to_reverse_digit_strings, .timeout = 900)
{
#if defined(__SANITIZE_ADDRESS__)
    const long steps = 600; /* the sanitizer build is ~10x slower: fewer steps, a lower bar */
    const double bar = 90;
#else
    const long steps = 900;
    const double bar = 99;
#endif
    char dir[64], cmd[4096];
    make_task(dir, 6000, steps, 32);
    free(run_ok(dir, rewind_cmd(cmd, sizeof cmd, "train rev.yaml --quiet --threads 1")));
    char *out = run_ok(dir, rewind_cmd(cmd, sizeof cmd, "eval rev.rwc --data test.tsv"));
    const char *at = strstr(out, "exact match ");
    cr_assert_not_null(at, "%s", out);
    double acc = atof(at + strlen("exact match "));
    fprintf(stderr, "rewind train, digit reversal (lengths 3-8), %ld steps: held-out exact match %.2f%%\n", steps, acc);
    cr_expect_geq(acc, bar, "held-out exact match %.2f%% after %ld steps: %s", acc, steps, out);
    free(out);
    remove_dir(dir);
}

/* ---- the shipped models ------------------------------------------------------------------- */

static void shipped_model(const char *file, const char *schedule, int beam_width, double length_norm)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/%s", env("RW_SOURCE_DIR", "."), file);
    const char *over[] = { "train.steps=4", "train.batch.size=8", "hyper.hidden=8", "train.checkpoint.every=0" };
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .overrides = over, .n_overrides = 4 });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect(rw_model_is_seq2seq(m) && rw_model_seq2seq(m) != NULL);
    const rw_model_generate_config *g = rw_model_generate_config_of(m);
    cr_expect(g->beam && g->beam_width == beam_width && fabs(g->length_norm - length_norm) < 1e-12);
    cr_expect_str_eq(g->stop_at, "</s>");
    rw_translate_opts o = rw_model_translate_defaults(m);
    cr_expect(o.beam == beam_width && o.end == RW_VOCAB_EOS && !o.sample);
    char *summary = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&summary, &len);
    rw_model_print_summary(f, m);
    fclose(f);
    cr_expect(strstr(summary, schedule) && strstr(summary, "attention: ") && strstr(summary, "total: "), "%s",
              summary);
    free(summary);
    double loss = train_steps(m);
    cr_expect(isfinite(loss), "%s trains", file);
    rw_model_free(m);
}

Test(seq2seq_yaml, shipped_models_load_and_train, .timeout = 120)
{
    shipped_model("reverse.yaml", "teacher forcing: always", 4, 0.6);
    shipped_model("date_seq2seq.yaml", "teacher forcing: inverse_sigmoid (k 400", 3, 0.6);
}
