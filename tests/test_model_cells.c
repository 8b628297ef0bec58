/* Cells defined in YAML as graphs of ops: the GRU of models/cells/gru.yaml
 * against the built-in rw_gru_cell, a cell built on an op registered from C,
 * cells with dims of their own and nodes written out of order. */
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

static const char *source_dir(void)
{
    const char *d = getenv("RW_SOURCE_DIR");
    return d ? d : ".";
}

static rw_model *load_rel(const char *rel, const rw_model_load_opts *o)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", source_dir(), rel);
    rw_model *m = rw_model_load(path, o);
    cr_assert_not_null(m, "%s", rw_last_error());
    return m;
}

/* ---- the GRU in node form is the built-in GRU ------------------------------------- */

typedef struct run_result {
    double loss;
    rw_tensor *grads[64];
    int n;
} run_result;

enum { T = 5, B = 3, X = 4, H = 6 };

/* loss = sum(R * outputs) + sum(R2 * last), with padding (lengths 5, 3, 1). */
static run_result run(rw_rnn *rnn, rw_params *P, const rw_tensor *xs, const rw_tensor *R, const rw_tensor *R2)
{
    static const int32_t lens[B] = { 5, 3, 1 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(B), lens);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .lengths = rw_const(g, len) });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    rw_node *loss = rw_add(g, rw_sum(g, rw_mul(g, s.outputs, rw_const(g, R))), rw_sum(g, rw_mul(g, s.last, rw_const(g, R2))));
    cr_assert_not_null(loss, "%s", rw_last_error());
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    run_result r = { .loss = rw_scalar(loss), .n = rw_params_count(P) };
    for (int i = 0; i < r.n; i++)
        r.grads[i] = rw_tensor_clone(rw_params_at(P, i)->grad);
    rw_graph_free(g);
    rw_tensor_free(len);
    return r;
}

static void same_gru_as(const char *cell, const rw_rnn_spec *opts, bool ids)
{
    rw_model *lib = load_rel("models/cells/gru.yaml", NULL);
    const rw_cell_def *yaml_gru = rw_model_cell(lib, cell);
    cr_assert_not_null(yaml_gru, "%s", rw_last_error());
    rw_rng r1 = rw_rng_seed(11), r2 = rw_rng_seed(11), data = rw_rng_seed(5);
    rw_params *P1 = rw_params_new(), *P2 = rw_params_new();
    rw_rnn_spec sa = *opts, sb = *opts;
    sa.name = sb.name = "g";
    sa.cell = &rw_gru_cell;
    sb.cell = yaml_gru;
    sa.input_size = sb.input_size = X;
    sa.hidden = sb.hidden = H;
    rw_rnn *a = rw_rnn_new(P1, &sa, &r1);
    rw_rnn *b = rw_rnn_new(P2, &sb, &r2);
    cr_assert(a && b, "%s", rw_last_error());
    /* the same layout, initializers and order: the same parameters from the same seed */
    cr_assert_eq(rw_params_count(P1), rw_params_count(P2));
    for (int i = 0; i < rw_params_count(P1); i++) {
        const rw_param *p = rw_params_at(P1, i), *q = rw_params_at(P2, i);
        cr_assert_str_eq(p->name, q->name);
        cr_assert(rw_shape_equal(p->value->shape, q->value->shape), "%s", p->name);
        cr_expect_eq(memcmp(p->value->data, q->value->data, p->value->size * sizeof(rw_real)), 0,
                     "initial values of %s differ", p->name);
    }
    int W = rw_rnn_output_size(a);
    cr_assert_eq(W, rw_rnn_output_size(b));
    rw_tensor *xs = ids ? rwt_ints(&data, rw_shape2(T, B), 0, X) : rwt_uniform(&data, rw_shape3(T, B, X), -1, 1);
    rw_tensor *R = rwt_uniform(&data, rw_shape3(T, B, W), -1, 1), *R2 = rwt_uniform(&data, rw_shape2(B, W), -1, 1);
    run_result ra = run(a, P1, xs, R, R2), rb = run(b, P2, xs, R, R2);
    cr_expect_eq(ra.loss, rb.loss, "%s: loss %.17g (built-in) vs %.17g (YAML)", cell, ra.loss, rb.loss);
    for (int i = 0; i < ra.n; i++) {
        const rw_tensor *ga = ra.grads[i], *gb = rb.grads[i];
        double worst = 0;
        for (size_t k = 0; k < ga->size; k++)
            worst = fmax(worst, fabs((double)ga->data[k] - (double)gb->data[k]));
        cr_expect_eq(worst, 0, "%s: gradient of %s differs by up to %g", cell, rw_params_at(P1, i)->name, worst);
        rw_tensor_free(ra.grads[i]);
        rw_tensor_free(rb.grads[i]);
    }
    rw_tensor_free(xs);
    rw_tensor_free(R);
    rw_tensor_free(R2);
    rw_rnn_free(a);
    rw_rnn_free(b);
    rw_params_free(P1);
    rw_params_free(P2);
    rw_model_free(lib);
}

/* The node form and the equation form of the GRU, both against the built-in. */
static void same_gru(const rw_rnn_spec *opts, bool ids)
{
    same_gru_as("gru_graph", opts, ids);
    same_gru_as("gru_eq", opts, ids);
}

Test(model_cells, yaml_gru_equals_builtin_gru)
{
    same_gru(&(rw_rnn_spec){ .layers = 1 }, false);
}

Test(model_cells, yaml_gru_equals_builtin_gru_stacked_bidirectional_learned_state)
{
    same_gru(&(rw_rnn_spec){ .layers = 2, .bidirectional = true, .initial_state = RW_STATE_LEARNED }, false);
}

Test(model_cells, yaml_gru_equals_builtin_gru_on_token_ids)
{
    same_gru(&(rw_rnn_spec){ .layers = 2, .vocab = X }, true);
}

/* ---- a cell built on an op registered from C ------------------------------------------ */

static void swish_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] / (1 + exp(-x[i]));
}

static void swish_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++) {
        rw_real s = 1 / (1 + exp(-x[i]));
        n->in[0]->grad[i] += n->grad[i] * (s + x[i] * s * (1 - s));
    }
}

static const rw_op_def swish = { .name = "test.swish", .arity = 1, .shape = rw_shape_same_as_input,
                                 .forward = swish_forward, .backward = swish_backward, .doc = "x sigmoid(x)" };

static const char *const swish_model =
    "format: rewind/1\n"
    "cells:\n"
    "  swish_rnn:\n"
    "    doc: h = swish(x W^T + h U^T + b) / 2, a user op inside a recurrent cell\n"
    "    state: {h: {size: H}}\n"
    "    params:\n"
    "      W: {shape: [H, X], init: xavier_uniform}\n"
    "      U: {shape: [H, H], init: \"orthogonal(0.9)\"}\n"
    "      b: {shape: [H], init: \"const(0.1)\"}\n"
    "    nodes:\n"
    "      - {name: a, op: matmul, in: [x, W], transpose_b: true}\n"
    "      - {name: u, op: matmul, in: [h_prev, U], transpose_b: true}\n"
    "      - {name: s, op: test.swish, in: [{op: add, in: [{op: add, in: [a, u]}, b]}]}\n"
    "      - {name: h, op: scale, in: [s], factor: 0.5}\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 5}\n"
    "    - swish_rnn: {size: 6}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs: {next: {target: next}}\n"
    "train:\n"
    "  seed: 3\n"
    "  optimizer: {type: adam, lr: 0.02}\n";

typedef struct fixed_batch {
    rw_tensor *in, *tgt;
    rw_model_batch b;
    rw_model *m;
} fixed_batch;

static fixed_batch make_batch(rw_model *m, int steps, int batch, uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    int V = rw_model_vocab_size(m);
    rw_tensor *seq = rwt_ints(&rng, rw_shape2(steps + 1, batch), 0, V);
    fixed_batch f = { .m = m };
    f.in = rw_tensor_new(RW_INT32, rw_shape2(steps, batch));
    f.tgt = rw_tensor_new(RW_INT32, rw_shape2(steps, batch));
    memcpy(f.in->idata, seq->idata, f.in->size * sizeof(int32_t));
    memcpy(f.tgt->idata, seq->idata + batch, f.tgt->size * sizeof(int32_t));
    rw_tensor_free(seq);
    f.b = (rw_model_batch){ .inputs = f.in, .targets = f.tgt };
    return f;
}

static void free_batch(fixed_batch *f)
{
    rw_tensor_free(f->in);
    rw_tensor_free(f->tgt);
}

static rw_node *batch_loss(rw_graph *g, rw_node *const *in, void *ctx)
{
    (void)in;
    fixed_batch *f = ctx;
    return rw_model_loss(g, f->m, &f->b);
}

Test(model_cells, a_cell_using_a_user_op_trains_and_passes_gradcheck, .timeout = 60)
{
    if (!rw_op_find("test.swish"))
        cr_assert_eq(rw_op_register(&swish), RW_OK, "%s", rw_last_error());
    rw_model *m = rw_model_load_string(swish_model, "swish.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
    cr_assert_not_null(m, "%s", rw_last_error());
    fixed_batch f = make_batch(m, 6, 3, 9);
    rw_optim *opt = rw_model_optim_new(m);
    cr_assert_not_null(opt, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    double first = 0, last = 0;
    for (int step = 0; step < 15; step++) {
        rw_node *loss = rw_model_loss(g, m, &f.b);
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
        last = rw_scalar(loss);
        if (step == 0)
            first = last;
        rw_graph_reset(g);
    }
    cr_expect(isfinite(last) && last < first * 0.9, "loss %g -> %g", first, last);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(batch_loss, &f, NULL, 0, rw_model_params(m),
                                &(rw_gradcheck_opts){ .seed = 4, .max_per_tensor = 40 }, &rep);
    cr_expect_eq(st, RW_OK, "%s (worst %g at %s)", rw_last_error(), rep.worst_error, rep.where);
    cr_expect_gt(rep.checked, 50);
    rw_graph_free(g);
    rw_optim_free(opt);
    free_batch(&f);
    rw_model_free(m);
}

/* ---- dims of its own, two states, nodes out of order ----------------------------------- */

static const char *const jordan_like =
    "format: rewind/1\n"
    "cells:\n"
    "  jo:\n"
    "    dims: [X, H, O]\n"
    "    state: {o: {size: O}, h: {size: H}}\n"
    "    params:\n"
    "      W: {shape: [H, X]}\n"
    "      R: {shape: [H, O]}\n"
    "      V: {shape: [O, H]}\n"
    "    nodes:                       # written in reverse: the loader sorts them\n"
    "      - {name: o, op: tanh, in: [{op: matmul, in: [h, V], transpose_b: true}]}\n"
    "      - {name: h, op: sigmoid, in: [{op: add, in: [xw, ro]}]}\n"
    "      - {name: ro, op: matmul, in: [o_prev, R], transpose_b: true}\n"
    "      - {name: xw, op: matmul, in: [x, W], transpose_b: true}\n"
    "    output: o\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 4}\n"
    "    - jo: {size: 7, dims: {O: 3}, stack: 2, initial_state: learned}\n"
    "    - linear: {size: vocab}\n"
    "  outputs: {next: {target: next}}\n";

Test(model_cells, cells_with_their_own_dims_and_several_states)
{
    rw_model *m = rw_model_load_string(jordan_like, "jo.yaml", &(rw_model_load_opts){ .vocab_size = 6 });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_params *P = rw_model_params(m);
    rw_param *V1 = rw_params_get(P, "jo_2.l1.V"), *W1 = rw_params_get(P, "jo_2.l1.W");
    cr_assert(V1 && W1, "%s", rw_last_error());
    cr_expect(rw_shape_equal(V1->value->shape, rw_shape2(3, 7)));
    cr_expect(rw_shape_equal(W1->value->shape, rw_shape2(7, 3)), "layer 1 reads layer 0's output o (width O = 3)");
    cr_expect_not_null(rw_params_get(P, "jo_2.l0.h0.s1"));
    fixed_batch f = make_batch(m, 4, 2, 1);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(batch_loss, &f, NULL, 0, P, &(rw_gradcheck_opts){ .seed = 2, .max_per_tensor = 20 },
                                &rep);
    cr_expect_eq(st, RW_OK, "%s", rw_last_error());
    /* C code can use the cell too, giving O through rw_model_cell_opts */
    rw_rng rng = rw_rng_seed(1);
    rw_params *Q = rw_params_new();
    rw_cell *c = rw_cell_new(Q, "c", rw_model_cell(m, "jo"), 5, 4, &(rw_model_cell_opts){ .dims = { 2 } },
                             &rng);
    cr_assert_not_null(c, "%s", rw_last_error());
    cr_expect_eq(rw_cell_output_size(c), 2);
    cr_expect_eq(rw_cell_state_size(c, 0), 2);
    cr_expect_eq(rw_cell_state_size(c, 1), 4);
    cr_expect_null(rw_cell_new(Q, "d", rw_model_cell(m, "jo"), 5, 4, NULL, &rng));
    cr_expect(strstr(rw_last_error(), "needs a value >= 1 for its dim 'O'") != NULL, "%s", rw_last_error());
    rw_cell_free(c);
    rw_params_free(Q);
    free_batch(&f);
    rw_model_free(m);
}

Test(model_cells, a_shape_error_at_run_time_names_the_node)
{
    rw_model *lib = load_rel("models/cells/gru.yaml", NULL);
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_cell *c = rw_cell_new(P, "g", rw_model_cell(lib, "gru_graph"), 3, 4, NULL, &rng);
    cr_assert_not_null(c, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    rw_node *x = rw_leaf_new(g, RW_REAL, rw_shape2(2, 3), false);
    rw_node *state[1] = { rw_leaf_new(g, RW_REAL, rw_shape2(2, 5), false) }; /* wrong: H is 4 */
    cr_expect_null(rw_cell_step(g, c, x, state));
    cr_expect(strstr(rw_last_error(), "gru.yaml:29:") != NULL && strstr(rw_last_error(), "node 'hu'") != NULL,
              "%s", rw_last_error());
    rw_graph_free(g);
    rw_cell_free(c);
    rw_params_free(P);
    rw_model_free(lib);
}

/* ---- the equation form ---------------------------------------------------------------- */

static const char *eq_cell(const char *equations)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "format: rewind/1\n"
             "cells:\n"
             "  c:\n"
             "    state: {h: {size: H}}\n"
             "    params: {W: {shape: [H, X]}, U: {shape: [H, H]}}\n"
             "    equations:\n"
             "%s", equations);
    return text;
}

static const char *eq_error(const char *equations)
{
    rw_model *m = rw_model_load_string(eq_cell(equations), "eq.yaml", NULL);
    if (m) {
        rw_model_free(m);
        return "(loaded)";
    }
    return rw_last_error();
}

Test(model_cells, equation_errors_point_into_the_string)
{
    const char *e = eq_error("      h: tanh(W @ x + U @ h_prev + sigmod(h_prev))\n");
    cr_expect(strstr(e, "eq.yaml:7:36: error: unknown op 'sigmod' (did you mean 'sigmoid'?)") == e, "%s", e);
    e = eq_error("      h: \"tanh(W @ xx + U @ h_prev)\"\n");
    cr_expect(strstr(e, "eq.yaml:7:20: error: unknown input name 'xx'") == e, "%s", e);
    e = eq_error("      h: tanh(W @ x +)\n");
    cr_expect(strstr(e, "eq.yaml:7:22: error: equation: unexpected character at character 13") == e, "%s", e);
    e = eq_error("      n: tanh(U @ h)\n      h: n + W @ x\n");
    cr_expect(strstr(e, "eq.yaml:7:19: error: 'h' depends on itself without passing through a state: h -> n -> n.in1 -> h") == e,
              "%s", e);
    cr_expect(strstr(e, "did you mean 'h_prev'") != NULL, "%s", e);
    e = eq_error("      h: tanh(slice(W @ x, axis=-1, lenght=H))\n");
    cr_expect(strstr(e, "eq.yaml:7:37: error: op 'slice' has no attribute 'lenght'") == e, "%s", e);
    e = eq_error("      h: tanh(W @ x, U @ h_prev)\n");
    cr_expect(strstr(e, "eq.yaml:7:10: error: op 'tanh' takes 1 input, got 2") == e, "%s", e);
}

Test(model_cells, equations_with_constants_attributes_and_plain_names)
{
    const char *text = eq_cell("      a: W @ x\n"
                               "      z: sigmoid(a)\n"
                               "      h: (1 - z) * h_prev + z * clamp(U @ h_prev + a, lo=-1, hi=1) / 2\n"
                               "      out: h\n"
                               "    output: out\n"
                               "model:\n"
                               "  layers: [{embedding: {size: 3}}, {c: {size: 4}}, {linear: {size: vocab}}]\n"
                               "  outputs: {y: {target: next}}\n");
    rw_model *m = rw_model_load_string(text, "eq.yaml", &(rw_model_load_opts){ .vocab_size = 5 });
    cr_assert_not_null(m, "%s", rw_last_error());
    fixed_batch f = make_batch(m, 3, 2, 7);
    rw_gradcheck_report rep;
    cr_expect_eq(rw_gradcheck(batch_loss, &f, NULL, 0, rw_model_params(m),
                              &(rw_gradcheck_opts){ .seed = 1, .max_per_tensor = 20 }, &rep), RW_OK, "%s",
                 rw_last_error());
    free_batch(&f);
    rw_model_free(m);
}
