/* The extra columns of the training log (rw_train_opts.log_columns): a
 * caller's measurements per step, e.g. a model's gradient diagnostics. */
#include <math.h>
#include "train_internal.h"

rw_status rwi_train_columns_check(const rw_train_opts *o)
{
    if (o->log_column_count == 0)
        return RW_OK;
    if (o->log_column_count < 0 || !o->log_columns || !o->log_values)
        return rw_error(RW_ERR_ARG, "rw_train: %d extra log columns need their names and a log_values callback",
                        o->log_column_count);
    for (int i = 0; i < o->log_column_count; i++)
        if (!o->log_columns[i])
            return rw_error(RW_ERR_ARG, "rw_train: extra log column %d has no name", i);
    return RW_OK;
}

int rwi_train_columns_log(FILE *log, const rw_train_opts *o, bool header, const double *values)
{
    for (int i = 0; i < o->log_column_count; i++) {
        int n = header ? fprintf(log, ",%s", o->log_columns[i])
              : values && !isnan(values[i]) ? fprintf(log, ",%.9g", values[i]) : fprintf(log, ",");
        if (n < 0)
            return n;
    }
    return 0;
}

rw_status rwi_train_columns_measure(const rw_train_opts *o, long step, double *values)
{
    if (o->log_column_count == 0)
        return RW_OK;
    for (int i = 0; i < o->log_column_count; i++)
        values[i] = NAN;
    return o->log_values(step, values, o->log_ctx);
}
