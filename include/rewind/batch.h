/* rewind/batch.h - datasets of variable-length token sequences, and
 * mini-batches of them padded into time-major tensors.
 *
 * An rw_seqdata holds examples: a source sequence of int32 tokens, with
 * either a target sequence (sequence-to-sequence) or a class label
 * (classification), or both. An rw_batcher cuts it into mini-batches of B
 * examples in one of five orders (shuffled; sorted by source length; by
 * target length; by source then target; by target then source), optionally
 * shuffles the order of the batches, and writes each batch into buffers it
 * owns: once made, a batcher never allocates.
 *
 *   rw_seqdata *d = rw_seqdata_new();
 *   rw_seqdata_add(d, src, n, tgt, m, -1);          // a pair, no label
 *   rw_batcher *b = rw_batcher_new(d, &(rw_batcher_opts){ .batch_size = 32,
 *                       .order = RW_ORDER_SOURCE_LENGTH, .shuffle_batches = true, .seed = 7 });
 *   for (int epoch = 0; epoch < 10; epoch++) {
 *       rw_batcher_start_epoch(b, epoch);
 *       const rw_batch *x;
 *       while ((x = rw_batcher_next(b)) != NULL)
 *           ...  x->sources is int32 [T, B], -1 past each sequence's end
 *   }
 *
 * The order of epoch e is a pure function of (seed, e): rerunning an epoch,
 * or resuming at epoch e after a restart, gives the same batches.
 */
#ifndef REWIND_BATCH_H
#define REWIND_BATCH_H

#include "rewind/export.h"
#include <stdbool.h>
#include <stdint.h>
#include "rewind/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value written past the end of a sequence in a padded batch. Our
 * cross-entropy ignores negative targets, so padded targets add nothing. */
#define RW_PAD (-1)

/* ---- datasets ----------------------------------------------------------- */

typedef struct rw_seqdata rw_seqdata;

RW_API rw_seqdata *rw_seqdata_new(void);
RW_API void rw_seqdata_free(rw_seqdata *d);

/* Appends one example (the tokens are copied). src: src_len >= 1 tokens.
 * tgt: NULL (tgt_len 0) for no target sequence, else tgt_len >= 1 tokens;
 * either every example of a dataset has a target or none has. label: the
 * class, or any negative value for none. Tokens must be >= 0 (negative
 * values mark padding). RW_ERR_ARG on any violation, naming the example. */
RW_API rw_status rw_seqdata_add(rw_seqdata *d, const int32_t *src, int src_len,
                         const int32_t *tgt, int tgt_len, int32_t label);

RW_API int rw_seqdata_count(const rw_seqdata *d);
/* True when the examples carry target sequences. */
RW_API bool rw_seqdata_has_targets(const rw_seqdata *d);
/* Example i's source / target tokens (NULL when out of range or absent);
 * *len receives the length (0 when absent). */
RW_API const int32_t *rw_seqdata_source(const rw_seqdata *d, int i, int *len);
RW_API const int32_t *rw_seqdata_target(const rw_seqdata *d, int i, int *len);
/* Example i's label (negative: none, or i out of range). */
RW_API int32_t rw_seqdata_label(const rw_seqdata *d, int i);
/* The longest source / target over the dataset (0 when empty / absent). */
RW_API int rw_seqdata_max_source_len(const rw_seqdata *d);
RW_API int rw_seqdata_max_target_len(const rw_seqdata *d);

/* ---- real values ------------------------------------------------------------
 *
 * A dataset can carry real-valued features instead of source tokens (an
 * input vector of feature_width values per step) and real targets
 * (value_width values per sequence, or per step). Set the widths once,
 * before the first example, then add every example with
 * rw_seqdata_add_example. A real-featured example's source tokens are all 0
 * (they only mark its steps), so lengths, sorting and padding work as for
 * tokens; its batch carries the features beside them.
 *
 *   rw_seqdata *d = rw_seqdata_new();
 *   rw_seqdata_set_reals(d, 2, 1, false);          // 2 features per step, 1 real target per sequence
 *   rw_real x[3 * 2] = { 0.5, 0, 0.25, 1, 0.75, 1 }, y = 1.0;
 *   rw_seqdata_add_example(d, &(rw_example){ .features = x, .len = 3, .label = -1, .values = &y });
 *   // a batch of it: x->features real [3, B, 2], x->values real [B, 1], zeros past each end
 */

typedef struct rw_example {
    const int32_t *source;   /* [len] token ids, or NULL when the dataset has real features */
    const rw_real *features; /* [len, feature_width], row-major by step; NULL for token data */
    int len;                 /* steps, >= 1 */
    const int32_t *target;   /* a token or tag sequence [target_len], or NULL */
    int target_len;
    int32_t label;           /* the class, negative for none */
    const rw_real *values;   /* real targets: [value_width], or [len, value_width] per step; NULL for none */
} rw_example;

/* Widths of the real features and targets (0: none) and whether the real
 * targets are per step. RW_ERR_STATE once the dataset has examples. */
RW_API rw_status rw_seqdata_set_reals(rw_seqdata *d, int feature_width, int value_width, bool values_per_step);
/* Appends one example (everything is copied). RW_ERR_ARG when its parts do
 * not match the dataset's widths, a real value is not finite, or as
 * rw_seqdata_add. rw_seqdata_add itself refuses datasets with real values. */
RW_API rw_status rw_seqdata_add_example(rw_seqdata *d, const rw_example *e);
RW_API int rw_seqdata_feature_width(const rw_seqdata *d);
RW_API int rw_seqdata_value_width(const rw_seqdata *d);
RW_API bool rw_seqdata_values_per_step(const rw_seqdata *d);
/* Example i's features [len, feature_width] / real targets, or NULL. */
RW_API const rw_real *rw_seqdata_features(const rw_seqdata *d, int i);
RW_API const rw_real *rw_seqdata_values(const rw_seqdata *d, int i);

/* ---- batchers ----------------------------------------------------------- */

/* How the examples of an epoch are grouped into batches.
 * The sorted orders shuffle first and then sort stably, ascending, so
 * examples of equal length land in batches at random; sorting makes
 * batches of similar lengths and so little padding. */
typedef enum rw_batch_order {
    RW_ORDER_SHUFFLE = 0,           /* examples in random order */
    RW_ORDER_SOURCE_LENGTH,         /* by source length */
    RW_ORDER_TARGET_LENGTH,         /* by target length */
    RW_ORDER_SOURCE_TARGET_LENGTH,  /* by source length, then target length */
    RW_ORDER_TARGET_SOURCE_LENGTH   /* by target length, then source length */
} rw_batch_order;

typedef struct rw_batcher_opts {
    int batch_size;          /* B >= 1 */
    rw_batch_order order;
    bool shuffle_batches;    /* visit the batches in random order each epoch */
    bool drop_last;          /* drop the final partial batch (default: kept,
                                as a smaller batch of count % B examples) */
    uint64_t seed;           /* every random choice comes from this seed */
} rw_batcher_opts;

/* One mini-batch. The tensors view the batcher's buffers: they stay valid
 * until the next rw_batcher_next or rw_batcher_start_epoch. */
typedef struct rw_batch {
    int size;                /* examples in this batch (the last may be smaller than B) */
    int source_len;          /* T: the longest source in the batch */
    int target_len;          /* T': the longest target (0 without targets) */
    rw_tensor sources;       /* int32 [T, size], time-major, RW_PAD past each end */
    rw_tensor lengths;       /* int32 [size], source lengths */
    rw_tensor targets;       /* int32 [T', size], RW_PAD past each end; size 0 without targets */
    rw_tensor target_lengths;/* int32 [size]; size 0 without targets */
    rw_tensor labels;        /* int32 [size], the examples' labels */
    const int *indices;      /* [size]: each column's position in the dataset */
    long tokens;             /* real (non-padding) source + target tokens */
    int number;              /* this batch's position in the epoch, from 0 */
    int epoch;
    rw_tensor features;      /* real [T, size, F], 0 past each end; size 0 without real features */
    rw_tensor values;        /* real [size, K], or [T, size, K] per step (0 past each end); size 0 without */
} rw_batch;

/* A share of a batch: examples [first, first + count) of it as a batch of
 * its own (for data-parallel training, rw_train_opts.replicas). The share's
 * tensors keep the batch's layout with the batch dimension cut to `count`
 * (T and T' stay the batch's) and live in the part's own storage, reused
 * by the next take; tokens are the share's. RW_ERR_ARG for columns outside
 * the batch.
 *
 *     rw_batch_part half = { 0 };
 *     if (rw_batch_take_columns(&half, x, x->size / 2, x->size - x->size / 2) == RW_OK)
 *         use(&half.batch);
 *     rw_batch_part_free(&half);
 */
typedef struct rw_batch_part {
    rw_batch batch;
    void *buf;               /* the storage, grown as needed */
    size_t cap;
} rw_batch_part;
RW_API rw_status rw_batch_take_columns(rw_batch_part *part, const rw_batch *x, int first, int count);
RW_API void rw_batch_part_free(rw_batch_part *part);

typedef struct rw_batcher rw_batcher;

/* A batcher over `d` (which must not change while the batcher is used).
 * NULL and RW_ERR_ARG for an empty dataset, batch_size < 1, an order by
 * target length on a dataset without targets, an unknown order, or
 * drop_last leaving no batch at all. */
RW_API rw_batcher *rw_batcher_new(const rw_seqdata *d, const rw_batcher_opts *o);
RW_API void rw_batcher_free(rw_batcher *b);

/* Orders the examples for epoch `epoch` (>= 0) and rewinds to its first
 * batch. RW_ERR_STATE if the dataset changed since rw_batcher_new. */
RW_API rw_status rw_batcher_start_epoch(rw_batcher *b, int epoch);
/* The next batch of the current epoch, or NULL when the epoch is over
 * (rw_last_status() is untouched then) or no epoch was started (an
 * RW_ERR_STATE error). */
RW_API const rw_batch *rw_batcher_next(rw_batcher *b);

/* Batches per epoch (the partial one included unless dropped). */
RW_API int rw_batcher_batch_count(const rw_batcher *b);
/* The epoch started last (-1 before the first). */
RW_API int rw_batcher_epoch(const rw_batcher *b);
RW_API const rw_seqdata *rw_batcher_data(const rw_batcher *b);

#ifdef __cplusplus
}
#endif
#endif
