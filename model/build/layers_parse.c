/* The `model:` section: the input, the list of layers (each checked against
 * the keys its type accepts), the output and its loss, and whether the
 * layers can connect (token ids -> sequences -> a last step). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "cells/cell_graph.h"
#include "yaml/diag.h"
#include "model_internal.h"

/* Layer types other than the registered cells (rewind/cell.h) and the file's own cells. */
static const char *const layer_types[] = { "embedding", "linear", "dropout", "rnn", NULL };

#define RNN_KEYS "name", "size", "stack", "bidirectional", "dropout", "variational", "residual", "initial_state", \
                 "output", "init", "cell", "recompute_every", "skip"
static const char *const rnn_keys[] = { RNN_KEYS, NULL };
static const char *const custom_keys[] = { RNN_KEYS, "dims", NULL };
static const char *const embedding_keys[] = { "name", "size", "dropout", "init", NULL };
static const char *const linear_keys[] = { "name", "size", "activation", "init", NULL };
static const char *const dropout_keys[] = { "p", "mask", "name", NULL };

static const char *const activations[] = { "tanh", "sigmoid", "relu", "none", NULL };

typedef struct lparse {
    rw_model *m;
    const yctx *c;
} lparse;

static rw_status get_bool(lparse *p, const ynode *map, const char *key, bool *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_bool(p->c, n, key, out) : RW_OK;
}

static rw_status get_real(lparse *p, const ynode *map, const char *key, double lo, double hi, bool open, double *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_real(p->c, n, key, lo, hi, open, out) : RW_OK;
}

static rw_status get_act(lparse *p, const ynode *map, const char *key, rw_activation *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    int i;
    if (!n)
        return RW_OK;
    if (rwi_ys_enum(p->c, n, "activation", activations, &i) != RW_OK)
        return RW_ERR_FORMAT;
    *out = (rw_activation)i;
    return RW_OK;
}

/* size: a positive integer, or "vocab" / "classes" where allowed. */
static rw_status get_size(lparse *p, mlayer *l, const ynode *map, bool names_ok)
{
    const ynode *n;
    if (rwi_ys_need(map, "size", l->type, &n) != RW_OK)
        return RW_ERR_FORMAT;
    l->size_at = n;
    char t[64];
    if (names_ok && n->kind == Y_SCALAR && rwi_ys_text(p->c, n, "size", t, sizeof t, NULL) == RW_OK &&
        (!strcmp(t, "vocab") || !strcmp(t, "classes"))) {
        l->size_kind = !strcmp(t, "vocab") ? MS_VOCAB : MS_CLASSES;
        return RW_OK;
    }
    long v;
    char *end = NULL;
    if (names_ok && n->kind == Y_SCALAR && rwi_ys_text(p->c, n, "size", t, sizeof t, NULL) == RW_OK &&
        (strtod(t, &end), end == t || *end))
        return rwi_ydiag(RW_ERR_FORMAT, n, "'size' must be a positive integer, 'vocab' or 'classes', got %s",
                     rwi_ydescribe(n, t, sizeof t));
    if (rwi_ys_int(p->c, n, "size", 1, 1L << 24, &v) != RW_OK)
        return RW_ERR_FORMAT;
    l->size = (int)v;
    return RW_OK;
}

/* init: a spec for the layer's weight, or a mapping parameter -> spec. */
static rw_status get_inits(lparse *p, mlayer *l, const ynode *map, bool by_param)
{
    const ynode *n = rwi_ymap_get(map, "init");
    if (!n)
        return RW_OK;
    if (n->kind == Y_SCALAR && !by_param) {
        yexpr a, b;
        minit *mi = &l->inits[l->n_inits++];
        mi->at = n;
        if (rwi_yinit_parse(p->c, n, "init", NULL, 0, &mi->kind, &a, &b) != RW_OK)
            return RW_ERR_FORMAT;
        mi->a = rwi_yexpr_eval(&a, NULL);
        mi->b = rwi_yexpr_eval(&b, NULL);
        return RW_OK;
    }
    if (rwi_ys_expect(n, Y_MAP, by_param ? "init (parameter: initializer)" : "init") != RW_OK)
        return RW_ERR_FORMAT;
    if (n->n > M_MAX_INITS)
        return rwi_ydiag(RW_ERR_FORMAT, n, "at most %d initializers per layer", M_MAX_INITS);
    static const char *const hx[] = { "X", "H" };
    for (int i = 0; i < n->n; i++) {
        yexpr a, b;
        minit *mi = &l->inits[l->n_inits++];
        mi->at = n->keys[i];
        if (!(mi->param = rwi_strdup(n->keys[i]->str, "a parameter name")))
            return RW_ERR_NOMEM;
        if (rwi_yinit_parse(p->c, n->vals[i], "init", hx, 0, &mi->kind, &a, &b) != RW_OK)
            return RW_ERR_FORMAT;
        mi->a = rwi_yexpr_eval(&a, NULL);
        mi->b = rwi_yexpr_eval(&b, NULL);
    }
    return RW_OK;
}

/* dropout: a number (between stacked layers) or {input, between, recurrent,
 * output, mask: per_step|per_sequence}; per_sequence is variational dropout
 * (also `variational: true`). */
static rw_status rnn_dropout(lparse *p, mlayer *l, const ynode *n)
{
    static const char *const keys[] = { "input", "between", "recurrent", "output", "mask", NULL };
    static const char *const masks[] = { "per_step", "per_sequence", NULL };
    if (n->kind == Y_SCALAR)
        return rwi_ys_real(p->c, n, "dropout", 0, 1, true, &l->ro.dropout);
    const ynode *mk = rwi_ymap_get(n, "mask");
    int k;
    if (rwi_ys_expect(n, Y_MAP, "dropout") != RW_OK || rwi_ys_keys(n, "dropout", keys) != RW_OK ||
        get_real(p, n, "input", 0, 1, true, &l->in_dropout) != RW_OK ||
        get_real(p, n, "between", 0, 1, true, &l->ro.dropout) != RW_OK ||
        get_real(p, n, "recurrent", 0, 1, true, &l->ro.recurrent_dropout) != RW_OK ||
        get_real(p, n, "output", 0, 1, true, &l->out_dropout) != RW_OK ||
        (mk && rwi_ys_enum(p->c, mk, "mask", masks, &k) != RW_OK))
        return RW_ERR_FORMAT;
    if (mk)
        l->ro.variational = k == 1;
    return RW_OK;
}

/* An enum option's allowed names (skipping the values it does not allow) for rwi_ys_enum, and their values. */
static int enum_names(const rw_cell_option *o, const char **names, int *values, int max)
{
    int n = 0;
    for (int i = 0; i < o->n_names && n < max - 1; i++)
        if (o->names[i]) {
            values[n] = i;
            names[n++] = o->names[i];
        }
    names[n] = NULL;
    return n;
}

/* One option of a registered cell, read as its type and range say. */
static rw_status set_option(lparse *p, mlayer *l, const rw_cell_option *o, const ynode *n)
{
    double v = 0;
    bool b;
    long i;
    int k;
    switch (o->type) {
    case RW_OPTION_BOOL:
        if (rwi_ys_bool(p->c, n, o->name, &b) != RW_OK)
            return RW_ERR_FORMAT;
        v = b;
        break;
    case RW_OPTION_INT:
        if (rwi_ys_int(p->c, n, o->name, (long)o->min, (long)o->max, &i) != RW_OK)
            return RW_ERR_FORMAT;
        v = (double)i;
        break;
    case RW_OPTION_REAL:
        if (rwi_ys_real(p->c, n, o->name, o->min, o->max, false, &v) != RW_OK)
            return RW_ERR_FORMAT;
        break;
    case RW_OPTION_ENUM: {
        const char *names[64];
        int values[64];
        enum_names(o, names, values, 64);
        if (rwi_ys_enum(p->c, n, o->name, names, &k) != RW_OK)
            return RW_ERR_FORMAT;
        v = values[k];
        break;
    }
    }
    if (rw_cell_option_set_value(l->cell, l->copts, o->name, v) != RW_OK)
        return rwi_ydiag(RW_ERR_FORMAT, n, "%s", rw_last_error());
    return RW_OK;
}

/* A registered cell: its options from the keys named in its option table. */
static rw_status registered_cell_opts(lparse *p, mlayer *l, const ynode *map)
{
    const rw_cell_def *def = l->cell;
    for (int i = 0; i < def->n_options; i++) {
        const ynode *n = rwi_ymap_get(map, def->options[i].name);
        if (n && set_option(p, l, &def->options[i], n) != RW_OK)
            return RW_ERR_FORMAT;
    }
    const char *blame = NULL;
    if (rw_cell_check_opts(def, l->copts, &blame) != RW_OK) {
        const ynode *at = blame ? rwi_ymap_get(map, blame) : NULL;
        return rwi_ydiag(RW_ERR_FORMAT, at ? at : l->at, "%s", rw_last_error());
    }
    return RW_OK;
}

/* A cell of the file's `cells:`: its own dims come from `dims:`. */
static rw_status yaml_cell_dims(lparse *p, mlayer *l, const ynode *map)
{
    ycell *yc = l->ycell;
    rw_model_cell_opts *o = l->copts;
    const ynode *dims = rwi_ymap_get(map, "dims");
    if (dims && rwi_ys_expect(dims, Y_MAP, "dims") != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; dims && i < dims->n; i++) {
        int k = rwi_ycell_dim_index(yc, dims->keys[i]->str);
        if (k < 2) {
            char hint[128];
            return rwi_ydiag(RW_ERR_FORMAT, dims->keys[i], "cell '%s' has no dim '%s' to set here (X and H come from "
                         "the input width and 'size')%s", yc->name, dims->keys[i]->str,
                         rwi_ysuggest(dims->keys[i]->str, (const char *const *)yc->dims + 2, yc->n_dims - 2, hint,
                                  sizeof hint));
        }
        long v;
        if (rwi_ys_int(p->c, dims->vals[i], dims->keys[i]->str, 1, 1L << 24, &v) != RW_OK)
            return RW_ERR_FORMAT;
        o->dims[k - 2] = (int)v;
    }
    for (int k = 2; k < yc->n_dims; k++)
        if (o->dims[k - 2] < 1)
            return rwi_ydiag(RW_ERR_FORMAT, l->at, "cell '%s' needs a value for its dim '%s': add 'dims: {%s: ...}'",
                         yc->name, yc->dims[k], yc->dims[k]);
    return RW_OK;
}

/* The layer's cell (a registered one, else the file's own), its options
 * at their defaults, and the keys it accepts. */
static rw_status cell_and_keys(lparse *p, mlayer *l, const ynode *map)
{
    const rw_cell_def *def = rw_cell_find(l->type);
    l->ycell = def ? NULL : rwi_mfind_cell(p->m, l->type);
    l->cell = def ? def : &l->ycell->def;
    if (l->cell->opts_size) {
        if (!(l->copts = rwi_malloc(l->cell->opts_size, "cell options")))
            return RW_ERR_NOMEM;
        rw_cell_default_opts(l->cell, l->copts);
    }
    if (l->ycell)
        return rwi_ys_keys(map, l->type, custom_keys);
    const char *keys[64];
    int n_keys = 0;
    for (int i = 0; rnn_keys[i]; i++)
        keys[n_keys++] = rnn_keys[i];
    for (int i = 0; i < def->n_options && n_keys < 63; i++)
        keys[n_keys++] = def->options[i].name;
    keys[n_keys] = NULL;
    return rwi_ys_keys(map, l->type, keys);
}

static rw_status rnn_layer(lparse *p, mlayer *l, const ynode *map)
{
    l->kind = ML_RNN;
    if (cell_and_keys(p, l, map) != RW_OK || get_size(p, l, map, false) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *n;
    long stack = 1;
    if ((n = rwi_ymap_get(map, "stack")) && rwi_ys_int(p->c, n, "stack", 1, RW_RNN_MAX_LAYERS, &stack) != RW_OK)
        return RW_ERR_FORMAT;
    l->ro.layers = (int)stack;
    long every = 0;
    if ((n = rwi_ymap_get(map, "recompute_every")) &&
        rwi_ys_int(p->c, n, "recompute_every", 0, 1L << 30, &every) != RW_OK)
        return RW_ERR_FORMAT;
    l->recompute_every = (int)every;
    if ((n = rwi_ymap_get(map, "bidirectional"))) {
        if (n->kind == Y_MAP) {
            static const char *const bk[] = { "merge", NULL };
            static const char *const merges[] = { "concat", "sum", "mean", NULL };
            int k = 0;
            const ynode *mg = rwi_ymap_get(n, "merge");
            if (rwi_ys_keys(n, "bidirectional", bk) != RW_OK || (mg && rwi_ys_enum(p->c, mg, "merge", merges, &k) != RW_OK))
                return RW_ERR_FORMAT;
            l->ro.bidirectional = true;
            l->ro.merge = (rw_dir_merge)k; /* the names are in the enum's order */
        } else if (rwi_ys_bool(p->c, n, "bidirectional", &l->ro.bidirectional) != RW_OK) {
            return RW_ERR_FORMAT;
        }
    }
    if (get_bool(p, map, "variational", &l->ro.variational) || get_bool(p, map, "skip", &l->ro.skip_outputs))
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(map, "residual"))) { /* true, false, or project (F29) */
        static const char *const res[] = { "false", "true", "project", NULL };
        int r = 0;
        if (rwi_ys_enum(p->c, n, "residual", res, &r) != RW_OK)
            return RW_ERR_FORMAT;
        l->ro.residual = r >= 1;
        l->ro.residual_projection = r == 2;
    }
    if ((n = rwi_ymap_get(map, "dropout")) && rnn_dropout(p, l, n) != RW_OK)
        return RW_ERR_FORMAT;
    static const char *const inits[] = { "zeros", "learned", NULL };
    static const char *const outs[] = { "all", "last", "mean", "max", "sum", NULL };
    int k;
    if ((n = rwi_ymap_get(map, "initial_state"))) {
        if (rwi_ys_enum(p->c, n, "initial_state", inits, &k) != RW_OK)
            return RW_ERR_FORMAT;
        l->ro.initial_state = k ? RW_STATE_LEARNED : RW_STATE_ZERO;
    }
    if ((n = rwi_ymap_get(map, "output"))) {
        if (rwi_ys_enum(p->c, n, "output", outs, &k) != RW_OK)
            return RW_ERR_FORMAT;
        l->last = k >= 1; /* no time axis */
        l->pool = k == 2 ? RW_POOL_MEAN : k == 3 ? RW_POOL_MAX : k == 4 ? RW_POOL_SUM : RW_POOL_NONE;
        if (k == 1 && l->ro.skip_outputs)
            return rwi_ydiag(RW_ERR_FORMAT, n, "'skip: true' hands every step's outputs on; it needs output all, "
                             "mean, max or sum, not last");
    }
    if (get_inits(p, l, map, true) != RW_OK)
        return RW_ERR_FORMAT;
    return l->ycell ? yaml_cell_dims(p, l, map) : registered_cell_opts(p, l, map);
}

/* "unknown cell 'x' (registered: lstm, ...; or a cell from 'cells:')", or the
 * same for a layer type, which may also be one of layer_types. */
static rw_status unknown_type(lparse *p, const ynode *at, const char *t, const char *what)
{
    bool cell = !strcmp(what, "cell");
    const char *names[M_MAX_CELLS + 300];
    char registered[1024] = "";
    int n = 0;
    size_t len = 0;
    for (int i = 0; !cell && layer_types[i]; i++)
        names[n++] = layer_types[i];
    for (int i = 0; i < rw_cell_count() && n < M_MAX_CELLS + 250; i++) {
        names[n++] = rw_cell_at(i)->name;
        int w = snprintf(registered + len, sizeof registered - len, "%s%s", i ? ", " : "", rw_cell_at(i)->name);
        if (w > 0 && (size_t)w < sizeof registered - len)
            len += (size_t)w;
    }
    for (int i = 0; i < p->m->n_cells; i++)
        names[n++] = p->m->cells[i]->name;
    char hint[128];
    return rwi_ydiag(RW_ERR_FORMAT, at, "unknown %s '%s' (%s%s; or a cell from 'cells:')%s", what, t,
                 cell ? "registered: " : "embedding, linear, dropout, rnn; registered cells: ", registered,
                 rwi_ysuggest(t, names, n, hint, sizeof hint));
}

static rw_status embedding_layer(lparse *p, mlayer *l, const ynode *map)
{
    l->kind = ML_EMBEDDING;
    if (rwi_ys_keys(map, "embedding", embedding_keys) != RW_OK || get_size(p, l, map, false) != RW_OK ||
        get_inits(p, l, map, false) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *d = rwi_ymap_get(map, "dropout");
    if (!d || d->kind == Y_SCALAR)
        return d ? rwi_ys_real(p->c, d, "dropout", 0, 1, true, &l->p) : RW_OK;
    static const char *const keys[] = { "p", "unit", NULL }, *const units[] = { "element", "token", NULL };
    const ynode *pn, *un = rwi_ymap_get(d, "unit");
    int u = 0;
    if (rwi_ys_expect(d, Y_MAP, "dropout") || rwi_ys_keys(d, "dropout", keys) || rwi_ys_need(d, "p", "dropout", &pn) ||
        rwi_ys_real(p->c, pn, "p", 0, 1, true, &l->p) || (un && rwi_ys_enum(p->c, un, "unit", units, &u)))
        return RW_ERR_FORMAT;
    l->token_unit = u == 1;
    return RW_OK;
}

static rw_status dropout_layer(lparse *p, mlayer *l, const ynode *v)
{
    static const char *const masks[] = { "per_step", "per_sequence", NULL };
    l->kind = ML_DROPOUT;
    if (v->kind == Y_SCALAR)
        return rwi_ys_real(p->c, v, "dropout", 0, 1, true, &l->p);
    const ynode *pn, *mk;
    int k = 0;
    if (rwi_ys_expect(v, Y_MAP, "dropout") || rwi_ys_keys(v, "dropout", dropout_keys) || rwi_ys_need(v, "p", "dropout", &pn) ||
        rwi_ys_real(p->c, pn, "p", 0, 1, true, &l->p))
        return RW_ERR_FORMAT;
    if ((mk = rwi_ymap_get(v, "mask")) && rwi_ys_enum(p->c, mk, "mask", masks, &k) != RW_OK)
        return RW_ERR_FORMAT;
    l->per_sequence = k == 1;
    return RW_OK;
}

static rw_status parse_layer(lparse *p, int index, const ynode *item)
{
    rw_model *m = p->m;
    mlayer *l = &m->layers[index];
    if (rwi_ys_expect(item, Y_MAP, "a layer") != RW_OK)
        return RW_ERR_FORMAT;
    if (item->n != 1)
        return rwi_ydiag(RW_ERR_FORMAT, item, "a layer is written '- <type>: {...}' with one type (got %d keys)", item->n);
    const ynode *tk = item->keys[0], *v = item->vals[0];
    char type[128];
    snprintf(type, sizeof type, "%s", tk->str);
    l->at = tk;
    if (!strcmp(type, "rnn")) {
        const ynode *cn;
        if (rwi_ys_expect(v, Y_MAP, "rnn") || rwi_ys_need(v, "cell", "rnn", &cn) ||
            rwi_ys_text(p->c, cn, "cell", type, sizeof type, NULL))
            return RW_ERR_FORMAT;
        if (!rw_cell_find(type) && !rwi_mfind_cell(m, type))
            return unknown_type(p, cn, type, "cell");
    } else if (rwi_ymap_get(v, "cell")) {
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(v, "cell"), "'cell' is given in an 'rnn' layer ('- rnn: {cell: ...}')");
    }
    const char *name = NULL;
    for (int i = 0; layer_types[i] && !name; i++)
        if (!strcmp(type, layer_types[i]))
            name = layer_types[i];
    if (!name && rw_cell_find(type)) /* a registered cell goes before the file's own of that name */
        name = rw_cell_find(type)->name;
    ycell *yc = name ? NULL : rwi_mfind_cell(m, type);
    if (!name && !yc)
        return unknown_type(p, tk, type, "layer type");
    l->type = name ? name : yc->name;
    rw_status st;
    if (!strcmp(l->type, "dropout"))
        st = dropout_layer(p, l, v);
    else if (rwi_ys_expect(v, Y_MAP, l->type) != RW_OK)
        return RW_ERR_FORMAT;
    else if (!strcmp(l->type, "embedding"))
        st = embedding_layer(p, l, v);
    else if (!strcmp(l->type, "linear"))
        st = rwi_ys_keys(v, "linear", linear_keys) || get_size(p, l, v, true) || get_act(p, v, "activation", &l->act) ||
             get_inits(p, l, v, false) ? RW_ERR_FORMAT : RW_OK;
    else
        st = rnn_layer(p, l, v);
    if (st != RW_OK)
        return st;
    if (l->kind == ML_LINEAR || !strcmp(l->type, "linear")) {
        l->kind = ML_LINEAR;
        if (!rwi_ymap_get(v, "activation"))
            l->act = RW_ACT_NONE;
    }
    /* the name: given, or "<type>_<position>" */
    char auto_name[160];
    snprintf(auto_name, sizeof auto_name, "%s_%d", l->type, index + 1);
    const ynode *nn = v->kind == Y_MAP ? rwi_ymap_get(v, "name") : NULL;
    if (nn && rwi_ys_string(p->c, nn, "name", &l->name) != RW_OK)
        return RW_ERR_FORMAT;
    if (!nn && !(l->name = rwi_strdup(auto_name, "a layer name")))
        return RW_ERR_NOMEM;
    for (const char *c = l->name; *c; c++)
        if (!(*c == '_' || *c == '-' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return rwi_ydiag(RW_ERR_FORMAT, nn, "layer name '%s': use letters, digits, '_' and '-'", l->name);
    for (int j = 0; j < index; j++)
        if (!strcmp(m->layers[j].name, l->name))
            return rwi_ydiag_note(RW_ERR_FORMAT, nn ? nn : tk, m->layers[j].at, "the other one", "two layers are named "
                              "'%s'", l->name);
    return RW_OK;
}

/* What flows between layers: token ids, then sequences [T, B, W], possibly a last step [B, W]. */
static rw_status check_chain(rw_model *m)
{
    enum { IDS, SEQ, VEC } flow = m->real_input ? SEQ : IDS;
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *l = &m->layers[i];
        const mlayer *prev = i ? &m->layers[i - 1] : NULL;
        if (l->kind == ML_EMBEDDING && flow != IDS)
            return rwi_ydiag(RW_ERR_FORMAT, l->at, m->real_input ? "an embedding reads token ids, but the input is real: "
                         "remove '%s'" : "an embedding reads token ids, so '%s' must be the first layer", l->name);
        if (l->kind == ML_RNN && flow == VEC)
            return rwi_ydiag(RW_ERR_FORMAT, l->at, "'%s' reads a sequence, but '%s' returns only its last step "
                         "(output: last)", l->name, prev->name);
        if ((l->kind == ML_LINEAR || l->kind == ML_DROPOUT) && flow == IDS)
            return rwi_ydiag(RW_ERR_FORMAT, l->at, "'%s' cannot read token ids: put an embedding or a recurrent layer "
                         "first", l->name);
        if (l->kind == ML_EMBEDDING || (l->kind == ML_RNN && !l->last))
            flow = SEQ;
        else if (l->kind == ML_RNN)
            flow = VEC;
        l->seq_out = flow == SEQ;
        if (l->kind != ML_LINEAR && l->size_kind != MS_NUMBER)
            return rwi_ydiag(RW_ERR_FORMAT, l->size_at, "only a linear layer can have size '%s'",
                         l->size_kind == MS_VOCAB ? "vocab" : "classes");
    }
    if (flow == IDS)
        return rwi_ydiag(RW_ERR_FORMAT, m->layers[0].at, "the layers never leave token ids");
    return RW_OK;
}

static rw_status parse_output(lparse *p, const ynode *outs)
{
    rw_model *m = p->m;
    static const char *const keys[] = { "from", "activation", "loss", "target", "softmax", NULL };
    if (rwi_ys_expect(outs, Y_MAP, "outputs") != RW_OK)
        return RW_ERR_FORMAT;
    if (outs->n != 1)
        return rwi_ydiag(RW_ERR_FORMAT, outs, "a layer list has one output (got %d)", outs->n);
    const ynode *o = outs->vals[0], *n;
    m->out_at = outs->keys[0];
    if (!(m->out_name = rwi_strdup(outs->keys[0]->str, "an output name")))
        return RW_ERR_NOMEM;
    if (rwi_ys_expect(o, Y_MAP, m->out_name) || rwi_ys_keys(o, "outputs", keys))
        return RW_ERR_FORMAT;
    const mlayer *last = &m->layers[m->n_layers - 1];
    char t[256];
    if ((n = rwi_ymap_get(o, "from"))) {
        if (rwi_ys_text(p->c, n, "from", t, sizeof t, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        if (strcmp(t, last->name) != 0) {
            const char *names[M_MAX_LAYERS];
            for (int i = 0; i < m->n_layers; i++)
                names[i] = m->layers[i].name;
            char hint[128];
            bool known = false;
            for (int i = 0; i < m->n_layers; i++)
                known |= !strcmp(names[i], t);
            return rwi_ydiag(RW_ERR_FORMAT, n, known ? "output '%s' reads from '%s', but in a layer list only the last "
                         "layer ('%s') feeds the output%s" : "output '%s' reads from an unknown layer '%s' (the last "
                         "layer is '%s')%s", m->out_name, t, last->name, known ? "" :
                         rwi_ysuggest(t, names, m->n_layers, hint, sizeof hint));
        }
    }
    return rwi_mparse_output_kind(m, p->c, o);
}

rw_status rwi_mparse_model(rw_model *m, const ynode *model)
{
    static const char *const keys[] = { "inputs", "layers", "outputs", "graph", NULL };
    lparse p = { .m = m, .c = &m->ctx };
    if (rwi_ys_expect(model, Y_MAP, "model") != RW_OK || rwi_ys_keys(model, "model", keys) != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *graph = rwi_ymap_get(model, "graph"), *inputs = rwi_ymap_get(model, "inputs"), *layers, *outs;
    if (graph && !rwi_mgraph_is_chain(m, graph))
        return rwi_mhsm_refuse_in_graph(model) ? RW_ERR_FORMAT : rwi_ms2s_parse(m, model); /* graph_parse.c */
    if (graph && rwi_ymap_get(model, "layers"))
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(model, "layers"), "give either 'layers' or 'graph', not both");
    if (inputs && rwi_mparse_input(m, p.c, inputs) != RW_OK)
        return RW_ERR_FORMAT;
    if (graph) { /* a chain of layers written as a graph (graph_chain.c) */
        if (rwi_ys_expect(graph, Y_SEQ, "graph") != RW_OK || !(layers = rwi_mgraph_chain_layers(m, model, graph)))
            return RW_ERR_FORMAT;
    } else if (rwi_ys_need(model, "layers", "model", &layers) != RW_OK ||
               rwi_ys_expect(layers, Y_SEQ, "layers") != RW_OK) {
        return RW_ERR_FORMAT;
    }
    if (layers->n < 1 || layers->n > M_MAX_LAYERS)
        return rwi_ydiag(RW_ERR_FORMAT, layers, "a model has 1 to %d layers (got %d)", M_MAX_LAYERS, layers->n);
    for (int i = 0; i < layers->n; i++) {
        m->n_layers = i + 1;
        if (parse_layer(&p, i, layers->vals[i]) != RW_OK)
            return rw_last_status();
    }
    if (check_chain(m) != RW_OK || rwi_ys_need(model, "outputs", "model", &outs) != RW_OK || parse_output(&p, outs) != RW_OK)
        return RW_ERR_FORMAT;
    m->has_layers = true;
    return RW_OK;
}
