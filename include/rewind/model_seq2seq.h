/* rewind/model_seq2seq.h - encoder-decoder models defined in YAML
 * (model.graph, data kind tsv_seq2seq): translating text with them,
 * looking at their attention, and their exact-match accuracy.
 *
 * A graph model is an rw_seq2seq (rewind/seq2seq.h) built from the file;
 * it trains like any model (rw_model_loss_fn, rw_model_source). Its one
 * vocabulary serves source and target and starts with the specials
 * <pad> <s> </s> <unk> (ids 0..3, rewind/vocab.h).
 *
 *     rw_model *m = rw_model_load("models/reverse.yaml", NULL);
 *     rw_translate_opts o = rw_model_translate_defaults(m);   // from generate:
 *     o.beam = 4;
 *     rw_hypothesis best[2];
 *     int n;
 *     if (rw_model_translate(m, "12345", &o, best, 2, &n) == RW_OK) {
 *         char *text = rw_model_detokenize(m, best[0].tokens, best[0].length);
 *         printf("%s\t%.3f\n", text, best[0].score);
 *         free(text);
 *         rw_hypotheses_free(best, n);
 *     }
 *     rw_model_free(m);
 */
#ifndef REWIND_MODEL_SEQ2SEQ_H
#define REWIND_MODEL_SEQ2SEQ_H

#include "rewind/export.h"

#include "rewind/decode.h"
#include "rewind/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True for a model.graph encoder-decoder. */
RW_API bool rw_model_is_seq2seq(const rw_model *m);
/* Its network (NULL for other models). */
RW_API const rw_seq2seq *rw_model_seq2seq(const rw_model *m);

typedef struct rw_translate_opts {
    int beam;             /* beam width; 1 with !sample: greedy */
    bool sample;          /* draw each token (temperature, top_k, rng) instead of searching */
    double temperature;
    int top_k;
    rw_rng *rng;          /* sample: required */
    double alpha;         /* beam: length normalization exponent */
    int max_length;       /* tokens at most, the end included */
    int end;              /* the token that ends an output (</s>, or generate.stop_at) */
} rw_translate_opts;

/* The generate: section as options (method, beam_width, length_norm,
 * max_length, stop_at, temperature, top_k; rng NULL). */
RW_API rw_translate_opts rw_model_translate_defaults(const rw_model *m);

/* Encodes `source` with the model's vocabulary and decodes it: the `nbest`
 * best outputs (beam search; greedy and sampling give one), best first, to
 * out; *n_out their number. Free them with rw_hypotheses_free. */
RW_API rw_status rw_model_translate(rw_model *m, const char *source, const rw_translate_opts *o, rw_hypothesis *out,
                             int nbest, int *n_out);

/* The text of target tokens: bytes joined as they are, words with spaces.
 * malloc'd; NULL with an error for an id outside the vocabulary. */
RW_API char *rw_model_detokenize(const rw_model *m, const int32_t *ids, int n);

/* The attention weights of `source` decoded into out[0..n) (then, when
 * `ended`, the end token): a tensor [rows, S] with rows = n + ended, row i
 * the weights of the step that produced output i, S the source's tokens.
 * NULL with an error when the model has no attention. rw_tensor_free it. */
RW_API rw_tensor *rw_model_attention_weights(rw_model *m, const char *source, const int32_t *out, int n, bool ended);

/* Exact match on a split of the loaded data: greedy outputs equal to the
 * targets, token for token. */
RW_API rw_status rw_model_exact_match(rw_model *m, rw_model_split split, long *right, long *count);

#ifdef __cplusplus
}
#endif
#endif
