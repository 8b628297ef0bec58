/* Gradient cases: reshape, transpose, swap_axes, concat, slice (split),
 * stack and index0 (unstack), over first, middle, last and negative axes. */
#include "rw_test.h"

static void x234(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape3(2, 3, 4), -2, 2);
    d->n = 1;
}
static void x35(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 5), -2, 2);
    d->n = 1;
}
static void x2323(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape4(2, 3, 2, 3), -2, 2);
    d->n = 1;
}

/* ---- reshape / transpose / swap_axes ---- */
static rw_node *b_reshape(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_reshape(g, in[0], rw_shape2(6, 4)); }
static rw_node *b_reshape4(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_reshape(g, in[0], rw_shape4(2, 2, 3, 2)); }
static rw_node *b_transpose(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_transpose(g, in[0]); }
/* swap_axes with the axes in attr[0], attr[1] */
static rw_node *b_swap(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { return rw_swap_axes(g, in[0], (int)d->attr[0], (int)d->attr[1]); }
static void swap01(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = 0; d->attr[1] = 1; }
static void swap02(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = 0; d->attr[1] = 2; }
static void swap_neg(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = -1; d->attr[1] = 1; }
static void swap4d(rw_rng *r, rwt_grad_data *d) { x2323(r, d); d->attr[0] = 1; d->attr[1] = -1; }

/* ---- concat of 3 inputs along attr[0]; shapes differ along that axis ---- */
static void concat3(rw_rng *r, rwt_grad_data *d, int axis)
{
    for (int i = 0; i < 3; i++) {
        rw_shape s = rw_shape3(2, 3, 2);
        s.dim[axis < 0 ? axis + 3 : axis] = i + 1;
        d->in[i] = rwt_uniform(r, s, -2, 2);
    }
    d->n = 3;
    d->attr[0] = axis;
}
static void concat_first(rw_rng *r, rwt_grad_data *d) { concat3(r, d, 0); }
static void concat_middle(rw_rng *r, rwt_grad_data *d) { concat3(r, d, 1); }
static void concat_last(rw_rng *r, rwt_grad_data *d) { concat3(r, d, -1); }
static rw_node *b_concat(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { return rw_concat(g, in, d->n, (int)d->attr[0]); }
/* An input used twice in one concatenation gets both parts. */
static rw_node *b_concat_twice(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *xs[3] = { in[0], in[0], in[0] };
    return rw_concat(g, xs, 3, 1);
}

/* ---- slice along attr[0] from attr[1], length attr[2] ---- */
static rw_node *b_slice(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { return rw_slice(g, in[0], (int)d->attr[0], (int)d->attr[1], (int)d->attr[2]); }
static void slice_first(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = 0; d->attr[1] = 1; d->attr[2] = 1; }
static void slice_middle(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = 1; d->attr[1] = 1; d->attr[2] = 2; }
static void slice_last(rw_rng *r, rwt_grad_data *d) { x234(r, d); d->attr[0] = -1; d->attr[1] = 2; d->attr[2] = 2; }
/* The LSTM pattern: fused [B, 4H] pre-activations split into four gates,
 * recombined; every gate slice is used. */
static void gates(rw_rng *r, rwt_grad_data *d)
{
    d->in[0] = rwt_uniform(r, rw_shape2(3, 8), -2, 2);
    d->n = 1;
}
static rw_node *b_split_gates(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *p[4];
    if (rw_split(g, in[0], -1, 4, p) != RW_OK)
        return NULL;
    rw_node *c = rw_add(g, rw_mul(g, rw_sigmoid(g, p[0]), rw_tanh(g, p[2])), rw_mul(g, p[1], p[1]));
    return rw_mul(g, rw_sigmoid(g, p[3]), rw_tanh(g, c));
}

/* ---- stack / index0 ---- */
static void three23(rw_rng *r, rwt_grad_data *d)
{
    for (int i = 0; i < 3; i++)
        d->in[i] = rwt_uniform(r, rw_shape2(2, 3), -2, 2);
    d->n = 3;
}
static rw_node *b_stack(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { return rw_stack(g, in, d->n); }
/* One input stacked twice: its gradient is the sum of both slots. */
static rw_node *b_stack_repeat(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *xs[4] = { in[1], in[0], in[1], in[2] };
    return rw_stack(g, xs, 4);
}
static rw_node *b_index0(rw_graph *g, rw_node *const *in, const rwt_grad_data *d) { (void)d; return rw_index0(g, in[0], 1); }
/* Unstack, then stack in reverse order with one step used twice. */
static rw_node *b_unstack_restack(rw_graph *g, rw_node *const *in, const rwt_grad_data *d)
{
    (void)d;
    rw_node *s[2];
    if (rw_unstack(g, in[0], s) != RW_OK)
        return NULL;
    rw_node *xs[3] = { s[1], s[0], rw_tanh(g, s[1]) };
    return rw_stack(g, xs, 3);
}

RWT_GRAD_CASES(shape,
    { "reshape", "[2, 3, 4] -> [6, 4]", x234, b_reshape, 0 },
    { "reshape", "[2, 3, 4] -> [2, 2, 3, 2]", x234, b_reshape4, 0 },
    { "transpose", "[3, 5]", x35, b_transpose, 0 },
    { "swap_axes", "axes 0, 1 of [2, 3, 4]", swap01, b_swap, 0 },
    { "swap_axes", "axes 0, 2 of [2, 3, 4]", swap02, b_swap, 0 },
    { "swap_axes", "axes -1, 1 of [2, 3, 4]", swap_neg, b_swap, 0 },
    { "swap_axes", "axes 1, -1 of [2, 3, 2, 3]", swap4d, b_swap, 0 },
    { "concat", "3 inputs, first axis", concat_first, b_concat, 0 },
    { "concat", "3 inputs, middle axis", concat_middle, b_concat, 0 },
    { "concat", "3 inputs, axis -1", concat_last, b_concat, 0 },
    { "concat", "one input three times", x234, b_concat_twice, 0 },
    { "slice", "first axis", slice_first, b_slice, 0 },
    { "slice", "middle axis", slice_middle, b_slice, 0 },
    { "slice", "axis -1", slice_last, b_slice, 0 },
    { "slice", "split into 4 LSTM gates", gates, b_split_gates, 0 },
    { "stack", "3 inputs", three23, b_stack, 0 },
    { "stack", "an input stacked twice", three23, b_stack_repeat, 0 },
    { "index0", "x[1] of [2, 3, 4]", x234, b_index0, 0 },
    { "index0", "unstack then restack", x234, b_unstack_restack, 0 })
