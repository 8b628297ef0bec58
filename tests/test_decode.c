/* Greedy decoding, sampling and beam search over step models: a hand-built
 * table model where greedy is not optimal (checked against exhaustive
 * enumeration), a character LM and an encoder-decoder. */
#include <string.h>
#include "rw_test.h"

/* ---- a table model: the next token's distribution depends on the last ---- */
enum { BOS = 0, EOS = 1, A = 2, B = 3, V = 4 };
static const double table[V][V] = {
    /*          bos    eos   a     b   */
    [BOS] = { 0.001, 0.05, 0.55, 0.399 },
    [EOS] = { 0.25, 0.25, 0.25, 0.25 },
    [A] = { 0.001, 0.30, 0.35, 0.349 },
    [B] = { 0.001, 0.90, 0.05, 0.049 },
};

typedef struct table_model {
    rw_step_model base;
    int32_t last[16];     /* per row: the last token fed */
    int steps_called, max_rows;
} table_model;

static rw_status table_step(rw_step_model *m, const int32_t *tokens, int n, rw_real *lp)
{
    table_model *t = (table_model *)m;
    cr_assert_eq(n, m->rows, "step with %d tokens for %d rows", n, m->rows);
    t->steps_called++;
    t->max_rows = n > t->max_rows ? n : t->max_rows;
    for (int i = 0; i < n; i++) {
        t->last[i] = tokens[i];
        for (int v = 0; v < V; v++)
            lp[i * V + v] = (rw_real)log(table[tokens[i]][v]);
    }
    return RW_OK;
}

static rw_status table_reorder(rw_step_model *m, const int32_t *index, int n)
{
    table_model *t = (table_model *)m;
    int32_t old[16];
    memcpy(old, t->last, sizeof old);
    for (int i = 0; i < n; i++)
        t->last[i] = old[index[i]];
    m->rows = n;
    return RW_OK;
}

static table_model table_model_new(void)
{
    return (table_model){ .base = { .vocab = V, .rows = 1, .step = table_step, .reorder = table_reorder } };
}

/* The best score over every possible output, by enumeration: sequences of
 * n < L tokens then EOS, or L tokens without EOS. */
static double best_score(int L, double alpha, int32_t *best, int *best_len)
{
    double top = -INFINITY;
    int32_t seq[8];
    for (int n = 0; n <= L; n++) {
        int total = 1;
        for (int i = 0; i < n; i++)
            total *= 3; /* tokens other than EOS: bos, a, b */
        for (int code = 0; code < total; code++) {
            int c = code, last = BOS;
            double lp = 0;
            for (int i = 0; i < n; i++) {
                static const int32_t non_end[3] = { BOS, A, B };
                seq[i] = non_end[c % 3];
                c /= 3;
                lp += log(table[last][seq[i]]);
                last = seq[i];
            }
            bool ended = n < L;
            if (ended)
                lp += log(table[last][EOS]);
            double s = lp / pow(n + ended, alpha);
            if (s > top) {
                top = s;
                *best_len = n;
                memcpy(best, seq, sizeof seq);
            }
        }
    }
    return top;
}

static double table_logprob(const rw_hypothesis *h)
{
    double lp = 0;
    int last = BOS;
    for (int i = 0; i < h->length; i++) {
        lp += log(table[last][h->tokens[i]]);
        last = h->tokens[i];
    }
    return h->ended ? lp + log(table[last][EOS]) : lp;
}

Test(decode, greedy_is_not_optimal_on_the_table_model_and_beam_3_finds_the_best)
{
    for (int k = 0; k < 2; k++) {
        double alpha = k ? 0.7 : 0;
        int L = 5;
        int32_t opt[8];
        int opt_len = 0;
        double opt_score = best_score(L, alpha, opt, &opt_len);

        table_model tm = table_model_new();
        int32_t out[8];
        int len;
        rw_decode_opts o = { .start = BOS, .end = EOS, .max_length = L, .beam = 3, .alpha = alpha };
        cr_assert_eq(rw_decode_greedy(&tm.base, &o, out, &len), RW_OK, "%s", rw_last_error());
        rw_hypothesis g = { .tokens = out, .length = len, .ended = len < L };
        double greedy_score = table_logprob(&g) / pow(len + g.ended, alpha);
        cr_assert_lt(greedy_score, opt_score - 0.1, "alpha %g: greedy (%g) should not be optimal (%g)", alpha,
                     greedy_score, opt_score);

        tm = table_model_new();
        rw_hypothesis h[3];
        int n;
        cr_assert_eq(rw_beam_search(&tm.base, &o, h, 3, &n), RW_OK, "%s", rw_last_error());
        cr_assert_eq(n, 3);
        cr_expect_leq(tm.max_rows, 3, "all beams are one batch of at most K rows");
        cr_expect_leq(tm.steps_called, L, "one step call per output position, not per beam");
        cr_expect_eq(h[0].length, opt_len, "alpha %g: beam length %d, optimum %d", alpha, h[0].length, opt_len);
        cr_expect_arr_eq(h[0].tokens, opt, (size_t)opt_len * sizeof *opt, "alpha %g: beam found another sequence", alpha);
        rwt_assert_close(h[0].score, opt_score, 1e-6, "alpha %g: best score %g, optimum %g", alpha, h[0].score, opt_score);
        for (int i = 0; i < n; i++) { /* n-best: right scores, best first */
            double lp = table_logprob(&h[i]);
            rwt_assert_close(h[i].logprob, lp, 1e-5, "hypothesis %d logprob", i);
            rwt_assert_close(h[i].score, lp / pow(h[i].length + h[i].ended, alpha), 1e-5, "hypothesis %d score", i);
            if (i)
                cr_expect_geq(h[i - 1].score, h[i].score, "n-best out of order at %d", i);
        }
        rw_hypotheses_free(h, n);
    }
}

Test(decode, beam_width_1_is_greedy_on_the_table_model)
{
    table_model a = table_model_new(), b = table_model_new();
    rw_decode_opts o = { .start = BOS, .end = EOS, .max_length = 6, .beam = 1 };
    int32_t out[8];
    int len, n;
    rw_hypothesis h;
    cr_assert_eq(rw_decode_greedy(&a.base, &o, out, &len), RW_OK);
    cr_assert_eq(rw_beam_search(&b.base, &o, &h, 1, &n), RW_OK, "%s", rw_last_error());
    cr_assert_eq(h.length, len);
    cr_expect_arr_eq(h.tokens, out, (size_t)len * sizeof *out);
    rw_hypotheses_free(&h, n);
}

Test(decode, sampling_is_seeded_and_respects_top_k)
{
    rw_rng r1 = rw_rng_seed(4), r2 = rw_rng_seed(4);
    table_model a = table_model_new(), b = table_model_new();
    int32_t s1[40], s2[40];
    int n1, n2;
    rw_decode_opts o = { .start = BOS, .end = -1, .max_length = 40, .top_k = 2, .temperature = 1.5, .rng = &r1 };
    cr_assert_eq(rw_decode_sample(&a.base, &o, s1, &n1), RW_OK, "%s", rw_last_error());
    o.rng = &r2;
    cr_assert_eq(rw_decode_sample(&b.base, &o, s2, &n2), RW_OK);
    cr_assert_eq(n1, 40);
    cr_expect_arr_eq(s1, s2, sizeof s1, "same seed, same sample");
    int last = BOS, differs = 0;
    for (int i = 0; i < n1; i++) { /* top-2 after bos or a is {a, b}; after b {eos, a}; after eos all tie */
        if (last == EOS) {
            last = s1[i];
            continue;
        }
        int second = last == B ? A : B, first = last == B ? EOS : A;
        cr_expect(s1[i] == first || s1[i] == second, "token %d = %d outside the top 2 after %d", i, s1[i], last);
        differs += s1[i] != first;
        last = s1[i];
    }
    cr_expect_gt(differs, 0, "sampling never left the argmax");
    o.top_k = 1; /* top-1 sampling is greedy */
    table_model c = table_model_new(), d = table_model_new();
    o.end = EOS;
    cr_assert_eq(rw_decode_sample(&c.base, &o, s1, &n1), RW_OK);
    cr_assert_eq(rw_decode_greedy(&d.base, &o, s2, &n2), RW_OK);
    cr_assert_eq(n1, n2);
    cr_expect_arr_eq(s1, s2, (size_t)n1 * sizeof *s1);
}

Test(decode, bad_options_are_errors)
{
    table_model a = table_model_new();
    int32_t out[4];
    int len;
    cr_expect_eq(rw_decode_greedy(&a.base, &(rw_decode_opts){ .start = 9, .max_length = 4 }, out, &len), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "start 9") != NULL, "%s", rw_last_error());
    cr_expect_eq(rw_decode_greedy(&a.base, &(rw_decode_opts){ .max_length = 0 }, out, &len), RW_ERR_ARG);
    cr_expect_eq(rw_decode_sample(&a.base, &(rw_decode_opts){ .max_length = 3 }, out, &len), RW_ERR_ARG,
                 "sampling without a generator");
    a.base.rows = 2;
    cr_expect_eq(rw_decode_greedy(&a.base, &(rw_decode_opts){ .max_length = 3 }, out, &len), RW_ERR_STATE);
}

/* ---- the library's networks as step models --------------------------------- */

static void beam1_equals_greedy(rw_step_model *(*make)(void *), void *ctx, int end)
{
    rw_step_model *a = make(ctx), *b = make(ctx);
    cr_assert(a && b, "%s", rw_last_error());
    rw_decode_opts o = { .start = 1, .end = end, .max_length = 25, .beam = 1 };
    int32_t out[25];
    int len, n;
    rw_hypothesis h;
    cr_assert_eq(rw_decode_greedy(a, &o, out, &len), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_beam_search(b, &o, &h, 1, &n), RW_OK, "%s", rw_last_error());
    cr_assert_eq(n, 1);
    cr_assert_eq(h.length, len, "beam 1: %d tokens, greedy %d", h.length, len);
    cr_expect_arr_eq(h.tokens, out, (size_t)len * sizeof *out);
    rw_hypotheses_free(&h, n);
    rw_step_model_free(a);
    rw_step_model_free(b);
}

typedef struct lm {
    rw_rnn *rnn;
    rw_linear *head;
} lm;

static rw_step_model *make_lm(void *ctx)
{
    lm *l = ctx;
    return rw_rnn_step_model_new(l->rnn, l->head);
}

Test(decode, char_lm_beam_1_equals_greedy_and_rows_step_as_one_batch)
{
    enum { VOC = 7, H = 8 };
    rw_rng rng = rw_rng_seed(13);
    rw_params *P = rw_params_new();
    lm l = { rw_rnn_new(P, &(rw_rnn_spec){ .name = "lm", .cell = &rw_lstm_cell, .hidden = H, .layers = 2, .vocab = VOC }, &rng),
             rw_linear_new(P, "head", H, VOC, &rng) };
    cr_assert(l.rnn && l.head, "%s", rw_last_error());
    for (size_t k = 0; k < l.head->W->value->size; k++) /* sharpen the untrained distribution */
        l.head->W->value->data[k] *= 4;
    beam1_equals_greedy(make_lm, &l, 0);

    /* Three rows reordered from one primed row and stepped together give
     * each row what a single-row model gives. */
    rw_step_model *batch = make_lm(&l);
    rw_real lp1[VOC], lp3[3 * VOC];
    const int32_t prime[2] = { 3, 5 }, next[3] = { 2, 6, 4 }, zeros[3] = { 0, 0, 0 };
    for (int i = 0; i < 2; i++)
        cr_assert_eq(batch->step(batch, &prime[i], 1, lp1), RW_OK);
    cr_assert_eq(batch->reorder(batch, zeros, 3), RW_OK, "%s", rw_last_error());
    cr_assert_eq(batch->step(batch, next, 3, lp3), RW_OK, "%s", rw_last_error());
    for (int r = 0; r < 3; r++) {
        rw_step_model *one = make_lm(&l);
        for (int i = 0; i < 2; i++)
            one->step(one, &prime[i], 1, lp1);
        one->step(one, &next[r], 1, lp1);
        for (int v = 0; v < VOC; v++)
            rwt_assert_close(lp3[r * VOC + v], lp1[v], RWT_EPS, "row %d token %d", r, v);
        rw_step_model_free(one);
    }
    const int32_t bad[1] = { 3 };
    cr_expect_eq(batch->reorder(batch, bad, 1), RW_ERR_ARG, "reorder index outside the rows");
    cr_expect_eq(batch->step(batch, next, 2, lp3), RW_ERR_ARG, "two tokens for three rows");
    rw_step_model_free(batch);
    rw_linear_free(l.head);
    rw_rnn_free(l.rnn);
    rw_params_free(P);
}

/* Five and eight beams stepped as one batch give each beam the log-
 * probabilities it has stepped alone, to the last bit in the float build
 * (each product row is summed the same whatever the row count,
 * ops/gemm_small.h), so a beam's path does not depend on K. Sizes with
 * tails: hidden 40 (k not a multiple of 16), vocabulary 23 and 4 x 40 gates
 * (n not a multiple of 3). */
Test(decode, beams_stepped_together_match_each_beam_alone)
{
    enum { VOC = 23, H = 40 };
    rw_rng rng = rw_rng_seed(21);
    rw_params *P = rw_params_new();
    lm l = { rw_rnn_new(P, &(rw_rnn_spec){ .name = "lm", .cell = &rw_lstm_cell, .hidden = H, .layers = 2, .vocab = VOC }, &rng),
             rw_linear_new(P, "head", H, VOC, &rng) };
    cr_assert(l.rnn && l.head, "%s", rw_last_error());
    static const int32_t next[8] = { 2, 22, 4, 0, 17, 9, 9, 13 }, zeros[8] = { 0 };
    for (int rows = 5; rows <= 8; rows += 3) {
        rw_step_model *batch = make_lm(&l);
        rw_real lp1[VOC], lp[8 * VOC];
        const int32_t prime = 7;
        cr_assert_eq(batch->step(batch, &prime, 1, lp1), RW_OK, "%s", rw_last_error());
        cr_assert_eq(batch->reorder(batch, zeros, rows), RW_OK, "%s", rw_last_error());
        cr_assert_eq(batch->step(batch, next, rows, lp), RW_OK, "%s", rw_last_error());
        cr_assert_eq(batch->step(batch, next, rows, lp), RW_OK, "%s", rw_last_error()); /* a second step from 8 rows */
        for (int r = 0; r < rows; r++) {
            rw_step_model *one = make_lm(&l);
            one->step(one, &prime, 1, lp1);
            one->step(one, &next[r], 1, lp1);
            cr_assert_eq(one->step(one, &next[r], 1, lp1), RW_OK, "%s", rw_last_error());
            for (int v = 0; v < VOC; v++)
#ifdef RW_DOUBLE
                rwt_assert_close(lp[r * VOC + v], lp1[v], RWT_EPS, "%d rows: row %d token %d", rows, r, v);
#else
                cr_assert(lp[r * VOC + v] == lp1[v], "%d rows: row %d token %d: %.9g among rows, %.9g alone", rows, r,
                          v, (double)lp[r * VOC + v], (double)lp1[v]);
#endif
            rw_step_model_free(one);
        }
        rw_step_model_free(batch);
    }
    rw_linear_free(l.head);
    rw_rnn_free(l.rnn);
    rw_params_free(P);
}

/* Beam search over eight beams on bench/decode_bench's model (seed 1, LSTM
 * 256, vocabulary 114): the hypotheses recorded before the eight-row
 * product kernel (ops/gemm_small.c, rows8_avx512) came in. They are the
 * same on every small-product kernel (c, avx2, avx512, off) and fast-math
 * set: the closest two logprobs differ by 5e-5. The double build's weights
 * differ in their last bits, so it checks the best hypothesis only. */
Test(decode, beam_8_on_the_bench_model_gives_the_recorded_hypotheses)
{
    static const int32_t stem[18] = { 99, 55, 55, 55, 55, 55, 9, 9, 9, 75, 75, 86, 86, 36, 13, 47, 47, 47 };
    static const char *const tails[8] = { /* tokens 18..39: 1 for 11, 4 for 47 */
        "1441444414441444414444", "1444144441444414444444", "1444414441444414444444",
        "1444144414444144444444", "1444144441444144444444", "1444144441444441444444",
        "1441444414444144444444", "1441444414441444444444" };
    static const double logprob[8] = { -184.894191, -184.901419, -184.901443, -184.902012,
                                       -184.902066, -184.902464, -184.903207, -184.904421 };
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "lm", .cell = &rw_lstm_cell, .vocab = 114, .hidden = 256,
                                                .layers = 1 }, &rng);
    rw_linear *head = rw_linear_new(P, "head", 256, 114, &rng);
    rw_step_model *dm = rnn && head ? rw_rnn_step_model_new(rnn, head) : NULL;
    cr_assert_not_null(dm, "%s", rw_last_error());
    rw_decode_opts o = { .start = 0, .end = -1, .max_length = 40, .beam = 8 };
    rw_hypothesis h[8];
    int n;
    cr_assert_eq(rw_beam_search(dm, &o, h, 8, &n), RW_OK, "%s", rw_last_error());
    cr_assert_eq(n, 8);
#ifdef RW_DOUBLE
    int check = 1;
#else
    int check = 8;
#endif
    for (int i = 0; i < check; i++) {
        cr_assert_eq(h[i].length, 40, "hypothesis %d: %d tokens", i, h[i].length);
        for (int t = 0; t < 40; t++) {
            int32_t want = t < 18 ? stem[t] : tails[i][t - 18] == '1' ? 11 : 47;
            cr_assert_eq(h[i].tokens[t], want, "hypothesis %d token %d: %d, recorded %d", i, t, h[i].tokens[t], want);
        }
        rwt_assert_close(h[i].logprob, logprob[i], 1e-5, "hypothesis %d logprob", i);
    }
    rw_hypotheses_free(h, n);
    rw_step_model_free(dm);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
}

typedef struct s2s {
    rw_seq2seq *m;
    const int32_t *src;
    int len;
} s2s;

static rw_step_model *make_s2s(void *ctx)
{
    s2s *s = ctx;
    return rw_seq2seq_step_model_new(s->m, s->src, s->len);
}

Test(decode, seq2seq_beam_1_equals_greedy_for_every_attention)
{
    for (int score = RW_ATTN_ADDITIVE; score <= RW_ATTN_GENERAL; score++) {
        rw_rng rng = rw_rng_seed(17);
        rw_params *P = rw_params_new();
        rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &(rw_seq2seq_opts){ .src_vocab = 6, .tgt_vocab = 6, .hidden = 6,
                                                                     .bidirectional = true, .attention = true,
                                                                     .score = (rw_attention_score)score,
                                                                     .input_feeding = true, .bos = 1, .eos = 2 }, &rng);
        cr_assert_not_null(m, "%s", rw_last_error());
        const int32_t src[5] = { 3, 4, 5, 0, 3 };
        s2s s = { m, src, 5 };
        beam1_equals_greedy(make_s2s, &s, 2);
        rw_step_model *dm = make_s2s(&s);
        int steps;
        rw_real lp[6];
        int32_t tok = 1;
        cr_assert_eq(dm->step(dm, &tok, 1, lp), RW_OK, "%s", rw_last_error());
        const rw_real *w = rw_seq2seq_step_model_weights(dm, &steps);
        cr_assert_not_null(w);
        cr_assert_eq(steps, 5);
        double total = 0;
        for (int i = 0; i < steps; i++)
            total += w[i];
        rwt_assert_close(total, 1.0, RWT_EPS, "attention weights of the step sum to %g", total);
        rw_step_model_free(dm);
        rw_seq2seq_free(m);
        rw_params_free(P);
    }
}

/* ---- state reordering on the tape ------------------------------------------ */

Test(decode, rnn_state_gather_reorders_rows_and_routes_gradients)
{
    rw_rng rng = rw_rng_seed(2);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "r", .cell = &rw_lstm_cell, .input_size = 3, .hidden = 4 }, &rng);
    rw_graph *g = rw_graph_new();
    rw_tensor *h = rwt_uniform(&rng, rw_shape2(3, 4), -1, 1), *c = rwt_uniform(&rng, rw_shape2(3, 4), -1, 1);
    rw_node *state[2] = { rw_var(g, h), rw_var(g, c) }, *orig[2] = { state[0], state[1] };
    const int32_t index[4] = { 2, 0, 0, 1 };
    cr_assert_eq(rw_rnn_state_gather(g, rnn, state, index, 4), RW_OK, "%s", rw_last_error());
    for (int s = 0; s < 2; s++) {
        cr_assert_eq(rw_node_shape(state[s]).dim[0], 4);
        for (int i = 0; i < 4; i++)
            cr_expect_arr_eq(rw_node_value(state[s])->data + i * 4, rw_node_value(orig[s])->data + index[i] * 4,
                             4 * sizeof(rw_real));
    }
    cr_assert_eq(rw_backward(g, rw_sum(g, state[0])), RW_OK);
    const rw_real *gh = rw_node_grad(orig[0]);
    cr_expect_eq(gh[0], 2.0, "row 0 was gathered twice");
    cr_expect_eq(gh[4], 1.0);
    cr_expect_eq(gh[8], 1.0);
    cr_expect_neq(rw_rnn_state_gather(g, rnn, state, (const int32_t[]){ 7 }, 1), RW_OK, "index 7 of 4 rows");
    cr_expect(strstr(rw_last_error(), "7") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(h);
    rw_tensor_free(c);
    rw_rnn_free(rnn);
    rw_params_free(P);
}

/* ---- memory stays flat --------------------------------------------------------- */

static void warm_steps_allocate_nothing(rw_step_model *dm, int rows)
{
    rw_real lp[4 * 16];
    int32_t tok[4] = { 1, 2, 3, 1 };
    for (int i = 0; i < 3; i++) /* warm up: the arena grows to its size once */
        cr_assert_eq(dm->step(dm, tok, rows, lp), RW_OK, "%s", rw_last_error());
    size_t before = rw_system_alloc_count();
    for (int i = 0; i < 200; i++)
        cr_assert_eq(dm->step(dm, tok, rows, lp), RW_OK, "%s", rw_last_error());
    cr_expect_eq(rw_system_alloc_count(), before, "200 warm decoding steps called malloc %zu times",
                 rw_system_alloc_count() - before);
}

Test(decode, warm_decoding_steps_allocate_nothing)
{
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    lm l = { rw_rnn_new(P, &(rw_rnn_spec){ .name = "lm", .cell = &rw_gru_cell, .hidden = 8, .vocab = 6 }, &rng),
             rw_linear_new(P, "head", 8, 6, &rng) };
    rw_step_model *dm = make_lm(&l);
    cr_assert_not_null(dm, "%s", rw_last_error());
    cr_assert_eq(dm->reorder(dm, (const int32_t[]){ 0, 0, 0, 0 }, 4), RW_OK);
    warm_steps_allocate_nothing(dm, 4);
    rw_step_model_free(dm);
    rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &(rw_seq2seq_opts){ .src_vocab = 6, .tgt_vocab = 6, .hidden = 6,
                                                                 .attention = true, .input_feeding = true,
                                                                 .bos = 1, .eos = 2 }, &rng);
    s2s s = { m, (const int32_t[]){ 3, 4, 5 }, 3 };
    dm = make_s2s(&s);
    cr_assert_not_null(dm, "%s", rw_last_error());
    cr_assert_eq(dm->reorder(dm, (const int32_t[]){ 0, 0, 0 }, 3), RW_OK);
    warm_steps_allocate_nothing(dm, 3);
    rw_step_model_free(dm);
    rw_seq2seq_free(m);
    rw_linear_free(l.head);
    rw_rnn_free(l.rnn);
    rw_params_free(P);
}
