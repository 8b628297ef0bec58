/* Two threads give the same results as one: a few training steps of a
 * character LSTM and a bidirectional GRU, large enough that the thread pool
 * splits the step's products by columns and its elementwise loops in pieces,
 * end with bit-identical parameters at 1, 2 and 3 threads. And the pool
 * itself: every element of a range is visited exactly once. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"
#include "internal/rewind_internal/parallel.h"

enum { V = 40, T = 5, B = 64, H = 256 }; /* [64, 256] per gate: above the pool's grains */

typedef struct run {
    rw_real *values; /* every parameter's value after training, in order */
    size_t count;
    double loss;
} run;

static run train(int threads, const rw_cell_def *cell, bool bidirectional)
{
    cr_assert_eq(rw_set_threads(threads), RW_OK, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(7);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = cell, .vocab = V, .hidden = H, .layers = 2,
                                                .bidirectional = bidirectional }, &rng);
    cr_assert_not_null(rnn, "%s", rw_last_error());
    rw_linear *head = rw_linear_new(P, "out", rw_rnn_output_size(rnn), V, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 1e-2 });
    rw_tensor *x = rwt_ints(&rng, rw_shape2(T, B), 0, V), *y = rwt_ints(&rng, rw_shape2(T, B), 0, V);
    rw_graph *g = rw_graph_new();
    cr_assert(head && opt && x && y && g);
    run r = { 0 };
    for (int step = 0; step < 3; step++) {
        rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), NULL);
        rw_node *loss = rw_cross_entropy(g, rw_linear_apply(g, head, s.outputs), rw_const(g, y));
        cr_assert_not_null(loss, "%s", rw_last_error());
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        r.loss = rw_scalar(loss);
        rw_graph_reset(g);
    }
    for (int i = 0; i < rw_params_count(P); i++)
        r.count += rw_params_at(P, i)->value->size;
    r.values = malloc(r.count * sizeof(rw_real));
    cr_assert_not_null(r.values);
    for (int i = 0, at = 0; i < rw_params_count(P); i++) {
        const rw_tensor *v = rw_params_at(P, i)->value;
        memcpy(r.values + at, v->data, v->size * sizeof(rw_real));
        at += (int)v->size;
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
    cr_assert_eq(rw_set_threads(1), RW_OK);
    return r;
}

static void same_at_any_thread_count(const rw_cell_def *cell, bool bidirectional)
{
    run one = train(1, cell, bidirectional);
    for (int threads = 2; threads <= 3; threads++) {
        run more = train(threads, cell, bidirectional);
        cr_assert_eq(more.count, one.count);
        size_t differ = 0;
        for (size_t i = 0; i < one.count; i++)
            differ += memcmp(&one.values[i], &more.values[i], sizeof(rw_real)) != 0;
        cr_expect_eq(differ, 0, "%s: %zu of %zu parameters differ between 1 and %d threads (loss %.9g vs %.9g)",
                     cell->name, differ, one.count, threads, one.loss, more.loss);
        free(more.values);
    }
    free(one.values);
}

Test(threads, lstm_training_is_bit_identical_at_1_2_and_3_threads)
{
    same_at_any_thread_count(&rw_lstm_cell, false);
}

Test(threads, bidirectional_gru_training_is_bit_identical_at_1_2_and_3_threads)
{
    same_at_any_thread_count(&rw_gru_cell, true);
}

Test(threads, the_threads_setting_is_kept_and_checked)
{
    cr_assert_eq(rw_set_threads(2), RW_OK);
    cr_assert_eq(rw_get_threads(), 2);
    cr_assert_neq(rw_set_threads(0), RW_OK);
    cr_assert(strstr(rw_last_error(), "at least 1"), "%s", rw_last_error());
    cr_assert_eq(rw_get_threads(), 2);
    cr_assert_eq(rw_set_threads(1), RW_OK);
}

/* ---- matmul_add: the addend rides along with the product's pieces ------------ */

enum { MA_M = 64, MA_K = 256, MA_N = 512 }; /* large enough that the pool splits the product */

/* y = a b^T + c and, with seed s, da, db and dc; c is [M, N] or a row [N].
 * out holds y, then dc, then da. */
static void matmul_add_run(int threads, bool row, rw_real *out)
{
    cr_assert_eq(rw_set_threads(threads), RW_OK);
    rw_rng rng = rw_rng_seed(11);
    rw_tensor *a = rwt_uniform(&rng, rw_shape2(MA_M, MA_K), -1, 1), *b = rwt_uniform(&rng, rw_shape2(MA_N, MA_K), -1, 1);
    rw_tensor *c = rwt_uniform(&rng, row ? rw_shape1(MA_N) : rw_shape2(MA_M, MA_N), -1, 1);
    rw_tensor *seed = rwt_uniform(&rng, rw_shape2(MA_M, MA_N), -1, 1);
    rw_graph *g = rw_graph_new();
    cr_assert(a && b && c && seed && g);
    rw_node *na = rw_var(g, a), *nc = rw_var(g, c);
    rw_node *y = rw_matmul_add(g, na, rw_var(g, b), nc, false, true);
    cr_assert_not_null(y, "%s", rw_last_error());
    cr_assert_eq(rw_backward_seeded(g, y, seed->data), RW_OK, "%s", rw_last_error());
    memcpy(out, y->value.data, MA_M * MA_N * sizeof(rw_real));
    memcpy(out + MA_M * MA_N, nc->grad, c->size * sizeof(rw_real));
    memcpy(out + MA_M * MA_N + c->size, na->grad, a->size * sizeof(rw_real));
    /* dc is dy, summed over the rows for a row (in row order) */
    for (size_t j = 0; j < c->size; j++) {
        rw_real want = 0;
        for (size_t r = 0; r < (row ? (size_t)MA_M : 1); r++)
            want += seed->data[r * (row ? (size_t)MA_N : 0) + j];
        cr_assert_eq(nc->grad[j], want, "dc[%zu] = %g, want %g", j, (double)nc->grad[j], (double)want);
    }
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(c);
    rw_tensor_free(seed);
    cr_assert_eq(rw_set_threads(1), RW_OK);
}

Test(threads, matmul_add_with_its_addend_split_is_bit_identical_at_1_2_and_3_threads)
{
    size_t count = 2 * MA_M * MA_N + MA_M * MA_K;
    rw_real *one = malloc(count * sizeof *one), *more = malloc(count * sizeof *more);
    cr_assert(one && more);
    for (int row = 0; row <= 1; row++) {
        size_t used = MA_M * MA_N + (row ? MA_N : MA_M * MA_N) + MA_M * MA_K;
        matmul_add_run(1, row, one);
        for (int threads = 2; threads <= 3; threads++) {
            matmul_add_run(threads, row, more);
            cr_expect_eq(memcmp(one, more, used * sizeof *one), 0, "%s addend: 1 and %d threads differ",
                         row ? "a row" : "a full", threads);
        }
    }
    free(one);
    free(more);
}

/* ---- the pool ---------------------------------------------------------------- */

enum { N = 100003 };
static atomic_int visits[N];
static atomic_int misaligned;

static void visit(void *ctx, size_t lo, size_t hi)
{
    size_t align = *(const size_t *)ctx;
    if (lo % align != 0)
        atomic_fetch_add(&misaligned, 1);
    for (size_t i = lo; i < hi; i++)
        atomic_fetch_add(&visits[i], 1);
}

Test(threads, the_pool_visits_every_element_once_in_aligned_pieces)
{
    rw_set_threads(3);
    size_t aligns[] = { 1, 16, 64 };
    for (int round = 0; round < 300; round++) { /* many jobs back to back: no piece lost or run twice */
        size_t n = (size_t)(round * 331) % N + 1, align = aligns[round % 3];
        for (size_t i = 0; i < n; i++)
            atomic_store(&visits[i], 0);
        if (round % 2) /* up to RWI_PIECES_PER_THREAD pieces a thread */
            rwi_parallel_for_shared(n, 100, align, visit, &align);
        else
            rwi_parallel_for(n, 100, align, visit, &align);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(atomic_load(&visits[i]), 1, "round %d: element %zu of %zu visited %d times", round, i, n,
                         atomic_load(&visits[i]));
    }
    cr_assert_eq(atomic_load(&misaligned), 0);
    rw_set_threads(1);
}
