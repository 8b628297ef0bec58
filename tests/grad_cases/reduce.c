/* Gradient cases: reductions. */
#include "rw_test.h"

static void one(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -2, 2);
    d->n = 1;
}
static rw_node *b_sum(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sum(g, in[0]); }
static rw_node *b_mean(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mean(g, in[0]); }

RWT_GRAD_CASES(reduce,
    { "sum", "all elements", one, b_sum, 0 },
    { "mean", "all elements", one, b_mean, 0 })
