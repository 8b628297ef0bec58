/* model.graph beyond the attentive encoder-decoder of test_seq2seq_yaml.c,
 * each shape loaded from YAML and trained a few dozen steps with rw_train:
 * a plain classifier written as a graph (a chain of layers), an
 * encoder-decoder without attention whose stacked decoder starts from the
 * summed directions of a bidirectional encoder, and the spelling of the
 * sketch in the format's design notes (bidirectional: {merge: concat},
 * attention feed: input), a decoder whose stack differs from the
 * encoder's, a bidirectional encoder whose directions are summed for
 * attention, and the sketch's separate source embedding. Malformed graphs
 * are in tests/model_bad/graph_*. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[64];

static void write_text(const char *name, const char *text) { rwt_write_in(dir, name, text); }

/* The strings of 2 and 3 letters over "abcd": reversed (tsv_seq2seq), and
 * labelled by their first letter (tsv_classify: the label first). */
static void setup(void)
{
    strcpy(dir, "/tmp/rw_graph_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char rev[2048], cls[2048];
    int a = 0, b = 0;
    for (int len = 2; len <= 3; len++)
        for (int k = 0; k < (len == 2 ? 16 : 64); k++) {
            char s[4] = { 0 }, r[4] = { 0 };
            for (int i = 0, v = k; i < len; i++, v /= 4)
                s[i] = r[len - 1 - i] = (char)('a' + v % 4);
            a += snprintf(rev + a, sizeof rev - (size_t)a, "%s\t%s\n", s, r);
            b += snprintf(cls + b, sizeof cls - (size_t)b, "%s\t%s\n", s[0] == 'a' || s[0] == 'b' ? "ab" : "cd", s);
        }
    write_text("rev.tsv", rev);
    write_text("cls.tsv", cls);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(graph_shapes, .init = setup, .fini = teardown);

/* Loads model.yaml (written from text), trains it; the first and last losses. */
static rw_model *train(const char *text, double *first, double *last)
{
    char path[128];
    write_text("model.yaml", text);
    snprintf(path, sizeof path, "%s/model.yaml", dir);
    rw_model *m = rw_model_load(path, NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
    o.epochs = 0; /* steps, not epochs */
    o.max_steps = 1;
    rw_train_result r;
    cr_assert_eq(rw_train(rw_model_params(m), opt, src, rw_model_loss_fn, m, &o, &r), RW_OK, "%s", rw_last_error());
    *first = r.last_loss;
    o.start_step = 1;
    o.max_steps = 80;
    cr_assert_eq(rw_train(rw_model_params(m), opt, src, rw_model_loss_fn, m, &o, &r), RW_OK, "%s", rw_last_error());
    *last = r.last_loss;
    rw_optim_free(opt);
    return m;
}

Test(graph_shapes, a_classifier_written_as_a_graph_is_its_layer_list)
{
    const char *graph = "format: rewind/1\n"
                        "data: {kind: tsv_classify, train: cls.tsv}\n"
                        "model:\n"
                        "  inputs: {text: {type: tokens, vocab: data}}\n"
                        "  graph:\n"
                        "    - {name: head, layer: {linear: {size: classes}}, in: [rnn]}\n" /* any order */
                        "    - {name: emb, layer: {embedding: {size: 8}}, in: [text]}\n"
                        "    - {name: rnn, layer: {gru: {size: 16, output: last}}, in: [emb]}\n"
                        "  outputs: {label: {from: head}}\n"
                        "train: {seed: 2, batch: {size: 16}, optimizer: {type: adam, lr: 2.0e-2}}\n";
    double first, last;
    rw_model *m = train(graph, &first, &last);
    cr_expect(!rw_model_is_seq2seq(m));
    cr_expect_eq(rw_params_count(rw_model_params(m)), 7, "emb.E, the GRU's five, head.W and head.b");
    cr_expect_not_null(rw_params_get(rw_model_params(m), "rnn.l0.W"), "layers are named after their nodes");
    cr_expect_lt(last, 0.5 * first, "the classifier learns: loss %g -> %g", first, last);
    rw_model_free(m);

    /* the same chain as a layer list: the same parameters and the same training, bit for bit */
    const char *list = "format: rewind/1\n"
                       "data: {kind: tsv_classify, train: cls.tsv}\n"
                       "model:\n"
                       "  inputs: {text: {type: tokens, vocab: data}}\n"
                       "  layers:\n"
                       "    - embedding: {name: emb, size: 8}\n"
                       "    - gru: {name: rnn, size: 16, output: last}\n"
                       "    - linear: {name: head, size: classes}\n"
                       "  outputs: {label: {from: head}}\n"
                       "train: {seed: 2, batch: {size: 16}, optimizer: {type: adam, lr: 2.0e-2}}\n";
    double first2, last2;
    m = train(list, &first2, &last2);
    cr_expect(first2 == first && last2 == last, "graph %g %g, layers %g %g", first, last, first2, last2);
    rw_model_free(m);
}

static const char *s2s_head = "format: rewind/1\n"
                              "data: {kind: tsv_seq2seq, train: rev.tsv}\n"
                              "train: {seed: 4, batch: {size: 16}, optimizer: {type: adam, lr: 2.0e-2}}\n"
                              "model:\n"
                              "  graph:\n";

/* Trains the encoder-decoder whose graph nodes are given (after s2s_head). */
static rw_model *train_s2s(const char *nodes, double *first, double *last)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", s2s_head, nodes);
    return train(text, first, last);
}

Test(graph_shapes, an_encoder_decoder_without_attention_from_summed_directions)
{
    double first, last;
    rw_model *m = train_s2s("    - {name: enc, layer: {gru: {size: 16, stack: 2, bidirectional: true}}, in: [source]}\n"
                            "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                            "    - {name: dec, layer: {gru: {size: 16, stack: 2, initial_state: {from: enc, merge: sum}}}, in: [emb]}\n"
                            "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                            &first, &last);
    const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
    cr_expect(!o->attention && o->bidirectional && o->layers == 2 && o->bridge.merge == RW_MERGE_SUM);
    cr_expect_eq(rwt_count_prefixed(m, "s2s.bridge."), 0, "the summed width is the decoder's: no projection");
    cr_expect_lt(last, 0.7 * first, "it learns: loss %g -> %g", first, last);
    rw_model_free(m);
}

Test(graph_shapes, the_design_sketch_spelling_trains_like_input_feeding)
{
    static const char *const feeds[] = { "feed: input", "input_feeding: true" };
    double first[2], last[2];
    for (int k = 0; k < 2; k++) {
        char text[2048];
        snprintf(text, sizeof text, "%s"
                 "    - {name: enc, layer: {lstm: {size: 16, bidirectional: {merge: concat}}}, in: [source]}\n"
                 "    - {name: tgt_emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                 "    - {name: dec, layer: {lstm: {size: 32, initial_state: {from: enc, reduce: last}}},\n"
                 "       in: [tgt_emb], attention: {type: additive, keys: enc, %s}}\n"
                 "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n", s2s_head, feeds[k]);
        rw_model *m = train(text, &first[k], &last[k]);
        const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
        cr_expect(o->attention && o->input_feeding && o->bidirectional && o->score == RW_ATTN_ADDITIVE);
        rw_model_free(m);
    }
    cr_expect_lt(last[0], 0.7 * first[0], "it learns: loss %g -> %g", first[0], last[0]);
    cr_expect(first[0] == first[1] && last[0] == last[1], "feed: input is input_feeding: true");
}

Test(graph_shapes, a_decoder_stack_other_than_the_encoders)
{
    /* a bidirectional LSTM x1 (2 x 12 wide) into a GRU x2 of 16 from the mean,
     * and an LSTM x2 into an Elman x1 of 24 from the last step */
    static const char *const shapes[] = {
        "    - {name: enc, layer: {lstm: {size: 12, bidirectional: true}}, in: [source]}\n"
        "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
        "    - {name: dec, layer: {gru: {size: 16, stack: 2, initial_state: {from: enc, reduce: mean}}}, in: [emb],\n"
        "       attention: {type: general, keys: enc}}\n"
        "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
        "    - {name: enc, layer: {lstm: {size: 16, stack: 2}}, in: [source]}\n"
        "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
        "    - {name: dec, layer: {elman: {size: 24, initial_state: {from: enc}}}, in: [emb]}\n"
        "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
    };
    static const struct { const char *cell; int enc_layers, dec_layers, projections; } want[] = {
        { "gru", 1, 2, 2 },   /* 24 -> 16 for each decoder layer's one state */
        { "elman", 2, 1, 1 }, /* 16 -> 24 */
    };
    for (int k = 0; k < 2; k++) {
        double first, last;
        rw_model *m = train_s2s(shapes[k], &first, &last);
        const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
        cr_expect(o->cell == &rw_lstm_cell && !strcmp(o->dec_cell->name, want[k].cell), "shape %d: %s decoder", k,
                  o->dec_cell->name);
        cr_expect(o->layers == want[k].enc_layers && o->dec_layers == want[k].dec_layers, "shape %d: %d / %d layers",
                  k, o->layers, o->dec_layers);
        cr_expect_eq(rwt_count_prefixed(m, "s2s.bridge."), 2 * want[k].projections, "shape %d: W and b per projection",
                     k);
        cr_expect_eq(rw_rnn_layers(rw_seq2seq_decoder(rw_model_seq2seq(m))), want[k].dec_layers);
        cr_expect_lt(last, 0.7 * first, "shape %d learns: loss %g -> %g", k, first, last);
        rw_model_free(m);
    }
}

Test(graph_shapes, summed_directions_are_the_attention_keys_and_the_start)
{
    double first, last;
    rw_model *m = train_s2s("    - {name: enc, layer: {gru: {size: 16, bidirectional: {merge: sum}}}, in: [source]}\n"
                            "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                            "    - {name: dec, layer: {gru: {size: 16, initial_state: {from: enc}}}, in: [emb],\n"
                            "       attention: {type: dot, keys: enc}}\n"
                            "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                            &first, &last);
    const rw_seq2seq *net = rw_model_seq2seq(m);
    const rw_seq2seq_opts *o = rw_seq2seq_options(net);
    cr_expect(o->bidirectional && o->key_merge == RW_MERGE_SUM && o->bridge.merge == RW_MERGE_SUM,
              "the decoder's start follows the encoder's merge");
    cr_expect_eq(rw_attention_options(rw_seq2seq_attention(net))->key, 16, "dot attention over 16-wide keys");
    cr_expect_eq(rwt_count_prefixed(m, "s2s.bridge."), 0, "16 summed into 16: no projection");
    cr_expect_lt(last, 0.7 * first, "it learns: loss %g -> %g", first, last);
    rw_model_free(m);
}

Test(graph_shapes, the_sketch_with_a_source_embedding_node)
{
    double first, last; /* the design notes' example, smaller */
    rw_model *m = train_s2s("    - {name: src_emb, layer: {embedding: {size: 8}}, in: [src]}\n"
                            "    - {name: enc,     layer: {lstm: {size: 16, bidirectional: {merge: concat}}}, in: [src_emb]}\n"
                            "    - {name: tgt_emb, layer: {embedding: {size: 8}}, in: [tgt_in]}\n"
                            "    - {name: dec,     layer: {lstm: {size: 32, initial_state: {from: enc, reduce: last}}}, in: [tgt_emb],\n"
                            "       attention: {type: additive, keys: enc, feed: input}}\n"
                            "    - {name: head,    layer: {linear: {size: tgt_vocab}}, in: [dec]}\n",
                            &first, &last);
    const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
    cr_expect_eq(o->src_embed, 8);
    const rw_param *E = rw_params_get(rw_model_params(m), "s2s.src_emb.E");
    cr_assert_not_null(E, "the source embedding has its own table");
    cr_expect(E->value->shape.dim[0] == rw_model_vocab_size(m) && E->value->shape.dim[1] == 8);
    const rw_param *W = rw_params_get(rw_model_params(m), "s2s.enc.l0.W");
    cr_assert_not_null(W);
    cr_expect(W->value->shape.dim[0] == 8 || W->value->shape.dim[1] == 8, "the encoder reads 8-wide vectors");
    char *summary = rwt_summary_of(m);
    cr_expect(strstr(summary, "src_emb") && strstr(summary, "[T, B, 8]"), "%s", summary);
    free(summary);
    cr_expect_lt(last, 0.7 * first, "it learns: loss %g -> %g", first, last);
    rw_model_free(m);
}

Test(graph_shapes, two_encoders_side_by_side)
{
    /* an LSTM over the ids and a bidirectional GRU over its own embedding,
     * summed: 12 + 8 wide keys, and the decoder's 20-wide start */
    double first, last;
    rw_model *m = train_s2s("    - {name: emb_b, layer: {embedding: {size: 8}}, in: [source]}\n"
                            "    - {name: enc_a, layer: {lstm: {size: 12}}, in: [source]}\n"
                            "    - {name: enc_b, layer: {gru: {size: 8, bidirectional: {merge: sum}}}, in: [emb_b]}\n"
                            "    - {name: enc, layer: {concat: {}}, in: [enc_a, enc_b]}\n"
                            "    - {name: tgt_emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                            "    - {name: dec, layer: {lstm: {size: 20, initial_state: {from: enc}}}, in: [tgt_emb],\n"
                            "       attention: {type: dot, keys: enc}}\n"
                            "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                            &first, &last);
    const rw_seq2seq *net = rw_model_seq2seq(m);
    const rw_seq2seq_opts *o = rw_seq2seq_options(net);
    cr_expect(o->enc2.hidden == 8 && o->enc2.cell == &rw_gru_cell && o->enc2.bidirectional &&
              o->enc2.key_merge == RW_MERGE_SUM && o->enc2.src_embed == 8 && o->src_embed == 0);
    cr_expect_not_null(rw_seq2seq_encoder2(net));
    cr_expect_eq(rw_attention_options(rw_seq2seq_attention(net))->key, 20, "12 + 8 wide keys");
    cr_expect_eq(rwt_count_prefixed(m, "s2s.src_emb2."), 1);
    cr_expect_eq(rwt_count_prefixed(m, "s2s.bridge."), 0, "h 12 + 8 and c 12 + 8 start a 20-wide LSTM as they are");
    char *summary = rwt_summary_of(m);
    cr_expect(strstr(summary, "enc_a, enc_b") && strstr(summary, "[T, B, 20]"), "%s", summary);
    free(summary);
    cr_expect_lt(last, 0.7 * first, "it learns: loss %g -> %g", first, last);
    rw_model_free(m);

    /* the same two encoders into a GRU of another width from their mean: projected */
    m = train_s2s("    - {name: enc_a, layer: {lstm: {size: 12}}, in: [source]}\n"
                  "    - {name: enc_b, layer: {elman: {size: 8, stack: 2}}, in: [source]}\n"
                  "    - {name: both, layer: {concat: {}}, in: [enc_a, enc_b]}\n"
                  "    - {name: tgt_emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                  "    - {name: dec, layer: {gru: {size: 16, initial_state: {from: both, reduce: mean}}}, in: [tgt_emb]}\n"
                  "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                  &first, &last);
    cr_expect_eq(rwt_count_prefixed(m, "s2s.bridge."), 2, "20 -> 16: one projection");
    cr_expect_lt(last, 0.7 * first, "it learns: loss %g -> %g", first, last);
    rw_model_free(m);
}
