/* model.graph: named nodes with inputs, parsed and checked (unknown names,
 * cycles, attention over something that is not a sequence of vectors),
 * then matched against the encoder-decoder that rw_seq2seq implements:
 *
 *   source [-> src_emb (embedding)] -> enc (recurrent) .. attention keys, bridge
 *   (or 2 to 4 such encoders -> enc (concat) ............ attention keys, bridge)
 *   target -> tgt_emb (embedding) -> dec (recurrent, any cell and stack,
 *                                         initial_state from enc,
 *                                         attention over enc) -> head (linear, size vocab)
 *
 * One source embedding may feed several encoders, and one embedding may be
 * read by both the encoders and the decoder: the vocabulary is one, so
 * that is one table, tied across both sides.
 *
 * Also train.teacher_forcing. Every error is positioned (file:line:col). */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/cells.h"
#include "yaml/diag.h"
#include "seq2seq_internal.h"

static const char *const node_keys[] = { "name", "layer", "in", "attention", NULL };
static const char *const rnn_keys[] = { "size", "stack", "bidirectional", "initial_state", "output", "dropout",
                                        NULL };
static const char *const emb_keys[] = { "size", NULL };
static const char *const lin_keys[] = { "size", NULL };
static const char *const init_keys[] = { "from", "reduce", "merge", "project", NULL };
static const char *const att_keys[] = { "type", "keys", "input_feeding", "feed", "hidden", NULL };
static const char *const scores[] = { "additive", "dot", "general", NULL };
static const char *const out_keys[] = { "from", "activation", "loss", "target", NULL };

static ms2s *get_s2s(rw_model *m)
{
    if (!m->s2s)
        m->s2s = rwi_calloc(1, sizeof *m->s2s, "a seq2seq model");
    return m->s2s;
}

/* ---- train.teacher_forcing --------------------------------------------------------- */

rw_status rwi_ms2s_parse_teacher_forcing(rw_model *m, const ynode *t)
{
    static const char *const keys[] = { "schedule", "k", "c", "min", "sample", NULL };
    static const char *const schedules[] = { "always", "linear", "exponential", "inverse_sigmoid", NULL };
    const yctx *c = &m->ctx;
    ms2s *s = get_s2s(m);
    if (!s)
        return RW_ERR_NOMEM;
    rw_teacher_forcing *tf = &s->tf;
    const ynode *n;
    int k = 0;
    *tf = (rw_teacher_forcing){ .schedule = RW_FEED_ALWAYS, .k = 1, .c = 0, .min = 0 };
    s->tf_at = t;
    if (rwi_ys_expect(t, Y_MAP, "teacher_forcing") || rwi_ys_keys(t, "teacher_forcing", keys) ||
        ((n = rwi_ymap_get(t, "schedule")) && rwi_ys_enum(c, n, "teacher_forcing schedule", schedules, &k)))
        return RW_ERR_FORMAT;
    tf->schedule = (rw_feed_schedule)k;
    if (tf->schedule == RW_FEED_EXPONENTIAL)
        tf->k = 0.999;
    else if (tf->schedule == RW_FEED_INVERSE_SIGMOID)
        tf->k = 500;
    else if (tf->schedule == RW_FEED_LINEAR)
        tf->c = 1e-4;
    if ((n = rwi_ymap_get(t, "k")) && rwi_ys_real(c, n, "k", 0, 1e9, false, &tf->k) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "c")) && rwi_ys_real(c, n, "c", 0, 1e9, false, &tf->c) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "min")) && rwi_ys_real(c, n, "min", 0, 1, false, &tf->min) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "sample")) && rwi_ys_bool(c, n, "sample", &tf->sample) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *kn = rwi_ymap_get(t, "k") ? rwi_ymap_get(t, "k") : t;
    if (tf->schedule == RW_FEED_EXPONENTIAL && !(tf->k > 0 && tf->k < 1))
        return rwi_ydiag(RW_ERR_FORMAT, kn, "the exponential schedule feeds the true token with probability k^step: "
                     "'k' must be in (0, 1), got %g", tf->k);
    if (tf->schedule == RW_FEED_INVERSE_SIGMOID && tf->k < 1)
        return rwi_ydiag(RW_ERR_FORMAT, kn, "the inverse_sigmoid schedule needs 'k' >= 1, got %g", tf->k);
    if (tf->schedule == RW_FEED_LINEAR && tf->k > 1)
        return rwi_ydiag(RW_ERR_FORMAT, kn, "the linear schedule starts at probability 'k' <= 1, got %g", tf->k);
    return RW_OK;
}

/* ---- nodes ------------------------------------------------------------------------- */

static int find_node(const ms2s *s, const char *name)
{
    if (!strcmp(name, "src")) /* the design sketch's names of the two inputs */
        name = "source";
    else if (!strcmp(name, "tgt_in"))
        name = "target";
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->nodes[i].name, name))
            return i;
    return -1;
}

static rw_status unknown_name(const ms2s *s, const ynode *at, const char *what, const char *name)
{
    const char *names[G_MAX_NODES];
    char hint[128];
    for (int i = 0; i < s->n; i++)
        names[i] = s->nodes[i].name;
    return rwi_ydiag(RW_ERR_FORMAT, at, "unknown %s '%s' (the graph's inputs are 'source' and 'target', also "
                 "spelled 'src' and 'tgt_in', and its nodes' names)%s", what, name, rwi_ysuggest(name, names, s->n, hint, sizeof hint));
}

/* A name read from scalar n into out (64 bytes). */
static rw_status read_name(const yctx *c, const ynode *n, const char *what, char *out)
{
    if (rwi_ys_text(c, n, what, out, 64, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (!out[0])
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' must not be empty", what);
    return RW_OK;
}

static rw_status read_size(const yctx *c, gnode *g, const ynode *spec)
{
    const ynode *n;
    long v;
    if (rwi_ys_need(spec, "size", g->type, &n) != RW_OK)
        return RW_ERR_FORMAT;
    if (n->kind == Y_SCALAR &&
        (!strcmp(n->str, "vocab") || !strcmp(n->str, "tgt_vocab") || !strcmp(n->str, "src_vocab"))) {
        /* one vocabulary serves source and target: src_vocab and tgt_vocab are its other names */
        g->size_vocab = true;
        return RW_OK;
    }
    if (rwi_ys_int(c, n, "size", 1, 1 << 20, &v) != RW_OK)
        return RW_ERR_FORMAT;
    g->size = (int)v;
    return RW_OK;
}

static rw_status read_initial_state(rw_model *m, gnode *g, const ynode *n)
{
    static const char *const reduces[] = { "last", "mean", NULL }, *const merges[] = { "concat", "sum", NULL };
    const yctx *c = &m->ctx;
    g->init_at = n;
    g->init_from = -1;
    if (n->kind == Y_SCALAR) {
        if (strcmp(n->str, "zeros") != 0)
            return rwi_ydiag(RW_ERR_FORMAT, n, "'initial_state' is 'zeros' or {from: <encoder>, reduce: last|mean, "
                         "merge: concat|sum, project: bool}");
        g->bridge.source = RW_BRIDGE_ZERO;
        return RW_OK;
    }
    const ynode *from, *x;
    int k;
    char name[64];
    if (rwi_ys_expect(n, Y_MAP, "initial_state") || rwi_ys_keys(n, "initial_state", init_keys) ||
        rwi_ys_need(n, "from", "initial_state", &from) || read_name(c, from, "from", name))
        return RW_ERR_FORMAT;
    if ((g->init_from = find_node(m->s2s, name)) < 0)
        return unknown_name(m->s2s, from, "node", name);
    g->init_at = from;
    if ((x = rwi_ymap_get(n, "reduce"))) {
        if (rwi_ys_enum(c, x, "reduce", reduces, &k) != RW_OK)
            return RW_ERR_FORMAT;
        g->bridge.source = k ? RW_BRIDGE_MEAN : RW_BRIDGE_LAST;
    }
    if ((x = rwi_ymap_get(n, "merge"))) {
        if (rwi_ys_enum(c, x, "merge", merges, &k) != RW_OK)
            return RW_ERR_FORMAT;
        g->bridge.merge = k ? RW_MERGE_SUM : RW_MERGE_CONCAT;
        g->merge_given = true;
    }
    return (x = rwi_ymap_get(n, "project")) ? rwi_ys_bool(c, x, "project", &g->bridge.project) : RW_OK;
}

static rw_status read_attention(rw_model *m, gnode *g, const ynode *a)
{
    const yctx *c = &m->ctx;
    const ynode *keys, *x;
    int k = 0;
    long hidden = 0;
    char name[64];
    g->att_at = a;
    if (rwi_ys_expect(a, Y_MAP, "attention") || rwi_ys_keys(a, "attention", att_keys) ||
        rwi_ys_need(a, "keys", "attention", &keys) || read_name(c, keys, "keys", name) ||
        ((x = rwi_ymap_get(a, "type")) && rwi_ys_enum(c, x, "attention type", scores, &k)) ||
        ((x = rwi_ymap_get(a, "input_feeding")) && rwi_ys_bool(c, x, "input_feeding", &g->input_feeding)) ||
        ((x = rwi_ymap_get(a, "hidden")) && rwi_ys_int(c, x, "hidden", 1, 1 << 20, &hidden)))
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(a, "feed"))) { /* feed: input | none, another spelling of input_feeding */
        static const char *const feeds[] = { "none", "input", NULL };
        int f;
        if (rwi_ymap_get(a, "input_feeding"))
            return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(a, "feed"), "give 'feed' or 'input_feeding', not both");
        if (rwi_ys_enum(c, x, "feed", feeds, &f) != RW_OK)
            return RW_ERR_FORMAT;
        g->input_feeding = f == 1;
    }
    g->score = (rw_attention_score)k;
    g->att_hidden = (int)hidden;
    if ((g->att_keys = find_node(m->s2s, name)) < 0)
        return unknown_name(m->s2s, keys, "node", name);
    g->att_at = keys;
    return RW_OK;
}

/* bidirectional: a bool, or {merge: concat|sum} as in the layer list. The
 * merge says how the encoder's two directions reach attention (side by
 * side, or summed) and, unless the decoder's initial_state says otherwise,
 * the decoder's start. */
static rw_status read_bidirectional(const yctx *c, gnode *g, const ynode *x)
{
    static const char *const keys[] = { "merge", NULL }, *const merges[] = { "concat", "sum", NULL };
    const ynode *merge;
    int k = 0;
    if (x->kind != Y_MAP)
        return rwi_ys_bool(c, x, "bidirectional", &g->bidirectional);
    if (rwi_ys_keys(x, "bidirectional", keys) != RW_OK ||
        ((merge = rwi_ymap_get(x, "merge")) && rwi_ys_enum(c, merge, "merge", merges, &k) != RW_OK))
        return RW_ERR_FORMAT;
    g->dir_merge = k ? RW_MERGE_SUM : RW_MERGE_CONCAT;
    g->bidirectional = true;
    return RW_OK;
}

/* The layer: {<type>: {...}} of one node. Names in initial_state and
 * attention are looked up later (every node must be known first). */
/* dropout: a number (between stacked layers) or {input, between,
 * recurrent, output, mask: per_step|per_sequence}, as in the layer list. */
static rw_status read_dropout(const yctx *c, gnode *g, const ynode *n)
{
    static const char *const keys[] = { "input", "between", "recurrent", "output", "mask", NULL };
    static const char *const masks[] = { "per_step", "per_sequence", NULL };
    rw_seq2seq_dropout *d = &g->dropout;
    g->dropout_at = n;
    if (n->kind == Y_SCALAR)
        return rwi_ys_real(c, n, "dropout", 0, 1, true, &d->between);
    if (rwi_ys_expect(n, Y_MAP, "dropout") != RW_OK || rwi_ys_keys(n, "dropout", keys) != RW_OK)
        return RW_ERR_FORMAT;
    double *rates[4] = { &d->input, &d->between, &d->recurrent, &d->output };
    for (int i = 0; i < 4; i++) {
        const ynode *x = rwi_ymap_get(n, keys[i]);
        if (x && rwi_ys_real(c, x, keys[i], 0, 1, true, rates[i]) != RW_OK)
            return RW_ERR_FORMAT;
    }
    const ynode *mk = rwi_ymap_get(n, "mask");
    int k;
    if (mk && rwi_ys_enum(c, mk, "mask", masks, &k) != RW_OK)
        return RW_ERR_FORMAT;
    d->per_sequence = mk && k == 1;
    return RW_OK;
}

static rw_status read_layer(rw_model *m, gnode *g, const ynode *layer)
{
    const yctx *c = &m->ctx;
    if (rwi_ys_expect(layer, Y_MAP, "layer") != RW_OK)
        return RW_ERR_FORMAT;
    if (layer->n != 1)
        return rwi_ydiag(RW_ERR_FORMAT, layer, "'layer' holds one layer type, e.g. {lstm: {size: 64}} (got %d keys)",
                     layer->n);
    const ynode *type = layer->keys[0], *spec = layer->vals[0], *x;
    snprintf(g->type, sizeof g->type, "%s", type->str);
    g->layer_at = type;
    if (rwi_ys_expect(spec, Y_MAP, g->type) != RW_OK)
        return RW_ERR_FORMAT;
    if (!strcmp(g->type, "concat")) { /* encoders side by side */
        static const char *const none[] = { NULL };
        g->kind = G_CONCAT;
        return rwi_ys_keys(spec, g->type, none);
    }
    if (!strcmp(g->type, "embedding") || !strcmp(g->type, "linear")) {
        g->kind = g->type[0] == 'e' ? G_EMBEDDING : G_LINEAR;
        return rwi_ys_keys(spec, g->type, g->kind == G_EMBEDDING ? emb_keys : lin_keys) || read_size(c, g, spec)
                   ? RW_ERR_FORMAT : RW_OK;
    }
    if (!(g->cell = rw_cell_find(g->type))) {
        rw_error_clear();
        const char *names[64];
        char hint[128];
        int n = 0;
        names[n++] = "embedding";
        names[n++] = "linear";
        names[n++] = "concat";
        for (int i = 0; i < rw_cell_count() && n < 64; i++)
            names[n++] = rw_cell_at(i)->name;
        return rwi_ydiag(RW_ERR_FORMAT, type, "unknown layer type '%s' in a graph (embedding, linear, concat, or a "
                     "registered cell: see 'rewind cells')%s", g->type, rwi_ysuggest(g->type, names, n, hint, sizeof hint));
    }
    g->kind = G_RNN;
    g->stack = 1;
    long v;
    if (rwi_ys_keys(spec, g->type, rnn_keys) || read_size(c, g, spec))
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(spec, "bidirectional")) && read_bidirectional(c, g, x) != RW_OK)
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(spec, "dropout")) && read_dropout(c, g, x) != RW_OK)
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(spec, "stack"))) {
        if (rwi_ys_int(c, x, "stack", 1, RW_RNN_MAX_LAYERS, &v) != RW_OK)
            return RW_ERR_FORMAT;
        g->stack = (int)v;
    }
    if ((x = rwi_ymap_get(spec, "output"))) {
        static const char *const outs[] = { "all", "last", NULL };
        int k;
        if (rwi_ys_enum(c, x, "output", outs, &k) != RW_OK)
            return RW_ERR_FORMAT;
        g->last_only = k == 1;
    }
    if (g->size_vocab)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(spec, "size"), "a recurrent layer's size is a number");
    return RW_OK;
}

static rw_status read_node(rw_model *m, const ynode *item)
{
    ms2s *s = m->s2s;
    const yctx *c = &m->ctx;
    const ynode *name, *layer, *in;
    if (s->n == G_MAX_NODES)
        return rwi_ydiag(RW_ERR_FORMAT, item, "a graph has at most %d nodes", G_MAX_NODES - 2);
    gnode *g = &s->nodes[s->n];
    *g = (gnode){ .at = item, .init_from = -1, .att_keys = -1 };
    if (rwi_ys_expect(item, Y_MAP, "a graph node") || rwi_ys_keys(item, "a graph node", node_keys) ||
        rwi_ys_need(item, "name", "a graph node", &name) || read_name(c, name, "name", g->name) ||
        rwi_ys_need(item, "layer", "a graph node", &layer) || rwi_ys_need(item, "in", "a graph node", &in))
        return RW_ERR_FORMAT;
    int prev = find_node(s, g->name);
    if (prev >= 0)
        return prev < 2 ? rwi_ydiag(RW_ERR_FORMAT, name, "'%s' is an input of the graph; name the node otherwise",
                                g->name)
                        : rwi_ydiag_note(RW_ERR_FORMAT, name, s->nodes[prev].at, "the first node of that name",
                                     "two graph nodes are named '%s'", g->name);
    if (read_layer(m, g, layer) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *list = in;
    if (in->kind == Y_SCALAR) {
        g->n_in = 1;
        g->in_at[0] = in;
    } else {
        if (rwi_ys_expect(in, Y_SEQ, "in") != RW_OK)
            return RW_ERR_FORMAT;
        if (g->kind != G_CONCAT && list->n != 1)
            return rwi_ydiag(RW_ERR_FORMAT, list, "a node of an encoder-decoder graph reads one input (got %d; "
                         "'concat' puts encoders side by side)", list->n);
        if (g->kind == G_CONCAT && (list->n < 2 || list->n > G_MAX_IN))
            return rwi_ydiag(RW_ERR_FORMAT, list, "a concat node reads 2 to %d encoders (got %d)", G_MAX_IN, list->n);
        g->n_in = list->n;
        for (int k = 0; k < list->n; k++)
            g->in_at[k] = list->vals[k];
    }
    if (g->kind == G_CONCAT && g->n_in < 2)
        return rwi_ydiag(RW_ERR_FORMAT, in, "a concat node reads 2 to %d encoders, e.g. in: [enc_a, enc_b]", G_MAX_IN);
    s->n++;
    return RW_OK;
}

/* Names to indices, once every node is known. */
static rw_status resolve(rw_model *m, const ynode *graph)
{
    ms2s *s = m->s2s;
    for (int i = 2; i < s->n; i++) {
        gnode *g = &s->nodes[i];
        char name[64];
        for (int k = 0; k < g->n_in; k++) {
            if (read_name(&m->ctx, g->in_at[k], "in", name) != RW_OK)
                return RW_ERR_FORMAT;
            if ((g->in[k] = find_node(s, name)) < 0)
                return unknown_name(s, g->in_at[k], "input", name);
        }
        const ynode *spec = rwi_ymap_get(rwi_ymap_get(graph->vals[i - 2], "layer"), g->type), *x;
        if (g->kind == G_RNN && (x = rwi_ymap_get(spec, "initial_state")) && read_initial_state(m, g, x) != RW_OK)
            return RW_ERR_FORMAT;
        if ((x = rwi_ymap_get(graph->vals[i - 2], "attention"))) {
            if (g->kind != G_RNN)
                return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(graph->vals[i - 2], "attention"), "attention belongs to a "
                             "recurrent decoder; '%s' is a%s %s layer", g->name, g->kind == G_EMBEDDING ? "n" : "",
                             g->type);
            if (read_attention(m, g, x) != RW_OK)
                return RW_ERR_FORMAT;
        }
    }
    return RW_OK;
}

/* A cycle through the inputs, initial states and attention keys: each node
 * is visited with the path that reached it. */
static rw_status find_cycle(const ms2s *s, int at, int *state, int *path, int depth)
{
    const gnode *g = &s->nodes[at];
    if (state[at] == 2)
        return RW_OK;
    path[depth] = at;
    if (state[at] == 1) {
        char chain[512] = "";
        size_t len = 0;
        int from = 0;
        while (path[from] != at)
            from++;
        for (int i = from; i <= depth && len < sizeof chain - 70; i++)
            len += (size_t)snprintf(chain + len, sizeof chain - len, "%s%s", i > from ? " -> " : "",
                                    s->nodes[path[i]].name);
        return rwi_ydiag(RW_ERR_FORMAT, g->in_at[0] ? g->in_at[0] : g->at, "the graph has a cycle: %s (a node cannot "
                     "depend on itself)", chain);
    }
    state[at] = 1;
    int next[G_MAX_IN + 2];
    for (int k = 0; k < g->n_in; k++)
        next[k] = g->in[k];
    next[g->n_in] = g->init_from;
    next[g->n_in + 1] = g->att_keys;
    for (int k = 0; k < g->n_in + 2; k++)
        if (next[k] >= 0 && find_cycle(s, next[k], state, path, depth + 1) != RW_OK)
            return RW_ERR_FORMAT;
    state[at] = 2;
    return RW_OK;
}

/* Whether node i gives a sequence of vectors (the keys attention needs). */
static bool vector_sequence(const ms2s *s, int i, const char **why)
{
    const gnode *g = &s->nodes[i];
    if (g->kind == G_INPUT) {
        *why = "token ids, not vectors";
        return false;
    }
    if (g->kind == G_RNN && g->last_only) {
        *why = "one vector per sequence (output: last)";
        return false;
    }
    for (int k = 1; g->kind == G_CONCAT && k < g->n_in; k++)
        if (!vector_sequence(s, g->in[k], why))
            return false;
    return g->kind == G_RNN || vector_sequence(s, g->in[0], why);
}

/* ---- the encoder-decoder pattern --------------------------------------------------- */

static rw_status expect(const gnode *g, bool ok, const char *what)
{
    return ok ? RW_OK : rwi_ydiag(RW_ERR_FORMAT, g->at, "node '%s' does not fit an encoder-decoder: %s", g->name, what);
}

/* Encoder e of the decoder is node i: recurrent, over 'source' or a source
 * embedding: its own, an earlier encoder's, or the decoder's (tied). */
static rw_status match_encoder(ms2s *s, int e, int i)
{
    const gnode *enc = &s->nodes[i];
    s->encs[e] = i;
    s->src_embs[e] = enc->kind == G_RNN && s->nodes[enc->in[0]].kind == G_EMBEDDING ? enc->in[0] : -1;
    s->shares[e] = 0;
    if (s->src_embs[e] == s->tgt_emb)
        s->shares[e] = RW_SHARE_TARGET_EMBEDDING;
    for (int k = 0; k < e && s->src_embs[e] >= 0 && !s->shares[e]; k++)
        if (s->src_embs[k] == s->src_embs[e] && !s->shares[k])
            s->shares[e] = k + 1; /* the first encoder that reads it owns the table */
    if (s->src_embs[e] >= 0 && !s->shares[e]) {
        const gnode *se = &s->nodes[s->src_embs[e]];
        if (expect(se, se->in[0] == 0 && !se->size_vocab, "the source embedding reads 'source' and has a numeric "
                   "size"))
            return RW_ERR_FORMAT;
    }
    if (expect(enc, enc->kind == G_RNN && (enc->in[0] == 0 || s->src_embs[e] >= 0), "the encoder is recurrent and "
               "reads 'source' (looking its input weights up by id) or an embedding of it") ||
        expect(enc, !enc->last_only, "the encoder gives every step (drop 'output: last')"))
        return RW_ERR_FORMAT;
    if (enc->dropout.input > 0 && s->src_embs[e] < 0)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(enc->dropout_at, "input"), "the encoder '%s' reads 'source' as "
                         "token ids: there is no input vector to drop (give it a source embedding node)", enc->name);
    return RW_OK;
}

static rw_status match(rw_model *m)
{
    ms2s *s = m->s2s;
    int consumers[G_MAX_NODES] = { 0 };
    for (int i = 2; i < s->n; i++) {
        const gnode *g = &s->nodes[i];
        for (int k = 0; k < g->n_in; k++)
            consumers[g->in[k]]++;
        if (g->init_from >= 0)
            consumers[g->init_from]++;
        if (g->att_keys >= 0)
            consumers[g->att_keys]++;
    }
    s->head = -1;
    for (int i = 2; i < s->n; i++)
        if (!consumers[i]) {
            if (s->head >= 0)
                return rwi_ydiag_note(RW_ERR_FORMAT, s->nodes[i].at, s->nodes[s->head].at, "the other one",
                                  "the graph has two outputs ('%s' and '%s'); an encoder-decoder has one head",
                                  s->nodes[s->head].name, s->nodes[i].name);
            s->head = i;
        }
    const gnode *head = &s->nodes[s->head];
    if (expect(head, head->kind == G_LINEAR && head->size_vocab, "the output is a linear layer of size vocab") ||
        expect(head, s->nodes[head->in[0]].kind == G_RNN, "the head reads the recurrent decoder"))
        return RW_ERR_FORMAT;
    s->dec = head->in[0];
    const gnode *dec = &s->nodes[s->dec];
    if (dec->bidirectional) {
        const ynode *layer = rwi_ymap_get(dec->at, "layer");
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(layer->vals[0], "bidirectional"), "the decoder '%s' cannot be "
                     "bidirectional: it predicts each token from the ones before it, and a backward direction would "
                     "read the very tokens it is to predict, which decoding does not have yet (make the encoder "
                     "bidirectional instead)", dec->name);
    }
    if (expect(dec, s->nodes[dec->in[0]].kind == G_EMBEDDING, "the decoder reads an embedding of 'target'") ||
        expect(dec, !dec->last_only, "the decoder gives every step (drop 'output: last')"))
        return RW_ERR_FORMAT;
    s->tgt_emb = dec->in[0];
    const gnode *emb = &s->nodes[s->tgt_emb];
    if (expect(emb, emb->in[0] <= 1 && !emb->size_vocab, "the target embedding reads 'target' (or 'source', when the "
               "encoder reads it too) and has a numeric size"))
        return RW_ERR_FORMAT;
    s->enc = dec->att_keys >= 0 ? dec->att_keys : dec->init_from;
    if (s->enc < 0)
        return rwi_ydiag(RW_ERR_FORMAT, dec->at, "the decoder '%s' neither attends to an encoder nor starts from one: "
                     "give it 'attention: {keys: <encoder>}' or 'initial_state: {from: <encoder>}'", dec->name);
    const gnode *enc = &s->nodes[s->enc];
    if (dec->init_from >= 0 && dec->att_keys >= 0 && dec->init_from != dec->att_keys)
        return rwi_ydiag(RW_ERR_FORMAT, dec->init_at, "the decoder starts from '%s' but attends to '%s': both must be "
                     "the encoder", s->nodes[dec->init_from].name, enc->name);
    s->n_enc = enc->kind == G_CONCAT ? enc->n_in : 1;
    bool tied = false;
    for (int e = 0; e < s->n_enc; e++) {
        if (enc->kind == G_CONCAT && s->nodes[enc->in[e]].kind == G_CONCAT)
            return rwi_ydiag(RW_ERR_FORMAT, enc->in_at[e], "'%s' reads the concat '%s': a concat reads recurrent "
                         "encoders (list them all in one concat, up to %d)", enc->name, s->nodes[enc->in[e]].name,
                         G_MAX_IN);
        if (match_encoder(s, e, enc->kind == G_CONCAT ? enc->in[e] : s->enc) != RW_OK)
            return RW_ERR_FORMAT;
        for (int k = 0; k < e; k++)
            if (s->encs[k] == s->encs[e])
                return rwi_ydiag(RW_ERR_FORMAT, enc->in_at[e], "'%s' puts one encoder ('%s') beside itself; give it "
                             "different encoders", enc->name, s->nodes[s->encs[e]].name);
        tied = tied || s->shares[e] == RW_SHARE_TARGET_EMBEDDING;
    }
    if (emb->in[0] != 1 && !tied)
        return expect(emb, false, "the target embedding reads 'target' (it reads 'source' only when it is one table "
                      "for both sides, read by the encoder too)");
    for (int i = 2; i < s->n; i++) {
        bool part = i == s->enc || i == s->dec || i == s->tgt_emb || i == s->head;
        for (int e = 0; e < s->n_enc; e++)
            part = part || i == s->encs[e] || i == s->src_embs[e];
        if (!part)
            return rwi_ydiag(RW_ERR_FORMAT, s->nodes[i].at, "node '%s' is not part of the encoder-decoder (source -> "
                         "[embedding ->] encoder [and up to three more -> concat]; target -> embedding -> decoder -> "
                         "head)", s->nodes[i].name);
    }
    return RW_OK;
}

static rw_status read_outputs(rw_model *m, const ynode *outs)
{
    ms2s *s = m->s2s;
    if (rwi_ys_expect(outs, Y_MAP, "outputs") != RW_OK)
        return RW_ERR_FORMAT;
    if (outs->n != 1)
        return rwi_ydiag(RW_ERR_FORMAT, outs, "an encoder-decoder has one output (got %d)", outs->n);
    const ynode *o = outs->vals[0], *x;
    char from[64];
    if (rwi_ys_expect(o, Y_MAP, outs->keys[0]->str) || rwi_ys_keys(o, "output", out_keys))
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(o, "from"))) {
        if (read_name(&m->ctx, x, "from", from) != RW_OK)
            return RW_ERR_FORMAT;
        int i = find_node(s, from);
        if (i < 0)
            return unknown_name(s, x, "node", from);
        if (i != s->head)
            return rwi_ydiag(RW_ERR_FORMAT, x, "the output comes from the head '%s', not '%s'", s->nodes[s->head].name,
                         from);
    }
    static const char *const acts[] = { "softmax", NULL }, *const losses[] = { "cross_entropy", NULL },
                             *const targets[] = { "target", NULL };
    int k;
    if (((x = rwi_ymap_get(o, "activation")) && rwi_ys_enum(&m->ctx, x, "activation", acts, &k)) ||
        ((x = rwi_ymap_get(o, "loss")) && rwi_ys_enum(&m->ctx, x, "loss", losses, &k)) ||
        ((x = rwi_ymap_get(o, "target")) && rwi_ys_enum(&m->ctx, x, "target", targets, &k)))
        return RW_ERR_FORMAT;
    return (m->out_name = rwi_strdup(outs->keys[0]->str, "an output name")) ? RW_OK : RW_ERR_NOMEM;
}

rw_status rwi_ms2s_parse(rw_model *m, const ynode *model)
{
    static const char *const keys[] = { "graph", "outputs", NULL };
    const ynode *graph = rwi_ymap_get(model, "graph"), *x;
    ms2s *s = get_s2s(m);
    if (!s)
        return RW_ERR_NOMEM;
    if (rwi_ys_keys(model, "model", keys) != RW_OK || rwi_ys_expect(graph, Y_SEQ, "graph") != RW_OK)
        return RW_ERR_FORMAT;
    if (rwi_ymap_get(model, "layers"))
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(model, "layers"), "give either 'layers' or 'graph', not both");
    if (m->data.kind != RW_DATA_NONE && m->data.kind != RW_DATA_TSV_SEQ2SEQ)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(model, "graph"), "a graph is an encoder-decoder: it reads data of kind "
                     "tsv_seq2seq (source<TAB>target lines)");
    s->graph = true;
    s->n = 2;
    s->nodes[0] = (gnode){ .name = "source", .type = "source", .kind = G_INPUT, .at = graph, .init_from = -1,
                           .att_keys = -1 };
    s->nodes[1] = s->nodes[0];
    snprintf(s->nodes[1].name, sizeof s->nodes[1].name, "target");
    snprintf(s->nodes[1].type, sizeof s->nodes[1].type, "target");
    if (graph->n < 1)
        return rwi_ydiag(RW_ERR_FORMAT, graph, "the graph has no nodes");
    for (int i = 0; i < graph->n; i++)
        if (read_node(m, graph->vals[i]) != RW_OK)
            return RW_ERR_FORMAT;
    if (resolve(m, graph) != RW_OK)
        return RW_ERR_FORMAT;
    int state[G_MAX_NODES] = { 0 }, path[G_MAX_NODES * 3 + 1];
    for (int i = 2; i < s->n; i++)
        if (find_cycle(s, i, state, path, 0) != RW_OK)
            return RW_ERR_FORMAT;
    for (int i = 2; i < s->n; i++) {
        const gnode *g = &s->nodes[i];
        const char *why = "";
        if (g->att_keys >= 0 && !vector_sequence(s, g->att_keys, &why))
            return rwi_ydiag(RW_ERR_FORMAT, g->att_at, "attention needs a sequence of vectors to attend over; '%s' "
                         "gives %s", s->nodes[g->att_keys].name, why);
        int from = g->init_from;
        if (from >= 0 && s->nodes[from].kind != G_RNN && s->nodes[from].kind != G_CONCAT)
            return rwi_ydiag(RW_ERR_FORMAT, g->init_at, "a decoder's initial state comes from a recurrent encoder "
                         "(or a concat of several); '%s' is not one", s->nodes[from].name);
    }
    if (match(m) != RW_OK)
        return RW_ERR_FORMAT;
    if ((x = rwi_ymap_get(model, "outputs")) && read_outputs(m, x) != RW_OK)
        return RW_ERR_FORMAT;
    if (!m->out_name && !(m->out_name = rwi_strdup("translation", "an output name")))
        return RW_ERR_NOMEM;
    m->target = MT_NEXT;
    m->out_at = graph;
    m->has_layers = true;
    return RW_OK;
}
