/* Data-parallel training in threads (rw_train_opts.replicas): stores that
 * share values, shares of a batch, and training on 2 and 3 replicas giving
 * the losses and parameters of training unsplit, with dropout. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "rw_test.h"
#include "rewind/train.h"
#include "rewind/layers.h"
#include "rewind/rnn.h"
#include "rewind/cells.h"

#define V 6
#define H 16
#define CLASSES 2

/* A classifier: embedding-free LSTM over ids (with recurrent dropout), a
 * linear read-out of the last step. */
typedef struct net {
    rw_params *P;
    rw_rnn *rnn;
    rw_linear *head;
    rw_rng rng;
} net;

static void net_build(net *n, rw_params *P, bool skip_init)
{
    rw_rng init = rw_rng_seed(5);
    n->P = P;
    rw_params_set_skip_init(P, skip_init);
    n->rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = &rw_lstm_cell, .vocab = V, .hidden = H,
                                            .recurrent_dropout = 0.2 }, &init);
    n->head = rw_linear_new(P, "out", H, CLASSES, &init);
    n->rng = rw_rng_seed(11);
    cr_assert(n->rnn && n->head, "%s", rw_last_error());
}

static void net_free(net *n)
{
    rw_linear_free(n->head);
    rw_rnn_free(n->rnn);
    rw_params_free(n->P);
}

static rw_node *net_loss(rw_graph *g, void *vb, void *ctx)
{
    const rw_batch *x = vb;
    net *n = ctx;
    rw_seq s = rw_rnn_run(g, n->rnn, rw_const(g, &x->sources),
                          &(rw_run_opts){ .lengths = rw_const(g, &x->lengths), .rng = &n->rng });
    return rw_cross_entropy(g, rw_linear_apply(g, n->head, s.last), rw_const(g, &x->labels));
}

/* Sequences of 2..9 ids; the label: does id 3 occur? */
static rw_seqdata *dataset(int count, uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    rw_seqdata *d = rw_seqdata_new();
    int32_t ids[9];
    for (int i = 0; i < count; i++) {
        int len = 2 + (int)rw_rng_below(&rng, 8), label = 0;
        for (int t = 0; t < len; t++) {
            ids[t] = (int32_t)rw_rng_below(&rng, V);
            label |= ids[t] == 3;
        }
        cr_assert_eq(rw_seqdata_add(d, ids, len, NULL, 0, label), RW_OK);
    }
    return d;
}

typedef struct run_log {
    double loss[64];
    int steps;
} run_log;

static void log_step(const rw_train_progress *p, void *ctx)
{
    run_log *l = ctx;
    if (l->steps < 64)
        l->loss[l->steps++] = p->loss;
}

/* Trains a fresh classifier for `steps` steps on `replicas` replicas; the
 * final values in `out` (rw_params_size of them). Returns the accuracy on
 * the training set. */
static double train_on(int examples, int replicas, int steps, int batch, run_log *log, rw_real *out)
{
    rw_seqdata *d = dataset(examples, 2);
    rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = batch, .seed = 3 });
    net main_net, copies[3];
    net_build(&main_net, rw_params_new(), false);
    rw_train_replica list[3];
    for (int r = 1; r < replicas; r++) {
        net_build(&copies[r - 1], rw_params_new(), true);
        cr_assert_eq(rw_params_share_values(copies[r - 1].P, main_net.P), RW_OK, "%s", rw_last_error());
        copies[r - 1].rng = rw_rng_seed(99 + (uint64_t)r); /* rw_train puts it in step with main_net.rng */
        list[r - 1] = (rw_train_replica){ .P = copies[r - 1].P, .loss_ctx = &copies[r - 1],
                                          .rng = &copies[r - 1].rng };
    }
    rw_optim *opt = rw_adam_new(main_net.P, &(rw_adam_opts){ .lr = 0.02 });
    cr_assert_eq(rw_set_threads(replicas), RW_OK);
    memset(log, 0, sizeof *log);
    rw_status s = rw_train(main_net.P, opt, rw_batcher_source(b), net_loss, &main_net,
                           &(rw_train_opts){ .max_steps = steps, .clip_norm = 5, .rng = &main_net.rng,
                                             .replicas = replicas, .replica_list = list, .progress = log_step,
                                             .progress_ctx = log }, NULL);
    cr_assert_eq(s, RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_set_threads(1), RW_OK);
    size_t at = 0;
    for (int i = 0; i < rw_params_count(main_net.P); i++) {
        const rw_tensor *v = rw_params_at(main_net.P, i)->value;
        memcpy(out + at, v->data, v->size * sizeof *out);
        at += v->size;
    }
    /* accuracy over the whole set, in evaluation mode */
    rw_batcher *all = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = examples });
    rw_batcher_start_epoch(all, 0);
    const rw_batch *x = rw_batcher_next(all);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_seq q = rw_rnn_run(g, main_net.rnn, rw_const(g, &x->sources),
                          &(rw_run_opts){ .lengths = rw_const(g, &x->lengths) });
    const rw_tensor *logits = rw_node_value(rw_linear_apply(g, main_net.head, q.last));
    int right = 0;
    for (int j = 0; j < x->size; j++)
        right += (logits->data[j * 2 + 1] > logits->data[j * 2]) == (x->labels.idata[j] == 1);
    double accuracy = (double)right / examples;
    rw_graph_free(g);
    rw_batcher_free(all);
    for (int r = 1; r < replicas; r++)
        net_free(&copies[r - 1]); /* before the store whose values they share */
    rw_optim_free(opt);
    net_free(&main_net);
    rw_batcher_free(b);
    rw_seqdata_free(d);
    return accuracy;
}

static double train(int replicas, int steps, int batch, run_log *log, rw_real *out)
{
    return train_on(96, replicas, steps, batch, log, out);
}

static size_t net_size(void)
{
    net n;
    net_build(&n, rw_params_new(), true);
    size_t size = rw_params_size(n.P);
    net_free(&n);
    return size;
}

/* The largest difference relative to max(1, |a|). */
static double max_rel(const double *a, const double *b, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / fmax(1.0, fabs(a[i])));
    return worst;
}

Test(replicas, two_and_three_replicas_train_as_one)
{
    size_t size = net_size();
    rw_real *one = calloc(size, sizeof *one), *two = calloc(size, sizeof *two), *three = calloc(size, sizeof *three);
    run_log l1, l2, l3;
    /* batches of 16: 6 per epoch, 30 steps, dropout on */
    double acc1 = train(1, 30, 16, &l1, one);
    double acc2 = train(2, 30, 16, &l2, two);
    double acc3 = train(3, 30, 16, &l3, three); /* shares of 6, 5 and 5 */
    cr_assert_eq(l1.steps, 30);
    cr_assert_eq(l2.steps, 30);
    cr_assert_eq(l3.steps, 30);
    cr_expect_lt(max_rel(l1.loss, l2.loss, 30), 1e-4, "2 replicas: losses differ by %g", max_rel(l1.loss, l2.loss, 30));
    cr_expect_lt(max_rel(l1.loss, l3.loss, 30), 1e-4, "3 replicas: losses differ by %g", max_rel(l1.loss, l3.loss, 30));
    double worst2 = 0, worst3 = 0;
    for (size_t i = 0; i < size; i++) {
        worst2 = fmax(worst2, fabs((double)one[i] - two[i]));
        worst3 = fmax(worst3, fabs((double)one[i] - three[i]));
    }
    cr_expect_lt(worst2, 1e-3, "2 replicas: parameters differ by %g", worst2);
    cr_expect_lt(worst3, 1e-3, "3 replicas: parameters differ by %g", worst3);
    cr_expect_lt(l1.loss[29], l1.loss[0] - 0.1, "it learns: loss %g -> %g", l1.loss[0], l1.loss[29]);
    cr_expect_gt(acc2, 0.8, "accuracy %g after 30 steps on 2 replicas", acc2);
    cr_expect_eq(acc1, acc2);
    cr_expect_eq(acc1, acc3);
    free(one);
    free(two);
    free(three);
}

/* One copy against two over `steps` steps on `examples` examples in
 * batches of 16: every step's loss within `tol` relative. */
static void expect_two_copies_as_one(int examples, int steps, double tol)
{
    size_t size = net_size();
    rw_real *one = calloc(size, sizeof *one), *two = calloc(size, sizeof *two);
    run_log l1, l2;
    train_on(examples, 1, steps, 16, &l1, one);
    train_on(examples, 2, steps, 16, &l2, two);
    cr_expect_lt(max_rel(l1.loss, l2.loss, steps), tol, "losses differ by %g", max_rel(l1.loss, l2.loss, steps));
    free(one);
    free(two);
}

/* The copies' generators are put in step with the trained model's before
 * every step, so their dropout masks are the whole batch's from step 1. */
Test(replicas, the_first_steps_match_closely_with_dropout) { expect_two_copies_as_one(96, 3, 1e-5); }

/* 17 examples in batches of 16: every other step has one sequence, which
 * cannot be shared and trains whole. */
Test(replicas, a_batch_of_one_sequence_trains_whole) { expect_two_copies_as_one(17, 6, 1e-4); }

Test(replicas, a_store_shares_values_only_with_the_same_model)
{
    net a, b;
    net_build(&a, rw_params_new(), false);
    net_build(&b, rw_params_new(), true);
    cr_assert_eq(rw_params_share_values(b.P, a.P), RW_OK, "%s", rw_last_error());
    for (int i = 0; i < rw_params_count(a.P); i++) {
        cr_expect_eq(rw_params_at(b.P, i)->value, rw_params_at(a.P, i)->value);
        cr_expect_neq(rw_params_at(b.P, i)->grad, rw_params_at(a.P, i)->grad);
    }
    cr_expect_null(rw_params_add(b.P, "extra", rw_shape1(2)));
    cr_expect(strstr(rw_last_error(), "takes no new parameters"), "%s", rw_last_error());
    cr_expect_eq(rw_params_share_values(b.P, a.P), RW_ERR_ARG);

    rw_params *other = rw_params_new();
    rw_params_add(other, "rnn.l0.w", rw_shape2(3, 3));
    cr_expect_eq(rw_params_share_values(other, a.P), RW_ERR_SHAPE);
    cr_expect(strstr(rw_last_error(), "has 1 parameters"), "%s", rw_last_error());
    rw_params *wide = rw_params_new();
    rw_rng init = rw_rng_seed(1);
    net w = { .P = wide };
    w.rnn = rw_rnn_new(wide, &(rw_rnn_spec){ .name = "rnn", .cell = &rw_lstm_cell, .vocab = V, .hidden = H + 1 },
                       &init);
    w.head = rw_linear_new(wide, "out", H + 1, CLASSES, &init);
    cr_assert(w.rnn && w.head);
    cr_expect_eq(rw_params_share_values(wide, a.P), RW_ERR_SHAPE);
    cr_expect(strstr(rw_last_error(), "parameter 0 is"), "%s", rw_last_error());
    cr_expect_eq(rw_params_share_values(a.P, a.P), RW_ERR_ARG);
    net_free(&w);
    rw_params_free(other);
    net_free(&b);
    net_free(&a);
}

Test(replicas, a_share_of_a_batch_holds_its_columns)
{
    rw_seqdata *d = dataset(10, 7);
    rw_batcher *bt = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 10 });
    rw_batcher_start_epoch(bt, 0);
    const rw_batch *x = rw_batcher_next(bt);
    rw_batch_part part = { 0 };
    cr_assert_eq(rw_batch_take_columns(&part, x, 3, 4), RW_OK, "%s", rw_last_error());
    const rw_batch *p = &part.batch;
    cr_expect_eq(p->size, 4);
    cr_expect_eq(p->sources.shape.dim[0], x->sources.shape.dim[0]);
    cr_expect_eq(p->sources.shape.dim[1], 4);
    long tokens = 0;
    for (int j = 0; j < 4; j++) {
        cr_expect_eq(p->labels.idata[j], x->labels.idata[3 + j]);
        cr_expect_eq(p->lengths.idata[j], x->lengths.idata[3 + j]);
        cr_expect_eq(p->indices[j], x->indices[3 + j]);
        tokens += x->lengths.idata[3 + j];
        for (int t = 0; t < x->source_len; t++)
            cr_expect_eq(p->sources.idata[t * 4 + j], x->sources.idata[t * 10 + 3 + j]);
    }
    cr_expect_eq(p->tokens, tokens);
    cr_expect_eq(rw_batch_take_columns(&part, x, 8, 3), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "[8, 11) of a batch of 10"), "%s", rw_last_error());
    cr_expect_eq(rw_batch_take_columns(&part, x, 0, 0), RW_ERR_ARG);
    rw_batch_part_free(&part);
    rw_batcher_free(bt);
    rw_seqdata_free(d);
}

static rw_status no_next(void *ctx, void **batch)
{
    (void)ctx;
    *batch = NULL;
    return RW_OK;
}

Test(replicas, bad_replica_options_are_refused)
{
    net a;
    net_build(&a, rw_params_new(), false);
    rw_optim *opt = rw_sgd_new(a.P, &(rw_sgd_opts){ .lr = 0.1 });
    rw_seqdata *d = dataset(8, 1);
    rw_batcher *bt = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 4 });
    rw_status s = rw_train(a.P, opt, rw_batcher_source(bt), net_loss, &a,
                           &(rw_train_opts){ .max_steps = 1, .replicas = 2 }, NULL);
    cr_expect_eq(s, RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "without their replica_list"), "%s", rw_last_error());
    rw_train_replica unshared = { .P = rw_params_new(), .loss_ctx = &a };
    s = rw_train(a.P, opt, rw_batcher_source(bt), net_loss, &a,
                 &(rw_train_opts){ .max_steps = 1, .replicas = 2, .replica_list = &unshared }, NULL);
    cr_expect_eq(s, RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "does not share the trained store's values"), "%s", rw_last_error());
    s = rw_train(a.P, opt, (rw_train_source){ .next = no_next }, net_loss, &a,
                 &(rw_train_opts){ .max_steps = 1, .replicas = 2, .replica_list = &unshared }, NULL);
    cr_expect_eq(s, RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "cannot cut its batches into shares"), "%s", rw_last_error());
    s = rw_train(a.P, opt, rw_batcher_source(bt), net_loss, &a, &(rw_train_opts){ .max_steps = 1, .replicas = -1 },
                 NULL);
    cr_expect_eq(s, RW_ERR_ARG);
    rw_params_free(unshared.P);
    rw_optim_free(opt);
    net_free(&a);
    rw_batcher_free(bt);
    rw_seqdata_free(d);
}

Test(replicas, carried_states_copy_by_sequence_between_copies_of_a_network)
{
    net a, b;
    net_build(&a, rw_params_new(), false);
    net_build(&b, rw_params_new(), true);
    rw_carry *whole = rw_carry_new(a.rnn, 6), *share = rw_carry_new(b.rnn, 2);
    cr_assert(whole && share);
    /* a run over the whole batch fills the carry: sequence j's state differs per j */
    rw_graph *g = rw_graph_new(), *g2 = rw_graph_new();
    rw_graph_set_training(g, false); /* no dropout */
    rw_graph_set_training(g2, false);
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape2(3, 6));
    for (int i = 0; i < 18; i++)
        ids->idata[i] = i % V;
    rw_seq s = rw_rnn_run(g, a.rnn, rw_const(g, ids), &(rw_run_opts){ .carry = whole });
    cr_assert_eq(rw_carry_keep(whole, &s), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_carry_copy_sequences(share, 0, whole, 3, 2), RW_OK, "%s", rw_last_error());
    /* the copy's network runs from the share's carry: the same as the whole batch's sequences 3 and 4 */
    rw_graph_reset(g);
    rw_tensor *next = rw_tensor_new(RW_INT32, rw_shape2(1, 6)), *next2 = rw_tensor_new(RW_INT32, rw_shape2(1, 2));
    for (int j = 0; j < 6; j++)
        next->idata[j] = j % V;
    next2->idata[0] = 3 % V;
    next2->idata[1] = 4 % V;
    rw_seq w = rw_rnn_run(g, a.rnn, rw_const(g, next), &(rw_run_opts){ .carry = whole });
    cr_assert_eq(rw_params_share_values(b.P, a.P), RW_OK);
    rw_seq p = rw_rnn_run(g2, b.rnn, rw_const(g2, next2), &(rw_run_opts){ .carry = share });
    cr_assert(w.last && p.last, "%s", rw_last_error());
    for (int j = 0; j < 2; j++)
        for (int h = 0; h < H; h++)
            cr_expect_float_eq(rw_node_value(p.last)->data[j * H + h], rw_node_value(w.last)->data[(3 + j) * H + h],
                               1e-6, "sequence %d unit %d", 3 + j, h);
    cr_expect_eq(rw_carry_copy_sequences(share, 1, whole, 0, 2), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "[0, 2) of a carry of 6 into [1, 3) of one of 2"), "%s", rw_last_error());
    rw_params *narrow = rw_params_new();
    rw_rng init = rw_rng_seed(1);
    rw_rnn *other = rw_rnn_new(narrow, &(rw_rnn_spec){ .name = "rnn", .cell = &rw_lstm_cell, .vocab = V,
                                                        .hidden = H - 1 }, &init);
    rw_carry *misfit = rw_carry_new(other, 2);
    cr_expect_eq(rw_carry_copy_sequences(misfit, 0, whole, 0, 2), RW_ERR_ARG);
    cr_expect(strstr(rw_last_error(), "networks of different shapes"), "%s", rw_last_error());
    rw_graph_reset(g2);
    rw_seq bad = rw_rnn_run(g2, other, rw_const(g2, next2), &(rw_run_opts){ .carry = share });
    cr_expect_null(bad.last, "a carry of another shape is refused");
    rw_carry_free(misfit);
    rw_rnn_free(other);
    rw_params_free(narrow);
    rw_graph_free(g);
    rw_graph_free(g2);
    rw_tensor_free(ids);
    rw_tensor_free(next);
    rw_tensor_free(next2);
    rw_carry_free(whole);
    rw_carry_free(share);
    net_free(&b);
    net_free(&a);
}
