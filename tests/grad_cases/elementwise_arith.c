/* Gradient cases: elementwise arithmetic (add, sub, mul, div with the same
 * shapes and broadcasting both ways; neg, scale, add_scalar). */
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

static void div_same(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 4), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape2(3, 4), -2, 2, 0.5);
    d->n = 2;
}
static void div_row(rw_rng *r, rwt_grad_data *d) /* [B, H] / [H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(5, 3), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape1(3), -2, 2, 0.5);
    d->n = 2;
}
static void div_small_first(rw_rng *r, rwt_grad_data *d) /* [B, H] / [T, B, H] */
{
    d->in[0] = rwt_uniform(r, rw_shape2(2, 3), -2, 2);
    d->in[1] = rwt_uniform_away(r, rw_shape3(4, 2, 3), -2, 2, 0.5);
    d->n = 2;
}
static void signed3d(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform_away(r, rw_shape3(2, 3, 4), -3, 3, 0.1);
    d->n = 1;
}
static rw_node *b_add(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_add(g, in[0], in[1]); }
static rw_node *b_sub(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_sub(g, in[0], in[1]); }
static rw_node *b_mul(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mul(g, in[0], in[1]); }
/* The same node used twice: x * x must get 2x. */
static rw_node *b_square(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_mul(g, in[0], in[0]); }
static rw_node *b_div(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_div(g, in[0], in[1]); }
static rw_node *b_div_self(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{ (void)d; return rw_div(g, in[0], rw_add_scalar(g, rw_abs(g, in[0]), 1)); }
static rw_node *b_neg(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_neg(g, in[0]); }
static rw_node *b_scale(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_scale(g, in[0], -2.5); }
static rw_node *b_add_scalar(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_add_scalar(g, in[0], 3); }

RWT_GRAD_CASES(elementwise_arith,
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
    { "div", "same shapes", div_same, b_div, 0 },
    { "div", "divisor row broadcast", div_row, b_div, 0 },
    { "div", "smaller dividend", div_small_first, b_div, 0 },
    { "div", "one node as dividend and divisor", signed3d, b_div_self, 0 },
    { "neg", "3-D", signed3d, b_neg, 0 },
    { "scale", "factor -2.5", signed3d, b_scale, 0 },
    { "add_scalar", "c = 3", signed3d, b_add_scalar, 0 })
