/* L1 and L2 penalties over a parameter store, leaving out biases and
 * normalization parameters on request (weight decay usually should not
 * pull a forget-gate bias or a layer-norm gain towards 0). */
#include <math.h>
#include <string.h>
#include "rewind/regularize.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_norm.h"
#include "rewind/ops_reduce.h"

static const char *last_part(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

bool rw_param_is_bias(const char *name)
{
    const char *p = last_part(name);
    return !strcmp(p, "b") || !strcmp(p, "c") || !strcmp(p, "bias") || !strncmp(p, "b_", 2);
}

bool rw_param_is_norm(const char *name)
{
    size_t n = strlen(name);
    if (n >= 4 && !strcmp(name + n - 4, "gain"))
        return true;
    for (const char *p = name; p; p = strchr(p, '.'), p = p ? p + 1 : NULL)
        if (!strncmp(p, "ln_", 3))
            return true;
    return false;
}

static rw_node *add(rw_graph *g, rw_node *total, rw_node *term)
{
    return total ? rw_add(g, total, term) : term;
}

rw_status rw_param_penalty(rw_graph *g, rw_params *P, const rw_param_penalty_opts *o, rw_node **out)
{
    if (!out)
        return rw_error(RW_ERR_ARG, "rw_param_penalty: NULL output");
    *out = NULL;
    if (!g || !P || !o)
        return rw_error(RW_ERR_ARG, "rw_param_penalty: needs a graph, a parameter store and options");
    if (!(o->l1 >= 0 && o->l2 >= 0 && isfinite(o->l1) && isfinite(o->l2)))
        return rw_error(RW_ERR_ARG, "rw_param_penalty: l1 (%g) and l2 (%g) must be finite and >= 0", o->l1, o->l2);
    if (o->l1 == 0 && o->l2 == 0)
        return RW_OK;
    rw_node *total = NULL;
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_param *p = rw_params_at(P, i);
        if (((o->exclude & RW_EXCLUDE_BIAS) && rw_param_is_bias(p->name)) ||
            ((o->exclude & RW_EXCLUDE_NORM) && rw_param_is_norm(p->name)))
            continue;
        rw_node *w = rw_param_node(g, p);
        if (o->l2 > 0)
            total = add(g, total, rw_scale(g, rw_l2_penalty(g, w), o->l2 / 2));
        if (o->l1 > 0)
            total = add(g, total, rw_scale(g, rw_sum(g, rw_abs(g, w)), o->l1));
        if (!total)
            return rw_last_status();
    }
    *out = total;
    return RW_OK;
}
