/* Internal: the optimizer object shared by the update rules.
 *
 * Every rule is a `step` function that walks the parameters captured at
 * construction and runs one flat loop over each parameter's elements,
 * with its per-step coefficients computed once in double beforehand. */
#ifndef RW_OPTIM_INTERNAL_H
#define RW_OPTIM_INTERNAL_H

#include <math.h>
#include <string.h>
#include "rewind/optim.h"

#ifdef RW_DOUBLE
#define RW_OSQRT sqrt
#else
#define RW_OSQRT sqrtf
#endif

#define RW_OPTIM_MAX_SLOTS 2

typedef struct rw_optim_rule {
    const char *name;                               /* "adam" */
    void (*step)(rw_optim *opt);                    /* one update of every parameter */
} rw_optim_rule;

/* Normalized hyperparameters (defaults applied, validated). */
typedef struct rw_optim_hyper {
    double momentum, weight_decay, eps, alpha, beta1, beta2;
    bool nesterov, decoupled;
} rw_optim_hyper;

struct rw_optim {
    const rw_optim_rule *rule;
    rw_params *P;
    int n_params;            /* parameters captured at construction */
    rw_param **params;
    int n_slots;             /* state tensors per parameter */
    rw_tensor **state;       /* [n_params * n_slots], parameter-major */
    char **state_names;
    double lr;
    long steps;
    rw_optim_hyper h;
};

/* The state tensor of slot `s` of parameter `i`. */
static inline rw_tensor *rw_optim_slot(const rw_optim *opt, int i, int s)
{
    return opt->state[i * opt->n_slots + s];
}

/* Makes an optimizer over every parameter of P with `n_slots` zeroed state
 * tensors per parameter named "<rule name>.<slot_names[s]>/<param name>".
 * NULL (and an error) on allocation failure or a NULL store. */
rw_optim *rwi_optim_create(const rw_optim_rule *rule, rw_params *P, double lr, const rw_optim_hyper *h,
                          int n_slots, const char *const *slot_names);

/* Validation of a constructor's options; each returns RW_OK or records an
 * RW_ERR_ARG naming `ctor` and `field`. */
rw_status rwi_optim_check_lr(const char *ctor, double lr);
rw_status rwi_optim_check_unit(const char *ctor, const char *field, double v);     /* 0 <= v < 1 */
rw_status rwi_optim_check_nonneg(const char *ctor, const char *field, double v);   /* v >= 0, finite */

#endif
