/* Shape ops, gather and batched_matmul against plain C, their round trips,
 * their error messages, and the no-allocation promise of a warm step. */
#include <string.h>
#include "rw_test.h"

#define ERR_HAS(s) cr_assert(strstr(rw_last_error(), (s)) != NULL, "missing \"%s\" in: %s", (s), rw_last_error())

static bool same_values(const rw_tensor *a, const rw_tensor *b)
{
    if (!rw_shape_equal(a->shape, b->shape) || a->dtype != b->dtype)
        return false;
    if (a->dtype == RW_INT32)
        return memcmp(a->idata, b->idata, a->size * sizeof(int32_t)) == 0;
    return memcmp(a->data, b->data, a->size * sizeof(rw_real)) == 0;
}

/* ---- reshape ---- */

Test(reshape, keeps_elements_real_and_int32)
{
    rw_rng rng = rw_rng_seed(1);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(2, 3, 4), -1, 1), *ids = rwt_ints(&rng, rw_shape2(3, 4), 0, 9);
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_reshape(g, rw_const(g, x), rw_shape2(6, 4));
    rw_node *z = rw_reshape(g, rw_const(g, ids), rw_shape1(12));
    cr_assert(y && z, "%s", rw_last_error());
    cr_assert(rw_shape_equal(y->value.shape, rw_shape2(6, 4)));
    cr_assert_eq(memcmp(y->value.data, x->data, x->size * sizeof(rw_real)), 0);
    cr_assert_eq(z->value.dtype, RW_INT32);
    cr_assert_eq(memcmp(z->value.idata, ids->idata, ids->size * sizeof(int32_t)), 0);
    rw_node *s = rw_reshape(g, rw_scalar_const(g, 3), rw_shape2(1, 1));
    cr_assert(s && s->value.data[0] == 3, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
}

Test(reshape, target_shape_is_settable_by_name)
{
    const rw_op_def *def = rw_op_find("reshape");
    cr_assert_not_null(def);
    char attrs[64];
    cr_assert_leq(def->attr_size, sizeof attrs);
    rw_op_default_attrs(def, attrs);
    cr_assert_eq(rw_op_set_attr(def, attrs, "ndim", 2), RW_OK);
    cr_assert_eq(rw_op_set_attr(def, attrs, "d0", 3), RW_OK);
    cr_assert_eq(rw_op_set_attr(def, attrs, "d1", 2), RW_OK);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape1(6));
    rw_graph *g = rw_graph_new();
    rw_node *in = rw_const(g, x);
    rw_node *y = rw_apply_named(g, "reshape", &in, 1, attrs);
    cr_assert(y && rw_shape_equal(y->value.shape, rw_shape2(3, 2)), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(reshape, element_count_mismatch_names_both_shapes)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_reshape(g, rw_const(g, x), rw_shape2(4, 2)));
    ERR_HAS("op 'reshape'");
    ERR_HAS("[2, 3]");
    ERR_HAS("[4, 2]");
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    cr_assert_null(rw_reshape(g, rw_const(g, x), (rw_shape){ .ndim = 5 }));
    ERR_HAS("5 dimensions");
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* ---- transpose and swap_axes ---- */

Test(transpose, matches_plain_c)
{
    rw_rng rng = rw_rng_seed(2);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(3, 5), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_transpose(g, rw_const(g, x));
    cr_assert(y && rw_shape_equal(y->value.shape, rw_shape2(5, 3)), "%s", rw_last_error());
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            cr_assert_eq(y->value.data[j * 3 + i], x->data[i * 5 + j]);
    rw_tensor *v = rw_tensor_new(RW_REAL, rw_shape1(4));
    cr_assert_null(rw_transpose(g, rw_const(g, v)));
    ERR_HAS("op 'transpose'");
    ERR_HAS("[4]");
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(v);
}

Test(swap_axes, matches_plain_c_on_4d)
{
    rw_rng rng = rw_rng_seed(3);
    int D[4] = { 2, 3, 4, 5 };
    rw_tensor *x = rwt_uniform(&rng, rw_shape4(2, 3, 4, 5), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_swap_axes(g, rw_const(g, x), 1, 3);
    rw_node *yn = rw_swap_axes(g, rw_const(g, x), -1, -3);
    cr_assert(y && yn, "%s", rw_last_error());
    cr_assert(rw_shape_equal(y->value.shape, rw_shape4(2, 5, 4, 3)));
    cr_assert(same_values(&y->value, &yn->value), "negative axes give the same result");
    for (int a = 0; a < D[0]; a++)
        for (int b = 0; b < D[1]; b++)
            for (int c = 0; c < D[2]; c++)
                for (int d = 0; d < D[3]; d++)
                    cr_assert_eq(y->value.data[((a * 5 + d) * 4 + c) * 3 + b], x->data[((a * 3 + b) * 4 + c) * 5 + d]);
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(swap_axes, twice_is_the_identity)
{
    rw_rng rng = rw_rng_seed(4);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(3, 2, 4), -1, 1), *ids = rwt_ints(&rng, rw_shape3(2, 3, 2), 0, 50);
    rw_graph *g = rw_graph_new();
    int pairs[4][2] = { { 0, 1 }, { 0, 2 }, { 1, 2 }, { -1, 0 } };
    for (int p = 0; p < 4; p++) {
        rw_node *y = rw_swap_axes(g, rw_swap_axes(g, rw_const(g, x), pairs[p][0], pairs[p][1]), pairs[p][0], pairs[p][1]);
        rw_node *z = rw_swap_axes(g, rw_swap_axes(g, rw_const(g, ids), pairs[p][0], pairs[p][1]), pairs[p][0], pairs[p][1]);
        cr_assert(y && z, "%s", rw_last_error());
        cr_assert(same_values(&y->value, x), "pair %d", p);
        cr_assert(same_values(&z->value, ids), "pair %d (int32)", p);
    }
    rw_node *same = rw_swap_axes(g, rw_const(g, x), 1, 1);
    cr_assert(same && same_values(&same->value, x));
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
}

Test(swap_axes, bad_axis_is_named)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape3(2, 3, 4));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_swap_axes(g, rw_const(g, x), 0, 3));
    ERR_HAS("op 'swap_axes'");
    ERR_HAS("[2, 3, 4]");
    ERR_HAS("axis_b 3 is out of range for rank 3");
    cr_assert_null(rw_swap_axes(g, rw_const(g, x), -4, 0));
    ERR_HAS("axis_a -4");
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* ---- concat, slice, split ---- */

Test(concat, matches_plain_c_on_the_middle_axis)
{
    rw_rng rng = rw_rng_seed(5);
    rw_tensor *a = rwt_uniform(&rng, rw_shape3(2, 1, 3), -1, 1), *b = rwt_uniform(&rng, rw_shape3(2, 2, 3), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *xs[2] = { rw_const(g, a), rw_const(g, b) };
    rw_node *y = rw_concat(g, xs, 2, -2);
    cr_assert(y && rw_shape_equal(y->value.shape, rw_shape3(2, 3, 3)), "%s", rw_last_error());
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) {
                rw_real expect = j < 1 ? a->data[(i * 1 + j) * 3 + k] : b->data[(i * 2 + (j - 1)) * 3 + k];
                cr_assert_eq(y->value.data[(i * 3 + j) * 3 + k], expect, "(%d,%d,%d)", i, j, k);
            }
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(concat, slice_round_trip_on_every_axis)
{
    rw_rng rng = rw_rng_seed(6);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(4, 5, 6), -1, 1);
    rw_graph *g = rw_graph_new();
    for (int axis = -3; axis < 3; axis++) {
        int size = x->shape.dim[axis < 0 ? axis + 3 : axis];
        rw_node *xn = rw_const(g, x);
        rw_node *parts[3] = { rw_slice(g, xn, axis, 0, 1), rw_slice(g, xn, axis, 1, size - 3),
                              rw_slice(g, xn, axis, size - 2, 2) };
        rw_node *y = rw_concat(g, parts, 3, axis);
        cr_assert(y, "axis %d: %s", axis, rw_last_error());
        cr_assert(same_values(&y->value, x), "axis %d", axis);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(concat, mismatch_names_the_op_and_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 3));
    rw_tensor *i = rw_tensor_new(RW_INT32, rw_shape2(2, 3));
    rw_graph *g = rw_graph_new();
    rw_node *xs[3] = { rw_const(g, a), rw_const(g, b), rw_const(g, i) };
    cr_assert_null(rw_concat(g, xs, 2, 1));
    ERR_HAS("op 'concat'");
    ERR_HAS("[2, 3] and [3, 3]");
    ERR_HAS("outside axis 1");
    cr_assert_not_null(rw_concat(g, xs, 2, 0), "%s", rw_last_error());
    xs[1] = xs[2];
    cr_assert_null(rw_concat(g, xs, 2, 0));
    ERR_HAS("input 1 is int32");
    cr_assert_null(rw_concat(g, xs, 1, 2));
    ERR_HAS("axis 2 is out of range for rank 2");
    cr_assert_null(rw_concat(g, xs, 0, 0));
    ERR_HAS("'concat'");
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(i);
}

Test(slice, bad_range_is_named)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 5));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_slice(g, rw_const(g, x), -1, 3, 3));
    ERR_HAS("op 'slice'");
    ERR_HAS("[2, 5]");
    ERR_HAS("start 3 length 3 does not fit axis -1 of size 5");
    cr_assert_null(rw_slice(g, rw_const(g, x), 2, 0, 1));
    ERR_HAS("axis 2 is out of range");
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(split, four_gates_of_a_fused_row)
{
    rw_rng rng = rw_rng_seed(7);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(3, 8), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *p[4];
    cr_assert_eq(rw_split(g, rw_const(g, x), -1, 4, p), RW_OK, "%s", rw_last_error());
    for (int k = 0; k < 4; k++) {
        cr_assert(rw_shape_equal(p[k]->value.shape, rw_shape2(3, 2)));
        cr_assert_str_eq(p[k]->op->name, "slice");
        for (int b = 0; b < 3; b++)
            for (int j = 0; j < 2; j++)
                cr_assert_eq(p[k]->value.data[b * 2 + j], x->data[b * 8 + k * 2 + j]);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(split, indivisible_axis_is_an_error_and_outputs_are_null)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(2, 7));
    rw_graph *g = rw_graph_new();
    rw_node *p[3] = { (rw_node *)1, (rw_node *)1, (rw_node *)1 };
    cr_assert_eq(rw_split(g, rw_const(g, x), 1, 3, p), RW_ERR_SHAPE);
    for (int k = 0; k < 3; k++)
        cr_assert_null(p[k]);
    ERR_HAS("op 'split'");
    ERR_HAS("[2, 7]");
    ERR_HAS("axis 1 of size 7 cannot be split into 3");
    cr_assert_eq(rw_split(g, rw_const(g, x), 2, 1, p), RW_ERR_SHAPE);
    ERR_HAS("axis 2 is out of range");
    /* A NULL input keeps the first message. */
    cr_assert_null(rw_reshape(g, rw_const(g, x), rw_shape1(5)));
    cr_assert_eq(rw_split(g, NULL, 0, 2, p), RW_ERR_SHAPE);
    ERR_HAS("op 'reshape'");
    cr_assert(p[0] == NULL && p[1] == NULL);
    rw_graph_free(g);
    rw_tensor_free(x);
}

/* ---- stack, unstack, index0 ---- */

Test(stack, unstack_then_stack_gives_back_the_input)
{
    rw_rng rng = rw_rng_seed(8);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(4, 2, 3), -1, 1), *ids = rwt_ints(&rng, rw_shape2(5, 3), 0, 9);
    rw_graph *g = rw_graph_new();
    rw_node *s[5];
    cr_assert_eq(rw_unstack(g, rw_const(g, x), s), RW_OK, "%s", rw_last_error());
    for (int t = 0; t < 4; t++) {
        cr_assert(rw_shape_equal(s[t]->value.shape, rw_shape2(2, 3)));
        cr_assert_str_eq(s[t]->op->name, "index0");
        cr_assert_eq(memcmp(s[t]->value.data, x->data + t * 6, 6 * sizeof(rw_real)), 0, "step %d", t);
    }
    rw_node *y = rw_stack(g, s, 4);
    cr_assert(y && same_values(&y->value, x), "%s", rw_last_error());
    cr_assert_eq(rw_unstack(g, rw_const(g, ids), s), RW_OK, "%s", rw_last_error());
    y = rw_stack(g, s, 5);
    cr_assert(y && same_values(&y->value, ids), "int32 round trip: %s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(ids);
}

Test(stack, backward_routes_each_slot)
{
    rw_real av[2] = { 1, 2 }, bv[2] = { 3, 4 };
    rw_tensor *a = rw_tensor_from(rw_shape1(2), av), *b = rw_tensor_from(rw_shape1(2), bv);
    rw_tensor *w = rw_tensor_from(rw_shape2(3, 2), (rw_real[]){ 1, 2, 3, 4, 5, 6 });
    rw_graph *g = rw_graph_new();
    rw_node *an = rw_var(g, a), *bn = rw_var(g, b);
    rw_node *xs[3] = { an, bn, an };
    rw_node *loss = rw_sum(g, rw_mul(g, rw_stack(g, xs, 3), rw_const(g, w)));
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    cr_assert(rw_node_grad(an)[0] == 1 + 5 && rw_node_grad(an)[1] == 2 + 6);
    cr_assert(rw_node_grad(bn)[0] == 3 && rw_node_grad(bn)[1] == 4);
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(w);
}

Test(stack, errors_name_the_op_shapes_and_index)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    rw_tensor *r4 = rw_tensor_new(RW_REAL, rw_shape4(1, 2, 1, 2)), *sc = rw_tensor_new(RW_REAL, rw_shape_scalar());
    rw_graph *g = rw_graph_new();
    rw_node *xs[2] = { rw_const(g, a), rw_const(g, b) };
    cr_assert_null(rw_stack(g, xs, 2));
    ERR_HAS("op 'stack'");
    ERR_HAS("[2, 3] and [3, 2]");
    xs[0] = rw_const(g, r4);
    cr_assert_null(rw_stack(g, xs, 1));
    ERR_HAS("rank 5");
    cr_assert_null(rw_index0(g, rw_const(g, a), 2));
    ERR_HAS("op 'index0'");
    ERR_HAS("index 2 is out of range for axis 0 of size 2");
    rw_node *out[1] = { NULL };
    cr_assert_eq(rw_unstack(g, rw_const(g, sc), out), RW_ERR_SHAPE);
    ERR_HAS("'unstack'");
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(r4);
    rw_tensor_free(sc);
}

/* ---- gather ---- */

Test(gather, rows_and_repeated_id_gradient)
{
    rw_rng rng = rw_rng_seed(9);
    rw_tensor *table = rwt_uniform(&rng, rw_shape2(4, 3), -1, 1);
    int32_t idv[6] = { 2, 0, 2, 3, 2, 1 };
    rw_tensor *ids = rw_tensor_from_ints(rw_shape2(2, 3), idv);
    rw_graph *g = rw_graph_new();
    rw_node *t = rw_var(g, table);
    rw_node *y = rw_gather(g, t, rw_const(g, ids));
    cr_assert(y && rw_shape_equal(y->value.shape, rw_shape3(2, 3, 3)), "%s", rw_last_error());
    for (int k = 0; k < 6; k++)
        cr_assert_eq(memcmp(y->value.data + k * 3, table->data + idv[k] * 3, 3 * sizeof(rw_real)), 0, "row %d", k);
    cr_assert_eq(rw_backward(g, rw_sum(g, y)), RW_OK, "%s", rw_last_error());
    rw_real count[4] = { 1, 1, 3, 1 };
    for (int v = 0; v < 4; v++)
        for (int j = 0; j < 3; j++)
            cr_assert_eq(rw_node_grad(t)[v * 3 + j], count[v], "row %d", v);
    rw_graph_free(g);
    rw_tensor_free(table);
    rw_tensor_free(ids);
}

Test(gather, bad_id_names_the_id_and_position)
{
    rw_tensor *table = rw_tensor_new(RW_REAL, rw_shape2(5, 2));
    int32_t idv[6] = { 0, 1, 2, 3, 4, 7 }, neg[2] = { 0, -2 };
    rw_tensor *ids = rw_tensor_from_ints(rw_shape2(2, 3), idv), *nid = rw_tensor_from_ints(rw_shape1(2), neg);
    rw_tensor *real_ids = rw_tensor_new(RW_REAL, rw_shape1(2));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_gather(g, rw_const(g, table), rw_const(g, ids)));
    ERR_HAS("op 'gather'");
    ERR_HAS("[5, 2] and [2, 3] int32");
    ERR_HAS("id 7 at position [1, 2] is out of range for a table of 5 rows");
    cr_assert_null(rw_gather(g, rw_const(g, table), rw_const(g, nid)));
    ERR_HAS("id -2 at position [1]");
    cr_assert_null(rw_gather(g, rw_const(g, table), rw_const(g, real_ids)));
    ERR_HAS("must be int32");
    rw_graph_free(g);
    rw_tensor_free(table);
    rw_tensor_free(ids);
    rw_tensor_free(nid);
    rw_tensor_free(real_ids);
}

/* ---- batched_matmul ---- */

static double entry(const rw_tensor *t, int i, int r, int c, bool trans)
{
    int rows = t->shape.dim[1], cols = t->shape.dim[2];
    const rw_real *m = t->data + (size_t)i * rows * cols;
    return trans ? m[c * cols + r] : m[r * cols + c];
}

Test(batched_matmul, matches_plain_c_in_every_layout)
{
    rw_rng rng = rw_rng_seed(10);
    int N = 3, M = 4, K = 5, P = 2;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            rw_tensor *a = rwt_uniform(&rng, ta ? rw_shape3(N, K, M) : rw_shape3(N, M, K), -1, 1);
            rw_tensor *b = rwt_uniform(&rng, tb ? rw_shape3(N, P, K) : rw_shape3(N, K, P), -1, 1);
            rw_graph *g = rw_graph_new();
            rw_node *c = rw_batched_matmul(g, rw_const(g, a), rw_const(g, b), ta, tb);
            cr_assert(c && rw_shape_equal(c->value.shape, rw_shape3(N, M, P)), "%s", rw_last_error());
            for (int i = 0; i < N; i++)
                for (int r = 0; r < M; r++)
                    for (int q = 0; q < P; q++) {
                        double s = 0;
                        for (int k = 0; k < K; k++)
                            s += entry(a, i, r, k, ta) * entry(b, i, k, q, tb);
                        rwt_assert_close(c->value.data[(i * M + r) * P + q], s, RWT_EPS * 10, "ta %d tb %d", ta, tb);
                    }
            rw_graph_free(g);
            rw_tensor_free(a);
            rw_tensor_free(b);
        }
}

Test(batched_matmul, mismatch_names_the_op_and_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape3(2, 3, 4)), *b = rw_tensor_new(RW_REAL, rw_shape3(3, 4, 5));
    rw_tensor *c = rw_tensor_new(RW_REAL, rw_shape3(2, 5, 4)), *m = rw_tensor_new(RW_REAL, rw_shape2(4, 5));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_batched_matmul(g, rw_const(g, a), rw_const(g, b), false, false));
    ERR_HAS("op 'batched_matmul'");
    ERR_HAS("[2, 3, 4] and [3, 4, 5]");
    ERR_HAS("batch sizes differ (2 vs 3)");
    cr_assert_null(rw_batched_matmul(g, rw_const(g, a), rw_const(g, c), false, false));
    ERR_HAS("inner dimensions differ (4 vs 5)");
    cr_assert_not_null(rw_batched_matmul(g, rw_const(g, a), rw_const(g, c), false, true), "%s", rw_last_error());
    cr_assert_null(rw_batched_matmul(g, rw_const(g, a), rw_const(g, m), false, false));
    ERR_HAS("must be 3-D");
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
    rw_tensor_free(c);
    rw_tensor_free(m);
}

/* ---- memory: a warm recurrent step allocates nothing ---- */

static void rnn_step(rw_graph *g, rw_tensor *x, rw_tensor *ids, rw_tensor *table)
{
    rw_node *steps[3], *gates[4], *hs[3];
    rw_node *emb = rw_gather(g, rw_var(g, table), rw_const(g, ids));         /* [T, B, E] */
    cr_assert_eq(rw_unstack(g, rw_add(g, emb, rw_var(g, x)), steps), RW_OK, "%s", rw_last_error());
    for (int t = 0; t < 3; t++) {
        cr_assert_eq(rw_split(g, steps[t], -1, 4, gates), RW_OK, "%s", rw_last_error());
        rw_node *pair[2] = { rw_mul(g, gates[0], gates[1]), rw_add(g, gates[2], gates[3]) };
        hs[t] = rw_concat(g, pair, 2, -1);
    }
    rw_node *y = rw_swap_axes(g, rw_stack(g, hs, 3), 0, 1);
    cr_assert_eq(rw_backward(g, rw_sum(g, rw_reshape(g, y, rw_shape1((int)y->value.size)))), RW_OK, "%s",
                 rw_last_error());
}

Test(memory, warm_step_of_shape_ops_makes_no_system_allocation)
{
    rw_rng rng = rw_rng_seed(12);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(3, 2, 8), -1, 1), *table = rwt_uniform(&rng, rw_shape2(5, 8), -1, 1);
    rw_tensor *ids = rwt_ints(&rng, rw_shape2(3, 2), 0, 5);
    rw_graph *g = rw_graph_new();
    rnn_step(g, x, ids, table);
    rw_graph_reset(g);
    rnn_step(g, x, ids, table);
    rw_graph_reset(g);
    size_t before = rw_system_alloc_count();
    rnn_step(g, x, ids, table);
    cr_assert_eq(rw_system_alloc_count(), before, "a warm step allocated");
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(table);
    rw_tensor_free(ids);
}
