/* Dropout inside a YAML cell: a mask per step or per sequence in training,
 * the identity in evaluation, a generator only from the sequence runner,
 * exact gradients with the masks held fixed, and a cell with dropout that
 * learns. */
#include <string.h>
#include "rw_test.h"

enum { T = 5, B = 3, W = 40 };

/* out_t = dropout(x_t): with inputs of ones, the output is the mask. */
static const char *const probe =
    "format: rewind/1\n"
    "cells:\n"
    "  step_mask:\n"
    "    state: {h: {size: X}}\n"
    "    equations:\n"
    "      h: \"dropout(x, p=0.5)\"\n"
    "  seq_mask:\n"
    "    state: {h: {size: X}}\n"
    "    nodes:\n"
    "      - {name: h, op: dropout, in: [x], p: 0.5, per_sequence: true}\n";

/* The outputs [T, B, W] of `cell` over ones, in training or evaluation mode. */
static rw_tensor *masks_of(const char *cell, bool training, uint64_t seed)
{
    rw_model *m = rw_model_load_string(probe, "probe.yaml", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(1), drop = rw_rng_seed(seed);
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "r", .cell = rw_model_cell(m, cell), .input_size = W,
                                              .hidden = W }, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, training);
    rw_tensor *ones = rw_tensor_new(RW_REAL, rw_shape3(T, B, W));
    for (size_t i = 0; i < ones->size; i++)
        ones->data[i] = 1;
    rw_seq s = rw_rnn_run(g, r, rw_const(g, ones), &(rw_run_opts){ .rng = &drop });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    rw_tensor *out = rw_tensor_new(RW_REAL, rw_shape3(T, B, W));
    memcpy(out->data, s.outputs->value.data, out->size * sizeof *out->data);
    rw_graph_free(g);
    rw_tensor_free(ones);
    rw_rnn_free(r);
    rw_params_free(P);
    rw_model_free(m);
    return out;
}

static int same_steps(const rw_tensor *o)
{
    int same = 0;
    for (int t = 1; t < T; t++)
        same += memcmp(o->data, o->data + (size_t)t * B * W, (size_t)B * W * sizeof *o->data) == 0;
    return same;
}

Test(cell_dropout, per_step_and_per_sequence_masks_in_training)
{
    for (int k = 0; k < 2; k++) {
        rw_tensor *o = masks_of(k ? "seq_mask" : "step_mask", true, 7);
        size_t zeros = 0;
        for (size_t i = 0; i < o->size; i++) {
            cr_assert(o->data[i] == 0 || fabs(o->data[i] - 2) < 1e-6, "inverted dropout: 0 or 1/(1-p), got %g",
                      (double)o->data[i]);
            zeros += o->data[i] == 0;
        }
        cr_expect(zeros > o->size / 4 && zeros < 3 * o->size / 4, "about half dropped: %zu of %zu", zeros, o->size);
        if (k) /* one mask per sequence: every step the same, the sequences different */
            cr_expect_eq(same_steps(o), T - 1);
        else
            cr_expect_eq(same_steps(o), 0);
        if (k)
            cr_expect_neq(memcmp(o->data, o->data + W, W * sizeof *o->data), 0);
        rw_tensor_free(o);
    }
}

Test(cell_dropout, the_identity_in_evaluation_and_reproducible_from_the_seed)
{
    rw_tensor *e = masks_of("seq_mask", false, 7), *a = masks_of("step_mask", true, 9),
              *b = masks_of("step_mask", true, 9), *c = masks_of("step_mask", true, 10);
    for (size_t i = 0; i < e->size; i++)
        cr_assert_eq(e->data[i], 1);
    cr_expect_eq(memcmp(a->data, b->data, a->size * sizeof *a->data), 0);
    cr_expect_neq(memcmp(a->data, c->data, a->size * sizeof *a->data), 0);
    rw_tensor_free(e);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(c);
}

Test(cell_dropout, stepping_alone_in_training_is_an_error_and_fine_in_evaluation)
{
    rw_model *m = rw_model_load_string(probe, "probe.yaml", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(1);
    rw_rnn *r = rw_rnn_new(P, &(rw_rnn_spec){ .name = "r", .cell = rw_model_cell(m, "seq_mask"), .input_size = 4,
                                              .hidden = 4 }, &rng);
    cr_assert_not_null(r, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *state[1], *x = rw_leaf_new(g, RW_REAL, rw_shape2(2, 4), false);
    cr_assert_eq(rw_rnn_zero_state(g, r, 2, state), RW_OK, "%s", rw_last_error());
    cr_expect_null(rw_rnn_step(g, r, x, state));
    cr_expect(strstr(rw_last_error(), "generator of a sequence run"), "%s", rw_last_error());
    rw_graph_set_training(g, false);
    cr_expect_not_null(rw_rnn_step(g, r, x, state), "%s", rw_last_error());
    /* and no generator given to the runner */
    rw_graph_set_training(g, true);
    rw_seq s = rw_rnn_run(g, r, rw_leaf_new(g, RW_REAL, rw_shape3(2, 2, 4), false), NULL);
    cr_expect_null(s.last);
    cr_expect(strstr(rw_last_error(), "rw_run_opts.rng"), "%s", rw_last_error());
    /* recomputed segments cannot replay the cell's own masks: refused */
    rw_rng drop = rw_rng_seed(3);
    s = rw_rnn_run(g, r, rw_leaf_new(g, RW_REAL, rw_shape3(4, 2, 4), false),
                   &(rw_run_opts){ .rng = &drop, .recompute_every = 2 });
    cr_expect_null(s.last);
    cr_expect(strstr(rw_last_error(), "recompute_every cannot replay"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_rnn_free(r);
    rw_params_free(P);
    rw_model_free(m);
}

Test(cell_dropout, p_outside_0_1_is_an_error_at_its_key)
{
    static const char *const bad =
        "format: rewind/1\n"
        "cells:\n"
        "  c:\n"
        "    state: {h: {size: H}}\n"
        "    nodes:\n"
        "      - {name: h, op: tanh, in: [{op: dropout, in: [x], p: 1.5}]}\n"
        "model:\n"
        "  layers:\n"
        "    - embedding: {size: 4}\n"
        "    - c: {size: 4}\n"
        "    - linear: {size: vocab}\n"
        "  outputs: {next: {target: next}}\n";
    rw_model *m = rw_model_load_string(bad, "bad.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
    cr_assert_null(m);
    cr_expect(strstr(rw_last_error(), "bad.yaml:6:") && strstr(rw_last_error(), "[0, 1)"), "%s", rw_last_error());
}

/* ---- a GRU-like cell with variational dropout on h_prev, in a model ---------------------- */

static const char *const drop_model =
    "format: rewind/1\n"
    "cells:\n"
    "  vgru:\n"
    "    doc: Elman cell whose recurrent input is dropped per sequence, its output per step\n"
    "    state: {h: {size: H}}\n"
    "    params:\n"
    "      W: {shape: [H, X], init: xavier_uniform}\n"
    "      U: {shape: [H, H], init: \"orthogonal(0.9)\"}\n"
    "      b: {shape: [H], init: \"const(0.1)\"}\n"
    "    equations:\n"
    "      hd: \"dropout(h_prev, p=0.2, per_sequence=true)\"\n"
    "      a: \"matmul(x, W, transpose_b=true) + matmul(hd, U, transpose_b=true) + b\"\n"
    "      h: \"tanh(a)\"\n"
    "      o: \"dropout(h, p=0.1)\"\n"
    "    output: o\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 5}\n"
    "    - vgru: {size: 8, stack: 2}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs: {next: {target: next}}\n"
    "train:\n"
    "  seed: 3\n"
    "  optimizer: {type: adam, lr: 0.03}\n";

typedef struct fixture {
    rw_model *m;
    rw_tensor *in, *tgt;
    rw_model_batch b;
} fixture;

/* Copy tasks are learnable: the target is the input one step late. */
static fixture make_fixture(void)
{
    fixture f = { .m = rw_model_load_string(drop_model, "vgru.yaml", &(rw_model_load_opts){ .vocab_size = 5 }) };
    cr_assert_not_null(f.m, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(4);
    f.in = rwt_ints(&rng, rw_shape2(8, 6), 0, 5);
    f.tgt = rw_tensor_new(RW_INT32, rw_shape2(8, 6));
    for (int t = 0; t < 8; t++)
        for (int b = 0; b < 6; b++)
            f.tgt->idata[t * 6 + b] = t ? f.in->idata[(t - 1) * 6 + b] : 0;
    f.b = (rw_model_batch){ .inputs = f.in, .targets = f.tgt };
    return f;
}

static void free_fixture(fixture *f)
{
    rw_tensor_free(f->in);
    rw_tensor_free(f->tgt);
    rw_model_free(f->m);
}

/* Every rebuild draws the same masks: the dropout generator restarts. */
static rw_node *fixed_mask_loss(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)in;
    fixture *f = ctx;
    *rw_model_rng(f->m) = rw_rng_seed(11);
    return rw_model_loss(g, f->m, &f->b);
}

Test(cell_dropout, gradient_with_fixed_masks_matches_finite_differences, .timeout = 120)
{
    fixture f = make_fixture();
    rw_graph *g = rw_graph_new();
    double train = rw_scalar(fixed_mask_loss(g, NULL, &f));
    rw_graph_reset(g);
    rw_graph_set_training(g, false);
    double eval = rw_scalar(rw_model_loss(g, f.m, &f.b));
    cr_expect(fabs(train - eval) > 1e-6, "the masks change the training loss (%g vs %g)", train, eval);
    rw_graph_free(g);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(fixed_mask_loss, &f, NULL, 0, rw_model_params(f.m),
                                &(rw_gradcheck_opts){ .seed = 4, .max_per_tensor = 30 }, &rep);
    cr_expect_eq(st, RW_OK, "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    cr_expect_gt(rep.checked, 100);
    free_fixture(&f);
}

Test(cell_dropout, a_cell_with_dropout_learns_to_copy, .timeout = 120)
{
    fixture f = make_fixture();
    rw_optim *opt = rw_model_optim_new(f.m);
    cr_assert_not_null(opt, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    double first = 0, last = 0;
    for (int step = 0; step < 150; step++) {
        rw_node *loss = rw_model_loss(g, f.m, &f.b);
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
        rw_graph_reset(g);
    }
    rw_graph_set_training(g, false);
    last = rw_scalar(rw_model_loss(g, f.m, &f.b));
    first = log(5.0);
    cr_expect(isfinite(last) && last < 0.5 * first, "evaluation loss %g, chance %g", last, first);
    rw_graph_free(g);
    rw_optim_free(opt);
    free_fixture(&f);
}
