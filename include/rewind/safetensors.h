/* rewind/safetensors.h - reading and writing the safetensors format, the
 * named-tensor files of PyTorch and Hugging Face.
 *
 * A file is an 8-byte little-endian length N, N bytes of JSON naming each
 * tensor's dtype, shape and byte range, e.g.
 *   {"head.weight": {"dtype": "F32", "shape": [16, 3], "data_offsets": [0, 192]},
 *    "__metadata__": {"format": "pt"}}
 * (padded with spaces), then the tensors' raw little-endian bytes, every
 * byte belonging to exactly one tensor. The file is untrusted input:
 * rw_safetensors_open checks all of it (the JSON strictly: no duplicate or
 * unknown keys, integers without signs, fractions or exponents; every
 * dtype known, every shape's byte count equal to its range, the ranges
 * tiling the data with no gap or overlap, the header at most 100 MB) and
 * fails with an error naming the file and what is wrong, never reading past
 * the data. Tensors of up to RW_SAFETENSORS_MAX_RANK dimensions are read;
 * rw_safetensors_read converts the float dtypes (F64, F32, F16, BF16) to
 * rw_real. model_safetensors.h maps whole models to PyTorch state dicts.
 *
 *     static int list_and_read(const char *path)
 *     {
 *         rw_safetensors *st = rw_safetensors_open(path);
 *         if (!st) {
 *             fprintf(stderr, "%s\n", rw_last_error());
 *             return 1;
 *         }
 *         for (int i = 0; i < rw_safetensors_count(st); i++)
 *             printf("%s %s, %d dims\n", rw_safetensors_name(st, i),
 *                    rw_safetensors_dtype_name(rw_safetensors_dtype(st, i)), rw_safetensors_rank(st, i));
 *         int i = rw_safetensors_find(st, "head.weight");
 *         rw_tensor *w = i >= 0 ? rw_safetensors_tensor(st, i) : NULL; // [16, 3] as rw_real
 *         rw_tensor_free(w);
 *         rw_safetensors_close(st);
 *         return 0;
 *     }
 *
 *     static int save_two(const char *path, const rw_tensor *w, const rw_tensor *b)
 *     {
 *         rw_safetensors_item items[] = { { "head.weight", w }, { "head.bias", b } };
 *         const char *keys[] = { "format" }, *values[] = { "pt" };
 *         if (rw_safetensors_save(path, items, 2, keys, values, 1, RW_ST_F32) != RW_OK) {
 *             fprintf(stderr, "%s\n", rw_last_error());
 *             return 1;
 *         }
 *         return 0;
 *     }
 */
#ifndef REWIND_SAFETENSORS_H
#define REWIND_SAFETENSORS_H

#include "rewind/export.h"
#include <stddef.h>
#include <stdint.h>
#include "rewind/error.h"
#include "rewind/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The dtypes of the format; only the float ones convert to rw_real. */
typedef enum rw_st_dtype {
    RW_ST_BOOL = 0, RW_ST_U8, RW_ST_I8, RW_ST_F8_E4M3, RW_ST_F8_E5M2, RW_ST_I16, RW_ST_U16,
    RW_ST_F16, RW_ST_BF16, RW_ST_I32, RW_ST_U32, RW_ST_F32, RW_ST_I64, RW_ST_U64, RW_ST_F64,
    RW_ST_DTYPE_COUNT
} rw_st_dtype;

#define RW_SAFETENSORS_MAX_RANK 8
/* The largest header the format allows (and rewind reads). */
#define RW_SAFETENSORS_MAX_HEADER ((uint64_t)100 << 20)

/* "F32", "BF16", ...; "?" out of range. */
RW_API const char *rw_safetensors_dtype_name(rw_st_dtype dtype);
/* Bytes per element. */
RW_API size_t rw_safetensors_dtype_size(rw_st_dtype dtype);

typedef struct rw_safetensors rw_safetensors;

/* Reads and checks a whole file. NULL with rw_last_error() ("FILE: ...")
 * when it is missing, unreadable or malformed in any way. */
RW_API rw_safetensors *rw_safetensors_open(const char *path);
/* The same over bytes in memory (copied); name_for_errors starts every message. */
RW_API rw_safetensors *rw_safetensors_parse(const void *bytes, size_t len, const char *name_for_errors);
RW_API void rw_safetensors_close(rw_safetensors *st);

/* Tensors in the order of their data. */
RW_API int rw_safetensors_count(const rw_safetensors *st);
RW_API const char *rw_safetensors_name(const rw_safetensors *st, int i);
/* The index of tensor `name`, or -1. */
RW_API int rw_safetensors_find(const rw_safetensors *st, const char *name);
RW_API rw_st_dtype rw_safetensors_dtype(const rw_safetensors *st, int i);
RW_API int rw_safetensors_rank(const rw_safetensors *st, int i);
/* Its dimensions (rank of them). */
RW_API const uint64_t *rw_safetensors_dims(const rw_safetensors *st, int i);
/* Its raw little-endian bytes and their count. */
RW_API const void *rw_safetensors_data(const rw_safetensors *st, int i, size_t *bytes);

/* Tensor i converted into dst, a real tensor of the same dimensions (a
 * scalar is rank 0); an error for another shape or a non-float dtype. */
RW_API rw_status rw_safetensors_read(const rw_safetensors *st, int i, rw_tensor *dst);
/* Tensor i as a new real tensor (rank at most RW_MAX_DIMS); NULL with an error. */
RW_API rw_tensor *rw_safetensors_tensor(const rw_safetensors *st, int i);

/* The __metadata__ strings. */
RW_API int rw_safetensors_meta_count(const rw_safetensors *st);
RW_API const char *rw_safetensors_meta_key(const rw_safetensors *st, int i);
RW_API const char *rw_safetensors_meta_value(const rw_safetensors *st, int i);
/* The value of `key`, or NULL. */
RW_API const char *rw_safetensors_meta(const rw_safetensors *st, const char *key);

/* One tensor to save: a real tensor under a name (unique, non-empty, not
 * "__metadata__", at most 4096 bytes of UTF-8). */
typedef struct rw_safetensors_item {
    const char *name;
    const rw_tensor *tensor;
} rw_safetensors_item;

/* Writes the tensors as `dtype` (RW_ST_F32 or RW_ST_F64; the build's own
 * precision keeps every bit) with n_meta metadata strings, to a temporary
 * file beside `path` renamed into place. */
RW_API rw_status rw_safetensors_save(const char *path, const rw_safetensors_item *items, int n,
                                     const char *const *meta_keys, const char *const *meta_values, int n_meta,
                                     rw_st_dtype dtype);

#ifdef __cplusplus
}
#endif
#endif
