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
