/* Gradient cases: the norm-stabilizer over 2 and 5 states, and the L2
 * penalty (alone and on differences of successive states). */
#include "rw_test.h"

static void states(rw_rng *r, rwt_grad_data *d, int n)
{
    for (int i = 0; i < n; i++)
        d->in[i] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->n = n;
}
static void two(rw_rng *r, rwt_grad_data *d) { states(r, d, 2); }
static void five(rw_rng *r, rwt_grad_data *d) { states(r, d, 5); }
static void seq(rw_rng *r, rwt_grad_data *d) /* [T, B, H] */
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape3(2, 3, 4), -1, 1);
    d->n = 2;
}
static void one(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -2, 2);
    d->n = 1;
}

static void recurrence(rw_rng *r, rwt_grad_data *d) /* h_0 [3, 4] and W [4, 4] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(4, 4), -1, 1);
    d->n = 2;
}

static rw_node *b_stab(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_norm_stabilizer(g, in, d->n, 2.5);
}
/* States h_t = tanh(h_{t-1} W) of a small unrolled net: h_0 and W reach the
 * penalty through every state. */
static rw_node *b_stab_rnn(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *h[5] = { in[0] };
    for (int t = 1; t < 5; t++)
        h[t] = rw_tanh(g, rw_matmul(g, h[t - 1], in[1]));
    return rw_norm_stabilizer(g, h, 5, 1.5);
}
static rw_node *b_l2(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_l2_penalty(g, in[0]); }
static rw_node *b_l2_diff(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_l2_penalty(g, rw_sub(g, in[1], in[0])); }

RWT_GRAD_CASES(regularize,
    { "norm_stabilizer", "n = 2 states [3, 4]", two, b_stab, 0 },
    { "norm_stabilizer", "n = 5 states [3, 4]", five, b_stab, 0 },
    { "norm_stabilizer", "n = 2 states [2, 3, 4]", seq, b_stab, 0 },
    { "norm_stabilizer", "5 states of an unrolled recurrence", recurrence, b_stab_rnn, 0 },
    { "l2_penalty", "all elements of [2, 3, 4]", one, b_l2, 0 },
    { "l2_penalty", "difference of successive states", seq, b_l2_diff, 0 })
