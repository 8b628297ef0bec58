/* Internal: copying a range of one dimension of a tensor (e.g. a share of
 * a batch's columns) into caller-provided storage. */
#ifndef RW_INTERNAL_TENSOR_SLICE_H
#define RW_INTERNAL_TENSOR_SLICE_H

#include "rewind/tensor.h"

/* The bytes rwi_tensor_slice needs for `count` of t's `dim` entries. */
size_t rwi_tensor_slice_bytes(const rw_tensor *t, int dim, int count);
/* Copies entries [first, first + count) of dimension `dim` of t to *at
 * and makes *to a view of them (not owning; t's other dimensions kept);
 * *at advances past them. An empty t gives an empty view. */
void rwi_tensor_slice(rw_tensor *to, const rw_tensor *t, int dim, int first, int count, char **at);

#endif
