/* rewind/attention.h - attention over a sequence of encoder outputs.
 *
 * Three scores of a query q [B, Q] against each source position's key
 * k_s (the encoder output at step s, [K]):
 *   RW_ATTN_ADDITIVE  (Bahdanau)  v . tanh(Wq q + Wk k_s + b)   params Wq [A, Q], Wk [A, K], b [A], v [1, A]
 *   RW_ATTN_DOT       (Luong)     q . k_s                        no params; needs Q == K
 *   RW_ATTN_GENERAL   (Luong)     q . (W k_s)                    param W [Q, K]
 * The weights are the softmax of the scores over the valid source steps; the
 * context is the weighted sum of the encoder outputs. Source positions at or
 * beyond a sequence's length get exactly zero weight and zero gradient (the
 * scores are selected with rw_where, not offset by a large negative).
 *
 * The part that depends only on the source (Wk k_s + b, or W k_s, and the
 * batch-major copy of the outputs) is computed once per sequence by
 * rw_attention_prepare, not at every decoder step:
 *
 *     rw_attention *att = rw_attention_new(P, "att", &(rw_attention_opts){
 *         .score = RW_ATTN_ADDITIVE, .query = 64, .key = 128, .hidden = 64 }, &rng);
 *     rw_attention_memory mem;
 *     rw_attention_prepare(g, att, enc.outputs, lengths, &mem);    // [S, B, 128], int32 [B]
 *     for (t = 0; t < T; t++) {
 *         rw_node *w;                                              // [B, S]
 *         rw_node *ctx = rw_attention_apply(g, att, &mem, h[t], &w); // [B, 128]
 *         ...
 *     }
 */
#ifndef REWIND_ATTENTION_H
#define REWIND_ATTENTION_H

#include "rewind/export.h"

#include "rewind/graph.h"
#include "rewind/param.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_attention_score { RW_ATTN_ADDITIVE = 0, RW_ATTN_DOT, RW_ATTN_GENERAL } rw_attention_score;

typedef struct rw_attention_opts {
    rw_attention_score score;
    int query;     /* Q: width of the query (the decoder state) */
    int key;       /* K: width of each encoder output */
    int hidden;    /* A: width of the additive score's hidden layer; 0 -> query */
} rw_attention_opts;

typedef struct rw_attention rw_attention;

/* Parameters "<name>.Wq", "<name>.Wk", "<name>.b", "<name>.v" (additive) or
 * "<name>.W" (general) in P. NULL and an error on bad sizes. */
RW_API rw_attention *rw_attention_new(rw_params *P, const char *name, const rw_attention_opts *opts, rw_rng *rng);
RW_API void rw_attention_free(rw_attention *att);
RW_API const rw_attention_opts *rw_attention_options(const rw_attention *att);

/* What the decoder attends to, prepared once per batch of sources. Plain
 * nodes, so a caller that keeps the values across graph resets (a decoder
 * stepping one graph per token) can rebuild it with rw_const. */
typedef struct rw_attention_memory {
    rw_node *values;   /* [B, S, K]: the encoder outputs, batch-major */
    rw_node *keys;     /* additive: [S, B, A] = Wk k_s + b; dot: [B, S, K]; general: [B, S, Q] = W k_s */
    rw_node *mask;     /* real [B, S], 1 at valid steps and 0 at padding; NULL = all valid */
    int batch, steps;
} rw_attention_memory;

/* encoded: [S, B, K] (time-major, as rw_rnn_run's outputs); lengths: int32
 * [B] in [1, S] or NULL. */
RW_API rw_status rw_attention_prepare(rw_graph *g, const rw_attention *att, rw_node *encoded, rw_node *lengths,
                               rw_attention_memory *mem);

/* A real [B, S] mask from lengths int32 [B] (1 where s < lengths[b]). */
RW_API rw_node *rw_attention_mask(rw_graph *g, rw_node *lengths, int steps);

/* One query q [B, Q] -> the context [B, K]; *weights (if not NULL) gets the
 * attention weights [B, S], which sum to 1 over each row's valid steps. */
RW_API rw_node *rw_attention_apply(rw_graph *g, const rw_attention *att, const rw_attention_memory *mem, rw_node *query,
                            rw_node **weights);

#ifdef __cplusplus
}
#endif
#endif
