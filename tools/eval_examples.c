/* `rewind eval` for the data kinds read as examples (lines, tsv_tagging,
 * tsv_vectors): the loss and, from every prediction, the accuracy with
 * per-class precision and recall, or the mse and mae of real targets; for
 * a target per step also the share of whole sequences right at every step
 * (strings of a grammar, sums right in every bit). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "eval.h"
#include "walk.h"

/* The predictions and targets of the example being visited (the walk visits
 * an example's steps one after another). */
typedef struct eval_ctx {
    eval_metrics e;
    rw_metrics *seq;
    int example, n, cap;
    int32_t *pred, *truth;
    rw_status st;
} eval_ctx;

/* Scores the example gathered so far as one sequence, [n, 1]. */
static void flush(eval_ctx *c)
{
    if (c->n == 0 || c->st != RW_OK)
        return;
    rw_tensor *p = rw_tensor_from_ints(rw_shape2(c->n, 1), c->pred);
    rw_tensor *t = rw_tensor_from_ints(rw_shape2(c->n, 1), c->truth);
    c->st = p && t ? rw_metrics_add_sequences(c->seq, p, t, NULL) : rw_last_status();
    rw_tensor_free(p);
    rw_tensor_free(t);
    c->n = 0;
}

static void remember(eval_ctx *c, int example, int predicted, int truth)
{
    if (example != c->example)
        flush(c);
    c->example = example;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        int32_t *p = realloc(c->pred, (size_t)cap * sizeof *p), *t = p ? realloc(c->truth, (size_t)cap * sizeof *t) : NULL;
        c->pred = p ? p : c->pred;
        c->truth = t ? t : c->truth;
        if (!p || !t) {
            c->st = rw_error(RW_ERR_NOMEM, "out of memory for the steps of example %d", example);
            return;
        }
        c->cap = cap;
    }
    c->pred[c->n] = predicted;
    c->truth[c->n++] = truth;
}

static void count(void *vctx, const rw_model *m, const walk_item *it)
{
    eval_ctx *c = vctx;
    (void)m;
    if (it->truth_values) {
        for (int k = 0; k < it->width; k++)
            eval_metrics_value(&c->e, (double)it->out[k], (double)it->truth_values[k]);
        return;
    }
    int predicted = walk_argmax(it->out, it->width);
    eval_metrics_class(&c->e, predicted, it->truth);
    if (it->step >= 0 && c->seq)
        remember(c, it->example, predicted, it->truth);
}

static const char *class_name(const rw_model *m, int id) { return rw_model_label(m, id); }

rw_status eval_examples(rw_model *m, const rw_seqdata *d, const char *what)
{
    eval_ctx c = { .example = -1, .st = RW_OK };
    if (eval_metrics_init(&c.e, rw_model_tag_classes(m)) != RW_OK)
        return rw_last_status();
    rw_model_target t = rw_model_target_kind(m);
    bool per_step_classes = t == RW_TARGET_TAGS || t == RW_TARGET_NEXT || t == RW_TARGET_ALIGNED;
    /* ids are checked against the classes: room for any token or tag id */
    if (per_step_classes && !(c.seq = rw_metrics_new(rw_model_tag_classes(m) + rw_model_vocab_size(m)))) {
        eval_metrics_free(&c.e);
        return rw_last_status();
    }
    double loss = 0, weight = 0;
    rw_status st = walk_examples(m, d, count, &c, &loss, &weight);
    flush(&c);
    st = st == RW_OK ? c.st : st;
    if (st == RW_OK) {
        double mean = weight > 0 ? loss / weight : 0;
        printf("%s: loss %.4f", what, mean);
        if (t == RW_TARGET_NEXT || t == RW_TARGET_ALIGNED)
            printf("  perplexity %.3f", exp(mean));
        if (c.seq && rw_metrics_sequences(c.seq) > 0)
            printf("  sequences %.2f%% (%ld of %ld right at every step)", 100 * rw_metrics_sequence_accuracy(c.seq),
                   (long)lround(rw_metrics_sequence_accuracy(c.seq) * (double)rw_metrics_sequences(c.seq)),
                   rw_metrics_sequences(c.seq));
        eval_metrics_print(stdout, &c.e, class_name, m);
        eval_result u = { .unknown = 0 };
        for (int i = 0; i < rw_seqdata_count(d); i++) {
            int len = 0;
            const int32_t *ids = rw_seqdata_source(d, i, &len);
            if (ids)
                eval_count_unknown(m, ids, len, &u);
        }
        eval_print_unknown(stdout, &u);
        printf("\n");
    }
    free(c.pred);
    free(c.truth);
    rw_metrics_free(c.seq);
    eval_metrics_free(&c.e);
    return st;
}
