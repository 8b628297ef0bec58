/* Gradient cases: losses. Masks and real targets that get no gradient are
 * passed as constants (aux), so the checker does not perturb them. */
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

/* Fractional weights, two padding rows (one with target -1). */
static void masked(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(6, 5), -3, 3);
    d->in[1] = rwt_ints(r, rw_shape1(6), 0, 5);
    d->aux[0] = rwt_uniform(r, rw_shape1(6), 0.2, 2);
    d->aux[0]->data[1] = 0;
    d->aux[0]->data[4] = 0;
    d->in[1]->idata[4] = -1;
    d->n = 2;
}
static void masked_seq(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(3, 2, 4), -3, 3);
    d->in[1] = rwt_ints(r, rw_shape2(3, 2), 0, 4);
    d->aux[0] = rw_tensor_new(RW_REAL, rw_shape2(3, 2));
    rw_tensor_fill(d->aux[0], 1);
    d->aux[0]->data[5] = 0;
    d->n = 2;
}
static void masked_all_zero(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -3, 3);
    d->in[1] = rwt_ints(r, rw_shape1(3), 0, 4);
    d->aux[0] = rw_tensor_new(RW_REAL, rw_shape1(3));
    d->n = 2;
}
static rw_node *b_masked(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_cross_entropy_masked(g, in[0], in[1], rw_const(g, d->aux[0]));
}

/* Multi-label targets: fractional, and exactly 0 and 1. */
static void bce(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 3), -4, 4);
    d->aux[0] = rwt_uniform(r, rw_shape2(4, 3), 0, 1);
    d->aux[0]->data[0] = 0;
    d->aux[0]->data[5] = 1;
    d->n = 1;
}
static void bce_seq(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -4, 4);
    d->aux[0] = rw_tensor_new(RW_REAL, rw_shape3(2, 3, 4));
    for (size_t i = 0; i < d->aux[0]->size; i++)
        d->aux[0]->data[i] = (rw_real)rw_rng_below(r, 2);
    d->n = 1;
}
static rw_node *b_bce(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_bce_with_logits(g, in[0], rw_const(g, d->aux[0]));
}

static void mse(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->n = 2;
}
static void mse_scalar(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape_scalar(), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape_scalar(), -2, 2);
    d->n = 2;
}
static rw_node *b_mse(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mse(g, in[0], in[1]); }
/* One node reaches both inputs: its gradient is the sum of the two paths. */
static rw_node *b_mse_self(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mse(g, in[0], rw_tanh(g, in[0])); }

RWT_GRAD_CASES(loss,
    { "cross_entropy", "[N, C]", xent, b_xent, 0 },
    { "cross_entropy", "[T, B, C] with padding", xent_seq_padded, b_xent, 0 },
    { "cross_entropy_masked", "[N, C], fractional weights and padding", masked, b_masked, 0 },
    { "cross_entropy_masked", "[T, B, C], 0/1 mask", masked_seq, b_masked, 0 },
    { "cross_entropy_masked", "all-zero mask", masked_all_zero, b_masked, 0 },
    { "bce_with_logits", "[N, K]", bce, b_bce, 0 },
    { "bce_with_logits", "[T, B, K], 0/1 targets", bce_seq, b_bce, 0 },
    { "mse", "[N, D]", mse, b_mse, 0 },
    { "mse", "scalars", mse_scalar, b_mse, 0 },
    { "mse", "one node on both sides", mse, b_mse_self, 0 })
