/* Elementwise functions of one tensor: the activations (tanh, sigmoid,
 * relu, leaky_relu, softplus) and the math functions (exp, log, sqrt, abs,
 * pow, clamp). Domain errors follow C (log of a negative number is NaN);
 * attributes are checked when the op is recorded. Arithmetic (+ - * /,
 * neg, scale, add_scalar) is in elementwise_arith.c.
 *
 * Each op below reads top to bottom: attributes, shape rule, forward,
 * backward (its formula above it), record, constructor. tanh, sigmoid and
 * relu run at every step of every cell, so their loops are written out;
 * the others use the loop drivers of op_util.h. */
#include "op_util.h"
#include "fastmath.h"
#include "rewind/ops_elementwise.h"

static const rw_unary_k no_k = { 0, 0 };

static rw_node *unary(rw_graph *g, const rw_op_def *def, rw_node *x) { return rw_apply(g, def, &x, 1, NULL); }

/* ---- tanh: y = tanh x ----------------------------------------------------- */

static void tanh_forward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    const rw_real *restrict x = n->in[0]->value.data;
    rw_real *restrict y = n->value.data;
    rwi_fast_tanh(x + lo, y + lo, hi - lo);
}
static void tanh_forward(rw_node *n) { rwi_op_pieces(n, n->value.size, RWI_GRAIN_MATH, tanh_forward_piece); }

/* dx += dy * (1 - y^2) */
static void tanh_backward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    const rw_real *restrict y = n->value.data, *restrict dy = n->grad;
    rw_real *restrict dx = n->in[0]->grad;
    for (size_t i = lo; i < hi; i++)
        dx[i] += dy[i] * (1 - y[i] * y[i]);
}
static void tanh_backward(rw_node *n) { rwi_op_pieces(n, n->value.size, RWI_GRAIN_MATH, tanh_backward_piece); }

static const rw_op_def tanh_def = {
    .fills_output = true,
    .name = "tanh", .arity = 1, .shape = rw_shape_same_as_input, .forward = tanh_forward,
    .backward = tanh_backward, .backward_skips_inputs = 1, .doc = "tanh(x)" };

rw_node *rw_tanh(rw_graph *g, rw_node *x) { return unary(g, &tanh_def, x); }

/* ---- sigmoid: y = 1 / (1 + e^-x) ------------------------------------------ */

static void sigmoid_forward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    const rw_real *restrict x = n->in[0]->value.data;
    rw_real *restrict y = n->value.data;
    rwi_fast_sigmoid(x + lo, y + lo, hi - lo);
}
static void sigmoid_forward(rw_node *n) { rwi_op_pieces(n, n->value.size, RWI_GRAIN_MATH, sigmoid_forward_piece); }

/* dx += dy * y * (1 - y) */
static void sigmoid_backward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    const rw_real *restrict y = n->value.data, *restrict dy = n->grad;
    rw_real *restrict dx = n->in[0]->grad;
    for (size_t i = lo; i < hi; i++)
        dx[i] += dy[i] * y[i] * (1 - y[i]);
}
static void sigmoid_backward(rw_node *n) { rwi_op_pieces(n, n->value.size, RWI_GRAIN_MATH, sigmoid_backward_piece); }

static const rw_op_def sigmoid_def = {
    .fills_output = true,
    .name = "sigmoid", .arity = 1, .shape = rw_shape_same_as_input, .forward = sigmoid_forward,
    .backward = sigmoid_backward, .backward_skips_inputs = 1, .doc = "1 / (1 + e^-x), stable for any x" };

rw_node *rw_sigmoid(rw_graph *g, rw_node *x) { return unary(g, &sigmoid_def, x); }

/* ---- relu: y = max(x, 0) -------------------------------------------------- */

static void relu_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->value.data[i] = x[i] > 0 ? x[i] : 0;
}

/* dx += dy where x > 0 */
static void relu_backward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        n->in[0]->grad[i] += x[i] > 0 ? n->grad[i] : 0;
}

static const rw_op_def relu_def = {
    .fills_output = true,
    .name = "relu", .arity = 1, .shape = rw_shape_same_as_input, .forward = relu_forward,
    .backward = relu_backward, .doc = "max(x, 0)" };

rw_node *rw_relu(rw_graph *g, rw_node *x) { return unary(g, &relu_def, x); }

/* ---- leaky_relu: y = x if x > 0, else slope * x --------------------------- */

typedef struct leaky_relu_attrs { double slope; } leaky_relu_attrs;

static const rw_attr_def leaky_relu_attr_defs[] = {
    { "slope", RW_ATTR_REAL, offsetof(leaky_relu_attrs, slope), 0.01, "the slope for x <= 0" } };

static rw_unary_k leaky_relu_k(const rw_node *n)
{
    return (rw_unary_k){ (rw_real)RW_ATTRS(n, leaky_relu_attrs)->slope, 0 };
}

static rw_real leaky_relu_of(rw_real x, rw_unary_k k) { return x > 0 ? x : k.a * x; }
static void leaky_relu_forward(rw_node *n) { rw_unary_forward(n, leaky_relu_of, leaky_relu_k(n)); }

/* dx += dy * (x > 0 ? 1 : slope) */
static rw_real leaky_relu_grad(rw_real x, rw_real y, rw_unary_k k) { (void)y; return x > 0 ? 1 : k.a; }
static void leaky_relu_backward(rw_node *n) { rw_unary_backward(n, leaky_relu_grad, leaky_relu_k(n)); }

static const rw_op_def leaky_relu_def = {
    .name = "leaky_relu", .arity = 1, .attr_size = sizeof(leaky_relu_attrs), .attrs = leaky_relu_attr_defs,
    .n_attrs = 1, .shape = rwi_op_finite_attrs_shape, .forward = leaky_relu_forward,
    .backward = leaky_relu_backward, .doc = "x if x > 0, else slope * x" };

rw_node *rw_leaky_relu(rw_graph *g, rw_node *x, double slope)
{
    leaky_relu_attrs at = { slope };
    return rw_apply(g, &leaky_relu_def, &x, 1, &at);
}

/* ---- softplus: y = log(1 + e^x) -------------------------------------------- */

/* computed as max(x, 0) + log1p(e^-|x|): the exponent is never positive */
static rw_real softplus_of(rw_real x, rw_unary_k k)
{
    (void)k;
    return (x > 0 ? x : 0) + RW_LOG1P(RW_EXP(-RW_FABS(x)));
}
static void softplus_forward(rw_node *n) { rw_unary_forward(n, softplus_of, no_k); }

/* dx += dy * sigmoid(x), the sigmoid computed a chunk at a time */
static void softplus_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad, s[RWI_FASTMATH_CHUNK];
    if (!gx)
        return;
    const rw_real *x = n->in[0]->value.data, *dy = n->grad;
    for (size_t i0 = 0; i0 < n->value.size; i0 += RWI_FASTMATH_CHUNK) {
        size_t len = n->value.size - i0 < RWI_FASTMATH_CHUNK ? n->value.size - i0 : RWI_FASTMATH_CHUNK;
        rwi_fast_sigmoid(x + i0, s, len);
        for (size_t i = 0; i < len; i++)
            gx[i0 + i] += dy[i0 + i] * s[i];
    }
}

static const rw_op_def softplus_def = {
    .name = "softplus", .arity = 1, .shape = rwi_op_unary_shape, .forward = softplus_forward,
    .backward = softplus_backward, .doc = "log(1 + e^x), computed without overflow" };

rw_node *rw_softplus(rw_graph *g, rw_node *x) { return unary(g, &softplus_def, x); }

/* ---- exp: y = e^x ---------------------------------------------------------- */

static void exp_forward(rw_node *n) { rwi_fast_exp(n->in[0]->value.data, 0, 0, n->value.data, n->value.size); }

/* dx += dy * y */
static rw_real exp_grad(rw_real x, rw_real y, rw_unary_k k) { (void)x, (void)k; return y; }
static void exp_backward(rw_node *n) { rw_unary_backward(n, exp_grad, no_k); }

static const rw_op_def exp_def = {
    .name = "exp", .arity = 1, .shape = rwi_op_unary_shape, .forward = exp_forward, .backward = exp_backward,
    .doc = "e^x" };

rw_node *rw_exp(rw_graph *g, rw_node *x) { return unary(g, &exp_def, x); }

/* ---- log: y = ln x ---------------------------------------------------------- */

static rw_real log_of(rw_real x, rw_unary_k k) { (void)k; return RW_LOG(x); }
static void log_forward(rw_node *n) { rw_unary_forward(n, log_of, no_k); }

/* dx += dy / x */
static rw_real log_grad(rw_real x, rw_real y, rw_unary_k k) { (void)y, (void)k; return 1 / x; }
static void log_backward(rw_node *n) { rw_unary_backward(n, log_grad, no_k); }

static const rw_op_def log_def = {
    .name = "log", .arity = 1, .shape = rwi_op_unary_shape, .forward = log_forward, .backward = log_backward,
    .doc = "natural logarithm of x (x > 0)" };

rw_node *rw_log(rw_graph *g, rw_node *x) { return unary(g, &log_def, x); }

/* ---- sqrt: y = x^(1/2) -------------------------------------------------------- */

static rw_real sqrt_of(rw_real x, rw_unary_k k) { (void)k; return RW_SQRT(x); }
static void sqrt_forward(rw_node *n) { rw_unary_forward(n, sqrt_of, no_k); }

/* dx += dy / (2 y) */
static rw_real sqrt_grad(rw_real x, rw_real y, rw_unary_k k) { (void)x, (void)k; return (rw_real)0.5 / y; }
static void sqrt_backward(rw_node *n) { rw_unary_backward(n, sqrt_grad, no_k); }

static const rw_op_def sqrt_def = {
    .name = "sqrt", .arity = 1, .shape = rwi_op_unary_shape, .forward = sqrt_forward, .backward = sqrt_backward,
    .doc = "square root of x (x >= 0)" };

rw_node *rw_sqrt(rw_graph *g, rw_node *x) { return unary(g, &sqrt_def, x); }

/* ---- abs: y = |x| ---------------------------------------------------------------- */

static rw_real abs_of(rw_real x, rw_unary_k k) { (void)k; return RW_FABS(x); }
static void abs_forward(rw_node *n) { rw_unary_forward(n, abs_of, no_k); }

/* dx += dy * sign(x), 0 at 0 */
static rw_real abs_grad(rw_real x, rw_real y, rw_unary_k k) { (void)y, (void)k; return (rw_real)((x > 0) - (x < 0)); }
static void abs_backward(rw_node *n) { rw_unary_backward(n, abs_grad, no_k); }

static const rw_op_def abs_def = {
    .name = "abs", .arity = 1, .shape = rwi_op_unary_shape, .forward = abs_forward, .backward = abs_backward,
    .doc = "|x|; gradient 0 at 0" };

rw_node *rw_abs(rw_graph *g, rw_node *x) { return unary(g, &abs_def, x); }

/* ---- pow: y = x^exponent ---------------------------------------------------------- */

typedef struct pow_attrs { double exponent; } pow_attrs;

static const rw_attr_def pow_attr_defs[] = {
    { "exponent", RW_ATTR_REAL, offsetof(pow_attrs, exponent), 1, "the power p in x^p" } };

static rw_unary_k pow_k(const rw_node *n) { return (rw_unary_k){ (rw_real)RW_ATTRS(n, pow_attrs)->exponent, 0 }; }

static rw_real pow_of(rw_real x, rw_unary_k k) { return RW_POW(x, k.a); }
static void pow_forward(rw_node *n) { rw_unary_forward(n, pow_of, pow_k(n)); }

/* dx += dy * p x^(p-1); for p = 0 the gradient is 0 everywhere (also at
 * x = 0, where x^(p-1) is inf) */
static rw_real pow_grad(rw_real x, rw_real y, rw_unary_k k)
{
    (void)y;
    return k.a == 0 ? 0 : k.a * RW_POW(x, k.a - 1);
}
static void pow_backward(rw_node *n) { rw_unary_backward(n, pow_grad, pow_k(n)); }

static const rw_op_def pow_def = {
    .name = "pow", .arity = 1, .attr_size = sizeof(pow_attrs), .attrs = pow_attr_defs, .n_attrs = 1,
    .shape = rwi_op_finite_attrs_shape, .forward = pow_forward, .backward = pow_backward,
    .doc = "x^exponent" };

rw_node *rw_pow(rw_graph *g, rw_node *x, double exponent)
{
    pow_attrs at = { exponent };
    return rw_apply(g, &pow_def, &x, 1, &at);
}

/* ---- clamp: y = min(max(x, lo), hi) ------------------------------------------------ */

typedef struct clamp_attrs { double lo, hi; } clamp_attrs;

static const rw_attr_def clamp_attr_defs[] = {
    { "lo", RW_ATTR_REAL, offsetof(clamp_attrs, lo), -1, "the lower bound" },
    { "hi", RW_ATTR_REAL, offsetof(clamp_attrs, hi), 1, "the upper bound (>= lo)" } };

/* Infinite bounds are allowed; lo > hi and NaN bounds are not. */
static rw_status clamp_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const clamp_attrs *at = RW_ATTRS(n, clamp_attrs);
    if (rwi_op_unary_shape(n, out, dt))
        return RW_ERR_SHAPE;
    if (!(at->lo <= at->hi)) /* also rejects NaN bounds */
        return rwi_op_shape_error(n, "lo (%g) must not exceed hi (%g)", at->lo, at->hi);
    return RW_OK;
}

static rw_unary_k clamp_k(const rw_node *n)
{
    return (rw_unary_k){ (rw_real)RW_ATTRS(n, clamp_attrs)->lo, (rw_real)RW_ATTRS(n, clamp_attrs)->hi };
}

static rw_real clamp_of(rw_real x, rw_unary_k k) { return x < k.a ? k.a : (x > k.b ? k.b : x); }
static void clamp_forward(rw_node *n) { rw_unary_forward(n, clamp_of, clamp_k(n)); }

/* dx += dy where lo < x < hi (strictly) */
static rw_real clamp_grad(rw_real x, rw_real y, rw_unary_k k) { (void)y; return (x > k.a && x < k.b) ? 1 : 0; }
static void clamp_backward(rw_node *n) { rw_unary_backward(n, clamp_grad, clamp_k(n)); }

static const rw_op_def clamp_def = {
    .name = "clamp", .arity = 1, .attr_size = sizeof(clamp_attrs), .attrs = clamp_attr_defs, .n_attrs = 2,
    .shape = clamp_shape, .forward = clamp_forward, .backward = clamp_backward,
    .doc = "min(max(x, lo), hi); gradient only strictly inside (lo, hi)" };

rw_node *rw_clamp(rw_graph *g, rw_node *x, double lo, double hi)
{
    clamp_attrs at = { lo, hi };
    return rw_apply(g, &clamp_def, &x, 1, &at);
}

/* ---- the family, registered by ops/builtin.c ------------------------------------- */

static const rw_op_def *const defs[] = {
    &tanh_def, &sigmoid_def, &relu_def, &leaky_relu_def, &softplus_def,
    &exp_def, &log_def, &sqrt_def, &abs_def, &pow_def, &clamp_def,
};
const rw_op_family rwi_family_elementwise_unary = { "elementwise_unary", defs, sizeof defs / sizeof defs[0] };
