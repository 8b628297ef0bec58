/* Reordering the batch rows of state values (beam search). */
#ifndef RW_LAYERS_GATHER_ROWS_H
#define RW_LAYERS_GATHER_ROWS_H

#include "rewind/tensor.h"

/* A new tensor of t's dtype whose `axis` has size n, with slice i along it
 * a copy of t's slice index[i]. NULL and an error when an index is outside
 * [0, t's size along axis). */
rw_tensor *rwi_tensor_gather_axis(const rw_tensor *t, int axis, const int32_t *index, int n);
/* Replaces *t with rwi_tensor_gather_axis(*t, ...), freeing the old one. */
rw_status rwi_tensor_regather(rw_tensor **t, int axis, const int32_t *index, int n);

#endif
