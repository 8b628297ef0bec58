/* Dropout masks: reproducibility, keep rate, evaluation mode, token
 * (word) dropout, and variational dropout through an unrolled recurrence. */
#include <string.h>
#include "rw_test.h"

Test(dropout, mask_is_reproducible_from_its_seed)
{
    rw_graph *g = rw_graph_new();
    rw_rng r1 = rw_rng_seed(77), r2 = rw_rng_seed(77), r3 = rw_rng_seed(78);
    rw_node *a = rw_dropout_mask(g, rw_shape2(16, 32), 0.5, &r1);
    rw_node *b = rw_dropout_mask(g, rw_shape2(16, 32), 0.5, &r2);
    rw_node *c = rw_dropout_mask(g, rw_shape2(16, 32), 0.5, &r3);
    cr_assert_not_null(c, "%s", rw_last_error());
    cr_assert_eq(memcmp(a->value.data, b->value.data, a->value.size * sizeof(rw_real)), 0);
    cr_assert_neq(memcmp(a->value.data, c->value.data, a->value.size * sizeof(rw_real)), 0);
    cr_assert(r1.key == r2.key && r1.counter == r2.counter, "the streams advanced alike");
    /* The next masks of the two streams agree too, and differ from the first. */
    rw_node *a2 = rw_dropout_mask(g, rw_shape2(16, 32), 0.5, &r1);
    rw_node *b2 = rw_dropout_mask(g, rw_shape2(16, 32), 0.5, &r2);
    cr_assert_eq(memcmp(a2->value.data, b2->value.data, a2->value.size * sizeof(rw_real)), 0);
    cr_assert_neq(memcmp(a2->value.data, a->value.data, a2->value.size * sizeof(rw_real)), 0);
    cr_assert(!a->needs_grad && a->op == NULL, "a mask is a constant leaf");
    rw_graph_free(g);
}

Test(dropout, keep_rate_and_kept_value)
{
    const double ps[3] = { 0.1, 0.3, 0.75 };
    rw_graph *g = rw_graph_new();
    rw_rng rng = rw_rng_seed(2024);
    for (int k = 0; k < 3; k++) {
        double p = ps[k];
        rw_node *m = rw_dropout_mask(g, rw_shape2(400, 500), p, &rng); /* 200k elements */
        cr_assert_not_null(m, "%s", rw_last_error());
        rw_real keep = (rw_real)(1 / (1 - p));
        size_t kept = 0, n = m->value.size;
        for (size_t i = 0; i < n; i++) {
            rw_real v = m->value.data[i];
            cr_assert(v == 0 || v == keep, "p %g: element %zu is %g", p, i, (double)v);
            kept += v != 0;
        }
        double expect = n * (1 - p), sd = sqrt(n * p * (1 - p));
        cr_assert(fabs((double)kept - expect) <= 5 * sd, "p %g: kept %zu of %zu, expected %g +- %g", p, kept, n,
                  expect, 5 * sd);
    }
    rw_graph_free(g);
}

Test(dropout, evaluation_mode_changes_nothing)
{
    rw_rng rng = rw_rng_seed(3), before = rng;
    rw_real xv[6] = { 1, -2, 3, -4, 5, -6 };
    rw_tensor *x = rw_tensor_from(rw_shape2(2, 3), xv);
    int32_t iv[3] = { 4, 1, 4 };
    rw_tensor *ids = rw_tensor_from_ints(rw_shape1(3), iv);
    rw_graph *g = rw_graph_new();
    rw_graph_set_training(g, false);
    rw_node *xn = rw_var(g, x);
    int count = rw_graph_node_count(g);
    cr_assert_eq(rw_dropout(g, xn, 0.5, &rng), xn, "identity: x itself");
    cr_assert_eq(rw_graph_node_count(g), count, "nothing recorded");
    rw_node *m = rw_dropout_mask(g, rw_shape3(2, 3, 4), 0.5, &rng);
    rw_node *tm = rw_token_dropout_mask(g, rw_const(g, ids), 5, 0.5, &rng);
    cr_assert_not_null(tm, "%s", rw_last_error());
    for (size_t i = 0; i < m->value.size; i++)
        cr_assert_eq(m->value.data[i], 1);
    cr_assert(rw_shape_equal(tm->value.shape, rw_shape2(3, 5)));
    for (size_t i = 0; i < tm->value.size; i++)
        cr_assert_eq(tm->value.data[i], 1);
    cr_assert(rng.key == before.key && rng.counter == before.counter, "no randomness consumed");
    /* p = 0 in training mode is the same. */
    rw_graph_set_training(g, true);
    cr_assert_eq(rw_dropout(g, xn, 0, &rng), xn);
    cr_assert(rng.counter == before.counter);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
}

Test(dropout, training_multiplies_by_the_mask_and_its_gradient)
{
    rw_rng rng = rw_rng_seed(12);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(8, 8), -1, 1);
    rw_rng copy = rng;
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *y = rw_dropout(g, xn, 0.4, &rng);
    cr_assert_not_null(y, "%s", rw_last_error());
    rw_node *m = rw_dropout_mask(g, x->shape, 0.4, &copy); /* the same draws */
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK, "%s", rw_last_error());
    for (size_t i = 0; i < x->size; i++) {
        cr_assert_eq(y->value.data[i], x->data[i] * m->value.data[i]);
        cr_assert_eq(rw_node_grad(xn)[i], m->value.data[i]);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(dropout, bad_arguments_are_errors)
{
    rw_rng rng = rw_rng_seed(1);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape1(4)), *ids = rw_tensor_new(RW_INT32, rw_shape4(1, 2, 2, 2));
    rw_graph *g = rw_graph_new();
    const double bad[4] = { 1, -0.1, 1.5, NAN };
    for (int k = 0; k < 4; k++) {
        cr_assert_null(rw_dropout_mask(g, rw_shape1(4), bad[k], &rng));
        cr_assert_eq(rw_last_status(), RW_ERR_ARG);
        cr_assert(strstr(rw_last_error(), "rw_dropout_mask") && strstr(rw_last_error(), "[0, 1)"), "%s",
                  rw_last_error());
        cr_assert_null(rw_dropout(g, rw_const(g, x), bad[k], &rng));
        cr_assert(strstr(rw_last_error(), "rw_dropout") != NULL, "%s", rw_last_error());
    }
    cr_assert_null(rw_dropout_mask(g, rw_shape1(4), 0.5, NULL));
    cr_assert(strstr(rw_last_error(), "generator") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_dropout_mask(NULL, rw_shape1(4), 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "graph") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_dropout_mask(g, rw_shape2(0, 3), 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "rw_dropout_mask") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_dropout(g, rw_const(g, ids), 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "int32") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_token_dropout_mask(g, rw_const(g, x), 3, 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "rw_token_dropout_mask") && strstr(rw_last_error(), "[4]") &&
              strstr(rw_last_error(), "int32"), "%s", rw_last_error());
    cr_assert_null(rw_token_dropout_mask(g, rw_const(g, ids), 3, 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "[1, 2, 2, 2]") != NULL, "%s", rw_last_error());
    rw_tensor *ids1 = rw_tensor_new(RW_INT32, rw_shape1(3));
    cr_assert_null(rw_token_dropout_mask(g, rw_const(g, ids1), 0, 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "width") != NULL, "%s", rw_last_error());
    /* A NULL input keeps the earlier message. */
    cr_assert_null(rw_dropout(g, NULL, 0.5, &rng));
    cr_assert(strstr(rw_last_error(), "width") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
    rw_tensor_free(ids1);
}

Test(dropout, token_mask_is_consistent_per_id)
{
    rw_rng rng = rw_rng_seed(99);
    rw_tensor *ids = rwt_ints(&rng, rw_shape2(12, 10), 0, 20);
    rw_graph *g = rw_graph_new();
    rw_node *idn = rw_const(g, ids);
    double p = 0.5;
    rw_real keep = (rw_real)(1 / (1 - p));
    int width = 3, dropped = 0, kept = 0;
    rw_rng before = rng;
    rw_node *m = rw_token_dropout_mask(g, idn, width, p, &rng);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_assert(rw_shape_equal(m->value.shape, rw_shape3(12, 10, 3)));
    rw_real by_id[20];
    bool seen[20] = { false };
    for (size_t i = 0; i < ids->size; i++) {
        const rw_real *row = m->value.data + i * (size_t)width;
        cr_assert(row[0] == 0 || row[0] == keep, "position %zu: %g", i, (double)row[0]);
        for (int j = 1; j < width; j++)
            cr_assert_eq(row[j], row[0], "position %zu: the whole row shares one decision", i);
        int32_t id = ids->idata[i];
        if (seen[id])
            cr_assert_eq(row[0], by_id[id], "id %d decided differently at position %zu", id, i);
        else {
            seen[id] = true;
            by_id[id] = row[0];
            dropped += row[0] == 0;
            kept += row[0] != 0;
        }
    }
    cr_assert(dropped > 0 && kept > 0, "with p = 0.5 and ~20 ids both outcomes occur (%d, %d)", dropped, kept);
    /* One draw of rng per call; id i decided by draw number i of the split generator. */
    rw_rng split = rw_rng_split(&before);
    cr_assert(before.counter == rng.counter, "one draw per call");
    for (int id = 0; id < 20; id++)
        if (seen[id]) {
            split.counter = (uint64_t)id;
            cr_assert_eq(by_id[id], rw_rng_uniform(&split) < p ? 0 : keep, "id %d", id);
        }
    rw_graph_free(g);
    rw_tensor_free(ids);
}

/* A call's decision for an id depends only on the generator and the id,
 * not on the other ids or the positions, and a call takes one draw: so
 * processes holding different columns of a batch decide every id alike. */
Test(dropout, token_mask_decides_each_id_alone)
{
    int32_t a[6] = { 7, 3, 7, 9, 3, 3 }, b[4] = { 9, 3, 12, 5 };
    rw_tensor *ta = rw_tensor_from_ints(rw_shape2(2, 3), a), *tb = rw_tensor_from_ints(rw_shape1(4), b);
    rw_graph *g = rw_graph_new();
    rw_rng r1 = rw_rng_seed(5), r2 = rw_rng_seed(5), r3 = rw_rng_seed(5);
    rw_node *ma = rw_token_dropout_mask(g, rw_const(g, ta), 2, 0.5, &r1);
    rw_node *mb = rw_token_dropout_mask(g, rw_const(g, tb), 2, 0.5, &r2);
    cr_assert_not_null(mb, "%s", rw_last_error());
    rw_rng_u64(&r3);
    cr_assert(r1.counter == r2.counter && r1.counter == r3.counter, "one draw per call, whatever the ids");
    int shared = 0;
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++)
            if (a[i] == b[k]) {
                cr_assert_eq(ma->value.data[2 * i], mb->value.data[2 * k], "id %d", a[i]);
                shared++;
            }
    cr_assert_eq(shared, 4, "id 3 (three times) and id 9 (once) are in both");
    rw_graph_free(g);
    rw_tensor_free(ta);
    rw_tensor_free(tb);
}

/* A graph holding columns of a batch draws those rows of the whole batch's
 * mask, for [B, W] and [T, B, W], and its generator ends where the whole
 * batch's does: processes with 3 and 5 of 8 columns make one process' masks. */
Test(dropout, shard_of_a_batch_draws_its_rows_of_the_whole_mask)
{
    const rw_shape whole_shapes[2] = { rw_shape2(8, 5), rw_shape3(3, 8, 5) };
    const int firsts[2] = { 0, 3 }, counts[2] = { 3, 5 };
    for (int k = 0; k < 2; k++) {
        rw_graph *g = rw_graph_new();
        rw_rng r = rw_rng_seed(41);
        rw_node *whole = rw_dropout_mask(g, whole_shapes[k], 0.5, &r);
        cr_assert_not_null(whole, "%s", rw_last_error());
        for (int part = 0; part < 2; part++) {
            rw_rng rp = rw_rng_seed(41);
            cr_assert_eq(rw_graph_set_batch_shard(g, firsts[part], counts[part], 8), RW_OK, "%s", rw_last_error());
            rw_shape s = whole_shapes[k];
            s.dim[s.ndim - 2] = counts[part];
            rw_node *m = rw_dropout_mask(g, s, 0.5, &rp);
            cr_assert_not_null(m, "%s", rw_last_error());
            cr_assert(rp.key == r.key && rp.counter == r.counter, "the stream ends where the whole batch's does");
            size_t lead = whole->value.size / 40;
            for (size_t l = 0; l < lead; l++)
                for (int b = 0; b < counts[part]; b++)
                    cr_assert_eq(memcmp(m->value.data + (l * (size_t)counts[part] + (size_t)b) * 5,
                                        whole->value.data + (l * 8 + (size_t)(firsts[part] + b)) * 5,
                                        5 * sizeof(rw_real)), 0, "shape %d, part %d: row %zu, %d", k, part, l, b);
        }
        /* A mask whose rows are not the shard's columns is drawn as without a shard. */
        rw_rng a = rw_rng_seed(9), b = rw_rng_seed(9);
        rw_node *plain = rw_dropout_mask(g, rw_shape2(6, 4), 0.5, &a);
        cr_assert_eq(rw_graph_set_batch_shard(g, 0, 0, 0), RW_OK);
        cr_assert(!rw_graph_batch_shard(g, NULL, NULL, NULL), "cleared");
        rw_node *ref = rw_dropout_mask(g, rw_shape2(6, 4), 0.5, &b);
        cr_assert_eq(memcmp(plain->value.data, ref->value.data, 24 * sizeof(rw_real)), 0);
        cr_assert_eq(a.counter, b.counter);
        rw_graph_free(g);
    }
    rw_graph *g = rw_graph_new();
    cr_assert_eq(rw_graph_set_batch_shard(g, 6, 3, 8), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "rw_graph_set_batch_shard") && strstr(rw_last_error(), "6 to 8"), "%s",
              rw_last_error());
    cr_assert_eq(rw_graph_set_batch_shard(g, 0, 0, 8), RW_ERR_ARG);
    rw_graph_free(g);
}

/* ---- variational dropout ------------------------------------------------- */

/* h_t = tanh(x_t + (h_{t-1} * m) W) for three steps, with ONE mask m drawn
 * per sequence (from a copy of a fixed generator, so every rebuild by the
 * gradient checker draws the same mask). Inputs: h_0, W, x_1, x_2, x_3. */
static rw_node *variational_rnn(rw_graph *g, rw_node *const *in, void *ctx)
{
    rw_rng rng = *(const rw_rng *)ctx;
    rw_node *m = rw_dropout_mask(g, rw_node_shape(in[0]), 0.5, &rng);
    rw_node *h = in[0];
    for (int t = 0; t < 3; t++)
        h = rw_tanh(g, rw_add(g, in[2 + t], rw_matmul(g, rw_mul(g, h, m), in[1])));
    return h;
}

Test(dropout, variational_mask_shared_by_every_step_has_the_right_gradient)
{
    rw_rng rng = rw_rng_seed(31);
    rw_tensor *in[5] = { rwt_uniform(&rng, rw_shape2(2, 6), -1, 1), rwt_uniform(&rng, rw_shape2(6, 6), -0.8, 0.8),
                         rwt_uniform(&rng, rw_shape2(2, 6), -1, 1), rwt_uniform(&rng, rw_shape2(2, 6), -1, 1),
                         rwt_uniform(&rng, rw_shape2(2, 6), -1, 1) };
    rw_rng mask_rng = rw_rng_seed(4);
    /* The mask has both zeros and kept elements, so the check means something. */
    rw_graph *g = rw_graph_new();
    rw_rng probe = mask_rng;
    rw_node *m = rw_dropout_mask(g, rw_shape2(2, 6), 0.5, &probe);
    int zeros = 0;
    for (int i = 0; i < 12; i++)
        zeros += m->value.data[i] == 0;
    cr_assert(zeros > 0 && zeros < 12, "%d zeros", zeros);
    rw_graph_free(g);

    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(variational_rnn, &mask_rng, in, 5, NULL, NULL, &rep);
    cr_assert_eq(st, RW_OK, "%s", rw_last_error());
    cr_assert_gt(rep.checked, 0);
    for (int i = 0; i < 5; i++)
        rw_tensor_free(in[i]);
}

/* The same mask node multiplied into a state at several steps: the state's
 * gradient is the sum over the steps, each through the mask. */
Test(dropout, same_mask_at_several_steps_sums_the_gradient)
{
    rw_rng rng = rw_rng_seed(8);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(3, 5), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *m = rw_dropout_mask(g, x->shape, 0.3, &rng);
    rw_node *loss = rw_scalar_const(g, 0);
    rw_real w[3] = { 1, 2, 3 };
    for (int t = 0; t < 3; t++) /* loss = sum_t w_t * sum(x * m) */
        loss = rw_add(g, loss, rw_mul(g, rw_sum(g, rw_mul(g, xn, m)), rw_scalar_const(g, w[t])));
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    for (size_t i = 0; i < x->size; i++)
        rwt_assert_close(rw_node_grad(xn)[i], 6 * m->value.data[i], RWT_EPS, "element %zu", i);
    rw_graph_free(g);
    rw_tensor_free(x);
}
