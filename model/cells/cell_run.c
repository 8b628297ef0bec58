/* Running a compiled YAML cell: the rw_cell_def callbacks. declare adds the
 * parameters and tries one step on a tiny batch, so shapes that cannot
 * connect are reported when the model is built, at the node's position.
 * step interprets the nodes in topological order with rw_apply, so the cell
 * runs through the same sequence runner as the built-in cells. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/gate_probe.h"
#include "cell_graph.h"
#include "yaml/diag.h"
#include "rewind/ops_gather_columns.h"
#include "rewind/ops_shape.h"

static ycell *of(const rw_cell *c) { return (ycell *)rw_cell_definition(c); }

rw_status rwi_ycell_dims(const ycell *yc, int X, int H, const rw_model_cell_opts *o, int *dims)
{
    dims[0] = X;
    dims[1] = H;
    for (int i = 2; i < yc->n_dims; i++) {
        int v = o ? o->dims[i - 2] : 0;
        if (v < 1)
            return rw_error(RW_ERR_ARG, "cell '%s' needs a value >= 1 for its dim '%s' (the layer's 'dims:', or "
                            "rw_model_cell_opts from C), got %d", yc->name, yc->dims[i], v);
        dims[i] = v;
    }
    return RW_OK;
}

static rw_status cell_dims(const rw_cell *c, int *dims)
{
    return rwi_ycell_dims(of(c), rw_cell_input_size(c), rw_cell_hidden(c), rw_cell_opts(c), dims);
}

static const char *dims_note(const ycell *yc, const int *dims, char *buf, size_t len)
{
    size_t at = 0;
    for (int i = 0; i < yc->n_dims; i++) {
        int w = snprintf(buf + at, len - at, "%s%s = %d%s", i ? ", " : "here ", yc->dims[i], dims[i],
                         i == 0 ? " (the input width)" : i == 1 ? " (the layer's size)" : "");
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
    return buf;
}

/* Keeps the message of a failure inside rw_cell_new, which prefixes it. */
static rw_status pend(ycell *yc)
{
    snprintf(yc->pending, sizeof yc->pending, "%s", rw_last_error());
    yc->pending_status = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_FORMAT;
    return yc->pending_status;
}

/* An integer size from an expression, or an error at `at`. */
static rw_status eval_size(const ycell *yc, const yexpr *e, const int *dims, const ynode *at, const char *what,
                           int *out)
{
    double v = rwi_yexpr_eval(e, dims);
    if (!(v >= 1) || v != floor(v) || v > 1e9) {
        char note[300];
        return rwi_ydiag_note(RW_ERR_FORMAT, at, NULL, dims_note(yc, dims, note, sizeof note),
                          "%s of cell '%s' is %g; sizes must be whole numbers >= 1", what, yc->name, v);
    }
    *out = (int)v;
    return RW_OK;
}

/* ---- interpreting the nodes -------------------------------------------------------- */

static rw_status node_error(const ycell *yc, const yinst *in, const ycnode *nd)
{
    char base[700], note[300];
    snprintf(base, sizeof base, "%s", rw_last_error());
    rw_status st = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_SHAPE;
    const ynode *at = rwi_ymap_get(nd->at, "op");
    return rwi_ydiag_note(st, at ? at : nd->at, NULL, dims_note(yc, in->dims, note, sizeof note), "%s node '%s' of cell "
                      "'%s': %s", st == RW_ERR_SHAPE ? "shapes cannot connect in" : "cannot compute", nd->name,
                      yc->name, base);
}

/* Evaluates the project nodes (project) or the step nodes into env. */
static rw_status eval(rw_graph *g, const rw_cell *c, const ycell *yc, const yinst *in, rw_node *x, rw_node **state,
                      bool project, rw_node **env)
{
    rw_node *pn[RW_CELL_MAX_PARAMS] = { 0 };
    for (int i = 0; i < yc->n_nodes; i++) {
        const ycnode *nd = &yc->nodes[i];
        if (nd->project != project)
            continue;
        rw_node *args[YC_MAX_INPUTS];
        for (int j = 0; j < nd->n_in; j++) {
            const yref *r = &nd->in[j];
            switch (r->kind) {
            case YREF_INPUT: args[j] = x; break;
            case YREF_PARAM:
                if (!pn[r->index])
                    pn[r->index] = rw_p(g, c, yc->params[r->index]);
                args[j] = pn[r->index];
                break;
            case YREF_PREV: args[j] = state[r->index]; break;
            case YREF_NODE: args[j] = env[r->index]; break;
            case YREF_CONST: args[j] = rw_scalar_const(g, (rw_real)r->value); break;
            }
        }
        rw_node *y;
        if (nd->op == &rwi_ycell_dropout_op)
            y = rwi_ycell_dropout(g, c, yc, i, args[0], in->attrs[i]);
        else if (nd->ids_ok && x && x->value.dtype == RW_INT32)
            y = rw_gather_columns(g, args[1], args[0]); /* = one_hot(ids) W^T */
        else
            y = rw_apply(g, nd->op, args, nd->n_in, in->attrs[i]);
        if (!y)
            return node_error(yc, in, nd);
        env[i] = y;
    }
    return RW_OK;
}

static const yinst *find_inst(const ycell *yc, const int *dims)
{
    for (const yinst *in = yc->inst; in; in = in->next)
        if (memcmp(in->dims, dims, (size_t)yc->n_dims * sizeof *dims) == 0)
            return in;
    return NULL;
}

static const yinst *inst_of(const rw_cell *c)
{
    int dims[Y_MAX_DIMS];
    if (cell_dims(c, dims) != RW_OK)
        return NULL;
    const yinst *in = find_inst(of(c), dims);
    if (!in)
        rw_error(RW_ERR_STATE, "cell '%s' was not declared for these sizes", of(c)->name);
    return in;
}

static rw_node **new_env(rw_graph *g, const ycell *yc)
{
    return rw_arena_calloc(rw_graph_arena(g), (size_t)yc->n_nodes * sizeof(rw_node *));
}

static rw_node *yproject(rw_graph *g, const rw_cell *c, rw_node *xs)
{
    const ycell *yc = of(c);
    const yinst *in = inst_of(c);
    rw_node **env = in ? new_env(g, yc) : NULL;
    if (!env || eval(g, c, yc, in, xs, NULL, true, env) != RW_OK)
        return NULL;
    return env[yc->projection];
}

static rw_node *ystep(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    const ycell *yc = of(c);
    const yinst *in = inst_of(c);
    rw_node **env = in ? new_env(g, yc) : NULL;
    if (!env)
        return NULL;
    if (yc->projection >= 0)
        env[yc->projection] = x;
    if (eval(g, c, yc, in, x, state, false, env) != RW_OK)
        return NULL;
    for (int k = 0; k < yc->n_states; k++)
        state[k] = env[yc->state_node[k]];
    for (int k = 0; k < yc->n_gates; k++) { /* counted only while a run asks (rw_run_opts.gate_saturation) */
        const rw_node *gate = env[yc->gate_node[k]];
        rwi_cell_note_gate(c, gate, 0, rw_shape_last(gate->value.shape), k, yc->nodes[yc->gate_node[k]].name,
                           RWI_GATE_SIGMOID);
    }
    return env[yc->output];
}

/* ---- declaring: parameters, attribute blocks, a trial step -------------------------- */

static rw_status make_attrs(ycell *yc, yinst *in)
{
    if (!(in->attrs = rwi_calloc((size_t)yc->n_nodes, sizeof *in->attrs, "attribute blocks")))
        return RW_ERR_NOMEM;
    for (int i = 0; i < yc->n_nodes; i++) {
        const ycnode *nd = &yc->nodes[i];
        const rw_op_def *op = nd->op;
        if (!op->attr_size)
            continue;
        if (!(in->attrs[i] = rwi_calloc(1, op->attr_size, "an attribute block")))
            return RW_ERR_NOMEM;
        rw_op_default_attrs(op, in->attrs[i]);
        for (int a = 0; a < nd->n_attrs; a++) {
            const rw_attr_def *ad = &op->attrs[nd->attrs[a].index];
            double v = rwi_yexpr_eval(&nd->attrs[a].value, in->dims);
            if (!isfinite(v) || (ad->type == RW_ATTR_INT && (v != floor(v) || fabs(v) > 1e9))) {
                char note[300];
                return rwi_ydiag_note(RW_ERR_FORMAT, nd->attrs[a].at, NULL, dims_note(yc, in->dims, note, sizeof note),
                                  "attribute '%s' of node '%s' is %g; it must be %s", ad->name, nd->name, v,
                                  ad->type == RW_ATTR_INT ? "a whole number" : "finite");
            }
            if (rw_op_set_attr(op, in->attrs[i], ad->name, v) != RW_OK)
                return rwi_ydiag(RW_ERR_FORMAT, nd->attrs[a].at, "%s", rw_last_error());
            if (op == &rwi_ycell_dropout_op && !strcmp(ad->name, "p") && !(v >= 0 && v < 1))
                return rwi_ydiag(RW_ERR_FORMAT, nd->attrs[a].at, "the drop probability p of node '%s' is %g; it "
                                 "must be in [0, 1)", nd->name, v);
        }
    }
    return RW_OK;
}

static rw_node *trial_leaf(rw_graph *g, rw_shape s)
{
    rw_node *n = rw_leaf_new(g, RW_REAL, s, false);
    for (size_t i = 0; n && i < n->value.size; i++)
        n->value.data[i] = (rw_real)(0.1 + 0.01 * (double)(i % 7));
    return n;
}

/* One step on a batch of 2 (and a projection over 2 steps): checks every
 * shape and learns the output width. */
static rw_status trial(rw_cell *c, ycell *yc, yinst *in)
{
    enum { B = 2 };
    rw_graph *g = rw_graph_new();
    if (!g)
        return RW_ERR_NOMEM;
    rw_graph_set_training(g, false); /* shapes only: dropout nodes are the identity */
    rw_status st = RW_ERR_NOMEM;
    char note[300], b1[64], b2[64];
    rw_node **env = new_env(g, yc), *state[RW_CELL_MAX_STATES], *x;
    if (!env)
        goto done;
    if (yc->projection >= 0) {
        rw_node *xs = trial_leaf(g, rw_shape3(2, B, in->dims[0]));
        if ((st = eval(g, c, yc, in, xs, NULL, true, env)) != RW_OK)
            goto done;
        x = rw_index0(g, env[yc->projection], 0);
        env = new_env(g, yc);
        if (!x || !env) {
            st = node_error(yc, in, &yc->nodes[yc->projection]);
            goto done;
        }
        env[yc->projection] = x;
    } else {
        x = trial_leaf(g, rw_shape2(B, in->dims[0]));
    }
    int sizes[RW_CELL_MAX_STATES];
    for (int k = 0; k < yc->n_states; k++) {
        sizes[k] = rw_cell_state_size(c, k);
        if (!(state[k] = trial_leaf(g, rw_shape2(B, sizes[k]))))
            goto done;
    }
    if ((st = eval(g, c, yc, in, x, state, false, env)) != RW_OK)
        goto done;
    for (int k = 0; k < yc->n_states; k++) {
        const rw_node *v = env[yc->state_node[k]];
        if (v->value.dtype != RW_REAL || !rw_shape_equal(v->value.shape, rw_shape2(B, sizes[k]))) {
            st = rwi_ydiag_note(RW_ERR_SHAPE, yc->nodes[yc->state_node[k]].at, NULL, dims_note(yc, in->dims, note,
                            sizeof note), "node '%s' gives state '%s' the shape %s, but the state is [B, %d] "
                            "(here %s)", yc->states[k], yc->states[k], rw_shape_str(v->value.shape, b1, sizeof b1),
                            sizes[k], rw_shape_str(rw_shape2(B, sizes[k]), b2, sizeof b2));
            goto done;
        }
    }
    const rw_node *out = env[yc->output];
    if (out->value.dtype != RW_REAL || out->value.shape.ndim != 2 || out->value.shape.dim[0] != B) {
        st = rwi_ydiag_note(RW_ERR_SHAPE, yc->nodes[yc->output].at, NULL, dims_note(yc, in->dims, note, sizeof note),
                        "the output '%s' of cell '%s' must be real [B, width]; here it is %s (B = %d)",
                        yc->nodes[yc->output].name, yc->name, rw_shape_str(out->value.shape, b1, sizeof b1), B);
        goto done;
    }
    in->out_width = out->value.shape.dim[1];
    st = RW_OK;
done:
    rw_graph_free(g);
    return st;
}

static rw_status ydeclare(rw_cell *c, rw_rng *rng)
{
    ycell *yc = of(c);
    int dims[Y_MAX_DIMS];
    yc->pending[0] = '\0';
    yc->pending_status = RW_OK;
    if (cell_dims(c, dims) != RW_OK)
        return pend(yc);
    for (int k = 0; k < yc->n_states; k++) {
        char what[200];
        int size;
        snprintf(what, sizeof what, "the size of state '%s'", yc->states[k]);
        if (eval_size(yc, &yc->state_size[k], dims, yc->state_at[k], what, &size) != RW_OK)
            return pend(yc);
    }
    for (int p = 0; p < yc->n_params; p++) {
        rw_shape sh = { .ndim = yc->param_nd[p] };
        char what[200];
        snprintf(what, sizeof what, "dimension %%d of parameter '%s'", yc->params[p]);
        for (int d = 0; d < sh.ndim; d++) {
            char w[220];
            snprintf(w, sizeof w, what, d + 1);
            if (eval_size(yc, &yc->shape[p][d], dims, yc->shape_at[p][d], w, &sh.dim[d]) != RW_OK)
                return pend(yc);
        }
        rw_init init = rw_init_of(yc->init[p], rwi_yexpr_eval(&yc->init_a[p], dims), rwi_yexpr_eval(&yc->init_b[p], dims));
        if (!rw_cell_param(c, yc->params[p], sh, init, rng)) {
            char base[600];
            snprintf(base, sizeof base, "%s", rw_last_error());
            rwi_ydiag(RW_ERR_FORMAT, yc->init_at[p], "cannot make parameter '%s' of cell '%s': %s", yc->params[p],
                  yc->name, base);
            return pend(yc);
        }
    }
    if (find_inst(yc, dims))
        return RW_OK; /* the same sizes were checked before */
    yinst *in = rwi_calloc(1, sizeof *in, "a cell instance");
    if (!in)
        return pend(yc);
    memcpy(in->dims, dims, sizeof in->dims);
    in->next = yc->inst;
    yc->inst = in;
    if (make_attrs(yc, in) != RW_OK || trial(c, yc, in) != RW_OK) {
        yc->inst = in->next;
        for (int i = 0; in->attrs && i < yc->n_nodes; i++)
            rwi_free(in->attrs[i]);
        rwi_free(in->attrs);
        rwi_free(in);
        return pend(yc);
    }
    return RW_OK;
}

static int ystate_size(const rw_cell *c, int i)
{
    const ycell *yc = of(c);
    int dims[Y_MAX_DIMS];
    if (cell_dims(c, dims) != RW_OK || i < 0 || i >= yc->n_states)
        return 0;
    double v = rwi_yexpr_eval(&yc->state_size[i], dims);
    return v >= 1 && v == floor(v) && v < 1e9 ? (int)v : 0;
}

static int youtput_size(const rw_cell *c)
{
    const yinst *in = inst_of(c);
    return in ? in->out_width : 0;
}

rw_status rwi_ycell_setup_def(ycell *c)
{
    c->def.name = c->name;
    c->def.n_states = c->n_states;
    c->def.opts_size = sizeof(rw_model_cell_opts); /* its own dims */
    c->def.declare = ydeclare;
    c->def.state_size = ystate_size;
    c->def.output_size = youtput_size;
    c->def.project = c->projection >= 0 ? yproject : NULL;
    c->def.step = ystep;
    c->def.begin_run = c->n_dropout ? rwi_ycell_begin_run : NULL;
    c->def.end_run = c->n_dropout ? rwi_ycell_end_run : NULL;
    c->n_gates = 0; /* a named sigmoid of the step is a gate, for saturation diagnostics */
    for (int i = 0; i < c->n_nodes && c->n_gates < RW_GATES_MAX; i++)
        if (c->nodes[i].named && !c->nodes[i].project && !strcmp(c->nodes[i].op->name, "sigmoid"))
            c->gate_node[c->n_gates++] = i;
    return RW_OK;
}

void rwi_ycell_free(ycell *c)
{
    if (!c)
        return;
    for (yinst *in = c->inst, *next; in; in = next) {
        next = in->next;
        for (int i = 0; in->attrs && i < c->n_nodes; i++)
            rwi_free(in->attrs[i]);
        rwi_free(in->attrs);
        rwi_free(in);
    }
    for (int i = 0; i < c->n_nodes; i++) {
        rwi_free(c->nodes[i].name);
        rwi_free(c->nodes[i].attrs);
    }
    rwi_free(c->nodes);
    for (int i = 0; i < c->n_dims; i++)
        rwi_free(c->dims[i]);
    for (int i = 0; i < c->n_states; i++) {
        rwi_free(c->states[i]);
        rwi_free(c->prev[i]);
    }
    for (int i = 0; i < c->n_params; i++)
        rwi_free(c->params[i]);
    rwi_free(c->input);
    rwi_free(c->name);
    rwi_free(c);
}
