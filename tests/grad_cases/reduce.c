/* Gradient cases: reductions over all elements, along an axis (positive
 * and negative), the max with tie-free inputs, and the l2 norm. */
#include "rw_test.h"

static void one(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -2, 2);
    d->n = 1;
}

/* Distinct values 0.1 apart in shuffled order: no ties, and the finite
 * difference step never changes which element is largest. */
static rw_tensor *distinct(rw_rng *r, rw_shape shape)
{
    rw_tensor *t = rw_tensor_new(RW_REAL, shape);
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = (rw_real)(0.1 * (double)i - 0.05 * (double)t->size);
    for (size_t i = t->size - 1; i > 0; i--) {
        size_t j = rw_rng_below(r, (uint32_t)(i + 1));
        rw_real tmp = t->data[i];
        t->data[i] = t->data[j];
        t->data[j] = tmp;
    }
    return t;
}
static void tie_free(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = distinct(r, rw_shape3(2, 3, 4));
    d->n = 1;
}
static void vector(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape1(5), -2, 2);
    d->n = 1;
}
/* Row 2 is all zeros: its norm's gradient is 0 by convention (the finite
 * difference there is a kink, which the checker skips). */
static void zero_row(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(6, 4), -2, 2);
    for (int j = 0; j < 4; j++)
        d->in[0]->data[2 * 4 + j] = 0;
    d->n = 1;
}

#define BUILDER(fname, expr)                                                        \
    static rw_node *fname(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) \
    {                                                                              \
        (void)d;                                                                   \
        return expr;                                                               \
    }

BUILDER(b_sum, rw_sum(g, in[0]))
BUILDER(b_mean, rw_mean(g, in[0]))
BUILDER(b_max, rw_max(g, in[0]))
BUILDER(b_sum_axis0, rw_sum_axis(g, in[0], 0))
BUILDER(b_sum_axis1, rw_sum_axis(g, in[0], 1))
BUILDER(b_sum_axis_last, rw_sum_axis(g, in[0], -1))
BUILDER(b_mean_axis2, rw_mean_axis(g, in[0], 2))
BUILDER(b_mean_axis_m2, rw_mean_axis(g, in[0], -2))
BUILDER(b_mean_axis_m3, rw_mean_axis(g, in[0], -3))
BUILDER(b_max_axis1, rw_max_axis(g, in[0], 1))
BUILDER(b_max_axis_last, rw_max_axis(g, in[0], -1))
BUILDER(b_max_axis_m3, rw_max_axis(g, in[0], -3))
BUILDER(b_l2, rw_l2_norm(g, in[0]))

RWT_GRAD_CASES(reduce,
    { "sum", "all elements", one, b_sum, 0 },
    { "mean", "all elements", one, b_mean, 0 },
    { "max", "tie-free", tie_free, b_max, 0 },
    { "sum_axis", "axis 0", one, b_sum_axis0, 0 },
    { "sum_axis", "axis 1", one, b_sum_axis1, 0 },
    { "sum_axis", "axis -1", one, b_sum_axis_last, 0 },
    { "sum_axis", "1-D to scalar", vector, b_sum_axis0, 0 },
    { "mean_axis", "axis 2", one, b_mean_axis2, 0 },
    { "mean_axis", "axis -2", one, b_mean_axis_m2, 0 },
    { "mean_axis", "axis -3", one, b_mean_axis_m3, 0 },
    { "max_axis", "axis 1, tie-free", tie_free, b_max_axis1, 0 },
    { "max_axis", "axis -1, tie-free", tie_free, b_max_axis_last, 0 },
    { "max_axis", "axis -3, tie-free", tie_free, b_max_axis_m3, 0 },
    { "l2_norm", "3-D", one, b_l2, 0 },
    { "l2_norm", "1-D to scalar", vector, b_l2, 0 },
    { "l2_norm", "a zero row", zero_row, b_l2, 0 })
