/* SGD: plain, with momentum, and Nesterov (torch.optim.SGD, dampening 0). */
#include "optim_internal.h"

static void sgd_step(rw_optim *opt)
{
    const rw_real lr = (rw_real)opt->lr;
    const rw_real mu = (rw_real)opt->h.momentum;
    const bool nesterov = opt->h.nesterov;
    /* L2 decay goes into the gradient; decoupled decay scales the weights. */
    const rw_real l2 = opt->h.decoupled ? 0 : (rw_real)opt->h.weight_decay;
    const rw_real keep = opt->h.decoupled ? (rw_real)(1.0 - opt->lr * opt->h.weight_decay) : 1;
    for (int i = 0; i < opt->n_params; i++) {
        rw_real *restrict p = opt->params[i]->value->data;
        const rw_real *restrict g = opt->params[i]->grad->data;
        const size_t n = opt->params[i]->value->size;
        if (opt->n_slots == 0) {
            for (size_t k = 0; k < n; k++) {
                rw_real d = g[k] + l2 * p[k];
                p[k] = p[k] * keep - lr * d;
            }
            continue;
        }
        rw_real *restrict b = rw_optim_slot(opt, i, 0)->data;
        for (size_t k = 0; k < n; k++) {
            rw_real d = g[k] + l2 * p[k];
            b[k] = b[k] * mu + d;
            d = nesterov ? d + mu * b[k] : b[k];
            p[k] = p[k] * keep - lr * d;
        }
    }
}

static const rw_optim_rule sgd_rule = { "sgd", sgd_step };

rw_optim *rw_sgd_new(rw_params *P, const rw_sgd_opts *o)
{
    const char *ctor = "rw_sgd_new";
    rw_sgd_opts d = { .lr = 1e-3 };
    if (o) {
        d = *o;
        if (rwi_optim_check_lr(ctor, d.lr) != RW_OK)
            return NULL;
    }
    if (rwi_optim_check_unit(ctor, "momentum", d.momentum) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "weight_decay", d.weight_decay) != RW_OK)
        return NULL;
    if (d.nesterov && d.momentum == 0) {
        rw_error(RW_ERR_ARG, "%s: option 'nesterov' needs option 'momentum' > 0", ctor);
        return NULL;
    }
    rw_optim_hyper h = { .momentum = d.momentum,
                         .weight_decay = d.weight_decay,
                         .nesterov = d.nesterov,
                         .decoupled = d.decoupled_decay };
    static const char *const slots[] = { "momentum" };
    return rwi_optim_create(&sgd_rule, P, d.lr, &h, d.momentum > 0 ? 1 : 0, slots);
}
