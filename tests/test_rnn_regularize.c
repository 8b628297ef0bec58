/* The runner's regularizers: dropout on the recurrent connection (one mask
 * per sequence or per step) for every built-in cell, and the hidden-state
 * penalties (L2 of h_t, of h_t - h_{t-1}, the norm-stabilizer), which count
 * only the valid steps of padded sequences. Gradients against finite
 * differences (tight in the double build). */
#include <string.h>
#include "rw_test.h"

enum { X = 3, H = 4 };

typedef struct ctx {
    rw_rnn *r;
    rw_run_opts o;      /* template: rng and lengths are filled per evaluation */
    rw_tensor *lengths;
    uint64_t seed;
} ctx;

/* The outputs with the penalty folded into each element, masks drawn from
 * the same seed at every evaluation. */
static rw_node *build(rw_graph *g, rw_node *const *in, void *vctx)
{
    ctx *c = vctx;
    rw_rng rng = rw_rng_seed(c->seed);
    rw_run_opts o = c->o;
    o.rng = &rng;
    o.lengths = c->lengths ? rw_const(g, c->lengths) : NULL;
    rw_seq s = rw_rnn_run(g, c->r, in[0], &o);
    if (!s.outputs)
        return NULL;
    return s.penalty ? rw_add(g, s.outputs, s.penalty) : s.outputs;
}


static rw_rnn *make(rw_params *P, const rw_cell_def *cell, rw_rnn_spec spec, int seed)
{
    rw_rnn *r = rwt_rnn_perturbed(P, cell, spec, X, H, (uint64_t)seed);
    cr_assert_not_null(r, "%s", rw_last_error());
    return r;
}

static void gradcheck(const char *what, ctx *c, int T, int B)
{
    rw_rng rng = rw_rng_seed(5);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_gradcheck_opts go = { 0 };
#ifndef RW_DOUBLE
    go = (rw_gradcheck_opts){ .eps = 3e-3, .tol = 0.3 };
#endif
    rw_gradcheck_report rep;
    cr_expect_eq(rw_gradcheck(build, c, &xs, 1, NULL, &go, &rep), RW_OK, "%s: %s", what, rw_last_error());
    cr_expect_gt(rep.checked, 0, "%s", what);
    rw_tensor_free(xs);
}

Test(recurrent_dropout, gradients_for_every_builtin_cell)
{
    const rw_cell_def *cells[] = { &rw_lstm_cell, &rw_gru_cell, &rw_elman_cell, &rw_irnn_cell, &rw_jordan_cell,
                                   &rw_elman_jordan_cell };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        for (int variational = 0; variational < 2; variational++) {
            rw_params *P = rw_params_new();
            ctx c = { .r = make(P, cells[i], (rw_rnn_spec){ .recurrent_dropout = 0.4, .variational = variational,
                                                            .bidirectional = i == 0 }, 3),
                      .seed = 11 };
            char what[96];
            snprintf(what, sizeof what, "%s, %s masks", cells[i]->name, variational ? "per-sequence" : "per-step");
            gradcheck(what, &c, 5, 2);
            rw_rnn_free(c.r);
            rw_params_free(P);
        }
}

/* An IRNN with W = 0, b = 0, U = I and h_0 = 1 computes h_t = relu(h_{t-1} * m_t):
 * each unit is the product of its masks so far. One mask per sequence drops
 * the same units at every step; a mask per step drops more units over time. */
static void masked_states(bool variational, rw_real out[6][2][16])
{
    enum { T = 6, B = 2, W = 16 };
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(4);
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "irnn", .cell = &rw_irnn_cell, .input_size = 1, .hidden = W,
                                              .recurrent_dropout = 0.5, .variational = variational }, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    rw_cell *cell = rw_rnn_cell(r, 0, 0);
    rw_tensor *U = rw_cell_get_param(cell, "U")->value;
    memset(rw_cell_get_param(cell, "W")->value->data, 0, sizeof(rw_real) * W);
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++)
            U->data[i * W + j] = i == j;
    rw_graph *g = rw_graph_new();
    rw_tensor *ones = rw_tensor_new(RW_REAL, rw_shape2(B, W)), *xs = rw_tensor_new(RW_REAL, rw_shape3(T, B, 1));
    for (size_t i = 0; i < ones->size; i++)
        ones->data[i] = 1;
    rw_node *h0 = rw_const(g, ones);
    rw_rng dr = rw_rng_seed(8);
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .initial = &h0, .rng = &dr });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    memcpy(out, s.outputs->value.data, sizeof(rw_real) * T * B * W);
    /* evaluation mode: no dropout, no generator needed */
    rw_graph_reset(g);
    rw_graph_set_training(g, false);
    h0 = rw_const(g, ones);
    rw_seq e = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .initial = &h0 });
    cr_assert_not_null(e.outputs, "%s", rw_last_error());
    for (size_t i = 0; i < e.outputs->value.size; i++)
        cr_assert_eq(e.outputs->value.data[i], 1, "evaluation keeps every unit");
    rw_graph_free(g);
    rw_tensor_free(ones);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(recurrent_dropout, one_mask_per_sequence_or_per_step)
{
    rw_real seq[6][2][16], step[6][2][16];
    masked_states(true, seq);
    masked_states(false, step);
    int zeros_first = 0, zeros_last_step = 0;
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 16; j++) {
            bool dropped = seq[0][b][j] == 0;
            zeros_first += dropped;
            for (int t = 1; t < 6; t++) /* kept units grow by 1/(1-p) = 2 at every step */
                rwt_assert_close(seq[t][b][j], dropped ? 0 : pow(2, t + 1), RWT_EPS, "unit %d of %d at %d", j, b, t);
            zeros_last_step += step[5][b][j] == 0;
        }
    cr_assert(zeros_first > 4 && zeros_first < 28, "about half of 32 units dropped, got %d", zeros_first);
    cr_assert_gt(zeros_last_step, 28, "6 masks per unit drop nearly all units, got %d of 32", 32 - zeros_last_step);
}

Test(recurrent_dropout, bad_settings_are_errors)
{
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(1);
    cr_assert_null(rw_rnn_new(P, &(rw_rnn_spec){ .name = "r", .cell = &rw_gru_cell, .input_size = X, .hidden = H,
                                                 .recurrent_dropout = 1 }, &rng));
    cr_assert(strstr(rw_last_error(), "recurrent_dropout") != NULL, "%s", rw_last_error());
    rw_rnn *r = make(P, &rw_gru_cell, (rw_rnn_spec){ .recurrent_dropout = 0.3 }, 2);
    rw_graph *g = rw_graph_new();
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(3, 2, X), -1, 1);
    cr_assert_null(rw_rnn_run(g, r, rw_const(g, xs), NULL).outputs);
    cr_assert(strstr(rw_last_error(), "generator") != NULL, "%s", rw_last_error());
    rw_graph_reset(g);
    cr_assert_null(rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .hidden_l2 = -1, .rng = &rng }).outputs);
    cr_assert(strstr(rw_last_error(), "hidden_l2") != NULL, "%s", rw_last_error());
    rw_tensor_free(xs);
    rw_graph_free(g);
    rw_rnn_free(r);
    rw_params_free(P);
}

/* ---- hidden-state penalties ---------------------------------------------------------- */

static const rw_run_opts penalties[] = {
    { .hidden_l2 = 0.7 },
    { .hidden_diff_l2 = 1.3 },
    { .norm_stabilizer = 2.0 },
    { .hidden_l2 = 0.5, .hidden_diff_l2 = 0.25, .norm_stabilizer = 1.5 },
};
static const char *const penalty_names[] = { "hidden_l2", "hidden_diff_l2", "norm_stabilizer", "all three" };

static double penalty_of(rw_rnn *r, const rw_tensor *xs, const rw_run_opts *o, const rw_tensor *lengths)
{
    rw_graph *g = rw_graph_new();
    rw_run_opts ro = *o;
    ro.lengths = lengths ? rw_const(g, lengths) : NULL;
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), &ro);
    cr_assert_not_null(s.penalty, "%s", rw_last_error());
    double v = s.penalty->value.data[0];
    rw_graph_free(g);
    return v;
}

/* A padded batch's penalty is the mean of each sequence's penalty alone. */
Test(hidden_penalties, padded_steps_add_nothing)
{
    enum { T = 6, B = 3 };
    static const int32_t lens[B] = { 6, 3, 2 };
    rw_params *P = rw_params_new();
    rw_rnn *r = make(P, &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = true, .layers = 2 }, 6);
    rw_rng rng = rw_rng_seed(7);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_tensor *lengths = rw_tensor_from_ints(rw_shape1(B), lens);
    for (size_t k = 0; k < sizeof penalties / sizeof penalties[0]; k++) {
        double batch = penalty_of(r, xs, &penalties[k], lengths), alone = 0;
        for (int b = 0; b < B; b++) {
            rw_tensor *one = rw_tensor_new(RW_REAL, rw_shape3(lens[b], 1, X));
            for (int t = 0; t < lens[b]; t++)
                memcpy(one->data + t * X, xs->data + (t * B + b) * X, X * sizeof(rw_real));
            alone += penalty_of(r, one, &penalties[k], NULL);
            rw_tensor_free(one);
        }
        cr_assert_gt(batch, 0, "%s", penalty_names[k]);
        rwt_assert_close(batch * B, alone, RWT_EPS * 10, "%s: batch %g x %d vs alone %g", penalty_names[k], batch, B,
                         alone);
    }
    rw_tensor_free(lengths);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

/* The values by hand for a tiny case: h from an Elman cell, T = 3, B = 1. */
Test(hidden_penalties, values_by_hand)
{
    rw_params *P = rw_params_new();
    rw_rnn *r = make(P, &rw_elman_cell, (rw_rnn_spec){ 0 }, 9);
    rw_rng rng = rw_rng_seed(3);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(3, 1, X), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), NULL);
    const rw_real *h = s.outputs->value.data;
    double l2 = 0, diff = 0, ns = 0, n[3] = { 0, 0, 0 };
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < H; j++) {
            l2 += h[t * H + j] * h[t * H + j];
            n[t] += h[t * H + j] * h[t * H + j];
            if (t > 0)
                diff += (h[t * H + j] - h[(t - 1) * H + j]) * (h[t * H + j] - h[(t - 1) * H + j]);
        }
    for (int t = 1; t < 3; t++)
        ns += (sqrt(n[t]) - sqrt(n[t - 1])) * (sqrt(n[t]) - sqrt(n[t - 1]));
    rwt_assert_close(penalty_of(r, xs, &(rw_run_opts){ .hidden_l2 = 2 }, NULL), 2 * l2, RWT_EPS * 10, "L2");
    rwt_assert_close(penalty_of(r, xs, &(rw_run_opts){ .hidden_diff_l2 = 3 }, NULL), 3 * diff, RWT_EPS * 10, "diff");
    rwt_assert_close(penalty_of(r, xs, &(rw_run_opts){ .norm_stabilizer = 5 }, NULL), 5 * ns / 3, RWT_EPS * 10, "ns");
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_rnn_free(r);
    rw_params_free(P);
}

Test(hidden_penalties, gradients_padded_and_bidirectional)
{
    static const int32_t lens[3] = { 5, 2, 4 };
    for (size_t k = 0; k < sizeof penalties / sizeof penalties[0]; k++) {
        rw_params *P = rw_params_new();
        ctx c = { .r = make(P, k % 2 ? &rw_gru_cell : &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = k >= 2 }, 4),
                  .o = penalties[k], .seed = 1,
                  .lengths = rw_tensor_from_ints(rw_shape1(3), lens) };
        gradcheck(penalty_names[k], &c, 5, 3);
        rw_tensor_free(c.lengths);
        rw_rnn_free(c.r);
        rw_params_free(P);
    }
}
