/* An encoder-decoder with attention learns to reverse digit strings of
 * lengths 3 to 8, judged by greedy decoding of held-out strings. */
#include <string.h>
#include <time.h>
#include "rw_test.h"

enum { DIGITS = 10, BOS = 10, EOS = 11, TGT_VOCAB = 12, MIN_LEN = 3, MAX_LEN = 8, HELD_OUT = 500 };

typedef struct digits {
    int len;
    int32_t d[MAX_LEN];
} digits;

static digits random_digits(rw_rng *rng)
{
    digits s = { .len = MIN_LEN + (int)rw_rng_below(rng, MAX_LEN - MIN_LEN + 1) };
    for (int i = 0; i < s.len; i++)
        s.d[i] = (int32_t)rw_rng_below(rng, DIGITS);
    return s;
}

static bool same(const digits *a, const digits *b)
{
    return a->len == b->len && memcmp(a->d, b->d, (size_t)a->len * sizeof *a->d) == 0;
}

/* A training batch, none of it in the held-out set: src [MAX_LEN, B] with
 * lengths, tgt [MAX_LEN + 1, B] = reversed digits, </s>, then -1. */
static void make_batch(rw_rng *rng, const digits *held, int n_held, rw_tensor *src, rw_tensor *len, rw_tensor *tgt)
{
    int B = len->shape.dim[0];
    for (int b = 0; b < B; b++) {
        digits s;
        bool fresh;
        do {
            s = random_digits(rng);
            fresh = true;
            for (int k = 0; k < n_held && fresh; k++)
                fresh = !same(&s, &held[k]);
        } while (!fresh);
        len->idata[b] = s.len;
        for (int t = 0; t < MAX_LEN; t++)
            src->idata[t * B + b] = t < s.len ? s.d[t] : 0;
        for (int t = 0; t <= MAX_LEN; t++)
            tgt->idata[t * B + b] = t < s.len ? s.d[s.len - 1 - t] : t == s.len ? EOS : -1;
    }
}

static double exact_match(const rw_seq2seq *m, const digits *held, int n)
{
    int right = 0;
    for (int k = 0; k < n; k++) {
        rw_step_model *dm = rw_seq2seq_step_model_new(m, held[k].d, held[k].len);
        cr_assert_not_null(dm, "%s", rw_last_error());
        int32_t out[MAX_LEN + 2];
        int len;
        cr_assert_eq(rw_decode_greedy(dm, &(rw_decode_opts){ .start = BOS, .end = EOS, .max_length = MAX_LEN + 2 },
                                      out, &len), RW_OK, "%s", rw_last_error());
        bool ok = len == held[k].len;
        for (int i = 0; ok && i < len; i++)
            ok = out[i] == held[k].d[held[k].len - 1 - i];
        right += ok;
        rw_step_model_free(dm);
    }
    return (double)right / n;
}

Test(seq2seq_learning, reverses_digit_strings_with_attention, .timeout = 600)
{
    enum { B = 32 };
    rw_rng rng = rw_rng_seed(2021);
    digits held[HELD_OUT];
    for (int k = 0; k < HELD_OUT; k++)
        held[k] = random_digits(&rng);
    rw_params *P = rw_params_new();
    rw_seq2seq *m = rw_seq2seq_new(P, "rev", &(rw_seq2seq_opts){ .src_vocab = DIGITS, .tgt_vocab = TGT_VOCAB,
                                                                 .embed = 16, .hidden = 32, .attention = true,
                                                                 .score = RW_ATTN_GENERAL, .input_feeding = true,
                                                                 .bos = BOS, .eos = EOS }, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 1e-2 });
    cr_assert(m && opt, "%s", rw_last_error());
    rw_tensor *src = rw_tensor_new(RW_INT32, rw_shape2(MAX_LEN, B)), *len = rw_tensor_new(RW_INT32, rw_shape1(B));
    rw_tensor *tgt = rw_tensor_new(RW_INT32, rw_shape2(MAX_LEN + 1, B));
    rw_graph *g = rw_graph_new();
    clock_t start = clock();
    double smooth = 3, acc = 0;
    int step;
    for (step = 1; step <= 3000; step++) {
        make_batch(&rng, held, HELD_OUT, src, len, tgt);
        rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, src), rw_const(g, len), rw_const(g, tgt), NULL);
        cr_assert_not_null(o.loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, o.loss), RW_OK);
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        smooth = 0.95 * smooth + 0.05 * rw_scalar(o.loss);
        rw_graph_reset(g);
        if (step % 250 == 0 && smooth < 0.01 && (acc = exact_match(m, held, HELD_OUT)) >= 0.995)
            break;
    }
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    if (acc < 0.995)
        acc = exact_match(m, held, HELD_OUT);
    fprintf(stderr, "digit reversal: %d steps of %d strings, %.1f s CPU, held-out exact match %.1f%%\n", step, B,
            seconds, 100 * acc);
    cr_expect_geq(acc, 0.99, "held-out exact match %.1f%% after %d steps", 100 * acc, step);
    rw_graph_free(g);
    rw_tensor_free(src);
    rw_tensor_free(len);
    rw_tensor_free(tgt);
    rw_optim_free(opt);
    rw_seq2seq_free(m);
    rw_params_free(P);
}
