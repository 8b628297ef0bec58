/* Dropout in an encoder-decoder (rw_seq2seq_opts.enc_dropout, dec_dropout):
 * finite-difference gradients through every site with the masks held
 * fixed, evaluation untouched, masks replayed from the seed, per-sequence
 * masks drawn once, errors; and reversal learned through `rewind train`
 * from a model file with dropout on both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rw_test.h"

#ifdef RW_DOUBLE
static const rw_gradcheck_opts check_opts = { 0 };
#else
static const rw_gradcheck_opts check_opts = { .eps = 3e-3, .tol = 0.3 };
#endif

enum { S = 4, T = 3, B = 2 };

static rw_seq2seq *make(rw_params *P, rw_seq2seq_opts o, unsigned seed)
{
    rw_rng rng = rw_rng_seed(seed);
    o.src_vocab = o.src_vocab ? o.src_vocab : 5;
    o.tgt_vocab = o.tgt_vocab ? o.tgt_vocab : 6;
    o.bos = 1;
    o.eos = 2;
    return rw_seq2seq_new(P, "s2s", &o, &rng);
}

/* Every site dropped: source embedding (input), between the two stacked
 * layers, h_{t-1}, the outputs; attention with input feeding. */
static rw_seq2seq_opts all_sites(bool per_sequence)
{
    rw_seq2seq_dropout d = { .input = 0.3, .between = 0.3, .recurrent = 0.3, .output = 0.3,
                             .per_sequence = per_sequence };
    return (rw_seq2seq_opts){ .hidden = 3, .embed = 2, .src_embed = 2, .layers = 2, .attention = true,
                              .score = RW_ATTN_GENERAL, .input_feeding = true, .enc_dropout = d, .dec_dropout = d };
}

static rw_tensor *source(void) { return rw_tensor_from_ints(rw_shape2(S, B), (const int32_t[]){ 0, 3, 4, 1, 2, 0, 3, 0 }); }
static rw_tensor *target(void) { return rw_tensor_from_ints(rw_shape2(T, B), (const int32_t[]){ 3, 5, 4, 2, 2, -1 }); }

typedef struct grad_ctx {
    rw_seq2seq *m;
    rw_tensor *lengths;
} grad_ctx;

/* The same masks at every evaluation: a fresh generator from one seed. */
static rw_node *dropped_loss(rw_graph *g, rw_node *const *in, void *vctx)
{
    grad_ctx *c = vctx;
    rw_rng rng = rw_rng_seed(99);
    rw_graph_set_training(g, true);
    rw_seq2seq_out o = rw_seq2seq_forward(g, c->m, in[0], rw_const(g, c->lengths), in[1],
                                          &(rw_seq2seq_train_opts){ .rng = &rng });
    return o.loss ? rw_add(g, o.logits, o.loss) : NULL;
}

static void check_gradients(bool per_sequence)
{
    rw_params *P = rw_params_new();
    grad_ctx c = { make(P, all_sites(per_sequence), 3), rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 4, 2 }) };
    cr_assert_not_null(c.m, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(5);
    for (int i = 0; i < rw_params_count(P); i++) { /* off the initial values: no term trivially zero */
        rw_tensor *v = rw_params_at(P, i)->value;
        for (size_t k = 0; k < v->size; k++)
            v->data[k] += (rw_real)(0.4 * (rw_rng_uniform(&rng) - 0.5));
    }
    rw_tensor *in[2] = { source(), target() };
    rw_gradcheck_report rep;
    cr_expect_eq(rw_gradcheck(dropped_loss, &c, in, 2, P, &check_opts, &rep), RW_OK, "%s", rw_last_error());
    cr_expect_gt(rep.checked, 0);
    rw_tensor_free(in[0]);
    rw_tensor_free(in[1]);
    rw_tensor_free(c.lengths);
    rw_seq2seq_free(c.m);
    rw_params_free(P);
}

Test(seq2seq_dropout, gradients_through_every_site_per_step) { check_gradients(false); }
Test(seq2seq_dropout, gradients_through_every_site_per_sequence) { check_gradients(true); }

/* The loss of a fresh model (seed 3) on the fixed batch; rng_seed 0: no generator. */
static double loss_of(rw_seq2seq_opts o, bool training, unsigned rng_seed)
{
    rw_params *P = rw_params_new();
    rw_seq2seq *m = make(P, o, 3);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, training);
    rw_rng rng = rw_rng_seed(rng_seed);
    rw_tensor *src = source(), *tgt = target(), *len = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 4, 2 });
    rw_seq2seq_out out = rw_seq2seq_forward(g, m, rw_const(g, src), rw_const(g, len), rw_const(g, tgt),
                                            &(rw_seq2seq_train_opts){ .rng = rng_seed ? &rng : NULL });
    double loss = out.loss ? rw_scalar(out.loss) : NAN;
    rw_tensor_free(src);
    rw_tensor_free(tgt);
    rw_tensor_free(len);
    rw_graph_free(g);
    rw_seq2seq_free(m);
    rw_params_free(P);
    return loss;
}

Test(seq2seq_dropout, evaluation_is_untouched_and_training_replays_from_the_seed)
{
    rw_seq2seq_opts plain = all_sites(false);
    plain.enc_dropout = plain.dec_dropout = (rw_seq2seq_dropout){ 0 };
    double base = loss_of(plain, true, 1);
    cr_assert(isfinite(base), "%s", rw_last_error());
    for (int per_sequence = 0; per_sequence < 2; per_sequence++) {
        rw_seq2seq_opts o = all_sites(per_sequence);
        cr_expect_eq(loss_of(o, false, 0), base, "evaluation mode drops nothing and needs no generator");
        double a = loss_of(o, true, 7), b = loss_of(o, true, 7), c = loss_of(o, true, 8);
        cr_expect(isfinite(a) && a != base, "dropout changes the training loss (%g, %g)", a, base);
        cr_expect_eq(a, b, "the same seed gives the same masks");
        cr_expect_neq(a, c, "another seed gives other masks");
    }
}

Test(seq2seq_dropout, each_site_changes_the_loss)
{
    rw_seq2seq_opts plain = all_sites(false);
    plain.enc_dropout = plain.dec_dropout = (rw_seq2seq_dropout){ 0 };
    double base = loss_of(plain, true, 7);
    for (int side = 0; side < 2; side++)
        for (int site = 0; site < 4; site++) {
            rw_seq2seq_opts o = plain;
            rw_seq2seq_dropout *d = side ? &o.dec_dropout : &o.enc_dropout;
            double *p[4] = { &d->input, &d->between, &d->recurrent, &d->output };
            *p[site] = 0.5;
            double l = loss_of(o, true, 7);
            cr_expect(isfinite(l) && l != base, "%s site %d has no effect (%g)", side ? "decoder" : "encoder", site, l);
        }
}

Test(seq2seq_dropout, per_sequence_masks_are_drawn_once_per_sequence)
{
    for (int per_sequence = 0; per_sequence < 2; per_sequence++) {
        rw_params *P = rw_params_new();
        rw_seq2seq *m = make(P, all_sites(per_sequence), 3);
        rw_graph *g = rw_graph_new();
        rw_graph_set_training(g, true);
        rw_rng rng = rw_rng_seed(4);
        rw_tensor *src = source();
        rw_seq2seq_state st;
        cr_assert_eq(rw_seq2seq_encode_train(g, m, rw_const(g, src), NULL, &rng, &st), RW_OK, "%s", rw_last_error());
        rw_tensor *ids = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 1, 1 });
        cr_assert_not_null(rw_seq2seq_step(g, m, &st, rw_const(g, ids)), "%s", rw_last_error());
        rw_node *first[RW_SEQ2SEQ_DROPOUT_SITES];
        memcpy(first, st.dropout_masks, sizeof first);
        for (int t = 0; t < 3; t++)
            cr_assert_not_null(rw_seq2seq_step(g, m, &st, rw_const(g, ids)));
        int kept = 0;
        for (int i = 0; i < RW_SEQ2SEQ_DROPOUT_SITES; i++) {
            cr_expect_eq(st.dropout_masks[i], first[i], "site %d's mask changed between steps", i);
            kept += first[i] != NULL;
        }
        /* input, output, recurrent x 2 layers, between layer 1 */
        cr_expect_eq(kept, per_sequence ? 5 : 0, "%s: %d masks kept", per_sequence ? "per sequence" : "per step", kept);
        rw_tensor_free(ids);
        rw_tensor_free(src);
        rw_graph_free(g);
        rw_seq2seq_free(m);
        rw_params_free(P);
    }
}

Test(seq2seq_dropout, bad_settings_are_refused_with_a_reason)
{
    rw_params *P = rw_params_new();
    rw_seq2seq_opts o = all_sites(false);
    o.src_embed = 0;   /* the encoder reads ids: no input vectors */
    cr_expect_null(make(P, o, 3));
    cr_expect(strstr(rw_last_error(), "encoder 1 reads token ids"), "%s", rw_last_error());
    o = all_sites(false);
    o.dec_dropout.recurrent = 1.0;
    cr_expect_null(make(P, o, 3));
    cr_expect(strstr(rw_last_error(), "decoder's dropout rates must be in [0, 1)"), "%s", rw_last_error());
    rw_params_free(P);
    cr_expect(isnan(loss_of(all_sites(true), true, 0)), "training with dropout and no generator fails");
    cr_expect(strstr(rw_last_error(), "needs a generator"), "%s", rw_last_error());
}

/* ---- through a model file and the command ------------------------------------------ */

static char *run_in(const char *dir, const char *cmd)
{
    char full[4096];
    snprintf(full, sizeof full, "cd '%s' && %s 2>&1", dir, cmd);
    FILE *p = popen(full, "r");
    cr_assert_not_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    for (size_t k; (k = fread(out + n, 1, cap - 1 - n, p)) > 0;)
        n += k;
    out[n] = '\0';
    int st = pclose(p);
    cr_assert_eq(st, 0, "%s failed:\n%s", cmd, out);
    return out;
}

Test(seq2seq_dropout, reversal_learned_with_dropout_through_rewind_train, .timeout = 240)
{
    char dir[64] = "/tmp/rw_s2sdrop_XXXXXX", cmd[2048];
    cr_assert_not_null(mkdtemp(dir));
    const char *src = getenv("RW_SOURCE_DIR") ? getenv("RW_SOURCE_DIR") : ".";
    const char *bin = getenv("RW_BINARY_DIR") ? getenv("RW_BINARY_DIR") : "build";
    snprintf(cmd, sizeof cmd, "sh '%s/scripts/seq2seq_data.sh' reverse . 2000 300 300 7", src);
    free(run_in(dir, cmd));
    rwt_write_in(dir, "rev.yaml",
                 "format: rewind/1\n"
                 "data: {kind: tsv_seq2seq, train: train.tsv, valid: valid.tsv, test: test.tsv}\n"
                 "model:\n"
                 "  graph:\n"
                 "    - {name: src_emb, layer: {embedding: {size: 16}}, in: [source]}\n"
                 "    - {name: enc, layer: {lstm: {size: 48, dropout: {input: 0.1, recurrent: 0.2, output: 0.1,\n"
                 "       mask: per_sequence}}}, in: [src_emb]}\n"
                 "    - {name: tgt_emb, layer: {embedding: {size: 16}}, in: [target]}\n"
                 "    - {name: dec, layer: {lstm: {size: 48, initial_state: {from: enc, reduce: last},\n"
                 "       dropout: {input: 0.1, recurrent: 0.2, output: 0.2}}}, in: [tgt_emb],\n"
                 "       attention: {type: general, keys: enc, input_feeding: true}}\n"
                 "    - {name: head, layer: {linear: {size: vocab}}, in: [dec]}\n"
                 "  outputs:\n"
                 "    reversed: {from: head, loss: cross_entropy, target: target}\n"
                 "train:\n"
                 "  seed: 1\n"
                 "  steps: 400\n"
                 "  batch: {size: 32}\n"
                 "  optimizer: {type: adam, lr: 1.0e-2}\n"
                 "  clip: {global_norm: 5.0}\n"
                 "  checkpoint: {path: rev.rwc}\n");
    snprintf(cmd, sizeof cmd, "'%s/tools/rewind' check rev.yaml", bin);
    char *summary = run_in(dir, cmd);
    cr_expect(strstr(summary, "dropout in 'enc': input 0.1, between 0, recurrent 0.2, output 0.1, per sequence") &&
              strstr(summary, "dropout in 'dec': input 0.1, between 0, recurrent 0.2, output 0.2, per step"),
              "rewind check shows the dropout read from the file:\n%s", summary);
    free(summary);
    snprintf(cmd, sizeof cmd, "'%s/tools/rewind' train rev.yaml --quiet --threads 1", bin);
    free(run_in(dir, cmd));
    snprintf(cmd, sizeof cmd, "'%s/tools/rewind' eval rev.rwc", bin);
    char *out = run_in(dir, cmd), *at = strstr(out, "test: loss");
    double pct = 0;
    cr_assert(at && (at = strstr(at, "exact match")) && sscanf(at, "exact match %lf%%", &pct) == 1, "%s", out);
    cr_expect_geq(pct, 95.0, "held-out reversal with dropout: %.2f%% exact match\n%s", pct, out);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(seq2seq_dropout, input_dropout_on_a_tied_or_shared_table)
{
    /* the encoder reads the target embedding (one vocabulary, tied): it has input vectors to drop */
    rw_seq2seq_opts o = all_sites(false);
    o.src_embed = 0;
    o.share_embedding = RW_SHARE_TARGET_EMBEDDING;
    o.src_vocab = o.tgt_vocab = 6;
    double eval = loss_of(o, false, 0), train = loss_of(o, true, 7);
    cr_expect(isfinite(eval) && isfinite(train) && eval != train, "tied: %g %g (%s)", eval, train, rw_last_error());
}
