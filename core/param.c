/* The named parameter store. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/param.h"

struct rw_params {
    rw_param **items;
    int count, cap;
    bool skip_init; /* values will be restored: initializers need not run */
    bool borrowed;  /* the values are another store's (rw_params_share_values) */
};

rw_params *rw_params_new(void) { return rwi_calloc(1, sizeof(rw_params), "a parameter store"); }

static void param_free(rw_param *p, bool borrowed)
{
    if (!p)
        return;
    rwi_free(p->name);
    if (!borrowed)
        rw_tensor_free(p->value);
    rw_tensor_free(p->grad);
    rwi_free(p);
}

void rw_params_free(rw_params *P)
{
    if (!P)
        return;
    for (int i = 0; i < P->count; i++)
        param_free(P->items[i], P->borrowed);
    rwi_free(P->items);
    rwi_free(P);
}

rw_param *rw_params_add(rw_params *P, const char *name, rw_shape shape)
{
    if (!P || !name || !name[0]) {
        rw_error(RW_ERR_ARG, "rw_params_add: %s", !P ? "NULL store" : "a parameter needs a name");
        return NULL;
    }
    for (int i = 0; i < P->count; i++)
        if (strcmp(P->items[i]->name, name) == 0) {
            rw_error(RW_ERR_ARG, "rw_params_add: a parameter named '%s' already exists", name);
            return NULL;
        }
    if (rw_shape_check(shape) != RW_OK) {
        rw_error_prefix("parameter '%s'", name);
        return NULL;
    }
    if (P->count == P->cap) {
        int cap = P->cap ? P->cap * 2 : 16;
        rw_param **grown = rwi_realloc(P->items, (size_t)cap * sizeof *grown, "the parameter list");
        if (!grown)
            return NULL;
        P->items = grown;
        P->cap = cap;
    }
    if (P->borrowed) {
        rw_error(RW_ERR_ARG, "rw_params_add: '%s': the store shares another store's values (rw_params_share_values) "
                 "and takes no new parameters", name);
        return NULL;
    }
    rw_param *p = rwi_calloc(1, sizeof *p, "a parameter");
    if (!p)
        return NULL;
    p->name = rwi_strdup(name, "a parameter name");
    p->value = rw_tensor_new(RW_REAL, shape);
    p->grad = rw_tensor_new(RW_REAL, shape);
    if (!p->name || !p->value || !p->grad) {
        param_free(p, false);
        return NULL;
    }
    p->index = P->count;
    P->items[P->count++] = p;
    return p;
}

rw_param *rw_params_get(const rw_params *P, const char *name)
{
    for (int i = 0; P && name && i < P->count; i++)
        if (strcmp(P->items[i]->name, name) == 0)
            return P->items[i];
    rw_error(RW_ERR_ARG, "no parameter named '%s'", name ? name : "(null)");
    return NULL;
}

int rw_params_count(const rw_params *P) { return P ? P->count : 0; }

rw_param *rw_params_at(const rw_params *P, int i) { return P && i >= 0 && i < P->count ? P->items[i] : NULL; }

size_t rw_params_size(const rw_params *P)
{
    size_t n = 0;
    for (int i = 0; P && i < P->count; i++)
        n += P->items[i]->value->size;
    return n;
}

void rw_params_zero_grad(rw_params *P)
{
    for (int i = 0; P && i < P->count; i++)
        memset(P->items[i]->grad->data, 0, P->items[i]->grad->size * sizeof(rw_real));
}

void rw_params_set_skip_init(rw_params *P, bool skip)
{
    if (P)
        P->skip_init = skip;
}

bool rw_params_skip_init(const rw_params *P) { return P && P->skip_init; }

rw_status rw_params_share_values(rw_params *replica, rw_params *master)
{
    if (!replica || !master || replica == master)
        return rw_error(RW_ERR_ARG, "rw_params_share_values: %s", replica && replica == master ? "a store cannot "
                        "share its own values" : "NULL store");
    if (replica->borrowed)
        return rw_error(RW_ERR_ARG, "rw_params_share_values: the replica already shares another store's values");
    if (replica->count != master->count)
        return rw_error(RW_ERR_SHAPE, "rw_params_share_values: the replica has %d parameters, the store it would "
                        "share %d (was it built from the same model?)", replica->count, master->count);
    for (int i = 0; i < master->count; i++) {
        const rw_param *r = replica->items[i], *m = master->items[i];
        char a[64], b[64];
        if (strcmp(r->name, m->name) != 0 || !rw_shape_equal(r->value->shape, m->value->shape))
            return rw_error(RW_ERR_SHAPE, "rw_params_share_values: parameter %d is '%s' %s in the replica but '%s' "
                            "%s in the store it would share (was it built from the same model?)", i, r->name,
                            rw_shape_str(r->value->shape, a, sizeof a), m->name,
                            rw_shape_str(m->value->shape, b, sizeof b));
    }
    for (int i = 0; i < master->count; i++) {
        rw_tensor_free(replica->items[i]->value);
        replica->items[i]->value = master->items[i]->value;
    }
    replica->borrowed = true;
    return RW_OK;
}
