/* The op registry, user-defined ops, and the gradient checker itself. */
#include <string.h>
#include "rw_test.h"

static void swish_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] / (1 + exp(-x[i]));
}
static void swish_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++) {
        rw_real s = 1 / (1 + exp(-x[i]));
        n->in[0]->grad[i] += n->grad[i] * (s + x[i] * s * (1 - s));
    }
}
/* Wrong on purpose: forgets the x * s * (1 - s) term. */
static void swish_backward_wrong(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->in[0]->grad[i] += n->grad[i] / (1 + exp(-x[i]));
}

static const rw_op_def swish = { .name = "test.swish", .arity = 1, .shape = rw_shape_same_as_input,
                                 .forward = swish_forward, .backward = swish_backward, .doc = "x sigmoid(x)" };
static const rw_op_def swish_wrong = { .name = "test.swish_wrong", .arity = 1, .shape = rw_shape_same_as_input,
                                       .forward = swish_forward, .backward = swish_backward_wrong };

static rw_node *apply_swish(rw_graph *g, rw_node *const *in, void *ctx)
{
    return rw_apply(g, ctx, in, 1, NULL);
}

Test(registry, builtins_are_found_by_name)
{
    const char *names[] = { "add", "sub", "mul", "matmul", "tanh", "sigmoid", "relu", "sum", "mean", "cross_entropy" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_expect_not_null(rw_op_find(names[i]), "%s", names[i]);
    cr_assert_null(rw_op_find("no_such_op"));
    for (int i = 0; i < rw_op_count(); i++)
        cr_expect(rw_op_at(i)->doc && rw_op_at(i)->doc[0], "op '%s' has no doc line", rw_op_at(i)->name);
}

Test(registry, user_op_behaves_like_a_builtin)
{
    cr_assert_eq(rw_op_register(&swish), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rw_op_find("test.swish"), &swish);
    rw_rng rng = rw_rng_seed(5);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(3, 4), -3, 3);
    rw_gradcheck_report rep;
    cr_assert_eq(rw_gradcheck(apply_swish, (void *)&swish, &x, 1, NULL, NULL, &rep), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rep.checked, 12);
    /* By name, as a model file will. */
    rw_graph *g = rw_graph_new();
    rw_node *in = rw_const(g, x);
    rw_node *y = rw_apply_named(g, "test.swish", &in, 1, NULL);
    cr_assert_not_null(y);
    rwt_assert_close(y->value.data[0], x->data[0] / (1 + exp(-x->data[0])), RWT_EPS, "value");
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(registry, duplicate_and_incomplete_records_are_rejected)
{
    static const rw_op_def dup = { .name = "add", .arity = 2, .shape = rw_shape_same_as_input,
                                   .forward = swish_forward };
    cr_assert_eq(rw_op_register(&dup), RW_ERR_ARG);
    cr_assert(strstr(rw_last_error(), "already registered") != NULL, "%s", rw_last_error());
    static const rw_op_def noforward = { .name = "test.noforward", .arity = 1, .shape = rw_shape_same_as_input };
    cr_assert_eq(rw_op_register(&noforward), RW_ERR_ARG);
}

Test(registry, wrong_arity_is_an_error)
{
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape1(2));
    rw_graph *g = rw_graph_new();
    rw_node *in[3] = { rw_const(g, x), rw_const(g, x), rw_const(g, x) };
    cr_assert_null(rw_apply_named(g, "add", in, 3, NULL));
    cr_assert(strstr(rw_last_error(), "takes 2 inputs, got 3") != NULL, "%s", rw_last_error());
    cr_assert_null(rw_apply_named(g, "nonexistent", in, 1, NULL));
    cr_assert(strstr(rw_last_error(), "nonexistent") != NULL, "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(registry, attributes_by_name)
{
    const rw_op_def *mm = rw_op_find("matmul");
    cr_assert_eq(mm->n_attrs, 2);
    char attrs[64];
    cr_assert(mm->attr_size <= sizeof attrs);
    rw_op_default_attrs(mm, attrs);
    cr_assert_eq(rw_op_set_attr(mm, attrs, "transpose_b", 1), RW_OK);
    cr_assert_eq(rw_op_set_attr(mm, attrs, "transpose_c", 1), RW_ERR_ARG);
    rw_tensor *a = rw_tensor_new(RW_REAL, rw_shape2(2, 3)), *b = rw_tensor_new(RW_REAL, rw_shape2(4, 3));
    rw_graph *g = rw_graph_new();
    rw_node *in[2] = { rw_const(g, a), rw_const(g, b) };
    rw_node *y = rw_apply(g, mm, in, 2, attrs);
    cr_assert_not_null(y, "%s", rw_last_error());
    cr_assert(rw_shape_equal(y->value.shape, rw_shape2(2, 4)));
    rw_graph_free(g);
    rw_tensor_free(a);
    rw_tensor_free(b);
}

/* The checker must be able to fail: a wrong backward is caught and located. */
Test(gradcheck, catches_a_wrong_backward)
{
    rw_rng rng = rw_rng_seed(6);
    rw_tensor *x = rwt_uniform(&rng, rw_shape1(5), -2, 2);
    rw_gradcheck_report rep;
    rw_status st = rw_gradcheck(apply_swish, (void *)&swish_wrong, &x, 1, NULL, NULL, &rep);
    cr_assert_eq(st, RW_ERR_NUMERIC);
    cr_assert(strstr(rw_last_error(), "input 0 element") != NULL, "%s", rw_last_error());
    cr_assert_gt(rep.worst_error, 0.01);
    rw_tensor_free(x);
}

static rw_node *param_fn(rw_graph *g, rw_node *const *in, void *ctx)
{
    rw_param *w = rw_params_at(ctx, 0);
    return rw_tanh(g, rw_matmul(g, in[0], rw_param_node(g, w)));
}

Test(gradcheck, checks_parameters_too)
{
    rw_rng rng = rw_rng_seed(7);
    rw_params *P = rw_params_new();
    rw_param *w = rw_params_add(P, "w", rw_shape2(3, 2));
    rw_rng_fill_uniform(&rng, w->value, -1, 1);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(4, 3), -1, 1);
    rw_gradcheck_report rep;
    cr_assert_eq(rw_gradcheck(param_fn, P, &x, 1, P, NULL, &rep), RW_OK, "%s", rw_last_error());
    cr_assert_eq(rep.checked, 12 + 6);
    rw_params_free(P);
    rw_tensor_free(x);
}
