/* The cell registry and options by name: lookup and enumeration, typed
 * setting with type and range errors, record validation, and a cell
 * written in C, registered at start-up, used from a model file like a
 * built-in: it trains and passes a gradient check. */
#include <string.h>
#include "rw_test.h"

Test(cell_registry, built_ins_are_registered_in_order)
{
    static const char *const names[] = { "lstm", "gru", "elman", "irnn", "jordan", "elman_jordan" };
    cr_assert_geq(rw_cell_count(), 6);
    for (int i = 0; i < 6; i++) {
        cr_expect_str_eq(rw_cell_at(i)->name, names[i]);
        cr_expect_eq(rw_cell_find(names[i]), rw_cell_at(i));
        cr_expect(rw_cell_at(i)->doc && rw_cell_at(i)->doc[0], "%s has no doc", names[i]);
    }
    cr_expect_eq(rw_cell_find("lstm"), &rw_lstm_cell);
    cr_expect_eq(rw_cell_find("irnn"), &rw_irnn_cell);
    cr_expect_null(rw_cell_find("lsmt"));
    cr_expect_null(rw_cell_find(NULL));
    cr_expect_null(rw_cell_at(-1));
    cr_expect_null(rw_cell_at(rw_cell_count()));
}

Test(cell_registry, options_are_set_by_name_and_checked)
{
    rw_lstm_opts o;
    rw_cell_default_opts(&rw_lstm_cell, &o);
    rw_lstm_opts d = RW_LSTM_DEFAULTS;
    cr_expect(o.forget_bias == 1.0 && o.input_gate && o.forget_gate && o.output_gate && !o.peephole);
    cr_expect_eq(memcmp(&o, &d, sizeof o), 0, "RW_LSTM_DEFAULTS and the registry's defaults differ");
    cr_assert_eq(rw_cell_option_set(&rw_lstm_cell, &o, "forget_bias", "2.5"), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_cell_option_set(&rw_lstm_cell, &o, "peephole", "true"), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_cell_option_set(&rw_lstm_cell, &o, "output_activation", "none"), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_cell_option_set_value(&rw_lstm_cell, &o, "input_gate", 0), RW_OK, "%s", rw_last_error());
    cr_expect(o.forget_bias == 2.5 && o.peephole && o.output_activation == RW_ACT_NONE && !o.input_gate);

    /* type and range errors name the cell, the option and what it accepts, and change nothing */
    rw_lstm_opts before = o;
    cr_expect_eq(rw_cell_option_set(&rw_lstm_cell, &o, "forget_bias", "lots"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "cell 'lstm': option 'forget_bias' must be a number [-1000, 1000], got "
                                      "\"lots\""), "%s", rw_last_error());
    cr_expect_eq(rw_cell_option_set(&rw_lstm_cell, &o, "forget_bias", "5000"), RW_ERR_ARG);
    cr_expect_eq(rw_cell_option_set(&rw_lstm_cell, &o, "peephole", "yes"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "'peephole' must be a bool true | false, got \"yes\""), "%s", rw_last_error());
    cr_expect_eq(rw_cell_option_set(&rw_lstm_cell, &o, "input_activation", "sigmoid"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "must be one of tanh | none, got \"sigmoid\""), "%s", rw_last_error());
    cr_expect_eq(rw_cell_option_set_value(&rw_lstm_cell, &o, "input_activation", RW_ACT_RELU), RW_ERR_ARG);
    cr_expect_eq(rw_cell_option_set(&rw_lstm_cell, &o, "forget_bais", "1"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "has no option 'forget_bais' (its options: forget_bias, layer_norm"), "%s",
              rw_last_error());
    cr_expect_eq(memcmp(&o, &before, sizeof o), 0, "a refused value changed the options");

    rw_jordan_opts j = { 0 };
    cr_expect_eq(rw_cell_option_set(&rw_jordan_cell, &j, "output_size", "3"), RW_OK, "%s", rw_last_error());
    cr_expect_eq(j.output_size, 3);
    cr_expect_eq(rw_cell_option_set(&rw_jordan_cell, &j, "output_size", "2.5"), RW_ERR_ARG);
    cr_expect_eq(rw_cell_option_set(&rw_jordan_cell, &j, "output_size", "-1"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "must be an integer 0 .. 16777216, got \"-1\""), "%s", rw_last_error());
    cr_expect_eq(rw_cell_option_set(&rw_irnn_cell, &j, "activation", "tanh"), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "cell 'irnn' has no option 'activation' (it has none)"), "%s",
              rw_last_error());

    /* combinations: coupled gates need both gates, and the option to blame is named */
    rw_lstm_opts c = RW_LSTM_DEFAULTS;
    c.coupled_gates = true;
    c.forget_gate = false;
    const char *blame = NULL;
    cr_expect_eq(rw_cell_check_opts(&rw_lstm_cell, &c, &blame), RW_ERR_ARG);
    cr_expect_str_eq(blame ? blame : "", "coupled_gates");
    c.forget_gate = true;
    c.forget_bias = 1e9; /* set directly: outside the range */
    cr_expect_eq(rw_cell_check_opts(&rw_lstm_cell, &c, &blame), RW_ERR_ARG);
    cr_expect_str_eq(blame ? blame : "", "forget_bias");

    char buf[64];
    const rw_cell_option *act = rw_cell_option_find(&rw_elman_cell, "activation");
    cr_assert_not_null(act);
    rw_elman_opts e = { RW_ACT_RELU };
    cr_expect_str_eq(rw_cell_option_format(act, &e, buf, sizeof buf), "relu");
    cr_expect_str_eq(rw_cell_option_allowed(act, buf, sizeof buf), "tanh | sigmoid | relu | none");
}

/* ---- a cell written in C -------------------------------------------------- */

/* A leaky Elman cell: h = h_prev + rate (f(x W^T + h_prev U^T + b) - h_prev). */
typedef struct leaky_opts {
    double rate;
    bool squash;   /* f = tanh, else identity */
    int unused;    /* a field that is not described: settable from C only */
} leaky_opts;

static rw_status leaky_declare(rw_cell *c, rw_rng *rng)
{
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    if (!rw_cell_param(c, "W", rw_shape2(H, X), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) ||
        !rw_cell_param(c, "U", rw_shape2(H, H), rw_init_of(RW_INIT_ORTHOGONAL, 0.9, 0), rng) ||
        !rw_cell_param(c, "b", rw_shape1(H), rw_init_of(RW_INIT_ZEROS, 0, 0), rng))
        return rw_last_status();
    return RW_OK;
}

static rw_node *leaky_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    const leaky_opts *o = rw_cell_opts(c);
    rw_node *h = state[0];
    rw_node *a = rw_add(g, rw_add(g, rw_matmul_ex(g, x, rw_p(g, c, "W"), false, true),
                                  rw_matmul_ex(g, h, rw_p(g, c, "U"), false, true)), rw_p(g, c, "b"));
    rw_node *target = o->squash ? rw_tanh(g, a) : a;
    state[0] = rw_add(g, h, rw_scale(g, rw_sub(g, target, h), o->rate));
    return state[0];
}

static const leaky_opts leaky_defaults = { .rate = 0.5, .squash = true };
static const rw_cell_option leaky_options[] = {
    RW_CELL_OPTION_REAL(leaky_opts, rate, 0, 1, "how far h moves toward the new value per step"),
    RW_CELL_OPTION_BOOL(leaky_opts, squash, "tanh the new value"),
};
static const rw_cell_def leaky_cell = {
    .name = "test_leaky", .doc = "a leaky Elman cell written in a test", .n_states = 1,
    .declare = leaky_declare, .step = leaky_step, .opts_size = sizeof(leaky_opts), .opts_defaults = &leaky_defaults,
    .options = leaky_options, .n_options = 2,
};

static void register_leaky(void)
{
    if (!rw_cell_find("test_leaky"))
        cr_assert_eq(rw_cell_register(&leaky_cell), RW_OK, "%s", rw_last_error());
}

Test(cell_registry, a_record_is_validated_when_registered)
{
    register_leaky();
    cr_expect_eq(rw_cell_register(&leaky_cell), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "a cell named 'test_leaky' is already registered"), "%s", rw_last_error());
    cr_expect_eq(rw_cell_register(NULL), RW_ERR_ARG);

    rw_cell_def bad = leaky_cell;
    bad.name = "test_bad";
    bad.step = NULL;
    cr_expect_eq(rw_cell_register(&bad), RW_ERR_ARG);
    bad = leaky_cell;
    bad.name = "test bad";
    cr_expect_eq(rw_cell_register(&bad), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "letters, digits and '_'"), "%s", rw_last_error());

    static const rw_cell_option outside[] = { { .name = "far", .type = RW_OPTION_REAL, .offset = 64 } };
    bad = leaky_cell;
    bad.name = "test_bad";
    bad.options = outside;
    bad.n_options = 1;
    cr_expect_eq(rw_cell_register(&bad), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "('far') of cell 'test_bad' lies outside the options struct"), "%s",
              rw_last_error());

    static const leaky_opts too_fast = { .rate = 2 };
    bad = leaky_cell;
    bad.name = "test_bad";
    bad.opts_defaults = &too_fast;
    cr_expect_eq(rw_cell_register(&bad), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "the defaults of cell 'test_bad'") && strstr(rw_last_error(), "'rate'"), "%s",
              rw_last_error());
    cr_expect_null(rw_cell_find("test_bad"));
}

static const char *const leaky_model =
    "format: rewind/1\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 4}\n"
    "    - test_leaky: {size: 6, rate: 0.7, stack: 2}\n"
    "    - rnn: {cell: test_leaky, name: second, size: 5, squash: false}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs: {next: {target: next}}\n"
    "train:\n"
    "  seed: 3\n"
    "  optimizer: {type: adam, lr: 0.02}\n";

static rw_node *loss_of(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)in;
    void **c = ctx;
    return rw_model_loss(g, c[0], c[1]);
}

Test(cell_registry, a_c_cell_registered_at_start_up_works_from_yaml, .timeout = 60)
{
    register_leaky();
    rw_model *m = rw_model_load_string(leaky_model, "leaky.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect_not_null(rw_params_get(rw_model_params(m), "test_leaky_2.l1.U"), "stack: 2 reached the cell");
    cr_expect_not_null(rw_params_get(rw_model_params(m), "second.l0.W"));

    enum { T = 6, B = 3 };
    rw_rng rng = rw_rng_seed(9);
    rw_tensor *seq = rwt_ints(&rng, rw_shape2(T + 1, B), 0, 5);
    rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    memcpy(in->idata, seq->idata, in->size * sizeof(int32_t));
    memcpy(tgt->idata, seq->idata + B, tgt->size * sizeof(int32_t));
    rw_model_batch batch = { .inputs = in, .targets = tgt };
    rw_optim *opt = rw_model_optim_new(m);
    rw_graph *g = rw_graph_new();
    double first = 0, last = 0;
    for (int step = 0; step < 15; step++) {
        rw_node *loss = rw_model_loss(g, m, &batch);
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
        last = rw_scalar(loss);
        if (step == 0)
            first = last;
        rw_graph_reset(g);
    }
    cr_expect(isfinite(last) && last < first * 0.9, "loss %g -> %g", first, last);

    void *ctx[2] = { m, &batch };
    rw_gradcheck_report rep;
    rw_gradcheck_opts go = { .seed = 4, .max_per_tensor = 40 };
#ifndef RW_DOUBLE
    go.eps = 3e-3; /* float: loose; tight in the double build */
    go.tol = 0.3;
#endif
    rw_status st = rw_gradcheck(loss_of, ctx, NULL, 0, rw_model_params(m), &go, &rep);
    cr_expect_eq(st, RW_OK, "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    cr_expect_gt(rep.checked, 50);

    /* its options are checked like a built-in's, at the key */
    rw_model *bad = rw_model_load_string("format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 4}\n"
                                         "    - test_leaky: {size: 6, rate: 1.5}\n    - linear: {size: vocab}\n"
                                         "  outputs: {next: {target: next}}\n", "bad.yaml",
                                         &(rw_model_load_opts){ .vocab_size = 5 });
    cr_expect_null(bad);
    cr_expect(strstr(rw_last_error(), "bad.yaml:5:35: error: 'rate' must be in [0, 1], got 1.5"), "%s",
              rw_last_error());
    rw_graph_free(g);
    rw_optim_free(opt);
    rw_tensor_free(seq);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    rw_model_free(m);
}
