/* The argmax op: values against plain C, shapes, ties, and that it is a
 * registered op without a gradient that leaves its input's gradient alone. */
#include <string.h>
#include "rw_test.h"

Test(argmax, rows_of_a_3d_tensor_match_plain_c)
{
    rw_rng rng = rw_rng_seed(4);
    rw_tensor *x = rwt_uniform(&rng, rw_shape3(3, 2, 5), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_argmax(g, rw_const(g, x));
    cr_assert_not_null(y, "%s", rw_last_error());
    cr_assert_eq(y->value.dtype, RW_INT32);
    cr_assert(rw_shape_equal(y->value.shape, rw_shape2(3, 2)));
    for (int r = 0; r < 6; r++) {
        int best = 0;
        for (int c = 1; c < 5; c++)
            if (x->data[r * 5 + c] > x->data[r * 5 + best])
                best = c;
        cr_assert_eq(y->value.idata[r], best, "row %d", r);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(argmax, vector_gives_scalar_and_first_tie_wins)
{
    rw_tensor *x = rw_tensor_from(rw_shape1(4), (const rw_real[]){ 1, 3, 3, -2 });
    rw_graph *g = rw_graph_new();
    rw_node *y = rw_argmax(g, rw_const(g, x));
    cr_assert_not_null(y, "%s", rw_last_error());
    cr_assert_eq(y->value.shape.ndim, 0);
    cr_assert_eq(y->value.idata[0], 1);
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(argmax, is_registered_without_gradient)
{
    const rw_op_def *d = rw_op_find("argmax");
    cr_assert_not_null(d);
    cr_assert_null(d->backward, "argmax is not differentiable");
    /* x feeds argmax and a sum: the sum's gradient is all x receives */
    rw_rng rng = rw_rng_seed(2);
    rw_tensor *x = rwt_uniform(&rng, rw_shape2(2, 3), -1, 1);
    rw_graph *g = rw_graph_new();
    rw_node *v = rw_var(g, x);
    rw_node *idx = rw_argmax(g, v);
    cr_assert_not_null(idx, "%s", rw_last_error());
    cr_assert_not(idx->needs_grad);
    cr_assert_neq(rw_backward(g, rw_sum(g, idx)), RW_OK, "a loss cannot be built on int32 indices");
    rw_graph_reset(g);
    v = rw_var(g, x);
    (void)rw_argmax(g, v);
    cr_assert_eq(rw_backward(g, rw_sum(g, v)), RW_OK, "%s", rw_last_error());
    for (int i = 0; i < 6; i++)
        cr_assert_eq(rw_node_grad(v)[i], 1);
    rw_graph_free(g);
    rw_tensor_free(x);
}

Test(argmax, rejects_int_input_and_empty_axis)
{
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape1(3));
    rw_graph *g = rw_graph_new();
    cr_assert_null(rw_argmax(g, rw_const(g, ids)));
    cr_assert(strstr(rw_last_error(), "op 'argmax'"), "%s", rw_last_error());
    rw_graph_free(g);
    rw_tensor_free(ids);
}
