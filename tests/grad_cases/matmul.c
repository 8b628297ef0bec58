/* Gradient cases: matmul with every transpose combination and leading dims. */
#include "rw_test.h"

static void plain(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(4, 5), -1, 1);
    d->n = 2;
}
static void ta(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 3), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(4, 5), -1, 1);
    d->n = 2;
}
static void tb(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(5, 4), -1, 1);
    d->n = 2;
}
static void tab(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(4, 3), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(5, 4), -1, 1);
    d->n = 2;
}
static void seq(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(3, 2, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(5, 4), -1, 1);
    d->n = 2;
}

static rw_node *b_nn(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_matmul(g, in[0], in[1]); }
static rw_node *b_tn(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_matmul_ex(g, in[0], in[1], true, false); }
static rw_node *b_nt(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_matmul_ex(g, in[0], in[1], false, true); }
static rw_node *b_tt(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_matmul_ex(g, in[0], in[1], true, true); }
/* A weight used at two "time steps": its gradient is the sum. */
static rw_node *b_shared(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *h = rw_tanh(g, rw_matmul(g, in[0], in[1]));
    return rw_matmul_ex(g, h, in[1], false, true);
}
static void shared(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(4, 4), -1, 1);
    d->n = 2;
}

static void addend(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(5, 4), -1, 1);
    d->in[2] = rwt_uniform(r, rw_shape3(2, 3, 5), -1, 1);
    d->n = 3;
}
static rw_node *b_add(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    return rw_matmul_add(g, in[0], in[1], in[2], false, true);
}
/* A weight in matmul_add at three steps: the gathered weight gradient. */
static rw_node *b_add_steps(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *h = in[0];
    for (int t = 0; t < 3; t++)
        h = rw_tanh(g, rw_matmul_add(g, h, in[1], in[0], false, true));
    return h;
}
static void bias_row(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(5, 4), -1, 1);
    d->in[2] = rwt_uniform(r, rw_shape1(5), -1, 1);
    d->n = 3;
}
static void addend_square(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -1, 1);
    d->in[1] = rwt_uniform(r, rw_shape2(4, 4), -1, 1);
    d->n = 2;
}

RWT_GRAD_CASES(matmul,
    { "matmul_add", "a @ b^T + c with leading dims", addend, b_add, 0 },
    { "matmul_add", "recurrence over 3 steps", addend_square, b_add_steps, 0 },
    { "matmul_add", "bias row", bias_row, b_add, 0 },
    { "matmul", "a @ b", plain, b_nn, 0 },
    { "matmul", "a^T @ b", ta, b_tn, 0 },
    { "matmul", "a @ b^T", tb, b_nt, 0 },
    { "matmul", "a^T @ b^T", tab, b_tt, 0 },
    { "matmul", "[T, B, X] @ b^T", seq, b_nt, 0 },
    { "matmul", "weight used twice", shared, b_shared, 0 })
