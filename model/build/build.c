/* Building a parsed model into rewind objects: the parameter store, the
 * embedding, recurrent and linear layers (with any initializers the file
 * sets), and checking that the output width fits the vocabulary or the
 * classes. Also the printed summary. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "model_internal.h"

static rw_status init_error(const minit *mi, const char *param)
{
    char base[600];
    snprintf(base, sizeof base, "%s", rw_last_error());
    return rwi_ydiag(RW_ERR_FORMAT, mi->at, "cannot initialize '%s': %s", param, base);
}

/* The short names of a layer's parameters, for "did you mean". */
static int layer_param_names(const rw_model *m, const mlayer *l, const char **names, int max)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s.l0.", l->name);
    int n = 0;
    for (int i = 0; i < rw_params_count(m->P) && n < max; i++) {
        const char *p = rw_params_at(m->P, i)->name;
        if (!strncmp(p, prefix, strlen(prefix)))
            names[n++] = p + strlen(prefix);
    }
    return n;
}

static rw_status rnn_inits(rw_model *m, mlayer *l, rw_rng *rng)
{
    for (int k = 0; k < l->n_inits; k++) {
        const minit *mi = &l->inits[k];
        rw_init init = rw_init_of(mi->kind, mi->a, mi->b);
        for (int layer = 0; layer < rw_rnn_layers(l->rnn); layer++)
            for (int d = 0; d < rw_rnn_directions(l->rnn); d++) {
                rw_param *p = rw_cell_get_param(rw_rnn_cell(l->rnn, layer, d), mi->param);
                if (!p) {
                    const char *names[64];
                    char hint[128], list[400] = "";
                    int n = layer_param_names(m, l, names, 64);
                    size_t at = 0;
                    for (int i = 0; i < n; i++) {
                        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", names[i]);
                        if (w > 0 && (size_t)w < sizeof list - at)
                            at += (size_t)w;
                    }
                    return rwi_ydiag(RW_ERR_FORMAT, mi->at, "layer '%s' has no parameter '%s' (its cells have: %s)%s",
                                 l->name, mi->param, list, rwi_ysuggest(mi->param, names, n, hint, sizeof hint));
                }
                if (rw_param_init(m->P, p, init, rng) != RW_OK)
                    return init_error(mi, p->name);
            }
    }
    return RW_OK;
}

static rw_status build_rnn(rw_model *m, mlayer *l, int in, bool ids, rw_rng *rng)
{
    rw_rnn_spec ro = l->ro;
    ro.name = l->name;
    ro.cell = l->cell;
    ro.cell_opts = l->copts;
    ro.input_size = in;
    ro.hidden = l->size;
    ro.vocab = ids ? in : 0;
    if (l->ycell) {
        l->ycell->pending[0] = '\0';
        l->ycell->pending_status = RW_OK;
    }
    l->rnn = rw_rnn_new(m->P, &ro, rng);
    if (!l->rnn) {
        if (l->ycell && l->ycell->pending_status != RW_OK) /* the cell's own positioned message */
            return rw_error(l->ycell->pending_status, "%s", l->ycell->pending);
        char base[700];
        snprintf(base, sizeof base, "%s", rw_last_error());
        return rwi_ydiag(rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_ARG, l->at, "cannot build layer '%s': %s",
                     l->name, base);
    }
    if (rnn_inits(m, l, rng) != RW_OK)
        return RW_ERR_FORMAT;
    l->out_width = rw_rnn_output_size(l->rnn);
    return RW_OK;
}

static rw_status check_output(const rw_model *m, const mlayer *last, int C)
{
    if (last->out_width == C)
        return RW_OK;
    bool classes = m->target == MT_LABEL || m->target == MT_TAGS;
    const char *what = classes ? "classes" : "tokens";
    return rwi_ydiag(RW_ERR_SHAPE, last->size_at ? last->size_at : last->at, "layer '%s' gives %d values per step, but "
                 "output '%s' predicts one of %d %s (write 'size: %s')", last->name, last->out_width, m->out_name, C,
                 what, classes ? "classes" : "vocab");
}

/* A lower bound of a layer's parameter count (one gate of one layer for a
 * recurrent one), known before anything is allocated for it. */
static double layer_lower_bound(const mlayer *l, int V, int in)
{
    switch (l->kind) {
    case ML_EMBEDDING: return (double)V * l->size;
    case ML_LINEAR: return ((double)in + 1) * l->size;
    case ML_RNN: return ((double)in + l->size) * l->size;
    default: return 0;
    }
}

rw_status rwi_mbuild(rw_model *m)
{
    double at_least = 0; /* parameters, lower bound */
    if (!(m->P = rw_params_new()))
        return rw_last_status();
    rw_params_set_skip_init(m->P, m->skip_init);
    if (m->s2s)
        return rwi_ms2s_build(m); /* seq2seq_model.c */
    rw_rng rng = rw_rng_seed(m->train.seed ^ 0x5eedf00dULL);
    bool classes = m->target == MT_LABEL || m->target == MT_TAGS;
    int V = m->vocab.n, C = classes ? m->labels.n : V;
    if (V < 1)
        return rwi_ydiag(RW_ERR_FORMAT, m->data_at, "the vocabulary is empty: the training data holds no tokens");
    if (classes && C < 1)
        return rwi_ydiag(RW_ERR_FORMAT, m->out_at, "the output predicts classes, but none are known (no labels in "
                     "the data, and no 'classes' given)");
    int in = m->real_input ? m->input_width : V;
    bool ids = !m->real_input;
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *l = &m->layers[i];
        l->in_width = in;
        if (l->size_kind == MS_VOCAB)
            l->size = V;
        else if (l->size_kind == MS_CLASSES)
            l->size = C;
        at_least += layer_lower_bound(l, V, in);
        if (at_least > (double)M_MAX_PARAMS) /* a model text may come from an untrusted checkpoint */
            return rwi_ydiag(RW_ERR_FORMAT, l->size_at ? l->size_at : l->at, "with layer '%s' the model would hold more "
                         "than %.3g parameters, the most rewind builds", l->name, (double)M_MAX_PARAMS);
        rw_param *main_w = NULL;
        switch (l->kind) {
        case ML_EMBEDDING:
            if (!(l->emb = rw_embedding_new(m->P, l->name, V, l->size, &rng)))
                return rwi_ydiag(rw_last_status(), l->at, "cannot build layer '%s'", l->name);
            main_w = l->emb->E;
            l->out_width = l->size;
            break;
        case ML_RNN:
            if (build_rnn(m, l, in, ids, &rng) != RW_OK)
                return rw_last_status();
            break;
        case ML_LINEAR:
            if (!(l->lin = rw_linear_new(m->P, l->name, in, l->size, &rng)))
                return rwi_ydiag(rw_last_status(), l->at, "cannot build layer '%s'", l->name);
            main_w = l->lin->W;
            l->out_width = l->size;
            break;
        case ML_DROPOUT:
            l->out_width = in;
            break;
        }
        if (main_w && l->n_inits &&
            rw_param_init(m->P, main_w, rw_init_of(l->inits[0].kind, l->inits[0].a, l->inits[0].b), &rng) != RW_OK)
            return init_error(&l->inits[0], main_w->name);
        in = l->out_width;
        ids = false;
    }
    const mlayer *last = &m->layers[m->n_layers - 1];
    if (m->loss == MLOSS_CROSS_ENTROPY)
        return check_output(m, last, C);
    if (!m->value_width)
        m->value_width = last->out_width; /* no data read: the last layer says */
    if (last->out_width != m->value_width)
        return rwi_ydiag(RW_ERR_SHAPE, last->size_at ? last->size_at : last->at, "layer '%s' gives %d values per %s, "
                     "but the targets have %d (write 'size: %d')", last->name, last->out_width,
                     m->target == MT_VALUES ? "step" : "sequence", m->value_width, m->value_width);
    return RW_OK;
}

void rwi_mlayers_free(rw_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *l = &m->layers[i];
        rw_rnn_free(l->rnn);
        rw_linear_free(l->lin);
        rw_embedding_free(l->emb);
        rwi_free(l->copts);
        for (int k = 0; k < l->n_inits; k++)
            rwi_free(l->inits[k].param);
        rwi_free(l->name);
    }
    rwi_free(m->out_name);
}

/* ---- the summary -------------------------------------------------------------------- */

static size_t layer_count(const rw_model *m, const mlayer *l)
{
    size_t n = 0, len = strlen(l->name);
    for (int i = 0; i < rw_params_count(m->P); i++) {
        const rw_param *p = rw_params_at(m->P, i);
        if (!strncmp(p->name, l->name, len) && p->name[len] == '.')
            n += p->value->size;
    }
    return n;
}

/* "    cell lstm: forget_bias 1, layer_norm false, ...", the values in effect. */
static void print_cell_options(FILE *f, const rw_cell_def *def, const void *opts)
{
    fprintf(f, "    cell %s:", def->name);
    for (int k = 0; k < def->n_options; k++) {
        char v[64];
        fprintf(f, "%s %s %s", k ? "," : "", def->options[k].name,
                rw_cell_option_format(&def->options[k], opts, v, sizeof v));
    }
    fprintf(f, "\n");
}

void rw_model_print_summary(FILE *f, const rw_model *m)
{
    if (!f || !m)
        return;
    fprintf(f, "model '%s' (rewind/1, %s)\n", m->name, m->src ? m->src->name : "?");
    if (m->description)
        fprintf(f, "  %s\n", m->description);
    for (int i = 0; i < m->n_cells; i++)
        fprintf(f, "cell '%s': %d state%s, %d parameter%s, %d node%s%s\n", m->cells[i]->name, m->cells[i]->n_states,
                m->cells[i]->n_states == 1 ? "" : "s", m->cells[i]->n_params, m->cells[i]->n_params == 1 ? "" : "s",
                m->cells[i]->n_nodes, m->cells[i]->n_nodes == 1 ? "" : "s",
                m->cells[i]->projection >= 0 ? " (input projected for all steps at once)" : "");
    if (!m->has_layers) {
        fprintf(f, "no model: section (a cell library)\n");
        return;
    }
    if (m->s2s) { /* seq2seq_model.c: the graph, then the parameters below */
        rwi_ms2s_print(f, m);
        goto params;
    }
    if (m->real_input)
        fprintf(f, "input: real vectors [T, B, %d]\n", m->input_width);
    else
        fprintf(f, "input: token ids [T, B], vocabulary of %d%s\n", m->vocab.n, m->vocab.tok ? "" : " (opaque ids)");
    fprintf(f, "  %-16s %-22s %-16s %12s\n", "layer", "type", "output", "parameters");
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        char type[64], out[64];
        if (l->kind == ML_RNN)
            snprintf(type, sizeof type, "%s%s x%d", l->ro.bidirectional ? "bi-" : "", l->type, l->ro.layers);
        else if (l->kind == ML_DROPOUT)
            snprintf(type, sizeof type, "dropout %.2g%s", l->p, l->per_sequence ? " per seq." : "");
        else
            snprintf(type, sizeof type, "%s", l->type);
        snprintf(out, sizeof out, l->seq_out ? "[T, B, %d]" : "[B, %d]", l->out_width);
        fprintf(f, "  %-16s %-22s %-16s %12zu\n", l->name, type, out, layer_count(m, l));
        if (l->kind == ML_RNN && l->cell->n_options)
            print_cell_options(f, l->cell, l->copts);
    }
    rwi_mprint_output(f, m);
params:
    fprintf(f, "parameters:\n");
    for (int i = 0; i < rw_params_count(m->P); i++) {
        const rw_param *p = rw_params_at(m->P, i);
        char s[64];
        fprintf(f, "  %-32s %-14s %10zu\n", p->name, rw_shape_str(p->value->shape, s, sizeof s), p->value->size);
    }
    size_t total = rw_params_size(m->P);
    fprintf(f, "total: %zu parameters (%.2f MB as %s)\n", total, (double)total * sizeof(rw_real) / 1e6,
            RW_REAL_NAME);
}
