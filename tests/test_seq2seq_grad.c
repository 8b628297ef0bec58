/* Attention, the encoder-decoder bridge, a whole encoder-decoder and input
 * feeding: the tape's gradients equal central finite differences for every
 * parameter and every real input. Tight in the double build. */
#include "rw_test.h"

#ifdef RW_DOUBLE
static const rw_gradcheck_opts check_opts = { 0 }; /* the checker's tight defaults */
#else
static const rw_gradcheck_opts check_opts = { .eps = 3e-3, .tol = 0.3 }; /* float: catches a missing term */
#endif

/* Moves every parameter off its initial value so no term is trivially zero. */
static void jitter(rw_params *P, rw_rng *rng)
{
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_tensor *v = rw_params_at(P, i)->value;
        for (size_t k = 0; k < v->size; k++)
            v->data[k] += (rw_real)(0.4 * (rw_rng_uniform(rng) - 0.5));
    }
}

static void expect_ok(rw_status st, const rw_gradcheck_report *rep, const char *what)
{
    cr_expect_eq(st, RW_OK, "%s: %s", what, rw_last_error());
    cr_expect_gt(rep->checked, 0, "%s", what);
#ifdef RW_DOUBLE
    cr_expect_leq(rep->skipped, rep->checked / 20, "%s: %zu of %zu at kinks", what, rep->skipped, rep->checked);
#endif
}

/* ---- attention ------------------------------------------------------------ */

typedef struct att_ctx {
    rw_attention *att;
    rw_tensor *lengths;
} att_ctx;

/* in[0] encoded [S, B, K], in[1] query [B, Q] -> [context | weights] */
static rw_node *att_build(rw_graph *g, rw_node *const *in, void *vctx)
{
    att_ctx *c = vctx;
    rw_attention_memory mem;
    if (rw_attention_prepare(g, c->att, in[0], c->lengths ? rw_const(g, c->lengths) : NULL, &mem) != RW_OK)
        return NULL;
    rw_node *w, *ctx = rw_attention_apply(g, c->att, &mem, in[1], &w);
    rw_node *both[2] = { ctx, w };
    return ctx ? rw_concat(g, both, 2, -1) : NULL;
}

static void check_attention(rw_attention_score score, int Q, int K, bool masked, const char *what)
{
    enum { S = 5, B = 3 };
    rw_rng rng = rw_rng_seed(11);
    rw_params *P = rw_params_new();
    att_ctx c = { rw_attention_new(P, "att", &(rw_attention_opts){ .score = score, .query = Q, .key = K, .hidden = 4 },
                                   &rng), NULL };
    cr_assert_not_null(c.att, "%s: %s", what, rw_last_error());
    jitter(P, &rng);
    if (masked)
        c.lengths = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 5, 2, 4 });
    rw_tensor *in[2] = { rwt_uniform(&rng, rw_shape3(S, B, K), -1, 1), rwt_uniform(&rng, rw_shape2(B, Q), -1, 1) };
    rw_gradcheck_report rep;
    expect_ok(rw_gradcheck(att_build, &c, in, 2, P, &check_opts, &rep), &rep, what);
    rw_tensor_free(in[0]);
    rw_tensor_free(in[1]);
    rw_tensor_free(c.lengths);
    rw_attention_free(c.att);
    rw_params_free(P);
}

Test(seq2seq_grad, additive_attention_masked) { check_attention(RW_ATTN_ADDITIVE, 3, 4, true, "additive"); }
Test(seq2seq_grad, additive_attention_unmasked) { check_attention(RW_ATTN_ADDITIVE, 3, 4, false, "additive"); }
Test(seq2seq_grad, dot_attention_masked) { check_attention(RW_ATTN_DOT, 4, 4, true, "dot"); }
Test(seq2seq_grad, general_attention_masked) { check_attention(RW_ATTN_GENERAL, 3, 4, true, "general"); }
Test(seq2seq_grad, general_attention_unmasked) { check_attention(RW_ATTN_GENERAL, 3, 4, false, "general"); }

/* ---- the bridge -------------------------------------------------------------- */

typedef struct bridge_ctx {
    rw_rnn *enc, *dec;
    rw_bridge *br;
    rw_tensor *lengths;
} bridge_ctx;

/* in[0] xs [S, B, X] -> every decoder initial state, concatenated */
static rw_node *bridge_build(rw_graph *g, rw_node *const *in, void *vctx)
{
    bridge_ctx *c = vctx;
    rw_node *len = c->lengths ? rw_const(g, c->lengths) : NULL;
    rw_seq s = rw_rnn_run(g, c->enc, in[0], &(rw_run_opts){ .lengths = len });
    rw_node *state[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES];
    if (!s.outputs || rw_bridge_apply(g, c->br, &s, len, state) != RW_OK)
        return NULL;
    return rw_concat(g, state, rw_rnn_state_count(c->dec), -1);
}

static void check_bridge(rw_bridge_opts o, bool bidir, int enc_h, int dec_h, int enc_layers, int dec_layers,
                         const rw_cell_def *dec_cell, const char *what)
{
    enum { S = 5, B = 2, X = 3 };
    rw_rng rng = rw_rng_seed(5);
    rw_params *P = rw_params_new();
    bridge_ctx c = { 0 };
    c.enc = rw_rnn_new(P, &(rw_rnn_spec){ .name = "enc", .cell = &rw_lstm_cell, .input_size = X, .hidden = enc_h, .layers = enc_layers, .bidirectional = bidir }, &rng);
    c.dec = rw_rnn_new(P, &(rw_rnn_spec){ .name = "dec", .cell = dec_cell, .input_size = X, .hidden = dec_h, .layers = dec_layers }, &rng);
    c.br = c.enc && c.dec ? rw_bridge_new(P, "br", c.enc, c.dec, &o, &rng) : NULL;
    cr_assert_not_null(c.br, "%s: %s", what, rw_last_error());
    jitter(P, &rng);
    c.lengths = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 3, 5 });
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(S, B, X), -1, 1);
    rw_gradcheck_report rep;
    expect_ok(rw_gradcheck(bridge_build, &c, &xs, 1, P, &check_opts, &rep), &rep, what);
    rw_tensor_free(xs);
    rw_tensor_free(c.lengths);
    rw_bridge_free(c.br);
    rw_rnn_free(c.enc);
    rw_rnn_free(c.dec);
    rw_params_free(P);
}

Test(seq2seq_grad, bridge_last_same_size)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_LAST, RW_MERGE_CONCAT, false }, false, 4, 4, 1, 1, &rw_lstm_cell, "last");
}
Test(seq2seq_grad, bridge_last_projected_sizes_differ)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_LAST, RW_MERGE_CONCAT, false }, false, 3, 4, 2, 2, &rw_lstm_cell,
                 "last, projected, 2 layers");
}
Test(seq2seq_grad, bridge_last_bidirectional_concat)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_LAST, RW_MERGE_CONCAT, false }, true, 3, 6, 1, 1, &rw_lstm_cell,
                 "last, bidirectional concat");
}
Test(seq2seq_grad, bridge_last_bidirectional_sum_projected)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_LAST, RW_MERGE_SUM, true }, true, 3, 3, 1, 1, &rw_lstm_cell,
                 "last, bidirectional sum, forced projection");
}
Test(seq2seq_grad, bridge_mean_bidirectional_concat)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_MEAN, RW_MERGE_CONCAT, false }, true, 3, 5, 1, 1, &rw_gru_cell,
                 "mean, bidirectional concat, to a GRU");
}
Test(seq2seq_grad, bridge_mean_sum_to_fewer_layers)
{
    check_bridge((rw_bridge_opts){ RW_BRIDGE_MEAN, RW_MERGE_SUM, false }, true, 4, 4, 2, 1, &rw_lstm_cell,
                 "mean, bidirectional sum");
}

/* Two encoders (a bidirectional LSTM and a GRU of two layers) side by side
 * into an LSTM decoder of two layers. */
typedef struct bridge2_ctx {
    rw_rnn *enc[2], *dec;
    rw_bridge *br;
    rw_tensor *lengths;
} bridge2_ctx;

static rw_node *bridge2_build(rw_graph *g, rw_node *const *in, void *vctx)
{
    bridge2_ctx *c = vctx;
    rw_node *len = rw_const(g, c->lengths);
    rw_seq runs[2];
    for (int e = 0; e < 2; e++)
        runs[e] = rw_rnn_run(g, c->enc[e], in[0], &(rw_run_opts){ .lengths = len });
    rw_node *state[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES];
    if (rw_bridge_apply_multi(g, c->br, runs, 2, len, state) != RW_OK)
        return NULL;
    return rw_concat(g, state, rw_rnn_state_count(c->dec), -1);
}

static void check_two_encoder_bridge(rw_bridge_opts o, const char *what)
{
    enum { S = 4, B = 2, X = 3 };
    rw_rng rng = rw_rng_seed(8);
    rw_params *P = rw_params_new();
    bridge2_ctx c = { 0 };
    c.enc[0] = rw_rnn_new(P, &(rw_rnn_spec){ .name = "a", .cell = &rw_lstm_cell, .input_size = X, .hidden = 2, .bidirectional = true }, &rng);
    c.enc[1] = rw_rnn_new(P, &(rw_rnn_spec){ .name = "b", .cell = &rw_gru_cell, .input_size = X, .hidden = 3, .layers = 2 }, &rng);
    c.dec = rw_rnn_new(P, &(rw_rnn_spec){ .name = "dec", .cell = &rw_lstm_cell, .input_size = X, .hidden = 4, .layers = 2 }, &rng);
    c.br = rw_bridge_new_multi(P, "br", (const rw_rnn *const *)c.enc, 2, c.dec, &o, &rng);
    cr_assert_not_null(c.br, "%s: %s", what, rw_last_error());
    jitter(P, &rng);
    c.lengths = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 4, 2 });
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(S, B, X), -1, 1);
    rw_gradcheck_report rep;
    expect_ok(rw_gradcheck(bridge2_build, &c, &xs, 1, P, &check_opts, &rep), &rep, what);
    rw_tensor_free(xs);
    rw_tensor_free(c.lengths);
    rw_bridge_free(c.br);
    for (int e = 0; e < 2; e++)
        rw_rnn_free(c.enc[e]);
    rw_rnn_free(c.dec);
    rw_params_free(P);
}

Test(seq2seq_grad, bridge_last_from_two_encoders)
{
    check_two_encoder_bridge((rw_bridge_opts){ RW_BRIDGE_LAST, RW_MERGE_CONCAT, false }, "two encoders, last");
}
Test(seq2seq_grad, bridge_mean_from_two_encoders_summed_directions)
{
    check_two_encoder_bridge((rw_bridge_opts){ RW_BRIDGE_MEAN, RW_MERGE_SUM, false }, "two encoders, mean, sum");
}

/* ---- a whole encoder-decoder ------------------------------------------------ */

typedef struct s2s_ctx {
    rw_seq2seq *m;
    rw_tensor *lengths;
} s2s_ctx;

/* in[0] src int32 [S, B], in[1] tgt int32 [T, B] -> logits [T, B, V] plus the loss */
static rw_node *s2s_build(rw_graph *g, rw_node *const *in, void *vctx)
{
    s2s_ctx *c = vctx;
    rw_seq2seq_out o = rw_seq2seq_forward(g, c->m, in[0], rw_const(g, c->lengths), in[1], NULL);
    return o.loss ? rw_add(g, o.logits, o.loss) : NULL;
}

static void check_seq2seq(rw_seq2seq_opts o, const char *what)
{
    enum { S = 4, T = 3, B = 2 };
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    o.src_vocab = o.src_vocab ? o.src_vocab : 5; /* ids 0 .. 4; a tied table needs 6 and 6 */
    o.tgt_vocab = 6;
    o.bos = 1;
    o.eos = 2;
    s2s_ctx c = { rw_seq2seq_new(P, "s2s", &o, &rng), rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 4, 2 }) };
    cr_assert_not_null(c.m, "%s: %s", what, rw_last_error());
    jitter(P, &rng);
    rw_tensor *in[2] = { rw_tensor_from_ints(rw_shape2(S, B), (const int32_t[]){ 0, 3, 4, 1, 2, -1, 3, -1 }),
                         rw_tensor_from_ints(rw_shape2(T, B), (const int32_t[]){ 3, 5, 4, 2, 2, -1 }) };
    /* padded source steps are never read, but must be valid ids for the one-hot lookup */
    in[0]->idata[5] = in[0]->idata[7] = 0;
    rw_gradcheck_report rep;
    expect_ok(rw_gradcheck(s2s_build, &c, in, 2, P, &check_opts, &rep), &rep, what);
    rw_tensor_free(in[0]);
    rw_tensor_free(in[1]);
    rw_tensor_free(c.lengths);
    rw_seq2seq_free(c.m);
    rw_params_free(P);
}

Test(seq2seq_grad, encoder_decoder_without_attention)
{
    check_seq2seq((rw_seq2seq_opts){ .hidden = 3, .embed = 3 }, "no attention");
}
Test(seq2seq_grad, encoder_decoder_with_additive_attention)
{
    check_seq2seq((rw_seq2seq_opts){ .hidden = 3, .embed = 2, .bidirectional = true, .attention = true,
                                     .score = RW_ATTN_ADDITIVE, .attention_hidden = 3 }, "additive attention");
}
Test(seq2seq_grad, encoder_decoder_with_general_attention_and_input_feeding)
{
    check_seq2seq((rw_seq2seq_opts){ .hidden = 3, .embed = 2, .attention = true, .score = RW_ATTN_GENERAL,
                                     .input_feeding = true, .bridge = { RW_BRIDGE_MEAN, RW_MERGE_SUM, true } },
                  "general attention, input feeding");
}
Test(seq2seq_grad, encoder_decoder_gru_dot_attention_input_feeding_two_layers)
{
    check_seq2seq((rw_seq2seq_opts){ .cell = &rw_gru_cell, .hidden = 3, .embed = 2, .layers = 2, .attention = true,
                                     .score = RW_ATTN_DOT, .input_feeding = true }, "GRU, dot attention, input feeding");
}
Test(seq2seq_grad, encoder_decoder_gru_encoder_to_a_deeper_lstm_decoder)
{
    check_seq2seq((rw_seq2seq_opts){ .cell = &rw_gru_cell, .dec_cell = &rw_lstm_cell, .hidden = 3, .dec_hidden = 4,
                                     .dec_layers = 2, .embed = 2, .attention = true, .score = RW_ATTN_GENERAL },
                  "GRU x1 encoder, LSTM x2 decoder of another width, projected bridge");
}
Test(seq2seq_grad, encoder_decoder_summed_directions_as_keys_and_a_source_embedding)
{
    check_seq2seq((rw_seq2seq_opts){ .hidden = 3, .dec_hidden = 3, .embed = 2, .src_embed = 2, .bidirectional = true,
                                     .key_merge = RW_MERGE_SUM, .bridge = { .merge = RW_MERGE_SUM },
                                     .attention = true, .score = RW_ATTN_DOT, .input_feeding = true },
                  "bidirectional keys summed, dot attention, source embedding");
}
Test(seq2seq_grad, encoder_decoder_with_two_encoders)
{
    check_seq2seq((rw_seq2seq_opts){ .hidden = 3, .embed = 2, .dec_hidden = 4, .attention = true,
                                     .score = RW_ATTN_ADDITIVE, .attention_hidden = 3, .input_feeding = true,
                                     .enc2 = { .cell = &rw_gru_cell, .hidden = 2, .bidirectional = true,
                                               .key_merge = RW_MERGE_SUM, .src_embed = 2 } },
                  "an LSTM and a bidirectional GRU over a source embedding, side by side");
}
Test(seq2seq_grad, encoder_decoder_with_a_tied_embedding)
{
    check_seq2seq((rw_seq2seq_opts){ .src_vocab = 6, .hidden = 3, .embed = 2, .share_embedding = RW_SHARE_TARGET_EMBEDDING,
                                     .attention = true, .score = RW_ATTN_GENERAL, .input_feeding = true },
                  "one embedding table read by the encoder and the decoder");
}
Test(seq2seq_grad, encoder_decoder_with_four_encoders_sharing_tables)
{
    /* ids; its own table; the second's table; the tied target table */
    check_seq2seq((rw_seq2seq_opts){ .src_vocab = 6, .hidden = 2, .embed = 2, .dec_hidden = 4, .attention = true,
                                     .score = RW_ATTN_ADDITIVE, .attention_hidden = 3,
                                     .enc2 = { .cell = &rw_gru_cell, .hidden = 2, .src_embed = 3 },
                                     .more = { { .cell = &rw_elman_cell, .hidden = 2, .bidirectional = true,
                                                 .key_merge = RW_MERGE_SUM, .share_embedding = 2 },
                                               { .hidden = 1, .share_embedding = RW_SHARE_TARGET_EMBEDDING } } },
                  "four encoders, a shared source table and a tied one");
}

/* ---- a tied table's gradient is the sum of its two uses ------------------------- */

/* Loss of m on a fixed batch; P's gradients filled. */
static double loss_and_grads(rw_seq2seq *m, rw_params *P)
{
    enum { S = 4, T = 3, B = 2 };
    rw_tensor *src = rw_tensor_from_ints(rw_shape2(S, B), (const int32_t[]){ 0, 3, 4, 1, 5, 0, 3, 0 });
    rw_tensor *tgt = rw_tensor_from_ints(rw_shape2(T, B), (const int32_t[]){ 3, 5, 4, 2, 2, -1 });
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 4, 2 });
    rw_graph *g = rw_graph_new();
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, src), rw_const(g, len), rw_const(g, tgt), NULL);
    cr_assert_not_null(o.loss, "%s", rw_last_error());
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, o.loss), RW_OK, "%s", rw_last_error());
    double loss = rw_scalar(o.loss);
    rw_graph_free(g);
    rw_tensor_free(src);
    rw_tensor_free(tgt);
    rw_tensor_free(len);
    return loss;
}

Test(seq2seq_grad, a_tied_table_gets_the_sum_of_the_source_and_target_gradients)
{
    rw_seq2seq_opts o = { .src_vocab = 6, .tgt_vocab = 6, .hidden = 3, .embed = 2, .bos = 1, .eos = 2,
                          .attention = true, .score = RW_ATTN_DOT, .share_embedding = RW_SHARE_TARGET_EMBEDDING };
    rw_rng rng = rw_rng_seed(5);
    rw_params *tied = rw_params_new(), *apart = rw_params_new();
    rw_seq2seq *a = rw_seq2seq_new(tied, "s2s", &o, &rng);
    o.share_embedding = 0;
    o.src_embed = o.embed;
    rw_seq2seq *b = rw_seq2seq_new(apart, "s2s", &o, &rng);
    cr_assert(a && b, "%s", rw_last_error());
    cr_assert_eq(rw_params_count(apart), rw_params_count(tied) + 1, "the untied model has one more table");
    jitter(tied, &rng);
    /* the same values everywhere; the untied source table a copy of the tied one */
    for (int i = 0; i < rw_params_count(tied); i++) {
        const rw_param *p = rw_params_at(tied, i);
        rw_tensor_copy(rw_params_get(apart, p->name)->value, p->value);
    }
    const rw_param *E = rw_params_get(tied, "s2s.emb.E"), *tgt_E = rw_params_get(apart, "s2s.emb.E"),
                   *src_E = rw_params_get(apart, "s2s.src_emb.E");
    rw_tensor_copy(src_E->value, E->value);
    double la = loss_and_grads(a, tied), lb = loss_and_grads(b, apart);
    cr_expect(fabs(la - lb) <= RWT_EPS * fmax(1, fabs(la)), "the same function: %g vs %g", la, lb);
    bool both_used = false;
    for (size_t k = 0; k < E->grad->size; k++) {
        double want = (double)src_E->grad->data[k] + (double)tgt_E->grad->data[k];
        both_used = both_used || (src_E->grad->data[k] != 0 && tgt_E->grad->data[k] != 0);
        cr_expect(fabs(E->grad->data[k] - want) <= 10 * RWT_EPS * fmax(1, fabs(want)), "E grad %zu: %g, want %g + %g",
                  k, (double)E->grad->data[k], (double)src_E->grad->data[k], (double)tgt_E->grad->data[k]);
    }
    cr_expect(both_used, "some row is read on both sides");
    rw_seq2seq_free(a);
    rw_seq2seq_free(b);
    rw_params_free(tied);
    rw_params_free(apart);
}
