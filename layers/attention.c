/* Additive and multiplicative attention with a source padding mask, built
 * from ops only (the tape differentiates it). */
#include <stdio.h>
#include "rewind_internal/alloc.h"
#include "rewind/attention.h"
#include "rewind/init.h"
#include "rewind/ops_batched.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_mask.h"
#include "rewind/ops_matmul.h"
#include "rewind/ops_shape.h"
#include "rewind/ops_softmax.h"

/* A score below anything a network produces: e^(this - max) is exactly 0 in
 * float and double, so masked steps get zero weight and, through rw_where,
 * zero gradient. */
#define MASKED_SCORE ((rw_real)-1e30)

struct rw_attention {
    char *name;
    rw_attention_opts o;
    rw_param *Wq, *Wk, *b, *v, *W;
};

static rw_param *add_param(rw_params *P, const char *layer, const char *what, rw_shape shape, rw_rng *rng)
{
    char name[256];
    snprintf(name, sizeof name, "%s.%s", layer, what);
    rw_param *p = rw_params_add(P, name, shape);
    if (p && shape.ndim == 2 && rw_param_init(P, p, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) != RW_OK)
        return NULL;
    return p;
}

rw_attention *rw_attention_new(rw_params *P, const char *name, const rw_attention_opts *opts, rw_rng *rng)
{
    rw_attention_opts o = opts ? *opts : (rw_attention_opts){ 0 };
    if (o.hidden == 0)
        o.hidden = o.query;
    if (!P || !name || !rng || o.query < 1 || o.key < 1 || o.hidden < 1 || o.score < RW_ATTN_ADDITIVE ||
        o.score > RW_ATTN_GENERAL) {
        rw_error(RW_ERR_ARG, "rw_attention_new('%s'): needs a store, a generator, a known score and sizes >= 1 "
                 "(query %d, key %d, hidden %d)", name ? name : "(null)", o.query, o.key, o.hidden);
        return NULL;
    }
    if (o.score == RW_ATTN_DOT && o.query != o.key) {
        rw_error(RW_ERR_SHAPE, "rw_attention_new('%s'): dot attention needs query width %d == key width %d "
                 "(use general attention for different widths)", name, o.query, o.key);
        return NULL;
    }
    rw_attention *a = rwi_calloc(1, sizeof *a, "an attention layer");
    if (!a)
        return NULL;
    a->o = o;
    a->name = rwi_strdup(name, "an attention name");
    bool ok = a->name != NULL;
    if (ok && o.score == RW_ATTN_ADDITIVE)
        ok = (a->Wq = add_param(P, name, "Wq", rw_shape2(o.hidden, o.query), rng)) &&
             (a->Wk = add_param(P, name, "Wk", rw_shape2(o.hidden, o.key), rng)) &&
             (a->b = add_param(P, name, "b", rw_shape1(o.hidden), rng)) &&
             (a->v = add_param(P, name, "v", rw_shape2(1, o.hidden), rng));
    if (ok && o.score == RW_ATTN_GENERAL)
        ok = (a->W = add_param(P, name, "W", rw_shape2(o.query, o.key), rng)) != NULL;
    if (!ok) {
        rw_attention_free(a);
        return NULL;
    }
    return a;
}

void rw_attention_free(rw_attention *a)
{
    if (!a)
        return;
    rwi_free(a->name);
    rwi_free(a);
}

const rw_attention_opts *rw_attention_options(const rw_attention *a) { return a ? &a->o : NULL; }

rw_node *rw_attention_mask(rw_graph *g, rw_node *lengths, int steps)
{
    if (!lengths || lengths->value.dtype != RW_INT32 || lengths->value.shape.ndim != 1 || steps < 1) {
        rw_error(RW_ERR_SHAPE, "rw_attention_mask: lengths must be int32 [B] and steps >= 1");
        return NULL;
    }
    int B = lengths->value.shape.dim[0];
    rw_node *m = rw_leaf_new(g, RW_REAL, rw_shape2(B, steps), false);
    for (int b = 0; m && b < B; b++) {
        int len = lengths->value.idata[b];
        if (len < 1 || len > steps) {
            rw_error(RW_ERR_SHAPE, "attention: source length %d of sequence %d is outside [1, %d]", len, b, steps);
            return NULL;
        }
        for (int s = 0; s < len; s++)
            m->value.data[(size_t)b * steps + s] = 1;
    }
    return m;
}

rw_status rw_attention_prepare(rw_graph *g, const rw_attention *a, rw_node *enc, rw_node *lengths,
                               rw_attention_memory *mem)
{
    if (!g || !a || !enc || !mem)
        return rw_error(RW_ERR_ARG, "rw_attention_prepare: NULL %s", !a ? "attention" : !enc ? "input" : "argument");
    rw_shape s = enc->value.shape;
    if (enc->value.dtype != RW_REAL || s.ndim != 3 || s.dim[2] != a->o.key) {
        char buf[64];
        return rw_error(RW_ERR_SHAPE, "attention '%s': encoder outputs %s; expected real [S, B, %d]", a->name,
                        rw_shape_str(s, buf, sizeof buf), a->o.key);
    }
    *mem = (rw_attention_memory){ .batch = s.dim[1], .steps = s.dim[0] };
    if (lengths) {
        if (lengths->value.dtype != RW_INT32 || lengths->value.size != (size_t)mem->batch)
            return rw_error(RW_ERR_SHAPE, "attention '%s': lengths must be int32 [%d]", a->name, mem->batch);
        if (!(mem->mask = rw_attention_mask(g, lengths, mem->steps)))
            return rw_last_status();
    }
    mem->values = rw_swap_axes(g, enc, 0, 1);
    switch (a->o.score) {
    case RW_ATTN_ADDITIVE: /* time-major, so the query's [B, A] broadcasts over S */
        mem->keys = rw_matmul_add(g, enc, rw_param_node(g, a->Wk), rw_param_node(g, a->b), false, true);
        break;
    case RW_ATTN_DOT:
        mem->keys = mem->values;
        break;
    case RW_ATTN_GENERAL:
        mem->keys = rw_matmul_ex(g, mem->values, rw_param_node(g, a->W), false, true);
        break;
    }
    if (!mem->values || !mem->keys) {
        rw_error_prefix("attention '%s'", a->name);
        return rw_last_status();
    }
    return RW_OK;
}

/* scores [B, S] of the query against every key */
static rw_node *scores(rw_graph *g, const rw_attention *a, const rw_attention_memory *mem, rw_node *q)
{
    int B = mem->batch, S = mem->steps;
    if (a->o.score == RW_ATTN_ADDITIVE) {
        rw_node *hid = rw_tanh(g, rw_add(g, mem->keys, rw_matmul_ex(g, q, rw_param_node(g, a->Wq), false, true)));
        rw_node *e = rw_matmul_ex(g, hid, rw_param_node(g, a->v), false, true); /* [S, B, 1] */
        return rw_transpose(g, rw_reshape(g, e, rw_shape2(S, B)));
    }
    rw_node *q3 = rw_reshape(g, q, rw_shape3(B, 1, a->o.query));
    return rw_reshape(g, rw_batched_matmul(g, q3, mem->keys, false, true), rw_shape2(B, S));
}

rw_node *rw_attention_apply(rw_graph *g, const rw_attention *a, const rw_attention_memory *mem, rw_node *q,
                            rw_node **weights)
{
    if (weights)
        *weights = NULL;
    if (!g || !a || !mem || !mem->values || !q) {
        rw_error(RW_ERR_ARG, "rw_attention_apply: NULL %s", !a ? "attention" : !q ? "query" : "memory");
        return NULL;
    }
    rw_shape qs = q->value.shape;
    if (qs.ndim != 2 || qs.dim[0] != mem->batch || qs.dim[1] != a->o.query) {
        char buf[64];
        rw_error(RW_ERR_SHAPE, "attention '%s': query %s; expected [%d, %d]", a->name, rw_shape_str(qs, buf, sizeof buf),
                 mem->batch, a->o.query);
        return NULL;
    }
    int B = mem->batch, S = mem->steps;
    rw_node *e = scores(g, a, mem, q);
    rw_node *w;
    if (mem->mask && e) {
        rw_node *low = rw_leaf_new(g, RW_REAL, rw_shape2(B, S), false), *zero = rw_leaf_new(g, RW_REAL, rw_shape2(B, S), false);
        if (!low || !zero)
            return NULL;
        rw_tensor_fill(&low->value, MASKED_SCORE);
        /* the second where keeps padded weights exactly 0 whatever softmax rounds to */
        w = rw_where(g, mem->mask, rw_softmax(g, rw_where(g, mem->mask, e, low)), zero);
    } else {
        w = rw_softmax(g, e);
    }
    rw_node *ctx = rw_reshape(g, rw_batched_matmul(g, rw_reshape(g, w, rw_shape3(B, 1, S)), mem->values, false, false),
                              rw_shape2(B, rw_node_shape(mem->values).dim[2]));
    if (!ctx) {
        rw_error_prefix("attention '%s'", a->name);
        return NULL;
    }
    if (weights)
        *weights = w;
    return ctx;
}
