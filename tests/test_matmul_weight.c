/* A weight used transposed (x W^T) at several products of one step: the
 * products read a row-major copy of W made once per step (ops/matmul_weight.c)
 * or the small-row kernel, by the number of rows. Whatever the path, the
 * value and the gradients of x, W and a bias equal a plain double
 * reference, a weight used twice in a step gets both uses' gradients, and
 * a weight changed between steps is read afresh after rw_graph_reset. */
#include <math.h>
#include "rw_test.h"

enum { N = 37, K = 41 };

/* out [m, N] = x W^T + b, and dx = dy W, dW = dy^T x, db = sum dy, in double */
static void reference(int m, const rw_real *x, const rw_real *w, const rw_real *b, const rw_real *dy, double *out,
                      double *dx, double *dw, double *db)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < N; j++) {
            double s = b[j];
            for (int p = 0; p < K; p++)
                s += (double)x[i * K + p] * w[j * K + p];
            out[i * N + j] = s;
        }
    for (int i = 0; i < m * K; i++)
        dx[i] = 0;
    for (int i = 0; i < N * K; i++)
        dw[i] = 0;
    for (int j = 0; j < N; j++)
        db[j] = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < N; j++) {
            double g = dy[i * N + j];
            db[j] += g;
            for (int p = 0; p < K; p++) {
                dx[i * K + p] += g * w[j * K + p];
                dw[j * K + p] += g * x[i * K + p];
            }
        }
}

/* One step: y = x W^T + b for m rows, loss = sum(y * dy), so dL/dy = dy. */
static void check_rows(int m, rw_params *P, rw_param *W, rw_param *bias, rw_rng *rng)
{
    rw_tensor *x = rwt_uniform(rng, rw_shape2(m, K), -1, 1), *dy = rwt_uniform(rng, rw_shape2(m, N), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_params_zero_grad(P);
    rw_node *xn = rw_var(g, x);
    rw_node *y = rw_matmul_add(g, xn, rw_param_node(g, W), rw_param_node(g, bias), false, true);
    rw_node *loss = rw_sum(g, rw_mul(g, y, rw_const(g, dy)));
    cr_assert_not_null(loss, "%s", rw_last_error());
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    double *out = malloc(sizeof(double) * (size_t)(m * N + m * K + N * K + N));
    double *dx = out + m * N, *dw = dx + m * K, *db = dw + N * K;
    reference(m, x->data, W->value->data, bias->value->data, dy->data, out, dx, dw, db);
    const rw_real *yv = rw_node_value(y)->data, *dxv = rw_node_grad(xn);
    for (int i = 0; i < m * N; i++)
        rwt_assert_close(yv[i], out[i], 1e-5, "%d rows: y[%d] %g, want %g", m, i, (double)yv[i], out[i]);
    for (int i = 0; i < m * K; i++)
        rwt_assert_close(dxv[i], dx[i], 1e-5, "%d rows: dx[%d] %g, want %g", m, i, (double)dxv[i], dx[i]);
    for (int i = 0; i < N * K; i++)
        rwt_assert_close(W->grad->data[i], dw[i], 1e-5, "%d rows: dW[%d]", m, i);
    for (int j = 0; j < N; j++)
        rwt_assert_close(bias->grad->data[j], db[j], 1e-5, "%d rows: db[%d]", m, j);
    free(out);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(dy);
}

Test(matmul_weight, every_row_count_gives_the_reference)
{
    rw_rng rng = rw_rng_seed(5);
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(N, K)), *bias = rw_params_add(P, "b", rw_shape1(N));
    cr_assert(W && bias);
    rw_tensor *wv = rwt_uniform(&rng, rw_shape2(N, K), -1, 1), *bv = rwt_uniform(&rng, rw_shape1(N), -1, 1);
    rw_tensor_copy(W->value, wv);
    rw_tensor_copy(bias->value, bv);
    static const int rows[] = { 1, 5, 8, 9, 32, 64, 65, 100, 600 }; /* small kernel, copy, BLIS alone */
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        check_rows(rows[i], P, W, bias, &rng);
    rw_tensor_free(wv);
    rw_tensor_free(bv);
    rw_params_free(P);
}

/* y1 = x1 W^T, then W changes in place (as an optimizer step does), the
 * graph is reset, and y2 = x2 W^T must read the new W, not last step's copy. */
Test(matmul_weight, a_new_step_reads_the_changed_weight)
{
    rw_rng rng = rw_rng_seed(9);
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(N, K));
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(32, K), -1, 1), *w0 = rwt_uniform(&rng, rw_shape2(N, K), -1, 1);
    rw_tensor_copy(W->value, w0);
    rw_graph *g = rw_graph_new();
    for (int rows = 32; rows <= 96; rows += 64) { /* the backward copy's path and the forward copy's */
        rw_tensor *xr = rwt_uniform(&rng, rw_shape2(rows, K), -1, 1);
        for (int step = 0; step < 2; step++) {
            rw_node *y = rw_matmul_ex(g, rw_const(g, xr), rw_param_node(g, W), false, true);
            rw_node *y2 = rw_matmul_ex(g, rw_const(g, xr), rw_param_node(g, W), false, true); /* from the copy */
            cr_assert(y && y2, "%s", rw_last_error());
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int p = 0; p < K; p++)
                        s += (double)xr->data[i * K + p] * W->value->data[j * K + p];
                    rwt_assert_close(rw_node_value(y)->data[i * N + j], s, 1e-5, "rows %d step %d", rows, step);
                    cr_assert_eq(rw_node_value(y2)->data[i * N + j], rw_node_value(y)->data[i * N + j]);
                }
            rw_graph_reset(g);
            for (size_t i = 0; i < W->value->size; i++)
                W->value->data[i] = -2 * W->value->data[i] + (rw_real)0.25;
        }
        rw_tensor_free(xr);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(w0);
    rw_params_free(P);
}

/* gather_columns over a parameter table reads and sums through W^T; the
 * values and dW equal a plain reference, ids of -1 giving zero rows. */
Test(matmul_weight, a_parameter_table_gathers_and_sums_as_stored)
{
    enum { G = 37, V = 5, R = 40 }; /* more ids than columns: the transposed sums */
    rw_rng rng = rw_rng_seed(11);
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(G, V));
    rw_tensor *wv = rwt_uniform(&rng, rw_shape2(G, V), -1, 1), *dy = rwt_uniform(&rng, rw_shape2(R, G), -1, 1);
    rw_tensor *ids = rwt_ints(&rng, rw_shape1(R), -1, V);
    rw_tensor_copy(W->value, wv);
    for (int threads = 1; threads <= 2; threads++) {
        cr_assert_eq(rw_set_threads(threads), RW_OK);
        rw_params_zero_grad(P);
        rw_graph *g = rw_graph_new();
        rw_node *y = rw_gather_columns(g, rw_param_node(g, W), rw_const(g, ids));
        rw_node *loss = rw_sum(g, rw_mul(g, y, rw_const(g, dy)));
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        for (int r = 0; r < R; r++)
            for (int k = 0; k < G; k++)
                cr_assert_eq(rw_node_value(y)->data[r * G + k], ids->idata[r] < 0 ? 0 : wv->data[k * V + ids->idata[r]]);
        for (int k = 0; k < G; k++)
            for (int v = 0; v < V; v++) {
                double s = 0;
                for (int r = 0; r < R; r++)
                    if (ids->idata[r] == v)
                        s += dy->data[r * G + k];
                rwt_assert_close(W->grad->data[k * V + v], s, 1e-5, "dW[%d, %d] at %d threads", k, v, threads);
            }
        rw_graph_free(g);
    }
    rw_set_threads(1);
    rw_tensor_free(wv);
    rw_tensor_free(dy);
    rw_tensor_free(ids);
    rw_params_free(P);
}

/* A few ids (fewer than V / 8: W's columns read where they are stored), as
 * the K beams of a decoding step: repeated ids copy the row already read
 * (ops/gather_columns.c), at one and two threads (a repeat may fall in
 * another thread's piece), with ids of -1 between them. */
Test(matmul_weight, a_few_repeated_ids_gather_the_stored_columns)
{
    enum { G = 37, V = 114, R = 9 };
    static const int32_t idv[R] = { 47, 11, 47, -1, 47, 0, 11, 113, 0 };
    rw_rng rng = rw_rng_seed(12);
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(G, V));
    rw_tensor *wv = rwt_uniform(&rng, rw_shape2(G, V), -1, 1), *ids = rw_tensor_from_ints(rw_shape1(R), idv);
    rw_tensor_copy(W->value, wv);
    for (int threads = 1; threads <= 2; threads++) {
        cr_assert_eq(rw_set_threads(threads), RW_OK);
        rw_graph *g = rw_graph_new();
        rw_node *y = rw_gather_columns(g, rw_param_node(g, W), rw_const(g, ids));
        cr_assert_not_null(y, "%s", rw_last_error());
        for (int r = 0; r < R; r++)
            for (int k = 0; k < G; k++)
                cr_assert_eq(rw_node_value(y)->data[r * G + k], idv[r] < 0 ? 0 : wv->data[k * V + idv[r]],
                             "row %d (id %d) element %d at %d threads", r, idv[r], k, threads);
        rw_graph_free(g);
    }
    rw_set_threads(1);
    rw_tensor_free(wv);
    rw_tensor_free(ids);
    rw_params_free(P);
}
