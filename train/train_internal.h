/* Internal: pieces of the training loop shared between optim/train*.c. */
#ifndef RW_OPTIM_TRAIN_INTERNAL_H
#define RW_OPTIM_TRAIN_INTERNAL_H

#include <stdbool.h>
#include "rewind/param.h"

/* RW_ERR_NUMERIC naming the first non-finite element: every parameter's
 * value in store order, then (when `grads_and_loss`) every gradient, then
 * the loss. RW_OK when all are finite. */
rw_status rwi_train_check_finite(const rw_params *P, bool grads_and_loss, double loss);

/* Copies every parameter's value into `buf` (rw_params_size elements, in
 * store order), or back from it when `restore`. */
void rwi_train_copy_params(rw_params *P, rw_real *buf, bool restore);

#endif
