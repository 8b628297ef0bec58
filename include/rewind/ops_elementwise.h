/* rewind/ops_elementwise.h - elementwise ops.
 *
 * Binary ops broadcast a smaller operand along leading dimensions: its
 * shape must equal the trailing dimensions of the other operand's shape
 * (a bias row [H] against a batch [B, H], or [B, H] against [T, B, H]).
 * Either operand may be the smaller; the output has the larger shape, and
 * the smaller operand's gradient is summed over the repeats.
 */
#ifndef REWIND_OPS_ELEMENTWISE_H
#define REWIND_OPS_ELEMENTWISE_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arithmetic (ops/elementwise_arith.c) -------------------------------- */

RW_API rw_node *rw_add(rw_graph *g, rw_node *a, rw_node *b);   /* a + b */
RW_API rw_node *rw_sub(rw_graph *g, rw_node *a, rw_node *b);   /* a - b */
RW_API rw_node *rw_mul(rw_graph *g, rw_node *a, rw_node *b);   /* a * b (elementwise) */
/* a / b, broadcast as in rw_add; da += dy / b, db -= dy * a / b^2. */
RW_API rw_node *rw_div(rw_graph *g, rw_node *a, rw_node *b);
RW_API rw_node *rw_neg(rw_graph *g, rw_node *x);                    /* -x */
RW_API rw_node *rw_scale(rw_graph *g, rw_node *x, double factor);   /* factor * x */
RW_API rw_node *rw_add_scalar(rw_graph *g, rw_node *x, double c);   /* x + c */

/* ---- functions of one tensor (ops/elementwise_unary.c) -------------------
 * Domain errors follow C: log of x <= 0 gives -inf or NaN, sqrt of x < 0
 * NaN, and the gradient of sqrt at 0 is infinite. Real attributes must be
 * finite (checked when the op is recorded). */

RW_API rw_node *rw_tanh(rw_graph *g, rw_node *x);
RW_API rw_node *rw_sigmoid(rw_graph *g, rw_node *x);           /* 1 / (1 + exp(-x)), stable */
RW_API rw_node *rw_relu(rw_graph *g, rw_node *x);              /* max(x, 0); gradient 0 at 0 */
/* x if x > 0, else slope * x (the usual slope is 0.01, the attribute's
 * default when the op is applied by name). */
RW_API rw_node *rw_leaky_relu(rw_graph *g, rw_node *x, double slope);
/* log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|): finite for any
 * finite x; the gradient is sigmoid(x). */
RW_API rw_node *rw_softplus(rw_graph *g, rw_node *x);
RW_API rw_node *rw_exp(rw_graph *g, rw_node *x);                    /* e^x */
RW_API rw_node *rw_log(rw_graph *g, rw_node *x);                    /* natural log, x > 0 */
RW_API rw_node *rw_sqrt(rw_graph *g, rw_node *x);                   /* square root, x >= 0 */
RW_API rw_node *rw_abs(rw_graph *g, rw_node *x);                    /* |x|; gradient 0 at 0 */
/* x^exponent, as C's pow (a negative x needs an integer exponent). The
 * gradient is exponent * x^(exponent - 1), and 0 when exponent is 0. */
RW_API rw_node *rw_pow(rw_graph *g, rw_node *x, double exponent);
/* min(max(x, lo), hi). The gradient passes only where lo < x < hi
 * (strictly). lo > hi (or a NaN bound) is an error; infinite bounds are
 * allowed. */
RW_API rw_node *rw_clamp(rw_graph *g, rw_node *x, double lo, double hi);

#ifdef __cplusplus
}
#endif
#endif
