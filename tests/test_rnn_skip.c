/* Connections around the recurrent layers: residual with a learned
 * projection where widths differ (F29) and skip connections from the input
 * and every layer to the read-out (F28), from C and YAML: values, gradients
 * (tight in the double build), stepping equal to running, learning. */
#include <string.h>
#include "rw_test.h"

enum { X = 3, H = 5, T = 4, B = 2 };

static rw_tensor *outputs_of(rw_rnn *r, const rw_tensor *xs)
{
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), NULL);
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    rw_tensor *out = rw_tensor_new(RW_REAL, s.outputs->value.shape);
    memcpy(out->data, s.outputs->value.data, out->size * sizeof *out->data);
    rw_graph_free(g);
    return out;
}

Test(rnn_skip, residual_projection_adds_the_projected_input)
{
    rw_rng rng = rw_rng_seed(2);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_params *P = rw_params_new(), *Q = rw_params_new();
    rw_rng r1 = rw_rng_seed(9), r2 = rw_rng_seed(9);
    rw_rnn_spec spec = { .name = "r", .cell = &rw_elman_cell, .input_size = X, .hidden = H };
    rw_rnn *plain = rw_rnn_new(P, &spec, &r1);
    spec.residual = spec.residual_projection = true;
    rw_rnn *res = rw_rnn_new(Q, &spec, &r2);
    cr_assert(plain && res, "%s", rw_last_error());
    const rw_param *proj = rw_params_get(Q, "r.l0.res_proj");
    cr_assert_not_null(proj, "the projection is a parameter");
    cr_assert(rw_shape_equal(proj->value->shape, rw_shape2(H, X)));
    rw_tensor *a = outputs_of(plain, xs), *b = outputs_of(res, xs);
    const rw_real *p = proj->value->data;
    for (int i = 0; i < T * B; i++)
        for (int h = 0; h < H; h++) {
            double want = a->data[i * H + h];
            for (int x = 0; x < X; x++)
                want += p[h * X + x] * xs->data[i * X + x];
            rwt_assert_close(b->data[i * H + h], want, RWT_EPS, "row %d unit %d", i, h);
        }
    /* residual without projection leaves the first layer (widths differ) alone */
    rw_params *S = rw_params_new();
    rw_rng r3 = rw_rng_seed(9);
    spec.residual_projection = false;
    rw_rnn *same = rw_rnn_new(S, &spec, &r3);
    rw_tensor *c = outputs_of(same, xs);
    cr_expect_eq(memcmp(a->data, c->data, a->size * sizeof *a->data), 0);
    cr_expect_null(rw_params_get(S, "r.l0.res_proj"));
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(c);
    rw_tensor_free(xs);
    rw_rnn_free(plain);
    rw_rnn_free(res);
    rw_rnn_free(same);
    rw_params_free(P);
    rw_params_free(Q);
    rw_params_free(S);
}

Test(rnn_skip, skip_outputs_concatenate_the_input_and_every_layer)
{
    rw_rng rng = rw_rng_seed(2);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_params *P = rw_params_new(), *Q = rw_params_new();
    rw_rng r1 = rw_rng_seed(9), r2 = rw_rng_seed(9);
    rw_rnn_spec spec = { .name = "r", .cell = &rw_gru_cell, .input_size = X, .hidden = H, .layers = 2,
                         .bidirectional = true };
    rw_rnn *plain = rw_rnn_new(P, &spec, &r1);
    spec.skip_outputs = true;
    rw_rnn *skip = rw_rnn_new(Q, &spec, &r2);
    cr_assert(plain && skip, "%s", rw_last_error());
    int W = X + 2 * H + 2 * H;
    cr_assert_eq(rw_rnn_output_size(skip), W);
    rw_tensor *a = outputs_of(plain, xs), *b = outputs_of(skip, xs);
    cr_assert(rw_shape_equal(b->shape, rw_shape3(T, B, W)));
    for (int i = 0; i < T * B; i++) {
        for (int x = 0; x < X; x++)
            cr_assert_eq(b->data[i * W + x], xs->data[i * X + x]);
        for (int k = 0; k < 2 * H; k++) /* the top layer's outputs come last */
            cr_assert_eq(b->data[i * W + X + 2 * H + k], a->data[i * 2 * H + k]);
    }
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, skip, rw_const(g, xs), &(rw_run_opts){ .output = RW_OUTPUT_LAST });
    cr_expect_null(s.last);
    cr_expect(strstr(rw_last_error(), "RW_OUTPUT_ALL"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(xs);
    rw_rnn_free(plain);
    rw_rnn_free(skip);
    rw_params_free(P);
    rw_params_free(Q);
}

typedef struct ctx {
    rw_rnn *r;
} ctx;

static rw_node *run_outputs(rw_graph *g, rw_node *const *in, void *vctx)
{
    ctx *c = vctx;
    return rw_rnn_run(g, c->r, in[0], NULL).outputs;
}

Test(rnn_skip, gradients_match_finite_differences)
{
    rw_rnn_spec specs[] = {
        { .layers = 3, .residual = true, .residual_projection = true, .skip_outputs = true },
        { .layers = 2, .residual = true, .residual_projection = true, .bidirectional = true },
        { .layers = 2, .residual = true, .residual_projection = true, .bidirectional = true,
          .merge = RW_DIRS_SUM, .skip_outputs = true },
    };
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        rw_params *P = rw_params_new();
        rw_rnn *r = rwt_rnn_perturbed(P, &rw_lstm_cell, specs[k], X, H, 3);
        cr_assert_not_null(r, "%s", rw_last_error());
        rw_rng rng = rw_rng_seed(5);
        rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
        rw_gradcheck_opts go = { .seed = 2 };
#ifndef RW_DOUBLE
        go = (rw_gradcheck_opts){ .eps = 3e-3, .tol = 0.3, .seed = 2 };
#endif
        rw_gradcheck_report rep;
        ctx c = { r };
        cr_expect_eq(rw_gradcheck(run_outputs, &c, &xs, 1, P, &go, &rep), RW_OK, "spec %zu: %s (worst %g at %s)", k,
                     rw_last_error(), rep.worst_error, rep.where);
        cr_expect_gt(rep.checked, 100);
        rw_tensor_free(xs);
        rw_rnn_free(r);
        rw_params_free(P);
    }
}

Test(rnn_skip, stepping_equals_running_with_residual_projection_and_skip)
{
    rw_params *P = rw_params_new();
    rw_rnn *r = rwt_rnn_perturbed(P, &rw_gru_cell, (rw_rnn_spec){ .layers = 3, .residual = true,
                                  .residual_projection = true, .skip_outputs = true }, X, H, 4);
    cr_assert_not_null(r, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(5);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_tensor *want = outputs_of(r, xs);
    int W = rw_rnn_output_size(r);
    rw_graph *g = rw_graph_new();
    rw_node *state[3];
    cr_assert_eq(rw_rnn_zero_state(g, r, B, state), RW_OK, "%s", rw_last_error());
    for (int t = 0; t < T; t++) {
        rw_tensor *xt = rw_tensor_new(RW_REAL, rw_shape2(B, X));
        memcpy(xt->data, xs->data + t * B * X, (size_t)B * X * sizeof *xt->data);
        rw_node *out = rw_rnn_step(g, r, rw_const_copy(g, xt), state);
        cr_assert_not_null(out, "%s", rw_last_error());
        cr_assert(rw_shape_equal(out->value.shape, rw_shape2(B, W)));
        for (int i = 0; i < B * W; i++)
            rwt_assert_close(out->value.data[i], want->data[t * B * W + i], RWT_EPS, "step %d element %d", t, i);
        rw_tensor_free(xt);
    }
    rw_graph_free(g);
    rw_tensor_free(want);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

/* ---- through YAML ------------------------------------------------------------------------ */

static rw_model *load(const char *rnn_keys)
{
    char text[1024];
    snprintf(text, sizeof text,
             "format: rewind/1\n"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: 4}\n"
             "    - lstm: {size: 6, stack: 2, %s}\n"
             "    - linear: {size: vocab}\n"
             "  outputs: {next: {target: next}}\n"
             "train:\n"
             "  seed: 3\n"
             "  optimizer: {type: adam, lr: 0.03}\n",
             rnn_keys);
    return rw_model_load_string(text, "skip.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
}

typedef struct fixture {
    rw_model *m;
    rw_tensor *in, *tgt;
    rw_model_batch b;
} fixture;

static rw_node *model_loss(rw_graph *g, rw_node *const *in, void *vctx)
{
    (void)in;
    fixture *f = vctx;
    return rw_model_loss(g, f->m, &f->b);
}

Test(rnn_skip, yaml_residual_project_and_skip_learn_and_pass_gradcheck, .timeout = 120)
{
    fixture f = { .m = load("residual: project, skip: true") };
    cr_assert_not_null(f.m, "%s", rw_last_error());
    cr_expect_not_null(rw_params_get(rw_model_params(f.m), "lstm_2.l0.res_proj"), "embedding 4 -> 6 is projected");
    rw_rng rng = rw_rng_seed(4);
    f.in = rwt_ints(&rng, rw_shape2(8, 6), 0, 5);
    f.tgt = rw_tensor_new(RW_INT32, rw_shape2(8, 6));
    for (int i = 0; i < 48; i++) /* copy one step late */
        f.tgt->idata[i] = i >= 6 ? f.in->idata[i - 6] : 0;
    f.b = (rw_model_batch){ .inputs = f.in, .targets = f.tgt };
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(model_loss, &f, NULL, 0, rw_model_params(f.m),
                                &(rw_gradcheck_opts){ .seed = 4, .max_per_tensor = 30 }, &rep);
    cr_expect_eq(st, RW_OK, "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    rw_optim *opt = rw_model_optim_new(f.m);
    rw_graph *g = rw_graph_new();
    for (int step = 0; step < 100; step++) {
        rw_node *loss = rw_model_loss(g, f.m, &f.b);
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
        rw_graph_reset(g);
    }
    double last = rw_scalar(rw_model_loss(g, f.m, &f.b));
    cr_expect(last < 0.3 * log(5.0), "loss %g after 100 steps", last);
    rw_graph_free(g);
    rw_optim_free(opt);
    rw_tensor_free(f.in);
    rw_tensor_free(f.tgt);
    rw_model_free(f.m);
}

Test(rnn_skip, yaml_errors_at_the_key)
{
    cr_expect_null(load("residual: projected"));
    cr_expect(strstr(rw_last_error(), "skip.yaml:5:") && strstr(rw_last_error(), "project"), "%s", rw_last_error());
    cr_expect_null(load("skip: true, output: last"));
    cr_expect(strstr(rw_last_error(), "not last"), "%s", rw_last_error());
}
