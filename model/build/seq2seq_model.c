/* A model.graph encoder-decoder as an rw_seq2seq: building it from the
 * parsed graph, its loss over padded tsv_seq2seq batches (the target gets
 * </s> appended, the teacher-forcing schedule runs on the count of
 * training batches), its summary, and decoding with layers/decode.c
 * (rewind/model_seq2seq.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/model_seq2seq.h"
#include "yaml/diag.h"
#include "seq2seq_internal.h"

void rwi_ms2s_free(ms2s *s)
{
    if (!s)
        return;
    rw_seq2seq_free(s->net);
    rwi_free(s);
}

/* The width of encoder e's own source embedding; 0: it reads ids or a shared table. */
static int own_embedding(const ms2s *s, int e)
{
    return s->src_embs[e] >= 0 && !s->shares[e] ? s->nodes[s->src_embs[e]].size : 0;
}

rw_status rwi_ms2s_build(rw_model *m)
{
    ms2s *s = m->s2s;
    if (!s->graph)
        return rwi_ydiag(RW_ERR_FORMAT, s->tf_at, "train.teacher_forcing applies to an encoder-decoder (model.graph); "
                     "this model is a layer list");
    int V = m->vocab.n;
    if (m->vocab.tok ? !rw_vocab_has_specials(&m->vocab) : V < RW_VOCAB_SPECIALS)
        return rwi_ydiag(RW_ERR_FORMAT, m->data_at ? m->data_at : s->nodes[s->head].at, "an encoder-decoder needs a "
                     "vocabulary that starts with <pad> <s> </s> <unk> (data kind tsv_seq2seq makes one)");
    const gnode *enc = &s->nodes[s->encs[0]], *dec = &s->nodes[s->dec], *emb = &s->nodes[s->tgt_emb];
    s->o = (rw_seq2seq_opts){ .cell = enc->cell, .src_vocab = V, .tgt_vocab = V, .embed = emb->size,
                              .hidden = enc->size, .dec_hidden = dec->size, .layers = enc->stack,
                              .bidirectional = enc->bidirectional, .bridge = dec->bridge,
                              .attention = dec->att_keys >= 0, .score = dec->score,
                              .attention_hidden = dec->att_hidden, .input_feeding = dec->input_feeding,
                              .bos = RW_VOCAB_BOS, .eos = RW_VOCAB_EOS, .dec_cell = dec->cell,
                              .dec_layers = dec->stack, .key_merge = enc->dir_merge,
                              .src_embed = own_embedding(s, 0), .share_embedding = s->shares[0],
                              .enc_dropout = enc->dropout, .dec_dropout = dec->dropout };
    rw_seq2seq_encoder_spec *later[RW_SEQ2SEQ_MAX_ENCODERS - 1] = { &s->o.enc2, &s->o.more[0], &s->o.more[1] };
    for (int e = 1; e < s->n_enc; e++) {
        const gnode *g = &s->nodes[s->encs[e]];
        *later[e - 1] = (rw_seq2seq_encoder_spec){ .cell = g->cell, .hidden = g->size, .layers = g->stack,
                                                   .bidirectional = g->bidirectional, .key_merge = g->dir_merge,
                                                   .src_embed = own_embedding(s, e), .share_embedding = s->shares[e],
                                                   .dropout = g->dropout };
    }
    if (!dec->merge_given) { /* the decoder starts from the directions merged as the first bidirectional encoder's */
        int first = 0;
        while (first + 1 < s->n_enc && !s->nodes[s->encs[first]].bidirectional)
            first++;
        s->o.bridge.merge = s->nodes[s->encs[first]].dir_merge;
    }
    if (dec->init_from < 0 && !dec->init_at)
        s->o.bridge.source = RW_BRIDGE_LAST; /* documented default: from the encoder's last step */
    if (s->o.input_feeding && !s->o.attention)
        return rwi_ydiag(RW_ERR_FORMAT, dec->att_at, "input feeding needs attention");
    rw_rng rng = rw_rng_seed(m->train.seed ^ 0x5eedf00dULL);
    if (!(s->net = rw_seq2seq_new(m->P, "s2s", &s->o, &rng))) {
        char base[700];
        snprintf(base, sizeof base, "%s", rw_last_error());
        return rwi_ydiag(RW_ERR_SHAPE, dec->att_at ? dec->att_at : dec->at, "cannot build the encoder-decoder: %s", base);
    }
    s->o = *rw_seq2seq_options(s->net);
    return RW_OK;
}

/* ---- the loss ----------------------------------------------------------------------- */

static rw_status check_ids(const rw_model *m, const rw_tensor *t, const char *what)
{
    char sh[64];
    if (!t || t->dtype != RW_INT32 || t->shape.ndim != 2)
        return rw_error(RW_ERR_SHAPE, "model '%s': %s must be int32 token ids [T, B], got %s", m->name, what,
                        t ? rw_shape_str(t->shape, sh, sizeof sh) : "none");
    for (size_t i = 0; i < t->size; i++)
        if (t->idata[i] >= m->vocab.n)
            return rw_error(RW_ERR_SHAPE, "model '%s': %s holds token id %d, outside the vocabulary of %d", m->name,
                            what, (int)t->idata[i], m->vocab.n);
    return RW_OK;
}

/* Sources with padding made <pad> and their lengths; targets with </s>
 * after each sequence (the loss skips the -1 padding after it). */
rw_node *rwi_ms2s_forward(rw_graph *g, rw_model *m, const rw_model_batch *b, bool want_logits)
{
    ms2s *s = m->s2s;
    if (!g || !b || check_ids(m, b->inputs, "sources") != RW_OK || check_ids(m, b->targets, "targets") != RW_OK)
        return g && b ? NULL : (rw_error(RW_ERR_ARG, "rw_model_loss: needs a graph and a batch"), NULL);
    int S = b->inputs->shape.dim[0], B = b->inputs->shape.dim[1], T = b->targets->shape.dim[0];
    if (b->targets->shape.dim[1] != B) {
        rw_error(RW_ERR_SHAPE, "model '%s': %d sources but %d targets", m->name, B, b->targets->shape.dim[1]);
        return NULL;
    }
    rw_node *src = rw_leaf_new(g, RW_INT32, rw_shape2(S, B), false), *len = rw_leaf_new(g, RW_INT32, rw_shape1(B), false);
    rw_node *tgt = rw_leaf_new(g, RW_INT32, rw_shape2(T + 1, B), false);
    if (!src || !len || !tgt)
        return NULL;
    for (int j = 0; j < B; j++) {
        int n = S, k = T;
        for (int t = 0; t < S; t++) {
            int32_t v = b->inputs->idata[t * B + j];
            src->value.idata[t * B + j] = v < 0 ? RW_VOCAB_PAD : v;
            if (v < 0 && n == S)
                n = t;
        }
        if (b->lengths && b->lengths->size == (size_t)B)
            n = b->lengths->idata[j];
        for (int t = 0; t < T; t++)
            if (b->targets->idata[t * B + j] < 0 && k == T)
                k = t;
        if (n < 1 || n > S) {
            rw_error(RW_ERR_SHAPE, "model '%s': source %d of the batch has length %d (1..%d)", m->name, j, n, S);
            return NULL;
        }
        len->value.idata[j] = n;
        for (int t = 0; t <= T; t++)
            tgt->value.idata[t * B + j] = t < k ? b->targets->idata[t * B + j] : t == k ? RW_VOCAB_EOS : -1;
    }
    bool training = rw_graph_is_training(g);
    rw_seq2seq_train_opts o = { .feed = training && s->tf_at ? &s->tf : NULL, .step = s->step, .rng = &m->rng };
    rw_seq2seq_out out = rw_seq2seq_forward(g, s->net, src, len, tgt, &o);
    if (!out.loss)
        return NULL;
    if (training)
        s->step++;
    else if (m->train.n_metrics) { /* what train.metrics score (metrics.c) */
        m->last_logits = out.logits;
        m->last_want = &tgt->value;
    }
    return want_logits ? out.logits : out.loss;
}

bool rwi_ms2s_has_schedule(const rw_model *m)
{
    return m->s2s && m->s2s->tf_at && m->s2s->tf.schedule != RW_FEED_ALWAYS;
}

void rwi_ms2s_set_clock(rw_model *m, long step)
{
    m->s2s->step = step;
    for (int i = 0; i < m->n_replicas; i++) /* train.replicas: every copy feeds by the same clock */
        m->replicas[i]->s2s->step = step;
}

/* ---- the summary -------------------------------------------------------------------- */

static size_t count_params(const rw_model *m, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (int i = 0; i < rw_params_count(m->P); i++) {
        const rw_param *p = rw_params_at(m->P, i);
        if (!strncmp(p->name, prefix, len))
            n += p->value->size;
    }
    return n;
}

static void print_dropout(FILE *f, const gnode *g)
{
    const rw_seq2seq_dropout *d = &g->dropout;
    if (d->input > 0 || d->between > 0 || d->recurrent > 0 || d->output > 0)
        fprintf(f, "  dropout in '%s': input %g, between %g, recurrent %g, output %g, %s\n", g->name, d->input,
                d->between, d->recurrent, d->output, d->per_sequence ? "per sequence" : "per step");
}

/* One row of the summary's node table: node i, its output width and the
 * parameters named prefix... (NULL: none); a note such as "tied" after its type. */
static void print_row(FILE *f, const rw_model *m, int i, const char *prefix, int width, const char *note)
{
    const ms2s *s = m->s2s;
    const gnode *g = &s->nodes[i];
    char type[96], out[64], in[300];
    if (g->kind == G_RNN)
        snprintf(type, sizeof type, "%s%s x%d", g->bidirectional ? "bi-" : "", g->type, g->stack);
    else
        snprintf(type, sizeof type, "%s%s%s", g->type, note ? ", " : "", note ? note : "");
    snprintf(out, sizeof out, "[T, B, %d]", width);
    size_t len = 0;
    in[0] = '\0';
    for (int k = 0; k < g->n_in; k++)
        len += (size_t)snprintf(in + len, sizeof in - len, "%s%s", k ? ", " : "", s->nodes[g->in[k]].name);
    fprintf(f, "  %-12s %-22s %-10s %-22s %12zu\n", g->name, type, in, out, prefix ? count_params(m, prefix) : 0);
}

void rwi_ms2s_print(FILE *f, const rw_model *m)
{
    static const char *const score_names[] = { "additive", "dot", "general" };
    static const char *const bridge_names[] = { "last", "mean", "zeros" };
    const ms2s *s = m->s2s;
    const rw_seq2seq_opts *o = &s->o;
    fprintf(f, "input: source and target token ids, one vocabulary of %d (<pad> <s> </s> <unk> first)%s\n",
            m->vocab.n, m->vocab.tok ? "" : " (opaque ids)");
    fprintf(f, "graph (an encoder-decoder, rw_seq2seq):\n");
    fprintf(f, "  %-12s %-22s %-10s %-22s %12s\n", "node", "layer", "in", "output", "parameters");
    /* one row per node: source embeddings and encoders, their concat, the rest */
    const rw_seq2seq_encoder_spec *specs[RW_SEQ2SEQ_MAX_ENCODERS] = { NULL, &o->enc2, &o->more[0], &o->more[1] };
    int total = 0;
    bool two_dirs = false, summed_keys = false, tied = false;
    for (int e = 0; e < s->n_enc; e++)
        tied = tied || s->shares[e] == RW_SHARE_TARGET_EMBEDDING;
    if (tied) /* one table for source and target, read first by the encoders */
        print_row(f, m, s->tgt_emb, "s2s.emb.", o->embed, "tied");
    for (int e = 0; e < s->n_enc; e++) {
        bool bi = e ? specs[e]->bidirectional : o->bidirectional;
        bool sum = bi && (e ? specs[e]->key_merge : o->key_merge) == RW_MERGE_SUM;
        int width = rw_rnn_output_size(rw_seq2seq_encoder_at(s->net, e)) / (sum ? 2 : 1);
        char suffix[16] = "", prefix[64];
        if (e)
            snprintf(suffix, sizeof suffix, "%d", e + 1);
        if (s->src_embs[e] >= 0 && !s->shares[e]) {
            snprintf(prefix, sizeof prefix, "s2s.src_emb%s.", suffix);
            print_row(f, m, s->src_embs[e], prefix, e ? specs[e]->src_embed : o->src_embed, NULL);
        }
        snprintf(prefix, sizeof prefix, "s2s.enc%s.", suffix);
        print_row(f, m, s->encs[e], prefix, width, NULL);
        total += width;
        two_dirs = two_dirs || bi;
        summed_keys = summed_keys || sum;
    }
    if (s->n_enc > 1)
        print_row(f, m, s->enc, NULL, total, NULL);
    if (!tied)
        print_row(f, m, s->tgt_emb, "s2s.emb.", o->embed, NULL);
    print_row(f, m, s->dec, "s2s.dec.", o->dec_hidden, NULL);
    print_row(f, m, s->head, "s2s.head.", o->tgt_vocab, NULL);
    fprintf(f, "  bridge: decoder state from the encoder%s %s%s%s (%zu parameters)\n", s->n_enc > 1 ? "s'" : "'s",
            bridge_names[o->bridge.source],
            two_dirs ? (o->bridge.merge ? ", directions summed" : ", directions concatenated") : "",
            o->bridge.project ? ", projected" : "", count_params(m, "s2s.bridge."));
    if (o->attention)
        fprintf(f, "  attention: %s over '%s'%s%s (%zu parameters with the combination layer)\n",
                score_names[o->score], s->nodes[s->enc].name,
                summed_keys ? " (directions summed)" : "", o->input_feeding ? ", input feeding" : "",
                count_params(m, "s2s.att.") + count_params(m, "s2s.combine."));
    for (int e = 0; e < s->n_enc; e++)
        print_dropout(f, &s->nodes[s->encs[e]]);
    print_dropout(f, &s->nodes[s->dec]);
    if (s->tf_at) {
        static const char *const sched[] = { "always", "linear", "exponential", "inverse_sigmoid" };
        fprintf(f, "  teacher forcing: %s (k %g, c %g, min %g)%s\n", sched[s->tf.schedule], s->tf.k, s->tf.c,
                s->tf.min, s->tf.sample ? ", sampled tokens" : "");
    }
    fprintf(f, "output '%s': softmax cross-entropy against the target tokens and </s>\n", m->out_name);
}

/* ---- decoding (rewind/model_seq2seq.h) ---------------------------------------------- */

bool rw_model_is_seq2seq(const rw_model *m) { return m && m->s2s && m->s2s->net; }
const rw_seq2seq *rw_model_seq2seq(const rw_model *m) { return rw_model_is_seq2seq(m) ? m->s2s->net : NULL; }

rw_translate_opts rw_model_translate_defaults(const rw_model *m)
{
    rw_translate_opts o = { .beam = 1, .temperature = 1, .max_length = 200, .end = RW_VOCAB_EOS };
    if (!m)
        return o;
    const rw_model_generate_config *g = &m->gen;
    o.beam = g->beam ? g->beam_width : 1;
    o.sample = m->gen_method_given && !g->beam && !g->greedy; /* no method written: greedy */
    o.temperature = g->temperature;
    o.top_k = g->top_k;
    o.alpha = g->length_norm;
    o.max_length = g->max_length;
    if (g->stop_at) {
        int id = rw_vocab_find(&m->vocab, g->stop_at, strlen(g->stop_at));
        if (id >= 0)
            o.end = id;
    }
    return o;
}

static int32_t *encode_source(rw_model *m, const char *source, int *n)
{
    if (!rw_model_is_seq2seq(m) || !source) {
        rw_error(RW_ERR_ARG, "needs an encoder-decoder model (model.graph) and a source text");
        return NULL;
    }
    int len = rw_model_encode(m, source, NULL, 0);
    if (len < 0)
        return NULL;
    if (len == 0) {
        rw_error(RW_ERR_ARG, "model '%s': the source \"%.40s\" has no tokens", m->name, source);
        return NULL;
    }
    int32_t *ids = rwi_malloc((size_t)len * sizeof *ids, "a source");
    if (ids)
        rw_model_encode(m, source, ids, len);
    *n = len;
    return ids;
}

rw_status rw_model_translate(rw_model *m, const char *source, const rw_translate_opts *o, rw_hypothesis *out,
                             int nbest, int *n_out)
{
    if (!o || !out || !n_out || nbest < 1)
        return rw_error(RW_ERR_ARG, "rw_model_translate: needs options, room for nbest >= 1 outputs and n_out");
    *n_out = 0;
    int n;
    int32_t *ids = encode_source(m, source, &n);
    if (!ids)
        return rw_last_status();
    rw_step_model *dm = rw_seq2seq_step_model_new(m->s2s->net, ids, n);
    rwi_free(ids);
    if (!dm)
        return rw_last_status();
    rw_decode_opts d = { .start = RW_VOCAB_BOS, .end = o->end, .max_length = o->max_length, .beam = o->beam,
                         .alpha = o->alpha, .temperature = o->temperature, .top_k = o->top_k, .rng = o->rng };
    rw_status st;
    if (o->sample) {
        rw_hypothesis h = { .tokens = rwi_malloc((size_t)(o->max_length > 0 ? o->max_length : 1) * sizeof(int32_t),
                                                "an output") };
        st = h.tokens ? rw_decode_sample(dm, &d, h.tokens, &h.length) : RW_ERR_NOMEM;
        if (st == RW_OK) {
            h.ended = h.length < o->max_length;
            h.logprob = h.score = NAN; /* sampling does not score its draw */
            out[0] = h;
            *n_out = 1;
        } else {
            rwi_free(h.tokens);
        }
    } else {
        d.beam = o->beam > 0 ? o->beam : 1;
        st = rw_beam_search(dm, &d, out, nbest, n_out);
    }
    rw_step_model_free(dm);
    return st;
}

char *rw_model_detokenize(const rw_model *m, const int32_t *ids, int n)
{
    if (!m || !m->vocab.tok || (n > 0 && !ids)) {
        rw_error(RW_ERR_ARG, "rw_model_detokenize: needs a model with a vocabulary");
        return NULL;
    }
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        const char *t = rw_vocab_token(&m->vocab, ids[i]);
        if (!t) {
            rw_error(RW_ERR_ARG, "rw_model_detokenize: token id %d is outside the vocabulary of %d", (int)ids[i],
                     m->vocab.n);
            return NULL;
        }
        len += strlen(t) + 1;
    }
    char *s = rwi_malloc(len, "text");
    if (!s)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (i && !m->vocab.bytes)
            s[at++] = ' ';
        const char *t = m->vocab.tok[ids[i]];
        memcpy(s + at, t, strlen(t));
        at += strlen(t);
    }
    s[at] = '\0';
    return s;
}

rw_tensor *rw_model_attention_weights(rw_model *m, const char *source, const int32_t *out, int n, bool ended)
{
    int S;
    int32_t *ids = encode_source(m, source, &S);
    if (!ids)
        return NULL;
    if (!m->s2s->o.attention || n < 0 || (n > 0 && !out)) {
        rwi_free(ids);
        rw_error(RW_ERR_ARG, "rw_model_attention_weights: model '%s' %s", m->name, m->s2s->o.attention ?
                 "needs the output tokens" : "has no attention");
        return NULL;
    }
    int rows = n + (ended ? 1 : 0);
    rw_step_model *dm = rw_seq2seq_step_model_new(m->s2s->net, ids, S);
    rw_tensor *w = rw_tensor_new(RW_REAL, rw_shape2(rows > 0 ? rows : 1, S));
    rw_real *lp = rwi_malloc((size_t)m->vocab.n * sizeof *lp, "log-probabilities");
    rwi_free(ids);
    rw_status st = dm && w && lp ? RW_OK : rw_last_status();
    for (int i = 0; st == RW_OK && i < rows; i++) {
        int32_t tok = i == 0 ? RW_VOCAB_BOS : out[i - 1];
        int steps = 0;
        if ((st = dm->step(dm, &tok, 1, lp)) != RW_OK)
            break;
        const rw_real *row = rw_seq2seq_step_model_weights(dm, &steps);
        if (!row || steps != S)
            st = rw_error(RW_ERR_STATE, "rw_model_attention_weights: the decoder gave no weights");
        else
            memcpy(w->data + (size_t)i * (size_t)S, row, (size_t)S * sizeof *row);
    }
    rwi_free(lp);
    rw_step_model_free(dm);
    if (st != RW_OK) {
        rw_tensor_free(w);
        return NULL;
    }
    return w;
}

/* Greedy decoding of one batch column, compared with its target. */
static rw_status column_matches(rw_model *m, const rw_model_batch *b, int j, bool *ok)
{
    int S = b->inputs->shape.dim[0], B = b->inputs->shape.dim[1], T = b->targets->shape.dim[0], n = 0, k = 0;
    int32_t *src = rwi_malloc((size_t)(S > 0 ? S : 1) * sizeof *src, "a source");
    if (!src)
        return RW_ERR_NOMEM;
    while (n < S && b->inputs->idata[n * B + j] >= 0) {
        src[n] = b->inputs->idata[n * B + j];
        n++;
    }
    while (k < T && b->targets->idata[k * B + j] >= 0)
        k++;
    rw_step_model *dm = rw_seq2seq_step_model_new(m->s2s->net, src, n);
    rwi_free(src);
    if (!dm)
        return rw_last_status();
    rw_hypothesis h;
    int got = 0;
    rw_status st = rw_beam_search(dm, &(rw_decode_opts){ .start = RW_VOCAB_BOS, .end = RW_VOCAB_EOS,
                                                         .max_length = k + 2, .beam = 1 }, &h, 1, &got);
    rw_step_model_free(dm);
    if (st != RW_OK)
        return st;
    *ok = got == 1 && h.ended && h.length == k;
    for (int t = 0; *ok && t < k; t++)
        *ok = h.tokens[t] == b->targets->idata[t * B + j];
    rw_hypotheses_free(&h, got);
    return RW_OK;
}

rw_status rw_model_exact_match(rw_model *m, rw_model_split split, long *right, long *count)
{
    if (!rw_model_is_seq2seq(m) || !right || !count)
        return rw_error(RW_ERR_ARG, "rw_model_exact_match: needs an encoder-decoder model and two counters");
    *right = *count = 0;
    bool has;
    rw_train_source src = rw_model_source(m, split, &has);
    if (!has)
        return rw_last_status();
    rw_status st = src.start_epoch(src.ctx, 0);
    for (;;) {
        void *batch = NULL;
        if (st != RW_OK || (st = src.next(src.ctx, &batch)) != RW_OK || !batch)
            break;
        st = rwi_ms2s_batch_matches(m, batch, right, count);
    }
    return st;
}

rw_status rwi_ms2s_batch_matches(rw_model *m, const rw_model_batch *b, long *right, long *count)
{
    rw_status st = RW_OK;
    for (int j = 0; st == RW_OK && j < b->inputs->shape.dim[1]; j++) {
        bool ok = false;
        st = column_matches(m, b, j, &ok);
        *right += ok;
        ++*count;
    }
    return st;
}
