/* train.metrics: which metrics rw_train computes at each validation, and
 * the observe callback that feeds them the logits rw_model_loss scored. */
#include <stdio.h>
#include "rewind/model_seq2seq.h"
#include "yaml/diag.h"
#include "model_internal.h"

rw_status rwi_mparse_metrics(rw_model *m, const ynode *list)
{
    rw_model_train_config *t = &m->train;
    if (rwi_ys_expect(list, Y_SEQ, "metrics") != RW_OK)
        return RW_ERR_FORMAT;
    int max = (int)(sizeof t->metrics / sizeof t->metrics[0]);
    if (list->n > max)
        return rwi_ydiag(RW_ERR_FORMAT, list, "'metrics' lists %d metrics; at most %d", list->n, max);
    t->n_metrics = 0;
    for (int i = 0; i < list->n; i++) {
        const ynode *item = list->vals[i];
        char name[64];
        rw_metric metric;
        if (rwi_ys_text(&m->ctx, item, "metrics", name, sizeof name, NULL) != RW_OK)
            return RW_ERR_FORMAT;
        if (rw_metric_parse(name, &metric) != RW_OK)
            return rwi_ydiag(RW_ERR_FORMAT, item, "%s", rw_last_error());
        for (int k = 0; k < t->n_metrics; k++)
            if (t->metrics[k].kind == metric.kind && t->metrics[k].k == metric.k)
                return rwi_ydiag(RW_ERR_FORMAT, item, "metric '%s' is listed twice", name);
        m->metric_at[t->n_metrics] = item;
        t->metrics[t->n_metrics++] = metric;
    }
    return RW_OK;
}

rw_status rwi_mcheck_metrics(const rw_model *m)
{
    bool real = m->has_layers && !m->s2s && m->loss != MLOSS_CROSS_ENTROPY;
    for (int i = 0; i < m->train.n_metrics; i++) {
        char name[32];
        rw_metric_name(m->train.metrics[i], name, sizeof name);
        if (m->train.metrics[i].kind == RW_METRIC_EXACT_MATCH && !rw_model_is_seq2seq(m))
            return rwi_ydiag(RW_ERR_FORMAT, m->metric_at[i], "metric 'exact_match' compares the greedy decoding of "
                             "each source with its target: it needs an encoder-decoder (model.graph, data kind "
                             "tsv_seq2seq); use sequence_accuracy for a whole sequence right step by step");
        if (rw_metric_is_regression(m->train.metrics[i]) && !real)
            return rwi_ydiag(RW_ERR_FORMAT, m->metric_at[i], "metric '%s' needs real-valued predictions; this model's "
                             "output predicts classes (use accuracy, topK, perplexity, f1, precision or recall)", name);
        if (!rw_metric_is_regression(m->train.metrics[i]) && real)
            return rwi_ydiag(RW_ERR_FORMAT, m->metric_at[i], "metric '%s' needs class predictions; this model's "
                             "output gives real values (loss %s: use mse or mae)", name,
                             m->loss == MLOSS_BCE ? "bce" : "mse");
    }
    return RW_OK;
}

/* Real outputs: every value counts, but per-step values only on the steps
 * before each sequence's end (the inputs' padding). */
static rw_status observe_values(rw_model *m, rw_metrics *metrics)
{
    const rw_tensor *pred = &m->last_values->value, *in = m->last_inputs;
    rw_tensor *mask = NULL;
    if (pred->shape.ndim == 3 && in && in->dtype == RW_INT32 && in->shape.ndim == 2) {
        if (!(mask = rw_tensor_new(RW_REAL, pred->shape)))
            return rw_last_status();
        size_t K = (size_t)pred->shape.dim[2];
        for (size_t i = 0; i < mask->size; i++)
            mask->data[i] = in->idata[i / K] >= 0 ? 1 : 0;
    }
    rw_status s = rw_metrics_add_values(metrics, pred, m->last_values_want, mask);
    rw_tensor_free(mask);
    return s;
}

/* rw_train's observe: the logits and targets of the loss just built on g. */
static rw_status observe(rw_graph *g, void *batch, rw_node *loss, rw_metrics *metrics, void *ctx)
{
    rw_model *m = ctx;
    (void)g;
    (void)loss;
    if (m->last_values && m->last_values_want) {
        rw_status s = observe_values(m, metrics);
        m->last_values = NULL;
        m->last_values_want = m->last_inputs = NULL;
        return s;
    }
    for (int i = 0; m->s2s && i < m->train.n_metrics; i++)
        if (m->train.metrics[i].kind == RW_METRIC_EXACT_MATCH) { /* greedy decoding of each source */
            long right = 0, count = 0;
            rw_status s = rwi_ms2s_batch_matches(m, batch, &right, &count);
            if (s == RW_OK)
                s = rw_metrics_add_exact_matches(metrics, right, count);
            if (s != RW_OK)
                return s;
        }
    if (!m->last_logits || !m->last_want)
        return rw_error(RW_ERR_STATE, "model '%s': no logits to score (the loss was not built by rw_model_loss)",
                        m->name);
    rw_status s = rw_metrics_add_scores(metrics, &m->last_logits->value, m->last_want, NULL);
    /* a target per step: whole sequences too, when sequence_accuracy is listed */
    for (int i = 0; s == RW_OK && i < m->train.n_metrics; i++)
        if (m->train.metrics[i].kind == RW_METRIC_SEQUENCE_ACCURACY && m->last_want->shape.ndim == 2)
            s = rw_metrics_add_sequences(metrics, &m->last_logits->value, m->last_want, NULL);
    m->last_logits = NULL;
    m->last_want = NULL;
    return s;
}

rw_status rwi_mmetrics_train_opts(rw_model *m, rw_train_opts *o)
{
    const rw_model_train_config *t = &m->train;
    if (t->n_metrics == 0 || !m->has_layers)
        return RW_OK;
    if (!o->valid)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(m->train_at, "metrics"), "model '%s': 'metrics' are computed at "
                     "validation, and the data has no validation split", m->name);
    int classes = m->s2s ? m->vocab.n : m->layers[m->n_layers - 1].out_width;
    if (!m->metrics && !(m->metrics = rw_metrics_new(classes)))
        return rw_last_status();
    o->metrics = m->metrics;
    o->observe = observe;
    o->metric_list = t->metrics;
    o->metric_count = t->n_metrics;
    return RW_OK;
}
