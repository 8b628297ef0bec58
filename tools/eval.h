/* tools/eval.h - measuring a model on data for `rewind eval`: on one of
 * the model's own splits, or on files read here (kind chars: text; kind
 * tsv_classify: label<TAB>text lines). */
#ifndef REWIND_TOOLS_EVAL_H
#define REWIND_TOOLS_EVAL_H

#include <rewind.h>

typedef struct eval_result {
    double loss_sum;    /* sum of the batches' mean losses, each times its weight */
    double weight;      /* sum of the weights (targets scored) */
    long correct;       /* classifiers: examples whose likeliest class is the label */
    long count;         /* classifiers: examples scored */
    long skipped;       /* examples left out (no tokens) */
    long unknown;       /* --data: input symbols the vocabulary lacks (read as <unk>) */
    long symbols;       /* --data: input symbols read */
    int mc_passes;      /* set by the caller: > 0 scores Monte-Carlo dropout over that many passes */
    struct eval_metrics *metrics; /* classifiers: per-class counts (walk.h), or NULL */
} eval_result;

/* Runs every batch of `src` (a source of rw_model_batch) in evaluation mode. */
rw_status eval_source(rw_model *m, const rw_train_source *src, eval_result *r);

/* Reads and scores the files (one dataset, in order). */
rw_status eval_files(rw_model *m, const char *const *paths, int n, eval_result *r);

/* Counts the symbols of ids[0..n) into r->symbols and those that are the
 * model's <unk> into r->unknown; eval_print_unknown appends
 * "  unknown symbols K of N (P%)" to a report line when K > 0. */
void eval_count_unknown(const rw_model *m, const int32_t *ids, int n, eval_result *r);
void eval_print_unknown(FILE *f, const eval_result *r);

/* Scores examples of the kinds lines, tsv_tagging, tsv_vectors and prints
 * "<what>: loss ..." with accuracy and per-class precision/recall, or mse
 * and mae (eval_examples.c). */
rw_status eval_examples(rw_model *m, const rw_seqdata *d, const char *what);

#endif
