/* Memory reuse within a step (rw_graph_set_recycling): training gives
 * bit-identical parameters with it on and off, for every built-in cell and
 * the runner's options that record other ops (padding, bidirectional,
 * peepholes, layer norm, carried state); a small LSTM step's tape peak is
 * below a stated bound; a released intermediate cannot be used again. */
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

enum { V = 12, T = 9, B = 5, H = 16 };

typedef struct setup {
    const rw_cell_def *cell;
    const void *cell_opts;
    bool bidirectional, padded, carried;
} setup;

/* Every parameter's value after three Adam steps. */
static rw_real *train(setup su, bool recycling, size_t *count)
{
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = su.cell, .cell_opts = su.cell_opts,
                                                .vocab = V, .hidden = H, .layers = 2,
                                                .bidirectional = su.bidirectional }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_linear *head = rw_linear_new(P, "out", rw_rnn_output_size(rnn), V, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 1e-2 });
    rw_carry *carry = su.carried ? rw_carry_new(rnn, B) : NULL;
    rw_tensor *x = rwt_ints(&rng, rw_shape2(T, B), 0, V), *y = rwt_ints(&rng, rw_shape2(T, B), 0, V);
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(B), (const int32_t[]){ 9, 4, 7, 1, 9 });
    rw_graph *g = rw_graph_new();
    cr_assert(head && opt && x && y && len && g && (carry || !su.carried));
    rw_graph_set_recycling(g, recycling);
    cr_assert_eq(rw_graph_recycling(g), recycling);
    for (int step = 0; step < 3; step++) {
        rw_run_opts o = { .carry = carry, .lengths = su.padded ? rw_const(g, len) : NULL };
        rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), &o);
        rw_node *loss = rw_cross_entropy(g, rw_linear_apply(g, head, s.outputs), rw_const(g, y));
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        rw_optim_step(opt);
        if (carry)
            rw_carry_keep(carry, &s);
        rw_graph_reset(g);
    }
    *count = 0;
    for (int i = 0; i < rw_params_count(P); i++)
        *count += rw_params_at(P, i)->value->size;
    rw_real *values = malloc(*count * sizeof *values);
    cr_assert_not_null(values);
    for (int i = 0, at = 0; i < rw_params_count(P); i++) {
        const rw_tensor *v = rw_params_at(P, i)->value;
        memcpy(values + at, v->data, v->size * sizeof *values);
        at += (int)v->size;
    }
    rw_graph_free(g);
    rw_tensor_free(len);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_carry_free(carry);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return values;
}

static void same_with_and_without(setup su)
{
    size_t n_on, n_off;
    rw_real *on = train(su, true, &n_on), *off = train(su, false, &n_off);
    cr_assert_eq(n_on, n_off);
    size_t differ = 0;
    for (size_t i = 0; i < n_on; i++)
        differ += memcmp(&on[i], &off[i], sizeof *on) != 0;
    cr_expect_eq(differ, 0, "%s: %zu of %zu parameters differ with recycling on and off", su.cell->name, differ,
                 n_on);
    free(on);
    free(off);
}

Test(recycle, lstm_training_is_bit_identical) { same_with_and_without((setup){ .cell = &rw_lstm_cell }); }

Test(recycle, lstm_variants_padded_bidirectional_carried_are_bit_identical)
{
    rw_lstm_opts o = RW_LSTM_DEFAULTS;
    o.peephole = true;
    o.layer_norm = true;
    same_with_and_without((setup){ .cell = &rw_lstm_cell, .cell_opts = &o, .padded = true, .bidirectional = true });
    rw_lstm_opts fgr = RW_LSTM_DEFAULTS;
    fgr.full_gate_recurrence = true;
    same_with_and_without((setup){ .cell = &rw_lstm_cell, .cell_opts = &fgr, .carried = true });
}

Test(recycle, gru_and_elman_training_are_bit_identical)
{
    same_with_and_without((setup){ .cell = &rw_gru_cell, .bidirectional = true, .padded = true });
    same_with_and_without((setup){ .cell = &rw_elman_cell, .carried = true });
}

/* The tape's peak over one training step of a one-layer LSTM, in units of
 * one [B, H] value. */
static double lstm_step_peak(bool recycling, int steps, int batch, int hidden)
{
    rw_rng rng = rw_rng_seed(5);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = &rw_lstm_cell, .vocab = V, .hidden = hidden,
                                                .layers = 1 }, &rng);
    rw_tensor *x = rwt_ints(&rng, rw_shape2(steps, batch), 0, V);
    rw_graph *g = rw_graph_new();
    cr_assert(rnn && x && g, "%s", rw_last_error());
    rw_graph_set_recycling(g, recycling);
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), NULL);
    cr_assert_eq(rw_backward(g, rw_sum(g, s.outputs)), RW_OK, "%s", rw_last_error());
    double peak = (double)rw_graph_high_water(g) / ((double)batch * hidden * sizeof(rw_real));
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return peak;
}

/* Per time step, in [B, H] values: backward must keep 7 of an LSTM step
 * (the gates i, f, o and tanh g, the cell, tanh of the cell, h) and h again
 * in the stacked outputs; the step also records the pre-activation (4), its
 * four gate slices and the products f c and i g (6), which no backward reads.
 * The input projection (lookup, plus bias: 4 + 4) and, during backward,
 * their gradients (4 + 4), the chunked weight-gradient buffers (about 4.5
 * at this size) and the outputs' gradients (2) come on top: about 41 in all.
 * Reusing what no backward reads (the projection's storage serves its
 * gradients) leaves 8 + 8 + 4.5 + 2: the peak stays below 24. */
Test(recycle, lstm_step_peak_is_below_the_bound)
{
    enum { steps = 64, batch = 32, hidden = 128 };
    double off = lstm_step_peak(false, steps, batch, hidden), on = lstm_step_peak(true, steps, batch, hidden);
    cr_log_info("tape peak per time step, in [B, H] values: %.2f without reuse, %.2f with", off / steps, on / steps);
    cr_expect_gt(off / steps, 36, "without reuse: %.2f [B, H] values a step", off / steps);
    cr_expect_lt(on / steps, 24, "with reuse: %.2f [B, H] values a step", on / steps);
}

/* A cell that (wrongly) keeps an intermediate of its step for later. */
static rw_node *stashed;
static rw_status stash_declare(rw_cell *c, rw_rng *rng)
{
    return rw_cell_param(c, "W", rw_shape2(rw_cell_hidden(c), rw_cell_input_size(c) + rw_cell_hidden(c)),
                         rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng)
               ? RW_OK
               : rw_last_status();
}
static rw_node *stash_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    rw_node *in[2] = { x, state[0] };
    rw_node *pre = rw_matmul_ex(g, rw_concat(g, in, 2, -1), rw_p(g, c, "W"), false, true);
    stashed = pre;
    return state[0] = rw_tanh(g, pre);
}
static const rw_cell_def stash_cell = { .name = "test.stash", .n_states = 1, .declare = stash_declare,
                                        .step = stash_step };

Test(recycle, a_released_intermediate_is_refused_by_name)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = &stash_cell, .input_size = 3, .hidden = 4,
                                                .layers = 1 }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(2, 2, 3), -1, 1);
    for (int recycling = 0; recycling <= 1; recycling++) {
        rw_graph *g = rw_graph_new();
        rw_graph_set_recycling(g, recycling);
        rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), NULL);
        cr_assert_not_null(s.outputs, "%s", rw_last_error());
        rw_node *later = rw_sigmoid(g, stashed);
        if (recycling) {
            cr_expect_null(later);
            cr_expect(strstr(rw_last_error(), "released") && strstr(rw_last_error(), "matmul"), "%s",
                      rw_last_error());
            cr_expect_null(rw_node_value(stashed)->data, "its storage went back to the step");
        } else {
            cr_expect_not_null(later, "%s", rw_last_error()); /* everything kept */
        }
        rw_error_clear();
        rw_graph_free(g);
    }
    rw_tensor_free(x);
    rw_rnn_free(rnn);
    rw_params_free(P);
}
