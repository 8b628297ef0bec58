/* Recording an op on the tape: validate, allocate, compute forward. */
#include <string.h>
#include "graph_internal.h"
#include "rewind/op.h"

rw_node *rw_apply(rw_graph *g, const rw_op_def *def, rw_node *const *inputs, int n_inputs,
                  const void *attrs)
{
    /* A NULL input means an earlier call failed: keep its message. */
    for (int i = 0; i < n_inputs; i++)
        if (!inputs || !inputs[i]) {
            if (rw_last_status() == RW_OK)
                rw_error(RW_ERR_ARG, "op '%s': input %d is NULL", def ? def->name : "?", i);
            return NULL;
        }
    if (!g || !def) {
        rw_error(RW_ERR_ARG, "rw_apply: NULL %s", g ? "op" : "graph");
        return NULL;
    }
    if ((def->arity != RW_VARIADIC && n_inputs != def->arity) ||
        (def->arity == RW_VARIADIC && n_inputs < def->min_arity)) {
        rw_error(RW_ERR_ARG, "op '%s' takes %s%d input%s, got %d", def->name,
                 def->arity == RW_VARIADIC ? "at least " : "",
                 def->arity == RW_VARIADIC ? def->min_arity : def->arity,
                 (def->arity == RW_VARIADIC ? def->min_arity : def->arity) == 1 ? "" : "s", n_inputs);
        return NULL;
    }
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i]->graph != g) {
            rw_error(RW_ERR_ARG, "op '%s': input %d belongs to another graph (or to a step "
                     "before rw_graph_reset)", def->name, i);
            return NULL;
        }
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i]->released) {
            rw_error(RW_ERR_ARG, "op '%s': input %d (node %d, op '%s') was released by the layer that made it "
                     "(an intermediate of a cell step; only the step's output and states can be used)",
                     def->name, i, inputs[i]->id, inputs[i]->op ? inputs[i]->op->name : "leaf");
            return NULL;
        }

    rw_arena *arena = g->arena;
    rw_node **in = rw_arena_alloc(arena, (size_t)(n_inputs ? n_inputs : 1) * sizeof *in);
    void *attr_copy = NULL;
    if (!in)
        return NULL;
    memcpy(in, inputs, (size_t)n_inputs * sizeof *in);
    if (def->attr_size) {
        attr_copy = rw_arena_alloc(arena, def->attr_size);
        if (!attr_copy)
            return NULL;
        if (attrs)
            memcpy(attr_copy, attrs, def->attr_size);
        else
            rw_op_default_attrs(def, attr_copy);
    }

    /* Validate on a probe node before anything goes on the tape. */
    rw_node probe = { .op = def, .in = in, .n_in = n_inputs, .attrs = attr_copy, .graph = g };
    rw_shape shape = { 0 };
    rw_dtype dtype = RW_REAL;
    if (def->shape(&probe, &shape, &dtype) != RW_OK)
        return NULL;
    if (rw_shape_check(shape) != RW_OK) {
        rw_error_prefix("op '%s'", def->name);
        return NULL;
    }

    rw_node *n = rwi_graph_push(g);
    if (!n)
        return NULL;
    n->op = def;
    n->in = in;
    n->n_in = n_inputs;
    n->attrs = attr_copy;
    n->value.dtype = dtype;
    n->value.shape = shape;
    n->value.size = rw_shape_size(shape);
    if (def->view_offset) { /* a window onto input 0: no storage of its own */
        size_t at = def->view_offset(n);
        if (dtype != in[0]->value.dtype || at + n->value.size > in[0]->value.size) {
            rw_error(RW_ERR_ARG, "op '%s': its view does not fit inside its input", def->name);
            return NULL;
        }
        if (dtype == RW_REAL)
            n->value.data = in[0]->value.data + at;
        else
            n->value.idata = in[0]->value.idata + at;
    } else {
        size_t bytes = n->value.size * (dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t));
        void *data = rwi_graph_buffer(g, bytes, !def->fills_output);
        if (!data)
            return NULL;
        if (dtype == RW_REAL)
            n->value.data = data;
        else
            n->value.idata = data;
    }
    if (def->scratch_bytes) {
        size_t sb = def->scratch_bytes(n);
        if (sb && !(n->scratch = rw_arena_calloc(arena, sb)))
            return NULL;
    }
    for (int i = 0; i < n_inputs; i++) {
        bool diff = i >= 32 || !(def->nondiff & (1u << i));
        if (diff && in[i]->needs_grad && def->backward)
            n->needs_grad = true;
    }
    if (dtype != RW_REAL)
        n->needs_grad = false;
    rwi_graph_pin_reads(n);
    if (!def->view_offset)
        def->forward(n);
    return n;
}

rw_status rw_shape_same_as_input(const rw_node *n, rw_shape *out, rw_dtype *out_dtype)
{
    if (n->n_in < 1 || n->in[0]->value.dtype != RW_REAL)
        return rw_error(RW_ERR_SHAPE, "op '%s' expects a real input", n->op->name);
    *out = n->in[0]->value.shape;
    *out_dtype = RW_REAL;
    return RW_OK;
}
