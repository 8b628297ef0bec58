/* Update rules against values computed by hand, gradient clipping, option
 * validation, and the step's bookkeeping (zeroed gradients, step count, no
 * allocation, refusal of non-finite gradients). */
#include <string.h>
#include "rw_test.h"

/* One parameter "w" holding `n` values. */
static rw_params *one_param(int n, const rw_real *values, rw_param **w)
{
    rw_params *P = rw_params_new();
    *w = rw_params_add(P, "w", rw_shape1(n));
    memcpy((*w)->value->data, values, (size_t)n * sizeof(rw_real));
    return P;
}

/* Sets w's gradient and takes a step; checks the gradient is then zero. */
static void step_with(rw_optim *opt, rw_param *w, const rw_real *grad)
{
    memcpy(w->grad->data, grad, w->grad->size * sizeof(rw_real));
    cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
    for (size_t k = 0; k < w->grad->size; k++)
        cr_assert_eq(w->grad->data[k], 0, "the step zeroes the gradient");
}

#define EXPECT(x, want) rwt_assert_close((x), (want), RWT_EPS, "got %.10g, want %.10g", (double)(x), (double)(want))

Test(sgd, plain_three_steps)
{
    rw_param *w;
    rw_params *P = one_param(2, (rw_real[]){ 1, -2 }, &w);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.5 });
    cr_assert_str_eq(rw_optim_name(opt), "sgd");
    cr_assert_eq(rw_optim_state_count(opt), 0, "plain SGD keeps no state");
    step_with(opt, w, (rw_real[]){ 2, -1 });  /* p = [1 - 1, -2 + 0.5] */
    EXPECT(w->value->data[0], 0);
    EXPECT(w->value->data[1], -1.5);
    step_with(opt, w, (rw_real[]){ 4, 1 });   /* [0 - 2, -1.5 - 0.5] */
    step_with(opt, w, (rw_real[]){ -2, 3 });  /* [-2 + 1, -2 - 1.5] */
    EXPECT(w->value->data[0], -1);
    EXPECT(w->value->data[1], -3.5);
    cr_assert_eq(rw_optim_steps(opt), 3);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* b = mu b + g, p = p - lr b, with mu = lr = 0.5, p0 = 1, g = 2, 4, -2. */
Test(sgd, momentum_three_steps)
{
    rw_param *w;
    rw_params *P = one_param(1, (rw_real[]){ 1 }, &w);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.5, .momentum = 0.5 });
    const char *name;
    rw_tensor *b = rw_optim_state_at(opt, 0, &name);
    cr_assert_str_eq(name, "sgd.momentum/w");
    step_with(opt, w, (rw_real[]){ 2 });   /* b = 2,           p = 1 - 1 = 0 */
    EXPECT(b->data[0], 2);
    EXPECT(w->value->data[0], 0);
    step_with(opt, w, (rw_real[]){ 4 });   /* b = 1 + 4 = 5,   p = 0 - 2.5 */
    EXPECT(b->data[0], 5);
    EXPECT(w->value->data[0], -2.5);
    step_with(opt, w, (rw_real[]){ -2 });  /* b = 2.5 - 2,     p = -2.5 - 0.25 */
    EXPECT(b->data[0], 0.5);
    EXPECT(w->value->data[0], -2.75);
    /* The classical form gives the same: dw_i = -lr g_i + mu dw_{i-1}:
     * dw = -1, -2 - 0.5 = -2.5, 1 - 1.25 = -0.25; p = 0, -2.5, -2.75. */
    rw_optim_free(opt);
    rw_params_free(P);
}

/* Nesterov: b = mu b + g, d = g + mu b, p = p - lr d. */
Test(sgd, nesterov_three_steps)
{
    rw_param *w;
    rw_params *P = one_param(1, (rw_real[]){ 1 }, &w);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.5, .momentum = 0.5, .nesterov = true });
    step_with(opt, w, (rw_real[]){ 2 });   /* b = 2,   d = 2 + 1 = 3,        p = 1 - 1.5 */
    EXPECT(w->value->data[0], -0.5);
    step_with(opt, w, (rw_real[]){ 4 });   /* b = 5,   d = 4 + 2.5 = 6.5,    p = -0.5 - 3.25 */
    EXPECT(w->value->data[0], -3.75);
    step_with(opt, w, (rw_real[]){ -2 });  /* b = 0.5, d = -2 + 0.25,        p = -3.75 + 0.875 */
    EXPECT(w->value->data[0], -2.875);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* With momentum, L2 decay (in the gradient, so in the velocity) and
 * decoupled decay (on the weights) differ. lr = mu = wd = 0.5, p0 = 2, g = 1. */
Test(sgd, weight_decay_l2_and_decoupled)
{
    rw_param *w1, *w2;
    rw_params *P1 = one_param(1, (rw_real[]){ 2 }, &w1), *P2 = one_param(1, (rw_real[]){ 2 }, &w2);
    rw_optim *l2 = rw_sgd_new(P1, &(rw_sgd_opts){ .lr = 0.5, .momentum = 0.5, .weight_decay = 0.5 });
    rw_optim *dec = rw_sgd_new(P2, &(rw_sgd_opts){ .lr = 0.5, .momentum = 0.5, .weight_decay = 0.5,
                                                   .decoupled_decay = true });
    const double want_l2[3] = { 1, -0.25, -1.3125 }; /* d = 2, 1.5, 0.875; b = 2, 2.5, 2.125 */
    const double want_dec[3] = { 1, 0, -0.875 };     /* p = 0.75 p - 0.5 b; b = 1, 1.5, 1.75 */
    for (int t = 0; t < 3; t++) {
        step_with(l2, w1, (rw_real[]){ 1 });
        step_with(dec, w2, (rw_real[]){ 1 });
        EXPECT(w1->value->data[0], want_l2[t]);
        EXPECT(w2->value->data[0], want_dec[t]);
    }
    rw_optim_free(l2);
    rw_optim_free(dec);
    rw_params_free(P1);
    rw_params_free(P2);
}

/* s = s + g^2, p = p - lr g / (sqrt(s) + eps), lr = 1, g = 3, 4, 12 (and negated). */
Test(adagrad, three_steps)
{
    rw_param *w;
    rw_params *P = one_param(2, (rw_real[]){ 0, 0 }, &w);
    rw_optim *opt = rw_adagrad_new(P, &(rw_adagrad_opts){ .lr = 1 });
    step_with(opt, w, (rw_real[]){ 3, -3 });    /* s = 9,   p = -3/3 */
    EXPECT(w->value->data[0], -1);
    step_with(opt, w, (rw_real[]){ 4, -4 });    /* s = 25,  p = -1 - 4/5 */
    EXPECT(w->value->data[0], -1.8);
    step_with(opt, w, (rw_real[]){ 12, -12 });  /* s = 169, p = -1.8 - 12/13 */
    EXPECT(w->value->data[0], -1.8 - 12.0 / 13.0);
    EXPECT(w->value->data[1], 1.8 + 12.0 / 13.0);
    const char *name;
    rw_tensor *s = rw_optim_state_at(opt, 0, &name);
    cr_assert_str_eq(name, "adagrad.sum/w");
    EXPECT(s->data[1], 169);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* a = alpha a + (1 - alpha) g^2 with alpha = 0.75 and g = 4, 2, 2 keeps
 * a = 4, 4, 4 (sqrt 2); lr = 0.5, p0 = 1. */
Test(rmsprop, three_steps_plain_and_with_momentum)
{
    rw_param *w1, *w2;
    rw_params *P1 = one_param(1, (rw_real[]){ 1 }, &w1), *P2 = one_param(1, (rw_real[]){ 1 }, &w2);
    rw_optim *plain = rw_rmsprop_new(P1, &(rw_rmsprop_opts){ .lr = 0.5, .alpha = 0.75 });
    rw_optim *mom = rw_rmsprop_new(P2, &(rw_rmsprop_opts){ .lr = 0.5, .alpha = 0.75, .momentum = 0.5 });
    cr_assert_eq(rw_optim_state_count(plain), 1);
    cr_assert_eq(rw_optim_state_count(mom), 2);
    const rw_real g[3] = { 4, 2, 2 };
    const double q = 1 / (2 + 1e-8);                     /* 1 / (sqrt(a) + eps), eps the default */
    const double want_plain[3] = { 1 - 2 * q, 1 - 3 * q, 1 - 4 * q }; /* p -= 0.5 g q: about 0, -0.5, -1 */
    const double want_mom[3] = { 1 - 2 * q, 1 - 4 * q, 1 - 6 * q };   /* b = g q + 0.5 b = 2q each time; p -= 0.5 b */
    for (int t = 0; t < 3; t++) {
        step_with(plain, w1, &g[t]);
        step_with(mom, w2, &g[t]);
        EXPECT(w1->value->data[0], want_plain[t]);
        EXPECT(w2->value->data[0], want_mom[t]);
        EXPECT(rw_optim_state_at(plain, 0, NULL)->data[0], 4);
    }
    rw_optim_free(plain);
    rw_optim_free(mom);
    rw_params_free(P1);
    rw_params_free(P2);
}

/* beta1 = 0.5, beta2 = 0.75, lr = 0.1, p0 = 1, g = 2, 1, -2.
 * p = p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps). */
Test(adam, three_steps_with_bias_correction)
{
    rw_param *w;
    rw_params *P = one_param(1, (rw_real[]){ 1 }, &w);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.1, .beta1 = 0.5, .beta2 = 0.75 });
    rw_tensor *m = rw_optim_state_at(opt, 0, NULL), *v = rw_optim_state_at(opt, 1, NULL);
    /* t = 1: m = 1, v = 1; corrected m/0.5 = 2 = g and sqrt(v/0.25) = 2 = |g|:
     * the first step moves by lr exactly (bias correction at work). */
    step_with(opt, w, (rw_real[]){ 2 });
    EXPECT(m->data[0], 1);
    EXPECT(v->data[0], 1);
    const double eps = 1e-8; /* the default, added to the corrected sqrt(v) */
    double p1 = 1 - (0.1 / 0.5) * 1 / (1 / sqrt(0.25) + eps);
    EXPECT(w->value->data[0], p1); /* 0.9 */
    /* t = 2: m = 1 + 0.5 (1 - 1) = 1, v = 0.75 + 0.25 = 1, bc1 = 0.75, bc2 = 0.4375 */
    step_with(opt, w, (rw_real[]){ 1 });
    double p2 = p1 - (0.1 / 0.75) * 1 / (1 / sqrt(0.4375) + eps);
    EXPECT(w->value->data[0], p2);
    /* t = 3: m = 1 + 0.5 (-2 - 1) = -0.5, v = 0.75 + 1 = 1.75, bc1 = 0.875, bc2 = 0.578125 */
    step_with(opt, w, (rw_real[]){ -2 });
    EXPECT(m->data[0], -0.5);
    EXPECT(v->data[0], 1.75);
    EXPECT(w->value->data[0], p2 + (0.1 / 0.875) * 0.5 / (sqrt(1.75) / sqrt(0.578125) + eps));
    rw_optim_free(opt);
    rw_params_free(P);
}

/* The first step moves every element by lr * sign(g), whatever |g| is. */
Test(adam, first_step_is_lr_times_sign)
{
    rw_param *w;
    rw_params *P = one_param(4, (rw_real[]){ 0, 0, 0, 0 }, &w);
    rw_optim *opt = rw_adam_new(P, NULL); /* defaults: lr 1e-3, 0.9, 0.999, 1e-8 */
    cr_assert_float_eq(rw_optim_lr(opt), 1e-3, 1e-15);
    step_with(opt, w, (rw_real[]){ 1e-3, -5, 200, -0.25 });
    const double sign[4] = { 1, -1, 1, -1 };
    for (int k = 0; k < 4; k++)
        rwt_assert_close(w->value->data[k], -1e-3 * sign[k], 1e-4, "element %d: %g", k, (double)w->value->data[k]);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* eps goes after the bias correction: denom = sqrt(v)/sqrt(1 - beta2^t) + eps.
 * With eps = 0.5, t = 1, g = 2: denom = 2 + 0.5 (not (1 + 0.5)/0.5 = 3). */
Test(adam, eps_is_added_after_bias_correction)
{
    rw_param *w;
    rw_params *P = one_param(1, (rw_real[]){ 1 }, &w);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.1, .beta1 = 0.5, .beta2 = 0.75, .eps = 0.5 });
    step_with(opt, w, (rw_real[]){ 2 });
    EXPECT(w->value->data[0], 1 - 0.2 * 1 / 2.5); /* 0.92 */
    rw_optim_free(opt);
    rw_params_free(P);
}

/* Adam adds wd p to the gradient (so the decay is normalized away by v);
 * AdamW scales p by (1 - lr wd) first. wd = 0.5, otherwise as above. */
Test(adam, adamw_differs_from_adam_with_weight_decay)
{
    rw_param *w1, *w2;
    rw_params *P1 = one_param(1, (rw_real[]){ 1 }, &w1), *P2 = one_param(1, (rw_real[]){ 1 }, &w2);
    rw_adam_opts o = { .lr = 0.1, .beta1 = 0.5, .beta2 = 0.75, .weight_decay = 0.5 };
    rw_optim *adam = rw_adam_new(P1, &o), *adamw = rw_adamw_new(P2, &o);
    cr_assert_str_eq(rw_optim_name(adamw), "adamw");
    const char *name;
    rw_optim_state_at(adamw, 1, &name);
    cr_assert_str_eq(name, "adamw.v/w");
    /* Adam, t = 1: d = 2 + 0.5 = 2.5, m = 1.25, v = 1.5625; the step is lr again.
     * AdamW, t = 1: p = 0.95, then the plain Adam step of lr: 0.85. */
    const double eps = 1e-8;
    step_with(adam, w1, (rw_real[]){ 2 });
    step_with(adamw, w2, (rw_real[]){ 2 });
    double a1 = 1 - (0.1 / 0.5) * 1.25 / (sqrt(1.5625) / sqrt(0.25) + eps);    /* 0.9 */
    double w2_1 = 0.95 - (0.1 / 0.5) * 1 / (1 / sqrt(0.25) + eps);             /* 0.85 */
    EXPECT(w1->value->data[0], a1);
    EXPECT(w2->value->data[0], w2_1);
    /* Adam, t = 2: d = 1 + 0.45 = 1.45, m = 1.25 + 0.5 (1.45 - 1.25) = 1.35,
     *   v = 0.75 * 1.5625 + 0.25 * 1.45^2 = 1.6975.
     * AdamW, t = 2: p = 0.85 * 0.95, m = 1, v = 1 (as plain Adam's t = 2). */
    step_with(adam, w1, (rw_real[]){ 1 });
    step_with(adamw, w2, (rw_real[]){ 1 });
    double d2 = 1 + 0.5 * a1, m2 = 1.25 + 0.5 * (d2 - 1.25), v2 = 0.75 * 1.5625 + 0.25 * d2 * d2;
    double a2 = a1 - (0.1 / 0.75) * m2 / (sqrt(v2) / sqrt(0.4375) + eps);
    double w2_2 = w2_1 * 0.95 - (0.1 / 0.75) * 1 / (1 / sqrt(0.4375) + eps);
    EXPECT(w1->value->data[0], a2);
    EXPECT(w2->value->data[0], w2_2);
    /* t = 3, g = -2. Adam: d = -2 + 0.5 a2, m = 1.35 + 0.5 (d - 1.35), v = 0.75 * 1.6975 + 0.25 d^2.
     * AdamW: p = 0.95 p, m = -0.5, v = 1.75. */
    step_with(adam, w1, (rw_real[]){ -2 });
    step_with(adamw, w2, (rw_real[]){ -2 });
    double d3 = -2 + 0.5 * a2, m3 = m2 + 0.5 * (d3 - m2), v3 = 0.75 * v2 + 0.25 * d3 * d3;
    EXPECT(w1->value->data[0], a2 - (0.1 / 0.875) * m3 / (sqrt(v3) / sqrt(0.578125) + eps));
    EXPECT(w2->value->data[0], 0.95 * w2_2 + (0.1 / 0.875) * 0.5 / (sqrt(1.75) / sqrt(0.578125) + eps));
    cr_assert(fabs((double)w1->value->data[0] - (double)w2->value->data[0]) > 0.05);
    rw_optim_free(adam);
    rw_optim_free(adamw);
    rw_params_free(P1);
    rw_params_free(P2);
}

/* Gradients [3, 4] and [12]: global norm 13. */
static rw_params *clip_fixture(void)
{
    rw_params *P = rw_params_new();
    rw_param *a = rw_params_add(P, "a", rw_shape1(2)), *b = rw_params_add(P, "b", rw_shape2(1, 1));
    a->grad->data[0] = 3;
    a->grad->data[1] = 4;
    b->grad->data[0] = 12;
    return P;
}

Test(clip, by_global_norm)
{
    rw_params *P = clip_fixture();
    rw_param *a = rw_params_get(P, "a"), *b = rw_params_get(P, "b");
    EXPECT(rw_grad_global_norm(P), 13);
    EXPECT(rw_clip_global_norm(P, 20), 13);
    EXPECT(a->grad->data[1], 4); /* under the limit: unchanged */
    EXPECT(rw_clip_global_norm(P, 6.5), 13);
    double c = 6.5 / (13 + 1e-6); /* PyTorch's coefficient */
    EXPECT(a->grad->data[0], 3 * c);
    EXPECT(a->grad->data[1], 4 * c);
    EXPECT(b->grad->data[0], 12 * c);
    cr_assert_leq(rw_grad_global_norm(P), 6.5);
    cr_assert(isnan(rw_clip_global_norm(P, 0)));
    cr_assert(strstr(rw_last_error(), "max_norm") != NULL, "%s", rw_last_error());
    rw_params_free(P);
}

Test(clip, by_value)
{
    rw_params *P = clip_fixture();
    rw_param *a = rw_params_get(P, "a"), *b = rw_params_get(P, "b");
    a->grad->data[0] = -3;
    rw_clip_value(P, 3.5);
    EXPECT(a->grad->data[0], -3);
    EXPECT(a->grad->data[1], 3.5);
    EXPECT(b->grad->data[0], 3.5);
    rw_clip_value(P, 0.25);
    EXPECT(a->grad->data[0], -0.25);
    rw_clip_value(P, -1);
    cr_assert_eq(rw_last_status(), RW_ERR_ARG);
    EXPECT(a->grad->data[0], -0.25);
    rw_params_free(P);
}

Test(clip, non_finite_norm_leaves_gradients_alone)
{
    rw_params *P = clip_fixture();
    rw_param *a = rw_params_get(P, "a");
    a->grad->data[0] = (rw_real)INFINITY;
    cr_assert(isinf(rw_clip_global_norm(P, 1)));
    EXPECT(a->grad->data[1], 4);
    rw_params_free(P);
}

/* The constructor failed and its message names `needle`. */
static void expect_refused(rw_optim *opt, const char *needle)
{
    cr_assert_null(opt, "accepted; expected an error naming %s", needle);
    cr_assert_eq(rw_last_status(), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), needle) != NULL, "'%s' not in: %s", needle, rw_last_error());
}

Test(optim, bad_options_name_the_field)
{
    rw_params *P = rw_params_new();
    rw_params_add(P, "w", rw_shape1(3));
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0 }), "rw_sgd_new: option 'lr' is 0");
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = -1 }), "option 'lr' is -1");
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = NAN }), "option 'lr'");
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = 1, .momentum = 1 }), "option 'momentum' is 1");
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = 1, .nesterov = true }), "'nesterov' needs option 'momentum'");
    expect_refused(rw_sgd_new(P, &(rw_sgd_opts){ .lr = 1, .weight_decay = -0.1 }), "option 'weight_decay'");
    expect_refused(rw_adagrad_new(P, &(rw_adagrad_opts){ .lr = 1, .eps = -1 }), "rw_adagrad_new: option 'eps'");
    expect_refused(rw_rmsprop_new(P, &(rw_rmsprop_opts){ .lr = 1, .alpha = 1.5 }), "option 'alpha' is 1.5");
    expect_refused(rw_rmsprop_new(P, &(rw_rmsprop_opts){ .lr = 1, .momentum = -0.5 }), "option 'momentum'");
    expect_refused(rw_adam_new(P, &(rw_adam_opts){ .lr = 1, .beta1 = 1 }), "rw_adam_new: option 'beta1' is 1");
    expect_refused(rw_adamw_new(P, &(rw_adam_opts){ .lr = 1, .beta2 = -0.1 }), "rw_adamw_new: option 'beta2'");
    expect_refused(rw_adam_new(P, &(rw_adam_opts){ .lr = INFINITY }), "option 'lr' is inf");
    expect_refused(rw_adam_new(NULL, NULL), "NULL parameter store");
    rw_params_free(P);
}

Test(optim, defaults_from_null_options)
{
    rw_params *P = rw_params_new();
    rw_params_add(P, "w", rw_shape1(3));
    rw_optim *o[5] = { rw_sgd_new(P, NULL), rw_adagrad_new(P, NULL), rw_rmsprop_new(P, NULL), rw_adam_new(P, NULL),
                       rw_adamw_new(P, NULL) };
    const double lr[5] = { 1e-3, 1e-2, 1e-2, 1e-3, 1e-3 };
    const int states[5] = { 0, 1, 1, 2, 2 };
    for (int i = 0; i < 5; i++) {
        cr_assert_not_null(o[i], "%s", rw_last_error());
        cr_assert_float_eq(rw_optim_lr(o[i]), lr[i], 1e-15);
        cr_assert_eq(rw_optim_state_count(o[i]), states[i]);
        cr_assert_eq(rw_optim_params(o[i]), P);
        rw_optim_free(o[i]);
    }
    rw_params_free(P);
}

Test(optim, step_allocates_nothing_and_counts)
{
    rw_rng rng = rw_rng_seed(7);
    rw_params *P = rw_params_new();
    rw_param *a = rw_params_add(P, "a", rw_shape2(16, 8)), *b = rw_params_add(P, "b", rw_shape1(8));
    rw_optim *opts[4] = { rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.1, .momentum = 0.9, .nesterov = true }),
                          rw_rmsprop_new(P, &(rw_rmsprop_opts){ .lr = 0.1, .momentum = 0.5 }),
                          rw_adagrad_new(P, NULL),
                          rw_adamw_new(P, &(rw_adam_opts){ .lr = 0.1, .weight_decay = 0.01 }) };
    for (int i = 0; i < 4; i++) {
        size_t before = rw_system_alloc_count();
        for (int s = 0; s < 5; s++) {
            rw_rng_fill_normal(&rng, a->grad, 0, 1);
            rw_rng_fill_normal(&rng, b->grad, 0, 1);
            cr_assert_eq(rw_optim_step(opts[i]), RW_OK, "%s", rw_last_error());
        }
        cr_assert_eq(rw_system_alloc_count(), before, "%s allocated during steps", rw_optim_name(opts[i]));
        cr_assert_eq(rw_optim_steps(opts[i]), 5);
        cr_assert_eq(rw_optim_set_steps(opts[i], 42), RW_OK);
        cr_assert_eq(rw_optim_steps(opts[i]), 42);
        cr_assert_eq(rw_optim_set_steps(opts[i], -1), RW_ERR_ARG);
        cr_assert(strstr(rw_last_error(), "-1 steps; the count must be >= 0") != NULL, "%s", rw_last_error());
        cr_assert_eq(rw_optim_steps(opts[i]), 42);
        cr_assert_eq(rw_optim_set_lr(opts[i], 0.25), RW_OK);
        cr_assert_float_eq(rw_optim_lr(opts[i]), 0.25, 1e-15);
        cr_assert_eq(rw_optim_set_lr(opts[i], -1), RW_ERR_ARG);
        cr_assert_eq(rw_optim_set_lr(opts[i], NAN), RW_ERR_ARG);
        cr_assert_eq(rw_optim_set_lr(opts[i], INFINITY), RW_ERR_ARG);
        cr_assert(strstr(rw_last_error(), "learning rate inf; it must be >= 0 and finite") != NULL, "%s",
                  rw_last_error());
        cr_assert_float_eq(rw_optim_lr(opts[i]), 0.25, 1e-15);
        rw_optim_free(opts[i]);
    }
    rw_params_free(P);
}

Test(optim, non_finite_gradient_refuses_the_step)
{
    rw_param *w;
    rw_params *P = one_param(3, (rw_real[]){ 1, 2, 3 }, &w);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.1 });
    w->grad->data[0] = 1;
    w->grad->data[2] = (rw_real)NAN;
    cr_assert_eq(rw_optim_step(opt), RW_ERR_NUMERIC);
    cr_assert(strstr(rw_last_error(), "parameter 'w' has a non-finite gradient (nan at element 2)") != NULL, "%s",
              rw_last_error());
    cr_assert_eq(rw_optim_steps(opt), 0, "not counted");
    cr_assert_eq(w->value->data[0], 1, "parameters untouched");
    cr_assert_eq(rw_optim_state_at(opt, 0, NULL)->data[0], 0, "state untouched");
    cr_assert_eq(w->grad->data[0], 0, "gradients zeroed");
    rw_optim_free(opt);
    rw_params_free(P);
}

Test(optim, parameters_added_later_are_an_error)
{
    rw_param *w;
    rw_params *P = one_param(1, (rw_real[]){ 1 }, &w);
    rw_optim *opt = rw_sgd_new(P, &(rw_sgd_opts){ .lr = 0.1 });
    rw_params_add(P, "late", rw_shape1(2));
    cr_assert_eq(rw_optim_step(opt), RW_ERR_STATE);
    cr_assert(strstr(rw_last_error(), "has 2 parameters but the sgd optimizer was made for 1") != NULL, "%s",
              rw_last_error());
    rw_optim_free(opt);
    rw_params_free(P);
}
