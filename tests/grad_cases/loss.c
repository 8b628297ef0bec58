/* Gradient cases: losses. */
#include "rw_test.h"

static void xent(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(6, 5), -3, 3);
    d->in[1] = rwt_ints(r, rw_shape1(6), 0, 5);
    d->n = 2;
}
static void xent_seq_padded(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(3, 2, 4), -3, 3);
    d->in[1] = rwt_ints(r, rw_shape2(3, 2), 0, 4);
    d->in[1]->idata[5] = -1; /* padding */
    d->in[1]->idata[3] = -1;
    d->n = 2;
}
static rw_node *b_xent(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_cross_entropy(g, in[0], in[1]); }

RWT_GRAD_CASES(loss,
    { "cross_entropy", "[N, C]", xent, b_xent, 0 },
    { "cross_entropy", "[T, B, C] with padding", xent_seq_padded, b_xent, 0 })
