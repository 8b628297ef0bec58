/* The `regularize:` section:
 *
 *     regularize:
 *       on: [lstm1]                 # recurrent layers for the hidden-state terms (default: every one)
 *       hidden_l2: 1e-4             # F72, alpha/B sum ||h_t||^2 of each layer's top outputs
 *       hidden_diff_l2: 1e-4        # F73, beta/B sum ||h_t - h_{t-1}||^2
 *       norm_stabilizer: {beta: 50} # F69 (its own `on:` is accepted too)
 *       l1: 1e-6                    # + l1 sum |w|
 *       weight_decay: {value: 1e-4, exclude: [bias, norm]}   # or a number; + wd/2 sum w^2
 */
#include <string.h>
#include "yaml/diag.h"
#include "model_internal.h"

/* Marks in `chosen` the layers `on` names (a name or a list of names); all recurrent layers without it. */
static rw_status chosen_layers(rw_model *m, const ynode *on, bool *chosen)
{
    for (int i = 0; i < m->n_layers; i++)
        chosen[i] = !on && m->layers[i].kind == ML_RNN;
    if (!on)
        return RW_OK;
    const yctx *c = &m->ctx;
    int n = on->kind == Y_SEQ ? on->n : 1;
    const char *names[M_MAX_LAYERS];
    for (int i = 0; i < m->n_layers; i++)
        names[i] = m->layers[i].name;
    for (int k = 0; k < n; k++) {
        const ynode *item = on->kind == Y_SEQ ? on->vals[k] : on;
        char name[128];
        if (rwi_ys_text(c, item, "on", name, sizeof name, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        int found = -1;
        for (int i = 0; i < m->n_layers && found < 0; i++)
            if (!strcmp(names[i], name))
                found = i;
        if (found < 0) {
            char hint[128];
            return rwi_ydiag(RW_ERR_FORMAT, item, "unknown layer '%s'%s", name,
                         rwi_ysuggest(name, names, m->n_layers, hint, sizeof hint));
        }
        if (m->layers[found].kind != ML_RNN)
            return rwi_ydiag(RW_ERR_FORMAT, item, "the hidden-state penalties apply to recurrent layers; '%s' is not one",
                         name);
        chosen[found] = true;
    }
    return RW_OK;
}

static rw_status opt_weight(const yctx *c, const ynode *map, const char *key, double *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_real(c, n, key, 0, 1e9, false, out) : RW_OK;
}

/* weight_decay: a number, or {value, exclude: [bias, norm]}. */
static rw_status weight_decay(rw_model *m, const ynode *n)
{
    static const char *const keys[] = { "value", "exclude", NULL }, *const kinds[] = { "bias", "norm", NULL };
    const yctx *c = &m->ctx;
    rw_param_penalty_opts *o = &m->param_penalty;
    if (n->kind == Y_SCALAR)
        return rwi_ys_real(c, n, "weight_decay", 0, 1e9, false, &o->l2);
    const ynode *v, *ex;
    if (rwi_ys_expect(n, Y_MAP, "weight_decay") || rwi_ys_keys(n, "weight_decay", keys) ||
        rwi_ys_need(n, "value", "weight_decay", &v) || rwi_ys_real(c, v, "value", 0, 1e9, false, &o->l2))
        return RW_ERR_FORMAT;
    if (!(ex = rwi_ymap_get(n, "exclude")))
        return RW_OK;
    int count = ex->kind == Y_SEQ ? ex->n : 1;
    for (int i = 0; i < count; i++) {
        int k;
        if (rwi_ys_enum(c, ex->kind == Y_SEQ ? ex->vals[i] : ex, "exclude", kinds, &k) != RW_OK)
            return RW_ERR_FORMAT;
        o->exclude |= k == 0 ? RW_EXCLUDE_BIAS : RW_EXCLUDE_NORM;
    }
    return RW_OK;
}

rw_status rwi_mparse_regularize(rw_model *m, const ynode *r)
{
    static const char *const keys[] = { "on", "hidden_l2", "hidden_diff_l2", "norm_stabilizer", "l1",
                                         "weight_decay", NULL };
    static const char *const nk[] = { "beta", "on", NULL };
    if (!r)
        return RW_OK;
    const yctx *c = &m->ctx;
    double l2 = 0, diff = 0, beta = 0;
    const ynode *ns = rwi_ymap_get(r, "norm_stabilizer"), *wd = rwi_ymap_get(r, "weight_decay"), *b;
    if (rwi_ys_expect(r, Y_MAP, "regularize") || rwi_ys_keys(r, "regularize", keys) ||
        opt_weight(c, r, "hidden_l2", &l2) || opt_weight(c, r, "hidden_diff_l2", &diff) ||
        opt_weight(c, r, "l1", &m->param_penalty.l1) || (wd && weight_decay(m, wd)))
        return RW_ERR_FORMAT;
    if (ns && (rwi_ys_expect(ns, Y_MAP, "norm_stabilizer") || rwi_ys_keys(ns, "norm_stabilizer", nk) ||
               rwi_ys_need(ns, "beta", "norm_stabilizer", &b) || rwi_ys_real(c, b, "beta", 0, 1e9, false, &beta)))
        return RW_ERR_FORMAT;
    bool hidden[M_MAX_LAYERS], stabilized[M_MAX_LAYERS];
    if (chosen_layers(m, rwi_ymap_get(r, "on"), hidden) != RW_OK ||
        chosen_layers(m, ns && rwi_ymap_get(ns, "on") ? rwi_ymap_get(ns, "on") : rwi_ymap_get(r, "on"), stabilized) != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < m->n_layers; i++) {
        mlayer *l = &m->layers[i];
        if (hidden[i]) {
            l->hidden_l2 = l2;
            l->hidden_diff_l2 = diff;
        }
        if (stabilized[i])
            l->norm_stabilizer = beta;
    }
    return RW_OK;
}
