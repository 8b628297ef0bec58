/* A word-level language model with a hierarchical softmax through the
 * `rewind` command: train (data of kind lines, tokens: words, vocab_size),
 * then eval, sample (also with Monte-Carlo dropout) and predict on the
 * checkpoint alone, from another
 * directory: the classes come back with the saved vocabulary. */
#include "cli_harness.h"

static const char word_yaml[] =
    "format: rewind/1\n"
    "name: words\n"
    "data: {kind: lines, tokens: words, train: train.txt, valid: valid.txt, vocab_size: 40}\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 12}\n"
    "    - gru: {size: 24, dropout: {output: 0.1}}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs:\n"
    "    next_word: {target: next, softmax: {kind: hierarchical, classes: 6}}\n"
    "train:\n"
    "  seed: 4\n"
    "  steps: 150\n"
    "  batch: {size: 8}\n"
    "  optimizer: {type: adam, lr: 0.02}\n"
    "  valid_every: 150 steps\n"
    "  checkpoint: {path: run/words.rwc}\n"
    "generate: {max_length: 4}\n";

/* Lines of w0 .. w29, each word followed by w((11 k + 3) mod 30). */
static void write_chain(const char *name, int lines, int first)
{
    char path[128], text[8192];
    size_t at = 0;
    for (int i = 0; i < lines; i++) {
        int k = (first + 7 * i) % 30, len = 6 + i % 4;
        for (int t = 0; t < len; t++, k = (11 * k + 3) % 30)
            at += (size_t)snprintf(text + at, sizeof text - at, "%sw%d", t ? " " : "", k);
        text[at++] = '\n';
    }
    text[at] = '\0';
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text);
}

/* How many of the words after the first follow the chain (w(11 k + 3 mod 30) after wk); every
 * word must be one of w0 .. w29. */
static int chain_steps(const char *text)
{
    int follows = 0, prev = -1, k, used;
    for (const char *at = text; sscanf(at, " w%d%n", &k, &used) == 1; at += used) {
        cr_assert(k >= 0 && k < 30, "word w%d in:\n%s", k, text);
        follows += prev >= 0 && k == (11 * prev + 3) % 30;
        prev = k;
    }
    return follows;
}

Test(cli, hsm_word_lm)
{
    char path[128], ck[128];
    write_chain("train.txt", 60, 0);
    write_chain("valid.txt", 12, 5);
    snprintf(path, sizeof path, "%s/words.yaml", dir);
    write_file(path, word_yaml);
    run_result r = RUN(dir, "train", "words.yaml", "--threads", "1", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    snprintf(ck, sizeof ck, "%s/run/words.rwc", dir);
    rw_checkpoint *c = rw_checkpoint_open(ck);
    cr_assert(c, "%s", rw_last_error());
    cr_assert(rw_checkpoint_param_find(c, "head.class_W") >= 0, "the class weights are saved");
    cr_assert(strstr(rw_checkpoint_meta(c, "rewind.vocab"), "\nrewind-hsm 1 31 6\n"), "and the classes");
    rw_checkpoint_close(c);

    r = RUN("/", "eval", ck); /* the exact -log P of each target: perplexity far below the uniform 31 */
    cr_assert_eq(r.status, 0, "%s", r.err);
    double loss = 0;
    const char *at = strstr(r.out, "valid: loss ");
    cr_assert(at && sscanf(at, "valid: loss %lf", &loss) == 1, "%s", r.out);
    cr_expect_lt(exp(loss), 4.0, "perplexity %g:\n%s", exp(loss), r.out);
    run_free(&r);

    r = RUN("/", "sample", ck, "--prime", "w1", "--length", "3", "--temperature", "0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "w1 w14 w7 w20") != NULL, "greedy words follow the chain:\n%s", r.out);
    run_free(&r);
    /* temperature 1 over all words draws the class, then the word (the fast path); --top-k 31 keeps
     * every word but samples from all log-probabilities (the exact path); 0.7 sharpens them */
    const char *const ways[][4] = { { "--seed", "3", "--temperature", "1" }, { "--seed", "3", "--top-k", "31" },
                                    { "--seed", "5", "--temperature", "0.7" } };
    for (int i = 0; i < 3; i++) {
        r = RUN("/", "sample", ck, "--prime", "w1", "--length", "40", ways[i][0], ways[i][1], ways[i][2],
                ways[i][3]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strncmp(r.out, "w1 ", 3) == 0, "sampled words after the prime:\n%s", r.out);
        int follows = chain_steps(r.out);
        cr_expect_geq(follows, 30, "%s %s: %d of 40 words follow the chain:\n%s", ways[i][2], ways[i][3], follows,
                      r.out);
        run_free(&r);
    }

    /* beam search writes words apart too */
    r = RUN("/", "sample", ck, "--prime", "w1", "--length", "3", "--beam", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "w1 w14 w7 w20") != NULL, "beam search's words follow the chain:\n%s", r.out);
    run_free(&r);
    /* Monte-Carlo dropout at temperature 1: a pass, then its class, then its word (the fast path) */
    r = RUN("/", "sample", ck, "--prime", "w1", "--length", "40", "--seed", "3", "--mc-dropout", "4");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "w1 ", 3) == 0, "sampled words after the prime:\n%s", r.out);
    cr_expect_geq(chain_steps(r.out), 30, "--mc-dropout 4: %d of 40 words follow the chain:\n%s", chain_steps(r.out),
                  r.out);
    run_free(&r);

    char valid[128];
    snprintf(valid, sizeof valid, "%s/valid.txt", dir);
    r = RUN("/", "predict", ck, "--data", valid);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strchr(r.out, '\t'), "predictions as TSV:\n%s", r.out);
    run_free(&r);
}
