/* Internal: a model's loaded data and the batch sources over it. */
#ifndef RW_MODEL_DATA_INTERNAL_H
#define RW_MODEL_DATA_INTERNAL_H

#include "model_internal.h"

/* A share of a batch's sequences for data-parallel training (batch_shares.c). */
typedef struct mpart {
    rw_model_batch batch;
    rw_tensor inputs, targets, lengths, labels, features, values; /* views into buf */
    char *buf;
    size_t cap;
    rw_model_state *state;             /* its sequences' carried state */
    int first, count;
} mpart;

/* One split (training or validation) as a source of rw_model_batch. */
typedef struct msplit {
    rw_model *m;
    int which;                 /* 0 train, 1 valid */
    bool ready;
    /* kind chars: B streams read in windows of T (rewind/corpus.h) */
    rw_windows windows;
    int B, T;
    rw_tensor *in_buf, *tgt_buf;       /* [T, B] */
    rw_tensor in_view, tgt_view;       /* the current window (the last may be shorter) */
    rw_model_state *state;             /* carried from window to window */
    /* tsv kinds */
    rw_batcher *batcher;
    rw_model_batch batch;
    long tokens;
    double weight;
    mpart **parts;                     /* shares of the current batch (train.replicas) */
    int n_parts;
} msplit;

struct mdata {
    int32_t *tok[2];           /* kind chars: the token streams */
    size_t n_tok[2];
    rw_seqdata *set[2];        /* tsv kinds: the examples */
    msplit split[2];
};

void rwi_msplit_free(msplit *s);

/* batch_shares.c: the source callbacks that cut a split's batches into
 * shares of sequences (rw_train_source.columns, take_columns, columns_done),
 * and the shares' storage. */
int rwi_msplit_columns(void *ctx, const void *batch);
rw_status rwi_msplit_take_columns(void *ctx, const void *batch, int part, int first, int count, void **out,
                                  double *weight);
rw_status rwi_msplit_columns_done(void *ctx, const void *batch, int parts);
void rwi_msplit_parts_free(msplit *s);

#endif
