/* rewind/ops_dropout.h - dropout masks (inverted dropout).
 *
 * A mask is not an op: it is a constant leaf (no gradient) filled from an
 * explicit generator, so a run is reproducible from its seed. Dropout is
 * then an ordinary rw_mul by the mask, and its gradient is dy * mask.
 * Kept elements are scaled by 1 / (1 - p), so evaluation needs no scaling.
 *
 * In evaluation mode (rw_graph_set_training(g, false)) every mask is all
 * ones, rw_dropout returns its input unchanged, and no randomness is
 * consumed, so the generator's stream is the same as if nothing was drawn.
 * The same holds for p == 0.
 *
 * Variational (per-sequence) dropout needs nothing more: draw one mask per
 * sequence with rw_dropout_mask and multiply the SAME mask node into the
 * input or state at every time step:
 *
 *     rw_node *m = rw_dropout_mask(g, rw_shape2(B, H), 0.25, &rng);
 *     for (int t = 0; t < T; t++)
 *         h = cell(g, x[t], rw_mul(g, h, m));
 *
 * Every function here fails (NULL and a message) for a NULL graph or
 * generator, or p outside [0, 1).
 */
#ifndef REWIND_OPS_DROPOUT_H
#define REWIND_OPS_DROPOUT_H

#include "rewind/export.h"
#include "rewind/graph.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A constant real leaf of `shape`: each element independently 0 with
 * probability p, else 1 / (1 - p); one draw per element, in row-major
 * order. All ones in evaluation mode or when p == 0 (no draws). When the
 * graph holds a shard of a batch (rw_graph_set_batch_shard: columns first
 * ... first + count - 1 of total) and shape is [..., count, W], the mask is
 * those rows of the mask [..., total, W] the whole batch would get, and rng
 * advances past that whole mask. */
RW_API rw_node *rw_dropout_mask(rw_graph *g, rw_shape shape, double p, rw_rng *rng);

/* Inverted dropout of x: in training mode x * (a fresh mask of x's shape),
 * recorded with rw_mul; in evaluation mode (or with p == 0) x itself, with
 * nothing recorded. x must be real; a NULL x returns NULL keeping the
 * earlier message. */
RW_API rw_node *rw_dropout(rw_graph *g, rw_node *x, double p, rw_rng *rng);

/* Word (embedding) dropout: ids is an int32 node of shape [...] (at most
 * three dimensions); the result is a constant real mask [..., width] in
 * which every position's row of `width` elements is all 0 or all
 * 1 / (1 - p), and all positions holding the same token id share one
 * decision. Each call takes one draw of rng and splits off a generator
 * whose draw number i decides id i: a decision depends only on rng and the
 * id, not on the other ids or positions (so the processes of a data-parallel
 * run, each with its own columns, decide every id alike). Multiply it into the embedded sequence [..., width]. All ones in
 * evaluation mode or when p == 0 (no draws). width must be >= 1. */
RW_API rw_node *rw_token_dropout_mask(rw_graph *g, rw_node *ids, int width, double p, rw_rng *rng);

#ifdef __cplusplus
}
#endif
#endif
