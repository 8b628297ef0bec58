/* rw_train made data-parallel: the after_backward hook that averages the
 * gradients and agrees on the stop flag, the after_validation hook that
 * adds up the processes' shares of a validation, both under the watchdog,
 * and the options that leave files and progress to rank 0. */
#include <stdio.h>
#include <stdlib.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/metrics_sums.h"
#include "rewind/dist.h"
#include "dist_internal.h"

#define DEFAULT_TIMEOUT 120.0

static double timeout_of(const rw_dist_train *d)
{
    const char *env = getenv("REWIND_DIST_TIMEOUT");
    char *end;
    double t = env ? strtod(env, &end) : 0;
    if (env && *end == '\0' && t > 0)
        return t;
    return d->timeout > 0 ? d->timeout : DEFAULT_TIMEOUT;
}

/* Sets *any when any process' flag is set. */
static rw_status agree(int flag, int *any)
{
#ifdef RW_HAVE_MPI
    if (rwi_dist_comm() != MPI_COMM_NULL)
        return rwi_dist_status(MPI_Allreduce(&flag, any, 1, MPI_INT, MPI_MAX, rwi_dist_comm()),
                               "the agreement on stopping");
#endif
    *any = flag;
    return RW_OK;
}

rw_status rw_dist_train_hook(rw_params *P, double *loss, double weight, void *ctx)
{
    rw_dist_train *d = ctx;
    if (!d)
        return rw_error(RW_ERR_ARG, "rw_dist_train_hook: NULL rw_dist_train (the hook's context)");
    rw_status s = RW_OK;
#ifdef RW_HAVE_MPI
    char what[96];
    snprintf(what, sizeof what, "the gradient all-reduce of step %ld of this run", d->steps + 1);
    rwi_dist_watch(timeout_of(d), what);
#else
    (void)timeout_of;
#endif
    if (!d->checked) {
        s = rw_dist_check_params(P);
        d->checked = true;
    }
    if (s == RW_OK)
        s = rw_dist_allreduce_grads(P, loss, weight, d->bucket_bytes);
    int any = 0;
    if (s == RW_OK && (s = agree(d->local_stop && *d->local_stop, &any)) == RW_OK && any)
        d->agreed_stop = 1;
#ifdef RW_HAVE_MPI
    rwi_dist_unwatch();
#endif
    d->steps++;
    return s;
}

rw_status rw_dist_valid_hook(double *loss_sum, double *weight_sum, long *batches, rw_metrics *metrics, void *ctx)
{
    rw_dist_train *d = ctx;
    if (!d || !loss_sum || !weight_sum || !batches)
        return rw_error(RW_ERR_ARG, "rw_dist_valid_hook: NULL %s", !d ? "rw_dist_train (the hook's context)" : "sum");
#ifdef RW_HAVE_MPI
    if (rwi_dist_comm() == MPI_COMM_NULL || rw_dist_size() == 1)
        return RW_OK;
    /* the loss and weight sums, the batches, the metrics: one message */
    size_t n = 3 + rwi_metrics_sums_size(metrics);
    double *sums = rwi_malloc(n * sizeof *sums, "the validation sums");
    if (!sums)
        return RW_ERR_NOMEM;
    sums[0] = *loss_sum;
    sums[1] = *weight_sum;
    sums[2] = (double)*batches;
    if (metrics)
        rwi_metrics_to_sums(metrics, sums + 3);
    char what[96];
    snprintf(what, sizeof what, "the validation all-reduce after step %ld of this run", d->steps);
    rwi_dist_watch(timeout_of(d), what);
    rw_status s = rwi_dist_status(MPI_Allreduce(MPI_IN_PLACE, sums, (int)n, MPI_DOUBLE, MPI_SUM, rwi_dist_comm()),
                                  "the all-reduce of the validation sums");
    rwi_dist_unwatch();
    if (s == RW_OK) {
        *loss_sum = sums[0];
        *weight_sum = sums[1];
        *batches = (long)sums[2];
        if (metrics)
            rwi_metrics_from_sums(metrics, sums + 3);
    }
    rwi_free(sums);
    return s;
#else
    (void)metrics;
    return RW_OK;
#endif
}

void rw_dist_train_setup(rw_dist_train *d, rw_train_opts *o)
{
    d->local_stop = o->stop;
    d->agreed_stop = 0;
    d->steps = 0;
    d->checked = false;
    o->stop = &d->agreed_stop;
    o->after_backward = rw_dist_train_hook;
    o->after_backward_ctx = d;
    o->after_validation = rw_dist_valid_hook;
    o->after_validation_ctx = d;
    if (rw_dist_rank() != 0) {
        o->log_path = NULL;
        o->checkpoint_path = NULL;
        o->checkpoint_every = 0;
        o->progress = NULL;
    }
}
