/* An output's `softmax: {kind: hierarchical, classes: C}` (F40): the last
 * layer (linear, size vocab for next and aligned tokens, size classes for
 * tags and labels, whose V outcomes are then the labels) keeps its W [V, H]
 * and b [V] as the word weights, the model adds `<head>.class_W` [C, H] and `<head>.class_b` [C],
 * and the classes are frequency bins of the training targets (or the
 * assignment saved with the vocabulary in a checkpoint). Training never
 * computes the full [.., V] logits: the layers stop before the head, and
 * the loss is hsm_loss on its input. Logits for sampling, prediction and
 * metrics are hsm_log_probs: exact log-probabilities of every word.
 * Sampling at temperature 1 over all words draws the class, then the word
 * (rw_hsm_sample), unless `sampling: exact`. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "data_internal.h"
#include "model_internal.h"
#include "rewind/ops_hsm.h"
#include "yaml/diag.h"

/* How a saved vocabulary carries the classes: appended after it. */
#define HSM_SAVED_MARK "rewind-hsm "

/* Tags and labels are predicted among the classes (the labels), next and
 * aligned tokens among the vocabulary: what the softmax is over. */
static bool over_classes(const rw_model *m) { return m->target == MT_LABEL || m->target == MT_TAGS; }

static int outcomes(const rw_model *m) { return over_classes(m) ? m->labels.n : m->vocab.n; }

rw_status rwi_mparse_softmax(rw_model *m, const yctx *c, const ynode *n)
{
    static const char *const keys[] = { "kind", "classes", "sampling", NULL },
                             *const kinds[] = { "full", "hierarchical", NULL },
                             *const samplings[] = { "fast", "exact", NULL };
    const ynode *kn = n, *cn = NULL, *sn = NULL;
    int kind, sampling = 0;
    if (n->kind == Y_MAP) {
        if (rwi_ys_keys(n, "softmax", keys) || rwi_ys_need(n, "kind", "softmax", &kn))
            return RW_ERR_FORMAT;
        cn = rwi_ymap_get(n, "classes");
        sn = rwi_ymap_get(n, "sampling");
    }
    if (rwi_ys_enum(c, kn, "softmax kind", kinds, &kind) ||
        (sn && rwi_ys_enum(c, sn, "softmax sampling", samplings, &sampling)))
        return RW_ERR_FORMAT;
    if (kind == 0) {
        if (cn || sn)
            return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(n, cn ? "classes" : "sampling"), "'%s' is for kind "
                             "hierarchical", cn ? "classes" : "sampling");
        return RW_OK;
    }
    long classes = 0;
    if (cn && rwi_ys_int(c, cn, "classes", 1, 1 << 24, &classes) != RW_OK)
        return RW_ERR_FORMAT;
    if (m->loss != MLOSS_CROSS_ENTROPY)
        return rwi_ydiag(RW_ERR_FORMAT, kn, "a hierarchical softmax factors a softmax over tokens or classes: it "
                     "needs loss cross_entropy and token or class targets (next, aligned, tags or label), not real "
                     "values");
    const mlayer *last = &m->layers[m->n_layers - 1];
    bool classes_out = over_classes(m);
    if (last->kind != ML_LINEAR || last->size_kind != (classes_out ? MS_CLASSES : MS_VOCAB) ||
        last->act != RW_ACT_NONE)
        return rwi_ydiag(RW_ERR_FORMAT, kn, "a hierarchical softmax needs the last layer to be 'linear: {size: %s}' "
                     "without activation (its W and b are the weights of the %s); '%s' is not",
                     classes_out ? "classes" : "vocab", classes_out ? "labels" : "words", last->name);
    m->hsm.on = true;
    m->hsm.classes = (int)classes;
    m->hsm.at = kn;
    m->hsm.classes_at = cn;
    m->hsm.exact_sampling = sampling == 1;
    return RW_OK;
}

rw_status rwi_mhsm_refuse_in_graph(const ynode *model)
{
    const ynode *outs = rwi_ymap_get(model, "outputs");
    for (int i = 0; outs && outs->kind == Y_MAP && i < outs->n; i++) {
        const ynode *o = outs->vals[i];
        if (o->kind == Y_MAP && rwi_ymap_get(o, "softmax"))
            return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(o, "softmax"), "'softmax' is for the output of a layer list: "
                             "a sequence-to-sequence decoder has the full softmax only (its loss, greedy and beam "
                             "decoding compute the full logits of its head), so a hierarchical one cannot be used "
                             "there yet");
    }
    return RW_OK;
}

/* Counts of each outcome among the training data's targets (the tokens of
 * a stream, an example's target tokens or tags, or else its source tokens;
 * an example's label), for the frequency bins. */
static void count_targets(const rw_model *m, double *counts)
{
    const mdata *d = m->d;
    int n = outcomes(m);
    if (!d)
        return;
    for (size_t i = 0; i < d->n_tok[0]; i++)
        if (d->tok[0][i] >= 0 && d->tok[0][i] < n)
            counts[d->tok[0][i]]++;
    const rw_seqdata *set = d->set[0];
    for (int e = 0; set && e < rw_seqdata_count(set); e++) {
        int len = 0, label = rw_seqdata_label(set, e);
        const int32_t *t = m->target == MT_LABEL ? NULL : rw_seqdata_has_targets(set) ? rw_seqdata_target(set, e, &len)
                                                                                       : rw_seqdata_source(set, e, &len);
        for (int k = 0; t && k < len; k++)
            if (t[k] >= 0 && t[k] < n)
                counts[t[k]]++;
        if (m->target == MT_LABEL && label >= 0 && label < n)
            counts[label]++;
    }
}

static rw_status make_classes(rw_model *m)
{
    int V = outcomes(m), C = m->hsm.classes ? m->hsm.classes : rw_hsm_default_classes(V);
    const char *what = over_classes(m) ? "labels" : "words";
    const ynode *at = m->hsm.classes_at ? m->hsm.classes_at : m->hsm.at;
    if (m->hsm.saved) {
        if (rw_hsm_classes_from_text(&m->hsm.cls, m->hsm.saved) != RW_OK)
            return rwi_ydiag(rw_last_status(), at, "the saved classes of the hierarchical softmax: %s",
                             rw_last_error());
        if (m->hsm.cls.n_words != V)
            return rwi_ydiag(RW_ERR_FORMAT, at, "the saved classes of the hierarchical softmax cover %d %s, the "
                             "model has %d", m->hsm.cls.n_words, what, V);
        return RW_OK;
    }
    if (C > V)
        return rwi_ydiag(RW_ERR_FORMAT, at, "%d classes for %d %s: a hierarchical softmax needs 1 <= classes <= "
                         "the number of %s", C, V, what, what);
    double *counts = rwi_calloc((size_t)V, sizeof *counts, "word counts");
    if (!counts)
        return RW_ERR_NOMEM;
    count_targets(m, counts);
    rw_status st = rw_hsm_classes_from_counts(&m->hsm.cls, counts, V, C);
    rwi_free(counts);
    return st == RW_OK ? RW_OK : rwi_ydiag(st, at, "%s", rw_last_error());
}

rw_status rwi_mhsm_build(rw_model *m)
{
    if (!m->hsm.on)
        return RW_OK;
    const mlayer *head = &m->layers[m->n_layers - 1];
    if (make_classes(m) != RW_OK)
        return rw_last_status();
    char name[256];
    int C = m->hsm.cls.n_classes, H = head->lin->in;
    snprintf(name, sizeof name, "%s.class_W", head->name);
    if (!(m->hsm.cw = rw_params_add(m->P, name, rw_shape2(C, H))))
        return rw_last_status();
    snprintf(name, sizeof name, "%s.class_b", head->name);
    if (!(m->hsm.cb = rw_params_add(m->P, name, rw_shape1(C))))
        return rw_last_status();
    rw_rng rng = rw_rng_seed(m->train.seed ^ 0x45a5ULL); /* apart from the layers' stream */
    return rw_param_init(m->P, m->hsm.cw, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), &rng);
}

void rwi_mhsm_free(rw_model *m)
{
    rw_hsm_classes_free(&m->hsm.cls);
    rwi_free(m->hsm.saved);
    m->hsm.saved = NULL;
}

/* The hsm op's parameter nodes: class_W, class_b, W, b. */
static void param_nodes(rw_graph *g, const rw_model *m, rw_node **p)
{
    const rw_linear *head = m->layers[m->n_layers - 1].lin;
    p[0] = rw_param_node(g, m->hsm.cw);
    p[1] = rw_param_node(g, m->hsm.cb);
    p[2] = rw_param_node(g, head->W);
    p[3] = rw_param_node(g, head->b);
}

rw_node *rwi_mhsm_log_probs(rw_graph *g, const rw_model *m, rw_node *h)
{
    if (!h)
        return NULL;
    rw_node *p[4];
    param_nodes(g, m, p);
    return rw_hsm_log_probs(g, h, p[0], p[1], p[2], p[3], &m->hsm.cls);
}

/* softmax(log P / T) for T != 1, or among the top k, needs every word's
 * log-probability; at T = 1 over all words, drawing the class and then the
 * word is the same distribution (docs/model-format.md, "outputs"). */
bool rwi_mhsm_fast_sampling(const rw_model *m, double temperature, int top_k)
{
    return m && m->hsm.on && !m->hsm.exact_sampling && temperature == 1 && top_k == 0;
}

int rwi_mhsm_sample(const rw_model *m, const rw_node *h, int row, rw_rng *rng)
{
    return rwi_mhsm_sample_excluding(m, h, row, m->vocab.unk, rng);
}

int rwi_mhsm_sample_excluding(const rw_model *m, const rw_node *h, int row, int exclude, rw_rng *rng)
{
    const rw_linear *head = m->layers[m->n_layers - 1].lin;
    int H = head->in;
    if (!h || h->value.dtype != RW_REAL || rw_shape_last(h->value.shape) != H || row < 0 ||
        (size_t)row >= rw_shape_rows(h->value.shape)) {
        rw_error(RW_ERR_STATE, "model '%s': no row %d of width %d to sample the hierarchical softmax from", m->name,
                 row, H);
        return -1;
    }
    return rw_hsm_sample(h->value.data + (size_t)row * (size_t)H, m->hsm.cw->value, m->hsm.cb->value, head->W->value,
                         head->b->value, &m->hsm.cls, exclude, rng);
}

rw_node *rwi_mhsm_loss(rw_graph *g, rw_model *m, rw_node *h, rw_node *targets)
{
    rw_node *p[4];
    param_nodes(g, m, p);
    return rw_hsm_loss(g, h, p[0], p[1], p[2], p[3], targets, &m->hsm.cls);
}

char *rwi_mhsm_vocab_string(const rw_model *m, char *vocab)
{
    if (!m->hsm.on || !vocab)
        return vocab;
    char *classes = rw_hsm_classes_to_text(&m->hsm.cls);
    size_t a = strlen(vocab), b = classes ? strlen(classes) : 0;
    char *both = classes ? rwi_malloc(a + b + 1, "a vocabulary with classes") : NULL;
    if (both) {
        memcpy(both, vocab, a);
        memcpy(both + a, classes, b + 1);
    }
    rwi_free(vocab);
    rwi_free(classes);
    return both;
}

rw_status rwi_mhsm_split_saved(rw_model *m, const char *saved, char **vocab_only)
{
    *vocab_only = NULL;
    const char *mark = saved ? strstr(saved, "\n" HSM_SAVED_MARK) : NULL;
    if (!mark)
        return RW_OK;
    if (!(*vocab_only = rwi_malloc((size_t)(mark - saved) + 2, "a saved vocabulary")))
        return RW_ERR_NOMEM;
    memcpy(*vocab_only, saved, (size_t)(mark - saved) + 1);
    (*vocab_only)[mark - saved + 1] = '\0';
    if (m->hsm.on && !(m->hsm.saved = rwi_strdup(mark + 1, "saved classes")))
        return RW_ERR_NOMEM;
    return RW_OK;
}
