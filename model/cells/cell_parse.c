/* model/cells/ - the compiler of recurrent cells written in YAML: the node
 * form (cell_parse), the equation form compiled into nodes
 * (cell_equations), a cell's sections (cell_sections), and running the
 * compiled cell as an rw_cell_def (cell_run). cell_graph.h is what the rest
 * of model/ sees.
 *
 * Compiling a YAML cell (node form) into a ycell: names resolved, ops found
 * in the registry, arities and attributes checked, nodes sorted
 * topologically, cycles that no state breaks reported with their path. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "cell_compile.h"
#include "yaml/diag.h"

/* Letters, digits and '_' (and '.' inside parameter names, as "ln_x.gain"). */
bool rwi_yc_is_ident(const char *s, bool dots)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && !(dots && *s == '.'))
            return false;
    return true;
}

/* ---- the names a node input may refer to ------------------------------------ */


int rwi_yc_find_node(const ycell *c, const char *name)
{
    for (int i = 0; i < c->n_nodes; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return i;
    return -1;
}

int rwi_yc_find_in(char *const *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return i;
    return -1;
}

int rwi_ycell_dim_index(const ycell *c, const char *name) { return rwi_yc_find_in(c->dims, c->n_dims, name); }

rw_status rwi_yc_name_taken(compile *k, const ynode *at, const char *name)
{
    ycell *c = k->c;
    const char *what = NULL;
    if (strcmp(name, c->input) == 0)
        what = "the cell's input";
    else if (rwi_yc_find_in(c->params, c->n_params, name) >= 0)
        what = "a parameter";
    else if (rwi_yc_find_in(c->prev, c->n_states, name) >= 0)
        what = "the previous value of a state";
    else if (rwi_yc_find_in(c->dims, c->n_dims, name) >= 0)
        what = "a dimension";
    else if (rwi_yc_find_node(c, name) >= 0)
        what = "another node";
    if (what)
        return rwi_ydiag(RW_ERR_FORMAT, at, "the name '%s' is already used by %s in cell '%s'", name, what, c->name);
    return RW_OK;
}


static rw_status node_inputs(compile *k, int idx, const ynode *in, bool project)
{
    ycell *c = k->c;
    if (rwi_ys_expect(in, Y_SEQ, "in") != RW_OK)
        return RW_ERR_FORMAT;
    if (in->n > YC_MAX_INPUTS)
        return rwi_ydiag(RW_ERR_FORMAT, in, "a node takes at most %d inputs", YC_MAX_INPUTS);
    for (int i = 0; i < in->n; i++) {
        const ynode *item = in->vals[i];
        yref r = { .kind = YREF_NODE, .at = item, .index = -1 };
        if (item->kind == Y_MAP) {
            char auto_name[160];
            snprintf(auto_name, sizeof auto_name, "%s.in%d", c->nodes[idx].name, i + 1);
            int j = rwi_yc_add_node(k, item, project, auto_name);
            if (j < 0)
                return RW_ERR_FORMAT;
            r.index = j;
        } else if (item->kind == Y_SCALAR && !rwi_yis_null(item)) {
            char t[256];
            bool q = false;
            if (rwi_ys_text(k->ctx, item, "in", t, sizeof t, &q) != RW_OK)
                return RW_ERR_FORMAT;
            char *end;
            double v = strtod(t, &end);
            if (!q && end != t && !*end) {
                r.kind = YREF_CONST;
                r.value = v;
            } else {
                k->pending[idx][i] = item;
            }
        } else {
            return rwi_ydiag(RW_ERR_FORMAT, item, "a node input is a name, a number or a node {op: ..., in: [...]}");
        }
        c->nodes[idx].in[i] = r;
    }
    c->nodes[idx].n_in = in->n;
    return RW_OK;
}

static rw_status node_attrs(compile *k, ycnode *nd, const ynode *map)
{
    const rw_op_def *op = nd->op;
    for (int i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->str;
        if (!strcmp(key, "name") || !strcmp(key, "op") || !strcmp(key, "in"))
            continue;
        int a = -1;
        const char *names[32];
        int n_names = 0;
        for (int j = 0; j < op->n_attrs; j++) {
            if (n_names < 32)
                names[n_names++] = op->attrs[j].name;
            if (strcmp(op->attrs[j].name, key) == 0)
                a = j;
        }
        if (a < 0) {
            char hint[128], list[300] = "";
            size_t at = 0;
            for (int j = 0; j < n_names; j++) {
                int w = snprintf(list + at, sizeof list - at, "%s%s", j ? ", " : "", names[j]);
                if (w > 0 && (size_t)w < sizeof list - at)
                    at += (size_t)w;
            }
            return rwi_ydiag(RW_ERR_FORMAT, map->keys[i], "op '%s' has no attribute '%s' (%s%s)%s", op->name, key,
                         n_names ? "attributes: " : "it has none", list, rwi_ysuggest(key, names, n_names, hint, sizeof hint));
        }
        yattr *y = &nd->attrs[nd->n_attrs++];
        y->index = a;
        y->at = map->vals[i];
        if (op->attrs[a].type == RW_ATTR_BOOL) {
            bool b;
            if (rwi_ys_bool(k->ctx, map->vals[i], key, &b) != RW_OK)
                return RW_ERR_FORMAT;
            y->value = rwi_yexpr_const(b ? 1 : 0);
        } else if (rwi_ys_expr(k->ctx, map->vals[i], key, (const char *const *)k->c->dims, k->c->n_dims, &y->value) !=
                   RW_OK) {
            return RW_ERR_FORMAT;
        }
    }
    return RW_OK;
}

/* Adds the node written as `map` (and its inline inputs); returns its index or -1. */
int rwi_yc_add_node(compile *k, const ynode *map, bool project, const char *auto_name)
{
    ycell *c = k->c;
    if (rwi_ys_expect(map, Y_MAP, "node") != RW_OK)
        return -1;
    const ynode *name_n = rwi_ymap_get(map, "name"), *op_n = NULL, *in_n = rwi_ymap_get(map, "in");
    if (rwi_ys_need(map, "op", "node", &op_n) != RW_OK)
        return -1;
    char name[160], opname[128];
    if (name_n) {
        if (rwi_ys_text(k->ctx, name_n, "name", name, sizeof name, NULL) != RW_OK)
            return -1;
        if (!rwi_yc_is_ident(name, false))
            return rwi_ydiag(RW_ERR_FORMAT, name_n, "'%s' is not a valid node name (letters, digits and '_')", name), -1;
        if (rwi_yc_name_taken(k, name_n, name) != RW_OK)
            return -1;
    } else if (auto_name) {
        snprintf(name, sizeof name, "%s", auto_name);
    } else {
        rwi_ydiag(RW_ERR_FORMAT, map, "a node of cell '%s' needs a 'name'", c->name);
        return -1;
    }
    if (rwi_ys_text(k->ctx, op_n, "op", opname, sizeof opname, NULL) != RW_OK)
        return -1;
    const rw_op_def *op = rw_op_find(opname);
    if (!op && !strcmp(opname, rwi_ycell_dropout_op.name)) {
        op = &rwi_ycell_dropout_op;
        c->n_dropout++;
    }
    if (!op) {
        const char *names[256];
        int n = rw_op_count() < 256 ? rw_op_count() : 256;
        for (int i = 0; i < n; i++)
            names[i] = rw_op_at(i)->name;
        char hint[128];
        rwi_ydiag(RW_ERR_FORMAT, op_n, "unknown op '%s'%s (`rewind ops` lists the registered ops; register C ops "
              "before loading)", opname, rwi_ysuggest(opname, names, n, hint, sizeof hint));
        return -1;
    }
    if (c->n_nodes == YC_MAX_NODES) {
        rwi_ydiag(RW_ERR_FORMAT, map, "cell '%s' has too many nodes (at most %d)", c->name, YC_MAX_NODES);
        return -1;
    }
    if (c->n_nodes == c->n_alloc) {
        int cap = c->n_alloc ? c->n_alloc * 2 : 16;
        ycnode *grown = rwi_realloc(c->nodes, (size_t)cap * sizeof *grown, "cell nodes");
        if (!grown)
            return -1;
        c->nodes = grown;
        c->n_alloc = cap;
    }
    int idx = c->n_nodes++;
    ycnode *nd = &c->nodes[idx];
    memset(nd, 0, sizeof *nd);
    nd->at = map;
    nd->op = op;
    nd->project = project;
    nd->named = name_n != NULL;
    memset(k->pending[idx], 0, sizeof k->pending[idx]);
    if (!(nd->name = rwi_strdup(name, "a node name")))
        return -1;
    if (!(nd->attrs = rwi_calloc((size_t)map->n, sizeof *nd->attrs, "node attributes")))
        return -1;
    if (node_attrs(k, nd, map) != RW_OK)
        return -1;
    if (!in_n)
        return rwi_ydiag(RW_ERR_FORMAT, map, "node '%s' needs its inputs: 'in: [...]'", name), -1;
    if (node_inputs(k, idx, in_n, project) != RW_OK)
        return -1;
    nd = &c->nodes[idx]; /* inline inputs may have moved the array */
    int n_in = nd->n_in;
    if ((op->arity >= 0 && n_in != op->arity) || (op->arity < 0 && n_in < op->min_arity)) {
        rwi_ydiag(RW_ERR_FORMAT, in_n, "op '%s' takes %s%d input%s, got %d", op->name, op->arity < 0 ? "at least " : "",
              op->arity < 0 ? op->min_arity : op->arity, (op->arity < 0 ? op->min_arity : op->arity) == 1 ? "" : "s",
              n_in);
        return -1;
    }
    return idx;
}

/* ---- resolving names, sorting, checking -------------------------------------- */

rw_status rwi_yc_resolve(compile *k, int idx)
{
    ycell *c = k->c;
    for (int i = 0; i < c->nodes[idx].n_in; i++) {
        const ynode *item = k->pending[idx][i];
        if (!item)
            continue;
        yref *r = &c->nodes[idx].in[i];
        char t[256];
        if (rwi_ys_text(k->ctx, item, "in", t, sizeof t, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        int j;
        if (strcmp(t, c->input) == 0) {
            r->kind = YREF_INPUT;
        } else if ((j = rwi_yc_find_in(c->params, c->n_params, t)) >= 0) {
            r->kind = YREF_PARAM;
            r->index = j;
        } else if ((j = rwi_yc_find_in(c->prev, c->n_states, t)) >= 0) {
            r->kind = YREF_PREV;
            r->index = j;
        } else if ((j = rwi_yc_find_node(c, t)) >= 0 && !strchr(t, '.')) {
            r->index = j;
        } else {
            const char *names[600];
            int n = 0;
            names[n++] = c->input;
            for (int p = 0; p < c->n_params; p++)
                names[n++] = c->params[p];
            for (int s = 0; s < c->n_states; s++)
                names[n++] = c->prev[s];
            for (int q = 0; q < c->n_nodes && n < 600; q++)
                if (!strchr(c->nodes[q].name, '.'))
                    names[n++] = c->nodes[q].name;
            char hint[128];
            return rwi_ydiag(RW_ERR_FORMAT, item, "unknown input name '%s' in node '%s' (not the input, a parameter, "
                         "a <state>_prev or a node of cell '%s')%s", t, c->nodes[idx].name, c->name,
                         rwi_ysuggest(t, names, n, hint, sizeof hint));
        }
    }
    return RW_OK;
}

typedef struct sorter {
    compile *k;
    char *color;     /* 0 new, 1 on the path, 2 done */
    int *order, n_order;
    int *path, n_path;
} sorter;

/* The cycle is path[start..] followed by r->index again. When it goes
 * through a node named after a state, that node is reported (the usual
 * mistake is writing 'h' for 'h_prev'). */
static rw_status cycle_error(sorter *s, int from, const yref *r)
{
    ycell *c = s->k->c;
    int start = 0;
    while (start < s->n_path && s->path[start] != r->index)
        start++;
    int len = s->n_path - start, focus = 0;
    for (int i = 0; i < len; i++)
        if (rwi_yc_find_in(c->states, c->n_states, c->nodes[s->path[start + i]].name) >= 0) {
            focus = i;
            break;
        }
    /* the reference into the focus node: from its predecessor on the cycle */
    const yref *ref = r;
    if (focus > 0) {
        const ycnode *pred = &c->nodes[s->path[start + focus - 1]];
        for (int j = 0; j < pred->n_in; j++)
            if (pred->in[j].kind == YREF_NODE && pred->in[j].index == s->path[start + focus])
                ref = &pred->in[j];
    }
    char path[400] = "";
    size_t at = 0;
    for (int i = 0; i <= len; i++) {
        int w = snprintf(path + at, sizeof path - at, "%s%s", i ? " -> " : "",
                         c->nodes[s->path[start + (focus + i) % len]].name);
        if (w > 0 && (size_t)w < sizeof path - at)
            at += (size_t)w;
    }
    const char *target = c->nodes[s->path[start + focus]].name;
    bool is_state = rwi_yc_find_in(c->states, c->n_states, target) >= 0;
    char note[200];
    snprintf(note, sizeof note, "did you mean '%s_prev' (the previous value of state '%s')?", target, target);
    (void)from;
    return rwi_ydiag_note(RW_ERR_FORMAT, ref->at, NULL, is_state ? note : NULL,
                      "'%s' depends on itself without passing through a state: %s", target, path);
}

static rw_status visit(sorter *s, int i)
{
    ycell *c = s->k->c;
    if (s->color[i] == 2)
        return RW_OK;
    s->color[i] = 1;
    s->path[s->n_path++] = i;
    for (int j = 0; j < c->nodes[i].n_in; j++) {
        const yref *r = &c->nodes[i].in[j];
        if (r->kind != YREF_NODE)
            continue;
        if (s->color[r->index] == 1)
            return cycle_error(s, i, r);
        if (visit(s, r->index) != RW_OK)
            return RW_ERR_FORMAT;
    }
    s->n_path--;
    s->color[i] = 2;
    s->order[s->n_order++] = i;
    return RW_OK;
}

/* Puts the nodes in evaluation order (the written order where it allows). */
rw_status rwi_yc_sort_nodes(compile *k)
{
    ycell *c = k->c;
    int n = c->n_nodes;
    sorter s = { .k = k };
    s.color = rwi_calloc((size_t)n, 1, "a sort");
    s.order = rwi_calloc((size_t)n, sizeof *s.order, "a sort");
    s.path = rwi_calloc((size_t)n, sizeof *s.path, "a sort");
    int *where = rwi_calloc((size_t)n, sizeof *where, "a sort");
    ycnode *sorted = rwi_calloc((size_t)n, sizeof *sorted, "a sort");
    rw_status st = s.color && s.order && s.path && where && sorted ? RW_OK : RW_ERR_NOMEM;
    for (int i = 0; i < n && st == RW_OK; i++)
        st = visit(&s, i);
    if (st == RW_OK) {
        for (int i = 0; i < n; i++)
            where[s.order[i]] = i;
        for (int i = 0; i < n; i++) {
            sorted[i] = c->nodes[s.order[i]];
            for (int j = 0; j < sorted[i].n_in; j++)
                if (sorted[i].in[j].kind == YREF_NODE)
                    sorted[i].in[j].index = where[sorted[i].in[j].index];
        }
        memcpy(c->nodes, sorted, (size_t)n * sizeof *sorted);
        for (int i = 0; i < c->n_states; i++)
            c->state_node[i] = where[c->state_node[i]];
        c->output = where[c->output];
        if (c->projection >= 0)
            c->projection = where[c->projection];
    }
    rwi_free(s.color);
    rwi_free(s.order);
    rwi_free(s.path);
    rwi_free(where);
    rwi_free(sorted);
    return st;
}

