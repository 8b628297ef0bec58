/* Internal: data-parallel training in threads for rw_train (replicas.c). */
#ifndef RW_TRAIN_REPLICAS_H
#define RW_TRAIN_REPLICAS_H

#include <stdbool.h>
#include "rewind/train.h"

/* The most replicas rw_train takes. */
#define RWI_MAX_REPLICAS 64

typedef struct rwi_replicas rwi_replicas;

/* RW_ERR_ARG for inconsistent replica options (RW_OK without replicas). */
rw_status rwi_replicas_check(const rw_params *P, const rw_train_source *src, const rw_train_opts *o);
/* Share 0 runs on the trainer's graph g0, P and loss_ctx; the others on
 * o->replica_list, each with a graph of its own. */
rwi_replicas *rwi_replicas_new(rw_graph *g0, rw_params *P, void *loss_ctx, const rw_train_source *src,
                               rw_loss_fn loss, const rw_train_opts *o);
void rwi_replicas_free(rwi_replicas *r);

/* The loss and backward of `batch` cut into shares, run at once; P's
 * gradients become the weighted sum, *loss the weighted mean and *weight
 * the batch's weight. *split false (and nothing done): the batch has
 * fewer than two sequences, run it whole. */
rw_status rwi_replicas_backward(rwi_replicas *r, void *batch, double *loss, double *weight, bool *split);

#endif
