/* rewind/ops_hsm.h - hierarchical (class-factored) softmax (F40).
 *
 * A vocabulary of V words is cut into C classes, and
 *   P(w | h) = P(class(w) | h) * P(w | class(w), h),
 * each factor a softmax: over the C class logits Wc h + bc, and over the
 * logits W[w] h + b[w] of the words of w's class only. Training a position
 * then costs O(H (C + |class(w)|)) instead of O(H V): with C near sqrt(V)
 * about 2 sqrt(V) rows instead of V.
 *
 * The classes come from word counts (rw_hsm_classes_from_counts: words by
 * falling frequency cut into C bins of about equal total count, so the
 * frequent words sit in small classes), or from a saved assignment.
 *
 *   double counts[5] = { 50, 20, 10, 10, 10 };
 *   rw_hsm_classes cls = { 0 };
 *   if (rw_hsm_classes_from_counts(&cls, counts, 5, 2) != RW_OK)
 *       return rw_last_status();
 *   // h [T, B, H]; cw [2, H], cb [2], w [5, H], b [5] parameters; y int32 [T, B] (-1: padding)
 *   rw_node *loss = rw_hsm_loss(g, h, cw, cb, w, b, y, &cls);   // mean -log P(y | h)
 *   rw_node *lp = rw_hsm_log_probs(g, h, cw, cb, w, b, &cls);   // [T, B, 5]: log P(w | h), all words
 *   rw_hsm_classes_free(&cls);
 */
#ifndef REWIND_OPS_HSM_H
#define REWIND_OPS_HSM_H

#include "rewind/export.h"
#include "rewind/graph.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A class assignment: every word in exactly one class, every class
 * non-empty. The int32 tensors are what the ops read. */
typedef struct rw_hsm_classes {
    int n_words, n_classes;
    rw_tensor *class_of;   /* [V]: the class of each word */
    rw_tensor *words;      /* [V]: the word ids grouped by class */
    rw_tensor *start;      /* [C + 1]: class c holds words[start[c] .. start[c + 1]) */
} rw_hsm_classes;

/* The default number of classes for V words: round(sqrt(V)), at least 1. */
RW_API int rw_hsm_default_classes(int n_words);

/* Classes from word counts (counts[w] >= 0, e.g. training-set frequencies):
 * words sorted by falling count (ties by id) and cut into n_classes
 * consecutive bins of about equal total count, none empty. Fails
 * (RW_ERR_ARG) unless 1 <= n_classes <= n_words. Fills a zeroed struct. */
RW_API rw_status rw_hsm_classes_from_counts(rw_hsm_classes *cls, const double *counts, int n_words,
                                            int n_classes);
/* Classes from an assignment class_of[w] in 0 .. n_classes-1; fails
 * (RW_ERR_ARG) on a class out of range or a class without words. */
RW_API rw_status rw_hsm_classes_from_assignment(rw_hsm_classes *cls, const int32_t *class_of, int n_words,
                                                int n_classes);
/* The assignment as text, "rewind-hsm 1 <V> <C>\n" and the V class ids
 * (malloc'd; free it), and back (the same checks; errors name the entry). */
RW_API char *rw_hsm_classes_to_text(const rw_hsm_classes *cls);
RW_API rw_status rw_hsm_classes_from_text(rw_hsm_classes *cls, const char *text);
RW_API void rw_hsm_classes_free(rw_hsm_classes *cls);

/* Mean over the non-padding positions of -log P(target | h) (0 when all
 * are padding). h: real [..., H]; class_w [C, H], class_b [C], word_w
 * [V, H], word_b [V]; targets int32 with h's leading shape, a negative
 * target marks padding (no loss, no gradient). Everything but the targets
 * gets a gradient. Recording fails on shapes that do not fit cls or a
 * target >= V. */
RW_API rw_node *rw_hsm_loss(rw_graph *g, rw_node *h, rw_node *class_w, rw_node *class_b, rw_node *word_w,
                            rw_node *word_b, rw_node *targets, const rw_hsm_classes *cls);

/* log P(w | h) for every word: [..., V] from h [..., H] (O(H (C + V)) a
 * row: for evaluation, sampling and top-k; rw_softmax of it is the
 * distribution). Differentiable in every input. */
RW_API rw_node *rw_hsm_log_probs(rw_graph *g, rw_node *h, rw_node *class_w, rw_node *class_b, rw_node *word_w,
                                 rw_node *word_b, const rw_hsm_classes *cls);

/* One word drawn from P(w | h) without the other words' probabilities:
 * the class from softmax(Wc h + bc), then the word from the softmax over
 * its class's words, O(H (C + |class|)) instead of rw_hsm_log_probs's
 * O(H (C + V)), with exactly the distribution exp(rw_hsm_log_probs). This
 * is sampling at temperature 1: softmax(log P(w) / T) for T != 1 does not
 * factor into a tempered class draw and a tempered word draw (each class's
 * normalizer changes with T), so sample such (or among the top k) from
 * rw_hsm_log_probs. `exclude` (a word id, e.g. <unk>; -1: none) is never
 * drawn: the other words keep their relative probabilities (a draw of it
 * is rejected and made again, at most once more). h: H reals (one row); the
 * parameters as for rw_hsm_loss; two uniforms are drawn from rng (four
 * after a rejection). Returns the word, or -1 (rw_last_error) on shapes
 * that do not fit cls or when no word can be drawn.
 *
 *   rw_rng rng = rw_rng_seed(1);
 *   int word = rw_hsm_sample(h_row, cw, cb, w, b, &cls, -1, &rng);  // cw .. b: the rw_tensor values
 */
RW_API int rw_hsm_sample(const rw_real *h, const rw_tensor *class_w, const rw_tensor *class_b,
                         const rw_tensor *word_w, const rw_tensor *word_b, const rw_hsm_classes *cls, int exclude,
                         rw_rng *rng);

#ifdef __cplusplus
}
#endif
#endif
