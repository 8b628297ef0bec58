/* Sampling a hierarchical softmax by its class and then its word
 * (rw_hsm_sample; a model's `rewind sample` at temperature 1): the
 * frequencies of many draws match exp(rw_hsm_log_probs) by a chi-square
 * test with a fixed seed (the threshold is the 1 - 1e-6 quantile, while
 * drawing the class or the word wrongly gives values in the thousands),
 * with and without an excluded word (<unk>), for the op and for a model's
 * step model (and rw_model_generate, by total variation over fewer words);
 * the model's step model offers the draw to rw_decode_sample, which uses
 * it only at temperature 1 over all words, and `sampling: exact` turns it
 * off; bad arguments are errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

#define has(msg, s) (strstr((msg), (s)) != NULL)

enum { H = 6, V = 40, C = 6, DRAWS = 100000 };

/* Pearson's chi-square of counts[0 .. n) against n_draws * p (words with p = 0 must have no draws). */
static double chi_square(const long *counts, const double *p, int n, long n_draws)
{
    double chi = 0;
    for (int w = 0; w < n; w++) {
        double expected = (double)n_draws * p[w];
        if (p[w] == 0) {
            cr_assert_eq(counts[w], 0, "word %d has probability 0 but was drawn %ld times", w, counts[w]);
            continue;
        }
        cr_assert_gt(expected, 5, "word %d: %g expected draws are too few for the test", w, expected);
        chi += ((double)counts[w] - expected) * ((double)counts[w] - expected) / expected;
    }
    return chi;
}

/* Weights spread wide enough that the words' probabilities differ by two orders of magnitude. */
static rw_tensor *spread(rw_rng *r, rw_shape s, double scale)
{
    return rwt_uniform(r, s, -scale, scale);
}

typedef struct op_case {
    rw_tensor *h, *cw, *cb, *w, *b;
    rw_hsm_classes cls;
    double p[V]; /* exp(hsm_log_probs) */
} op_case;

/* Class 0 holds word 0 alone; the others w % 5 + 1. */
static void op_case_make(op_case *k)
{
    rw_rng r = rw_rng_seed(21);
    k->h = spread(&r, rw_shape2(1, H), 1);
    k->cw = spread(&r, rw_shape2(C, H), 0.6);
    k->cb = spread(&r, rw_shape1(C), 0.5);
    k->w = spread(&r, rw_shape2(V, H), 0.8);
    k->b = spread(&r, rw_shape1(V), 0.8);
    int32_t class_of[V];
    for (int w = 0; w < V; w++)
        class_of[w] = w == 0 ? 0 : w % 5 + 1;
    k->cls = (rw_hsm_classes){ 0 };
    cr_assert_eq(rw_hsm_classes_from_assignment(&k->cls, class_of, V, C), RW_OK, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *lp = rw_hsm_log_probs(g, rw_const(g, k->h), rw_const(g, k->cw), rw_const(g, k->cb), rw_const(g, k->w),
                                   rw_const(g, k->b), &k->cls);
    cr_assert_not_null(lp, "%s", rw_last_error());
    for (int w = 0; w < V; w++)
        k->p[w] = exp((double)lp->value.data[w]);
    rw_graph_free(g);
}

static void op_case_free(op_case *k)
{
    rw_tensor *all[] = { k->h, k->cw, k->cb, k->w, k->b };
    for (int i = 0; i < 5; i++)
        rw_tensor_free(all[i]);
    rw_hsm_classes_free(&k->cls);
}

/* The chi-square of DRAWS draws excluding `exclude` against p renormalized without it. */
static double draws_chi_square(const op_case *k, int exclude, uint64_t seed)
{
    long counts[V] = { 0 };
    double p[V], kept = 1 - (exclude >= 0 ? k->p[exclude] : 0);
    for (int w = 0; w < V; w++)
        p[w] = w == exclude ? 0 : k->p[w] / kept;
    rw_rng rng = rw_rng_seed(seed);
    for (long i = 0; i < DRAWS; i++) {
        int w = rw_hsm_sample(k->h->data, k->cw, k->cb, k->w, k->b, &k->cls, exclude, &rng);
        cr_assert(w >= 0 && w < V, "draw %ld: %d (%s)", i, w, rw_last_error());
        counts[w]++;
    }
    return chi_square(counts, p, V, DRAWS);
}

/* The 1 - 1e-6 quantile of chi-square with df degrees of freedom (Wilson and
 * Hilferty's cube-root normal approximation; 96.6 for df 39, 64.4 for 19). */
static double chi_limit(int df)
{
    double z = 4.753, a = 2.0 / (9 * df), c = 1 - a + z * sqrt(a);
    return df * c * c * c;
}

Test(hsm_sample, draws_follow_the_exact_distribution)
{
    op_case k;
    op_case_make(&k);
    double lo = 1, hi = 0;
    for (int w = 0; w < V; w++) {
        lo = fmin(lo, k.p[w]);
        hi = fmax(hi, k.p[w]);
    }
    cr_assert_gt(hi / lo, 20, "a distribution far from uniform (%g .. %g)", lo, hi);
    double chi = draws_chi_square(&k, -1, 7);
    cr_expect_lt(chi, chi_limit(V - 1), "chi-square %g with %d degrees of freedom", chi, V - 1);
    op_case_free(&k);
}

Test(hsm_sample, an_excluded_word_is_never_drawn_and_the_rest_keep_their_ratios)
{
    op_case k;
    op_case_make(&k);
    double chi = draws_chi_square(&k, 7, 8); /* word 7 in class 3 with 7 others */
    cr_expect_lt(chi, chi_limit(V - 2), "chi-square %g with %d degrees of freedom", chi, V - 2);
    chi = draws_chi_square(&k, 0, 9); /* word 0 alone in class 0: that class is never drawn */
    cr_expect_lt(chi, chi_limit(V - 2), "chi-square %g with %d degrees of freedom", chi, V - 2);
    op_case_free(&k);
}

Test(hsm_sample, bad_arguments_are_errors)
{
    op_case k;
    op_case_make(&k);
    rw_rng rng = rw_rng_seed(1);
    cr_expect_eq(rw_hsm_sample(k.h->data, k.cw, k.cb, k.w, k.b, &k.cls, V, &rng), -1);
    cr_expect(has(rw_last_error(), "excluded word below 40"), "%s", rw_last_error());
    cr_expect_eq(rw_hsm_sample(k.h->data, k.w, k.cb, k.w, k.b, &k.cls, -1, &rng), -1, "class_w [V, H]");
    cr_expect(has(rw_last_error(), "class_w [C, H]"), "%s", rw_last_error());
    cr_expect_eq(rw_hsm_sample(k.h->data, k.cw, k.cb, k.w, k.b, &k.cls, -1, NULL), -1);
    cr_expect(has(rw_last_error(), "generator"), "%s", rw_last_error());
    op_case_free(&k);

    rw_hsm_classes one = { 0 }; /* one word, excluded: nothing left to draw */
    cr_assert_eq(rw_hsm_classes_from_assignment(&one, (int32_t[]){ 0 }, 1, 1), RW_OK, "%s", rw_last_error());
    rw_tensor *h = rw_tensor_new(RW_REAL, rw_shape1(2)), *cw = rw_tensor_new(RW_REAL, rw_shape2(1, 2)),
              *b = rw_tensor_new(RW_REAL, rw_shape1(1));
    cr_expect_eq(rw_hsm_sample(h->data, cw, b, cw, b, &one, 0, &rng), -1);
    cr_expect(has(rw_last_error(), "no word can be drawn"), "%s", rw_last_error());
    cr_expect_eq(rw_hsm_sample(h->data, cw, b, cw, b, &one, -1, &rng), 0);
    rw_tensor_free(h);
    rw_tensor_free(cw);
    rw_tensor_free(b);
    rw_hsm_classes_free(&one);
}

/* ---- through a model ------------------------------------------------------ */

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rw_hsms_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

/* An untrained word model over w0 .. w19 (and <unk>) with 4 classes and
 * no recurrent layer, so each step's distribution depends only on the
 * token fed; all its weights spread so that the words differ a lot. */
static rw_model *word_model_with(const char *sampling, const char *between)
{
    char path[160], yaml[1024];
    snprintf(path, sizeof path, "%s/train.txt", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "w%d w%d w%d\n", i % 20, (i * 3) % 20, (i * 7 + 1) % 20);
    fclose(f);
    snprintf(yaml, sizeof yaml,
             "format: rewind/1\n"
             "data: {kind: lines, tokens: words, train: train.txt}\n"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: 8}\n"
             "%s"
             "    - linear: {name: head, size: vocab}\n"
             "  outputs:\n"
             "    next_word: {target: next, softmax: {kind: hierarchical, classes: 4%s}}\n"
             "train: {seed: 3}\n",
             between, sampling);
    rw_model *m = rw_model_load_string(yaml, "words.yaml", &(rw_model_load_opts){ .base_dir = tmpdir });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_rng r = rw_rng_seed(5);
    cr_assert_eq(rw_params_count(rw_model_params(m)), 5, "embedding, head W and b, class W and b");
    for (int i = 0; i < 5; i++) {
        rw_param *p = rw_params_at(rw_model_params(m), i);
        for (size_t j = 0; j < p->value->size; j++)
            p->value->data[j] = (rw_real)(2 * rw_rng_uniform(&r) - 1);
    }
    return m;
}

static rw_model *word_model(const char *sampling) { return word_model_with(sampling, ""); }

/* The id of word `text` in the model's vocabulary (asserted). */
static int word_id(rw_model *m, const char *text)
{
    for (int w = 0; w < rw_model_vocab_size(m); w++)
        if (!strcmp(rw_model_token(m, w), text))
            return w;
    cr_assert_fail("'%s' is no word of the vocabulary", text);
    return -1;
}

Test(hsm_sample, the_step_models_draws_follow_its_exact_distribution, .init = setup, .fini = teardown)
{
    rw_model *m = word_model("");
    int Vm = rw_model_vocab_size(m), unk = word_id(m, "<unk>");
    int32_t start = 0, w3 = word_id(m, "w3"), next = -1;
    rw_step_model *dm = rw_model_step_model_new(m, "w3", &start);
    cr_assert_not_null(dm, "%s", rw_last_error());
    cr_assert_not_null(dm->step_sample, "a hierarchical softmax draws its class, then its word");
    /* the exact distribution after w3: step's log-probabilities (<unk> masked) */
    rw_real *lp = calloc((size_t)Vm, sizeof *lp);
    double *p = calloc((size_t)Vm, sizeof *p), lo = 1, hi = 0;
    long *counts = calloc((size_t)Vm, sizeof *counts);
    cr_assert_eq(dm->step(dm, &w3, 1, lp), RW_OK, "%s", rw_last_error());
    for (int w = 0; w < Vm; w++) {
        p[w] = w == unk ? 0 : exp((double)lp[w]);
        lo = w == unk ? lo : fmin(lo, p[w]);
        hi = fmax(hi, p[w]);
    }
    cr_assert_gt(hi / lo, 10, "a distribution far from uniform (%g .. %g)", lo, hi);
    enum { N = 40000 };
    rw_rng rng = rw_rng_seed(11);
    for (int i = 0; i < N; i++) { /* always fed w3: the model has no state, so every draw is from p */
        cr_assert_eq(dm->step_sample(dm, &w3, 1, &rng, &next), RW_OK, "%s", rw_last_error());
        cr_assert(next >= 0 && next < Vm, "draw %d: %d", i, (int)next);
        counts[next]++;
    }
    double chi = chi_square(counts, p, Vm, N);
    cr_expect_lt(chi, chi_limit(Vm - 2), "chi-square %g with %d degrees of freedom", chi, Vm - 2);

    /* rw_model_generate (rewind sample) at temperature 1 draws the same way: a few hundred words */
    long gen[64] = { 0 };
    cr_assert_leq(Vm, 64);
    rng = rw_rng_seed(12);
    for (int i = 0; i < 400; i++) {
        char *text = rw_model_generate(m, "w3", 1, 1.0, 0, &rng);
        cr_assert_not_null(text, "%s", rw_last_error());
        gen[word_id(m, text)]++;
        free(text);
    }
    double tv = 0;
    for (int w = 0; w < Vm; w++)
        tv += fabs((double)gen[w] / 400 - p[w]) / 2;
    cr_expect_lt(tv, 0.15, "total variation %g of 400 generated words from the exact distribution", tv);
    free(lp);
    free(p);
    free(counts);
    rw_step_model_free(dm);
    rw_model_free(m);
}

Test(hsm_sample, the_step_model_offers_its_draw_at_temperature_one_only, .init = setup, .fini = teardown)
{
    rw_model *m = word_model("");
    int32_t start = 0, a[6], b[6];
    rw_step_model *d1 = rw_model_step_model_new(m, "w3", &start), *d2 = rw_model_step_model_new(m, "w3", &start);
    cr_assert(d1 && d2, "%s", rw_last_error());
    cr_assert_not_null(d1->step_sample, "a hierarchical softmax draws its class, then its word");
    /* rw_decode_sample at temperature 1 gives exactly the step_sample draws of the same seed */
    rw_rng r1 = rw_rng_seed(4), r2 = rw_rng_seed(4);
    int n = 0;
    cr_assert_eq(rw_decode_sample(d1, &(rw_decode_opts){ .start = start, .end = -1, .max_length = 6,
                                                         .temperature = 1, .rng = &r1 }, a, &n), RW_OK, "%s",
                 rw_last_error());
    cr_assert_eq(n, 6);
    int32_t tok = start;
    for (int t = 0; t < 6; t++) {
        cr_assert_eq(d2->step_sample(d2, &tok, 1, &r2, &b[t]), RW_OK, "%s", rw_last_error());
        tok = b[t];
    }
    cr_expect_arr_eq(a, b, sizeof a, "rw_decode_sample uses step_sample at temperature 1");
    rw_step_model_free(d1);
    rw_step_model_free(d2);

    /* at another temperature (and with step_sample NULL) it samples from step's log-probabilities */
    d1 = rw_model_step_model_new(m, "w3", &start);
    r1 = rw_rng_seed(4);
    d1->step_sample = NULL;
    cr_assert_eq(rw_decode_sample(d1, &(rw_decode_opts){ .start = start, .end = -1, .max_length = 6,
                                                         .temperature = 0.7, .rng = &r1 }, a, &n), RW_OK, "%s",
                 rw_last_error());
    for (int t = 0; t < n; t++)
        cr_expect(a[t] >= 0 && a[t] < rw_model_vocab_size(m) && strcmp(rw_model_token(m, a[t]), "<unk>"));
    rw_step_model_free(d1);
    rw_model_free(m);

    m = word_model(", sampling: exact");
    d1 = rw_model_step_model_new(m, "w3", &start);
    cr_assert_not_null(d1, "%s", rw_last_error());
    cr_expect_null(d1->step_sample, "sampling: exact draws from the log-probabilities of every word");
    rw_step_model_free(d1);
    rw_model_free(m);

    cr_expect_null(rw_model_load_string("format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 4}\n"
                                        "    - linear: {size: vocab}\n  outputs:\n    y: {target: next, softmax: "
                                        "{kind: hierarchical, sampling: quick}}\n", "bad.yaml", NULL));
    cr_expect(has(rw_last_error(), "sampling"), "%s", rw_last_error());
}

/* With Monte-Carlo dropout (per-sequence masks: the passes stay the same
 * thinned models at every step) the class-then-word draws follow the mean of
 * the passes' distributions that step gives, and not the plain model's. */
Test(hsm_sample, monte_carlo_draws_follow_the_mean_of_the_passes, .init = setup, .fini = teardown)
{
    rw_model *m = word_model_with("", "    - dropout: {p: 0.5, mask: per_sequence}\n");
    int Vm = rw_model_vocab_size(m), unk = word_id(m, "<unk>");
    int32_t start = 0, w3 = word_id(m, "w3"), next = -1;
    rw_step_model *mc = rw_model_mc_step_model_new(m, "w3", 4, 9, &start), *plain = rw_model_step_model_new(m, "w3", &start);
    cr_assert(mc && plain, "%s", rw_last_error());
    cr_assert_not_null(mc->step_sample, "Monte-Carlo passes draw class, then word, too");
    rw_real *lp = calloc((size_t)Vm, sizeof *lp);
    double *p = calloc((size_t)Vm, sizeof *p), *q = calloc((size_t)Vm, sizeof *q), tv = 0;
    long *counts = calloc((size_t)Vm, sizeof *counts);
    cr_assert_eq(mc->step(mc, &w3, 1, lp), RW_OK, "%s", rw_last_error());
    for (int w = 0; w < Vm; w++)
        p[w] = w == unk ? 0 : exp((double)lp[w]);
    cr_assert_eq(plain->step(plain, &w3, 1, lp), RW_OK, "%s", rw_last_error());
    for (int w = 0; w < Vm; w++) {
        q[w] = w == unk ? 0 : exp((double)lp[w]);
        tv += fabs(p[w] - q[w]) / 2;
    }
    cr_assert_gt(tv, 0.05, "the passes' mean differs from the plain model (total variation %g)", tv);
    enum { N = 40000 };
    rw_rng rng = rw_rng_seed(21);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(mc->step_sample(mc, &w3, 1, &rng, &next), RW_OK, "%s", rw_last_error());
        cr_assert(next >= 0 && next < Vm && next != unk, "draw %d: %d", i, (int)next);
        counts[next]++;
    }
    double chi = chi_square(counts, p, Vm, N), chi_plain = chi_square(counts, q, Vm, N);
    cr_expect_lt(chi, chi_limit(Vm - 2), "chi-square %g against the passes' mean, %d degrees of freedom", chi, Vm - 2);
    cr_expect_gt(chi_plain, chi_limit(Vm - 2), "chi-square %g against the plain model: the test tells them apart",
                 chi_plain);
    free(lp), free(p), free(q), free(counts);
    rw_step_model_free(mc);
    rw_step_model_free(plain);
    rw_model_free(m);
}
