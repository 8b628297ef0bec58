/* Gradient checkpointing over time (rw_run_opts.recompute_every): the same
 * loss, outputs, parameter and input gradients and generator state as the
 * plain runner, for segment lengths that do and do not divide T, with
 * padding, stacking, both directions, dropout of every kind, learned and
 * carried initial states; a finite-difference check through recomputed
 * segments; less tape memory; clear errors. */
#include <string.h>
#include "rw_test.h"

enum { X = 3, H = 4, B = 3, MAXP = 64 };

typedef struct config {
    const rw_cell_def *cell;
    rw_rnn_spec spec;
    int T;
    bool padded;      /* lengths {T, T-4, 1} */
    bool ids;         /* token ids over a vocabulary of 5 instead of real inputs */
    bool carry;       /* initial states from a carry holding nonzero values */
    rw_output_mode output;
    bool keep_first;  /* rw_carry_keep before rw_backward, as a training loop does */
} config;

typedef struct result {
    double loss;
    rw_tensor *grads[MAXP];
    int n;
    rw_tensor *input_grad;   /* NULL for ids */
    rw_rng rng_after;
} result;

static rw_tensor *clone_grad(const rw_node *x)
{
    rw_tensor *t = rw_tensor_new(RW_REAL, x->value.shape);
    memcpy(t->data, rw_node_grad(x), x->value.size * sizeof(rw_real));
    return t;
}

/* fixed random weights R of x's shape, on g */
static rw_node *weights(rw_graph *g, rw_rng *rng, const rw_node *x)
{
    rw_node *r = rw_leaf_new(g, RW_REAL, x->value.shape, false);
    cr_assert_not_null(r);
    rw_rng_fill_uniform(rng, (rw_tensor *)rw_node_value(r), -1, 1);
    return r;
}

/* loss = sum R . outputs + sum R . last + sum of the final states squared */
static result run(const config *c, int k)
{
    rw_params *P = rw_params_new();
    rw_rnn_spec spec = c->spec;
    if (c->ids)
        spec.vocab = 5;
    rw_rnn *rnn = rwt_rnn_perturbed(P, c->cell, spec, X, H, 11);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_rng data = rw_rng_seed(3), drop = rw_rng_seed(99);
    rw_graph *g = rw_graph_new();
    rw_tensor *xs = c->ids ? rwt_ints(&data, rw_shape2(c->T, B), 0, 5) : rwt_uniform(&data, rw_shape3(c->T, B, X), -1, 1);
    rw_node *x = c->ids ? rw_const(g, xs) : rw_var(g, xs);
    int32_t lengths[B] = { c->T, c->T - 4, 1 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(B), lengths);
    rw_carry *carry = NULL;
    if (c->carry) {
        carry = rw_carry_new(rnn, B);
        rw_graph *g0 = rw_graph_new(); /* a first window leaves nonzero states in the carry */
        rw_tensor *x0 = c->ids ? rwt_ints(&data, rw_shape2(2, B), 0, 5) : rwt_uniform(&data, rw_shape3(2, B, X), -1, 1);
        rw_rng drop0 = rw_rng_seed(7);
        rw_seq s0 = rw_rnn_run(g0, rnn, rw_const(g0, x0), &(rw_run_opts){ .carry = carry, .rng = &drop0 });
        cr_assert_not_null(s0.last, "%s", rw_last_error());
        cr_assert_eq(rw_carry_keep(carry, &s0), RW_OK);
        rw_graph_free(g0);
        rw_tensor_free(x0);
    }
    rw_seq s = rw_rnn_run(g, rnn, x, &(rw_run_opts){ .lengths = c->padded ? rw_const(g, len) : NULL, .rng = &drop,
                                                      .carry = carry, .output = c->output, .recompute_every = k });
    cr_assert_not_null(s.last, "k = %d: %s", k, rw_last_error());
    rw_node *loss = rw_sum(g, rw_mul(g, s.last, weights(g, &data, s.last)));
    if (s.outputs)
        loss = rw_add(g, loss, rw_sum(g, rw_mul(g, s.outputs, weights(g, &data, s.outputs))));
    for (int i = 0; i < s.n_final; i++)
        loss = rw_add(g, loss, rw_sum(g, rw_mul(g, s.final[i], s.final[i])));
    cr_assert_not_null(loss, "%s", rw_last_error());
    if (c->keep_first)
        cr_assert_eq(rw_carry_keep(carry, &s), RW_OK);
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, loss), RW_OK, "k = %d: %s", k, rw_last_error());
    result res = { .loss = rw_scalar(loss), .n = rw_params_count(P), .rng_after = drop };
    cr_assert_leq(res.n, MAXP);
    for (int i = 0; i < res.n; i++)
        res.grads[i] = rw_tensor_clone(rw_params_at(P, i)->grad);
    res.input_grad = c->ids ? NULL : clone_grad(x);
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(len);
    rw_carry_free(carry);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return res;
}

static void free_result(result *r)
{
    for (int i = 0; i < r->n; i++)
        rw_tensor_free(r->grads[i]);
    rw_tensor_free(r->input_grad);
}

/* Every k gives the plain run's numbers. */
static void same_as_plain(const config *c, const int *ks, int n_ks)
{
    result plain = run(c, 0);
    double tol = RWT_EPS * 10;
    for (int j = 0; j < n_ks; j++) {
        result r = run(c, ks[j]);
        rwt_assert_close(r.loss, plain.loss, tol, "k = %d: loss %.17g, plain %.17g", ks[j], r.loss, plain.loss);
        cr_assert_eq(r.n, plain.n);
        for (int i = 0; i < r.n; i++)
            for (size_t e = 0; e < r.grads[i]->size; e++)
                rwt_assert_close(r.grads[i]->data[e], plain.grads[i]->data[e], tol, "k = %d: parameter %d element %zu: "
                                 "%.17g, plain %.17g", ks[j], i, e, r.grads[i]->data[e], plain.grads[i]->data[e]);
        for (size_t e = 0; r.input_grad && e < r.input_grad->size; e++)
            rwt_assert_close(r.input_grad->data[e], plain.input_grad->data[e], tol, "k = %d: input element %zu", ks[j], e);
        cr_assert(r.rng_after.counter == plain.rng_after.counter, "k = %d: the generator drew differently", ks[j]);
        free_result(&r);
    }
    free_result(&plain);
}

static const int KS[] = { 1, 3, 4, 7, 12 }; /* T = 13: none divides it */
#define N_KS ((int)(sizeof KS / sizeof KS[0]))

Test(recompute, lstm_padded)
{
    config c = { .cell = &rw_lstm_cell, .T = 13, .padded = true };
    same_as_plain(&c, KS, N_KS);
}

Test(recompute, lstm_divides_t_unpadded)
{
    config c = { .cell = &rw_lstm_cell, .T = 12, .padded = false };
    same_as_plain(&c, (const int[]){ 1, 2, 3, 4, 6 }, 5);
}

Test(recompute, gru_stacked_bidirectional_dropout_learned_initial)
{
    config c = { .cell = &rw_gru_cell, .T = 13, .padded = true,
                 .spec = { .layers = 2, .bidirectional = true, .dropout = 0.2, .recurrent_dropout = 0.3,
                           .initial_state = RW_STATE_LEARNED } };
    same_as_plain(&c, KS, N_KS);
}

Test(recompute, lstm_variational_residual_carry_last_only)
{
    config c = { .cell = &rw_lstm_cell, .T = 13, .padded = true, .carry = true, .output = RW_OUTPUT_LAST,
                 .spec = { .layers = 3, .recurrent_dropout = 0.25, .dropout = 0.1, .variational = true,
                           .residual = true } };
    same_as_plain(&c, KS, N_KS);
}

/* The carry's values are overwritten before backward: the first steps'
 * gradients must still see the values the run started from. */
Test(recompute, carry_kept_before_backward)
{
    config c = { .cell = &rw_gru_cell, .T = 13, .padded = true, .carry = true, .spec = { .layers = 2 } };
    result after = run(&c, 0);
    c.keep_first = true;
    result before = run(&c, 0);
    for (int i = 0; i < after.n; i++)
        for (size_t e = 0; e < after.grads[i]->size; e++)
            rwt_assert_close(before.grads[i]->data[e], after.grads[i]->data[e], RWT_EPS, "parameter %d element %zu", i, e);
    free_result(&after);
    free_result(&before);
    same_as_plain(&c, KS, N_KS);
}

Test(recompute, elman_ids_bidirectional_sum)
{
    config c = { .cell = &rw_elman_cell, .T = 13, .padded = true, .ids = true,
                 .spec = { .bidirectional = true, .merge = RW_DIRS_SUM, .recurrent_dropout = 0.2 } };
    same_as_plain(&c, KS, N_KS);
}

Test(recompute, elman_jordan_states_of_two_widths)
{
    rw_jordan_opts jo = { .output_size = 2, .activation = RW_ACT_TANH, .output_activation = RW_ACT_TANH };
    config c = { .cell = &rw_elman_jordan_cell, .T = 13, .padded = true, .carry = true,
                 .spec = { .cell_opts = &jo, .bidirectional = true, .layers = 2 } };
    same_as_plain(&c, KS, N_KS);
}

/* ---- finite differences through the recomputed segments ------------------ */

typedef struct gc_ctx {
    rw_rnn *rnn;
    rw_tensor *len;
} gc_ctx;

static rw_node *gc_build(rw_graph *g, rw_node *const *in, void *ctx)
{
    gc_ctx *c = ctx;
    rw_rng drop = rw_rng_seed(4); /* the same masks at every evaluation */
    rw_seq s = rw_rnn_run(g, c->rnn, in[0], &(rw_run_opts){ .lengths = rw_const(g, c->len), .rng = &drop,
                                                           .recompute_every = 3 });
    return s.outputs ? rw_concat(g, (rw_node *[]){ rw_reshape(g, s.outputs, rw_shape1((int)s.outputs->value.size)),
                                                   rw_reshape(g, s.final[1], rw_shape1((int)s.final[1]->value.size)) },
                                 2, 0)
                     : NULL;
}

Test(recompute, gradcheck_lstm_bidirectional_padded)
{
    rw_params *P = rw_params_new();
    gc_ctx c = { .rnn = rwt_rnn_perturbed(P, &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = true, .layers = 2,
                                                                          .recurrent_dropout = 0.3 }, X, H, 5) };
    cr_assert_not_null(c.rnn, "%s", rw_last_error());
    c.len = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 7, 5, 2 });
    rw_rng rng = rw_rng_seed(6);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(7, B, X), -1, 1);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(gc_build, &c, &xs, 1, P, &(rw_gradcheck_opts){ .seed = 2 }, &rep);
    cr_assert_eq(st, RW_OK, "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    cr_assert_gt(rep.checked, 100);
    rw_tensor_free(xs);
    rw_tensor_free(c.len);
    rw_rnn_free(c.rnn);
    rw_params_free(P);
}

/* ---- memory and errors ---------------------------------------------------- */

static size_t tape_peak(rw_rnn *rnn, rw_tensor *xs, int k)
{
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_var(g, xs), &(rw_run_opts){ .recompute_every = k });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, rw_sum(g, s.outputs)), RW_OK, "%s", rw_last_error());
    size_t peak = rw_graph_high_water(g);
    rw_graph_free(g);
    return peak;
}

Test(recompute, holds_less_tape)
{
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rwt_rnn_perturbed(P, &rw_lstm_cell, (rw_rnn_spec){ 0 }, 8, 32, 1);
    rw_rng rng = rw_rng_seed(1);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(400, 4, 8), -1, 1);
    size_t plain = tape_peak(rnn, xs, 0), seg = tape_peak(rnn, xs, 20);
    /* a step of an LSTM records a few dozen [B, 4H]-sized values; with k = 20 the
     * tape keeps the outputs (twice: packed and stacked) and 20 boundaries */
    cr_assert_lt(seg * 3, plain, "plain %zu bytes, recomputed %zu", plain, seg);
    rw_tensor_free(xs);
    rw_rnn_free(rnn);
    rw_params_free(P);
}

Test(recompute, refuses_bad_settings)
{
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rwt_rnn_perturbed(P, &rw_gru_cell, (rw_rnn_spec){ 0 }, X, H, 1);
    rw_rng rng = rw_rng_seed(1);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(6, B, X), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .recompute_every = -2 });
    cr_assert_null(s.last);
    cr_assert(strstr(rw_last_error(), "recompute_every must be >= 1"), "%s", rw_last_error());
    s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .recompute_every = 2, .keep_hidden_grads = true });
    cr_assert_null(s.last);
    cr_assert(strstr(rw_last_error(), "keep_hidden_grads"), "%s", rw_last_error());
    /* k >= T: the plain runner */
    s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .recompute_every = 6 });
    cr_assert_not_null(s.last, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_rnn_free(rnn);
    rw_params_free(P);
}
