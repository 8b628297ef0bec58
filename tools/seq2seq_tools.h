/* tools/seq2seq_tools.h - what the commands share for encoder-decoder
 * models (model.graph): exact match on files and splits, and the attention
 * heat map of `rewind translate --attention`. */
#ifndef REWIND_TOOLS_SEQ2SEQ_H
#define REWIND_TOOLS_SEQ2SEQ_H

#include <stdio.h>
#include <rewind.h>
#include "eval.h"

/* Scores source<TAB>target files: the loss of each example (added to
 * r->loss_sum and r->weight per target token and </s>) and greedy exact
 * match (r->correct of r->count). */
rw_status seq2seq_eval_files(rw_model *m, const char *const *paths, int n, eval_result *r);

/* Prints "rewind: <what> exact match 99.40% (497 of 500)" on f. */
rw_status seq2seq_report_exact_match(FILE *f, rw_model *m, rw_model_split split, const char *what);

/* A standalone SVG: one row per output token, one column per source
 * token, each cell shaded by its weight (white 0, black 1) with the value
 * on hover, the tokens as labels. weights: [rows, cols]. */
rw_status attention_svg_write(const char *path, const char *const *src_tokens, int cols,
                              const char *const *out_tokens, int rows, const rw_real *weights);

#endif
