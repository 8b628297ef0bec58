/* `rewind eval` for the data kinds read as examples (lines, tsv_tagging,
 * tsv_vectors): the loss and, from every prediction, the accuracy with
 * per-class precision and recall, or the mse and mae of real targets. */
#include <math.h>
#include <stdio.h>
#include "eval.h"
#include "walk.h"

static void count(void *ctx, const rw_model *m, const walk_item *it)
{
    eval_metrics *e = ctx;
    if (it->truth_values) {
        for (int k = 0; k < it->width; k++)
            eval_metrics_value(e, (double)it->out[k], (double)it->truth_values[k]);
        return;
    }
    (void)m;
    eval_metrics_class(e, walk_argmax(it->out, it->width), it->truth);
}

static const char *class_name(const rw_model *m, int id) { return rw_model_label(m, id); }

rw_status eval_examples(rw_model *m, const rw_seqdata *d, const char *what)
{
    eval_metrics e;
    if (eval_metrics_init(&e, rw_model_tag_classes(m)) != RW_OK)
        return rw_last_status();
    double loss = 0, weight = 0;
    rw_status st = walk_examples(m, d, count, &e, &loss, &weight);
    if (st == RW_OK) {
        double mean = weight > 0 ? loss / weight : 0;
        printf("%s: loss %.4f", what, mean);
        rw_model_target t = rw_model_target_kind(m);
        if (t == RW_TARGET_NEXT || t == RW_TARGET_ALIGNED)
            printf("  perplexity %.3f", exp(mean));
        eval_metrics_print(stdout, &e, class_name, m);
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
    eval_metrics_free(&e);
    return st;
}
