/* Bad input to the attention, bridge, seq2seq and decoding APIs gives a
 * clear error, never a crash. */
#include <string.h>
#include "rw_test.h"

#define expect_error(call, needle)                                                                   \
    do {                                                                                             \
        cr_expect(!(call), "%s should fail", #call);                                                 \
        cr_expect(strstr(rw_last_error(), needle) != NULL, "message '%s' lacks '%s'", rw_last_error(), \
                  needle);                                                                           \
    } while (0)

static rw_seq2seq *model(rw_params *P, rw_rng *rng, rw_seq2seq_opts o)
{
    o.src_vocab = o.src_vocab ? o.src_vocab : 5;
    o.tgt_vocab = o.tgt_vocab ? o.tgt_vocab : 6;
    o.hidden = o.hidden ? o.hidden : 4;
    return rw_seq2seq_new(P, "s2s", &o, rng);
}

Test(seq2seq_errors, bad_options)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .bos = 1, .eos = 6 }), "eos 6");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .input_feeding = true }), "input feeding needs attention");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .bidirectional = true, .dec_hidden = 5, .attention = true,
                                                   .score = RW_ATTN_DOT }), "dot attention needs query width 5 == key width 8");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .src_embed = -1 }), "src_embed -1");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .key_merge = (rw_bridge_merge)7 }), "key_merge 7");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .share_embedding = RW_SHARE_TARGET_EMBEDDING }),
                 "the source vocabulary (5) is not the target's (6): a table tied across both sides needs one vocabulary");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .src_vocab = 6, .src_embed = 2,
                                                   .share_embedding = RW_SHARE_TARGET_EMBEDDING }), "give one");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .enc2 = { .hidden = 2, .share_embedding = 1 } }),
                 "encoder 2's share_embedding 1 names no earlier encoder with its own source embedding");
    expect_error(model(P, &rng, (rw_seq2seq_opts){ .more = { { .hidden = 2 } } }),
                 "encoder 3 is given but encoder 2 is not");
    rw_params *Q = rw_params_new(); /* a failed model leaves its encoder's parameters behind */
    expect_error(model(Q, &rng, (rw_seq2seq_opts){ .bidirectional = true, .key_merge = RW_MERGE_SUM, .dec_hidden = 8,
                                                   .attention = true, .score = RW_ATTN_DOT }),
                 "dot attention needs query width 8 == key width 4");
    rw_params_free(Q);
    expect_error(rw_attention_new(P, "a", &(rw_attention_opts){ .score = RW_ATTN_GENERAL, .query = 0, .key = 3 }, &rng),
                 "sizes >= 1");
    rw_rnn *enc = rw_rnn_new(P, &(rw_rnn_spec){ .name = "e", .cell = &rw_lstm_cell, .input_size = 3, .hidden = 4 }, &rng);
    rw_rnn *bi = rw_rnn_new(P, &(rw_rnn_spec){ .name = "b", .cell = &rw_lstm_cell, .input_size = 3, .hidden = 4, .bidirectional = true }, &rng);
    expect_error(rw_bridge_new(P, "br", enc, bi, NULL, &rng), "unidirectional decoder");
    const rw_rnn *two[2] = { enc, enc };
    expect_error(rw_bridge_new_multi(P, "br", two, 0, enc, NULL, &rng), "1 to 4 encoders");
    rw_rnn *dec = rw_rnn_new(P, &(rw_rnn_spec){ .name = "d", .cell = &rw_gru_cell, .input_size = 3, .hidden = 8 }, &rng);
    rw_bridge *br = rw_bridge_new_multi(P, "br2", two, 2, dec, NULL, &rng);
    cr_assert_not_null(br, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(2, 1, 3), -1, 1);
    rw_seq run = rw_rnn_run(g, enc, rw_const(g, xs), NULL);
    rw_node *state[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES];
    expect_error(rw_bridge_apply_multi(g, br, &run, 1, NULL, state) == RW_OK, "the bridge has 2 encoders, got 1 runs");
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_bridge_free(br);
    rw_rnn_free(dec);
    rw_rnn_free(enc);
    rw_rnn_free(bi);
    rw_params_free(P);
}

Test(seq2seq_errors, bad_shapes_and_lengths)
{
    rw_rng rng = rw_rng_seed(2);
    rw_params *P = rw_params_new();
    rw_attention *att = rw_attention_new(P, "att", &(rw_attention_opts){ .query = 3, .key = 4 }, &rng);
    rw_graph *g = rw_graph_new();
    rw_tensor *enc = rwt_uniform(&rng, rw_shape3(5, 2, 4), -1, 1), *q = rwt_uniform(&rng, rw_shape2(2, 4), -1, 1);
    rw_tensor *zero_len = rw_tensor_from_ints(rw_shape1(2), (const int32_t[]){ 3, 0 });
    rw_tensor *long_len = rw_tensor_from_ints(rw_shape1(2), (const int32_t[]){ 6, 1 });
    rw_attention_memory mem;
    expect_error(rw_attention_prepare(g, att, rw_const(g, enc), rw_const(g, zero_len), &mem) == RW_OK,
                 "source length 0 of sequence 1 is outside [1, 5]");
    expect_error(rw_attention_prepare(g, att, rw_const(g, enc), rw_const(g, long_len), &mem) == RW_OK,
                 "source length 6 of sequence 0");
    expect_error(rw_attention_prepare(g, att, rw_const(g, q), NULL, &mem) == RW_OK, "expected real [S, B, 4]");
    cr_assert_eq(rw_attention_prepare(g, att, rw_const(g, enc), NULL, &mem), RW_OK, "%s", rw_last_error());
    expect_error(rw_attention_apply(g, att, &mem, rw_const(g, q), NULL), "query [2, 4]; expected [2, 3]");

    rw_seq2seq *m = model(P, &rng, (rw_seq2seq_opts){ .attention = true, .bos = 1, .eos = 2 });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_tensor *src = rw_tensor_from_ints(rw_shape2(2, 2), (const int32_t[]){ 1, 2, 3, 4 });
    rw_tensor *tgt = rw_tensor_from_ints(rw_shape2(2, 1), (const int32_t[]){ 1, 2 });
    rw_seq2seq_out o = rw_seq2seq_forward(g, m, rw_const(g, src), NULL, rw_const(g, tgt), NULL);
    expect_error(o.loss, "expected int32 [T, 2]");
    const int32_t bad_src[2] = { 1, 9 };
    expect_error(rw_seq2seq_step_model_new(m, bad_src, 2), "9");
    expect_error(rw_seq2seq_step_model_new(m, bad_src, 0), "length >= 1");
    rw_step_model *dm = rw_seq2seq_step_model_new(m, bad_src, 1);
    cr_assert_not_null(dm, "%s", rw_last_error());
    rw_real lp[6];
    const int32_t bad_tok = 6;
    expect_error(dm->step(dm, &bad_tok, 1, lp) == RW_OK, "token 6 of row 0 is outside [0, 6)");
    rw_step_model_free(dm);
    rw_graph_free(g);
    rw_tensor_free(enc);
    rw_tensor_free(q);
    rw_tensor_free(zero_len);
    rw_tensor_free(long_len);
    rw_tensor_free(src);
    rw_tensor_free(tgt);
    rw_seq2seq_free(m);
    rw_attention_free(att);
    rw_params_free(P);
}
