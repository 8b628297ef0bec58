/* Gradient cases: gather_columns (repeated ids and padding). */
#include "rw_test.h"

static void setup(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 5), -1, 1);
    int32_t ids[6] = { 0, 3, 3, -1, 4, 0 };
    d->in[1] = rw_tensor_from_ints(rw_shape2(3, 2), ids);
    d->n = 2;
}
static rw_node *build(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    return rw_gather_columns(g, in[0], in[1]);
}

RWT_GRAD_CASES(gather_columns, { "gather_columns", "repeated ids and padding", setup, build, 0 })
