/* Elementwise arithmetic: a + b, a - b, a * b, a / b between two tensors,
 * broadcasting the smaller along leading dimensions, and -x, factor * x,
 * x + c of one tensor. The functions of one tensor (tanh, exp, pow, ...)
 * are in elementwise_unary.c.
 *
 * Each op below reads top to bottom: attributes, shape rule, forward,
 * backward (its formula above it), record, constructor. */
#include "op_util.h"
#include "rewind/ops_elementwise.h"

/* ---- broadcasting, shared by the binary ops -------------------------------
 * The output is s.reps blocks of s.block elements (rw_bcast_of); an operand
 * either spans the whole output (full) or is one block repeated. */

/* y[r, j] = f(a, b) for j in [lo, hi) of every block r */
static inline void binary_forward(rw_node *n, rw_real (*f)(rw_real a, rw_real b), size_t lo, size_t hi)
{
    rw_bcast s = rw_bcast_of(n);
    for (size_t r = 0; r < s.reps; r++) {
        const rw_real *a = n->in[0]->value.data + (s.a_full ? r * s.block : 0);
        const rw_real *b = n->in[1]->value.data + (s.b_full ? r * s.block : 0);
        rw_real *y = n->value.data + r * s.block;
        for (size_t j = lo; j < hi; j++)
            y[j] = f(a[j], b[j]);
    }
}

/* d(operand)[j] += sign * dy[r, j] for j in [lo, hi), summed over the
 * repeats r when the operand is broadcast. */
static void accumulate(rw_real *grad, bool full, const rw_real *dy, rw_bcast s, rw_real sign, size_t lo, size_t hi)
{
    if (!grad)
        return;
    for (size_t r = 0; r < s.reps; r++) {
        rw_real *g = grad + (full ? r * s.block : 0);
        const rw_real *d = dy + r * s.block;
        for (size_t j = lo; j < hi; j++)
            g[j] += sign * d[j];
    }
}

/* da += fa(dy, a, b), db += fb(dy, a, b) for j in [lo, hi) of every block,
 * each gradient summed over the repeats when its operand is broadcast. */
static inline void binary_backward(rw_node *n, rw_real (*fa)(rw_real dy, rw_real a, rw_real b),
                                   rw_real (*fb)(rw_real dy, rw_real a, rw_real b), size_t lo, size_t hi)
{
    rw_bcast s = rw_bcast_of(n);
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    for (size_t r = 0; r < s.reps; r++) {
        size_t ao = s.a_full ? r * s.block : 0, bo = s.b_full ? r * s.block : 0;
        const rw_real *a = n->in[0]->value.data + ao, *b = n->in[1]->value.data + bo;
        const rw_real *dy = n->grad + r * s.block;
        if (ga)
            for (size_t j = lo; j < hi; j++)
                ga[ao + j] += fa(dy[j], a[j], b[j]);
        if (gb)
            for (size_t j = lo; j < hi; j++)
                gb[bo + j] += fb(dy[j], a[j], b[j]);
    }
}

/* Runs piece over the columns of a block (every repeat at once), split
 * across threads when the block is long. */
static void by_columns(rw_node *n, void (*piece)(void *node, size_t lo, size_t hi))
{
    rwi_op_pieces(n, rw_bcast_of(n).block, RWI_GRAIN_ARITH, piece);
}

static rw_node *binary(rw_graph *g, const rw_op_def *def, rw_node *a, rw_node *b)
{
    rw_node *in[2] = { a, b };
    return rw_apply(g, def, in, 2, NULL);
}

/* ---- add: y = a + b ------------------------------------------------------ */

static rw_real add_of(rw_real a, rw_real b) { return a + b; }

static void add_forward_piece(void *n, size_t lo, size_t hi) { binary_forward(n, add_of, lo, hi); }
static void add_forward(rw_node *n) { by_columns(n, add_forward_piece); }

/* da += dy, db += dy */
static void add_backward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    rw_bcast s = rw_bcast_of(n);
    accumulate(n->in[0]->grad, s.a_full, n->grad, s, 1, lo, hi);
    accumulate(n->in[1]->grad, s.b_full, n->grad, s, 1, lo, hi);
}
static void add_backward(rw_node *n) { by_columns(n, add_backward_piece); }

static const rw_op_def add_def = {
    .fills_output = true,
    .name = "add", .arity = 2, .shape = rwi_op_binary_shape, .forward = add_forward,
    .backward = add_backward, .backward_skips_inputs = 3, .backward_skips_output = true, .doc = "a + b, broadcasting the smaller along leading dimensions" };

rw_node *rw_add(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &add_def, a, b); }

/* ---- sub: y = a - b ------------------------------------------------------ */

static rw_real sub_of(rw_real a, rw_real b) { return a - b; }

static void sub_forward_piece(void *n, size_t lo, size_t hi) { binary_forward(n, sub_of, lo, hi); }
static void sub_forward(rw_node *n) { by_columns(n, sub_forward_piece); }

/* da += dy, db -= dy */
static void sub_backward_piece(void *node, size_t lo, size_t hi)
{
    rw_node *n = node;
    rw_bcast s = rw_bcast_of(n);
    accumulate(n->in[0]->grad, s.a_full, n->grad, s, 1, lo, hi);
    accumulate(n->in[1]->grad, s.b_full, n->grad, s, -1, lo, hi);
}
static void sub_backward(rw_node *n) { by_columns(n, sub_backward_piece); }

static const rw_op_def sub_def = {
    .fills_output = true,
    .name = "sub", .arity = 2, .shape = rwi_op_binary_shape, .forward = sub_forward,
    .backward = sub_backward, .backward_skips_inputs = 3, .backward_skips_output = true, .doc = "a - b, broadcasting the smaller along leading dimensions" };

rw_node *rw_sub(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &sub_def, a, b); }

/* ---- mul: y = a * b ------------------------------------------------------ */

static rw_real mul_of(rw_real a, rw_real b) { return a * b; }

static void mul_forward_piece(void *n, size_t lo, size_t hi) { binary_forward(n, mul_of, lo, hi); }
static void mul_forward(rw_node *n) { by_columns(n, mul_forward_piece); }

/* da += dy * b, db += dy * a */
static rw_real mul_grad_a(rw_real dy, rw_real a, rw_real b) { (void)a; return dy * b; }
static rw_real mul_grad_b(rw_real dy, rw_real a, rw_real b) { (void)b; return dy * a; }
static void mul_backward_piece(void *n, size_t lo, size_t hi) { binary_backward(n, mul_grad_a, mul_grad_b, lo, hi); }
static void mul_backward(rw_node *n) { by_columns(n, mul_backward_piece); }

static const rw_op_def mul_def = {
    .fills_output = true,
    .name = "mul", .arity = 2, .shape = rwi_op_binary_shape, .forward = mul_forward,
    .backward = mul_backward, .backward_skips_output = true, .doc = "a * b elementwise, broadcasting the smaller along leading dimensions" };

rw_node *rw_mul(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &mul_def, a, b); }

/* ---- div: y = a / b ------------------------------------------------------ */

static rw_real div_of(rw_real a, rw_real b) { return a / b; }

static void div_forward_piece(void *n, size_t lo, size_t hi) { binary_forward(n, div_of, lo, hi); }
static void div_forward(rw_node *n) { by_columns(n, div_forward_piece); }

/* da += dy / b, db -= dy * a / b^2 */
static rw_real div_grad_a(rw_real dy, rw_real a, rw_real b) { (void)a; return dy / b; }
static rw_real div_grad_b(rw_real dy, rw_real a, rw_real b) { return -(dy * a / (b * b)); }
static void div_backward_piece(void *n, size_t lo, size_t hi) { binary_backward(n, div_grad_a, div_grad_b, lo, hi); }
static void div_backward(rw_node *n) { by_columns(n, div_backward_piece); }

static const rw_op_def div_def = {
    .name = "div", .arity = 2, .shape = rwi_op_binary_shape, .forward = div_forward, .backward = div_backward,
    .doc = "a / b elementwise, broadcasting the smaller along leading dimensions" };

rw_node *rw_div(rw_graph *g, rw_node *a, rw_node *b) { return binary(g, &div_def, a, b); }

/* ---- neg: y = -x ---------------------------------------------------------- */

static rw_real neg_of(rw_real x, rw_unary_k k) { (void)k; return -x; }
static void neg_forward(rw_node *n) { rw_unary_forward(n, neg_of, (rw_unary_k){ 0, 0 }); }

/* dx += dy * -1 */
static rw_real neg_grad(rw_real x, rw_real y, rw_unary_k k) { (void)x, (void)y, (void)k; return -1; }
static void neg_backward(rw_node *n) { rw_unary_backward(n, neg_grad, (rw_unary_k){ 0, 0 }); }

static const rw_op_def neg_def = {
    .name = "neg", .arity = 1, .shape = rwi_op_unary_shape, .forward = neg_forward, .backward = neg_backward,
    .doc = "-x" };

rw_node *rw_neg(rw_graph *g, rw_node *x) { return rw_apply(g, &neg_def, &x, 1, NULL); }

/* ---- scale: y = factor * x ------------------------------------------------ */

typedef struct scale_attrs { double factor; } scale_attrs;

static const rw_attr_def scale_attr_defs[] = {
    { "factor", RW_ATTR_REAL, offsetof(scale_attrs, factor), 1, "the multiplier" } };

static rw_unary_k scale_k(const rw_node *n) { return (rw_unary_k){ (rw_real)RW_ATTRS(n, scale_attrs)->factor, 0 }; }

static rw_real scale_of(rw_real x, rw_unary_k k) { return k.a * x; }
static void scale_forward(rw_node *n) { rw_unary_forward(n, scale_of, scale_k(n)); }

/* dx += dy * factor */
static rw_real scale_grad(rw_real x, rw_real y, rw_unary_k k) { (void)x, (void)y; return k.a; }
static void scale_backward(rw_node *n) { rw_unary_backward(n, scale_grad, scale_k(n)); }

static const rw_op_def scale_def = {
    .name = "scale", .arity = 1, .attr_size = sizeof(scale_attrs), .attrs = scale_attr_defs, .n_attrs = 1,
    .shape = rwi_op_finite_attrs_shape, .forward = scale_forward, .backward = scale_backward,
    .doc = "factor * x" };

rw_node *rw_scale(rw_graph *g, rw_node *x, double factor)
{
    scale_attrs at = { factor };
    return rw_apply(g, &scale_def, &x, 1, &at);
}

/* ---- add_scalar: y = x + c ------------------------------------------------ */

typedef struct add_scalar_attrs { double c; } add_scalar_attrs;

static const rw_attr_def add_scalar_attr_defs[] = {
    { "c", RW_ATTR_REAL, offsetof(add_scalar_attrs, c), 0, "the constant added" } };

static rw_real add_scalar_of(rw_real x, rw_unary_k k) { return x + k.a; }
static void add_scalar_forward(rw_node *n)
{
    rw_unary_forward(n, add_scalar_of, (rw_unary_k){ (rw_real)RW_ATTRS(n, add_scalar_attrs)->c, 0 });
}

/* dx += dy */
static rw_real add_scalar_grad(rw_real x, rw_real y, rw_unary_k k) { (void)x, (void)y, (void)k; return 1; }
static void add_scalar_backward(rw_node *n) { rw_unary_backward(n, add_scalar_grad, (rw_unary_k){ 0, 0 }); }

static const rw_op_def add_scalar_def = {
    .name = "add_scalar", .arity = 1, .attr_size = sizeof(add_scalar_attrs), .attrs = add_scalar_attr_defs,
    .n_attrs = 1, .shape = rwi_op_finite_attrs_shape, .forward = add_scalar_forward,
    .backward = add_scalar_backward, .doc = "x + c" };

rw_node *rw_add_scalar(rw_graph *g, rw_node *x, double c)
{
    add_scalar_attrs at = { c };
    return rw_apply(g, &add_scalar_def, &x, 1, &at);
}

/* ---- the family, registered by ops/builtin.c ------------------------------ */

static const rw_op_def *const defs[] = { &add_def, &sub_def, &mul_def, &div_def,
                                         &neg_def, &scale_def, &add_scalar_def };
const rw_op_family rwi_family_elementwise_arith = { "elementwise_arith", defs, sizeof defs / sizeof defs[0] };
