/* model.graph encoder-decoders whose nodes are shared: one embedding read
 * by the encoder and the decoder (a tied table, one vocabulary), one source
 * embedding read by several encoders, and three or four encoders side by
 * side in one concat. Each is loaded from YAML, trained with rw_train and
 * scored by greedy exact match on held-out reversals; then the shipped
 * models/reverse_tied.yaml through the C API and through `rewind train`
 * and `rewind translate`. Their refusals are tests/model_bad/graph_*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[64];

static const char *env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

/* Strings of 2 to 4 digits 0-5 reversed: every 7th one held out. */
static void setup(void)
{
    strcpy(dir, "/tmp/rw_shared_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    static char train[16384], valid[4096];
    size_t a = 0, b = 0;
    int n = 0;
    for (int len = 2; len <= 4; len++)
        for (int k = 0, count = len == 2 ? 36 : len == 3 ? 216 : 1296; k < count; k += len == 4 ? 5 : 1) {
            char s[5] = { 0 }, r[5] = { 0 };
            for (int i = 0, v = k; i < len; i++, v /= 6)
                s[i] = r[len - 1 - i] = (char)('0' + v % 6);
            if (n++ % 7 == 3)
                b += (size_t)snprintf(valid + b, sizeof valid - b, "%s\t%s\n", s, r);
            else
                a += (size_t)snprintf(train + a, sizeof train - a, "%s\t%s\n", s, r);
        }
    rwt_write_in(dir, "train.tsv", train);
    rwt_write_in(dir, "valid.tsv", valid);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(graph_shared, .init = setup, .fini = teardown);

/* Loads the encoder-decoder of the given graph nodes, trains it `steps`
 * steps; its last loss and its exact match (%) on the held-out strings. */
static rw_model *train(const char *nodes, long steps, double *loss, double *exact)
{
    char text[4096], path[128];
    snprintf(text, sizeof text, "format: rewind/1\n"
             "data: {kind: tsv_seq2seq, train: train.tsv, valid: valid.tsv}\n"
             "train: {seed: 3, batch: {size: 16}, optimizer: {type: adam, lr: 2.0e-2}, clip: {global_norm: 5.0}}\n"
             "model:\n  graph:\n%s", nodes);
    rwt_write_in(dir, "model.yaml", text);
    snprintf(path, sizeof path, "%s/model.yaml", dir);
    rw_model *m = rw_model_load(path, NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    *loss = rwt_train_model(m, steps).last_loss;
    long right, count;
    cr_assert_eq(rw_model_exact_match(m, RW_SPLIT_VALID, &right, &count), RW_OK, "%s", rw_last_error());
    cr_assert_gt(count, 50);
    *exact = 100.0 * (double)right / (double)count;
    return m;
}

/* Guessing a reversal of 2 to 4 digits out of 6 is right far less than 5% of the time. */
static const double learned = 90;

Test(graph_shared, one_embedding_for_source_and_target_is_one_tied_table, .timeout = 120)
{
    static const char *const reads[] = { "source", "target" };
    double loss[2], exact[2];
    for (int k = 0; k < 2; k++) {
        char nodes[1024];
        snprintf(nodes, sizeof nodes,
                 "    - {name: emb, layer: {embedding: {size: 12}}, in: [%s]}\n"
                 "    - {name: enc, layer: {gru: {size: 24}}, in: [emb]}\n"
                 "    - {name: dec, layer: {gru: {size: 24, initial_state: {from: enc}}}, in: [emb],\n"
                 "       attention: {type: general, keys: enc}}\n"
                 "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n", reads[k]);
        rw_model *m = train(nodes, 250, &loss[k], &exact[k]);
        const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
        cr_expect(o->share_embedding == RW_SHARE_TARGET_EMBEDDING && o->src_embed == 0 && o->embed == 12);
        cr_expect_eq(rwt_count_prefixed(m, "s2s.src_emb"), 0, "no table of its own for the source");
        cr_expect_eq(rwt_count_prefixed(m, "s2s.emb."), 1, "one table");
        const rw_param *W = rw_params_get(rw_model_params(m), "s2s.enc.l0.W");
        cr_assert_not_null(W);
        cr_expect(W->value->shape.dim[1] == 12, "the encoder reads the 12-wide embedding");
        char *summary = rwt_summary_of(m);
        cr_expect(strstr(summary, "embedding, tied"), "%s", summary);
        free(summary);
        rw_model_free(m);
    }
    fprintf(stderr, "tied embedding: held-out exact match %.1f%% (loss %.3f)\n", exact[0], loss[0]);
    cr_expect_geq(exact[0], learned, "held-out exact match %.1f%%", exact[0]);
    cr_expect(loss[0] == loss[1] && exact[0] == exact[1], "in: [source] and in: [target] are the same tied model");
}

Test(graph_shared, one_source_embedding_feeds_two_encoders, .timeout = 120)
{
    double loss, exact;
    rw_model *m = train("    - {name: src_emb, layer: {embedding: {size: 12}}, in: [source]}\n"
                        "    - {name: enc_a, layer: {lstm: {size: 16}}, in: [src_emb]}\n"
                        "    - {name: enc_b, layer: {gru: {size: 8, bidirectional: {merge: sum}}}, in: [src_emb]}\n"
                        "    - {name: enc, layer: {concat: {}}, in: [enc_a, enc_b]}\n"
                        "    - {name: tgt_emb, layer: {embedding: {size: 12}}, in: [target]}\n"
                        "    - {name: dec, layer: {gru: {size: 24, initial_state: {from: enc}}}, in: [tgt_emb],\n"
                        "       attention: {type: dot, keys: enc}}\n"
                        "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                        250, &loss, &exact);
    const rw_seq2seq *net = rw_model_seq2seq(m);
    const rw_seq2seq_opts *o = rw_seq2seq_options(net);
    cr_expect(o->src_embed == 12 && o->enc2.src_embed == 0 && o->enc2.share_embedding == 1,
              "the second encoder reads the first one's table");
    cr_expect_eq(rwt_count_prefixed(m, "s2s.src_emb."), 1);
    cr_expect_eq(rwt_count_prefixed(m, "s2s.src_emb2."), 0);
    cr_expect_eq(rw_attention_options(rw_seq2seq_attention(net))->key, 24, "16 + 8 wide keys");
    fprintf(stderr, "one source embedding, two encoders: held-out exact match %.1f%% (loss %.3f)\n", exact, loss);
    cr_expect_geq(exact, learned, "held-out exact match %.1f%%", exact);
    rw_model_free(m);
}

Test(graph_shared, three_and_four_encoders_in_one_concat, .timeout = 180)
{
    /* an LSTM over ids, a GRU and an Elman over one source embedding, and
     * (the fourth) a GRU over the tied target embedding */
    static const char *const common =
        "    - {name: src_emb, layer: {embedding: {size: 8}}, in: [source]}\n"
        "    - {name: e1, layer: {lstm: {size: 12}}, in: [source]}\n"
        "    - {name: e2, layer: {gru: {size: 8}}, in: [src_emb]}\n"
        "    - {name: e3, layer: {elman: {size: 8, stack: 2}}, in: [src_emb]}\n";
    static const char *const fourth[] = { "", "    - {name: e4, layer: {gru: {size: 4}}, in: [emb]}\n" };
    static const char *const concat[] = { "[e1, e2, e3]", "[e1, e2, e3, e4]" };
    static const int keys[] = { 28, 32 };
    for (int k = 0; k < 2; k++) {
        char nodes[2048];
        snprintf(nodes, sizeof nodes, "%s%s"
                 "    - {name: enc, layer: {concat: {}}, in: %s}\n"
                 "    - {name: emb, layer: {embedding: {size: 8}}, in: [target]}\n"
                 "    - {name: dec, layer: {lstm: {size: 24, initial_state: {from: enc}}}, in: [emb],\n"
                 "       attention: {type: additive, keys: enc, hidden: 16}}\n"
                 "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n",
                 common, fourth[k], concat[k]);
        double loss, exact;
        rw_model *m = train(nodes, 250, &loss, &exact);
        const rw_seq2seq *net = rw_model_seq2seq(m);
        const rw_seq2seq_opts *o = rw_seq2seq_options(net);
        cr_expect_eq(rw_seq2seq_encoder_count(net), 3 + k);
        cr_expect(rw_seq2seq_encoder_at(net, 2) && !rw_seq2seq_encoder_at(net, 3 + k));
        cr_expect(o->more[0].share_embedding == 2 && o->more[0].layers == 2, "e3 reads e2's table");
        cr_expect_eq(rw_attention_options(rw_seq2seq_attention(net))->key, keys[k]);
        cr_expect_not_null(rw_params_get(rw_model_params(m), "s2s.enc3.l1.U"));
        if (k) {
            cr_expect(o->more[1].share_embedding == RW_SHARE_TARGET_EMBEDDING);
            cr_expect_not_null(rw_params_get(rw_model_params(m), "s2s.enc4.l0.W"));
        }
        cr_expect_eq(rwt_count_prefixed(m, "s2s.src_emb"), 1, "one source table");
        char *summary = rwt_summary_of(m);
        cr_expect(strstr(summary, k ? "e1, e2, e3, e4" : "e1, e2, e3") && strstr(summary, "encoders' last"), "%s",
                  summary);
        free(summary);
        fprintf(stderr, "%d encoders: held-out exact match %.1f%% (loss %.3f)\n", 3 + k, exact, loss);
        cr_expect_geq(exact, learned, "%d encoders: held-out exact match %.1f%%", 3 + k, exact);
        rw_model_free(m);
    }
}

/* ---- the shipped model ----------------------------------------------------------- */

static const char *const small[] = { "train.steps=4", "train.batch.size=8", "hyper.hidden=8",
                                     "train.checkpoint.every=0" };

Test(graph_shared, reverse_tied_loads_and_trains, .timeout = 120)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/reverse_tied.yaml", env("RW_SOURCE_DIR", "."));
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .overrides = small, .n_overrides = 4 });
    cr_assert_not_null(m, "%s", rw_last_error());
    const rw_seq2seq_opts *o = rw_seq2seq_options(rw_model_seq2seq(m));
    cr_expect(o->share_embedding == RW_SHARE_TARGET_EMBEDDING && o->enc2.share_embedding == RW_SHARE_TARGET_EMBEDDING,
              "both encoders and the decoder read one table");
    cr_expect_eq(rw_seq2seq_encoder_count(rw_model_seq2seq(m)), 2);
    rw_train_result r = rwt_train_model(m, 0);
    cr_expect(isfinite(r.last_loss) && r.last_loss > 0);
    rw_model_free(m);
}

/* Runs a shell command in dir; its standard output (malloc'd). */
static char *run_ok(const char *cmd)
{
    char line[4096];
    snprintf(line, sizeof line, "cd '%s' && %s 2>>stderr.txt", dir, cmd);
    FILE *p = popen(line, "r");
    cr_assert_not_null(p);
    static char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    cr_assert_eq(st, 0, "'%s' failed (status %d); its stderr is in %s/stderr.txt", cmd, st, dir);
    return out;
}

Test(graph_shared, rewind_train_and_translate_reverse_tied, .timeout = 300)
{
    char cmd[4096];
    const char *bin = env("RW_BINARY_DIR", "build"), *src = env("RW_SOURCE_DIR", ".");
    snprintf(cmd, sizeof cmd, "'%s/tools/rewind' train '%s/models/reverse_tied.yaml' --steps 6 --checkpoint tied.rwc "
             "--quiet --set train.batch.size=8 --set hyper.hidden=8 --set train.checkpoint.every=0", bin, src);
    run_ok(cmd);
    cr_expect_eq(access(strcat(strcpy((char[128]){ 0 }, dir), "/tied.rwc"), F_OK), 0, "no checkpoint");
    snprintf(cmd, sizeof cmd, "'%s/tools/rewind' check '%s/models/reverse_tied.yaml'", bin, src);
    cr_expect(strstr(run_ok(cmd), "embedding, tied"), "rewind check shows the tied table");
    snprintf(cmd, sizeof cmd, "printf '123\\n4567\\n' | '%s/tools/rewind' translate tied.rwc --beam 2 --max-length 6",
             bin);
    const char *out = run_ok(cmd);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 2, "one output per source line:\n%s", out);
}
