/* The training loop's non-finite guard and its copy of the best parameters. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "train_internal.h"

/* "[i, j, k]": the coordinates of flat element `at` of shape s. */
static void coords(rw_shape s, size_t at, char *buf, size_t len)
{
    int c[RW_MAX_DIMS] = { 0 };
    for (int d = s.ndim - 1; d >= 0; d--) {
        c[d] = (int)(at % (size_t)s.dim[d]);
        at /= (size_t)s.dim[d];
    }
    rw_shape cs = { .ndim = s.ndim };
    memcpy(cs.dim, c, sizeof c);
    /* rw_shape_str prints any dims, zeros included. */
    rw_shape_str(cs, buf, len);
}

static bool first_nonfinite(const rw_tensor *t, size_t *at)
{
    for (size_t i = 0; i < t->size; i++)
        if (!isfinite(t->data[i])) {
            *at = i;
            return true;
        }
    return false;
}

static rw_status report(const rw_param *p, bool grad, size_t at)
{
    char where[64], shape[64];
    const rw_tensor *t = grad ? p->grad : p->value;
    coords(t->shape, at, where, sizeof where);
    return rw_error(RW_ERR_NUMERIC, "%sparameter '%s' is %g at element %zu %s of %s (the first non-finite value)",
                    grad ? "the gradient of " : "", p->name, (double)t->data[at], at, where,
                    rw_shape_str(t->shape, shape, sizeof shape));
}

rw_status rwi_train_check_finite(const rw_params *P, bool grads_and_loss, double loss)
{
    int n = rw_params_count(P);
    size_t at;
    for (int i = 0; i < n; i++)
        if (first_nonfinite(rw_params_at(P, i)->value, &at))
            return report(rw_params_at(P, i), false, at);
    if (!grads_and_loss)
        return RW_OK;
    for (int i = 0; i < n; i++)
        if (first_nonfinite(rw_params_at(P, i)->grad, &at))
            return report(rw_params_at(P, i), true, at);
    if (!isfinite(loss))
        return rw_error(RW_ERR_NUMERIC, "non-finite loss: the loss is %g while every parameter and gradient "
                        "is finite", loss);
    return RW_OK;
}

void rwi_train_copy_params(rw_params *P, rw_real *buf, bool restore)
{
    int n = rw_params_count(P);
    for (int i = 0; i < n; i++) {
        rw_tensor *v = rw_params_at(P, i)->value;
        if (restore)
            memcpy(v->data, buf, v->size * sizeof(rw_real));
        else
            memcpy(buf, v->data, v->size * sizeof(rw_real));
        buf += v->size;
    }
}
