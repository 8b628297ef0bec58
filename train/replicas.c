/* Data-parallel training in threads (rw_train_opts.replicas): a step's
 * batch cut into shares of sequences, each share's loss and backward run at
 * once on its own copy of the model (its own graph and gradients, the
 * trained store's values), then the gradients added into the trained
 * store's, weighted by each share's part of the batch's weight.
 *
 * Why replicas rather than splitting each op: the ops of a small recurrent
 * step (a few thousand elements) cost less than handing half of them to
 * another core (bench/pool_dispatch), while a whole share of a step keeps
 * each core busy for milliseconds on data that stays in its own caches. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/parallel.h"
#include "replicas.h"

typedef struct share {
    rw_graph *g;             /* share 0: the trainer's graph */
    rw_params *P;
    void *loss_ctx;
    rw_rng *rng;             /* NULL: nothing to set */
    void *batch;
    int first, count;        /* its sequences of the batch */
    double weight, loss;
    rw_status status;
    char message[512];
} share;

struct rwi_replicas {
    int n;
    share *shares;
    const rw_train_source *src;
    rw_loss_fn loss;
    const rw_rng *rng;       /* the options' generator, copied into every share's */
    int parts;               /* shares of the current batch */
    int shard_first, shard_total; /* the batch's own place in a process-level shard (MPI), else 0 and B */
};

rw_status rwi_replicas_check(const rw_params *P, const rw_train_source *src, const rw_train_opts *o)
{
    if (o->replicas < 0)
        return rw_error(RW_ERR_ARG, "rw_train: replicas %d must be >= 0", o->replicas);
    if (o->replicas < 2)
        return RW_OK;
    if (o->replicas > RWI_MAX_REPLICAS)
        return rw_error(RW_ERR_ARG, "rw_train: %d replicas; at most %d", o->replicas, RWI_MAX_REPLICAS);
    if (!o->replica_list)
        return rw_error(RW_ERR_ARG, "rw_train: %d replicas without their replica_list (%d copies of the model)",
                        o->replicas, o->replicas - 1);
    if (!src->columns || !src->take_columns)
        return rw_error(RW_ERR_ARG, "rw_train: %d replicas, but the training source cannot cut its batches into "
                        "shares (it has no columns and take_columns callbacks)", o->replicas);
    for (int r = 1; r < o->replicas; r++) {
        const rw_train_replica *rep = &o->replica_list[r - 1];
        if (!rep->P || rep->P == P)
            return rw_error(RW_ERR_ARG, "rw_train: replica %d %s", r, !rep->P ? "has no parameter store"
                            : "uses the trained store itself (it needs its own, sharing the values)");
        if (rw_params_count(rep->P) != rw_params_count(P) ||
            (rw_params_count(P) > 0 && rw_params_at(rep->P, 0)->value != rw_params_at(P, 0)->value))
            return rw_error(RW_ERR_ARG, "rw_train: replica %d's store does not share the trained store's values "
                            "(build the same model on it, then call rw_params_share_values)", r);
    }
    return RW_OK;
}

rwi_replicas *rwi_replicas_new(rw_graph *g0, rw_params *P, void *loss_ctx, const rw_train_source *src,
                               rw_loss_fn loss, const rw_train_opts *o)
{
    rwi_replicas *r = rwi_calloc(1, sizeof *r, "the data-parallel replicas");
    if (!r)
        return NULL;
    r->n = o->replicas;
    r->src = src;
    r->loss = loss;
    r->rng = o->rng;
    if (!(r->shares = rwi_calloc((size_t)r->n, sizeof *r->shares, "the data-parallel shares"))) {
        rwi_free(r);
        return NULL;
    }
    r->shares[0] = (share){ .g = g0, .P = P, .loss_ctx = loss_ctx };
    for (int i = 1; i < r->n; i++) {
        const rw_train_replica *rep = &o->replica_list[i - 1];
        r->shares[i] = (share){ .P = rep->P, .loss_ctx = rep->loss_ctx, .rng = rep->rng };
        if (!(r->shares[i].g = rw_graph_new())) {
            rwi_replicas_free(r);
            return NULL;
        }
    }
    return r;
}

void rwi_replicas_free(rwi_replicas *r)
{
    if (!r)
        return;
    for (int i = 1; i < r->n; i++)
        rw_graph_free(r->shares[i].g);
    rwi_free(r->shares);
    rwi_free(r);
}

/* One share's loss and backward, on whichever thread runs it; a failure's
 * message is kept, since each thread has its own. */
static void run_share(rwi_replicas *r, share *sh)
{
    rw_error_clear();
    rw_graph_reset(sh->g);
    sh->status = rw_graph_set_batch_shard(sh->g, r->shard_first + sh->first, sh->count, r->shard_total);
    rw_node *L = sh->status == RW_OK ? r->loss(sh->g, sh->batch, sh->loss_ctx) : NULL;
    if (sh->status == RW_OK && !L)
        sh->status = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_STATE;
    if (sh->status == RW_OK) {
        rw_params_zero_grad(sh->P);
        sh->status = rw_backward(sh->g, L);
    }
    if (sh->status == RW_OK)
        sh->loss = (double)rw_scalar(L);
    else
        snprintf(sh->message, sizeof sh->message, "%s", rw_last_status() != RW_OK ? rw_last_error()
                 : "it failed without an error message");
}

static void run_shares(void *ctx, size_t lo, size_t hi)
{
    rwi_replicas *r = ctx;
    for (size_t i = lo; i < hi; i++)
        run_share(r, &r->shares[i]);
}

typedef struct sum_job {
    rw_real *dst;
    const rw_real *const *src; /* shares 1 .. parts-1 */
    const rw_real *scale;      /* per share */
    int parts;
} sum_job;

/* dst = scale[0] dst + scale[1] src[0] + ...: the same order whichever
 * thread runs a range. */
static void weighted_sum(void *ctx, size_t lo, size_t hi)
{
    const sum_job *j = ctx;
    for (size_t e = lo; e < hi; e++) {
        rw_real v = j->scale[0] * j->dst[e];
        for (int k = 1; k < j->parts; k++)
            v += j->scale[k] * j->src[k - 1][e];
        j->dst[e] = v;
    }
}

static void add_gradients(rwi_replicas *r, const rw_real *scale)
{
    rw_params *P = r->shares[0].P;
    const rw_real *src[RWI_MAX_REPLICAS];
    for (int i = 0; i < rw_params_count(P); i++) {
        for (int k = 1; k < r->parts; k++)
            src[k - 1] = rw_params_at(r->shares[k].P, i)->grad->data;
        rw_tensor *g = rw_params_at(P, i)->grad;
        sum_job j = { .dst = g->data, .src = src, .scale = scale, .parts = r->parts };
        rwi_parallel_for(g->size, RWI_GRAIN_ARITH, 16, weighted_sum, &j);
    }
}

rw_status rwi_replicas_backward(rwi_replicas *r, void *batch, double *loss, double *weight, bool *split)
{
    const rw_train_source *src = r->src;
    int B = src->columns(src->ctx, batch);
    *split = false;
    if (B < 0)
        return rw_error(RW_ERR_ARG, "the source's columns callback gave %d sequences", B);
    r->parts = B < r->n ? B : r->n;
    /* the trainer's graph holds the whole batch unless a share says otherwise */
    rw_graph_set_batch_shard(r->shares[0].g, 0, 0, 0);
    if (r->parts < 2)
        return RW_OK; /* the caller runs the step unsplit */
    int first = 0, count = 0, total = 0;
    if (src->shard)
        src->shard(src->ctx, batch, &first, &count, &total);
    r->shard_first = count > 0 ? first : 0;
    r->shard_total = count > 0 ? total : B;
    rw_status s = RW_OK;
    for (int k = 0; k < r->parts && s == RW_OK; k++) {
        share *sh = &r->shares[k];
        int base = B / r->parts, extra = B % r->parts;
        sh->count = base + (k < extra);
        sh->first = k * base + (k < extra ? k : extra);
        sh->weight = 0;
        sh->status = RW_OK;
        if (sh->rng && r->rng)
            *sh->rng = *r->rng;
        s = src->take_columns(src->ctx, batch, k, sh->first, sh->count, &sh->batch, &sh->weight);
        if (s == RW_OK && (!sh->batch || !(sh->weight >= 0) || isinf(sh->weight)))
            s = rw_error(RW_ERR_ARG, "the source's take_columns gave %s for sequences [%d, %d)",
                         !sh->batch ? "no batch" : "a weight that is not a finite number >= 0", sh->first,
                         sh->first + sh->count);
        if (s != RW_OK)
            rw_error_prefix("data-parallel share %d of %d", k + 1, r->parts);
    }
    if (s != RW_OK)
        return s;
    *split = true;
    rwi_parallel_for((size_t)r->parts, 1, 1, run_shares, r);
    for (int k = 0; k < r->parts; k++)
        if (r->shares[k].status != RW_OK)
            return rw_error(r->shares[k].status, "data-parallel share %d of %d (sequences [%d, %d)): %s", k + 1,
                            r->parts, r->shares[k].first, r->shares[k].first + r->shares[k].count,
                            r->shares[k].message);
    /* each share's loss is a mean over its own weight: the batch's mean
     * weighs them by their part of the whole (by sequences when the
     * weights say nothing) */
    double W = 0;
    for (int k = 0; k < r->parts; k++)
        W += r->shares[k].weight;
    rw_real scale[RWI_MAX_REPLICAS];
    *loss = 0;
    for (int k = 0; k < r->parts; k++) {
        double f = W > 0 ? r->shares[k].weight / W : (double)r->shares[k].count / B;
        scale[k] = (rw_real)f;
        *loss += f * r->shares[k].loss;
    }
    *weight = W > 0 ? W : 1;
    add_gradients(r, scale);
    rw_graph_set_batch_shard(r->shares[0].g, 0, 0, 0); /* validation runs whole batches on it */
    if (src->columns_done && (s = src->columns_done(src->ctx, batch, r->parts)) != RW_OK)
        rw_error_prefix("data-parallel shares: the source's columns_done");
    return s;
}
