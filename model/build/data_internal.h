/* Internal: a model's loaded data and the batch sources over it. */
#ifndef RW_MODEL_DATA_INTERNAL_H
#define RW_MODEL_DATA_INTERNAL_H

#include "model_internal.h"

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
} msplit;

struct mdata {
    int32_t *tok[2];           /* kind chars: the token streams */
    size_t n_tok[2];
    rw_seqdata *set[2];        /* tsv kinds: the examples */
    msplit split[2];
};

void rwi_msplit_free(msplit *s);

#endif
