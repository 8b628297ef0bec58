/* rewind/metrics.h - evaluation metrics, accumulated over many batches.
 *
 * An rw_metrics accumulates predictions and their targets, batch by batch,
 * and is then read: accuracy, top-k accuracy, perplexity and per-class
 * precision / recall / F1 for classification (and tagging: a target per
 * step, padding skipped), mean squared and mean absolute error for
 * regression. It knows nothing about models or data: hand it tensors.
 *
 *   rw_metrics *mt = rw_metrics_new(C);             // C classes
 *   for (each validation batch) {
 *       rw_node *logits = ...;                      // [T, B, C] or [B, C]
 *       rw_metrics_add_scores(mt, &logits->value, targets, NULL);  // targets int32 [T, B]
 *   }
 *   printf("accuracy %.3f  top-5 %.3f  perplexity %.2f  macro F1 %.3f\n",
 *          rw_metrics_accuracy(mt), rw_metrics_top_k(mt, 5), rw_metrics_perplexity(mt),
 *          rw_metrics_macro_f1(mt));
 *   rw_metrics_free(mt);
 *
 * Whole sequences can be scored too: a sequence (a column of [T, B]
 * targets) is right when every one of its steps is, e.g. a string of the
 * Reber grammar tagged right at every symbol or a sum right in every bit:
 *
 *   rw_metrics_add_sequences(mt, &logits->value, targets, NULL);  // [T, B, C] and [T, B]
 *   printf("strings right %.1f%%\n", 100 * rw_metrics_sequence_accuracy(mt));
 *
 * Metrics can also be named ("accuracy", "top5", "perplexity", "f1",
 * "precision", "recall", "mse", "mae", "sequence_accuracy", "exact_match"), which is how
 * model files and rw_train choose them: rw_metric_parse and rw_metrics_value.
 */
#ifndef REWIND_METRICS_H
#define REWIND_METRICS_H

#include "rewind/export.h"

#include <stddef.h>
#include "rewind/error.h"
#include "rewind/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest k of top-k accuracy. */
#define RW_METRICS_MAX_TOP_K 100

typedef struct rw_metrics rw_metrics;

/* An accumulator for `classes` classes (>= 0; 0 when only regression values
 * will be added). NULL with an error when classes < 0 or out of memory. */
RW_API rw_metrics *rw_metrics_new(int classes);
RW_API void rw_metrics_free(rw_metrics *m);
/* Forgets everything accumulated (e.g. before the next validation). */
RW_API void rw_metrics_reset(rw_metrics *m);

/* Classification: scores real [..., C] (logits or probabilities; the
 * predicted class is the largest, the first on ties), targets int32 [...]
 * (the leading shape of scores). A negative target (padding, RW_PAD) is
 * skipped; so is a position whose mask (optional, real or int32 of the
 * targets' shape) is 0. Perplexity treats the scores as logits (it takes
 * their log-softmax). RW_ERR_SHAPE for disagreeing shapes, a target >= C,
 * or C != the accumulator's classes. */
RW_API rw_status rw_metrics_add_scores(rw_metrics *m, const rw_tensor *scores, const rw_tensor *targets,
                                const rw_tensor *mask);
/* Classification by predicted ids: predictions and targets int32 of the
 * same shape (e.g. the output of rw_argmax). Counts towards accuracy and
 * precision / recall / F1, not top-k or perplexity. */
RW_API rw_status rw_metrics_add_predictions(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                     const rw_tensor *mask);
/* Regression: predictions and targets real of the same shape, mask as above. */
RW_API rw_status rw_metrics_add_values(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                const rw_tensor *mask);

/* Whole sequences: predictions as real scores [T, B, C] (the largest
 * predicts) or int32 ids [T, B], targets int32 [T, B], mask as above.
 * Column b is one sequence; it is right when every counted step (target
 * >= 0, mask nonzero) is predicted right; a column without one is skipped.
 * Counts only towards rw_metrics_sequence_accuracy. RW_ERR_SHAPE for other
 * shapes or a target >= the classes. */
RW_API rw_status rw_metrics_add_sequences(rw_metrics *m, const rw_tensor *predictions, const rw_tensor *targets,
                                   const rw_tensor *mask);

/* Decoded outputs compared whole with their references by the caller (e.g.
 * greedy decoding of an encoder-decoder): `right` of `count` were equal.
 * Counts only towards rw_metrics_exact_match. RW_ERR_ARG unless
 * 0 <= right <= count. */
RW_API rw_status rw_metrics_add_exact_matches(rw_metrics *m, long right, long count);

/* Counted positions: classified (by scores or ids), scored (by scores:
 * top-k and perplexity), and regression values. */
RW_API long rw_metrics_classified(const rw_metrics *m);
RW_API long rw_metrics_scored(const rw_metrics *m);
RW_API long rw_metrics_values(const rw_metrics *m);
RW_API long rw_metrics_sequences(const rw_metrics *m);
RW_API int rw_metrics_classes(const rw_metrics *m);

/* Each is NAN when nothing it needs was accumulated. */
RW_API double rw_metrics_accuracy(const rw_metrics *m);
/* The fraction of scored positions whose target is among the k largest
 * scores (ties counted in the target's favour); 1 <= k <= RW_METRICS_MAX_TOP_K. */
RW_API double rw_metrics_top_k(const rw_metrics *m, int k);
/* exp(mean negative log-likelihood of the targets under softmax(scores)). */
RW_API double rw_metrics_perplexity(const rw_metrics *m);
/* Per class c: precision = TP / (TP + FP), recall = TP / (TP + FN),
 * F1 = their harmonic mean. NAN for a class never predicted (precision),
 * never a target (recall), or both (F1); F1 is 0 when TP = 0 otherwise. */
RW_API double rw_metrics_precision(const rw_metrics *m, int c);
RW_API double rw_metrics_recall(const rw_metrics *m, int c);
RW_API double rw_metrics_f1(const rw_metrics *m, int c);
/* Unweighted means over the classes for which the value is defined. */
RW_API double rw_metrics_macro_precision(const rw_metrics *m);
RW_API double rw_metrics_macro_recall(const rw_metrics *m);
RW_API double rw_metrics_macro_f1(const rw_metrics *m);
RW_API double rw_metrics_mse(const rw_metrics *m);
RW_API double rw_metrics_mae(const rw_metrics *m);
/* The fraction of sequences right at every step (rw_metrics_add_sequences). */
RW_API double rw_metrics_sequence_accuracy(const rw_metrics *m);
/* The fraction of decoded outputs equal to their references (rw_metrics_add_exact_matches). */
RW_API double rw_metrics_exact_match(const rw_metrics *m);

/* ---- metrics by name ------------------------------------------------------- */

typedef enum rw_metric_kind {
    RW_METRIC_ACCURACY,
    RW_METRIC_TOP_K,        /* "top5": k = 5 */
    RW_METRIC_PERPLEXITY,
    RW_METRIC_F1,           /* macro F1 */
    RW_METRIC_PRECISION,    /* macro precision */
    RW_METRIC_RECALL,       /* macro recall */
    RW_METRIC_MSE,
    RW_METRIC_MAE,
    RW_METRIC_SEQUENCE_ACCURACY, /* "sequence_accuracy": whole sequences right, step by step */
    RW_METRIC_EXACT_MATCH   /* "exact_match": decoded outputs equal to their references */
} rw_metric_kind;

typedef struct rw_metric {
    rw_metric_kind kind;
    int k;                  /* top-k only */
} rw_metric;

/* Parses a name: accuracy, topK (top1 .. top100), perplexity, f1,
 * precision, recall, mse, mae, sequence_accuracy, exact_match. RW_ERR_ARG naming the known ones otherwise. */
RW_API rw_status rw_metric_parse(const char *name, rw_metric *out);
/* The metric's name as rw_metric_parse reads it ("top5"); buf of >= 16 bytes. */
RW_API const char *rw_metric_name(rw_metric metric, char *buf, size_t len);
/* True for MSE and MAE (they need real-valued predictions). */
RW_API int rw_metric_is_regression(rw_metric metric);
/* The metric's current value (NAN when undefined). */
RW_API double rw_metrics_value(const rw_metrics *m, rw_metric metric);

#ifdef __cplusplus
}
#endif
#endif
