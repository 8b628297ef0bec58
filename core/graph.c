/* The tape: graph lifetime, leaves, backward. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "graph_internal.h"
#include "rewind_internal/graph_memo.h"
#include "rewind_internal/graph_child.h"
#include "rewind_internal/backward.h"
#include "rewind/op.h"
#include "rewind/param.h"

rw_graph *rw_graph_new(void)
{
    rw_graph *g = rwi_calloc(1, sizeof *g, "a graph");
    if (!g)
        return NULL;
    g->arena = rw_arena_new(1 << 20);
    if (!g->arena) {
        rwi_free(g);
        return NULL;
    }
    g->training = true;
    g->recycle = true;
    return g;
}

void rw_graph_free(rw_graph *g)
{
    if (!g)
        return;
    rw_graph_free(g->child);
    rw_arena_free(g->arena);
    rwi_free(g);
}

void rw_graph_reset(rw_graph *g)
{
    rw_arena_reset(g->arena);
    g->last = NULL;
    g->count = 0;
    g->backward_done = false;
    g->deferred = NULL;
    g->n_buckets = 0;
    g->backward_status = RW_OK;
    g->n_memo = 0;
}

void *rwi_graph_memo(const rw_graph *g, const void *key, int kind)
{
    for (int i = 0; i < g->n_memo; i++)
        if (g->memo[i].key == key && g->memo[i].kind == kind)
            return g->memo[i].value;
    return NULL;
}

bool rwi_graph_memo_room(const rw_graph *g) { return g->n_memo < (int)(sizeof g->memo / sizeof g->memo[0]); }

bool rwi_graph_memo_put(rw_graph *g, const void *key, int kind, void *value)
{
    if (!rwi_graph_memo_room(g))
        return false;
    g->memo[g->n_memo++] = (struct graph_memo){ key, kind, value };
    return true;
}

void rw_graph_set_training(rw_graph *g, bool training) { g->training = training; }
bool rw_graph_is_training(const rw_graph *g) { return g->training; }

rw_status rw_graph_set_batch_shard(rw_graph *g, int first, int count, int total)
{
    if (!g)
        return rw_error(RW_ERR_ARG, "rw_graph_set_batch_shard: NULL graph");
    if (count == 0 && total == 0 && first == 0) {
        g->shard_first = g->shard_count = g->shard_total = 0;
        return RW_OK;
    }
    if (first < 0 || count < 1 || total < 1 || first > total - count)
        return rw_error(RW_ERR_ARG, "rw_graph_set_batch_shard: columns %d to %d of a batch of %d do not fit (it "
                        "needs 0 <= first, 1 <= count and first + count <= total)", first, first + count - 1, total);
    g->shard_first = first;
    g->shard_count = count;
    g->shard_total = total;
    return RW_OK;
}

bool rw_graph_batch_shard(const rw_graph *g, int *first, int *count, int *total)
{
    bool on = g && g->shard_count > 0;
    if (first)
        *first = on ? g->shard_first : 0;
    if (count)
        *count = on ? g->shard_count : 0;
    if (total)
        *total = on ? g->shard_total : 0;
    return on;
}
rw_arena *rw_graph_arena(rw_graph *g) { return g->arena; }
int rw_graph_node_count(const rw_graph *g) { return g->count; }

size_t rw_graph_high_water(const rw_graph *g)
{
    if (!g)
        return 0;
    return rw_arena_get_stats(g->arena).high_water + rw_graph_high_water(g->child);
}

rw_graph *rwi_graph_child(rw_graph *g)
{
    if (!g->child && !(g->child = rw_graph_new()))
        return NULL;
    rw_graph_reset(g->child);
    g->child->training = g->training;
    g->child->shard_first = g->shard_first;
    g->child->shard_count = g->shard_count;
    g->child->shard_total = g->shard_total;
    g->child->recycle = g->recycle;
    return g->child;
}

void rwi_backward_fail(rw_graph *g, rw_status status)
{
    if (g->backward_status == RW_OK)
        g->backward_status = status != RW_OK ? status : RW_ERR_NOMEM;
}

rw_node *rwi_graph_push(rw_graph *g)
{
    rw_node *n = rw_arena_calloc(g->arena, sizeof *n);
    if (!n)
        return NULL;
    n->graph = g;
    n->prev = g->last;
    n->id = g->count++;
    g->last = n;
    return n;
}

static rw_node *leaf(rw_graph *g, const rw_tensor *t, bool needs_grad, const char *who)
{
    if (!g || !t) {
        rw_error(RW_ERR_ARG, "%s: NULL %s", who, g ? "tensor" : "graph");
        return NULL;
    }
    if (needs_grad && t->dtype != RW_REAL) {
        rw_error(RW_ERR_ARG, "%s: an int32 tensor cannot carry a gradient", who);
        return NULL;
    }
    rw_node *n = rwi_graph_push(g);
    if (!n)
        return NULL;
    n->value = *t;
    n->value.owns = false;
    n->needs_grad = needs_grad;
    return n;
}

rw_node *rw_const(rw_graph *g, const rw_tensor *t) { return leaf(g, t, false, "rw_const"); }
rw_node *rw_var(rw_graph *g, const rw_tensor *t) { return leaf(g, t, true, "rw_var"); }

rw_node *rw_leaf_new(rw_graph *g, rw_dtype dtype, rw_shape shape, bool needs_grad)
{
    if (rw_shape_check(shape) != RW_OK)
        return NULL;
    rw_tensor t = { .dtype = dtype, .shape = shape, .size = rw_shape_size(shape) };
    size_t bytes = t.size * (dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t));
    void *data = rw_arena_calloc(g->arena, bytes);
    if (!data)
        return NULL;
    if (dtype == RW_REAL)
        t.data = data;
    else
        t.idata = data;
    return leaf(g, &t, needs_grad, "rw_leaf_new");
}

rw_node *rw_const_copy(rw_graph *g, const rw_tensor *t)
{
    if (!t) {
        rw_error(RW_ERR_ARG, "rw_const_copy: NULL tensor");
        return NULL;
    }
    rw_node *n = rw_leaf_new(g, t->dtype, t->shape, false);
    if (n)
        rw_tensor_copy(&n->value, t);
    return n;
}

rw_node *rw_scalar_const(rw_graph *g, rw_real v)
{
    rw_node *n = rw_leaf_new(g, RW_REAL, rw_shape_scalar(), false);
    if (n)
        n->value.data[0] = v;
    return n;
}

rw_node *rw_param_node(rw_graph *g, rw_param *p)
{
    if (!p) {
        rw_error(RW_ERR_ARG, "rw_param_node: NULL parameter");
        return NULL;
    }
    rw_node *n = leaf(g, p->value, true, "rw_param_node");
    if (!n)
        return NULL;
    n->grad = p->grad->data; /* the leaf's gradient is the parameter's own buffer */
    n->param = p;
    n->label = p->name;
    return n;
}

void *rw_node_temp(rw_node *n, size_t bytes) { return rw_arena_alloc(n->graph->arena, bytes); }

/* A view (an op with view_offset: a window onto input 0's value) whose
 * input takes a gradient gets the matching window of that gradient as its
 * own: its consumers add straight into the input's gradient, so the view
 * needs no zero-filled buffer and its backward (which would add the window
 * into the input's gradient) is skipped. Not for a node whose gradient is
 * read later on its own (keep_grad). */
static bool grad_is_window(const rw_node *n)
{
    return n->grad && n->op && n->op->view_offset && n->in[0]->grad &&
           n->grad == n->in[0]->grad + n->op->view_offset(n);
}

/* A zero-filled gradient buffer for node n, or its input's window (above). */
static rw_real *new_grad(rw_graph *g, rw_node *n)
{
    if (n->op && n->op->view_offset && !n->keep_grad && n->value.dtype == RW_REAL &&
        n->in[0]->value.dtype == RW_REAL && n->in[0]->needs_grad) {
        rw_node *base = n->in[0];
        if (!base->grad && !(base->grad = new_grad(g, base)))
            return NULL;
        return base->grad + n->op->view_offset(n);
    }
    return rwi_graph_buffer(g, n->value.size * sizeof(rw_real), true);
}

void rwi_backward_release_grad(rw_node *n)
{
    if (!n->grad || n->param)
        return;
    if (grad_is_window(n)) {
        n->grad = NULL;
        n->keep_grad = false;
        return;
    }
    rwi_graph_give_back(n->graph, n->grad, n->value.size * sizeof(rw_real));
    n->grad = NULL;
    n->keep_grad = false;
}

static rw_status run_backward(rw_graph *g, rw_node *out)
{
    for (rw_node *n = out; n; n = n->prev) {
        if (!n->op || !n->grad || !n->needs_grad || !n->op->backward)
            continue;
        for (int i = 0; i < n->n_in; i++) {
            rw_node *in = n->in[i];
            bool diff = i >= 32 || !(n->op->nondiff & (1u << i));
            if (diff && in->needs_grad && !in->grad && !(in->grad = new_grad(g, in)))
                return rw_last_status();
        }
        if (grad_is_window(n)) { /* already in the input's gradient */
            n->grad = NULL;
            continue;
        }
        n->op->backward(n);
        /* Passed on to the inputs: this gradient is dead unless deferred work reads it. */
        if (!n->keep_grad && !n->param) {
            rwi_graph_give_back(g, n->grad, n->value.size * sizeof(rw_real));
            n->grad = NULL;
        }
    }
    /* Finish postponed work in the order it was first postponed. */
    rw_defer *rev = NULL;
    while (g->deferred) {
        rw_defer *d = g->deferred;
        g->deferred = d->next;
        d->next = rev;
        rev = d;
    }
    for (rw_defer *d = rev; d; d = d->next)
        d->run(d, g);
    return g->backward_status;
}

void rw_backward_defer(rw_graph *g, rw_defer *d)
{
    d->next = g->deferred;
    g->deferred = d;
}

rw_defer *rw_backward_find_deferred(rw_graph *g, void (*run)(rw_defer *, rw_graph *), const void *key)
{
    for (rw_defer *d = g->deferred; d; d = d->next)
        if (d->run == run && d->key == key)
            return d;
    return NULL;
}

rw_status rw_backward_seeded(rw_graph *g, rw_node *out, const rw_real *seed)
{
    if (!g || !out || !seed)
        return rw_error(RW_ERR_ARG, "rw_backward: NULL %s", !g ? "graph" : !out ? "output node" : "seed");
    if (out->graph != g)
        return rw_error(RW_ERR_ARG, "rw_backward: the node belongs to another graph");
    if (g->backward_done)
        return rw_error(RW_ERR_STATE,
                        "rw_backward: already run on this graph since the last rw_graph_reset "
                        "(gradients would be counted twice)");
    if (out->value.dtype != RW_REAL)
        return rw_error(RW_ERR_ARG, "rw_backward: the output is an int32 tensor");
    g->backward_done = true;
    if (!out->needs_grad)
        return RW_OK; /* nothing trainable reaches this output */
    if (!out->grad) {
        out->grad = rw_arena_calloc(g->arena, out->value.size * sizeof(rw_real));
        if (!out->grad)
            return rw_last_status();
    }
    for (size_t i = 0; i < out->value.size; i++)
        out->grad[i] += seed[i];
    return run_backward(g, out);
}

rw_status rw_backward(rw_graph *g, rw_node *loss)
{
    if (loss && loss->value.size != 1) {
        char b[64];
        return rw_error(RW_ERR_SHAPE, "rw_backward: the loss must be a scalar, got shape %s",
                        rw_shape_str(loss->value.shape, b, sizeof b));
    }
    const rw_real one = 1;
    return rw_backward_seeded(g, loss, &one);
}

const rw_tensor *rw_node_value(const rw_node *n) { return n ? &n->value : NULL; }
const rw_real *rw_node_grad(const rw_node *n) { return n ? n->grad : NULL; }
rw_shape rw_node_shape(const rw_node *n) { return n ? n->value.shape : rw_shape_scalar(); }

rw_real rw_scalar(const rw_node *n)
{
    if (!n || n->value.size == 0)
        return 0;
    return n->value.dtype == RW_REAL ? n->value.data[0] : (rw_real)n->value.idata[0];
}

rw_node *rw_node_label(rw_node *n, const char *label)
{
    if (n)
        n->label = label;
    return n;
}

static void print_node(FILE *f, const rw_node *n)
{
    if (!n)
        return;
    print_node(f, n->prev);
    char b[64];
    fprintf(f, "%4d %-16s %-12s %s%s", n->id, n->op ? n->op->name : n->param ? "param" : "leaf",
            n->label ? n->label : "", rw_shape_str(n->value.shape, b, sizeof b),
            n->value.dtype == RW_INT32 ? " int32" : "");
    for (int i = 0; i < n->n_in; i++)
        fprintf(f, "%s%d", i ? ", " : "  <- ", n->in[i]->id);
    fprintf(f, "\n");
}

void rw_graph_print(FILE *f, const rw_graph *g)
{
    /* Recursion depth equals the node count; fine for debugging-sized graphs. */
    if (g->count > 100000) {
        fprintf(f, "(graph of %d nodes)\n", g->count);
        return;
    }
    print_node(f, g->last);
}
