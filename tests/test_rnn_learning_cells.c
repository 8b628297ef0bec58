/* Every built-in cell (beyond the LSTM and GRU of test_rnn_learning.c), and
 * the embedding layer, learns a real task with fixed seeds and bounded steps:
 * remember the sign of the first input over T = 8 steps of noise. */
#include <string.h>
#include "rw_test.h"

enum { T = 8, B = 32, H = 16 };

static double train_sign_task(const rw_cell_def *cell, const void *opts, bool tokens)
{
    rw_rng rng = rw_rng_seed(17);
    rw_params *P = rw_params_new();
    rw_embedding *emb = tokens ? rw_embedding_new(P, "emb", 4, 4, &rng) : NULL;
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = cell, .cell_opts = opts,
                                                .input_size = tokens ? 4 : 1, .hidden = H }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_linear *head = rw_linear_new(P, "head", rw_rnn_output_size(rnn), 2, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 1e-2 });
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape3(T, B, 1)), *ids = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    rw_tensor *y = rw_tensor_new(RW_INT32, rw_shape1(B));
    rw_graph *g = rw_graph_new();
    double acc = 0;
    for (int step = 0; step < 1500 && !(step > 50 && acc > 0.98); step++) {
        for (int b = 0; b < B; b++) {
            y->idata[b] = (int32_t)rw_rng_below(&rng, 2);
            x->data[b] = y->idata[b] ? 1 : -1;
            ids->idata[b] = y->idata[b]; /* tokens 0/1 first, then noise tokens 2/3 */
            for (int t = 1; t < T; t++) {
                x->data[t * B + b] = (rw_real)(0.5 * rw_rng_normal(&rng));
                ids->idata[t * B + b] = 2 + (int32_t)rw_rng_below(&rng, 2);
            }
        }
        rw_node *in = tokens ? rw_embedding_apply(g, emb, rw_const(g, ids)) : rw_const(g, x);
        rw_seq s = rw_rnn_run(g, rnn, in, &(rw_run_opts){ .output = RW_OUTPUT_LAST });
        rw_node *logits = rw_linear_apply(g, head, s.last);
        rw_node *loss = rw_cross_entropy(g, logits, rw_const(g, y));
        cr_assert_not_null(loss, "%s", rw_last_error());
        int right = 0;
        for (int b = 0; b < B; b++)
            right += (logits->value.data[2 * b + 1] > logits->value.data[2 * b]) == (y->idata[b] == 1);
        acc = 0.9 * acc + 0.1 * right / (double)B;
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        rw_graph_reset(g);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
    rw_tensor_free(y);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_embedding_free(emb);
    rw_params_free(P);
    return acc;
}

Test(learning_cells, elman, .timeout = 300)
{
    double acc = train_sign_task(&rw_elman_cell, NULL, false);
    cr_assert_gt(acc, 0.95, "smoothed accuracy %.3f", acc);
}

Test(learning_cells, irnn, .timeout = 300)
{
    double acc = train_sign_task(&rw_irnn_cell, NULL, false);
    cr_assert_gt(acc, 0.95, "smoothed accuracy %.3f", acc);
}

Test(learning_cells, jordan, .timeout = 300)
{
    rw_jordan_opts o = { 8, RW_ACT_TANH, RW_ACT_TANH };
    double acc = train_sign_task(&rw_jordan_cell, &o, false);
    cr_assert_gt(acc, 0.95, "smoothed accuracy %.3f", acc);
}

Test(learning_cells, elman_jordan, .timeout = 300)
{
    rw_jordan_opts o = { 8, RW_ACT_TANH, RW_ACT_TANH };
    double acc = train_sign_task(&rw_elman_jordan_cell, &o, false);
    cr_assert_gt(acc, 0.95, "smoothed accuracy %.3f", acc);
}

Test(learning_cells, embedding_into_elman_over_tokens, .timeout = 300)
{
    double acc = train_sign_task(&rw_elman_cell, NULL, true);
    cr_assert_gt(acc, 0.95, "smoothed accuracy %.3f", acc);
}
