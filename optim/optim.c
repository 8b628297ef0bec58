/* The optimizer object: construction, the checked step, accessors, state. */
#include <stdint.h>
#include <stdio.h>
#include "rewind_internal/alloc.h"
#include "optim_internal.h"

rw_status rwi_optim_check_lr(const char *ctor, double lr)
{
    if (!(lr > 0) || !isfinite(lr))
        return rw_error(RW_ERR_ARG, "%s: option 'lr' is %g; the learning rate must be > 0 and finite",
                        ctor, lr);
    return RW_OK;
}

rw_status rwi_optim_check_unit(const char *ctor, const char *field, double v)
{
    if (!(v >= 0 && v < 1))
        return rw_error(RW_ERR_ARG, "%s: option '%s' is %g; it must be in [0, 1)", ctor, field, v);
    return RW_OK;
}

rw_status rwi_optim_check_nonneg(const char *ctor, const char *field, double v)
{
    if (!(v >= 0) || !isfinite(v))
        return rw_error(RW_ERR_ARG, "%s: option '%s' is %g; it must be >= 0 and finite", ctor, field, v);
    return RW_OK;
}

rw_optim *rwi_optim_create(const rw_optim_rule *rule, rw_params *P, double lr, const rw_optim_hyper *h,
                          int n_slots, const char *const *slot_names)
{
    if (!P) {
        rw_error(RW_ERR_ARG, "rw_%s_new: NULL parameter store", rule->name);
        return NULL;
    }
    rw_optim *opt = rwi_calloc(1, sizeof *opt, "an optimizer");
    if (!opt)
        return NULL;
    opt->rule = rule;
    opt->P = P;
    opt->lr = lr;
    opt->h = *h;
    opt->n_slots = n_slots;
    opt->n_params = rw_params_count(P);
    size_t n_state = (size_t)opt->n_params * (size_t)n_slots;
    opt->params = rwi_calloc((size_t)opt->n_params, sizeof *opt->params, "the optimizer's parameter list");
    opt->state = rwi_calloc(n_state, sizeof *opt->state, "the optimizer's state list");
    opt->state_names = rwi_calloc(n_state, sizeof *opt->state_names, "the optimizer's state names");
    if (!opt->params || !opt->state || !opt->state_names) {
        rw_optim_free(opt);
        return NULL;
    }
    for (int i = 0; i < opt->n_params; i++) {
        rw_param *p = rw_params_at(P, i);
        opt->params[i] = p;
        for (int s = 0; s < n_slots; s++) {
            size_t k = (size_t)i * (size_t)n_slots + (size_t)s;
            size_t len = strlen(rule->name) + strlen(slot_names[s]) + strlen(p->name) + 3;
            opt->state_names[k] = rwi_malloc(len, "an optimizer state name");
            opt->state[k] = rw_tensor_new(RW_REAL, p->value->shape);
            if (!opt->state_names[k] || !opt->state[k]) {
                rw_optim_free(opt);
                return NULL;
            }
            snprintf(opt->state_names[k], len, "%s.%s/%s", rule->name, slot_names[s], p->name);
        }
    }
    return opt;
}

void rw_optim_free(rw_optim *opt)
{
    if (!opt)
        return;
    size_t n_state = (size_t)opt->n_params * (size_t)opt->n_slots;
    for (size_t k = 0; k < n_state; k++) {
        if (opt->state)
            rw_tensor_free(opt->state[k]);
        if (opt->state_names)
            rwi_free(opt->state_names[k]);
    }
    rwi_free(opt->state);
    rwi_free(opt->state_names);
    rwi_free(opt->params);
    rwi_free(opt);
}

/* Index of the first non-finite element, or n if there is none. The scan
 * tests exponent bits with integer operations so it vectorizes; the exact
 * index is only looked for once something is found. */
static size_t first_non_finite(const rw_real *x, size_t n)
{
#ifdef RW_DOUBLE
    const uint64_t exp_mask = 0x7FF0000000000000ULL;
    uint64_t bits, bad = 0;
#else
    const uint32_t exp_mask = 0x7F800000U;
    uint32_t bits, bad = 0;
#endif
    for (size_t i = 0; i < n; i++) {
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (bits & exp_mask) == exp_mask;
    }
    if (!bad)
        return n;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

rw_status rw_optim_step(rw_optim *opt)
{
    if (!opt)
        return rw_error(RW_ERR_ARG, "rw_optim_step: NULL optimizer");
    if (rw_params_count(opt->P) != opt->n_params)
        return rw_error(RW_ERR_STATE,
                        "rw_optim_step: the parameter store has %d parameters but the %s optimizer was "
                        "made for %d; make the optimizer after adding every parameter",
                        rw_params_count(opt->P), opt->rule->name, opt->n_params);
    for (int i = 0; i < opt->n_params; i++) {
        const rw_tensor *g = opt->params[i]->grad;
        size_t at = first_non_finite(g->data, g->size);
        if (at < g->size) {
            rw_error(RW_ERR_NUMERIC,
                     "rw_optim_step (%s): parameter '%s' has a non-finite gradient (%g at element %zu); "
                     "no update made, gradients zeroed",
                     opt->rule->name, opt->params[i]->name, (double)g->data[at], at);
            rw_params_zero_grad(opt->P);
            return RW_ERR_NUMERIC;
        }
    }
    opt->rule->step(opt);
    opt->steps++;
    rw_params_zero_grad(opt->P);
    return RW_OK;
}

rw_status rw_optim_set_lr(rw_optim *opt, double lr)
{
    if (!opt)
        return rw_error(RW_ERR_ARG, "rw_optim_set_lr: NULL optimizer");
    if (!(lr >= 0) || !isfinite(lr))
        return rw_error(RW_ERR_ARG, "rw_optim_set_lr: learning rate %g; it must be >= 0 and finite", lr);
    opt->lr = lr;
    return RW_OK;
}

double rw_optim_lr(const rw_optim *opt) { return opt ? opt->lr : 0; }

long rw_optim_steps(const rw_optim *opt) { return opt ? opt->steps : 0; }

rw_status rw_optim_set_steps(rw_optim *opt, long steps)
{
    if (!opt)
        return rw_error(RW_ERR_ARG, "rw_optim_set_steps: NULL optimizer");
    if (steps < 0)
        return rw_error(RW_ERR_ARG, "rw_optim_set_steps: %ld steps; the count must be >= 0", steps);
    opt->steps = steps;
    return RW_OK;
}

const char *rw_optim_name(const rw_optim *opt) { return opt ? opt->rule->name : "(null)"; }

rw_params *rw_optim_params(const rw_optim *opt) { return opt ? opt->P : NULL; }

int rw_optim_state_count(const rw_optim *opt) { return opt ? opt->n_params * opt->n_slots : 0; }

rw_tensor *rw_optim_state_at(const rw_optim *opt, int i, const char **name)
{
    if (!opt || i < 0 || i >= opt->n_params * opt->n_slots) {
        if (name)
            *name = NULL;
        return NULL;
    }
    if (name)
        *name = opt->state_names[i];
    return opt->state[i];
}
