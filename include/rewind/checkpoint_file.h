/* rewind/checkpoint_file.h - the checkpoint file: named tensors and blobs.
 *
 * A checkpoint file holds the parameters (by name, with shapes), other named
 * tensors ("state tensors", e.g. an optimizer's moments), opaque named blobs
 * (bytes another layer serializes, e.g. an optimizer's kind and step
 * counter), an RNG's state, the training step, and key/value metadata
 * strings (e.g. the model's YAML text or its vocabulary), all covered by a
 * CRC-32. docs/checkpoint-format.md describes the bytes. This is core's
 * part; rewind/checkpoint.h saves and restores a whole training run
 * (parameters, optimizer, RNG) in one call, and rw_optim_checkpoint_put /
 * rw_optim_checkpoint_restore (rewind/optim.h) put an optimizer in a file.
 *
 * Writing collects what goes in, then writes it at once:
 *
 *     rw_checkpoint_writer *w = rw_checkpoint_writer_new("run.rwc", P, step);
 *     if (!w) return rw_last_status();
 *     rw_checkpoint_put_rng(w, &rng);
 *     rw_checkpoint_put_meta(w, "note", "after the warm-up");
 *     rw_status st = rw_checkpoint_commit(w);   // the file, atomically
 *     rw_checkpoint_writer_free(w);
 *
 * Committing never destroys the previous checkpoint: the file is written
 * under a temporary name in the same directory, flushed to disk (fsync),
 * renamed over the old one, and the directory is synced. A crash at any
 * moment leaves either the old file or the new one, each complete (a stray
 * "<path>.tmp-*" file may be left behind). It refuses (RW_ERR_NUMERIC, the
 * old file kept) when a parameter or state tensor holds a NaN or infinity,
 * so a diverged run never overwrites good work.
 *
 * Reading checks the whole file before anything is used: rw_checkpoint_open
 * validates every byte, and the restore functions check everything against
 * their target before changing it. On any failure the targets are left
 * exactly as they were and the message names the file and what is wrong.
 * Statuses:
 *   RW_ERR_IO      the file cannot be opened or read
 *   RW_ERR_FORMAT  the file is not a valid checkpoint (bad magic, newer
 *                  version, truncated, checksum mismatch, malformed section)
 *   RW_ERR_SHAPE   the file is valid but does not fit what it is loaded into
 *                  (a parameter missing, unknown or of another shape)
 */
#ifndef REWIND_CHECKPOINT_FILE_H
#define REWIND_CHECKPOINT_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include "rewind/export.h"
#include "rewind/param.h"
#include "rewind/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format version this library writes and the newest it reads (it reads
 * every older one too). */
#define RW_CHECKPOINT_VERSION 2

/* ---- writing ------------------------------------------------------------- */

typedef struct rw_checkpoint_writer rw_checkpoint_writer;

/* A checkpoint to be written to `path` with every parameter of P and the
 * training step (>= 0). NULL, with an RW_ERR_ARG message, for an empty path,
 * a NULL store or a negative step. P must stay alive until the commit. */
RW_API rw_checkpoint_writer *rw_checkpoint_writer_new(const char *path, const rw_params *P, long step);
/* The path given to rw_checkpoint_writer_new (for messages). */
RW_API const char *rw_checkpoint_writer_path(const rw_checkpoint_writer *w);

/* Adds a state tensor: a real tensor that is not a parameter. Names are
 * 1 to 4096 bytes and unique among state tensors. The tensor is read at the
 * commit, so it must stay alive until then. */
RW_API rw_status rw_checkpoint_put_tensor(rw_checkpoint_writer *w, const char *name, const rw_tensor *t);
/* Adds a blob: `size` bytes, copied now. Names are 1 to 4096 bytes and
 * unique among blobs. */
RW_API rw_status rw_checkpoint_put_blob(rw_checkpoint_writer *w, const char *name, const void *bytes,
                                        size_t size);
/* Adds the RNG's state (once). */
RW_API rw_status rw_checkpoint_put_rng(rw_checkpoint_writer *w, const rw_rng *rng);
/* Adds a metadata string, copied now. Keys are non-empty, unique and at most
 * 4096 bytes; values any length below 4 GiB. */
RW_API rw_status rw_checkpoint_put_meta(rw_checkpoint_writer *w, const char *key, const char *value);

/* Writes the file, atomically (see above). Refuses when an earlier put
 * failed. The writer is still to be freed. */
RW_API rw_status rw_checkpoint_commit(rw_checkpoint_writer *w);
RW_API void rw_checkpoint_writer_free(rw_checkpoint_writer *w);

/* ---- reading ------------------------------------------------------------- */

/* An opened checkpoint: the whole file read and validated. */
typedef struct rw_checkpoint rw_checkpoint;

/* NULL, with an RW_ERR_IO or RW_ERR_FORMAT message, if the file cannot be
 * read or is not a valid checkpoint. */
RW_API rw_checkpoint *rw_checkpoint_open(const char *path);
RW_API void rw_checkpoint_close(rw_checkpoint *ck);

/* The path it was opened from (for messages). */
RW_API const char *rw_checkpoint_path(const rw_checkpoint *ck);
RW_API uint32_t rw_checkpoint_version(const rw_checkpoint *ck);
RW_API long rw_checkpoint_step(const rw_checkpoint *ck);

/* The parameters, in the order they were saved. Index out of range: NULL
 * name, scalar shape. */
RW_API int rw_checkpoint_param_count(const rw_checkpoint *ck);
RW_API const char *rw_checkpoint_param_name(const rw_checkpoint *ck, int i);
RW_API rw_shape rw_checkpoint_param_shape(const rw_checkpoint *ck, int i);
/* Index of the parameter called `name`, or -1. */
RW_API int rw_checkpoint_param_find(const rw_checkpoint *ck, const char *name);
/* Copies parameter i into dst (a real tensor of the same shape), converting
 * the precision if needed. */
RW_API rw_status rw_checkpoint_param_read(const rw_checkpoint *ck, int i, rw_tensor *dst);

/* Checks that the file holds exactly P's parameter names, each with its
 * shape and values representable in this build (RW_ERR_SHAPE or
 * RW_ERR_FORMAT otherwise); changes nothing. */
RW_API rw_status rw_checkpoint_params_check(const rw_checkpoint *ck, const rw_params *P);
/* rw_checkpoint_params_check, then copies every parameter into P. On
 * failure P is unchanged. */
RW_API rw_status rw_checkpoint_params_restore(const rw_checkpoint *ck, rw_params *P);

/* The state tensors, in the order they were saved; the same conventions. */
RW_API int rw_checkpoint_state_count(const rw_checkpoint *ck);
RW_API const char *rw_checkpoint_state_name(const rw_checkpoint *ck, int i);
RW_API rw_shape rw_checkpoint_state_shape(const rw_checkpoint *ck, int i);
RW_API int rw_checkpoint_state_find(const rw_checkpoint *ck, const char *name);
/* Checks that state tensor i fits dst (same shape, values representable);
 * changes nothing. */
RW_API rw_status rw_checkpoint_state_check(const rw_checkpoint *ck, int i, const rw_tensor *dst);
/* rw_checkpoint_state_check, then copies state tensor i into dst. */
RW_API rw_status rw_checkpoint_state_read(const rw_checkpoint *ck, int i, rw_tensor *dst);

/* The blobs, in the order they were saved. rw_checkpoint_blob returns the
 * bytes of the blob called `name` and sets *size (may be NULL), or returns
 * NULL when there is none. The bytes belong to ck and are not aligned. */
RW_API int rw_checkpoint_blob_count(const rw_checkpoint *ck);
RW_API const char *rw_checkpoint_blob_name(const rw_checkpoint *ck, int i);
RW_API const void *rw_checkpoint_blob(const rw_checkpoint *ck, const char *name, size_t *size);

/* Writes the saved RNG state to *out (may be NULL) and returns true, or
 * returns false when the file has none. */
RW_API bool rw_checkpoint_rng(const rw_checkpoint *ck, rw_rng *out);

/* Metadata strings, in the order they were saved. rw_checkpoint_meta
 * returns the value for `key`, or NULL when there is none. The strings
 * belong to ck. */
RW_API int rw_checkpoint_meta_count(const rw_checkpoint *ck);
RW_API const char *rw_checkpoint_meta_key(const rw_checkpoint *ck, int i);
RW_API const char *rw_checkpoint_meta_value(const rw_checkpoint *ck, int i);
RW_API const char *rw_checkpoint_meta(const rw_checkpoint *ck, const char *key);

/* A human-readable listing: version, step, tensors with shapes, blobs with
 * sizes, RNG, metadata keys with value lengths. */
RW_API void rw_checkpoint_print(FILE *f, const rw_checkpoint *ck);

/* Records `status` with the message "checkpoint <path>: <formatted>" and
 * returns it; for layers that add their own content to checkpoints. */
RW_API rw_status rw_checkpoint_error(rw_status status, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
