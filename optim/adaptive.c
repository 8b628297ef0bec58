/* AdaGrad and RMSProp: per-element learning rates from squared gradients
 * (torch.optim.Adagrad and torch.optim.RMSprop), with PyTorch's order of
 * operations (addcmul: s + (value * a) * b; addcdiv: p + (value * a) / b). */
#include "optim_internal.h"

static void adagrad_step(rw_optim *opt)
{
    const rw_real lr = (rw_real)opt->lr;
    const rw_real eps = (rw_real)opt->h.eps;
    const rw_real wd = (rw_real)opt->h.weight_decay;
    for (int i = 0; i < opt->n_params; i++) {
        rw_real *restrict p = opt->params[i]->value->data;
        const rw_real *restrict g = opt->params[i]->grad->data;
        rw_real *restrict s = rw_optim_slot(opt, i, 0)->data;
        const size_t n = opt->params[i]->value->size;
        for (size_t k = 0; k < n; k++) {
            rw_real d = g[k] + wd * p[k];
            s[k] = s[k] + d * d;
            p[k] = p[k] - lr * d / (RW_OSQRT(s[k]) + eps);
        }
    }
}

static void rmsprop_step(rw_optim *opt)
{
    const rw_real lr = (rw_real)opt->lr;
    const rw_real eps = (rw_real)opt->h.eps;
    const rw_real wd = (rw_real)opt->h.weight_decay;
    const rw_real alpha = (rw_real)opt->h.alpha, one_minus_alpha = (rw_real)(1.0 - opt->h.alpha);
    const rw_real mu = (rw_real)opt->h.momentum;
    for (int i = 0; i < opt->n_params; i++) {
        rw_real *restrict p = opt->params[i]->value->data;
        const rw_real *restrict g = opt->params[i]->grad->data;
        rw_real *restrict a = rw_optim_slot(opt, i, 0)->data;
        const size_t n = opt->params[i]->value->size;
        if (opt->n_slots == 1) {
            for (size_t k = 0; k < n; k++) {
                rw_real d = g[k] + wd * p[k];
                a[k] = a[k] * alpha + one_minus_alpha * d * d;
                p[k] = p[k] - lr * d / (RW_OSQRT(a[k]) + eps);
            }
            continue;
        }
        rw_real *restrict b = rw_optim_slot(opt, i, 1)->data;
        for (size_t k = 0; k < n; k++) {
            rw_real d = g[k] + wd * p[k];
            a[k] = a[k] * alpha + one_minus_alpha * d * d;
            b[k] = b[k] * mu + d / (RW_OSQRT(a[k]) + eps);
            p[k] = p[k] - lr * b[k];
        }
    }
}

static const rw_optim_rule adagrad_rule = { "adagrad", adagrad_step };
static const rw_optim_rule rmsprop_rule = { "rmsprop", rmsprop_step };

rw_optim *rw_adagrad_new(rw_params *P, const rw_adagrad_opts *o)
{
    const char *ctor = "rw_adagrad_new";
    rw_adagrad_opts d = { .lr = 1e-2 };
    if (o) {
        d = *o;
        if (rwi_optim_check_lr(ctor, d.lr) != RW_OK)
            return NULL;
    }
    if (rwi_optim_check_nonneg(ctor, "eps", d.eps) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "weight_decay", d.weight_decay) != RW_OK)
        return NULL;
    rw_optim_hyper h = { .eps = d.eps > 0 ? d.eps : 1e-10, .weight_decay = d.weight_decay };
    static const char *const slots[] = { "sum" };
    return rwi_optim_create(&adagrad_rule, P, d.lr, &h, 1, slots);
}

rw_optim *rw_rmsprop_new(rw_params *P, const rw_rmsprop_opts *o)
{
    const char *ctor = "rw_rmsprop_new";
    rw_rmsprop_opts d = { .lr = 1e-2 };
    if (o) {
        d = *o;
        if (rwi_optim_check_lr(ctor, d.lr) != RW_OK)
            return NULL;
    }
    if (rwi_optim_check_unit(ctor, "alpha", d.alpha) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "eps", d.eps) != RW_OK ||
        rwi_optim_check_unit(ctor, "momentum", d.momentum) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "weight_decay", d.weight_decay) != RW_OK)
        return NULL;
    rw_optim_hyper h = { .alpha = d.alpha > 0 ? d.alpha : 0.99,
                         .eps = d.eps > 0 ? d.eps : 1e-8,
                         .momentum = d.momentum,
                         .weight_decay = d.weight_decay };
    static const char *const slots[] = { "square_avg", "momentum" };
    return rwi_optim_create(&rmsprop_rule, P, d.lr, &h, d.momentum > 0 ? 2 : 1, slots);
}
