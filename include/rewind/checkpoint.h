/* rewind/checkpoint.h - saving and resuming training.
 *
 * A checkpoint file holds the parameters (by name, with shapes), optionally
 * an optimizer's state (its name, step counter, learning rate and state
 * tensors), an RNG's state, the training step, and key/value metadata
 * strings (e.g. the model's YAML text or its vocabulary), all covered by a
 * CRC-32. docs/checkpoint-format.md describes the bytes.
 *
 * Saving never destroys the previous checkpoint: the file is written under
 * a temporary name in the same directory, flushed to disk (fsync), renamed
 * over the old one, and the directory is synced. A crash at any moment
 * leaves either the old file or the new one, each complete (a stray
 * "<path>.tmp-*" file may be left behind).
 *
 * Loading reads and checks the whole file before touching anything: on any
 * failure the parameters, optimizer and RNG are left exactly as they were
 * and the message names the file and what is wrong. Statuses:
 *   RW_ERR_IO      the file cannot be opened or read
 *   RW_ERR_FORMAT  the file is not a valid checkpoint (bad magic, newer
 *                  version, truncated, checksum mismatch, malformed section)
 *   RW_ERR_SHAPE   the file is valid but does not fit what it is loaded into
 *                  (a parameter missing, unknown or of another shape, another
 *                  optimizer kind, no optimizer or RNG state in the file)
 */
#ifndef REWIND_CHECKPOINT_H
#define REWIND_CHECKPOINT_H

#include <stdbool.h>
#include <stdio.h>
#include "rewind/param.h"
#include "rewind/rng.h"
#include "rewind/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format version this library writes and the newest it reads. */
#define RW_CHECKPOINT_VERSION 1

/* Saves P (every parameter), opt's state (if opt is not NULL), rng's state
 * (if not NULL) and the training step (>= 0) to `path`, atomically. Refuses
 * (RW_ERR_NUMERIC, the old file kept) when a parameter or optimizer state
 * holds a NaN or infinity, so a diverged run never overwrites good work. */
rw_status rw_checkpoint_save(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                             long step);

/* The same, with n_meta metadata strings: meta_keys[i] -> meta_values[i].
 * Keys are non-empty, unique and at most 4096 bytes; values any length. */
rw_status rw_checkpoint_save_ex(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                                long step, const char *const *meta_keys, const char *const *meta_values,
                                int n_meta);

/* Restores P's parameters (the file must hold exactly P's names with the
 * same shapes), and, when not NULL, opt's state, step counter and learning
 * rate (the file must hold the same optimizer kind over the same
 * parameters), rng's state, and *step. Values saved in the other precision
 * (float vs double build) are converted. */
rw_status rw_checkpoint_load(const char *path, rw_params *P, rw_optim *opt, rw_rng *rng, long *step);

/* ---- reading a checkpoint without a model ---------------------------- */

/* An opened checkpoint: the whole file read and validated (as for
 * rw_checkpoint_load, except against a model). */
typedef struct rw_checkpoint rw_checkpoint;

/* NULL, with an RW_ERR_IO or RW_ERR_FORMAT message, if the file cannot be
 * read or is not a valid checkpoint. */
rw_checkpoint *rw_checkpoint_open(const char *path);
void rw_checkpoint_close(rw_checkpoint *ck);

/* rw_checkpoint_load from an opened checkpoint (e.g. after reading its
 * metadata to build the model). Same checks, same guarantees. */
rw_status rw_checkpoint_restore(const rw_checkpoint *ck, rw_params *P, rw_optim *opt, rw_rng *rng,
                                long *step);

uint32_t rw_checkpoint_version(const rw_checkpoint *ck);
long rw_checkpoint_step(const rw_checkpoint *ck);

/* The parameters, in the order they were saved. Index out of range: NULL
 * name, scalar shape. */
int rw_checkpoint_param_count(const rw_checkpoint *ck);
const char *rw_checkpoint_param_name(const rw_checkpoint *ck, int i);
rw_shape rw_checkpoint_param_shape(const rw_checkpoint *ck, int i);
/* Index of the parameter called `name`, or -1. */
int rw_checkpoint_param_find(const rw_checkpoint *ck, const char *name);
/* Copies parameter i into dst (a real tensor of the same shape), converting
 * the precision if needed. */
rw_status rw_checkpoint_param_read(const rw_checkpoint *ck, int i, rw_tensor *dst);

/* The optimizer section: its name ("adam"...; NULL when the file has none),
 * step counter, learning rate, and state tensors' names and shapes. */
const char *rw_checkpoint_optim_name(const rw_checkpoint *ck);
long rw_checkpoint_optim_steps(const rw_checkpoint *ck);
double rw_checkpoint_optim_lr(const rw_checkpoint *ck);
int rw_checkpoint_state_count(const rw_checkpoint *ck);
const char *rw_checkpoint_state_name(const rw_checkpoint *ck, int i);
rw_shape rw_checkpoint_state_shape(const rw_checkpoint *ck, int i);

/* Writes the saved RNG state to *out and returns true, or returns false
 * when the file has none. */
bool rw_checkpoint_rng(const rw_checkpoint *ck, rw_rng *out);

/* Metadata strings, in the order they were saved. rw_checkpoint_meta
 * returns the value for `key`, or NULL when there is none. The strings
 * belong to ck. */
int rw_checkpoint_meta_count(const rw_checkpoint *ck);
const char *rw_checkpoint_meta_key(const rw_checkpoint *ck, int i);
const char *rw_checkpoint_meta_value(const rw_checkpoint *ck, int i);
const char *rw_checkpoint_meta(const rw_checkpoint *ck, const char *key);

/* A human-readable listing: version, step, tensors with shapes, optimizer,
 * RNG, metadata keys with value lengths. */
void rw_checkpoint_print(FILE *f, const rw_checkpoint *ck);

#ifdef __cplusplus
}
#endif
#endif
