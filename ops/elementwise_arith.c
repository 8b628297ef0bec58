/* Elementwise ops: binary arithmetic with leading-dimension broadcasting,
 * and the activations used by recurrent cells. */
#include "op_util.h"
#include "fastmath.h"
#include "rewind/ops_elementwise.h"

/* ---- binary ops ------------------------------------------------------- */

#define BINARY_FORWARD(fname, expr)                                                   \
    static void fname(rw_node *n)                                                     \
    {                                                                                 \
        rw_bcast s = rw_bcast_of(n);                                                        \
        for (size_t r = 0; r < s.reps; r++) {                                         \
            const rw_real *a = n->in[0]->value.data + (s.a_full ? r * s.block : 0);   \
            const rw_real *b = n->in[1]->value.data + (s.b_full ? r * s.block : 0);   \
            rw_real *y = n->value.data + r * s.block;                                 \
            for (size_t j = 0; j < s.block; j++)                                      \
                y[j] = expr;                                                          \
        }                                                                             \
    }

BINARY_FORWARD(add_forward, a[j] + b[j])
BINARY_FORWARD(sub_forward, a[j] - b[j])
BINARY_FORWARD(mul_forward, a[j] * b[j])

/* d(operand) += sign * dy, summed over repeats when the operand is broadcast. */
static void accumulate(rw_real *grad, bool full, const rw_real *dy, rw_bcast s, rw_real sign)
{
    if (!grad)
        return;
    for (size_t r = 0; r < s.reps; r++) {
        rw_real *g = grad + (full ? r * s.block : 0);
        const rw_real *d = dy + r * s.block;
        for (size_t j = 0; j < s.block; j++)
            g[j] += sign * d[j];
    }
}

static void add_backward(rw_node *n)
{
    rw_bcast s = rw_bcast_of(n);
    accumulate(n->in[0]->grad, s.a_full, n->grad, s, 1);
    accumulate(n->in[1]->grad, s.b_full, n->grad, s, 1);
}

static void sub_backward(rw_node *n)
{
    rw_bcast s = rw_bcast_of(n);
    accumulate(n->in[0]->grad, s.a_full, n->grad, s, 1);
    accumulate(n->in[1]->grad, s.b_full, n->grad, s, -1);
}

static void mul_backward(rw_node *n)
{
    rw_bcast s = rw_bcast_of(n);
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    for (size_t r = 0; r < s.reps; r++) {
        size_t ao = s.a_full ? r * s.block : 0, bo = s.b_full ? r * s.block : 0;
        const rw_real *a = n->in[0]->value.data + ao, *b = n->in[1]->value.data + bo;
        const rw_real *dy = n->grad + r * s.block;
        if (ga)
            for (size_t j = 0; j < s.block; j++)
                ga[ao + j] += dy[j] * b[j];
        if (gb)
            for (size_t j = 0; j < s.block; j++)
                gb[bo + j] += dy[j] * a[j];
    }
}

/* ---- activations ------------------------------------------------------ */

static void tanh_forward(rw_node *n)
{
    const rw_real *restrict x = n->in[0]->value.data;
    rw_real *restrict y = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        y[i] = rw_fast_tanh(x[i]);
}

static void tanh_backward(rw_node *n)
{
    const rw_real *y = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->in[0]->grad[i] += n->grad[i] * (1 - y[i] * y[i]);
}

static void sigmoid_forward(rw_node *n)
{
    const rw_real *restrict x = n->in[0]->value.data;
    rw_real *restrict y = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        y[i] = rw_fast_sigmoid(x[i]);
}

static void sigmoid_backward(rw_node *n)
{
    const rw_real *y = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->in[0]->grad[i] += n->grad[i] * y[i] * (1 - y[i]);
}

static void relu_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] > 0 ? x[i] : 0;
}

static void relu_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->in[0]->grad[i] += x[i] > 0 ? n->grad[i] : 0;
}

/* ---- records and constructors ----------------------------------------- */

static const rw_op_def add_def = {
    .fills_output = true,
    .name = "add", .arity = 2, .shape = rw_op_binary_shape, .forward = add_forward,
    .backward = add_backward, .doc = "a + b, broadcasting the smaller along leading dimensions" };
static const rw_op_def sub_def = {
    .fills_output = true,
    .name = "sub", .arity = 2, .shape = rw_op_binary_shape, .forward = sub_forward,
    .backward = sub_backward, .doc = "a - b, broadcasting the smaller along leading dimensions" };
static const rw_op_def mul_def = {
    .fills_output = true,
    .name = "mul", .arity = 2, .shape = rw_op_binary_shape, .forward = mul_forward,
    .backward = mul_backward, .doc = "a * b elementwise, broadcasting the smaller along leading dimensions" };
static const rw_op_def tanh_def = {
    .fills_output = true,
    .name = "tanh", .arity = 1, .shape = rw_shape_same_as_input, .forward = tanh_forward,
    .backward = tanh_backward, .doc = "tanh(x)" };
static const rw_op_def sigmoid_def = {
    .fills_output = true,
    .name = "sigmoid", .arity = 1, .shape = rw_shape_same_as_input, .forward = sigmoid_forward,
    .backward = sigmoid_backward, .doc = "1 / (1 + RW_EXP(-x))" };
static const rw_op_def relu_def = {
    .fills_output = true,
    .name = "relu", .arity = 1, .shape = rw_shape_same_as_input, .forward = relu_forward,
    .backward = relu_backward, .doc = "max(x, 0)" };

static rw_node *binary(rw_graph *g, const rw_op_def *def, rw_node *a, rw_node *b)
{
    rw_node *in[2] = { a, b };
    return rw_apply(g, def, in, 2, NULL);
}

rw_node *rw_add(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &add_def, a, b); }
rw_node *rw_sub(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &sub_def, a, b); }
rw_node *rw_mul(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &mul_def, a, b); }
rw_node *rw_tanh(rw_graph *g, rw_node *x) { return rw_apply(g, &tanh_def, &x, 1, NULL); }
rw_node *rw_sigmoid(rw_graph *g, rw_node *x) { return rw_apply(g, &sigmoid_def, &x, 1, NULL); }
rw_node *rw_relu(rw_graph *g, rw_node *x) { return rw_apply(g, &relu_def, &x, 1, NULL); }

static const rw_op_def *const defs[] = { &add_def, &sub_def, &mul_def, &tanh_def, &sigmoid_def, &relu_def };
const rw_op_family rw_family_elementwise = { "elementwise", defs, sizeof defs / sizeof defs[0] };
