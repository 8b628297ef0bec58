/* rewind/ops_norm.h - layer normalization and the regularizers of
 * recurrent nets (norm-stabilizer, L2 penalty).
 *
 * The regularizers are ordinary scalar-valued ops: add them (scaled with
 * rw_mul by a scalar constant when needed) to the loss before rw_backward.
 */
#ifndef REWIND_OPS_NORM_H
#define REWIND_OPS_NORM_H

#include "rewind/export.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layer normalization (op "layer_norm"). x is real [..., D]; the mean and
 * variance are taken over the last axis separately for every row (so, in a
 * recurrent net, per time step and batch element):
 *
 *     y = gain * (x - mean) / sqrt(var + eps) + bias
 *
 * with var the biased (1/D) variance, gain and bias real [D]. Each variant
 * says which of gain and bias it takes, and every node it takes is
 * required: a NULL one (say, from an rw_p call that failed on a misspelled
 * parameter name) makes the result NULL, keeping the first error, instead
 * of silently normalizing without it:
 *
 *     rw_node *y = rw_layer_norm_affine(g, x, rw_p(g, c, "ln.gain"), rw_p(g, c, "ln.bias"));
 *     if (!y)
 *         fprintf(stderr, "%s\n", rw_last_error());
 *
 * The op is variadic: inputs (x), (x, gain), (x, gain, bias), or (x, bias)
 * with the bool attribute no_gain set. Attributes: eps (real, default 1e-5,
 * must be > 0) and no_gain (bool, default false). To change eps, record the
 * op by name with an attribute block set through rw_op_set_attr:
 *
 *     const rw_op_def *ln = rw_op_find("layer_norm");
 *     double attrs[4];  // aligned storage of at least ln->attr_size bytes
 *     rw_op_default_attrs(ln, attrs);
 *     rw_op_set_attr(ln, attrs, "eps", 1e-3);
 *     rw_node *y = rw_apply(g, ln, (rw_node *[]){ x, gain, bias }, 3, attrs);
 *
 * Gain and bias of the wrong shape, or an int32 input, are shape errors. */
RW_API rw_node *rw_layer_norm(rw_graph *g, rw_node *x);                        /* gain 1, bias 0 */
RW_API rw_node *rw_layer_norm_gain(rw_graph *g, rw_node *x, rw_node *gain);    /* bias 0 */
RW_API rw_node *rw_layer_norm_bias(rw_graph *g, rw_node *x, rw_node *bias);    /* gain 1 */
RW_API rw_node *rw_layer_norm_affine(rw_graph *g, rw_node *x, rw_node *gain, rw_node *bias);

/* The norm-stabilizer penalty of Krueger & Memisevic (2016), op
 * "norm_stabilizer". states h_0 .. h_{n-1} (n >= 2) are real tensors of one
 * shape [B, H] (more generally [..., H]: every leading position is a batch
 * row). With ||h_t[b]|| the Euclidean norm of row b of state t, the value
 * is the scalar
 *
 *     beta / n * sum_{t=1}^{n-1} mean_b (||h_t[b]|| - ||h_{t-1}[b]||)^2
 *
 * Note the normalization: divided by n, the number of states passed
 * (including h_0), not by the n - 1 differences; and averaged over the B
 * rows. (The paper's beta/T with T steps h_1..h_T and an initial h_0 is
 * this with beta scaled by n / (n - 1).) beta (attribute "beta") must be
 * finite and >= 0. A zero row (norm 0) is fine: its value is finite and its
 * gradient is taken as 0 (a subgradient of the norm at 0). */
RW_API rw_node *rw_norm_stabilizer(rw_graph *g, rw_node *const *states, int n, double beta);

/* The sum of squares of all elements of x (op "l2_penalty"), a scalar:
 * weight decay as a loss term, the L2 of hidden states, and, applied to
 * rw_sub(g, h_t, h_prev), the L2 of differences of successive states.
 * Scale it with rw_mul by a scalar constant. */
RW_API rw_node *rw_l2_penalty(rw_graph *g, rw_node *x);

#ifdef __cplusplus
}
#endif
#endif
