/* Read-outs of the runner: bidirectional merge by sum or mean (besides
 * concat), and pooling over each sequence's valid steps (mean, max, sum);
 * values by hand, gradients against finite differences (tight in the
 * double build), and both through YAML. */
#include <stdio.h>
#include <string.h>
#include "rw_test.h"

enum { X = 3, H = 4, T = 5, B = 3 };
static const int32_t lens[B] = { 5, 2, 3 };

typedef struct ctx {
    rw_rnn *r;
    rw_pool pool;
    rw_tensor *lengths;
} ctx;

static rw_rnn *make(rw_params *P, const rw_cell_def *cell, rw_rnn_spec spec)
{
    rw_rnn *r = rwt_rnn_perturbed(P, cell, spec, X, H, 8);
    cr_assert_not_null(r, "%s", rw_last_error());
    return r;
}

static rw_node *build(rw_graph *g, rw_node *const *in, void *vctx)
{
    ctx *c = vctx;
    rw_seq s = rw_rnn_run(g, c->r, in[0], &(rw_run_opts){ .lengths = rw_const(g, c->lengths), .pool = c->pool });
    if (!s.outputs)
        return NULL;
    /* every read-out at once: the pooled vector (or the last step) added to each step's output */
    return rw_add(g, s.outputs, c->pool ? s.pooled : s.last);
}


static void gradcheck(const char *what, rw_rnn_spec spec, rw_pool pool)
{
    rw_params *P = rw_params_new();
    ctx c = { make(P, &rw_gru_cell, spec), pool, rw_tensor_from_ints(rw_shape1(B), lens) };
    rw_rng rng = rw_rng_seed(5);
    rw_tensor *xs = rwt_uniform_away(&rng, rw_shape3(T, B, X), -1, 1, 0.05);
    rw_gradcheck_opts go = { 0 };
#ifndef RW_DOUBLE
    go = (rw_gradcheck_opts){ .eps = 3e-3, .tol = 0.3 };
#endif
    cr_expect_eq(rw_gradcheck(build, &c, &xs, 1, P, &go, NULL), RW_OK, "%s: %s", what, rw_last_error());
    rw_tensor_free(xs);
    rw_tensor_free(c.lengths);
    rw_rnn_free(c.r);
    rw_params_free(P);
}

Test(readout, gradients_of_merges_and_pools)
{
    gradcheck("bidirectional sum, 2 layers", (rw_rnn_spec){ .bidirectional = true, .merge = RW_DIRS_SUM, .layers = 2 },
              RW_POOL_NONE);
    gradcheck("bidirectional mean", (rw_rnn_spec){ .bidirectional = true, .merge = RW_DIRS_MEAN }, RW_POOL_NONE);
    gradcheck("mean pool", (rw_rnn_spec){ 0 }, RW_POOL_MEAN);
    gradcheck("max pool", (rw_rnn_spec){ 0 }, RW_POOL_MAX);
    gradcheck("sum pool, bidirectional concat", (rw_rnn_spec){ .bidirectional = true }, RW_POOL_SUM);
}

/* Runs r over xs with the lengths; copies outputs [T, B, W] and the pooled [B, W]. */
static rw_tensor *run(rw_rnn *r, const rw_tensor *xs, rw_pool pool, rw_tensor **pooled)
{
    rw_graph *g = rw_graph_new();
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(B), lens);
    rw_seq s = rw_rnn_run(g, r, rw_const(g, xs), &(rw_run_opts){ .lengths = rw_const(g, len), .pool = pool });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    rw_tensor *out = rw_tensor_clone(&s.outputs->value);
    if (pooled)
        *pooled = pool ? rw_tensor_clone(&s.pooled->value) : rw_tensor_clone(&s.last->value);
    rw_graph_free(g);
    rw_tensor_free(len);
    return out;
}

Test(readout, values_by_hand)
{
    rw_rng rng = rw_rng_seed(2);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    /* the same parameters (same seed and names) merged three ways */
    rw_params *P1 = rw_params_new(), *P2 = rw_params_new(), *P3 = rw_params_new();
    rw_rnn *cat = make(P1, &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = true });
    rw_rnn *sum = make(P2, &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = true, .merge = RW_DIRS_SUM });
    rw_rnn *mean = make(P3, &rw_lstm_cell, (rw_rnn_spec){ .bidirectional = true, .merge = RW_DIRS_MEAN });
    cr_expect_eq(rw_rnn_output_size(cat), 2 * H);
    cr_expect_eq(rw_rnn_output_size(sum), H);
    rw_tensor *lc, *ls, *lm;
    rw_tensor *oc = run(cat, xs, RW_POOL_NONE, &lc), *os = run(sum, xs, RW_POOL_NONE, &ls),
              *om = run(mean, xs, RW_POOL_NONE, &lm);
    for (int i = 0; i < T * B; i++)
        for (int j = 0; j < H; j++) {
            double fw = oc->data[i * 2 * H + j], bw = oc->data[i * 2 * H + H + j];
            rwt_assert_close(os->data[i * H + j], fw + bw, RWT_EPS, "sum");
            rwt_assert_close(om->data[i * H + j], (fw + bw) / 2, RWT_EPS, "mean");
        }
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++)
            rwt_assert_close(ls->data[b * H + j], lc->data[b * 2 * H + j] + lc->data[b * 2 * H + H + j], RWT_EPS,
                             "last, summed");
    /* pools over the valid steps only */
    static const rw_pool pools[] = { RW_POOL_MEAN, RW_POOL_MAX, RW_POOL_SUM };
    for (size_t k = 0; k < 3; k++) {
        rw_tensor *pooled, *o = run(cat, xs, pools[k], &pooled);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < 2 * H; j++) {
                double acc = pools[k] == RW_POOL_MAX ? -INFINITY : 0;
                for (int t = 0; t < lens[b]; t++) {
                    double v = o->data[(t * B + b) * 2 * H + j];
                    acc = pools[k] == RW_POOL_MAX ? fmax(acc, v) : acc + v;
                }
                if (pools[k] == RW_POOL_MEAN)
                    acc /= lens[b];
                rwt_assert_close(pooled->data[b * 2 * H + j], acc, RWT_EPS, "pool %d, sequence %d, unit %d", (int)k, b,
                                 j);
            }
        rw_tensor_free(o);
        rw_tensor_free(pooled);
    }
    /* a pooled read-out needs every step's outputs */
    rw_graph *g = rw_graph_new();
    cr_expect_null(rw_rnn_run(g, cat, rw_const(g, xs), &(rw_run_opts){ .output = RW_OUTPUT_LAST,
                                                                      .pool = RW_POOL_MEAN }).last);
    cr_expect(strstr(rw_last_error(), "RW_OUTPUT_ALL") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor *all[] = { xs, oc, os, om, lc, ls, lm };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rw_tensor_free(all[i]);
    rw_rnn_free(cat);
    rw_rnn_free(sum);
    rw_rnn_free(mean);
    rw_params_free(P1);
    rw_params_free(P2);
    rw_params_free(P3);
}

/* Through YAML: the widths the next layer sees, and a classifier over a pooled read-out trains. */
Test(readout, yaml_merge_and_pool)
{
    static const char *const layers[] = {
        "    - gru: {size: 6, bidirectional: {merge: sum}, output: mean}\n",
        "    - gru: {size: 6, bidirectional: {merge: mean}, output: max}\n",
        "    - gru: {size: 6, bidirectional: {merge: concat}, output: sum}\n",
        "    - lstm: {size: 6, output: last}\n",
    };
    static const int widths[] = { 6, 6, 12, 6 };
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
        char text[1024];
        snprintf(text, sizeof text, "format: rewind/1\nmodel:\n  layers:\n    - embedding: {size: 4}\n%s"
                 "    - linear: {size: classes, name: head}\n  outputs: {label: {from: head, target: label}}\n"
                 "train: {optimizer: {type: adam, lr: 0.05}}\n", layers[k]);
        rw_model *m = rw_model_load_string(text, "m.yaml", &(rw_model_load_opts){ .vocab_size = 5, .classes = 2 });
        cr_assert_not_null(m, "%s", rw_last_error());
        char wname[64];
        snprintf(wname, sizeof wname, "head.W");
        rw_param *W = rw_params_get(rw_model_params(m), wname);
        cr_assert_not_null(W);
        cr_expect_eq(W->value->shape.dim[1], widths[k], "%s: the head reads %d values", layers[k], widths[k]);
        /* label: does token 1 occur in the (padded) sequence? */
        rw_optim *opt = rw_model_optim_new(m);
        rw_rng rng = rw_rng_seed(4);
        rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(6, 8)), *lab = rw_tensor_new(RW_INT32, rw_shape1(8));
        rw_graph *g = rw_graph_new();
        double loss = 0;
        for (int step = 0; step < 150; step++) {
            for (int b = 0; b < 8; b++) {
                int len = 2 + (int)rw_rng_below(&rng, 5);
                lab->idata[b] = 0;
                for (int t = 0; t < 6; t++) {
                    int v = t < len ? (int)rw_rng_below(&rng, 5) : RW_PAD;
                    in->idata[t * 8 + b] = v;
                    lab->idata[b] |= v == 1;
                }
            }
            rw_node *l = rw_model_loss(g, m, &(rw_model_batch){ .inputs = in, .labels = lab });
            cr_assert_not_null(l, "%s", rw_last_error());
            loss = 0.9 * loss + 0.1 * l->value.data[0];
            cr_assert_eq(rw_backward(g, l), RW_OK);
            rw_optim_step(opt);
            rw_graph_reset(g);
        }
        printf("%s   smoothed loss after 150 steps: %.3f\n", layers[k], loss);
        cr_expect_lt(loss, 0.3, "%s: loss %g", layers[k], loss);
        rw_graph_free(g);
        rw_tensor_free(in);
        rw_tensor_free(lab);
        rw_optim_free(opt);
        rw_model_free(m);
    }
}
