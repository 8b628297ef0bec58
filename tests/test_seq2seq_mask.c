/* Padded source positions: exactly zero attention weight and zero
 * gradient, and a padded batch gives each sequence the loss and gradients
 * it gets alone. */
#include <string.h>
#include "rw_test.h"

static void padded_positions_are_inert(rw_attention_score score)
{
    enum { S = 6, B = 3, K = 4 };
    const int32_t len[B] = { 6, 2, 4 };
    rw_rng rng = rw_rng_seed(9);
    rw_params *P = rw_params_new();
    rw_attention *att = rw_attention_new(P, "att", &(rw_attention_opts){ .score = score, .query = K, .key = K }, &rng);
    rw_tensor *enc = rwt_uniform(&rng, rw_shape3(S, B, K), -2, 2), *q = rwt_uniform(&rng, rw_shape2(B, K), -2, 2);
    rw_tensor *lengths = rw_tensor_from_ints(rw_shape1(B), len), *r = rwt_uniform(&rng, rw_shape2(B, K), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *e = rw_var(g, enc), *qn = rw_var(g, q), *w;
    rw_attention_memory mem;
    cr_assert_eq(rw_attention_prepare(g, att, e, rw_const(g, lengths), &mem), RW_OK, "%s", rw_last_error());
    rw_node *ctx = rw_attention_apply(g, att, &mem, qn, &w);
    cr_assert_not_null(ctx, "%s", rw_last_error());
    /* the loss reads the weights too, so a leak through them would show */
    rw_node *loss = rw_add(g, rw_sum(g, rw_mul(g, ctx, rw_const(g, r))), rw_sum(g, rw_mul(g, w, w)));
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    const rw_real *wv = rw_node_value(w)->data, *ge = rw_node_grad(e);
    for (int b = 0; b < B; b++) {
        double total = 0;
        for (int s = 0; s < S; s++) {
            double ws = wv[b * S + s];
            total += ws;
            if (s >= len[b]) {
                cr_expect_eq(ws, 0.0, "weight of padded step %d of row %d is %g", s, b, ws);
                for (int k = 0; k < K; k++)
                    cr_expect_eq(ge[((size_t)s * B + b) * K + k], 0.0, "gradient at padded step %d of row %d", s, b);
            } else {
                cr_expect_gt(ws, 0.0);
                cr_expect_neq(ge[((size_t)s * B + b) * K], 0.0, "no gradient at valid step %d of row %d", s, b);
            }
        }
        rwt_assert_close(total, 1.0, RWT_EPS, "weights of row %d sum to %g", b, total);
    }
    rw_graph_free(g);
    rw_tensor_free(enc);
    rw_tensor_free(q);
    rw_tensor_free(r);
    rw_tensor_free(lengths);
    rw_attention_free(att);
    rw_params_free(P);
}

Test(seq2seq_mask, additive_padded_steps_get_zero_weight_and_gradient) { padded_positions_are_inert(RW_ATTN_ADDITIVE); }
Test(seq2seq_mask, dot_padded_steps_get_zero_weight_and_gradient) { padded_positions_are_inert(RW_ATTN_DOT); }
Test(seq2seq_mask, general_padded_steps_get_zero_weight_and_gradient) { padded_positions_are_inert(RW_ATTN_GENERAL); }

/* ---- a padded batch equals each sequence alone ----------------------------- */

enum { B = 3, SMAX = 5, TMAX = 4 };
static const int32_t src_len[B] = { 5, 2, 3 }, tgt_len[B] = { 2, 4, 3 };
static const int32_t src_ids[B][SMAX] = { { 3, 4, 5, 6, 3 }, { 6, 5 }, { 4, 4, 3 } };
static const int32_t tgt_ids[B][TMAX] = { { 5, 2 }, { 3, 6, 4, 2 }, { 4, 5, 2 } };

/* Loss of the sequences in `rows` (the others' targets masked with -1);
 * grads receives every parameter's gradient, concatenated. */
static double run(rw_seq2seq *m, rw_params *P, const int *rows, int n, int S, int T, int only, rw_real *grads)
{
    rw_tensor *src = rw_tensor_new(RW_INT32, rw_shape2(S, n)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(T, n));
    rw_tensor *len = rw_tensor_new(RW_INT32, rw_shape1(n));
    for (int j = 0; j < n; j++) {
        int b = rows[j];
        len->idata[j] = src_len[b];
        for (int s = 0; s < S; s++)
            src->idata[s * n + j] = s < src_len[b] ? src_ids[b][s] : 0;
        for (int t = 0; t < T; t++)
            tgt->idata[t * n + j] = t < tgt_len[b] && (only < 0 || only == b) ? tgt_ids[b][t] : -1;
    }
    rw_graph *g = rw_graph_new();
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, src), rw_const(g, len), rw_const(g, tgt), NULL);
    cr_assert_not_null(o.loss, "%s", rw_last_error());
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, o.loss), RW_OK, "%s", rw_last_error());
    double loss = rw_scalar(o.loss);
    size_t k = 0;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *gr = rw_params_at(P, i)->grad;
        memcpy(grads + k, gr->data, gr->size * sizeof *grads);
        k += gr->size;
    }
    rw_graph_free(g);
    rw_tensor_free(src);
    rw_tensor_free(tgt);
    rw_tensor_free(len);
    return loss;
}

static void batch_equals_alone(rw_seq2seq_opts o)
{
    rw_rng rng = rw_rng_seed(21);
    rw_params *P = rw_params_new();
    o.src_vocab = 7;
    o.tgt_vocab = 7;
    o.bos = 1;
    o.eos = 2;
    rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &o, &rng);
    cr_assert_not_null(m, "%s", rw_last_error());
    size_t n = rw_params_size(P);
    rw_real *gb = malloc(n * sizeof *gb), *ga = malloc(n * sizeof *ga);
    const int all[B] = { 0, 1, 2 };
    for (int b = 0; b < B; b++) {
        double lb = run(m, P, all, B, SMAX, TMAX, b, gb);
        double la = run(m, P, &b, 1, src_len[b], tgt_len[b], -1, ga);
        rwt_assert_close(lb, la, RWT_EPS, "sequence %d: loss %.12g in the batch, %.12g alone", b, lb, la);
        double worst = 0;
        for (size_t k = 0; k < n; k++)
            worst = fmax(worst, fabs((double)gb[k] - ga[k]) / fmax(1.0, fabs((double)ga[k])));
        cr_expect_leq(worst, RWT_EPS, "sequence %d: gradients differ by %g", b, worst);
    }
    free(gb);
    free(ga);
    rw_seq2seq_free(m);
    rw_params_free(P);
}

Test(seq2seq_mask, padded_batch_equals_each_alone_additive_bidirectional_last)
{
    batch_equals_alone((rw_seq2seq_opts){ .hidden = 4, .embed = 3, .bidirectional = true, .attention = true,
                                          .score = RW_ATTN_ADDITIVE, .input_feeding = true });
}
Test(seq2seq_mask, padded_batch_equals_each_alone_general_mean_bridge)
{
    batch_equals_alone((rw_seq2seq_opts){ .hidden = 4, .embed = 3, .layers = 2, .attention = true,
                                          .score = RW_ATTN_GENERAL, .bridge = { RW_BRIDGE_MEAN, RW_MERGE_SUM, true } });
}
Test(seq2seq_mask, padded_batch_equals_each_alone_without_attention)
{
    batch_equals_alone((rw_seq2seq_opts){ .cell = &rw_gru_cell, .hidden = 4, .bidirectional = true,
                                          .bridge = { RW_BRIDGE_LAST, RW_MERGE_SUM, false } });
}
