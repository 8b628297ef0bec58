/* Teacher forcing and scheduled sampling: the decay schedules' values, and
 * feeding the true token with probability 1 is bit-identical to teacher
 * forcing. */
#include <string.h>
#include "rw_test.h"

Test(teacher_forcing, schedules_give_the_documented_values)
{
    rw_teacher_forcing lin = { .schedule = RW_FEED_LINEAR, .k = 1.0, .c = 0.001, .min = 0.1 };
    cr_expect_float_eq(rw_teacher_forcing_prob(&lin, 0), 1.0, 1e-12);
    cr_expect_float_eq(rw_teacher_forcing_prob(&lin, 250), 0.75, 1e-12);
    cr_expect_float_eq(rw_teacher_forcing_prob(&lin, 5000), 0.1, 1e-12, "floored at min");
    rw_teacher_forcing ex = { .schedule = RW_FEED_EXPONENTIAL, .k = 0.99 };
    cr_expect_float_eq(rw_teacher_forcing_prob(&ex, 100), pow(0.99, 100), 1e-12);
    rw_teacher_forcing sig = { .schedule = RW_FEED_INVERSE_SIGMOID, .k = 100 };
    cr_expect_float_eq(rw_teacher_forcing_prob(&sig, 0), 100.0 / 101.0, 1e-12);
    cr_expect_float_eq(rw_teacher_forcing_prob(&sig, 500), 100.0 / (100.0 + exp(5.0)), 1e-12);
    cr_expect_eq(rw_teacher_forcing_prob(NULL, 7), 1.0, "no schedule: teacher forcing");
    cr_expect_eq(rw_teacher_forcing_prob(&(rw_teacher_forcing){ .schedule = RW_FEED_ALWAYS }, 1000000), 1.0);
    cr_expect(isnan(rw_teacher_forcing_prob(&(rw_teacher_forcing){ .schedule = RW_FEED_EXPONENTIAL, .k = 1.5 }, 3)));
    cr_expect(strstr(rw_last_error(), "exponential") != NULL, "%s", rw_last_error());
    cr_expect(isnan(rw_teacher_forcing_prob(&(rw_teacher_forcing){ .schedule = RW_FEED_INVERSE_SIGMOID, .k = 0.5 }, 3)));
}

enum { S = 5, T = 4, BATCH = 3, VOC = 8 };

/* Loss and every parameter gradient of one forward/backward. */
static double loss_and_grads(rw_seq2seq *m, rw_params *P, const rw_seq2seq_train_opts *o, rw_real *grads)
{
    static const int32_t src[S * BATCH] = { 3, 4, 5, 6, 7, 3, 4, 0, 5, 5, 0, 0, 7, 0, 0 };
    static const int32_t len[BATCH] = { 5, 2, 3 };
    static const int32_t tgt[T * BATCH] = { 4, 5, 6, 7, 3, 2, 2, 2, -1, -1, -1, -1 };
    rw_tensor *s = rw_tensor_from_ints(rw_shape2(S, BATCH), src), *l = rw_tensor_from_ints(rw_shape1(BATCH), len);
    rw_tensor *t = rw_tensor_from_ints(rw_shape2(T, BATCH), tgt);
    rw_graph *g = rw_graph_new();
    rw_params_zero_grad(P);
    rw_seq2seq_out out = rw_seq2seq_forward(g, m, rw_const(g, s), rw_const(g, l), rw_const(g, t), o);
    cr_assert_not_null(out.loss, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, out.loss), RW_OK);
    double v = rw_scalar(out.loss);
    size_t k = 0;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *gr = rw_params_at(P, i)->grad;
        memcpy(grads + k, gr->data, gr->size * sizeof *grads);
        k += gr->size;
    }
    rw_graph_free(g);
    rw_tensor_free(s);
    rw_tensor_free(l);
    rw_tensor_free(t);
    return v;
}

Test(teacher_forcing, feed_probability_1_is_bit_identical_to_teacher_forcing)
{
    rw_rng rng = rw_rng_seed(8);
    rw_params *P = rw_params_new();
    rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &(rw_seq2seq_opts){ .src_vocab = VOC, .tgt_vocab = VOC, .hidden = 6,
                                                                 .attention = true, .input_feeding = true,
                                                                 .bos = 1, .eos = 2 }, &rng);
    cr_assert_not_null(m, "%s", rw_last_error());
    size_t n = rw_params_size(P);
    rw_real *g0 = malloc(n * sizeof *g0), *g1 = malloc(n * sizeof *g1);
    double l0 = loss_and_grads(m, P, NULL, g0);

    rw_rng feed_rng = rw_rng_seed(1);
    rw_teacher_forcing always_true = { .schedule = RW_FEED_LINEAR, .k = 1.0, .c = 0.0 };
    double l1 = loss_and_grads(m, P, &(rw_seq2seq_train_opts){ .feed = &always_true, .step = 1000, .rng = &feed_rng }, g1);
    cr_expect_eq(memcmp(&l0, &l1, sizeof l0), 0, "loss %.17g vs %.17g", l0, l1);
    cr_expect_eq(memcmp(g0, g1, n * sizeof *g0), 0, "gradients differ");

    /* The schedule matters: feeding the model's own argmax changes the loss. */
    rw_teacher_forcing never_true = { .schedule = RW_FEED_LINEAR, .k = 0.0, .c = 0.0 };
    double l2 = loss_and_grads(m, P, &(rw_seq2seq_train_opts){ .feed = &never_true, .rng = &feed_rng }, g1);
    cr_expect_neq(l0, l2, "feeding the model's own tokens gave the teacher-forced loss");
    /* A schedule that can feed model tokens needs a generator. */
    rw_graph *g = rw_graph_new();
    rw_tensor *ids = rw_tensor_from_ints(rw_shape2(2, 1), (const int32_t[]){ 3, 2 });
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, ids), NULL, rw_const(g, ids),
                                          &(rw_seq2seq_train_opts){ .feed = &never_true });
    cr_expect_null(o.loss);
    cr_expect(strstr(rw_last_error(), "generator") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(ids);
    free(g0);
    free(g1);
    rw_seq2seq_free(m);
    rw_params_free(P);
}

/* Scheduled sampling by shards: the decoder's logits over columns
 * [first, first + n) of a batch of SB, fed with coins from `seed`. */
enum { SS = 4, ST = 6, SB = 4 };

static void shard_logits(rw_seq2seq *m, const rw_teacher_forcing *tf, int first, int n, bool mark_shard,
                         rw_real *out, uint64_t *counter_after)
{
    static const int32_t src[SS * SB] = { 3, 4, 5, 6, 7, 3, 4, 5, 5, 6, 7, 3, 4, 4, 6, 7 };
    static const int32_t tgt[ST * SB] = { 4, 5, 6, 7, 3, 3, 4, 4, 5, 7, 6, 3, 6, 4, 3, 5,
                                          7, 6, 5, 4, 3, 7, 7, 6 };
    int32_t s[SS * SB], t[ST * SB];
    for (int r = 0; r < SS; r++)
        memcpy(s + r * n, src + r * SB + first, (size_t)n * sizeof *s);
    for (int r = 0; r < ST; r++)
        memcpy(t + r * n, tgt + r * SB + first, (size_t)n * sizeof *t);
    rw_tensor *st = rw_tensor_from_ints(rw_shape2(SS, n), s), *tt = rw_tensor_from_ints(rw_shape2(ST, n), t);
    rw_graph *g = rw_graph_new();
    if (mark_shard)
        cr_assert_eq(rw_graph_set_batch_shard(g, first, n, SB), RW_OK, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(5);
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, st), NULL, rw_const(g, tt),
                                          &(rw_seq2seq_train_opts){ .feed = tf, .rng = &rng });
    cr_assert_not_null(o.loss, "%s", rw_last_error());
    const rw_real *l = o.logits->value.data; /* [ST, n, VOC] */
    for (int r = 0; r < ST; r++)
        memcpy(out + ((size_t)r * SB + first) * VOC, l + (size_t)r * n * VOC, (size_t)n * VOC * sizeof *out);
    *counter_after = rng.counter;
    rw_graph_free(g);
    rw_tensor_free(st);
    rw_tensor_free(tt);
}

/* The largest difference between the whole batch's logits and the shards'. */
static double split_difference(rw_seq2seq *m, const rw_teacher_forcing *tf, int split, bool mark_shard)
{
    rw_real whole[ST * SB * VOC], parts[ST * SB * VOC];
    uint64_t c_whole, c_left, c_right;
    shard_logits(m, tf, 0, SB, false, whole, &c_whole);
    shard_logits(m, tf, 0, split, mark_shard, parts, &c_left);
    shard_logits(m, tf, split, SB - split, mark_shard, parts, &c_right);
    if (mark_shard)
        cr_expect(c_left == c_whole && c_right == c_whole, "the generator moves past the whole batch's draws: "
                  "%llu and %llu, not %llu", (unsigned long long)c_left, (unsigned long long)c_right,
                  (unsigned long long)c_whole);
    double worst = 0;
    for (size_t i = 0; i < ST * SB * VOC; i++)
        worst = fmax(worst, fabs((double)whole[i] - (double)parts[i]));
    return worst;
}

Test(teacher_forcing, scheduled_sampling_does_not_depend_on_the_batch_shard)
{
    rw_rng rng = rw_rng_seed(9);
    rw_params *P = rw_params_new();
    rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &(rw_seq2seq_opts){ .src_vocab = VOC, .tgt_vocab = VOC, .hidden = 6,
                                                                 .attention = true, .input_feeding = true,
                                                                 .bos = 1, .eos = 2 }, &rng);
    cr_assert_not_null(m, "%s", rw_last_error());
    for (int sample = 0; sample < 2; sample++) {
        rw_teacher_forcing half = { .schedule = RW_FEED_LINEAR, .k = 0.5, .sample = sample };
        for (int split = 1; split < SB; split++)
            cr_expect_leq(split_difference(m, &half, split, true), 1e-5, "%s, columns 0-%d and %d-%d",
                          sample ? "samples" : "argmax", split - 1, split, SB - 1);
        /* the test can tell: shards that draw as if they were whole batches feed other tokens */
        cr_expect_gt(split_difference(m, &half, SB / 2, false), 1e-3, "%s: unmarked shards fed the same tokens",
                     sample ? "samples" : "argmax");
    }
    rw_seq2seq_free(m);
    rw_params_free(P);
}
