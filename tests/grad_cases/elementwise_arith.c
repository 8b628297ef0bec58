/* Gradient cases: elementwise ops (same shapes, and broadcasting both ways). */
#include "rw_test.h"

static void two_same(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->n = 2;
}

static void bias_row(rw_rng *r, rwt_grad_data *d) /* [B, H] with [H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(5, 3), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape1(3), -2, 2);
    d->n = 2;
}

static void small_first(rw_rng *r, rwt_grad_data *d) /* [B, H] with [T, B, H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(2, 3), -2, 2);
    d->in[1] = rwt_uniform(r, rw_shape3(4, 2, 3), -2, 2);
    d->n = 2;
}

static void one(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform_away(r, rw_shape3(2, 3, 4), -3, 3, 0.05);
    d->n = 1;
}

static rw_node *b_add(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_add(g, in[0], in[1]); }
static rw_node *b_sub(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sub(g, in[0], in[1]); }
static rw_node *b_mul(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mul(g, in[0], in[1]); }
static rw_node *b_tanh(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_tanh(g, in[0]); }
static rw_node *b_sigmoid(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sigmoid(g, in[0]); }
static rw_node *b_relu(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_relu(g, in[0]); }
/* The same node used twice: x * x must get 2x. */
static rw_node *b_square(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mul(g, in[0], in[0]); }

RWT_GRAD_CASES(elementwise,
    { "add", "same shapes", two_same, b_add, 0 },
    { "add", "bias row broadcast", bias_row, b_add, 0 },
    { "add", "smaller first operand", small_first, b_add, 0 },
    { "sub", "same shapes", two_same, b_sub, 0 },
    { "sub", "bias row broadcast", bias_row, b_sub, 0 },
    { "sub", "smaller first operand", small_first, b_sub, 0 },
    { "mul", "same shapes", two_same, b_mul, 0 },
    { "mul", "bias row broadcast", bias_row, b_mul, 0 },
    { "mul", "smaller first operand", small_first, b_mul, 0 },
    { "mul", "one node used twice", one, b_square, 0 },
    { "tanh", "3-D", one, b_tanh, 0 },
    { "sigmoid", "3-D", one, b_sigmoid, 0 },
    { "relu", "away from 0", one, b_relu, 0 })
