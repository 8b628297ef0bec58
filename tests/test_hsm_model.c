/* A word-level language model with a hierarchical softmax from a model
 * file: `softmax: {kind: hierarchical, classes: C}` on the output, data of
 * kind lines with `tokens: words` and `vocab_size`. It learns a tiny
 * deterministic word corpus far below the uniform perplexity; its
 * evaluation loss is the exact -log P of the targets (equal to cross-entropy
 * of rw_model_logits, the full log-probabilities); the whole model's
 * gradient matches finite differences; the classes survive the saved
 * vocabulary; bad settings are errors at their position. The same on the
 * token targets other than `next`: per-step tags (tsv_tagging, the softmax
 * over the tags), one label per sequence (tsv_classify, over the labels)
 * and the aligned target token of tsv_seq2seq (over the vocabulary); the
 * refusals (real targets, a head of the wrong size, the seq2seq decoder)
 * are model_bad files (tests/model_bad/hsm_*.yaml). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

#define has(msg, s) (strstr((msg), (s)) != NULL)

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw_hsm_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(hsm_model, .init = setup, .fini = teardown);

static FILE *open_tmp(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    return f;
}

static void write_tmp(const char *name, const char *text)
{
    FILE *f = open_tmp(name);
    fputs(text, f);
    fclose(f);
}

static rw_model *load(const char *yaml, const rw_model_load_opts *o)
{
    char p[256];
    write_tmp("m.yaml", yaml);
    snprintf(p, sizeof p, "%s/m.yaml", tmpdir);
    return rw_model_load(p, o);
}

/* Lines of words w0 .. w29, each word followed by w((11 k + 3) mod 30):
 * the next word is a function of the current one. */
static char *chain_corpus(int lines, int first)
{
    char *text = malloc((size_t)lines * 80 + 1);
    size_t at = 0;
    for (int i = 0; i < lines; i++) {
        int k = (first + 7 * i) % 30, len = 6 + i % 4;
        for (int t = 0; t < len; t++, k = (11 * k + 3) % 30)
            at += (size_t)sprintf(text + at, "%sw%d", t ? " " : "", k);
        text[at++] = '\n';
    }
    text[at] = '\0';
    return text;
}

#define WORD_LM(softmax, extra_data)                                                                           \
    "format: rewind/1\n"                                                                                       \
    "data: {kind: lines, tokens: words, train: train.txt, valid: valid.txt" extra_data "}\n"                   \
    "model:\n"                                                                                                 \
    "  layers:\n"                                                                                              \
    "    - embedding: {size: 16}\n"                                                                            \
    "    - gru: {size: 24}\n"                                                                                  \
    "    - linear: {name: head, size: vocab}\n"                                                                \
    "  outputs:\n"                                                                                             \
    "    next_word: {target: next" softmax "}\n"                                                               \
    "train: {seed: 2, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}, valid_every: 50 steps}\n"

static void write_corpus(void)
{
    char *train = chain_corpus(60, 0), *valid = chain_corpus(12, 5);
    write_tmp("train.txt", train);
    write_tmp("valid.txt", valid);
    free(train);
    free(valid);
}

/* The first batch of a split (the source lives as long as the model). */
static const rw_model_batch *first_batch(rw_model *m, rw_model_split split)
{
    rw_train_source src = rw_model_source(m, split, NULL);
    cr_assert_eq(src.start_epoch(src.ctx, 0), RW_OK);
    void *bv = NULL;
    cr_assert_eq(src.next(src.ctx, &bv), RW_OK);
    cr_assert_not_null(bv);
    return bv;
}

static rw_train_result train_steps(rw_model *m, long steps)
{
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    o.max_steps = steps;
    o.epochs = 0;
    rw_train_result r = { 0 };
    cr_assert_eq(rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m,
                          &o, &r), RW_OK, "%s", rw_last_error());
    rw_optim_free(opt);
    return r;
}

/* The evaluation loss is exact: on the first validation batch, cross-entropy
 * of the log-probabilities of all `outcomes` (rw_model_logits) against the
 * labels (when `label`) or the per-step targets gives the same. */
static void expect_exact_loss(rw_model *m, int outcomes, bool label)
{
    const rw_model_batch *b = first_batch(m, RW_SPLIT_VALID);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_node *loss = rw_model_loss(g, m, b), *lp = rw_model_logits(g, m, b);
    cr_assert(loss && lp, "%s", rw_last_error());
    cr_assert_eq(rw_shape_last(lp->value.shape), outcomes, "%d outcomes, expected %d", rw_shape_last(lp->value.shape),
                 outcomes);
    rw_node *full = rw_cross_entropy(g, lp, rw_const(g, label ? b->labels : b->targets));
    cr_assert_not_null(full, "%s", rw_last_error());
    rwt_assert_close(rw_scalar(loss), rw_scalar(full), 1e-4, "hsm loss %g, from the log-probabilities %g",
                     (double)rw_scalar(loss), (double)rw_scalar(full));
    rw_graph_free(g);
}

Test(hsm_model, word_lm_learns_the_chain_far_below_uniform_perplexity)
{
    write_corpus();
    rw_model *m = load(WORD_LM(", softmax: {kind: hierarchical, classes: 5}", ""), NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    int V = rw_model_vocab_size(m);
    cr_assert_eq(V, 31, "w0 .. w29 and <unk>, got %d", V);
    cr_assert_not_null(rw_params_get(rw_model_params(m), "head.class_W"), "%s", rw_last_error());
    rw_train_result r = train_steps(m, 200);
    double ppl = exp(r.best_valid_loss);
    cr_expect_lt(ppl, 3.0, "validation perplexity %g after 200 steps (uniform: %d)", ppl, V);

    expect_exact_loss(m, V, false);

    /* generation follows the chain: w1 -> w14 -> w7 (11 k + 3 mod 30) */
    rw_rng rng = rw_rng_seed(1);
    char *text = rw_model_generate(m, "w1", 2, 0, 0, &rng);
    cr_assert_not_null(text, "%s", rw_last_error());
    cr_expect_str_eq(text, "w14 w7", "greedy continuation '%s'", text);
    free(text);
    rw_model_free(m);
}

Test(hsm_model, the_classes_travel_with_the_saved_vocabulary)
{
    write_corpus();
    rw_model *m = load(WORD_LM(", softmax: {kind: hierarchical, classes: 4}", ""), NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    char *vocab = rw_model_vocab_string(m);
    cr_assert_not_null(vocab, "%s", rw_last_error());
    cr_assert(has(vocab, "\nrewind-hsm 1 31 4\n"), "%s", vocab);
    /* rebuilt without data from the saved vocabulary: the same classes and parameter shapes */
    rw_model *back = load(WORD_LM(", softmax: {kind: hierarchical, classes: 4}", ""),
                          &(rw_model_load_opts){ .skip_data = true, .vocab = vocab });
    cr_assert_not_null(back, "%s", rw_last_error());
    char *again = rw_model_vocab_string(back);
    cr_assert_str_eq(again, vocab);
    cr_assert_eq(rw_params_size(rw_model_params(back)), rw_params_size(rw_model_params(m)));
    free(again);
    free(vocab);
    rw_model_free(back);
    rw_model_free(m);
}

/* The gradient of the whole model (embedding, GRU, hierarchical softmax) on one batch. */
static rw_node *model_loss(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)in;
    void **c = ctx;
    return rw_model_loss(g, c[0], c[1]);
}

Test(hsm_model, whole_model_gradient_matches_finite_differences)
{
    write_tmp("train.txt", "a b c a b\nc c a\nb a d d a c\nd a b\n");
    write_tmp("valid.txt", "a b\n");
    rw_model *m = load("format: rewind/1\n"
                       "data: {kind: lines, tokens: words, train: train.txt}\n"
                       "model:\n"
                       "  layers:\n"
                       "    - embedding: {size: 3}\n"
                       "    - gru: {size: 4}\n"
                       "    - linear: {size: vocab}\n"
                       "  outputs:\n"
                       "    y: {softmax: {kind: hierarchical, classes: 2}}\n"
                       "train: {batch: {size: 4}}\n", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    const rw_model_batch *b = first_batch(m, RW_SPLIT_TRAIN);
    for (int i = 0; i < rw_params_count(rw_model_params(m)); i++) { /* move everything off zero */
        rw_param *p = rw_params_at(rw_model_params(m), i);
        rw_rng r = rw_rng_seed(40 + (uint64_t)i);
        for (size_t k = 0; k < p->value->size; k++)
            p->value->data[k] += (rw_real)(0.3 * (rw_rng_uniform(&r) - 0.5));
    }
    void *ctx[2] = { m, (void *)b };
    rw_gradcheck_report rep;
    rw_gradcheck_opts go = { .seed = 3 };
#ifndef RW_DOUBLE
    go.tol = 0.1; /* float: a loose smoke check; the double build is the real one */
#endif
    cr_expect_eq(rw_gradcheck(model_loss, ctx, NULL, 0, rw_model_params(m), &go, &rep), RW_OK,
                 "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    cr_expect_gt(rep.checked, 100);
    rw_model_free(m);
}

Test(hsm_model, vocab_size_keeps_the_most_frequent_words)
{
    write_tmp("train.txt", "a a a a b b b c c d\ne e a b\n");
    write_tmp("valid.txt", "a\n");
    rw_model *m = load("format: rewind/1\n"
                       "data: {kind: lines, tokens: words, train: train.txt, vocab_size: 3, bos: <s>}\n"
                       "model:\n"
                       "  layers:\n"
                       "    - embedding: {size: 3}\n"
                       "    - gru: {size: 4}\n"
                       "    - linear: {size: vocab}\n"
                       "  outputs:\n"
                       "    y: {target: next}\n", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    /* a (6) and b (4) beat c, e (2) and d (1): room for one word beside <unk> and the marker <s> */
    int V = rw_model_vocab_size(m);
    cr_assert_eq(V, 3, "vocabulary of %d", V);
    bool a = false, s = false, unk = false;
    for (int i = 0; i < V; i++) {
        a |= !strcmp(rw_model_token(m, i), "a");
        s |= !strcmp(rw_model_token(m, i), "<s>");
        unk |= !strcmp(rw_model_token(m, i), "<unk>");
    }
    cr_expect(a && s && unk, "a, <s> and <unk> are kept");
    int32_t ids[8];
    int n = rw_model_encode(m, "a b", ids, 8);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(rw_model_token(m, ids[1]), "<unk>");
    rw_model_free(m);
}

static void expect_error(const char *yaml, const char *fragment, const char *position)
{
    rw_model *m = load(yaml, NULL);
    cr_expect_null(m, "loaded, but should fail with %s", fragment);
    rw_model_free(m);
    cr_expect(has(rw_last_error(), fragment), "expected '%s' in:\n%s", fragment, rw_last_error());
    cr_expect(has(rw_last_error(), position), "expected position '%s' in:\n%s", position, rw_last_error());
}

Test(hsm_model, bad_settings_are_errors_at_their_position)
{
    write_corpus();
    expect_error(WORD_LM(", softmax: {kind: hierarchical, classes: 50}", ""),
                 "50 classes for 31 words", "m.yaml:9:70: error: ");
    expect_error(WORD_LM(", softmax: {kind: hierarchical, classes: 0}", ""), "classes", "m.yaml:9:70: error: ");
    expect_error(WORD_LM(", softmax: {kind: tree}", ""), "tree", "m.yaml:9:47: error: ");
    expect_error(WORD_LM(", softmax: {kind: full, classes: 3}", ""), "'classes' is for kind hierarchical",
                 "m.yaml:9:53: error: ");
    expect_error(WORD_LM(", softmax: {kind: hierarchical, clases: 3}", ""), "clases", "m.yaml:9:");
    expect_error("format: rewind/1\n"
                 "data: {kind: lines, tokens: words, train: train.txt}\n"
                 "model:\n"
                 "  layers:\n"
                 "    - embedding: {size: 16}\n"
                 "    - gru: {size: 24}\n"
                 "    - linear: {size: vocab, activation: tanh}\n"
                 "  outputs:\n"
                 "    y: {softmax: {kind: hierarchical}}\n",
                 "needs the last layer to be 'linear: {size: vocab}' without activation", "m.yaml:9:25: error: ");
    expect_error("format: rewind/1\n"
                 "data: {kind: lines, tokens: chars, train: train.txt, vocab_size: 10}\n"
                 "model:\n"
                 "  layers:\n"
                 "    - embedding: {size: 16}\n"
                 "    - linear: {size: vocab}\n"
                 "  outputs:\n"
                 "    y: {target: next}\n",
                 "'vocab_size' caps a word vocabulary", "m.yaml:2:");
    expect_error(WORD_LM("", ", vocab_size: 1"), "vocab_size", "m.yaml:2:");
}

/* 60 lines of 4 to 7 words w0 .. w29; line i starts at word 7 i mod 30 and
 * steps by 11 k + 3. each(f, k, last) writes a word's part of a line. */
static void write_lines(const char *name, void (*each)(FILE *f, int k, int t, int len))
{
    FILE *f = open_tmp(name);
    for (int i = 0; i < 60; i++) {
        int k = (7 * i) % 30, len = 4 + i % 4;
        for (int t = 0; t < len; t++, k = (11 * k + 3) % 30)
            each(f, k, t, len);
    }
    fclose(f);
}

/* The word, a tab, then its tag T(k mod 6): a tag per token. */
static void tagged(FILE *f, int k, int t, int len)
{
    static char tags[64];
    static int at;
    if (t == 0)
        at = 0;
    fprintf(f, "%sw%d", t ? " " : "", k);
    at += snprintf(tags + at, sizeof tags - (size_t)at, "%sT%d", t ? " " : "", k % 6);
    if (t == len - 1)
        fprintf(f, "\t%s\n", tags);
}

/* The label L(k mod 5) of the line's last word, a tab, the words. */
static void labelled(FILE *f, int k, int t, int len)
{
    static char words[128];
    static int at;
    if (t == 0)
        at = 0;
    at += snprintf(words + at, sizeof words - (size_t)at, "%sw%d", t ? " " : "", k);
    if (t == len - 1)
        fprintf(f, "L%d\t%s\n", k % 5, words);
}

/* Source characters a.. and the target the character k + 7 positions on (mod 20): aligned. */
static void aligned(FILE *f, int k, int t, int len)
{
    static char target[16];
    fputc('a' + k % 20, f);
    target[t] = (char)('a' + (k + 7) % 20);
    if (t == len - 1) {
        target[len] = '\0';
        fprintf(f, "\t%s\n", target);
    }
}

/* Trains `steps` steps; expects the validation loss (the training file
 * again) below `fraction` of log(outcomes), and the same loss from the
 * exact log-probabilities (expect_exact_loss). */
static void learns(const char *yaml, int outcomes, bool label, int steps, double fraction)
{
    rw_model *m = load(yaml, NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert_not_null(rw_params_get(rw_model_params(m), "head.class_W"), "%s", rw_last_error());
    rw_train_result r = train_steps(m, steps);
    cr_expect_lt(r.best_valid_loss, fraction * log(outcomes), "validation loss %g after %d steps (uniform: %g)",
                 r.best_valid_loss, steps, log(outcomes));

    expect_exact_loss(m, outcomes, label);
    rw_model_free(m);
}

Test(hsm_model, per_step_tags_over_the_tags)
{
    write_lines("d.tsv", tagged);
    learns("format: rewind/1\n"
           "data: {kind: tsv_tagging, tokens: words, train: d.tsv, valid: d.tsv}\n"
           "model:\n"
           "  layers:\n"
           "    - embedding: {size: 16}\n"
           "    - gru: {size: 24}\n"
           "    - linear: {name: head, size: classes}\n"
           "  outputs:\n"
           "    y: {target: tags, softmax: {kind: hierarchical, classes: 3}}\n"
           "train: {seed: 2, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}, valid_every: 50 steps}\n",
           6, false, 150, 0.2);
}

Test(hsm_model, one_label_per_sequence_over_the_labels)
{
    write_lines("d.tsv", labelled);
    learns("format: rewind/1\n"
           "data: {kind: tsv_classify, tokens: words, train: d.tsv, valid: d.tsv}\n"
           "model:\n"
           "  layers:\n"
           "    - embedding: {size: 16}\n"
           "    - gru: {size: 24, output: last}\n"
           "    - linear: {name: head, size: classes}\n"
           "  outputs:\n"
           "    y: {target: label, softmax: {kind: hierarchical, classes: 2}}\n"
           "train: {seed: 2, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}, valid_every: 50 steps}\n",
           5, true, 200, 0.3);
}

Test(hsm_model, aligned_target_tokens_over_the_vocabulary)
{
    write_lines("d.tsv", aligned);
    rw_model *probe = load("format: rewind/1\n"
                           "data: {kind: tsv_seq2seq, train: d.tsv}\n"
                           "model:\n"
                           "  layers:\n"
                           "    - embedding: {size: 16}\n"
                           "    - linear: {size: vocab}\n"
                           "  outputs:\n"
                           "    y: {target: aligned}\n",
                           NULL);
    cr_assert_not_null(probe, "%s", rw_last_error());
    int V = rw_model_vocab_size(probe);
    rw_model_free(probe);
    learns("format: rewind/1\n"
           "data: {kind: tsv_seq2seq, train: d.tsv, valid: d.tsv}\n"
           "model:\n"
           "  layers:\n"
           "    - embedding: {size: 16}\n"
           "    - gru: {size: 24}\n"
           "    - linear: {name: head, size: vocab}\n"
           "  outputs:\n"
           "    y: {target: aligned, softmax: {kind: hierarchical, classes: 4}}\n"
           "train: {seed: 2, batch: {size: 8}, optimizer: {type: adam, lr: 0.02}, valid_every: 50 steps}\n",
           V, false, 150, 0.2);
}
