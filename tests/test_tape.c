/* The tape: gradient accumulation, call order, errors, and memory. */
#include <string.h>
#include "rw_test.h"

/* y = sum(a*x + tanh(x)): x is consumed by two ops; its gradient is the sum. */
Test(tape, node_with_several_consumers_gets_the_sum)
{
    rw_real xv[3] = { 0.5, -1.0, 2.0 }, av[3] = { 3, 4, 5 };
    rw_tensor *x = rw_tensor_from(rw_shape1(3), xv), *a = rw_tensor_from(rw_shape1(3), av);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x);
    rw_node *y = rw_sum(g, rw_add(g, rw_mul(g, rw_const(g, a), xn), rw_tanh(g, xn)));
    cr_assert_eq(rw_backward(g, y), RW_OK, "%s", rw_last_error());
    for (int i = 0; i < 3; i++) {
        double t = tanh((double)xv[i]);
        rwt_assert_close(rw_node_grad(xn)[i], av[i] + (1 - t * t), RWT_EPS, "element %d", i);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(a);
}

/* h_t = w * h_{t-1} + x_t over 4 steps, loss = h_4; dL/dw summed over steps. */
Test(tape, parameter_used_at_several_time_steps_gets_the_sum)
{
    rw_params *P = rw_params_new();
    rw_param *w = rw_params_add(P, "w", rw_shape1(1));
    w->value->data[0] = 0.5;
    rw_real xs[4] = { 1, 2, 3, 4 };
    rw_graph *g = rw_graph_new();
    rw_node *h = rw_scalar_const(g, 0);
    for (int t = 0; t < 4; t++) {
        rw_node *x = rw_leaf_new(g, RW_REAL, rw_shape1(1), false);
        x->value.data[0] = xs[t];
        h = rw_add(g, rw_mul(g, rw_param_node(g, w), h), x); /* a new leaf per step, one parameter */
    }
    rw_params_zero_grad(P);
    cr_assert_eq(rw_backward(g, rw_sum(g, h)), RW_OK, "%s", rw_last_error());
    /* h4 = x4 + w x3 + w^2 x2 + w^3 x1, dh4/dw = x3 + 2 w x2 + 3 w^2 x1 */
    double expect = 3 + 2 * 0.5 * 2 + 3 * 0.25 * 1;
    rwt_assert_close(w->grad->data[0], expect, RWT_EPS, "got %g", (double)w->grad->data[0]);
    rw_graph_free(g);
    rw_params_free(P);
}

Test(tape, gradient_is_not_counted_twice)
{
    rw_real v = 2;
    rw_tensor *x = rw_tensor_from(rw_shape1(1), &v);
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_sum(g, rw_mul(g, rw_var(g, x), rw_var(g, x)));
    cr_assert_eq(rw_backward(g, y), RW_OK);
    cr_assert_eq(rw_backward(g, y), RW_ERR_STATE);
    cr_assert(strstr(rw_last_error(), "already run") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(tape, nodes_off_the_loss_path_get_no_gradient)
{
    rw_real v[2] = { 1, 2 };
    rw_tensor *x = rw_tensor_from(rw_shape1(2), v), *z = rw_tensor_from(rw_shape1(2), v);
    rw_graph *g = rw_graph_new();
    rw_node *xn = rw_var(g, x), *zn = rw_var(g, z);
    rw_node *side = rw_tanh(g, zn);
    rw_node *loss = rw_sum(g, rw_tanh(g, xn));
    (void)side;
    cr_assert_eq(rw_backward(g, loss), RW_OK);
    cr_assert_not_null(rw_node_grad(xn));
    cr_assert_null(rw_node_grad(zn));
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(z);
}

Test(tape, loss_must_be_a_scalar)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape1(3));
    rw_graph *g = rw_graph_new();
    cr_assert_eq(rw_backward(g, rw_tanh(g, rw_var(g, x))), RW_ERR_SHAPE);
    cr_assert(strstr(rw_last_error(), "[3]") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(tape, add_shape_mismatch_names_op_and_both_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(3, 4)), *b = rw_tensor_new(RW_REAL, rw_shape2(3, 5));
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_add(g, rw_const(g, a), rw_const(g, b));
    cr_assert_null(y);
    cr_assert_eq(rw_last_status(), RW_ERR_SHAPE);
    const char *m = rw_last_error();
    cr_assert(strstr(m, "'add'") && strstr(m, "[3, 4]") && strstr(m, "[3, 5]"), "message: %s", m);
    /* A failed op leaves nothing on the tape, and the next op given NULL keeps the message. */
    int before = rw_graph_node_count(g);
    cr_assert_null(rw_tanh(g, y));
    cr_assert_eq(rw_graph_node_count(g), before);
    cr_assert(strstr(rw_last_error(), "'add'") != NULL, "message overwritten: %s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(tape, matmul_shape_mismatch_names_op_and_both_shapes)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(4, 5));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_matmul(g, rw_const(g, a), rw_const(g, b)));
    const char *m = rw_last_error();
    cr_assert(strstr(m, "'matmul'") && strstr(m, "[2, 3]") && strstr(m, "[4, 5]") && strstr(m, "3 vs 4"),
              "message: %s", m);
    cr_assert_null(rw_matmul_ex(g, rw_const(g, a), rw_const(g, b), false, true));
    m = rw_last_error();
    cr_assert(strstr(m, "transposed") != NULL, "message: %s", m);
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

Test(tape, int_input_where_real_expected_is_an_error)
{
    rw_tensor *a = rw_tensor_new(RW_INT32, rw_shape1(3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_tanh(g, rw_const(g, a)));
    cr_assert(strstr(rw_last_error(), "'tanh'") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_var(g, a));
    rw_graph_free(g);
    rw_tensor_free(a);
}

Test(tape, node_from_another_graph_is_rejected)
{
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape1(3));
    rw_graph *g1 = rw_graph_new(), *g2 = rw_graph_new();
    rw_node *x = rw_const(g1, a);
    cr_assert_null(rw_tanh(g2, x));
    cr_assert(strstr(rw_last_error(), "another graph") != NULL, "%s", rw_last_error());
    rw_graph_free(g1);
    rw_graph_free(g2);
    rw_tensor_free(a);
}

/* One training step of a small recurrent net. */
static rw_real step(rw_graph *g, rw_param *W, rw_param *U, rw_tensor *xs, rw_tensor *targets)
{
    rw_node *h = rw_leaf_new(g, RW_REAL, rw_shape2(4, 8), false);
    for (int t = 0; t < 6; t++) {
        rw_tensor xt = *xs;
        xt.shape = rw_shape2(4, 3);
        xt.size = 12;
        xt.data = xs->data + t * 12;
        xt.owns = false;
        h = rw_tanh(g, rw_add(g, rw_matmul(g, rw_const(g, &xt), rw_param_node(g, W)),
                              rw_matmul(g, h, rw_param_node(g, U))));
    }
    rw_node *loss = rw_cross_entropy(g, h, rw_const(g, targets));
    cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
    rw_real l = rw_scalar(loss);
    rw_graph_reset(g);
    return l;
}

Test(tape, warm_steps_allocate_nothing)
{
    rw_rng rng = rw_rng_seed(3);
    rw_params *P = rw_params_new();
    rw_param *W = rw_params_add(P, "W", rw_shape2(3, 8)), *U = rw_params_add(P, "U", rw_shape2(8, 8));
    rw_rng_fill_uniform(&rng, W->value, -0.5, 0.5);
    rw_rng_fill_uniform(&rng, U->value, -0.5, 0.5);
    rw_tensor *xs = rwt_uniform(&rng, rw_shape3(6, 4, 3), -1, 1), *targets = rwt_ints(&rng, rw_shape1(4), 0, 8);
    rw_graph *g = rw_graph_new();
    /* Grow the arena past its first chunk, so the reset has to merge. */
    rw_arena_alloc(rw_graph_arena(g), 3 << 20);
    step(g, W, U, xs, targets);
    rw_real first = step(g, W, U, xs, targets);
    size_t allocs = rw_system_alloc_count();
    rw_arena_stats s0 = rw_arena_get_stats(rw_graph_arena(g));
    for (int i = 0; i < 5; i++)
        cr_assert_eq(step(g, W, U, xs, targets), first, "a step is deterministic");
    cr_assert_eq(rw_system_alloc_count(), allocs, "a warm step called malloc %zu times",
                 rw_system_alloc_count() - allocs);
    cr_assert_eq(rw_arena_get_stats(rw_graph_arena(g)).system_allocs, s0.system_allocs);
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(targets);
    rw_params_free(P);
}

Test(tape, graph_reset_forgets_nodes)
{
    rw_graph *g = rw_graph_new();
    rw_scalar_const(g, 1);
    rw_scalar_const(g, 2);
    cr_assert_eq(rw_graph_node_count(g), 2);
    rw_graph_reset(g);
    cr_assert_eq(rw_graph_node_count(g), 0);
    cr_assert_eq(rw_arena_get_stats(rw_graph_arena(g)).used, 0);
    rw_graph_free(g);
}
