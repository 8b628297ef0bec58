/* Gradient clipping: by global norm (PyTorch's clip_grad_norm_) and by value. */
#include "optim_internal.h"

double rw_grad_global_norm(const rw_params *P)
{
    double sum = 0;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *g = rw_params_at(P, i)->grad;
        for (size_t k = 0; k < g->size; k++)
            sum += (double)g->data[k] * (double)g->data[k];
    }
    return sqrt(sum);
}

double rw_clip_global_norm(rw_params *P, double max_norm)
{
    if (!(max_norm > 0)) {
        rw_error(RW_ERR_ARG, "rw_clip_global_norm: max_norm is %g; it must be > 0", max_norm);
        return NAN;
    }
    double norm = rw_grad_global_norm(P);
    if (!isfinite(norm))
        return norm;
    double coef = max_norm / (norm + 1e-6);
    if (coef >= 1.0)
        return norm; /* PyTorch multiplies by the clamped 1.0: no change either way */
    const rw_real c = (rw_real)coef;
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_tensor *g = rw_params_at(P, i)->grad;
        for (size_t k = 0; k < g->size; k++)
            g->data[k] *= c;
    }
    return norm;
}

void rw_clip_value(rw_params *P, double limit)
{
    if (!(limit > 0)) {
        rw_error(RW_ERR_ARG, "rw_clip_value: limit is %g; it must be > 0", limit);
        return;
    }
    const rw_real hi = (rw_real)limit, lo = -hi;
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_tensor *g = rw_params_at(P, i)->grad;
        for (size_t k = 0; k < g->size; k++) {
            rw_real x = g->data[k];
            g->data[k] = x > hi ? hi : x < lo ? lo : x;
        }
    }
}
