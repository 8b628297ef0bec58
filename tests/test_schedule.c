/* Learning-rate schedules at chosen steps, warm-up, and nonsense refused. */
#include <string.h>
#include "rw_test.h"

#define LR_AT(s, base, step, want)                                                                     \
    rwt_assert_close(rw_schedule_lr(&(s), (base), (step)), (want), 1e-12, "step %ld: got %.15g, want %.15g", \
                     (long)(step), rw_schedule_lr(&(s), (base), (step)), (double)(want))

Test(schedule, constant)
{
    rw_schedule s = rw_schedule_constant();
    cr_assert_eq(rw_schedule_check(&s), RW_OK);
    LR_AT(s, 0.1, 0, 0.1);
    LR_AT(s, 0.1, 123456, 0.1);
}

/* StepLR: every 10 steps times 0.5. */
Test(schedule, step)
{
    rw_schedule s = rw_schedule_step(10, 0.5);
    cr_assert_eq(rw_schedule_check(&s), RW_OK, "%s", rw_last_error());
    LR_AT(s, 0.8, 0, 0.8);
    LR_AT(s, 0.8, 9, 0.8);
    LR_AT(s, 0.8, 10, 0.4);
    LR_AT(s, 0.8, 19, 0.4);
    LR_AT(s, 0.8, 20, 0.2);
    LR_AT(s, 0.8, 35, 0.1);
}

Test(schedule, exponential)
{
    rw_schedule s = rw_schedule_exponential(0.9);
    LR_AT(s, 1.0, 0, 1.0);
    LR_AT(s, 1.0, 1, 0.9);
    LR_AT(s, 1.0, 2, 0.81);
    LR_AT(s, 2.0, 3, 2 * 0.729);
}

/* Cosine from 1.0 to 0.1 over 100 steps: half way is the mean, then held. */
Test(schedule, cosine)
{
    rw_schedule s = rw_schedule_cosine(100, 0.1);
    LR_AT(s, 1.0, 0, 1.0);
    LR_AT(s, 1.0, 50, 0.55);
    LR_AT(s, 1.0, 25, 0.1 + 0.9 * (1 + sqrt(0.5)) / 2); /* cos(pi/4) = sqrt(1/2) */
    LR_AT(s, 1.0, 75, 0.1 + 0.9 * (1 - sqrt(0.5)) / 2);
    LR_AT(s, 1.0, 100, 0.1);
    LR_AT(s, 1.0, 1000, 0.1);
}

/* Warm-up of 4 steps: 1/4, 2/4, 3/4, 4/4 of the base; then the kind from its step 0. */
Test(schedule, linear_warmup_then_another)
{
    rw_schedule s = rw_schedule_warmup(rw_schedule_step(10, 0.5), 4);
    cr_assert_eq(rw_schedule_check(&s), RW_OK);
    LR_AT(s, 0.4, 0, 0.1);
    LR_AT(s, 0.4, 1, 0.2);
    LR_AT(s, 0.4, 3, 0.4);
    LR_AT(s, 0.4, 4, 0.4);
    LR_AT(s, 0.4, 13, 0.4);
    LR_AT(s, 0.4, 14, 0.2);
    rw_schedule c = rw_schedule_warmup(rw_schedule_cosine(10, 0), 10);
    LR_AT(c, 1.0, 4, 0.5);
    LR_AT(c, 1.0, 10, 1.0);
    LR_AT(c, 1.0, 15, 0.5);
    LR_AT(c, 1.0, 20, 0.0);
    rw_schedule e = { .kind = RW_SCHEDULE_EXPONENTIAL, .gamma = 0.5, .warmup = 2 };
    LR_AT(e, 1.0, 0, 0.5);
    LR_AT(e, 1.0, 3, 0.5);
}

Test(schedule, apply_uses_the_optimizer_step)
{
    rw_params *P = rw_params_new();
    rw_params_add(P, "w", rw_shape1(2));
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 1 });
    rw_schedule s = rw_schedule_step(2, 0.1);
    for (int t = 0; t < 5; t++) {
        cr_assert_eq(rw_schedule_apply(&s, opt, 1.0), RW_OK);
        rwt_assert_close(rw_optim_lr(opt), pow(0.1, t / 2), 1e-12, "step %d", t);
        rw_optim_step(opt);
    }
    rw_schedule bad = rw_schedule_step(0, 0.5);
    cr_assert_eq(rw_schedule_apply(&bad, opt, 1.0), RW_ERR_ARG);
    rwt_assert_close(rw_optim_lr(opt), 0.01, 1e-12, "unchanged");
    rw_optim_free(opt);
    rw_params_free(P);
}

static void expect_nonsense(rw_schedule s, const char *needle)
{
    cr_assert_eq(rw_schedule_check(&s), RW_ERR_ARG, "accepted; expected '%s'", needle);
    cr_assert(strstr(rw_last_error(), needle) != NULL, "'%s' not in: %s", needle, rw_last_error());
    cr_assert(isnan(rw_schedule_lr(&s, 0.1, 0)));
}

Test(schedule, nonsense_is_refused)
{
    expect_nonsense(rw_schedule_step(0, 0.5), "schedule 'step': every is 0");
    expect_nonsense(rw_schedule_step(10, 0), "schedule 'step': gamma is 0");
    expect_nonsense(rw_schedule_exponential(-0.5), "schedule 'exponential': gamma is -0.5");
    expect_nonsense(rw_schedule_exponential(NAN), "gamma is nan");
    expect_nonsense(rw_schedule_cosine(0, 0), "schedule 'cosine': total is 0");
    expect_nonsense(rw_schedule_cosine(10, -1), "min_lr is -1");
    expect_nonsense(rw_schedule_warmup(rw_schedule_constant(), -3), "warmup is -3");
    expect_nonsense((rw_schedule){ .kind = (rw_schedule_kind)42 }, "unknown kind 42");
    rw_schedule s = rw_schedule_cosine(10, 0.5);
    cr_assert(isnan(rw_schedule_lr(&s, 0.1, 0)));
    cr_assert(strstr(rw_last_error(), "min_lr 0.5 is above the base learning rate 0.1") != NULL, "%s",
              rw_last_error());
    cr_assert(isnan(rw_schedule_lr(&s, 1.0, -1)));
    cr_assert(strstr(rw_last_error(), "step -1") != NULL, "%s", rw_last_error());
    cr_assert(isnan(rw_schedule_lr(&s, 0, 3)));
    cr_assert(strstr(rw_last_error(), "base learning rate 0") != NULL, "%s", rw_last_error());
}
