/* rewind/tensor.h - dense row-major tensors of up to four dimensions.
 *
 * Two element kinds: RW_REAL (rw_real: float, or double in an RW_DOUBLE
 * build) for values and gradients, RW_INT32 for indices (token ids, targets,
 * lengths). A tensor with ndim == 0 is a scalar holding one element.
 *
 * A tensor either owns its storage (rw_tensor_new, freed by rw_tensor_free)
 * or views storage owned by someone else (a graph's arena, a parameter).
 */
#ifndef REWIND_TENSOR_H
#define REWIND_TENSOR_H

#include "rewind/export.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

#include "rewind/config.h"
#include "rewind/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef RW_DOUBLE
typedef double rw_real;
#define RW_REAL_NAME "double"
#else
typedef float rw_real;
#define RW_REAL_NAME "float"
#endif

#define RW_MAX_DIMS 4

typedef enum rw_dtype { RW_REAL = 0, RW_INT32 = 1 } rw_dtype;

typedef struct rw_shape {
    int ndim;               /* 0 (scalar) .. RW_MAX_DIMS */
    int dim[RW_MAX_DIMS];   /* dim[0] is the outermost (slowest) axis */
} rw_shape;

typedef struct rw_tensor {
    rw_dtype dtype;
    rw_shape shape;
    size_t size;            /* number of elements: product of the dims */
    rw_real *data;          /* elements when dtype == RW_REAL, else NULL */
    int32_t *idata;         /* elements when dtype == RW_INT32, else NULL */
    bool owns;              /* true when rw_tensor_free must release the storage */
} rw_tensor;

/* Shape constructors: rw_shape3(2, 3, 4) is the shape [2, 3, 4].
 * Dimensions must be >= 1. */
RW_API rw_shape rw_shape_scalar(void);
RW_API rw_shape rw_shape1(int d0);
RW_API rw_shape rw_shape2(int d0, int d1);
RW_API rw_shape rw_shape3(int d0, int d1, int d2);
RW_API rw_shape rw_shape4(int d0, int d1, int d2, int d3);

/* Number of elements of a shape (1 for a scalar). */
RW_API size_t rw_shape_size(rw_shape s);
RW_API bool rw_shape_equal(rw_shape a, rw_shape b);
/* Checks 0 <= ndim <= RW_MAX_DIMS and every dim >= 1; RW_ERR_SHAPE otherwise. */
RW_API rw_status rw_shape_check(rw_shape s);
/* Writes "[2, 3, 4]" (or "[]" for a scalar) into buf; returns buf. */
RW_API char *rw_shape_str(rw_shape s, char *buf, size_t len);
/* Size of the last dimension (1 for a scalar) and of everything before it. */
RW_API int rw_shape_last(rw_shape s);
RW_API size_t rw_shape_rows(rw_shape s);

/* A new zero-filled tensor owning its storage; NULL (and an error) on bad
 * shape or allocation failure. */
RW_API rw_tensor *rw_tensor_new(rw_dtype dtype, rw_shape shape);
/* A new real tensor holding a copy of `values` (shape.size elements). */
RW_API rw_tensor *rw_tensor_from(rw_shape shape, const rw_real *values);
/* A new int32 tensor holding a copy of `values`. */
RW_API rw_tensor *rw_tensor_from_ints(rw_shape shape, const int32_t *values);
/* A deep copy. */
RW_API rw_tensor *rw_tensor_clone(const rw_tensor *t);
RW_API void rw_tensor_free(rw_tensor *t);

/* Copies src's elements into dst; shapes and dtypes must match. */
RW_API rw_status rw_tensor_copy(rw_tensor *dst, const rw_tensor *src);
RW_API void rw_tensor_fill(rw_tensor *t, rw_real value);

/* Flat element access with the row-major index of (i0, i1, ...). */
RW_API size_t rw_tensor_index(const rw_tensor *t, const int *idx);

/* Prints shape, dtype and (up to `max_elems`) elements, for debugging. */
RW_API void rw_tensor_print(FILE *f, const char *label, const rw_tensor *t, size_t max_elems);

#ifdef __cplusplus
}
#endif
#endif
