/* Padding: in a batch with lengths {7, 3}, the short sequence gets the same
 * loss and the same gradients as when it runs alone; padded steps change
 * neither the state, the loss nor any gradient. */
#include <string.h>
#include "rw_test.h"

enum { T = 7, X = 3, H = 4 };

typedef struct result {
    double loss;
    rw_tensor *grads[32];
    int n;
    rw_tensor *input_grad;
} result;

/* loss = sum over the valid steps of sequence `which` of R . output */
static result run(const rw_cell_def *cell, bool bidir, rw_tensor *xs, const int32_t *lengths, int batch, int which,
                  rw_tensor *R)
{
    rw_rng rng = rw_rng_seed(5);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "n", .cell = cell, .input_size = X, .hidden = H,
                                                .bidirectional = bidir, .layers = 2 }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(batch), lengths);
    rw_graph *g = rw_graph_new();
    rw_node *x = rw_var(g, xs);
    rw_seq s = rw_rnn_run(g, rnn, x, &(rw_run_opts){ .lengths = rw_const(g, len) });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    int W = rw_rnn_output_size(rnn);
    rw_node *mine = rw_slice(g, s.outputs, 1, which, 1); /* [T', 1, W] */
    rw_node *r = rw_slice(g, rw_const(g, R), 0, 0, lengths[which]);
    rw_node *valid = rw_slice(g, mine, 0, 0, lengths[which]);
    rw_node *loss = rw_sum(g, rw_mul(g, rw_reshape(g, valid, rw_shape2(lengths[which], W)), r));
    cr_assert_not_null(loss, "%s", rw_last_error());
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    result res = { .loss = rw_scalar(loss), .n = rw_params_count(P) };
    for (int i = 0; i < res.n; i++)
        res.grads[i] = rw_tensor_clone(rw_params_at(P, i)->grad);
    res.input_grad = rw_tensor_new(RW_REAL, xs->shape);
    memcpy(res.input_grad->data, rw_node_grad(x), xs->size * sizeof(rw_real));
    rw_graph_free(g);
    rw_tensor_free(len);
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

static void same_as_alone(const rw_cell_def *cell, bool bidir)
{
    rw_rng rng = rw_rng_seed(8);
    rw_tensor *batch = rwt_uniform(&rng, rw_shape3(T, 2, X), -1, 1);
    rw_tensor *R = rwt_uniform(&rng, rw_shape2(T, (bidir ? 2 : 1) * H), -1, 1);
    /* The short sequence alone: its 3 steps, batch of one. */
    rw_tensor *alone = rw_tensor_new(RW_REAL, rw_shape3(3, 1, X));
    for (int t = 0; t < 3; t++)
        memcpy(alone->data + t * X, batch->data + (t * 2 + 1) * X, X * sizeof(rw_real));
    int32_t both[2] = { 7, 3 }, one[1] = { 3 };
    result a = run(cell, bidir, batch, both, 2, 1, R);
    result b = run(cell, bidir, alone, one, 1, 0, R);
    rwt_assert_close(a.loss, b.loss, RWT_EPS * 10, "loss in the batch %g, alone %g", a.loss, b.loss);
    cr_assert_eq(a.n, b.n);
    for (int i = 0; i < a.n; i++)
        for (size_t k = 0; k < a.grads[i]->size; k++)
            rwt_assert_close(a.grads[i]->data[k], b.grads[i]->data[k], RWT_EPS * 10, "parameter %d element %zu", i, k);
    /* Input gradients: equal on the valid steps, exactly zero on the padding
     * and on the other sequence (whose loss is not involved). */
    for (int t = 0; t < T; t++)
        for (int k = 0; k < X; k++) {
            rw_real got = a.input_grad->data[(t * 2 + 1) * X + k];
            if (t < 3)
                rwt_assert_close(got, b.input_grad->data[t * X + k], RWT_EPS * 10, "step %d", t);
            else
                cr_assert_eq(got, 0, "padded step %d has gradient %g", t, (double)got);
            cr_assert_eq(a.input_grad->data[(t * 2) * X + k], 0);
        }
    free_result(&a);
    free_result(&b);
    rw_tensor_free(batch);
    rw_tensor_free(alone);
    rw_tensor_free(R);
}

Test(padding, lstm_short_sequence_same_as_alone) { same_as_alone(&rw_lstm_cell, false); }
Test(padding, gru_short_sequence_same_as_alone) { same_as_alone(&rw_gru_cell, false); }
Test(padding, bidirectional_lstm_short_sequence_same_as_alone) { same_as_alone(&rw_lstm_cell, true); }

Test(padding, padded_outputs_are_zero_and_state_holds)
{
    rw_rng rng = rw_rng_seed(9);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "n", .cell = &rw_gru_cell, .input_size = X, .hidden = H },
                             &rng);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, 2, X), -1, 1);
    int32_t lv[2] = { 7, 3 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(2), lv);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .lengths = rw_const(g, len) });
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    for (int t = 3; t < T; t++)
        for (int k = 0; k < H; k++)
            cr_assert_eq(s.outputs->value.data[(t * 2 + 1) * H + k], 0);
    /* final state of sequence 1 = its output at step 2 = s.last */
    for (int k = 0; k < H; k++) {
        cr_assert_eq(s.final[0]->value.data[H + k], s.outputs->value.data[(2 * 2 + 1) * H + k]);
        cr_assert_eq(s.last->value.data[H + k], s.outputs->value.data[(2 * 2 + 1) * H + k]);
    }
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(len);
    rw_rnn_free(rnn);
    rw_params_free(P);
}

Test(padding, bad_lengths_are_errors)
{
    rw_rng rng = rw_rng_seed(9);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "n", .cell = &rw_gru_cell, .input_size = X, .hidden = H },
                             &rng);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, 2, X), -1, 1);
    int32_t lv[2] = { 8, 3 };
    rw_tensor *len = rw_tensor_from_ints(rw_shape1(2), lv);
    rw_tensor *wrong = rwt_uniform(&rng, rw_shape3(T, 2, X + 1), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, xs), &(rw_run_opts){ .lengths = rw_const(g, len) });
    cr_assert_null(s.outputs);
    cr_assert(strstr(rw_last_error(), "length 8 of sequence 0") != NULL, "%s", rw_last_error());
    s = rw_rnn_run(g, rnn, rw_const(g, wrong), NULL);
    cr_assert_null(s.last);
    cr_assert(strstr(rw_last_error(), "[7, 2, 4]") && strstr(rw_last_error(), "[T, B, 3]"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(wrong);
    rw_tensor_free(len);
    rw_rnn_free(rnn);
    rw_params_free(P);
}
