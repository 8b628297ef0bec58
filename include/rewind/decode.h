/* rewind/decode.h - decoding for any model with a step function: greedy,
 * sampling with temperature and top-k, and beam search.
 *
 * A model to decode is an rw_step_model: `step` takes the token fed to each
 * of its n current rows and writes log-probabilities [n, vocab]; `reorder`
 * makes row i of its state a copy of old row index[i] (n may differ from the
 * current number of rows: beam search grows one primed row to K). Models
 * keep their state as values between calls (no tape grows), so decoding
 * builds no backward and its memory stays flat.
 *
 * rw_rnn_step_model_new wraps a character LM (rw_rnn + rw_linear head);
 * rw_seq2seq_step_model_new wraps an encoder-decoder primed with one source.
 *
 *     rw_step_model *dm = rw_seq2seq_step_model_new(m, src, len);
 *     rw_hypothesis best[3];
 *     int n;
 *     rw_beam_search(dm, &(rw_decode_opts){ .start = BOS, .end = EOS, .max_length = 20,
 *                                          .beam = 5, .alpha = 0.6 }, best, 3, &n);
 *     ... best[0].tokens[0 .. best[0].length - 1], best[0].score ...
 *     rw_hypotheses_free(best, n);
 *     rw_step_model_free(dm);
 */
#ifndef REWIND_DECODE_H
#define REWIND_DECODE_H

#include "rewind/export.h"

#include <stdbool.h>
#include <stdint.h>
#include "rewind/layers.h"
#include "rewind/rnn.h"
#include "rewind/seq2seq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_step_model rw_step_model;
struct rw_step_model {
    int vocab;
    int rows;   /* current number of rows of the state (1 after priming) */
    rw_status (*step)(rw_step_model *m, const int32_t *tokens, int n, rw_real *logprobs);
    rw_status (*reorder)(rw_step_model *m, const int32_t *index, int n);
    void (*free)(rw_step_model *m);
    /* Optional (NULL: none). Like step, but instead of the log-probabilities
     * it writes a token drawn from each row's distribution (temperature 1,
     * all tokens) to next[0 .. n-1], for a model that can draw without
     * computing every token's probability (a hierarchical softmax draws its
     * class, then a word of it). rw_decode_sample uses it when the
     * temperature is 1 and top_k is 0, and step otherwise; greedy decoding
     * and beam search need every log-probability and always use step. Set
     * it to NULL to sample from step's log-probabilities (the exact path:
     * the same distribution, but other draws for a seed). */
    rw_status (*step_sample)(rw_step_model *m, const int32_t *tokens, int n, rw_rng *rng, int32_t *next);
};
/* Calls m->free (NULL is a no-op). */
RW_API void rw_step_model_free(rw_step_model *m);

typedef struct rw_decode_opts {
    int start;            /* token fed first (e.g. <s>) */
    int end;              /* token that ends a sequence (e.g. </s>); -1: none */
    int max_length;       /* tokens generated at most, the end token included */
    double temperature;   /* sampling: > 0; 0 -> 1 */
    int top_k;            /* sampling: only the k most likely tokens (ties included); 0 = all */
    rw_rng *rng;          /* sampling */
    int beam;             /* beam width K; 0 -> 1 */
    double alpha;         /* length normalization: score = logprob / length^alpha */
} rw_decode_opts;

typedef struct rw_hypothesis {
    int32_t *tokens;      /* generated tokens, without the end token (malloc'd) */
    int length;           /* number of tokens in `tokens` */
    bool ended;           /* produced the end token (counted in the score's length) */
    double logprob;       /* sum of the log-probabilities of all generated tokens, end included */
    double score;         /* logprob / (length + ended)^alpha */
} rw_hypothesis;
RW_API void rw_hypotheses_free(rw_hypothesis *h, int n);

/* Greedy decoding of the model's single row: out gets the tokens (at most
 * max_length, without the end token), *length their number. */
RW_API rw_status rw_decode_greedy(rw_step_model *m, const rw_decode_opts *o, int32_t *out, int *length);
/* Like greedy, but each token is drawn from softmax(logprobs / temperature)
 * over the top_k tokens, with o->rng (by the model's step_sample when it has
 * one, the temperature is 1 and top_k is 0). */
RW_API rw_status rw_decode_sample(rw_step_model *m, const rw_decode_opts *o, int32_t *out, int *length);

/* Beam search from the model's single row (the model's state is used up:
 * make or prime a new one per source). All live beams are one batch of
 * rows per step. At each step the K best extensions of the live beams (by
 * summed log-probability; ties to the lower row and token) are kept; those
 * ending in o->end are finished, the others stay live, so width 1 is
 * greedy decoding. The search stops when no beam is live, at max_length
 * (live beams then finish unended), or when no live beam can beat the K-th
 * best finished score. Writes the `nbest` best by score, sorted best first,
 * to out and their number to *n_out. */
RW_API rw_status rw_beam_search(rw_step_model *m, const rw_decode_opts *o, rw_hypothesis *out, int nbest, int *n_out);

/* ---- step models of the library's networks ----------------------------- */

/* A character LM: rnn (unidirectional, int32 token input) then head to
 * logits. One row, from the network's initial state; feed a prime string
 * with rw_step_model's step. */
RW_API rw_step_model *rw_rnn_step_model_new(const rw_rnn *rnn, const rw_linear *head);
/* An encoder-decoder primed with one source sentence src[0..len-1]. */
RW_API rw_step_model *rw_seq2seq_step_model_new(const rw_seq2seq *m, const int32_t *src, int len);
/* Attention weights [rows, S] of the last step of a seq2seq step model
 * (NULL without attention); S is written to *steps. */
RW_API const rw_real *rw_seq2seq_step_model_weights(const rw_step_model *dm, int *steps);

#ifdef __cplusplus
}
#endif
#endif
