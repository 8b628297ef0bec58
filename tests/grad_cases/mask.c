/* Gradient cases: where, with full and prefix masks (the mask is a
 * constant in aux[0]: it is not differentiable). */
#include "rw_test.h"

static rw_tensor *mask01(rw_rng *r, rw_shape s)
{
    rw_tensor *m = rw_tensor_new(RW_REAL, s);
    for (size_t i = 0; i < m->size; i++)
        m->data[i] = (rw_real)rw_rng_below(r, 2);
    m->data[0] = 1; /* both choices appear */
    m->data[m->size - 1] = 0;
    return m;
}
static void two(rw_rng *r, rwt_grad_data *d, rw_shape s, rw_shape ms)
{
    d->in[0] = rwt_uniform(r, s, -2, 2);
    d->in[1] = rwt_uniform(r, s, -2, 2);
    d->n = 2;
    d->aux[0] = mask01(r, ms);
}
static void full(rw_rng *r, rwt_grad_data *d) { two(r, d, rw_shape2(3, 4), rw_shape2(3, 4)); }
static void rows(rw_rng *r, rwt_grad_data *d) { two(r, d, rw_shape2(4, 3), rw_shape1(4)); }
static void steps(rw_rng *r, rwt_grad_data *d) { two(r, d, rw_shape3(3, 2, 4), rw_shape2(3, 2)); }

static rw_node *b_where(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_where(g, rw_const(g, d->aux[0]), in[0], in[1]);
}
/* where(m, x, x) is x: both branches' gradients land in one node. */
static rw_node *b_where_same(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_where(g, rw_const(g, d->aux[0]), rw_tanh(g, in[0]), in[0]);
}
/* A padded recurrence: h_t = where(m_t, tanh(h_{t-1} * w + x_t), h_{t-1})
 * over 3 steps of x [T, B, H] = in[1] with w = in[0] [B, H] and mask [T, B]. */
static rw_node *b_padded_rnn(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    rw_node *m[3], *x[3];
    if (rw_unstack(g, rw_const(g, d->aux[0]), m) != RW_OK || rw_unstack(g, in[1], x) != RW_OK)
        return NULL;
    rw_node *h = in[0];
    for (int t = 0; t < 3; t++)
        h = rw_where(g, m[t], rw_tanh(g, rw_add(g, rw_mul(g, h, in[0]), x[t])), h);
    return h;
}
static void rnn(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(2, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape3(3, 2, 4), -1, 1);
    d->n = 2;
    d->aux[0] = mask01(r, rw_shape2(3, 2));
}

RWT_GRAD_CASES(mask,
    { "where", "full mask [3, 4]", full, b_where, 0 },
    { "where", "row mask [4] for [4, 3]", rows, b_where, 0 },
    { "where", "step mask [3, 2] for [3, 2, 4]", steps, b_where, 0 },
    { "where", "same node on both sides", full, b_where_same, 0 },
    { "where", "padded recurrence over 3 steps", rnn, b_padded_rnn, 0 })
