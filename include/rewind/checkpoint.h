/* rewind/checkpoint.h - saving and resuming training in one call.
 *
 * A training run's checkpoint holds the parameters, optionally an
 * optimizer's state (its kind, step counter, learning rate and state
 * tensors), an RNG's state, the training step, and key/value metadata
 * strings (e.g. the model's YAML text or its vocabulary).
 * rewind/checkpoint_file.h is the file itself (writing, validating, reading
 * without a model, the atomic-replacement and validate-first guarantees);
 * docs/checkpoint-format.md describes the bytes.
 *
 *     rw_checkpoint_save("run.rwc", P, opt, &rng, step);
 *     ...
 *     rw_status st = rw_checkpoint_load("run.rwc", P, opt, &rng, &step);
 *
 * Saving never destroys the previous checkpoint, and refuses
 * (RW_ERR_NUMERIC, the old file kept) when a parameter or optimizer state
 * holds a NaN or infinity. Loading reads and checks the whole file before
 * touching anything: on any failure the parameters, optimizer and RNG are
 * left exactly as they were and the message names the file and what is
 * wrong (RW_ERR_IO, RW_ERR_FORMAT, or RW_ERR_SHAPE when a parameter is
 * missing, unknown or of another shape, the optimizer is of another kind,
 * or the file has no optimizer or RNG state to restore).
 */
#ifndef REWIND_CHECKPOINT_H
#define REWIND_CHECKPOINT_H

#include "rewind/export.h"
#include "rewind/checkpoint_file.h"
#include "rewind/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Saves P (every parameter), opt's state (if opt is not NULL), rng's state
 * (if not NULL) and the training step (>= 0) to `path`, atomically. */
RW_API rw_status rw_checkpoint_save(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                             long step);

/* The same, with n_meta metadata strings: meta_keys[i] -> meta_values[i].
 * Keys are non-empty, unique and at most 4096 bytes; values any length. */
RW_API rw_status rw_checkpoint_save_ex(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                                long step, const char *const *meta_keys, const char *const *meta_values,
                                int n_meta);

/* Restores P's parameters (the file must hold exactly P's names with the
 * same shapes), and, when not NULL, opt's state, step counter and learning
 * rate (the file must hold the same optimizer kind over the same
 * parameters), rng's state, and *step. Values saved in the other precision
 * (float vs double build) are converted. */
RW_API rw_status rw_checkpoint_load(const char *path, rw_params *P, rw_optim *opt, rw_rng *rng, long *step);

/* rw_checkpoint_load from an opened checkpoint (e.g. after reading its
 * metadata to build the model). Same checks, same guarantees. */
RW_API rw_status rw_checkpoint_restore(const rw_checkpoint *ck, rw_params *P, rw_optim *opt, rw_rng *rng,
                                long *step);

#ifdef __cplusplus
}
#endif
#endif
