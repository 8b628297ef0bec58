/* The sections of a YAML cell (dims, inputs, state, params, project,
 * nodes, outputs) and their checks, and initializer specs. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "cell_compile.h"
#include "yaml/diag.h"

rw_status rwi_ycell_setup_def(ycell *c);   /* cell_run.c */

static const char *const cell_keys[] = { "doc", "dims", "inputs", "state", "params", "project", "nodes",
                                         "outputs", "output", "equations", NULL };

/* ---- initializers ---------------------------------------------------------- */

rw_status rwi_yinit_parse(const yctx *c, const ynode *n, const char *what, const char *const *dims, int n_dims,
                      rw_init_kind *kind, yexpr *a, yexpr *b)
{
    static const char *const names[] = { "zeros", "const", "uniform", "normal", "xavier_uniform", "xavier_normal",
                                         "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                         "orthogonal", "identity" };
    char t[512], name[64];
    if (rwi_ys_text(c, n, what, t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    size_t nl = strcspn(t, "( ");
    snprintf(name, sizeof name, "%.*s", (int)(nl < 63 ? nl : 63), t);
    if (rw_init_from_name(name, kind) != RW_OK) {
        char hint[128];
        return rwi_ydiag(RW_ERR_FORMAT, n, "unknown initializer '%s' (zeros, const(v), uniform(r), normal(std), "
                     "xavier_uniform, xavier_normal, he_uniform, he_normal, orthogonal, identity)%s", name,
                     rwi_ysuggest(name, names, 12, hint, sizeof hint));
    }
    char *args[3] = { NULL, NULL, NULL };
    int na = 0;
    char *p = t + nl;
    while (*p == ' ')
        p++;
    if (*p == '(') {
        char *close = strrchr(p, ')');
        if (!close || close[1])
            return rwi_ydiag(RW_ERR_FORMAT, n, "initializer '%s': expected 'name(arguments)'", t);
        *close = '\0';
        for (char *q = p + 1; na < 3;) {
            args[na++] = q;
            char *comma = strchr(q, ',');
            if (!comma)
                break;
            *comma = '\0';
            q = comma + 1;
        }
        if (na == 3)
            return rwi_ydiag(RW_ERR_FORMAT, n, "initializer '%s' takes at most 2 arguments", name);
    } else if (*p) {
        return rwi_ydiag(RW_ERR_FORMAT, n, "initializer '%s': expected 'name' or 'name(arguments)'", t);
    }
    yexpr v[2];
    for (int i = 0; i < na; i++)
        if (rwi_ys_expr_str(n, what, args[i], dims, n_dims, &v[i]) != RW_OK)
            return RW_ERR_FORMAT;
    int lo = 0, hi = 0;
    *a = rwi_yexpr_const(0);
    *b = rwi_yexpr_const(0);
    switch (*kind) {
    case RW_INIT_ZEROS: case RW_INIT_HE_UNIFORM: case RW_INIT_HE_NORMAL: break;
    case RW_INIT_CONST: lo = hi = 1; break;
    case RW_INIT_XAVIER_UNIFORM: case RW_INIT_XAVIER_NORMAL: hi = 1; break;
    default: lo = 0; hi = 2; break;
    }
    if (*kind == RW_INIT_UNIFORM || *kind == RW_INIT_NORMAL)
        lo = 1;
    if (na < lo || na > hi)
        return rwi_ydiag(RW_ERR_FORMAT, n, "initializer '%s' takes %d to %d arguments, got %d", name, lo, hi, na);
    if ((*kind == RW_INIT_UNIFORM || *kind == RW_INIT_NORMAL) && na == 1) {
        *b = v[0];                                    /* uniform(r) = U(-r, r); normal(std) */
        if (*kind == RW_INIT_UNIFORM) {
            *a = v[0];
            if (a->n < Y_EXPR_MAX)
                a->t[a->n++].op = '~';
        }
    } else {
        if (na > 0)
            *a = v[0];
        if (na > 1)
            *b = v[1];
    }
    return RW_OK;
}

/* ---- the sections of a cell ----------------------------------------------------- */

static rw_status parse_dims(compile *k, const ynode *map)
{
    ycell *c = k->c;
    const ynode *d = rwi_ymap_get(map, "dims");
    c->dims[c->n_dims++] = rwi_strdup("X", "a dim");
    c->dims[c->n_dims++] = rwi_strdup("H", "a dim");
    if (!c->dims[0] || !c->dims[1])
        return RW_ERR_NOMEM;
    if (!d)
        return RW_OK;
    if (rwi_ys_expect(d, Y_SEQ, "dims") != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < d->n; i++) {
        char t[64];
        if (rwi_ys_text(k->ctx, d->vals[i], "dims", t, sizeof t, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        if (!rwi_yc_is_ident(t, false))
            return rwi_ydiag(RW_ERR_FORMAT, d->vals[i], "'%s' is not a valid dimension name", t);
        if (!strcmp(t, "X") || !strcmp(t, "H"))
            continue; /* always there: X is the input width, H the layer's size */
        if (rwi_yc_find_in(c->dims, c->n_dims, t) >= 0)
            return rwi_ydiag(RW_ERR_FORMAT, d->vals[i], "dimension '%s' is listed twice", t);
        if (c->n_dims == 2 + (int)(sizeof((rw_model_cell_opts *)0)->dims / sizeof(int)))
            return rwi_ydiag(RW_ERR_FORMAT, d->vals[i], "a cell has at most 6 dims besides X and H");
        if (!(c->dims[c->n_dims++] = rwi_strdup(t, "a dim")))
            return RW_ERR_NOMEM;
    }
    return RW_OK;
}

static rw_status parse_inputs_states(compile *k, const ynode *map)
{
    ycell *c = k->c;
    const ynode *in = rwi_ymap_get(map, "inputs"), *st = NULL;
    char t[128] = "x";
    if (in) {
        if (rwi_ys_expect(in, Y_SEQ, "inputs") != RW_OK)
            return RW_ERR_FORMAT;
        if (in->n != 1)
            return rwi_ydiag(RW_ERR_FORMAT, in, "a cell has exactly one per-step input (got %d)", in->n);
        if (rwi_ys_text(k->ctx, in->vals[0], "inputs", t, sizeof t, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        if (!rwi_yc_is_ident(t, false))
            return rwi_ydiag(RW_ERR_FORMAT, in->vals[0], "'%s' is not a valid input name", t);
        c->input_at = in->vals[0];
    }
    if (!(c->input = rwi_strdup(t, "an input name")))
        return RW_ERR_NOMEM;
    if (rwi_ys_need(map, "state", "cell", &st) != RW_OK || rwi_ys_expect(st, Y_MAP, "state") != RW_OK)
        return RW_ERR_FORMAT;
    if (st->n < 1 || st->n > RW_CELL_MAX_STATES)
        return rwi_ydiag(RW_ERR_FORMAT, st, "a cell has 1 to %d states (got %d)", RW_CELL_MAX_STATES, st->n);
    for (int i = 0; i < st->n; i++) {
        const char *name = st->keys[i]->str;
        const ynode *v = st->vals[i], *size = v;
        if (!rwi_yc_is_ident(name, false))
            return rwi_ydiag(RW_ERR_FORMAT, st->keys[i], "'%s' is not a valid state name", name);
        if (!strcmp(name, c->input) || rwi_yc_find_in(c->dims, c->n_dims, name) >= 0)
            return rwi_ydiag(RW_ERR_FORMAT, st->keys[i], "the state name '%s' is already used in cell '%s'", name,
                         c->name);
        if (v->kind == Y_MAP) {
            static const char *const keys[] = { "size", NULL };
            if (rwi_ys_keys(v, "state", keys) != RW_OK || rwi_ys_need(v, "size", "state", &size) != RW_OK)
                return RW_ERR_FORMAT;
        }
        if (rwi_ys_expr(k->ctx, size, "size", (const char *const *)c->dims, c->n_dims, &c->state_size[i]) != RW_OK)
            return RW_ERR_FORMAT;
        char prev[160];
        snprintf(prev, sizeof prev, "%s_prev", name);
        c->states[i] = rwi_strdup(name, "a state name");
        c->prev[i] = rwi_strdup(prev, "a state name");
        c->state_at[i] = st->keys[i];
        c->n_states++;
        if (!c->states[i] || !c->prev[i])
            return RW_ERR_NOMEM;
    }
    return RW_OK;
}

static rw_status parse_params(compile *k, const ynode *map)
{
    ycell *c = k->c;
    const ynode *ps = rwi_ymap_get(map, "params");
    if (!ps)
        return RW_OK;
    if (rwi_ys_expect(ps, Y_MAP, "params") != RW_OK)
        return RW_ERR_FORMAT;
    if (ps->n > RW_CELL_MAX_PARAMS)
        return rwi_ydiag(RW_ERR_FORMAT, ps, "a cell has at most %d parameters (got %d)", RW_CELL_MAX_PARAMS, ps->n);
    for (int i = 0; i < ps->n; i++) {
        static const char *const keys[] = { "shape", "init", NULL };
        const char *name = ps->keys[i]->str;
        const ynode *v = ps->vals[i], *shape;
        if (!rwi_yc_is_ident(name, true))
            return rwi_ydiag(RW_ERR_FORMAT, ps->keys[i], "'%s' is not a valid parameter name", name);
        if (rwi_yc_name_taken(k, ps->keys[i], name) != RW_OK)
            return RW_ERR_FORMAT;
        if (rwi_ys_expect(v, Y_MAP, name) != RW_OK || rwi_ys_keys(v, "params", keys) != RW_OK ||
            rwi_ys_need(v, "shape", name, &shape) != RW_OK || rwi_ys_expect(shape, Y_SEQ, "shape") != RW_OK)
            return RW_ERR_FORMAT;
        if (shape->n < 1 || shape->n > 2)
            return rwi_ydiag(RW_ERR_FORMAT, shape, "a parameter has 1 or 2 dimensions (got %d)", shape->n);
        for (int d = 0; d < shape->n; d++) {
            if (rwi_ys_expr(k->ctx, shape->vals[d], "shape", (const char *const *)c->dims, c->n_dims, &c->shape[i][d]) !=
                RW_OK)
                return RW_ERR_FORMAT;
            c->shape_at[i][d] = shape->vals[d];
        }
        c->param_nd[i] = shape->n;
        c->param_at[i] = ps->keys[i];
        c->init[i] = shape->n == 2 ? RW_INIT_XAVIER_UNIFORM : RW_INIT_ZEROS;
        c->init_a[i] = c->init_b[i] = rwi_yexpr_const(0);
        const ynode *init = rwi_ymap_get(v, "init");
        c->init_at[i] = init ? init : ps->keys[i];
        if (init && rwi_yinit_parse(k->ctx, init, "init", (const char *const *)c->dims, c->n_dims, &c->init[i],
                                &c->init_a[i], &c->init_b[i]) != RW_OK)
            return RW_ERR_FORMAT;
        if (!(c->params[i] = rwi_strdup(name, "a parameter name")))
            return RW_ERR_NOMEM;
        c->n_params++;
    }
    return RW_OK;
}

static rw_status parse_node_list(compile *k, const ynode *list, bool project, const char *what)
{
    if (rwi_ys_expect(list, Y_SEQ, what) != RW_OK)
        return RW_ERR_FORMAT;
    if (list->n == 0)
        return rwi_ydiag(RW_ERR_FORMAT, list, "'%s' needs at least one node", what);
    for (int i = 0; i < list->n; i++) {
        int idx = rwi_yc_add_node(k, list->vals[i], project, NULL);
        if (idx < 0)
            return RW_ERR_FORMAT;
        if (project)
            k->c->projection = idx; /* the last one written reaches the step */
    }
    return RW_OK;
}

/* States get their new values from the nodes named after them; the output. */
static rw_status bind_outputs(compile *k, const ynode *map)
{
    ycell *c = k->c;
    for (int s = 0; s < c->n_states; s++) {
        int j = rwi_yc_find_node(c, c->states[s]);
        if (j < 0 || c->nodes[j].project)
            return rwi_ydiag(RW_ERR_FORMAT, c->state_at[s], "state '%s' is never assigned: add a node named '%s' that "
                         "computes its new value", c->states[s], c->states[s]);
        c->state_node[s] = j;
    }
    const ynode *outs = rwi_ymap_get(map, "outputs"), *out = rwi_ymap_get(map, "output"), *at = out;
    if (outs && out)
        return rwi_ydiag(RW_ERR_FORMAT, out, "give either 'output' or 'outputs', not both");
    if (outs) {
        if (rwi_ys_expect(outs, Y_SEQ, "outputs") != RW_OK)
            return RW_ERR_FORMAT;
        if (outs->n != 1)
            return rwi_ydiag(RW_ERR_FORMAT, outs, "a cell exposes one output per step (the sequence runner takes one; "
                         "got %d)", outs->n);
        at = outs->vals[0];
    }
    char t[160];
    snprintf(t, sizeof t, "%s", c->states[0]);
    if (at && rwi_ys_text(k->ctx, at, "output", t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    int j = strchr(t, '.') ? -1 : rwi_yc_find_node(c, t);
    if (j < 0 || c->nodes[j].project)
        return rwi_ydiag(RW_ERR_FORMAT, at ? at : map, "the output '%s' of cell '%s' must be a node of the step", t,
                     c->name);
    c->output = j;
    return RW_OK;
}

/* `project` nodes run once for all steps; the step sees only the last one. */
static rw_status check_phases(compile *k)
{
    ycell *c = k->c;
    bool ids = c->projection >= 0;
    for (int i = 0; i < c->n_nodes; i++) {
        ycnode *nd = &c->nodes[i];
        for (int j = 0; j < nd->n_in; j++) {
            const yref *r = &nd->in[j];
            if (nd->project && r->kind == YREF_PREV)
                return rwi_ydiag(RW_ERR_FORMAT, r->at, "'project' nodes run once for all steps, before any state "
                             "exists: '%s' cannot be used there", c->prev[r->index]);
            if (nd->project && r->kind == YREF_NODE && !c->nodes[r->index].project)
                return rwi_ydiag(RW_ERR_FORMAT, r->at, "'project' node '%s' cannot use step node '%s'", nd->name,
                             c->nodes[r->index].name);
            if (!nd->project && r->kind == YREF_INPUT && c->projection >= 0)
                return rwi_ydiag(RW_ERR_FORMAT, r->at, "with a 'project' section the step sees the projection, not "
                             "'%s': use '%s'", c->input, c->nodes[c->projection].name);
            if (!nd->project && r->kind == YREF_NODE && c->nodes[r->index].project && r->index != c->projection)
                return rwi_ydiag(RW_ERR_FORMAT, r->at, "only the last 'project' node ('%s') reaches the step, not '%s'",
                             c->nodes[c->projection].name, c->nodes[r->index].name);
        }
        /* matmul(x, W, transpose_b: true) becomes a column lookup of W for token ids */
        bool tb = false, ta = false;
        for (int a = 0; a < nd->n_attrs; a++) {
            const char *an = nd->op->attrs[nd->attrs[a].index].name;
            double v = rwi_yexpr_eval(&nd->attrs[a].value, (int[Y_MAX_DIMS]){ 0 });
            tb |= !strcmp(an, "transpose_b") && v != 0;
            ta |= !strcmp(an, "transpose_a") && v != 0;
        }
        nd->ids_ok = nd->project && !strcmp(nd->op->name, "matmul") && nd->n_in == 2 &&
                     nd->in[0].kind == YREF_INPUT && nd->in[1].kind == YREF_PARAM && tb && !ta;
        for (int j = 0; j < nd->n_in; j++)
            if (nd->in[j].kind == YREF_INPUT && !nd->ids_ok)
                ids = false;
    }
    c->def.accepts_ids = ids;
    return RW_OK;
}

/* `nodes:` (a list) or `equations:` (a mapping); `project:` either way. */
static rw_status node_lists(yheap *h, compile *k, const ynode *map, const ynode **project, const ynode **nodes)
{
    const ynode *n = rwi_ymap_get(map, "nodes"), *e = rwi_ymap_get(map, "equations");
    if (n && e)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(map, "equations"), "give a cell either 'nodes' or 'equations', not "
                     "both");
    if (!n && !e)
        return rwi_ydiag(RW_ERR_FORMAT, k->c->at, "cell '%s' needs 'nodes:' (a list) or 'equations:' (a mapping)",
                     k->c->name);
    ynode *list;
    if (e && rwi_yc_equations_to_nodes(h, k->ctx, e, &list) != RW_OK)
        return rw_last_status();
    *nodes = e ? list : n;
    *project = rwi_ymap_get(map, "project");
    if (*project && (*project)->kind == Y_MAP) {
        if (rwi_yc_equations_to_nodes(h, k->ctx, *project, &list) != RW_OK)
            return rw_last_status();
        *project = list;
    }
    return RW_OK;
}

ycell *rwi_ycell_compile(yheap *h, const yctx *ctx, const char *name, const ynode *key, const ynode *map)
{
    ycell *c = rwi_calloc(1, sizeof *c, "a YAML cell");
    compile *k = rwi_calloc(1, sizeof *k, "a cell compiler");
    if (!c || !k)
        goto fail;
    k->c = c;
    k->ctx = ctx;
    c->ctx = *ctx;
    c->at = key;
    c->projection = -1;
    char where[160];
    snprintf(where, sizeof where, "cell '%s'", name);
    if (!(c->name = rwi_strdup(name, "a cell name")))
        goto fail;
    if (!rwi_yc_is_ident(name, false)) {
        rwi_ydiag(RW_ERR_FORMAT, key, "'%s' is not a valid cell name (letters, digits and '_')", name);
        goto fail;
    }
    if (rwi_ys_expect(map, Y_MAP, where) != RW_OK || rwi_ys_keys(map, where, cell_keys) != RW_OK)
        goto fail;
    const ynode *nodes = NULL, *project = NULL;
    if (parse_dims(k, map) != RW_OK || parse_inputs_states(k, map) != RW_OK || parse_params(k, map) != RW_OK ||
        node_lists(h, k, map, &project, &nodes) != RW_OK)
        goto fail;
    if ((project && parse_node_list(k, project, true, "project") != RW_OK) ||
        parse_node_list(k, nodes, false, "nodes") != RW_OK)
        goto fail;
    for (int i = 0; i < c->n_nodes; i++)
        if (rwi_yc_resolve(k, i) != RW_OK)
            goto fail;
    if (bind_outputs(k, map) != RW_OK || check_phases(k) != RW_OK || rwi_yc_sort_nodes(k) != RW_OK ||
        rwi_ycell_setup_def(c) != RW_OK)
        goto fail;
    rwi_free(k);
    return c;
fail:
    rwi_free(k);
    rwi_ycell_free(c);
    return NULL;
}
