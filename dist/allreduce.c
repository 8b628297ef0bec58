/* The weighted gradient average over the processes, in buckets: the
 * gradients of all parameters, as one stream in store order, are packed
 * (scaled by this shard's share of the total weight) into a buffer of at
 * most bucket_bytes, summed in place by one MPI_Allreduce per bucket, and
 * unpacked. Also the shard of a batch and the equal-parameters check. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/dist.h"
#include "dist_internal.h"

#define DEFAULT_BUCKET_BYTES ((size_t)8 << 20)

rw_status rw_dist_shard(int batch, int *first, int *count)
{
    int k = rw_dist_size(), r = rw_dist_rank();
    if (!first || !count)
        return rw_error(RW_ERR_ARG, "rw_dist_shard: NULL first or count");
    if (batch < k)
        return rw_error(RW_ERR_ARG, "rw_dist_shard: a batch of %d cannot be shared by %d processes (each needs at "
                        "least one column): use batches of at least %d, or drop the last, smaller batch", batch,
                        k, k);
    int base = batch / k, extra = batch % k;
    *count = base + (r < extra);
    *first = r * base + (r < extra ? r : extra);
    return RW_OK;
}

/* 64-bit FNV-1a over the parameter values: equal values, equal sums. */
static uint64_t params_checksum(const rw_params *P)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *v = rw_params_at(P, i)->value;
        const unsigned char *b = (const unsigned char *)v->data;
        for (size_t j = 0; j < v->size * sizeof(rw_real); j++)
            h = (h ^ b[j]) * 1099511628211ULL;
    }
    return h;
}

#ifndef RW_HAVE_MPI

rw_status rw_dist_allreduce_grads(rw_params *P, double *loss, double weight, size_t bucket_bytes)
{
    (void)bucket_bytes;
    if (!P || !loss)
        return rw_error(RW_ERR_ARG, "rw_dist_allreduce_grads: NULL parameters or loss");
    if (!(weight > 0) || isinf(weight))
        return rw_error(RW_ERR_ARG, "rw_dist_allreduce_grads: the weights sum to %g, not a positive number", weight);
    return RW_OK;
}

rw_status rw_dist_check_params(const rw_params *P)
{
    (void)params_checksum;
    return P ? RW_OK : rw_error(RW_ERR_ARG, "rw_dist_check_params: NULL parameters");
}

#else

#ifdef RW_DOUBLE
#define MPI_REAL_TYPE MPI_DOUBLE
#else
#define MPI_REAL_TYPE MPI_FLOAT
#endif

/* A position in the stream of all gradients: parameter, element. */
typedef struct cursor {
    int param;
    size_t off;
} cursor;

/* Copies n elements between the stream at *c and buf (packing scales by
 * `scale`), advancing *c. */
static void transfer(rw_params *P, cursor *c, rw_real *buf, size_t n, bool pack, rw_real scale)
{
    while (n > 0) {
        rw_tensor *g = rw_params_at(P, c->param)->grad;
        size_t take = g->size - c->off < n ? g->size - c->off : n;
        rw_real *at = g->data + c->off;
        if (pack)
            for (size_t i = 0; i < take; i++)
                buf[i] = at[i] * scale;
        else
            memcpy(at, buf, take * sizeof(rw_real));
        buf += take;
        n -= take;
        c->off += take;
        if (c->off == g->size) {
            c->param++;
            c->off = 0;
        }
    }
}

/* Sums sum = {loss * weight, weight} over the processes. A bad weight is
 * sent as NaN, so that every process sees the same failure. */
static rw_status reduce_weights(double *loss, double weight, double *total)
{
    bool ok = weight >= 0 && !isinf(weight);
    double sum[2] = { ok ? *loss * weight : NAN, ok ? weight : NAN };
    rw_status s = rwi_dist_status(MPI_Allreduce(MPI_IN_PLACE, sum, 2, MPI_DOUBLE, MPI_SUM, rwi_dist_comm()),
                                  "the all-reduce of the batch weights");
    if (s != RW_OK)
        return s;
    if (!(sum[1] > 0) || isinf(sum[1]))
        return rw_error(RW_ERR_ARG, "rw_dist_allreduce_grads: the shards' weights sum to %g (this process' weight "
                        "is %g): every weight must be finite and >= 0, and their sum > 0", sum[1], weight);
    *loss = sum[0] / sum[1];
    *total = sum[1];
    return RW_OK;
}

rw_status rw_dist_allreduce_grads(rw_params *P, double *loss, double weight, size_t bucket_bytes)
{
    if (!P || !loss)
        return rw_error(RW_ERR_ARG, "rw_dist_allreduce_grads: NULL parameters or loss");
    if (rwi_dist_comm() == MPI_COMM_NULL || rw_dist_size() == 1) /* one process: the average is its own */
        return weight > 0 && !isinf(weight) ? RW_OK
               : rw_error(RW_ERR_ARG, "rw_dist_allreduce_grads: the weight is %g, not a positive number", weight);
    double total = 0;
    rw_status s = reduce_weights(loss, weight, &total);
    if (s != RW_OK)
        return s;
    size_t n_all = rw_params_size(P), per = (bucket_bytes ? bucket_bytes : DEFAULT_BUCKET_BYTES) / sizeof(rw_real);
    if (per == 0)
        per = 1;
    if (per > n_all)
        per = n_all;
    rw_real *buf = rwi_malloc(per * sizeof(rw_real), "the gradient bucket");
    if (!buf)
        return RW_ERR_NOMEM;
    /* weight / total is 1/K exactly when the shards weigh the same and K is
     * a power of two: the sum is then the plain mean, rounded once */
    rw_real scale = (rw_real)(weight / total);
    cursor in = { 0, 0 }, out = { 0, 0 };
    for (size_t done = 0; done < n_all && s == RW_OK; done += per) {
        size_t n = n_all - done < per ? n_all - done : per;
        transfer(P, &in, buf, n, true, scale);
        s = rwi_dist_status(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_REAL_TYPE, MPI_SUM, rwi_dist_comm()),
                            "the all-reduce of the gradients");
        if (s == RW_OK)
            transfer(P, &out, buf, n, false, 1);
    }
    rwi_free(buf);
    return s;
}

rw_status rw_dist_check_params(const rw_params *P)
{
    if (!P)
        return rw_error(RW_ERR_ARG, "rw_dist_check_params: NULL parameters");
    if (rwi_dist_comm() == MPI_COMM_NULL || rw_dist_size() == 1)
        return RW_OK;
    unsigned long long mine = params_checksum(P), *all = rwi_malloc(sizeof *all * (size_t)rw_dist_size(),
                                                                     "the parameter checksums");
    if (!all)
        return RW_ERR_NOMEM;
    rw_status s = rwi_dist_status(MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG,
                                                rwi_dist_comm()), "the exchange of parameter checksums");
    for (int r = 1; s == RW_OK && r < rw_dist_size(); r++)
        if (all[r] != all[0])
            s = rw_error(RW_ERR_STATE, "rw_dist_check_params: rank %d holds other parameter values than rank 0 "
                         "(different seeds or model files?)", r);
    rwi_free(all);
    return s;
}

#endif
