/* Linear and embedding layers, and one-hot encoding. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_matmul.h"
#include "rewind/ops_shape.h"

static rw_param *named_param(rw_params *P, const char *layer, const char *what, rw_shape shape)
{
    char name[256];
    snprintf(name, sizeof name, "%s.%s", layer, what);
    return rw_params_add(P, name, shape);
}

rw_linear *rw_linear_new(rw_params *P, const char *name, int in, int out, rw_rng *rng)
{
    if (!P || !name || in < 1 || out < 1 || !rng) {
        rw_error(RW_ERR_ARG, "rw_linear_new('%s'): needs a store, a generator and sizes >= 1 (got %d -> %d)",
                 name ? name : "(null)", in, out);
        return NULL;
    }
    rw_linear *l = rwi_calloc(1, sizeof *l, "a linear layer");
    if (!l)
        return NULL;
    l->in = in;
    l->out = out;
    l->W = named_param(P, name, "W", rw_shape2(out, in));
    l->b = l->W ? named_param(P, name, "b", rw_shape1(out)) : NULL;
    if (!l->b || rw_param_init(P, l->W, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) != RW_OK) {
        rwi_free(l);
        return NULL;
    }
    return l;
}

rw_node *rw_linear_apply(rw_graph *g, const rw_linear *l, rw_node *x)
{
    if (!l) {
        rw_error(RW_ERR_ARG, "rw_linear_apply: NULL layer");
        return NULL;
    }
    return rw_matmul_add(g, x, rw_param_node(g, l->W), rw_param_node(g, l->b), false, true);
}

void rw_linear_free(rw_linear *l) { rwi_free(l); }

rw_embedding *rw_embedding_new(rw_params *P, const char *name, int vocab, int dim, rw_rng *rng)
{
    if (!P || !name || vocab < 1 || dim < 1 || !rng) {
        rw_error(RW_ERR_ARG, "rw_embedding_new('%s'): needs a store, a generator and sizes >= 1 (got %d x %d)",
                 name ? name : "(null)", vocab, dim);
        return NULL;
    }
    rw_embedding *e = rwi_calloc(1, sizeof *e, "an embedding layer");
    if (!e)
        return NULL;
    e->vocab = vocab;
    e->dim = dim;
    e->E = named_param(P, name, "E", rw_shape2(vocab, dim));
    if (!e->E || rw_param_init(P, e->E, rw_init_of(RW_INIT_NORMAL, 0, 1), rng) != RW_OK) {
        rwi_free(e);
        return NULL;
    }
    return e;
}

rw_node *rw_embedding_apply(rw_graph *g, const rw_embedding *e, rw_node *ids)
{
    if (!e) {
        rw_error(RW_ERR_ARG, "rw_embedding_apply: NULL layer");
        return NULL;
    }
    return rw_gather(g, rw_param_node(g, e->E), ids);
}

void rw_embedding_free(rw_embedding *e) { rwi_free(e); }

rw_node *rw_one_hot(rw_graph *g, rw_node *ids, int depth)
{
    if (!ids)
        return NULL;
    if (ids->value.dtype != RW_INT32 || ids->value.shape.ndim >= RW_MAX_DIMS || depth < 1) {
        char b[64];
        rw_error(RW_ERR_SHAPE, "rw_one_hot: needs int32 ids of rank < %d and depth >= 1, got %s %s, depth %d",
                 RW_MAX_DIMS, ids->value.dtype == RW_INT32 ? "int32" : "real",
                 rw_shape_str(ids->value.shape, b, sizeof b), depth);
        return NULL;
    }
    rw_shape s = ids->value.shape;
    s.dim[s.ndim++] = depth;
    for (size_t i = 0; i < ids->value.size; i++)
        if (ids->value.idata[i] >= depth) {
            rw_error(RW_ERR_SHAPE, "rw_one_hot: id %d at position %zu is not below the depth %d",
                     (int)ids->value.idata[i], i, depth);
            return NULL;
        }
    rw_node *n = rw_leaf_new(g, RW_REAL, s, false);
    if (!n)
        return NULL;
    for (size_t i = 0; i < ids->value.size; i++)
        if (ids->value.idata[i] >= 0)
            n->value.data[i * (size_t)depth + (size_t)ids->value.idata[i]] = 1;
    return n;
}
