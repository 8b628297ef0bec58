/* Elementwise math: division with leading-dimension broadcasting, and the
 * unary functions (neg, scale, add_scalar, exp, log, sqrt, abs, pow,
 * leaky_relu, softplus, clamp). Domain errors follow C (log of a negative
 * number is NaN); attributes are checked when the op is recorded. */
#include "op_util.h"
#include "rewind/ops_elementwise.h"

/* ---- attributes -------------------------------------------------------- */

typedef struct scale_attrs { double factor; } scale_attrs;
typedef struct add_scalar_attrs { double c; } add_scalar_attrs;
typedef struct pow_attrs { double exponent; } pow_attrs;
typedef struct leaky_relu_attrs { double slope; } leaky_relu_attrs;
typedef struct clamp_attrs { double lo, hi; } clamp_attrs;

static const rw_attr_def scale_attr_defs[] = {
    { "factor", RW_ATTR_REAL, offsetof(scale_attrs, factor), 1, "the multiplier" } };
static const rw_attr_def add_scalar_attr_defs[] = {
    { "c", RW_ATTR_REAL, offsetof(add_scalar_attrs, c), 0, "the constant added" } };
static const rw_attr_def pow_attr_defs[] = {
    { "exponent", RW_ATTR_REAL, offsetof(pow_attrs, exponent), 1, "the power p in x^p" } };
static const rw_attr_def leaky_relu_attr_defs[] = {
    { "slope", RW_ATTR_REAL, offsetof(leaky_relu_attrs, slope), 0.01, "the slope for x <= 0" } };
static const rw_attr_def clamp_attr_defs[] = {
    { "lo", RW_ATTR_REAL, offsetof(clamp_attrs, lo), -1, "the lower bound" },
    { "hi", RW_ATTR_REAL, offsetof(clamp_attrs, hi), 1, "the upper bound (>= lo)" } };

/* ---- shape rules ------------------------------------------------------- */

static rw_status unary_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rw_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    *out = n->in[0]->value.shape;
    *dt = RW_REAL;
    return RW_OK;
}

/* A unary op whose real attributes must all be finite numbers. */
static rw_status finite_attrs_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (unary_shape(n, out, dt))
        return RW_ERR_SHAPE;
    for (int i = 0; i < n->op->n_attrs; i++) {
        const rw_attr_def *a = &n->op->attrs[i];
        if (a->type != RW_ATTR_REAL)
            continue;
        double v = *(const double *)((const char *)n->attrs + a->offset);
        if (!isfinite(v))
            return rw_op_shape_error(n, "attribute '%s' must be a finite number, got %g", a->name, v);
    }
    return RW_OK;
}

static rw_status clamp_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const clamp_attrs *at = RW_ATTRS(n, clamp_attrs);
    if (unary_shape(n, out, dt))
        return RW_ERR_SHAPE;
    if (!(at->lo <= at->hi)) /* also rejects NaN bounds */
        return rw_op_shape_error(n, "lo (%g) must not exceed hi (%g)", at->lo, at->hi);
    return RW_OK;
}

/* ---- div ---------------------------------------------------------------- */

static void div_forward(rw_node *n)
{
    rw_bcast s = rw_bcast_of(n);
    for (size_t r = 0; r < s.reps; r++) {
        const rw_real *a = n->in[0]->value.data + (s.a_full ? r * s.block : 0);
        const rw_real *b = n->in[1]->value.data + (s.b_full ? r * s.block : 0);
        rw_real *y = n->value.data + r * s.block;
        for (size_t j = 0; j < s.block; j++)
            y[j] = a[j] / b[j];
    }
}

static void div_backward(rw_node *n)
{
    rw_bcast s = rw_bcast_of(n);
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    for (size_t r = 0; r < s.reps; r++) {
        size_t ao = s.a_full ? r * s.block : 0, bo = s.b_full ? r * s.block : 0;
        const rw_real *a = n->in[0]->value.data + ao, *b = n->in[1]->value.data + bo;
        const rw_real *dy = n->grad + r * s.block;
        if (ga)
            for (size_t j = 0; j < s.block; j++)
                ga[ao + j] += dy[j] / b[j];
        if (gb)
            for (size_t j = 0; j < s.block; j++)
                gb[bo + j] -= dy[j] * a[j] / (b[j] * b[j]);
    }
}

/* ---- unary functions ----------------------------------------------------
 * UNARY_FORWARD computes y = expr(x); UNARY_BACKWARD adds dy * dexpr(x, y).
 * `setup` declares the attributes the expressions use. */

#define NO_SETUP ((void)0)

#define UNARY_FORWARD(fname, setup, expr)                  \
    static void fname(rw_node *n)                          \
    {                                                      \
        setup;                                             \
        const rw_real *xs = n->in[0]->value.data;          \
        rw_real *ys = n->value.data;                       \
        for (size_t i = 0; i < n->value.size; i++) {       \
            rw_real x = xs[i];                             \
            ys[i] = (expr);                                \
        }                                                  \
    }

#define UNARY_BACKWARD(fname, setup, dexpr)                \
    static void fname(rw_node *n)                          \
    {                                                      \
        rw_real *gx = n->in[0]->grad;                      \
        if (!gx)                                           \
            return;                                        \
        setup;                                             \
        const rw_real *xs = n->in[0]->value.data;          \
        const rw_real *ys = n->value.data;                 \
        for (size_t i = 0; i < n->value.size; i++) {       \
            rw_real x = xs[i], y = ys[i];                  \
            (void)x;                                       \
            (void)y;                                       \
            gx[i] += n->grad[i] * (dexpr);                 \
        }                                                  \
    }

#define SCALE_SETUP const rw_real k = (rw_real)RW_ATTRS(n, scale_attrs)->factor
#define ADD_SCALAR_SETUP const rw_real c = (rw_real)RW_ATTRS(n, add_scalar_attrs)->c
#define POW_SETUP const rw_real p = (rw_real)RW_ATTRS(n, pow_attrs)->exponent
#define LEAKY_SETUP const rw_real slope = (rw_real)RW_ATTRS(n, leaky_relu_attrs)->slope
#define CLAMP_SETUP \
    const rw_real lo = (rw_real)RW_ATTRS(n, clamp_attrs)->lo, hi = (rw_real)RW_ATTRS(n, clamp_attrs)->hi

/* Stable logistic: never exponentiates a large positive number. */
static rw_real sigmoid1(rw_real x)
{
    if (x >= 0)
        return 1 / (1 + RW_EXP(-x));
    rw_real e = RW_EXP(x);
    return e / (1 + e);
}

UNARY_FORWARD(neg_forward, NO_SETUP, -x)
UNARY_BACKWARD(neg_backward, NO_SETUP, -1)
UNARY_FORWARD(scale_forward, SCALE_SETUP, k * x)
UNARY_BACKWARD(scale_backward, SCALE_SETUP, k)
UNARY_FORWARD(add_scalar_forward, ADD_SCALAR_SETUP, x + c)
UNARY_BACKWARD(add_scalar_backward, NO_SETUP, 1)
UNARY_FORWARD(exp_forward, NO_SETUP, RW_EXP(x))
UNARY_BACKWARD(exp_backward, NO_SETUP, y)
UNARY_FORWARD(log_forward, NO_SETUP, RW_LOG(x))
UNARY_BACKWARD(log_backward, NO_SETUP, 1 / x)
UNARY_FORWARD(sqrt_forward, NO_SETUP, RW_SQRT(x))
UNARY_BACKWARD(sqrt_backward, NO_SETUP, (rw_real)0.5 / y)
UNARY_FORWARD(abs_forward, NO_SETUP, RW_FABS(x))
UNARY_BACKWARD(abs_backward, NO_SETUP, (rw_real)((x > 0) - (x < 0)))
UNARY_FORWARD(pow_forward, POW_SETUP, RW_POW(x, p))
/* p = 0: the gradient is 0 everywhere (also at x = 0, where x^(p-1) is inf). */
UNARY_BACKWARD(pow_backward, POW_SETUP, p == 0 ? 0 : p * RW_POW(x, p - 1))
UNARY_FORWARD(leaky_relu_forward, LEAKY_SETUP, x > 0 ? x : slope * x)
UNARY_BACKWARD(leaky_relu_backward, LEAKY_SETUP, x > 0 ? 1 : slope)
/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): the exponent is never positive. */
UNARY_FORWARD(softplus_forward, NO_SETUP, (x > 0 ? x : 0) + RW_LOG1P(RW_EXP(-RW_FABS(x))))
UNARY_BACKWARD(softplus_backward, NO_SETUP, sigmoid1(x))
UNARY_FORWARD(clamp_forward, CLAMP_SETUP, x < lo ? lo : (x > hi ? hi : x))
UNARY_BACKWARD(clamp_backward, CLAMP_SETUP, (x > lo && x < hi) ? 1 : 0)

/* ---- records and constructors ------------------------------------------ */

#define N_ATTRS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const rw_op_def div_def = {
    .name = "div", .arity = 2, .shape = rw_op_binary_shape, .forward = div_forward, .backward = div_backward,
    .doc = "a / b elementwise, broadcasting the smaller along leading dimensions" };
static const rw_op_def neg_def = {
    .name = "neg", .arity = 1, .shape = unary_shape, .forward = neg_forward, .backward = neg_backward,
    .doc = "-x" };
static const rw_op_def scale_def = {
    .name = "scale", .arity = 1, .attr_size = sizeof(scale_attrs), .attrs = scale_attr_defs,
    .n_attrs = N_ATTRS(scale_attr_defs), .shape = finite_attrs_shape, .forward = scale_forward,
    .backward = scale_backward, .doc = "factor * x" };
static const rw_op_def add_scalar_def = {
    .name = "add_scalar", .arity = 1, .attr_size = sizeof(add_scalar_attrs), .attrs = add_scalar_attr_defs,
    .n_attrs = N_ATTRS(add_scalar_attr_defs), .shape = finite_attrs_shape, .forward = add_scalar_forward,
    .backward = add_scalar_backward, .doc = "x + c" };
static const rw_op_def exp_def = {
    .name = "exp", .arity = 1, .shape = unary_shape, .forward = exp_forward, .backward = exp_backward,
    .doc = "e^x" };
static const rw_op_def log_def = {
    .name = "log", .arity = 1, .shape = unary_shape, .forward = log_forward, .backward = log_backward,
    .doc = "natural logarithm of x (x > 0)" };
static const rw_op_def sqrt_def = {
    .name = "sqrt", .arity = 1, .shape = unary_shape, .forward = sqrt_forward, .backward = sqrt_backward,
    .doc = "square root of x (x >= 0)" };
static const rw_op_def abs_def = {
    .name = "abs", .arity = 1, .shape = unary_shape, .forward = abs_forward, .backward = abs_backward,
    .doc = "|x|; gradient 0 at 0" };
static const rw_op_def pow_def = {
    .name = "pow", .arity = 1, .attr_size = sizeof(pow_attrs), .attrs = pow_attr_defs,
    .n_attrs = N_ATTRS(pow_attr_defs), .shape = finite_attrs_shape, .forward = pow_forward,
    .backward = pow_backward, .doc = "x^exponent" };
static const rw_op_def leaky_relu_def = {
    .name = "leaky_relu", .arity = 1, .attr_size = sizeof(leaky_relu_attrs), .attrs = leaky_relu_attr_defs,
    .n_attrs = N_ATTRS(leaky_relu_attr_defs), .shape = finite_attrs_shape, .forward = leaky_relu_forward,
    .backward = leaky_relu_backward, .doc = "x if x > 0, else slope * x" };
static const rw_op_def softplus_def = {
    .name = "softplus", .arity = 1, .shape = unary_shape, .forward = softplus_forward,
    .backward = softplus_backward, .doc = "log(1 + e^x), computed without overflow" };
static const rw_op_def clamp_def = {
    .name = "clamp", .arity = 1, .attr_size = sizeof(clamp_attrs), .attrs = clamp_attr_defs,
    .n_attrs = N_ATTRS(clamp_attr_defs), .shape = clamp_shape, .forward = clamp_forward,
    .backward = clamp_backward, .doc = "min(max(x, lo), hi); gradient only strictly inside (lo, hi)" };

rw_node *rw_div(rw_graph *g, rw_node *a, rw_node *b)
{
    rw_node *in[2] = { a, b };
    return rw_apply(g, &div_def, in, 2, NULL);
}

rw_node *rw_neg(rw_graph *g, rw_node *x) { return rw_apply(g, &neg_def, &x, 1, NULL); }
rw_node *rw_exp(rw_graph *g, rw_node *x) { return rw_apply(g, &exp_def, &x, 1, NULL); }
rw_node *rw_log(rw_graph *g, rw_node *x) { return rw_apply(g, &log_def, &x, 1, NULL); }
rw_node *rw_sqrt(rw_graph *g, rw_node *x) { return rw_apply(g, &sqrt_def, &x, 1, NULL); }
rw_node *rw_abs(rw_graph *g, rw_node *x) { return rw_apply(g, &abs_def, &x, 1, NULL); }
rw_node *rw_softplus(rw_graph *g, rw_node *x) { return rw_apply(g, &softplus_def, &x, 1, NULL); }

rw_node *rw_scale(rw_graph *g, rw_node *x, double factor)
{
    scale_attrs at = { factor };
    return rw_apply(g, &scale_def, &x, 1, &at);
}

rw_node *rw_add_scalar(rw_graph *g, rw_node *x, double c)
{
    add_scalar_attrs at = { c };
    return rw_apply(g, &add_scalar_def, &x, 1, &at);
}

rw_node *rw_pow(rw_graph *g, rw_node *x, double exponent)
{
    pow_attrs at = { exponent };
    return rw_apply(g, &pow_def, &x, 1, &at);
}

rw_node *rw_leaky_relu(rw_graph *g, rw_node *x, double slope)
{
    leaky_relu_attrs at = { slope };
    return rw_apply(g, &leaky_relu_def, &x, 1, &at);
}

rw_node *rw_clamp(rw_graph *g, rw_node *x, double lo, double hi)
{
    clamp_attrs at = { lo, hi };
    return rw_apply(g, &clamp_def, &x, 1, &at);
}

static const rw_op_def *const defs[] = {
    &div_def, &neg_def, &scale_def, &add_scalar_def, &exp_def, &log_def, &sqrt_def,
    &abs_def, &pow_def, &leaky_relu_def, &softplus_def, &clamp_def,
};
const rw_op_family rw_family_elementwise_math = { "elementwise_math", defs, sizeof defs / sizeof defs[0] };
