/* rewind/layers.h - linear and embedding layers. */
#ifndef REWIND_LAYERS_H
#define REWIND_LAYERS_H

#include "rewind/export.h"
#include "rewind/graph.h"
#include "rewind/param.h"
#include "rewind/init.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = x W^T + b with W [out, in] (Xavier-uniform) and b [out] (zeros).
 * Parameters are "<name>.W" and "<name>.b". x may carry leading
 * dimensions: [T, B, in] -> [T, B, out] in one GEMM. */
typedef struct rw_linear {
    rw_param *W, *b;
    int in, out;
} rw_linear;

RW_API rw_linear *rw_linear_new(rw_params *P, const char *name, int in, int out, rw_rng *rng);
RW_API rw_node *rw_linear_apply(rw_graph *g, const rw_linear *l, rw_node *x);
RW_API void rw_linear_free(rw_linear *l);

/* A lookup table E [vocab, dim] (N(0, 1) by default), parameter "<name>.E".
 * ids int32 [...] -> [..., dim]; backward scatter-adds into E. The
 * padding id -1 (RW_PAD, as rw_batcher pads) gives a zero row and no
 * gradient, so a padded batch can be embedded as it comes. */
typedef struct rw_embedding {
    rw_param *E;
    int vocab, dim;
} rw_embedding;

RW_API rw_embedding *rw_embedding_new(rw_params *P, const char *name, int vocab, int dim, rw_rng *rng);
RW_API rw_node *rw_embedding_apply(rw_graph *g, const rw_embedding *e, rw_node *ids);
RW_API void rw_embedding_free(rw_embedding *e);

/* One-hot encoding of int32 ids [...] as a constant real [..., depth]; a
 * negative id (padding) gives an all-zero row. */
RW_API rw_node *rw_one_hot(rw_graph *g, rw_node *ids, int depth);

#ifdef __cplusplus
}
#endif
#endif
