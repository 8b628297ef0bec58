/* Adam (L2 weight decay in the gradient) and AdamW (decoupled weight decay),
 * as torch.optim.Adam and torch.optim.AdamW with amsgrad off. The order of
 * every operation follows PyTorch's CPU kernels (lerp, addcmul computes
 * self + (value * a) * b, addcdiv self + (value * a) / b), so float results
 * agree with PyTorch's to the last bit where the compilers agree too. */
#include "optim_internal.h"

static void adam_update(rw_optim *opt, bool decoupled)
{
    const double t = (double)(opt->steps + 1);
    const double bc1 = 1.0 - pow(opt->h.beta1, t);
    const double bc2 = 1.0 - pow(opt->h.beta2, t);
    const rw_real step_size = (rw_real)(opt->lr / bc1);
    const rw_real bc2_sqrt = (rw_real)sqrt(bc2);
    const rw_real eps = (rw_real)opt->h.eps;
    /* m moves toward d by w = 1 - beta1, computed as PyTorch's lerp does:
     * m + w (d - m) when w < 0.5, else d - (d - m)(1 - w). */
    const rw_real w = (rw_real)(1.0 - opt->h.beta1), w_rest = 1 - w;
    const bool small_w = w < (rw_real)0.5;
    const rw_real b2 = (rw_real)opt->h.beta2, one_minus_b2 = (rw_real)(1.0 - opt->h.beta2);
    const rw_real l2 = decoupled ? 0 : (rw_real)opt->h.weight_decay;
    const rw_real keep = decoupled ? (rw_real)(1.0 - opt->lr * opt->h.weight_decay) : 1;
    for (int i = 0; i < opt->n_params; i++) {
        rw_real *restrict p = opt->params[i]->value->data;
        const rw_real *restrict g = opt->params[i]->grad->data;
        rw_real *restrict m = rw_optim_slot(opt, i, 0)->data;
        rw_real *restrict v = rw_optim_slot(opt, i, 1)->data;
        const size_t n = opt->params[i]->value->size;
        for (size_t k = 0; k < n; k++) {
            rw_real pk = p[k] * keep;
            rw_real d = g[k] + l2 * p[k];
            m[k] = small_w ? m[k] + w * (d - m[k]) : d - (d - m[k]) * w_rest;
            v[k] = v[k] * b2 + one_minus_b2 * d * d;
            rw_real denom = RW_OSQRT(v[k]) / bc2_sqrt + eps;
            p[k] = pk - step_size * m[k] / denom;
        }
    }
}

static void adam_step(rw_optim *opt) { adam_update(opt, false); }
static void adamw_step(rw_optim *opt) { adam_update(opt, true); }

static const rw_optim_rule adam_rule = { "adam", adam_step };
static const rw_optim_rule adamw_rule = { "adamw", adamw_step };

static rw_optim *adam_new(const rw_optim_rule *rule, const char *ctor, rw_params *P, const rw_adam_opts *o)
{
    rw_adam_opts d = { .lr = 1e-3 };
    if (o) {
        d = *o;
        if (rwi_optim_check_lr(ctor, d.lr) != RW_OK)
            return NULL;
    }
    if (rwi_optim_check_unit(ctor, "beta1", d.beta1) != RW_OK ||
        rwi_optim_check_unit(ctor, "beta2", d.beta2) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "eps", d.eps) != RW_OK ||
        rwi_optim_check_nonneg(ctor, "weight_decay", d.weight_decay) != RW_OK)
        return NULL;
    rw_optim_hyper h = { .beta1 = d.beta1 > 0 ? d.beta1 : 0.9,
                         .beta2 = d.beta2 > 0 ? d.beta2 : 0.999,
                         .eps = d.eps > 0 ? d.eps : 1e-8,
                         .weight_decay = d.weight_decay,
                         .decoupled = rule == &adamw_rule };
    static const char *const slots[] = { "m", "v" };
    return rwi_optim_create(rule, P, d.lr, &h, 2, slots);
}

rw_optim *rw_adam_new(rw_params *P, const rw_adam_opts *o) { return adam_new(&adam_rule, "rw_adam_new", P, o); }

rw_optim *rw_adamw_new(rw_params *P, const rw_adam_opts *o)
{
    return adam_new(&adamw_rule, "rw_adamw_new", P, o);
}
