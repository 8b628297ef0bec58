/* rewind/regularize.h - penalties on parameters (L1, L2 weight decay) that
 * can leave biases and normalization gains out.
 *
 * The hidden-state penalties and dropout on the recurrent connection are
 * options of the sequence runner (rewind/rnn.h: rw_rnn_spec.recurrent_dropout,
 * rw_run_opts.hidden_l2, hidden_diff_l2, norm_stabilizer).
 *
 *     rw_param_penalty_opts wd = { .l2 = 1e-4, .exclude = RW_EXCLUDE_BIAS | RW_EXCLUDE_NORM };
 *     rw_node *pen = NULL;
 *     if (rw_param_penalty(g, P, &wd, &pen) != RW_OK)
 *         fprintf(stderr, "%s\n", rw_last_error());
 *     if (pen)
 *         loss = rw_add(g, loss, pen);   // dL/dw gains l2 * w for every weight matrix
 */
#ifndef REWIND_REGULARIZE_H
#define REWIND_REGULARIZE_H

#include "rewind/export.h"

#include <stdbool.h>
#include "rewind/graph.h"
#include "rewind/param.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    RW_EXCLUDE_BIAS = 1,  /* parameters whose last name part is b, c, bias or starts with b_ */
    RW_EXCLUDE_NORM = 2,  /* normalization gains and biases: a name part starting with ln_, or ending in gain */
};

typedef struct rw_param_penalty_opts {
    double l1;            /* + l1 * sum |w| */
    double l2;            /* + l2/2 * sum w^2 (weight decay coupled to the loss: the gradient gains l2 * w) */
    unsigned exclude;     /* RW_EXCLUDE_* flags */
} rw_param_penalty_opts;

/* True when `name` ("lstm.l0.b", "net.l1.ln_x.gain") is of the kind the flag names. */
RW_API bool rw_param_is_bias(const char *name);
RW_API bool rw_param_is_norm(const char *name);

/* The penalty over every parameter of P not excluded, as one scalar node in
 * *out (NULL when both weights are 0). RW_ERR_ARG for a negative or
 * non-finite weight. */
RW_API rw_status rw_param_penalty(rw_graph *g, rw_params *P, const rw_param_penalty_opts *o, rw_node **out);

#ifdef __cplusplus
}
#endif
#endif
