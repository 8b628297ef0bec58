/* Gradient cases: batched_matmul with every transpose combination. */
#include "rw_test.h"

/* N = 2, M = 3, K = 4, P = 5; attr[0], attr[1] are the transpose flags. */
static void make(rw_rng *r, rwt_grad_data *d, bool ta, bool tb)
{
    d->in[0] = rwt_uniform(r, ta ? rw_shape3(2, 4, 3) : rw_shape3(2, 3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, tb ? rw_shape3(2, 5, 4) : rw_shape3(2, 4, 5), -1, 1);
    d->n = 2;
    d->attr[0] = ta;
    d->attr[1] = tb;
}
static void nn(rw_rng *r, rwt_grad_data *d) { make(r, d, false, false); }
static void tn(rw_rng *r, rwt_grad_data *d) { make(r, d, true, false); }
static void nt(rw_rng *r, rwt_grad_data *d) { make(r, d, false, true); }
static void tt(rw_rng *r, rwt_grad_data *d) { make(r, d, true, true); }
static rw_node *b_bmm(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    return rw_batched_matmul(g, in[0], in[1], d->attr[0] != 0, d->attr[1] != 0);
}
/* Self-attention scores q q^T: one operand on both sides. */
static void q(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -1, 1);
    d->n = 1;
}
static rw_node *b_qqt(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    return rw_batched_matmul(g, in[0], in[0], false, true);
}

RWT_GRAD_CASES(batched_matmul,
    { "batched_matmul", "a @ b", nn, b_bmm, 0 },
    { "batched_matmul", "a^T @ b", tn, b_bmm, 0 },
    { "batched_matmul", "a @ b^T", nt, b_bmm, 0 },
    { "batched_matmul", "a^T @ b^T", tt, b_bmm, 0 },
    { "batched_matmul", "q @ q^T", q, b_qqt, 0 })
