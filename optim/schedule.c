/* Learning-rate schedules: pure functions of (schedule, base lr, step). */
#include <math.h>
#include "rewind/schedule.h"

#define RW_PI 3.14159265358979323846

rw_schedule rw_schedule_constant(void) { return (rw_schedule){ .kind = RW_SCHEDULE_CONSTANT }; }

rw_schedule rw_schedule_step(long every, double gamma)
{
    return (rw_schedule){ .kind = RW_SCHEDULE_STEP, .every = every, .gamma = gamma };
}

rw_schedule rw_schedule_exponential(double gamma)
{
    return (rw_schedule){ .kind = RW_SCHEDULE_EXPONENTIAL, .gamma = gamma };
}

rw_schedule rw_schedule_cosine(long total, double min_lr)
{
    return (rw_schedule){ .kind = RW_SCHEDULE_COSINE, .total = total, .min_lr = min_lr };
}

rw_schedule rw_schedule_warmup(rw_schedule s, long steps)
{
    s.warmup = steps;
    return s;
}

const char *rw_schedule_kind_name(rw_schedule_kind kind)
{
    switch (kind) {
    case RW_SCHEDULE_CONSTANT: return "constant";
    case RW_SCHEDULE_STEP: return "step";
    case RW_SCHEDULE_EXPONENTIAL: return "exponential";
    case RW_SCHEDULE_COSINE: return "cosine";
    }
    return "unknown";
}

rw_status rw_schedule_check(const rw_schedule *s)
{
    if (!s)
        return rw_error(RW_ERR_ARG, "schedule: NULL schedule");
    const char *kind = rw_schedule_kind_name(s->kind);
    if (s->warmup < 0)
        return rw_error(RW_ERR_ARG, "schedule '%s': warmup is %ld steps; it must be >= 0", kind, s->warmup);
    switch (s->kind) {
    case RW_SCHEDULE_CONSTANT:
        return RW_OK;
    case RW_SCHEDULE_STEP:
    case RW_SCHEDULE_EXPONENTIAL:
        if (s->kind == RW_SCHEDULE_STEP && s->every < 1)
            return rw_error(RW_ERR_ARG, "schedule 'step': every is %ld; it must be >= 1", s->every);
        if (!(s->gamma > 0) || !isfinite(s->gamma))
            return rw_error(RW_ERR_ARG, "schedule '%s': gamma is %g; it must be > 0 and finite", kind,
                            s->gamma);
        return RW_OK;
    case RW_SCHEDULE_COSINE:
        if (s->total < 1)
            return rw_error(RW_ERR_ARG, "schedule 'cosine': total is %ld steps; it must be >= 1", s->total);
        if (!(s->min_lr >= 0) || !isfinite(s->min_lr))
            return rw_error(RW_ERR_ARG, "schedule 'cosine': min_lr is %g; it must be >= 0 and finite",
                            s->min_lr);
        return RW_OK;
    }
    return rw_error(RW_ERR_ARG, "schedule: unknown kind %d", (int)s->kind);
}

double rw_schedule_lr(const rw_schedule *s, double base_lr, long step)
{
    if (rw_schedule_check(s) != RW_OK)
        return NAN;
    const char *kind = rw_schedule_kind_name(s->kind);
    if (!(base_lr > 0) || !isfinite(base_lr)) {
        rw_error(RW_ERR_ARG, "schedule '%s': base learning rate %g; it must be > 0 and finite", kind, base_lr);
        return NAN;
    }
    if (step < 0) {
        rw_error(RW_ERR_ARG, "schedule '%s': step %ld; it must be >= 0", kind, step);
        return NAN;
    }
    if (s->kind == RW_SCHEDULE_COSINE && s->min_lr > base_lr) {
        rw_error(RW_ERR_ARG, "schedule 'cosine': min_lr %g is above the base learning rate %g", s->min_lr,
                 base_lr);
        return NAN;
    }
    if (step < s->warmup)
        return base_lr * (double)(step + 1) / (double)s->warmup;
    long k = step - s->warmup;
    switch (s->kind) {
    case RW_SCHEDULE_CONSTANT:
        return base_lr;
    case RW_SCHEDULE_STEP:
        return base_lr * pow(s->gamma, (double)(k / s->every));
    case RW_SCHEDULE_EXPONENTIAL:
        return base_lr * pow(s->gamma, (double)k);
    case RW_SCHEDULE_COSINE:
        if (k >= s->total)
            return s->min_lr;
        return s->min_lr + (base_lr - s->min_lr) * (1.0 + cos(RW_PI * (double)k / (double)s->total)) / 2.0;
    }
    return NAN; /* unreachable: the kind was checked */
}

rw_status rw_schedule_apply(const rw_schedule *s, rw_optim *opt, double base_lr)
{
    if (!opt)
        return rw_error(RW_ERR_ARG, "rw_schedule_apply: NULL optimizer");
    double lr = rw_schedule_lr(s, base_lr, rw_optim_steps(opt));
    if (isnan(lr))
        return rw_last_status();
    if (!isfinite(lr))
        return rw_error(RW_ERR_ARG, "schedule '%s': the learning rate at step %ld overflows",
                        rw_schedule_kind_name(s->kind), rw_optim_steps(opt));
    return rw_optim_set_lr(opt, lr);
}
