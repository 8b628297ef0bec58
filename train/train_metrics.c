/* The metrics of rw_train: checked options, reset before each validation,
 * observed after each validation batch, read and logged at its end. */
#include <math.h>
#include "rewind/metrics.h"
#include "train_internal.h"

rw_status rwi_train_metrics_check(const rw_train_opts *o)
{
    if (o->metric_count == 0)
        return RW_OK;
    if (o->metric_count < 0 || o->metric_count > RW_TRAIN_MAX_METRICS)
        return rw_error(RW_ERR_ARG, "rw_train: metric_count %d (0 to %d)", o->metric_count, RW_TRAIN_MAX_METRICS);
    if (!o->metrics || !o->observe || !o->metric_list)
        return rw_error(RW_ERR_ARG, "rw_train: %d metrics without %s", o->metric_count,
                        !o->metrics ? "an accumulator (metrics)" : !o->observe ? "an observe callback"
                                                                               : "a metric_list");
    if (!o->valid)
        return rw_error(RW_ERR_ARG, "rw_train: metrics are computed at validation, which needs a validation source");
    return RW_OK;
}

int rwi_train_metrics_log(FILE *log, const rw_train_opts *o, bool header, const double *values)
{
    char name[32];
    for (int i = 0; i < o->metric_count; i++) {
        int n = header ? fprintf(log, ",%s", rw_metric_name(o->metric_list[i], name, sizeof name))
              : values ? fprintf(log, ",%.9g", values[i]) : fprintf(log, ",");
        if (n < 0)
            return n;
    }
    return 0;
}

void rwi_train_metrics_start(const rw_train_opts *o)
{
    if (o->metric_count > 0)
        rw_metrics_reset(o->metrics);
}

rw_status rwi_train_metrics_observe(const rw_train_opts *o, rw_graph *g, void *batch, rw_node *loss, void *loss_ctx)
{
    return o->metric_count > 0 ? o->observe(g, batch, loss, o->metrics, loss_ctx) : RW_OK;
}

void rwi_train_metrics_read(const rw_train_opts *o, double *values)
{
    for (int i = 0; i < o->metric_count; i++)
        values[i] = rw_metrics_value(o->metrics, o->metric_list[i]);
}
