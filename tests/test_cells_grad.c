/* BPTT through every cell and runner feature equals central finite
 * differences over an unrolled sequence (T >= 5, B >= 2), for every
 * parameter and every input element. Tight in the double build. */
#include <string.h>
#include "rw_test.h"

typedef struct spec {
    const char *what;
    const rw_cell_def *cell;
    const void *cell_opts;
    rw_rnn_spec rnn;          /* the runner's features; cell and sizes come from the fields around */
    int T, B, X, H;
    const int32_t *lengths;   /* NULL: all T valid */
    bool last_only;           /* many-to-one: check s.last */
    double stabilizer;
} spec;

typedef struct ctx {
    const spec *s;
    rw_rnn *rnn;
    rw_tensor *lengths;
} ctx;

static rw_node *build(rw_graph *g, rw_node *const *in, void *vctx)
{
    ctx *c = vctx;
    rw_run_opts o = { .output = c->s->last_only ? RW_OUTPUT_LAST : RW_OUTPUT_ALL,
                      .lengths = c->lengths ? rw_const(g, c->lengths) : NULL,
                      .norm_stabilizer = c->s->stabilizer };
    rw_seq s = rw_rnn_run(g, c->rnn, in[0], &o);
    if (!s.last)
        return NULL;
    rw_node *out = c->s->last_only ? s.last : s.outputs;
    if (s.penalty) /* fold the penalty into every output element so it is checked too */
        out = rw_add(g, out, s.penalty);
    return out;
}

static void check(const spec *s)
{
    rw_rng rng = rw_rng_seed(77);
    rw_params *P = rw_params_new();
    rw_rnn_spec rs = s->rnn;
    rs.name = "net";
    rs.cell = s->cell;
    rs.cell_opts = s->cell_opts;
    rs.input_size = s->X;
    rs.hidden = s->H;
    rw_rnn *rnn = rw_rnn_new(P, &rs, &rng);
    cr_assert_not_null(rnn, "%s: %s", s->what, rw_last_error());
    /* Move every parameter off its initial value (zeros, identity) so nothing is trivially zero. */
    for (int i = 0; i < rw_params_count(P); i++) {
        rw_tensor *v = rw_params_at(P, i)->value;
        for (size_t k = 0; k < v->size; k++)
            v->data[k] += (rw_real)(0.3 * (rw_rng_uniform(&rng) - 0.5));
    }
    rw_tensor *xs;
    if (s->rnn.vocab > 0) {
        xs = rwt_ints(&rng, rw_shape2(s->T, s->B), 0, s->rnn.vocab);
    } else {
        xs = rwt_uniform(&rng, rw_shape3(s->T, s->B, s->X), -1, 1);
    }
    ctx c = { s, rnn, s->lengths ? rw_tensor_from_ints(rw_shape1(s->B), s->lengths) : NULL };
    rw_gradcheck_report rep;
#ifdef RW_DOUBLE
    rw_gradcheck_opts opts = { 0 }; /* the checker's tight defaults */
    size_t max_skipped;
#else
    /* float: finite differences through T steps are noisy; this still
     * catches a wrong or missing term, the double build checks tightly */
    rw_gradcheck_opts opts = { .eps = 3e-3, .tol = 0.3 };
#endif
    rw_status st = rw_gradcheck(build, &c, &xs, 1, P, &opts, &rep);
    cr_expect_eq(st, RW_OK, "%s: %s", s->what, rw_last_error());
    cr_expect_gt(rep.checked, 0, "%s", s->what);
#ifdef RW_DOUBLE
    max_skipped = rep.checked / 20;
    cr_expect_leq(rep.skipped, max_skipped, "%s: %zu of %zu elements at kinks", s->what, rep.skipped, rep.checked);
#endif
    rw_tensor_free(xs);
    rw_tensor_free(c.lengths);
    rw_rnn_free(rnn);
    rw_params_free(P);
}

#define BASIC(name, cellp, optsp) { name, cellp, optsp, { 0 }, 5, 2, 3, 4, NULL, false, 0 }
#define PLAIN(name, cellp) { name, cellp, NULL, { 0 }, 5, 2, 3, 4, NULL, false, 0 }

Test(cells_grad, elman_variants)
{
    rw_elman_opts tanh_o = { RW_ACT_TANH }, sig = { RW_ACT_SIGMOID };
    spec specs[] = { BASIC("elman tanh", &rw_elman_cell, &tanh_o), BASIC("elman sigmoid", &rw_elman_cell, &sig),
                     PLAIN("irnn", &rw_irnn_cell) };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check(&specs[i]);
}

Test(cells_grad, jordan_and_both_recurrences)
{
    rw_jordan_opts j = { 3, RW_ACT_TANH, RW_ACT_SIGMOID };
    spec specs[] = { BASIC("jordan", &rw_jordan_cell, &j), BASIC("elman + jordan", &rw_elman_jordan_cell, &j) };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check(&specs[i]);
}

Test(cells_grad, lstm_variants)
{
    rw_lstm_opts std = RW_LSTM_DEFAULTS, peep = std, cifg = std, nig = std, nfg = std, nog = std, niaf = std,
                 noaf = std, ln = std, fb = std, fgr = std, fgr_cifg = std, fgr_nog = std;
    fgr.full_gate_recurrence = true;
    fgr_cifg.full_gate_recurrence = fgr_cifg.coupled_gates = fgr_cifg.peephole = true;
    fgr_nog.full_gate_recurrence = fgr_nog.layer_norm = true;
    fgr_nog.output_gate = false;
    peep.peephole = true;
    cifg.coupled_gates = cifg.peephole = true;
    nig.input_gate = false;
    nfg.forget_gate = false;
    nog.output_gate = false;
    niaf.input_activation = RW_ACT_NONE;
    noaf.output_activation = RW_ACT_NONE;
    ln.layer_norm = ln.peephole = true;
    fb.forget_bias = 2.0;
    spec specs[] = {
        BASIC("lstm", &rw_lstm_cell, &std), BASIC("lstm peephole", &rw_lstm_cell, &peep),
        BASIC("lstm coupled + peephole", &rw_lstm_cell, &cifg), BASIC("lstm no input gate", &rw_lstm_cell, &nig),
        BASIC("lstm no forget gate", &rw_lstm_cell, &nfg), BASIC("lstm no output gate", &rw_lstm_cell, &nog),
        BASIC("lstm no input activation", &rw_lstm_cell, &niaf),
        BASIC("lstm no output activation", &rw_lstm_cell, &noaf),
        BASIC("lstm layer norm + peephole", &rw_lstm_cell, &ln), BASIC("lstm forget bias 2", &rw_lstm_cell, &fb),
        BASIC("lstm full gate recurrence", &rw_lstm_cell, &fgr),
        BASIC("lstm full gate recurrence, coupled + peephole", &rw_lstm_cell, &fgr_cifg),
        BASIC("lstm full gate recurrence, layer norm, no output gate", &rw_lstm_cell, &fgr_nog),
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check(&specs[i]);
}

Test(cells_grad, gru_variants)
{
    rw_gru_opts lect = { 0 }, after = { .reset_after = true }, ln = { .layer_norm = true },
                ln_after = { .reset_after = true, .layer_norm = true };
    spec specs[] = { BASIC("gru", &rw_gru_cell, &lect), BASIC("gru reset-after", &rw_gru_cell, &after),
                     BASIC("gru layer norm", &rw_gru_cell, &ln),
                     BASIC("gru reset-after layer norm", &rw_gru_cell, &ln_after) };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check(&specs[i]);
}

Test(cells_grad, stacked_bidirectional_padded)
{
    static const int32_t lens[3] = { 6, 2, 4 };
    spec s1 = PLAIN("lstm 2 layers residual", &rw_lstm_cell);
    s1.rnn = (rw_rnn_spec){ .layers = 2, .residual = true };
    s1.X = 4;
    spec s2 = PLAIN("gru bidirectional", &rw_gru_cell);
    s2.rnn = (rw_rnn_spec){ .bidirectional = true };
    spec s3 = PLAIN("lstm bidirectional 2 layers padded", &rw_lstm_cell);
    s3.rnn = (rw_rnn_spec){ .bidirectional = true, .layers = 2 };
    s3.T = 6;
    s3.B = 3;
    s3.lengths = lens;
    spec s4 = s3;
    s4.what = "lstm bidirectional padded, many-to-one";
    s4.last_only = true;
    spec s5 = PLAIN("gru learned initial state, norm stabilizer", &rw_gru_cell);
    s5.rnn = (rw_rnn_spec){ .initial_state = RW_STATE_LEARNED };
    s5.stabilizer = 2.0;
    spec s6 = PLAIN("lstm over token ids", &rw_lstm_cell);
    s6.rnn = (rw_rnn_spec){ .vocab = 5 };
    static rw_lstm_opts fgr = RW_LSTM_DEFAULTS;
    fgr.full_gate_recurrence = true;
    spec s7 = s3;
    s7.what = "lstm full gate recurrence, bidirectional 2 layers padded";
    s7.cell_opts = &fgr;
    spec specs[] = { s1, s2, s3, s4, s5, s6, s7 };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check(&specs[i]);
}
