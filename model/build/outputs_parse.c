/* A layer list's `inputs:` entry (token ids, or real vectors of a given
 * width) and what its output is trained against: the target (next token,
 * label, per-step tags, aligned tokens, real values per sequence or per
 * step), the loss (cross_entropy, mse, bce) and the output activation,
 * checked against the data kind and against each other. */
#include <stdio.h>
#include <string.h>
#include "yaml/diag.h"
#include "model_internal.h"

rw_status rwi_mparse_input(rw_model *m, const yctx *c, const ynode *inputs)
{
    static const char *const keys[] = { "type", "vocab", "width", NULL }, *const types[] = { "tokens", "real", NULL },
                             *const vocabs[] = { "data", NULL };
    int k;
    if (rwi_ys_expect(inputs, Y_MAP, "inputs") != RW_OK)
        return RW_ERR_FORMAT;
    if (inputs->n != 1)
        return rwi_ydiag(RW_ERR_FORMAT, inputs, "a layer list reads one input (got %d)", inputs->n);
    const ynode *in = inputs->vals[0], *n, *tn;
    if (rwi_ys_expect(in, Y_MAP, inputs->keys[0]->str) || rwi_ys_keys(in, "inputs", keys) ||
        rwi_ys_need(in, "type", inputs->keys[0]->str, &tn) || rwi_ys_enum(c, tn, "input type", types, &k) ||
        ((n = rwi_ymap_get(in, "vocab")) && rwi_ys_enum(c, n, "vocab", vocabs, &k)))
        return RW_ERR_FORMAT;
    rwi_ys_enum(c, tn, "input type", types, &k);
    m->real_input = k == 1;
    const ynode *w = rwi_ymap_get(in, "width");
    if (m->real_input) {
        long v;
        if (!w)
            return rwi_ydiag(RW_ERR_FORMAT, in, "a real input needs 'width' (values per step)");
        if (rwi_ys_int(c, w, "width", 1, 1 << 20, &v) != RW_OK)
            return RW_ERR_FORMAT;
        m->input_width = (int)v;
        if (rwi_ymap_get(in, "vocab"))
            return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(in, "vocab"), "a real input has no vocabulary");
        if (m->data.kind != RW_DATA_NONE && m->data.kind != RW_DATA_TSV_VECTORS)
            return rwi_ydiag(RW_ERR_FORMAT, tn, "a real input reads data of kind tsv_vectors, not %s",
                         m->data.kind == RW_DATA_CHARS ? "chars" : "token data");
    } else {
        if (w)
            return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(in, "width"), "'width' is for inputs of type real; token inputs "
                         "take their width from the vocabulary");
        if (m->data.kind == RW_DATA_TSV_VECTORS)
            return rwi_ydiag(RW_ERR_FORMAT, tn, "data of kind tsv_vectors holds real vectors: write 'type: real' with "
                         "a 'width'");
    }
    return RW_OK;
}

static const char *const target_names[] = { "next", "label", "tags", "aligned", "value", "values", NULL };

static mtarget default_target(const rw_model *m)
{
    switch (m->data.kind) {
    case RW_DATA_TSV_CLASSIFY: return MT_LABEL;
    case RW_DATA_TSV_TAGGING: return MT_TAGS;
    case RW_DATA_TSV_VECTORS: return MT_VALUE;
    case RW_DATA_TSV_SEQ2SEQ: return MT_ALIGNED;
    default: return MT_NEXT;
    }
}

/* Which data kinds give a target. */
static bool kind_gives(rw_data_kind k, mtarget t)
{
    switch (t) {
    case MT_NEXT: return k == RW_DATA_CHARS || k == RW_DATA_LINES;
    case MT_LABEL: return k == RW_DATA_TSV_CLASSIFY || k == RW_DATA_TSV_VECTORS;
    case MT_TAGS: return k == RW_DATA_TSV_TAGGING || k == RW_DATA_TSV_VECTORS;
    case MT_ALIGNED: return k == RW_DATA_TSV_SEQ2SEQ;
    case MT_VALUE: case MT_VALUES: return k == RW_DATA_TSV_VECTORS;
    }
    return false;
}

static rw_status parse_target(rw_model *m, const yctx *c, const ynode *n)
{
    char t[256];
    if (rwi_ys_text(c, n, "target", t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (!strncmp(t, "shift(", 6)) {
        char in[128];
        int by = 0;
        if (sscanf(t, "shift(%127[^,], %d)", in, &by) != 2 || by != 1)
            return rwi_ydiag(RW_ERR_FORMAT, n, "a shifted target is written shift(<input>, 1)");
        m->target = MT_NEXT;
        return RW_OK;
    }
    for (int i = 0; target_names[i]; i++)
        if (!strcmp(t, target_names[i])) {
            m->target = (mtarget)i;
            return RW_OK;
        }
    return rwi_ydiag(RW_ERR_FORMAT, n, "unknown target '%s' (next: the following token, or shift(<input>, 1); label: "
                 "the example's class; tags: a class per step; aligned: the target column's token per step; value / "
                 "values: real targets per sequence / per step)", t);
}

static bool real_target(mtarget t) { return t == MT_VALUE || t == MT_VALUES; }

rw_status rwi_mparse_output_kind(rw_model *m, const yctx *c, const ynode *o)
{
    static const char *const losses[] = { "cross_entropy", "mse", "bce", NULL };
    static const char *const acts[] = { "softmax", "none", "sigmoid", "tanh", NULL };
    const ynode *tn = rwi_ymap_get(o, "target"), *ln = rwi_ymap_get(o, "loss"), *an = rwi_ymap_get(o, "activation");
    int loss = -1, act = -1;
    if ((an && rwi_ys_enum(c, an, "activation", acts, &act)) || (ln && rwi_ys_enum(c, ln, "loss", losses, &loss)))
        return RW_ERR_FORMAT;
    m->target = default_target(m);
    if (tn && parse_target(m, c, tn) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *at = tn ? tn : m->out_at;
    rw_data_kind k = m->data.kind;
    if (k == RW_DATA_TSV_VECTORS && !m->real_input)
        return rwi_ydiag(RW_ERR_FORMAT, m->data_at, "data of kind tsv_vectors holds real vectors: the model needs "
                     "'inputs: {x: {type: real, width: F}}'");
    if (k == RW_DATA_TSV_SEQ2SEQ && m->target != MT_ALIGNED)
        return rwi_ydiag(RW_ERR_FORMAT, m->data_at, "a layer list cannot express a sequence-to-sequence model yet "
                     "(data kind tsv_seq2seq); with sources and targets of equal lengths write 'target: aligned'");
    if (m->target == MT_LABEL && k == RW_DATA_CHARS)
        return rwi_ydiag(RW_ERR_FORMAT, at, "data of kind chars has no labels; the target is the next token");
    if (m->target == MT_NEXT && k == RW_DATA_TSV_CLASSIFY)
        return rwi_ydiag(RW_ERR_FORMAT, at, "data of kind tsv_classify gives labels: use 'target: label'");
    if (k != RW_DATA_NONE && !kind_gives(k, m->target))
        return rwi_ydiag(RW_ERR_FORMAT, at, "target '%s' needs data of kind %s", target_names[m->target],
                     m->target == MT_NEXT ? "chars or lines" : m->target == MT_ALIGNED ? "tsv_seq2seq" :
                     m->target == MT_LABEL ? "tsv_classify or tsv_vectors" :
                     m->target == MT_TAGS ? "tsv_tagging or tsv_vectors" : "tsv_vectors");
    m->loss = real_target(m->target) ? MLOSS_MSE : MLOSS_CROSS_ENTROPY;
    if (loss >= 0) {
        if ((loss == MLOSS_CROSS_ENTROPY) == real_target(m->target))
            return rwi_ydiag(RW_ERR_FORMAT, ln, loss == MLOSS_CROSS_ENTROPY ? "loss cross_entropy needs class or token "
                         "targets, but target '%s' is real (use mse or bce)" : "loss %s needs real targets (target: "
                         "value or values), but target '%s' is a class or token", loss == MLOSS_CROSS_ENTROPY ?
                         target_names[m->target] : losses[loss], target_names[m->target]);
        m->loss = (mloss_kind)loss;
    }
    m->out_act = RW_ACT_NONE;
    if (an) {
        bool ok = m->loss == MLOSS_CROSS_ENTROPY ? act <= 1 : m->loss == MLOSS_BCE ? act == 2 : act >= 1;
        if (!ok)
            return rwi_ydiag(RW_ERR_FORMAT, an, "activation '%s' does not fit loss %s (cross_entropy: softmax; mse: "
                         "none, sigmoid or tanh; bce: sigmoid, applied inside the loss)", acts[act], losses[m->loss]);
        if (m->loss == MLOSS_MSE)
            m->out_act = act == 2 ? RW_ACT_SIGMOID : act == 3 ? RW_ACT_TANH : RW_ACT_NONE;
    }
    const mlayer *last = &m->layers[m->n_layers - 1];
    bool per_sequence = m->target == MT_LABEL || m->target == MT_VALUE;
    if (per_sequence && last->seq_out)
        return rwi_ydiag(RW_ERR_FORMAT, at, "target '%s' %s, but the last layer '%s' gives one output per step: set "
                     "'output: last' on the last recurrent layer", target_names[m->target],
                     m->target == MT_LABEL ? "classifies whole sequences" : "is one value per sequence", last->name);
    if (!per_sequence && !last->seq_out)
        return rwi_ydiag(RW_ERR_FORMAT, at, "target '%s' is one per step, but the last layer '%s' gives one output per "
                     "sequence (output: last)", target_names[m->target], last->name);
    const ynode *sn = rwi_ymap_get(o, "softmax");
    return sn ? rwi_mparse_softmax(m, c, sn) : RW_OK;
}
