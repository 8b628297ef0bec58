/* Metrics by name, as model files and rw_train choose them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind/metrics.h"

static const struct {
    const char *name;
    rw_metric_kind kind;
} names[] = {
    { "accuracy", RW_METRIC_ACCURACY }, { "perplexity", RW_METRIC_PERPLEXITY }, { "f1", RW_METRIC_F1 },
    { "precision", RW_METRIC_PRECISION }, { "recall", RW_METRIC_RECALL }, { "mse", RW_METRIC_MSE },
    { "mae", RW_METRIC_MAE }, { "sequence_accuracy", RW_METRIC_SEQUENCE_ACCURACY },
    { "exact_match", RW_METRIC_EXACT_MATCH },
};

rw_status rw_metric_parse(const char *name, rw_metric *out)
{
    if (!name || !out)
        return rw_error(RW_ERR_ARG, "rw_metric_parse: NULL argument");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = (rw_metric){ .kind = names[i].kind };
            return RW_OK;
        }
    if (strncmp(name, "top", 3) == 0 && name[3] >= '1' && name[3] <= '9') {
        char *end;
        long k = strtol(name + 3, &end, 10);
        if (*end == '\0' && k >= 1 && k <= RW_METRICS_MAX_TOP_K) {
            *out = (rw_metric){ .kind = RW_METRIC_TOP_K, .k = (int)k };
            return RW_OK;
        }
    }
    return rw_error(RW_ERR_ARG, "unknown metric '%s' (known: accuracy, top1 .. top%d, perplexity, f1, precision, "
                    "recall, mse, mae, sequence_accuracy, exact_match)", name, RW_METRICS_MAX_TOP_K);
}

const char *rw_metric_name(rw_metric metric, char *buf, size_t len)
{
    if (metric.kind == RW_METRIC_TOP_K) {
        snprintf(buf, len, "top%d", metric.k);
        return buf;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].kind == metric.kind) {
            snprintf(buf, len, "%s", names[i].name);
            return buf;
        }
    snprintf(buf, len, "?");
    return buf;
}

int rw_metric_is_regression(rw_metric metric)
{
    return metric.kind == RW_METRIC_MSE || metric.kind == RW_METRIC_MAE;
}

double rw_metrics_value(const rw_metrics *m, rw_metric metric)
{
    switch (metric.kind) {
    case RW_METRIC_ACCURACY: return rw_metrics_accuracy(m);
    case RW_METRIC_TOP_K: return rw_metrics_top_k(m, metric.k);
    case RW_METRIC_PERPLEXITY: return rw_metrics_perplexity(m);
    case RW_METRIC_F1: return rw_metrics_macro_f1(m);
    case RW_METRIC_PRECISION: return rw_metrics_macro_precision(m);
    case RW_METRIC_RECALL: return rw_metrics_macro_recall(m);
    case RW_METRIC_MSE: return rw_metrics_mse(m);
    case RW_METRIC_MAE: return rw_metrics_mae(m);
    case RW_METRIC_SEQUENCE_ACCURACY: return rw_metrics_sequence_accuracy(m);
    case RW_METRIC_EXACT_MATCH: return rw_metrics_exact_match(m);
    }
    return NAN;
}
