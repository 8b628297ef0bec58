/* The sequence runner's features: truncated BPTT, generation, dropout
 * between layers, initializers, and errors. */
#include <string.h>
#include "rw_test.h"

enum { X = 3, H = 5 };

static rw_rnn *make(rw_params *P, const rw_cell_def *cell, rw_rnn_spec o)
{
    rw_rng rng = rw_rng_seed(21);
    o.name = "r";
    o.cell = cell;
    o.input_size = X;
    o.hidden = H;
    rw_rnn *r = rw_rnn_new(P, &o, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    return r;
}

/* Two windows with the state carried give the same values as one long run,
 * and no gradient crosses the window boundary. */
Test(rnn, truncated_bptt_carries_values_and_cuts_gradients)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *r = make(P, &rw_lstm_cell, (rw_rnn_spec){ .layers = 2 });
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(8, 2, X), -1, 1);
    rw_graph *g = rw_graph_new();
    /* One long run; loss over the second half's outputs. */
    rw_node *xw = rw_var(g, xs);
    rw_seq whole = rw_rnn_run(g, r, xw, NULL);
    rw_tensor *expect = rw_tensor_clone(&whole.outputs->value);
    cr_assert_eq(rw_backward(g, rw_sum(g, rw_slice(g, whole.outputs, 0, 4, 4))), RW_OK, "%s", rw_last_error());
    rw_tensor *grad_whole = rw_tensor_new(RW_REAL, xs->shape);
    memcpy(grad_whole->data, rw_node_grad(xw), xs->size * sizeof(rw_real));
    rw_graph_reset(g);

    /* Two windows of 4 with the state carried. */
    rw_carry *carry = rw_carry_new(r, 2);
    rw_tensor first = *xs, second = *xs;
    first.shape = second.shape = rw_shape3(4, 2, X);
    first.size = second.size = 4 * 2 * X;
    second.data = xs->data + 4 * 2 * X;
    first.owns = second.owns = false;
    rw_seq a = rw_rnn_run(g, r, rw_const(g, &first), &(rw_run_opts){ .carry = carry });
    cr_assert_eq(rw_carry_keep(carry, &a), RW_OK);
    rw_graph_reset(g);
    rw_node *x2 = rw_var(g, &second);
    rw_seq b = rw_rnn_run(g, r, x2, &(rw_run_opts){ .carry = carry });
    for (size_t i = 0; i < b.outputs->value.size; i++)
        rwt_assert_close(b.outputs->value.data[i], expect->data[4 * 2 * H + i], RWT_EPS, "element %zu", i);
    /* The window's input gradients equal the long run's; the long run also
     * reaches the first half, which the truncated window cannot. */
    cr_assert_eq(rw_backward(g, rw_sum(g, b.outputs)), RW_OK);
    for (size_t i = 0; i < second.size; i++)
        rwt_assert_close(rw_node_grad(x2)[i], grad_whole->data[4 * 2 * X + i], RWT_EPS * 10, "gradient %zu", i);
    double first_half = 0;
    for (size_t i = 0; i < first.size; i++)
        first_half += fabs(grad_whole->data[i]);
    cr_assert_gt(first_half, 0, "the long run's loss depends on the first half");
    rw_tensor_free(grad_whole);
    rw_graph_free(g);
    rw_carry_free(carry);
    rw_tensor_free(expect);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

static rw_node *feed_back(rw_graph *g, rw_node *out, int step, void *ctx)
{
    (void)step;
    rw_linear *to_input = ctx;
    return rw_tanh(g, rw_linear_apply(g, to_input, out));
}

/* One-to-many: generation feeding outputs back equals stepping by hand. */
Test(rnn, generation_feeds_outputs_back)
{
    rw_rng rng = rw_rng_seed(2);
    rw_params *P = rw_params_new();
    rw_rnn *r = make(P, &rw_gru_cell, (rw_rnn_spec){ .layers = 2 });
    rw_linear *back = rw_linear_new(P, "back", H, X, &rng);
    rw_tensor *x0 = rwt_uniform(&rng, rw_shape2(2, X), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *state[4], *out[6];
    cr_assert_eq(rw_rnn_zero_state(g, r, 2, state), RW_OK);
    cr_assert_eq(rw_rnn_generate(g, r, rw_const(g, x0), state, 6, feed_back, back, out), RW_OK, "%s", rw_last_error());
    rw_node *s2[4], *x = rw_const(g, x0), *last = NULL;
    rw_rnn_zero_state(g, r, 2, s2);
    for (int t = 0; t < 6; t++) {
        last = rw_rnn_step(g, r, x, s2);
        x = feed_back(g, last, t, back);
    }
    for (size_t i = 0; i < last->value.size; i++)
        cr_assert_eq(last->value.data[i], out[5]->value.data[i]);
    rw_graph_free(g);
    rw_tensor_free(x0);
    rw_linear_free(back);
    rw_rnn_free(r);
    rw_params_free(P);
}

typedef struct drop_ctx {
    rw_rnn *r;
    rw_rng rng;
} drop_ctx;

static rw_node *dropped(rw_graph *g, rw_node *const *in, void *vctx)
{
    drop_ctx *c = vctx;
    rw_rng rng = c->rng; /* the same masks at every evaluation */
    return rw_rnn_run(g, c->r, in[0], &(rw_run_opts){ .rng = &rng }).outputs;
}

Test(rnn, variational_dropout_between_layers)
{
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    rw_rnn *r = make(P, &rw_lstm_cell, (rw_rnn_spec){ .layers = 2, .dropout = 0.5, .variational = true });
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(5, 2, X), -1, 1);
    rw_graph *g = rw_graph_new();
    /* Evaluation: no dropout, no generator needed, deterministic. */
    rw_graph_set_training(g, false);
    rw_seq e1 = rw_rnn_run(g, r, rw_const(g, xs), NULL);
    cr_assert_not_null(e1.outputs, "%s", rw_last_error());
    rw_tensor *eval = rw_tensor_clone(&e1.outputs->value);
    rw_graph_reset(g);
    rw_graph_set_training(g, true);
    /* Training without a generator is an error, not a crash. */
    cr_assert_null(rw_rnn_run(g, r, rw_const(g, xs), NULL).outputs);
    cr_assert(strstr(rw_last_error(), "generator") != NULL, "%s", rw_last_error());
    rw_graph_reset(g);
    rw_rng dr = rw_rng_seed(9);
    rw_seq t1 = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .rng = &dr });
    bool differs = false;
    for (size_t i = 0; i < eval->size; i++)
        differs |= t1.outputs->value.data[i] != eval->data[i];
    cr_assert(differs, "dropout changed nothing in training mode");
    rw_graph_reset(g);
    /* The gradient through the dropped-out network is right. */
    drop_ctx c = { r, rw_rng_seed(10) };
    rw_gradcheck_opts o = { 0 };
#ifndef RW_DOUBLE
    o = (rw_gradcheck_opts){ .eps = 3e-3, .tol = 0.3 };
#endif
    cr_assert_eq(rw_gradcheck(dropped, &c, &xs, 1, P, &o, NULL), RW_OK, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(eval);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(init, orthogonal_identity_and_scaled_ranges)
{
    rw_rng rng = rw_rng_seed(4);
    rw_tensor *q = rw_tensor_new(RW_REAL, rw_shape2(6, 6));
    cr_assert_eq(rw_init_tensor(q, rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), &rng), RW_OK);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            double d = 0;
            for (int k = 0; k < 6; k++)
                d += q->data[i * 6 + k] * q->data[j * 6 + k];
            rwt_assert_close(d, i == j ? 1 : 0, RWT_EPS * 100, "Q Q^T [%d][%d] = %g", i, j, d);
        }
    rw_tensor *blocks = rw_tensor_new(RW_REAL, rw_shape2(8, 4)); /* four gates of 4 x 4... two blocks of 4 rows */
    cr_assert_eq(rw_init_tensor(blocks, rw_init_of(RW_INIT_IDENTITY, 2, 4), &rng), RW_OK);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            cr_assert_eq(blocks->data[i * 4 + j], (i % 4) == j ? 2 : 0);
    rw_tensor *w = rw_tensor_new(RW_REAL, rw_shape2(30, 20));
    cr_assert_eq(rw_init_tensor(w, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), &rng), RW_OK);
    double r = sqrt(6.0 / 50), mx = 0;
    for (size_t i = 0; i < w->size; i++)
        mx = fmax(mx, fabs(w->data[i]));
    cr_assert(mx <= r && mx > 0.9 * r, "max %g, bound %g", mx, r);
    cr_assert_eq(rw_init_tensor(w, rw_init_of(RW_INIT_HE_NORMAL, 0, 0), &rng), RW_OK);
    double s2 = 0;
    for (size_t i = 0; i < w->size; i++)
        s2 += w->data[i] * w->data[i];
    rwt_assert_close(s2 / w->size, 2.0 / 20, 0.15, "He variance %g", s2 / w->size);
    /* Seeded: the same seed, the same values. */
    rw_rng a = rw_rng_seed(5), b = rw_rng_seed(5);
    rw_tensor *u = rw_tensor_new(RW_REAL, rw_shape2(3, 3)), *v = rw_tensor_new(RW_REAL, rw_shape2(3, 3));
    rw_init_tensor(u, rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), &a);
    rw_init_tensor(v, rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), &b);
    cr_assert_eq(memcmp(u->data, v->data, 9 * sizeof(rw_real)), 0);
    rw_init_kind k;
    cr_assert_eq(rw_init_from_name("glorot_uniform", &k), RW_OK);
    cr_assert_eq(k, RW_INIT_XAVIER_UNIFORM);
    cr_assert_eq(rw_init_from_name("glorious", &k), RW_ERR_ARG);
    cr_assert_eq(rw_init_tensor(q, rw_init_of(RW_INIT_IDENTITY, 1, 4), &rng), RW_ERR_ARG, "6 rows in blocks of 4");
    rw_tensor_free(q);
    rw_tensor_free(blocks);
    rw_tensor_free(w);
    rw_tensor_free(u);
    rw_tensor_free(v);
}

Test(rnn, bad_construction_is_an_error)
{
    rw_rng rng = rw_rng_seed(6);
    rw_params *P = rw_params_new();
    rw_rnn_spec lstm = { .name = "r", .cell = &rw_lstm_cell, .input_size = X, .hidden = H };
    rw_rnn_spec too_deep = lstm, no_input = lstm, both = lstm, unknown = lstm, coupled = lstm;
    too_deep.layers = 99;
    cr_assert_null(rw_rnn_new(P, &too_deep, &rng));
    cr_assert(strstr(rw_last_error(), "99") != NULL, "%s", rw_last_error());
    no_input.input_size = 0;
    cr_assert_null(rw_rnn_new(P, &no_input, &rng));
    both.cell_name = "gru";
    cr_assert_null(rw_rnn_new(P, &both, &rng));
    cr_assert(strstr(rw_last_error(), "not both") != NULL, "%s", rw_last_error());
    unknown.cell = NULL;
    unknown.cell_name = "lsmt";
    cr_assert_null(rw_rnn_new(P, &unknown, &rng));
    cr_assert(strstr(rw_last_error(), "no cell named 'lsmt'") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_rnn_new(P, NULL, &rng));
    rw_lstm_opts bad = RW_LSTM_DEFAULTS;
    bad.coupled_gates = true;
    bad.forget_gate = false;
    coupled.name = "r2";
    coupled.cell_opts = &bad;
    cr_assert_null(rw_rnn_new(P, &coupled, &rng));
    cr_assert(strstr(rw_last_error(), "coupled") != NULL, "%s", rw_last_error());
    rw_rnn_spec gru = { .name = "r3", .cell_name = "gru", .input_size = X, .hidden = H };
    rw_rnn *ok = rw_rnn_new(P, &gru, &rng);
    cr_assert_not_null(ok, "%s", rw_last_error());
    cr_assert_null(rw_rnn_new(P, &gru, &rng), "a name used twice");
    rw_carry *c = rw_carry_new(ok, 4);
    rw_tensor *xs = rw_tensor_new(RW_REAL, rw_shape3(2, 3, X));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_rnn_run(g, ok, rw_const(g, xs), &(rw_run_opts){ .carry = c }).outputs);
    cr_assert(strstr(rw_last_error(), "batch of 4") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_carry_free(c);
    rw_rnn_free(ok);
    rw_params_free(P);
}
