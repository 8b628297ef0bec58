/* An encoder-decoder network: encoders (up to four side by side, each over
 * ids, its own source embedding, an earlier one's, or the tied target
 * embedding), bridge, target embedding, decoder,
 * optional attention with input feeding, output head; teacher forcing and
 * scheduled sampling in the forward pass. Ops only. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "pick.h"
#include "rewind/cells.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_loss.h"
#include "rewind/ops_shape.h"
#include "rewind/seq2seq.h"
#include "seq2seq_dropout.h"

struct rw_seq2seq {
    char *name;
    rw_seq2seq_opts o;
    int key;                /* the encoders' key width together (attention keys, context) */
    int n_enc;              /* 1 + the encoders of opts.enc2 and opts.more */
    rw_seq2seq_encoder_spec encs[RW_SEQ2SEQ_MAX_ENCODERS]; /* all described alike (the first from the flat options) */
    rw_rnn *enc[RW_SEQ2SEQ_MAX_ENCODERS], *dec;
    rw_embedding *src_emb[RW_SEQ2SEQ_MAX_ENCODERS]; /* each encoder's own source embedding, or NULL */
    rw_bridge *bridge;
    rw_embedding *emb;
    rw_attention *att;
    rw_linear *combine;     /* tanh(Wc [context; h] + b), with attention */
    rw_linear *head;
};

/* The only place this file makes recurrent networks. */
static rw_rnn *make_rnn(rw_params *P, const char *model, const char *part, const rw_cell_def *cell,
                        const void *cell_opts, rw_rnn_spec spec, rw_rng *rng)
{
    char name[256];
    snprintf(name, sizeof name, "%s.%s", model, part);
    spec.name = name;
    spec.cell = cell;
    spec.cell_opts = cell_opts;
    return rw_rnn_new(P, &spec, rng);
}

static rw_status check_opts(const char *name, const rw_seq2seq_opts *o)
{
    if (o->src_vocab < 1 || o->tgt_vocab < 1 || o->hidden < 1 || o->embed < 1 || o->dec_hidden < 1)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): vocabularies (%d, %d) and widths (hidden %d) must be >= 1",
                        name, o->src_vocab, o->tgt_vocab, o->hidden);
    if (o->bos < 0 || o->bos >= o->tgt_vocab || o->eos < 0 || o->eos >= o->tgt_vocab)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): bos %d and eos %d must be target ids in [0, %d)", name,
                        o->bos, o->eos, o->tgt_vocab);
    if (o->input_feeding && !o->attention)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): input feeding needs attention", name);
    if (o->src_embed < 0 || o->dec_layers < 0)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): src_embed %d and dec_layers %d must be >= 0", name,
                        o->src_embed, o->dec_layers);
    if (rwi_s2s_dropout_check(name, "decoder", &o->dec_dropout, true) != RW_OK)
        return rw_last_status();
    return RW_OK;
}

/* Encoder i (from 0) of all n, against the ones before it and the vocabularies. */
static rw_status check_encoder(const char *name, const rw_seq2seq_opts *o, const rw_seq2seq_encoder_spec *e, int i,
                               const rw_seq2seq_encoder_spec *all)
{
    if (e->key_merge != RW_MERGE_CONCAT && e->key_merge != RW_MERGE_SUM)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d's key_merge %d is neither concat nor sum", name,
                        i + 1, (int)e->key_merge);
    if (e->hidden < 0 || e->layers < 0 || e->src_embed < 0)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d's hidden %d, layers %d and src_embed %d must be "
                        ">= 0", name, i + 1, e->hidden, e->layers, e->src_embed);
    char part[32];
    snprintf(part, sizeof part, "encoder %d", i + 1);
    if (rwi_s2s_dropout_check(name, part, &e->dropout, e->src_embed > 0 || e->share_embedding) != RW_OK)
        return rw_last_status();
    int k = e->share_embedding;
    if (k && e->src_embed)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d has its own source embedding (src_embed %d) and "
                        "shares one (share_embedding %d): give one", name, i + 1, e->src_embed, k);
    if (k == RW_SHARE_TARGET_EMBEDDING && o->src_vocab != o->tgt_vocab)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d reads the target embedding, but the source "
                        "vocabulary (%d) is not the target's (%d): a table tied across both sides needs one "
                        "vocabulary", name, i + 1, o->src_vocab, o->tgt_vocab);
    if (k != RW_SHARE_TARGET_EMBEDDING && k != 0 && (k < 1 || k > i || all[k - 1].src_embed < 1))
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d's share_embedding %d names no earlier encoder "
                        "with its own source embedding (give 0, RW_SHARE_TARGET_EMBEDDING or such an encoder's "
                        "number)", name, i + 1, k);
    return RW_OK;
}

/* The width of the vectors encoder i reads; 0: token ids. */
static int encoder_input_width(const rw_seq2seq *m, int i)
{
    int k = m->encs[i].share_embedding;
    return k == RW_SHARE_TARGET_EMBEDDING ? m->o.embed : k > 0 ? m->encs[k - 1].src_embed : m->encs[i].src_embed;
}

/* The table encoder i looks its source up in itself: the tied target
 * embedding, its own, or NULL (token ids, or an earlier encoder's lookup). */
static const rw_embedding *encoder_table(const rw_seq2seq *m, int i)
{
    return m->encs[i].share_embedding == RW_SHARE_TARGET_EMBEDDING ? m->emb : m->src_emb[i];
}

/* Encoder i: "enc", "enc2", "enc3" ..., and its own source embedding "src_emb", "src_emb2" ... */
static rw_status make_encoder(rw_params *P, rw_seq2seq *m, int i, rw_rng *rng)
{
    const rw_seq2seq_encoder_spec *e = &m->encs[i];
    char part[200], suffix[16] = "";
    if (i)
        snprintf(suffix, sizeof suffix, "%d", i + 1);
    if (e->src_embed) {
        snprintf(part, sizeof part, "%s.src_emb%s", m->name, suffix);
        if (!(m->src_emb[i] = rw_embedding_new(P, part, m->o.src_vocab, e->src_embed, rng)))
            return rw_last_status();
    }
    int width = encoder_input_width(m, i);
    snprintf(part, sizeof part, "enc%s", suffix);
    m->enc[i] = make_rnn(P, m->name, part, e->cell, e->cell_opts,
                         (rw_rnn_spec){ .vocab = width ? 0 : m->o.src_vocab, .input_size = width,
                                        .hidden = e->hidden, .layers = e->layers,
                                        .bidirectional = e->bidirectional, .dropout = e->dropout.between,
                                        .recurrent_dropout = e->dropout.recurrent,
                                        .variational = e->dropout.per_sequence }, rng);
    if (!m->enc[i])
        return rw_last_status();
    m->key += rw_rnn_output_size(m->enc[i]) / (e->bidirectional && e->key_merge == RW_MERGE_SUM ? 2 : 1);
    return RW_OK;
}

rw_seq2seq *rw_seq2seq_new(rw_params *P, const char *name, const rw_seq2seq_opts *opts, rw_rng *rng)
{
    if (!P || !name || !opts || !rng) {
        rw_error(RW_ERR_ARG, "rw_seq2seq_new: needs a store, a name, options and a generator");
        return NULL;
    }
    rw_seq2seq_opts o = *opts;
    int dirs = o.bidirectional ? 2 : 1;
    if (!o.cell)
        o.cell = &rw_lstm_cell;
    if (!o.layers)
        o.layers = 1;
    if (!o.dec_cell) {
        o.dec_cell = o.cell;
        o.dec_cell_opts = o.cell_opts;
    }
    if (!o.dec_layers)
        o.dec_layers = o.layers;
    rw_seq2seq_encoder_spec *later[RW_SEQ2SEQ_MAX_ENCODERS - 1] = { &o.enc2, &o.more[0], &o.more[1] };
    int n_enc = 1;
    for (int i = 0; i < RW_SEQ2SEQ_MAX_ENCODERS - 1; i++) {
        rw_seq2seq_encoder_spec *e = later[i];
        if (e->hidden && n_enc <= i) {
            rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): encoder %d is given but encoder %d is not (hidden 0): give "
                     "them in order", name, i + 2, n_enc + 1);
            return NULL;
        }
        n_enc += e->hidden != 0;
        if (e->hidden && !e->cell) {
            e->cell = o.cell;
            e->cell_opts = o.cell_opts;
        }
        if (e->hidden && !e->layers)
            e->layers = 1;
    }
    if (!o.dec_hidden)
        o.dec_hidden = o.hidden * dirs;
    if (!o.embed)
        o.embed = o.dec_hidden;
    if (!o.attention_hidden)
        o.attention_hidden = o.dec_hidden;
    rw_seq2seq_encoder_spec encs[RW_SEQ2SEQ_MAX_ENCODERS] = {
        { .cell = o.cell, .cell_opts = o.cell_opts, .hidden = o.hidden, .layers = o.layers,
          .bidirectional = o.bidirectional, .key_merge = o.key_merge, .src_embed = o.src_embed,
          .share_embedding = o.share_embedding, .dropout = o.enc_dropout }, o.enc2, o.more[0], o.more[1] };
    if (check_opts(name, &o) != RW_OK)
        return NULL;
    for (int i = 0; i < n_enc; i++)
        if (check_encoder(name, &o, &encs[i], i, encs) != RW_OK)
            return NULL;
    rw_seq2seq *m = rwi_calloc(1, sizeof *m, "a seq2seq model");
    if (!m)
        return NULL;
    m->o = o;
    m->name = rwi_strdup(name, "a model name");
    char part[300];
    memcpy(m->encs, encs, sizeof encs);
    m->n_enc = n_enc;
    if (!m->name)
        goto fail;
    for (int i = 0; i < m->n_enc; i++)
        if (make_encoder(P, m, i, rng) != RW_OK)
            goto fail;
    int in = o.embed + (o.input_feeding ? m->key : 0);
    m->dec = make_rnn(P, name, "dec", o.dec_cell, o.dec_cell_opts,
                      (rw_rnn_spec){ .input_size = in, .hidden = o.dec_hidden, .layers = o.dec_layers }, rng);
    if (!m->dec)
        goto fail;
    int out = rw_rnn_output_size(m->dec);
    snprintf(part, sizeof part, "%s.bridge", name);
    if (!(m->bridge = rw_bridge_new_multi(P, part, (const rw_rnn *const *)m->enc, m->n_enc, m->dec, &o.bridge, rng)))
        goto fail;
    snprintf(part, sizeof part, "%s.emb", name);
    if (!(m->emb = rw_embedding_new(P, part, o.tgt_vocab, o.embed, rng)))
        goto fail;
    if (o.attention) {
        snprintf(part, sizeof part, "%s.att", name);
        m->att = rw_attention_new(P, part, &(rw_attention_opts){ .score = o.score, .query = out, .key = m->key,
                                                                 .hidden = o.attention_hidden }, rng);
        snprintf(part, sizeof part, "%s.combine", name);
        if (!m->att || !(m->combine = rw_linear_new(P, part, m->key + out, out, rng)))
            goto fail;
    }
    snprintf(part, sizeof part, "%s.head", name);
    if (!(m->head = rw_linear_new(P, part, out, o.tgt_vocab, rng)))
        goto fail;
    return m;
fail:
    rw_error_prefix("seq2seq '%s'", name);
    rw_seq2seq_free(m);
    return NULL;
}

void rw_seq2seq_free(rw_seq2seq *m)
{
    if (!m)
        return;
    for (int i = 0; i < RW_SEQ2SEQ_MAX_ENCODERS; i++) {
        rw_rnn_free(m->enc[i]);
        rw_embedding_free(m->src_emb[i]);
    }
    rw_rnn_free(m->dec);
    rw_bridge_free(m->bridge);
    rw_embedding_free(m->emb);
    rw_attention_free(m->att);
    rw_linear_free(m->combine);
    rw_linear_free(m->head);
    rwi_free(m->name);
    rwi_free(m);
}

const rw_seq2seq_opts *rw_seq2seq_options(const rw_seq2seq *m) { return m ? &m->o : NULL; }
const rw_rnn *rw_seq2seq_encoder(const rw_seq2seq *m) { return m ? m->enc[0] : NULL; }
const rw_rnn *rw_seq2seq_encoder2(const rw_seq2seq *m) { return m ? m->enc[1] : NULL; }
int rw_seq2seq_encoder_count(const rw_seq2seq *m) { return m ? m->n_enc : 0; }
const rw_rnn *rw_seq2seq_encoder_at(const rw_seq2seq *m, int i) { return m && i >= 0 && i < m->n_enc ? m->enc[i] : NULL; }
const rw_rnn *rw_seq2seq_decoder(const rw_seq2seq *m) { return m ? m->dec : NULL; }
const rw_attention *rw_seq2seq_attention(const rw_seq2seq *m) { return m ? m->att : NULL; }

rw_status rw_seq2seq_encode(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *lengths, rw_seq2seq_state *st)
{
    return rw_seq2seq_encode_train(g, m, src, lengths, NULL, st);
}

rw_status rw_seq2seq_encode_train(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *lengths, rw_rng *rng,
                                  rw_seq2seq_state *st)
{
    if (!g || !m || !src || !st)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_encode: NULL argument");
    memset(st, 0, sizeof *st);
    st->rng = rng;
    rw_seq runs[RW_SEQ2SEQ_MAX_ENCODERS] = { { 0 } };
    rw_node *keys[RW_SEQ2SEQ_MAX_ENCODERS] = { NULL }, *inputs[RW_SEQ2SEQ_MAX_ENCODERS] = { NULL };
    for (int i = 0; i < m->n_enc; i++) {
        const rw_seq2seq_dropout *d = &m->encs[i].dropout;
        const rw_embedding *table = encoder_table(m, i);
        int k = m->encs[i].share_embedding; /* a source embedding shared with encoder k is looked up once */
        rw_node *x = k > 0 ? inputs[k - 1] : table ? rw_embedding_apply(g, table, src) : src, *dirs[2];
        inputs[i] = x;
        if (encoder_input_width(m, i)) /* each encoder drops its input with masks of its own */
            x = rwi_s2s_drop_sequence(g, x, d->input, d->per_sequence, rng);
        runs[i] = x ? rw_rnn_run(g, m->enc[i], x, &(rw_run_opts){ .lengths = lengths, .rng = rng }) : (rw_seq){ 0 };
        keys[i] = rwi_s2s_drop_sequence(g, runs[i].outputs, d->output, d->per_sequence, rng);
        if (keys[i] && m->att && m->encs[i].bidirectional && m->encs[i].key_merge == RW_MERGE_SUM)
            keys[i] = rw_split(g, keys[i], -1, 2, dirs) == RW_OK ? rw_add(g, dirs[0], dirs[1]) : NULL; /* for attention */
        if (!keys[i]) {
            rw_error_prefix("seq2seq '%s' encoder %d", m->name, i + 1);
            return rw_last_status();
        }
    }
    if (rw_bridge_apply_multi(g, m->bridge, runs, m->n_enc, lengths, st->rnn) != RW_OK) {
        rw_error_prefix("seq2seq '%s' bridge", m->name);
        return rw_last_status();
    }
    st->batch = runs[0].batch;
    rw_node *all = !m->att || m->n_enc == 1 ? keys[0] : rw_concat(g, keys, m->n_enc, -1);
    if (m->att && (!all || rw_attention_prepare(g, m->att, all, lengths, &st->memory) != RW_OK))
        return rw_last_status();
    if (m->o.input_feeding && !(st->context = rw_leaf_new(g, RW_REAL, rw_shape2(st->batch, m->key), false)))
        return rw_last_status();
    return RW_OK;
}

rw_node *rw_seq2seq_step(rw_graph *g, const rw_seq2seq *m, rw_seq2seq_state *st, rw_node *tokens)
{
    if (!g || !m || !st || !tokens) {
        rw_error(RW_ERR_ARG, "rw_seq2seq_step: NULL argument");
        return NULL;
    }
    const rw_seq2seq_dropout *d = &m->o.dec_dropout;
    rw_node *x = rw_embedding_apply(g, m->emb, tokens);
    if (x && m->o.input_feeding) {
        rw_node *both[2] = { x, st->context };
        x = rw_concat(g, both, 2, -1);
    }
    x = rwi_s2s_drop_step(g, st, RWI_S2S_DROP_INPUT, x, d->input, d->per_sequence);
    rw_node *h = x ? rwi_s2s_decoder_step(g, m->dec, d, st, x) : NULL;
    h = rwi_s2s_drop_step(g, st, RWI_S2S_DROP_OUTPUT, h, d->output, d->per_sequence);
    if (h && m->att) {
        rw_node *ctx = rw_attention_apply(g, m->att, &st->memory, h, &st->weights);
        if (m->o.input_feeding)
            st->context = ctx;
        rw_node *both[2] = { ctx, h };
        h = ctx ? rw_tanh(g, rw_linear_apply(g, m->combine, rw_concat(g, both, 2, -1))) : NULL;
    }
    rw_node *logits = h ? rw_linear_apply(g, m->head, h) : NULL;
    if (!logits)
        rw_error_prefix("seq2seq '%s' decoder step", m->name);
    return logits;
}

/* Draws per row and step of scheduled sampling: the coin, then the sample. */
enum { FEED_DRAWS_PER_ROW = 2 };

/* The rows of the whole batch that this graph's B rows are: a shard set by
 * rw_graph_set_batch_shard when it has B columns, else rows 0 ... B - 1. */
static void batch_rows(const rw_graph *g, int B, int *first, int *total)
{
    int count;
    if (!rw_graph_batch_shard(g, first, &count, total) || count != B) {
        *first = 0;
        *total = B;
    }
}

/* The tokens fed at step t: <s> first, then per row the true previous token
 * with probability p, else the model's own (a value: argmax or a sample).
 * Row b of the whole batch decides with draws start + 2b and start + 2b + 1
 * of the generator, which then moves past the whole batch's draws: a row's
 * choice depends on its position in the whole batch, not on how the batch
 * is split over the processes of a data-parallel run. */
static rw_node *fed_tokens(rw_graph *g, const rw_seq2seq *m, const rw_tensor *tgt, int t, rw_node *prev_logits,
                           double p, const rw_seq2seq_train_opts *o)
{
    int B = tgt->shape.dim[1], V = m->o.tgt_vocab, first, total;
    rw_node *ids = rw_leaf_new(g, RW_INT32, rw_shape1(B), false);
    bool coins = t > 0 && p < 1;
    uint64_t start = coins ? o->rng->counter : 0;
    batch_rows(g, B, &first, &total);
    for (int b = 0; ids && b < B; b++) {
        int32_t tok = m->o.bos;
        if (t > 0) {
            tok = tgt->idata[(size_t)(t - 1) * B + b];
            if (coins) {
                rw_rng row = *o->rng;
                row.counter = start + (uint64_t)(first + b) * FEED_DRAWS_PER_ROW;
                if (rw_rng_uniform(&row) >= p) {
                    const rw_real *scores = prev_logits->value.data + (size_t)b * V;
                    tok = o->feed->sample ? rwi_pick_sample(scores, V, 1.0, 0, &row) : rwi_pick_argmax(scores, V);
                }
            }
            if (tok < 0) /* past the end of this target: any id will do, its loss is masked */
                tok = m->o.eos;
        }
        ids->value.idata[b] = tok;
    }
    if (coins)
        o->rng->counter = start + (uint64_t)total * FEED_DRAWS_PER_ROW;
    return ids;
}

rw_seq2seq_out rw_seq2seq_forward(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *src_lengths, rw_node *tgt,
                                  const rw_seq2seq_train_opts *opts)
{
    rw_seq2seq_out out = { 0 }, fail = { 0 };
    rw_seq2seq_train_opts none = { 0 };
    const rw_seq2seq_train_opts *o = opts ? opts : &none;
    if (!g || !m || !src || !tgt) {
        rw_error(RW_ERR_ARG, "rw_seq2seq_forward: NULL argument");
        return fail;
    }
    double p = rw_teacher_forcing_prob(o->feed, o->step);
    if (isnan(p))
        return fail;
    if (p < 1 && !o->rng) {
        rw_error(RW_ERR_ARG, "rw_seq2seq_forward: scheduled sampling needs a generator (rw_seq2seq_train_opts.rng)");
        return fail;
    }
    rw_seq2seq_state st;
    if (rw_seq2seq_encode_train(g, m, src, src_lengths, o->rng, &st) != RW_OK)
        return fail;
    rw_shape ts = tgt->value.shape;
    if (tgt->value.dtype != RW_INT32 || ts.ndim != 2 || ts.dim[1] != st.batch) {
        char buf[64];
        rw_error(RW_ERR_SHAPE, "seq2seq '%s': targets %s; expected int32 [T, %d]", m->name,
                 rw_shape_str(ts, buf, sizeof buf), st.batch);
        return fail;
    }
    int T = ts.dim[0];
    rw_arena *arena = rw_graph_arena(g);
    rw_node **logits = rw_arena_alloc(arena, (size_t)T * sizeof *logits);
    rw_node **weights = rw_arena_alloc(arena, (size_t)T * sizeof *weights);
    if (!logits || !weights)
        return fail;
    for (int t = 0; t < T; t++) {
        rw_node *ids = fed_tokens(g, m, &tgt->value, t, t ? logits[t - 1] : NULL, p, o);
        if (!ids || !(logits[t] = rw_seq2seq_step(g, m, &st, ids)))
            return fail;
        weights[t] = st.weights;
    }
    out.logits = rw_stack(g, logits, T);
    out.loss = rw_cross_entropy(g, out.logits, tgt);
    if (m->att && !(out.attention = rw_stack(g, weights, T)))
        return fail;
    return out.loss ? out : fail;
}
