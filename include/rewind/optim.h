/* rewind/optim.h - optimizers and gradient clipping.
 *
 * An optimizer updates the parameters of one rw_params store from their
 * gradients. It keeps its per-parameter state (moments, velocities) in
 * tensors it owns, named for checkpoints ("adam.m/<param name>").
 *
 *     rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 2e-3 });
 *     for (...) {
 *         ... forward, rw_backward(g, loss) ...
 *         rw_clip_global_norm(P, 5.0);
 *         rw_optim_step(opt);      // updates, then zeroes the gradients
 *     }
 *     rw_optim_free(opt);
 *
 * The update rules are PyTorch's (torch.optim, version 2.x, default
 * single-tensor code path), written out below, so that comparisons against
 * PyTorch compare the same algorithm. Notation: p a parameter element, g its
 * gradient, t the step number counted from 1 (rw_optim_steps() + 1 while the
 * step runs), lr the current learning rate (rw_optim_set_lr changes it,
 * e.g. from a schedule). All arithmetic is elementwise in rw_real, in the
 * order PyTorch's CPU kernels use (so a float build can match PyTorch's
 * float32 results bit for bit, compilers permitting); the per-step scalars
 * (lr / (1 - beta1^t), sqrt(1 - beta2^t), 1 - lr * weight_decay) are
 * computed in double and then rounded, as PyTorch does in Python.
 *
 * SGD (torch.optim.SGD with dampening 0):
 *     if weight_decay and not decoupled_decay:  g = g + weight_decay * p
 *     if decoupled_decay:                       p = p * (1 - lr * weight_decay)
 *     if momentum:  b = momentum * b + g        (b starts at 0, so b_1 = g_1)
 *                   g = nesterov ? g + momentum * b : b
 *     p = p - lr * g
 *   With a constant lr this is the classical Δw_i = -lr ∂J/∂w + momentum Δw_{i-1}
 *   (Δw_i = -lr b_i). decoupled_decay is not in torch.optim.SGD; it applies
 *   the decay as AdamW does.
 *
 * AdaGrad (torch.optim.Adagrad with lr_decay 0, initial accumulator 0):
 *     if weight_decay:  g = g + weight_decay * p
 *     s = s + g * g
 *     p = p - lr * g / (sqrt(s) + eps)
 *
 * RMSProp (torch.optim.RMSprop, not centered):
 *     if weight_decay:  g = g + weight_decay * p
 *     a = alpha * a + (1 - alpha) * g * g
 *     if momentum:  b = momentum * b + g / (sqrt(a) + eps);  p = p - lr * b
 *     else:         p = p - lr * g / (sqrt(a) + eps)
 *
 * Adam (torch.optim.Adam, amsgrad off):
 *     if weight_decay:  g = g + weight_decay * p           (L2 in the gradient)
 *     m = lerp(m, g, 1 - beta1)                            (= beta1 m + (1 - beta1) g)
 *     v = beta2 * v + (1 - beta2) * g * g
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *   eps is added to the bias-corrected sqrt(v). At t = 1, m/(1 - beta1) = g
 *   and sqrt(v)/sqrt(1 - beta2) = |g|, so the first step moves every element
 *   by about lr * sign(g).
 *
 * AdamW (torch.optim.AdamW):
 *     p = p * (1 - lr * weight_decay)                      (decoupled decay)
 *     then Adam's update above without the L2 term.
 *
 * Options: a NULL opts pointer means every default, including a default
 * learning rate (PyTorch's: 1e-3 for SGD, Adam and AdamW, 1e-2 for AdaGrad
 * and RMSProp). In a given opts struct, lr must be > 0 (an explicit lr is
 * required there), and every other field left 0 takes its default:
 *     Adam/AdamW  beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0
 *     RMSProp     alpha 0.99, eps 1e-8, momentum 0, weight_decay 0
 *     AdaGrad     eps 1e-10, weight_decay 0
 *     SGD         momentum 0, weight_decay 0
 * (AdamW's default weight_decay is 0 here, not PyTorch's 0.01: pass it.)
 * Invalid values (lr <= 0 or not finite, betas/alpha/momentum outside
 * [0, 1), negative eps or weight_decay, nesterov without momentum) make the
 * constructor return NULL with an RW_ERR_ARG message naming the field.
 */
#ifndef REWIND_OPTIM_H
#define REWIND_OPTIM_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/checkpoint_file.h"
#include "rewind/param.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An optimizer bound to one parameter store. Opaque. */
typedef struct rw_optim rw_optim;

typedef struct rw_sgd_opts {
    double lr;
    double momentum;        /* 0: plain SGD */
    bool nesterov;          /* Nesterov momentum (needs momentum > 0) */
    double weight_decay;
    bool decoupled_decay;   /* decay the weights directly (as AdamW) instead of L2 in the gradient */
} rw_sgd_opts;

typedef struct rw_adagrad_opts {
    double lr;
    double eps;
    double weight_decay;
} rw_adagrad_opts;

typedef struct rw_rmsprop_opts {
    double lr;
    double alpha;           /* smoothing constant of the squared-gradient average */
    double eps;
    double momentum;
    double weight_decay;
} rw_rmsprop_opts;

typedef struct rw_adam_opts {
    double lr;
    double beta1, beta2;
    double eps;
    double weight_decay;    /* Adam: L2 added to the gradient; AdamW: decoupled */
} rw_adam_opts;

/* Constructors: the optimizer updates every parameter of P that exists when
 * it is made (adding parameters to P later makes rw_optim_step fail). P must
 * outlive the optimizer. NULL and an error message on a bad option. */
RW_API rw_optim *rw_sgd_new(rw_params *P, const rw_sgd_opts *o);
RW_API rw_optim *rw_adagrad_new(rw_params *P, const rw_adagrad_opts *o);
RW_API rw_optim *rw_rmsprop_new(rw_params *P, const rw_rmsprop_opts *o);
RW_API rw_optim *rw_adam_new(rw_params *P, const rw_adam_opts *o);
RW_API rw_optim *rw_adamw_new(rw_params *P, const rw_adam_opts *o);

/* One update from the parameters' gradients; then zeroes the gradients and
 * counts the step. Allocates nothing. If any gradient is not finite, no
 * parameter or state changes, the step is not counted, the gradients are
 * still zeroed (so the caller may skip the batch and go on), and the result
 * is RW_ERR_NUMERIC naming the parameter. RW_ERR_STATE if parameters were
 * added to the store after the optimizer was made. */
RW_API rw_status rw_optim_step(rw_optim *opt);

/* The learning rate used by the next steps; lr >= 0 and finite (0 is
 * allowed, e.g. at the end of a schedule), otherwise RW_ERR_ARG and no change. */
RW_API rw_status rw_optim_set_lr(rw_optim *opt, double lr);
RW_API double rw_optim_lr(const rw_optim *opt);

/* Steps taken so far (Adam's bias correction uses it). */
RW_API long rw_optim_steps(const rw_optim *opt);
/* Sets the step counter (used when restoring a checkpoint); steps >= 0,
 * otherwise RW_ERR_ARG and no change. */
RW_API rw_status rw_optim_set_steps(rw_optim *opt, long steps);

/* "sgd", "adagrad", "rmsprop", "adam" or "adamw". */
RW_API const char *rw_optim_name(const rw_optim *opt);
/* The parameter store the optimizer updates. */
RW_API rw_params *rw_optim_params(const rw_optim *opt);
RW_API void rw_optim_free(rw_optim *opt);

/* The state for checkpoints: named tensors, in a fixed order, each shaped
 * like its parameter. Names are "<optimizer>.<slot>/<param name>":
 *   sgd.momentum/   (only with momentum)
 *   adagrad.sum/
 *   rmsprop.square_avg/, rmsprop.momentum/ (only with momentum)
 *   adam.m/, adam.v/   (adamw.m/, adamw.v/ for AdamW)
 * rw_optim_state_at returns NULL for an index out of range; *name may be
 * NULL if the name is not wanted. The tensors belong to the optimizer. */
RW_API int rw_optim_state_count(const rw_optim *opt);
RW_API rw_tensor *rw_optim_state_at(const rw_optim *opt, int i, const char **name);

/* ---- checkpoints ------------------------------------------------------ */

/* Puts opt's state into a checkpoint being written: a blob "optimizer"
 * (its kind, step counter, learning rate, number of state tensors) and each
 * state tensor under its name. The tensors are read at the commit. */
RW_API rw_status rw_optim_checkpoint_put(rw_checkpoint_writer *w, const rw_optim *opt);
/* Checks, changing nothing, that ck holds opt's state: the same optimizer
 * kind with the same state tensors and shapes (RW_ERR_SHAPE otherwise;
 * RW_ERR_FORMAT for a malformed record). */
RW_API rw_status rw_optim_checkpoint_check(const rw_checkpoint *ck, const rw_optim *opt);
/* rw_optim_checkpoint_check, then restores the state tensors, the step
 * counter and the learning rate. On failure opt is unchanged. */
RW_API rw_status rw_optim_checkpoint_restore(const rw_checkpoint *ck, rw_optim *opt);

/* The optimizer saved in ck: its kind ("adam"...; NULL when the file has
 * none), step counter and learning rate (0 when none). Its state tensors are
 * ck's state tensors named "<kind>.<slot>/<param name>". */
RW_API const char *rw_checkpoint_optim_name(const rw_checkpoint *ck);
RW_API long rw_checkpoint_optim_steps(const rw_checkpoint *ck);
RW_API double rw_checkpoint_optim_lr(const rw_checkpoint *ck);

/* ---- gradient clipping ------------------------------------------------ */

/* sqrt of the sum of squares of every gradient element of P, accumulated in
 * double. */
RW_API double rw_grad_global_norm(const rw_params *P);

/* Scales every gradient by min(1, max_norm / (norm + 1e-6)), as PyTorch's
 * clip_grad_norm_ does (which computes the norm in float32 for float
 * gradients; here it is accumulated in double), so the global norm ends
 * <= max_norm. Returns the
 * norm before clipping. A non-finite norm is returned as is and the
 * gradients are left alone (rw_optim_step then refuses the step). max_norm
 * must be > 0: otherwise RW_ERR_ARG, nothing changes, and NAN is returned. */
RW_API double rw_clip_global_norm(rw_params *P, double max_norm);

/* Clamps every gradient element to [-limit, limit] (NaN stays NaN). limit
 * must be > 0: otherwise RW_ERR_ARG and nothing changes. */
RW_API void rw_clip_value(rw_params *P, double limit);

#ifdef __cplusplus
}
#endif
#endif
