/* The tape's dL/dU for an Elman network equals the closed-form BPTT sum
 *   dE/dU = sum_t sum_{k<=t} dE_t/dh_t (prod_{i=k+1..t} dh_i/dh_{i-1}) d+h_k/dU
 * computed here by a separate, plain implementation. */
#include <string.h>
#include "rw_test.h"

enum { T = 7, B = 2, X = 3, H = 4 };

Test(bptt, elman_matches_the_closed_form_sum)
{
    rw_rng rng = rw_rng_seed(99);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "e", .cell = &rw_elman_cell,
                                                .input_size = X, .hidden = H }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_param *W = rw_params_get(P, "e.l0.W"), *U = rw_params_get(P, "e.l0.U"), *b = rw_params_get(P, "e.l0.b");
    cr_assert(W && U && b);
    rw_rng_fill_uniform(&rng, U->value, -0.8, 0.8);
    rw_rng_fill_uniform(&rng, b->value, -0.2, 0.2);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(T, B, X), -1, 1);
    rw_tensor *R = rwt_uniform(&rng, rw_shape3(T, B, H), -1, 1); /* E_t = sum R_t h_t */

    /* The tape. */
    rw_graph *g = rw_graph_new();
    rw_seq s = rw_rnn_run(g, rnn, rw_const(g, xs), NULL);
    cr_assert_not_null(s.outputs, "%s", rw_last_error());
    rw_node *loss = rw_sum(g, rw_mul(g, s.outputs, rw_const(g, R)));
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());

    /* The closed form, in double, from the same parameters. */
    double h[T + 1][B][H];
    memset(h, 0, sizeof h);
    for (int t = 1; t <= T; t++)
        for (int bb = 0; bb < B; bb++)
            for (int i = 0; i < H; i++) {
                double a = b->value->data[i];
                for (int k = 0; k < X; k++)
                    a += W->value->data[i * X + k] * xs->data[((t - 1) * B + bb) * X + k];
                for (int j = 0; j < H; j++)
                    a += U->value->data[i * H + j] * h[t - 1][bb][j];
                h[t][bb][i] = tanh(a);
            }
    double dU[H][H];
    memset(dU, 0, sizeof dU);
    for (int bb = 0; bb < B; bb++)
        for (int t = 1; t <= T; t++) {          /* each E_t ... */
            double delta[H];                     /* dE_t/dh_k, starting at k = t */
            for (int i = 0; i < H; i++)
                delta[i] = R->data[((t - 1) * B + bb) * H + i];
            for (int k = t; k >= 1; k--) {       /* ... through every earlier step k */
                double a[H];
                for (int i = 0; i < H; i++)
                    a[i] = delta[i] * (1 - h[k][bb][i] * h[k][bb][i]);
                for (int i = 0; i < H; i++)      /* immediate d+h_k/dU */
                    for (int j = 0; j < H; j++)
                        dU[i][j] += a[i] * h[k - 1][bb][j];
                for (int j = 0; j < H; j++) {    /* times dh_k/dh_{k-1} */
                    delta[j] = 0;
                    for (int i = 0; i < H; i++)
                        delta[j] += a[i] * U->value->data[i * H + j];
                }
            }
        }
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++)
            rwt_assert_close(U->grad->data[i * H + j], dU[i][j], RWT_EPS * 100, "dU[%d][%d]: tape %g, closed form %g", i,
                             j, (double)U->grad->data[i * H + j], dU[i][j]);
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(R);
    rw_rnn_free(rnn);
    rw_params_free(P);
}
