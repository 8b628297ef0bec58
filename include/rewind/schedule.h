/* rewind/schedule.h - learning-rate schedules.
 *
 * A schedule is a small value: the learning rate at optimizer step `step`
 * (counted from 0: the first update uses step 0) is a pure function of the
 * schedule, the base learning rate and the step, so resuming from a
 * checkpoint resumes the schedule exactly. Typical use, before each update:
 *
 *     rw_schedule s = rw_schedule_warmup(rw_schedule_cosine(10000, 1e-5), 500);
 *     if (rw_schedule_check(&s) != RW_OK) ...           // once
 *     ...
 *     rw_schedule_apply(&s, opt, 2e-3);                 // lr for step rw_optim_steps(opt)
 *     rw_optim_step(opt);
 *
 * Kinds (b = base lr, k = the step after any warm-up, k = step - warmup):
 *   constant     b
 *   step         b * gamma^floor(k / every)          (PyTorch StepLR)
 *   exponential  b * gamma^k                         (PyTorch ExponentialLR)
 *   cosine       min_lr + (b - min_lr) * (1 + cos(pi * k / total)) / 2 for
 *                k < total, then min_lr              (PyTorch CosineAnnealingLR's
 *                closed form, held at min_lr after `total` steps instead of rising again)
 * Linear warm-up (warmup = W > 0): for step < W the rate is
 * b * (step + 1) / W, reaching b at step W - 1; from step W on, the kind
 * above runs with k = step - W, so it starts at b.
 */
#ifndef REWIND_SCHEDULE_H
#define REWIND_SCHEDULE_H

#include "rewind/export.h"
#include "rewind/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_schedule_kind {
    RW_SCHEDULE_CONSTANT = 0,
    RW_SCHEDULE_STEP,
    RW_SCHEDULE_EXPONENTIAL,
    RW_SCHEDULE_COSINE
} rw_schedule_kind;

typedef struct rw_schedule {
    rw_schedule_kind kind;
    long warmup;        /* linear warm-up steps before the kind starts (0: none) */
    long every;         /* step: multiply by gamma every `every` steps (>= 1) */
    double gamma;       /* step, exponential: the factor (> 0, finite) */
    long total;         /* cosine: steps from b down to min_lr (>= 1) */
    double min_lr;      /* cosine: the floor (0 <= min_lr <= base lr) */
} rw_schedule;

/* Constructors (values; check them with rw_schedule_check). */
RW_API rw_schedule rw_schedule_constant(void);
RW_API rw_schedule rw_schedule_step(long every, double gamma);
RW_API rw_schedule rw_schedule_exponential(double gamma);
RW_API rw_schedule rw_schedule_cosine(long total, double min_lr);
/* s with a linear warm-up of `steps` steps in front. */
RW_API rw_schedule rw_schedule_warmup(rw_schedule s, long steps);

/* RW_OK, or RW_ERR_ARG naming the field that makes no sense (gamma <= 0,
 * every < 1, total < 1, min_lr < 0, warmup < 0, an unknown kind). */
RW_API rw_status rw_schedule_check(const rw_schedule *s);

/* The learning rate at `step` (>= 0) for base rate base_lr (> 0). NAN, with
 * an RW_ERR_ARG message, for an invalid schedule, step or base rate, or a
 * cosine min_lr above base_lr. */
RW_API double rw_schedule_lr(const rw_schedule *s, double base_lr, long step);

/* Sets opt's learning rate to rw_schedule_lr(s, base_lr, rw_optim_steps(opt)),
 * the rate for the step about to be taken. RW_ERR_ARG (and no change) when
 * the schedule is invalid. */
RW_API rw_status rw_schedule_apply(const rw_schedule *s, rw_optim *opt, double base_lr);

/* "constant", "step", "exponential" or "cosine" ("unknown" otherwise). */
RW_API const char *rw_schedule_kind_name(rw_schedule_kind kind);

#ifdef __cplusplus
}
#endif
#endif
