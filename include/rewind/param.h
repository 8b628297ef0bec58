/* rewind/param.h - named trainable parameters.
 *
 * An rw_params store owns named real tensors, each with a gradient of the
 * same shape, living outside any graph across steps. rw_param_node puts a
 * parameter on a graph as a leaf whose gradient *is* the parameter's
 * gradient buffer: ops accumulate into it directly (a matmul's weight
 * gradient lands there from the GEMM, with no copy), and a parameter used
 * at every time step receives the sum over the steps.
 */
#ifndef REWIND_PARAM_H
#define REWIND_PARAM_H

#include "rewind/export.h"
#include "rewind/tensor.h"
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_param {
    char *name;
    rw_tensor *value;
    rw_tensor *grad;
    int index;          /* position in its store */
} rw_param;

typedef struct rw_params rw_params;

RW_API rw_params *rw_params_new(void);
RW_API void rw_params_free(rw_params *P);

/* A new zero-initialized parameter; NULL and RW_ERR_ARG if the name is
 * empty or already taken, RW_ERR_SHAPE on a bad shape. */
RW_API rw_param *rw_params_add(rw_params *P, const char *name, rw_shape shape);
/* The parameter called `name`, or NULL (with an RW_ERR_ARG message). */
RW_API rw_param *rw_params_get(const rw_params *P, const char *name);
RW_API int rw_params_count(const rw_params *P);
RW_API rw_param *rw_params_at(const rw_params *P, int i);
/* Total number of scalars over all parameters. */
RW_API size_t rw_params_size(const rw_params *P);

/* While skipping is on, layers built on P leave their parameters at zero
 * instead of running their initializers (rw_param_init in rewind/init.h).
 * For a model whose values are restored right after it is built, e.g. from
 * a checkpoint: initializing a large recurrent matrix orthogonally costs
 * more than sampling hundreds of tokens from it. Off by default. */
RW_API void rw_params_set_skip_init(rw_params *P, bool skip);
RW_API bool rw_params_skip_init(const rw_params *P);

RW_API void rw_params_zero_grad(rw_params *P);

/* Data-parallel replicas (rw_train_opts.replicas): makes `replica`, a store
 * on which the same model was built again (the same parameters, names and
 * shapes, in the same order), use `master`'s values, while its gradients
 * stay its own. Its own values are freed; master must outlive it. A model
 * built on the replica then computes with master's current values and
 * leaves its gradients apart, so two threads can run backward passes at
 * once. RW_ERR_SHAPE, naming the first difference, when the stores differ;
 * afterwards the replica takes no new parameters.
 *
 *     rw_params *R = rw_params_new();
 *     rw_params_set_skip_init(R, true);   // its values are dropped anyway
 *     rw_rnn *copy = rw_rnn_new(R, &spec, &rng);
 *     if (!copy || rw_params_share_values(R, P) != RW_OK)
 *         fprintf(stderr, "%s\n", rw_last_error());
 */
RW_API rw_status rw_params_share_values(rw_params *replica, rw_params *master);

/* A leaf node on `g` whose value and gradient are the parameter's own. */
RW_API rw_node *rw_param_node(rw_graph *g, rw_param *p);

#ifdef __cplusplus
}
#endif
#endif
