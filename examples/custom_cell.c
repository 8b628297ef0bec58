/* custom_cell: a recurrent cell written by the user as a plain function of
 * ops, run through the library's sequence runner with everything the
 * built-in cells get, checked by the library's gradient checker and trained.
 *
 * The cell: an Elman cell with layer normalization and a leaky integration
 * of its state (Bengio et al.'s "leaky units"):
 *     a_t = LN(x_t W^T + h_{t-1} U^T) + b
 *     h_t = h_{t-1} + sigmoid(k) * (tanh(a_t) - h_{t-1})
 * with a learned per-unit leak k. The task: predict the running mean of a
 * noisy input stream (the leak has to be learned). */
#include <math.h>
#include <stdio.h>
#include <rewind.h>

static rw_status leaky_declare(rw_cell *c, rw_rng *rng)
{
    int X = rw_cell_input_size(c), H = rw_cell_hidden(c);
    if (!rw_cell_param(c, "W", rw_shape2(H, X), rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), rng) ||
        !rw_cell_param(c, "U", rw_shape2(H, H), rw_init_of(RW_INIT_ORTHOGONAL, 0, 0), rng) ||
        !rw_cell_param(c, "gain", rw_shape1(H), rw_init_of(RW_INIT_CONST, 1, 0), rng) ||
        !rw_cell_param(c, "b", rw_shape1(H), rw_init_of(RW_INIT_ZEROS, 0, 0), rng) ||
        !rw_cell_param(c, "k", rw_shape1(H), rw_init_of(RW_INIT_CONST, 0, 0), rng))
        return rw_last_status();
    return RW_OK;
}

static rw_node *leaky_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    rw_node *h = state[0];
    rw_node *a = rw_add(g, rw_matmul_ex(g, x, rw_p(g, c, "W"), false, true),
                        rw_matmul_ex(g, h, rw_p(g, c, "U"), false, true));
    a = rw_add(g, rw_layer_norm_gain(g, a, rw_p(g, c, "gain")), rw_p(g, c, "b"));
    rw_node *leak = rw_sigmoid(g, rw_p(g, c, "k"));
    state[0] = rw_add(g, h, rw_mul(g, leak, rw_sub(g, rw_tanh(g, a), h)));
    return state[0];
}

static const rw_cell_def leaky_cell = { .name = "leaky_ln_elman", .n_states = 1, .declare = leaky_declare,
                                        .step = leaky_step };

/* ---- gradient check of the unrolled cell (stacked and padded) ---------- */
typedef struct check_ctx {
    rw_rnn *rnn;
    rw_tensor *lengths;
} check_ctx;

static rw_node *unrolled(rw_graph *g, rw_node *const *in, void *ctx)
{
    check_ctx *c = ctx;
    return rw_rnn_run(g, c->rnn, in[0], &(rw_run_opts){ .lengths = rw_const(g, c->lengths) }).outputs;
}

static int gradient_check(void)
{
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "check", .cell = &leaky_cell, .input_size = 2, .hidden = 3,
                                                .layers = 2 }, &rng);
    rw_tensor *xs = rw_tensor_new(RW_REAL, rw_shape3(6, 2, 2));
    int32_t lv[2] = { 6, 4 };
    check_ctx ctx = { rnn, rw_tensor_from_ints(rw_shape1(2), lv) };
    rw_rng_fill_uniform(&rng, xs, -1, 1);
    for (int i = 0; i < rw_params_count(P); i++) /* off the initial values */
        for (size_t k = 0; k < rw_params_at(P, i)->value->size; k++)
            rw_params_at(P, i)->value->data[k] += (rw_real)(0.2 * rw_rng_normal(&rng));
    rw_gradcheck_report rep;
    rw_gradcheck_opts opts = { 0 };
#ifndef RW_DOUBLE
    opts = (rw_gradcheck_opts){ .eps = 3e-3, .tol = 0.3 };  /* float: loose; tight in the double build */
#endif
    rw_status st = rw_gradcheck(unrolled, &ctx, &xs, 1, P, &opts, &rep);
    printf("gradient check over %zu elements (2 layers, padded): worst error %.2e at %s%s\n", rep.checked,
           rep.worst_error, rep.where, st == RW_OK ? "" : " -- FAILED");
    if (st != RW_OK)
        fprintf(stderr, "%s\n", rw_last_error());
    rw_tensor_free(xs);
    rw_tensor_free(ctx.lengths);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return st == RW_OK ? 0 : 1;
}

int main(void)
{
    if (gradient_check())
        return 1;
    enum { T = 30, B = 32, H = 16 };
    rw_rng rng = rw_rng_seed(5);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "leaky", .cell = &leaky_cell, .input_size = 1, .hidden = H },
                             &rng);
    rw_linear *head = rw_linear_new(P, "head", H, 1, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 1e-2 });
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape3(T, B, 1)), *y = rw_tensor_new(RW_REAL, rw_shape3(T, B, 1));
    rw_graph *g = rw_graph_new();
    if (!rnn || !head || !opt || !x || !y || !g) {
        fprintf(stderr, "custom_cell: %s\n", rw_last_error());
        return 1;
    }
    double first = 0, last = 0;
    for (int step = 0; step < 400; step++) {
        for (int b = 0; b < B; b++) { /* a level around which the input jitters; target: running mean */
            double level = rw_rng_normal(&rng), sum = 0;
            for (int t = 0; t < T; t++) {
                x->data[t * B + b] = (rw_real)(level + rw_rng_normal(&rng));
                sum += x->data[t * B + b];
                y->data[t * B + b] = (rw_real)(sum / (t + 1));
            }
        }
        rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), NULL);
        rw_node *loss = rw_mse(g, rw_linear_apply(g, head, s.outputs), rw_const(g, y));
        if (!loss || rw_backward(g, loss) != RW_OK) {
            fprintf(stderr, "custom_cell: %s\n", rw_last_error());
            return 1;
        }
        rw_clip_global_norm(P, 1.0);
        rw_optim_step(opt);
        if (step < 10)
            first += rw_scalar(loss) / 10;
        if (step >= 390)
            last += rw_scalar(loss) / 10;
        if (step % 50 == 0)
            printf("step %3d  mse %.4f\n", step, rw_scalar(loss));
        rw_graph_reset(g);
    }
    printf("mse: first 10 steps %.4f, last 10 steps %.4f (target: less than a quarter)\n", first, last);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return last < first / 4 ? 0 : 1;
}
