/* rewind/init.h - parameter initializers, all seeded.
 *
 * Weights follow the PyTorch layout [out, in]: fan_in is the last dimension,
 * fan_out the first (a 1-D tensor has fan_in = fan_out = its size). */
#ifndef REWIND_INIT_H
#define REWIND_INIT_H

#include "rewind/export.h"
#include "rewind/tensor.h"
#include "rewind/rng.h"
#include "rewind/param.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_init_kind {
    RW_INIT_ZEROS = 0,
    RW_INIT_CONST,          /* every element = a */
    RW_INIT_UNIFORM,        /* U(a, b) */
    RW_INIT_NORMAL,         /* N(mean a, std b) */
    RW_INIT_XAVIER_UNIFORM, /* Glorot: U(-r, r), r = a * sqrt(6 / (fan_in + fan_out)); a = gain, 0 -> 1 */
    RW_INIT_XAVIER_NORMAL,  /* Glorot: N(0, a * sqrt(2 / (fan_in + fan_out))) */
    RW_INIT_HE_UNIFORM,     /* He: U(-r, r), r = sqrt(6 / fan_in) */
    RW_INIT_HE_NORMAL,      /* He: N(0, sqrt(2 / fan_in)) */
    RW_INIT_ORTHOGONAL,     /* (semi-)orthogonal rows or columns, scaled by a (0 -> 1), per block of b rows (0 -> whole) */
    RW_INIT_IDENTITY,       /* a * I on the leading diagonal (a = 0 -> 1), per block of b rows (0 -> whole) */
} rw_init_kind;

typedef struct rw_init {
    rw_init_kind kind;
    double a, b;
} rw_init;

/* rw_init_of(RW_INIT_NORMAL, 0, 0.01) */
static inline rw_init rw_init_of(rw_init_kind kind, double a, double b)
{
    rw_init i = { kind, a, b };
    return i;
}

/* Fills a real tensor (1-D or 2-D; orthogonal and identity need 2-D). */
RW_API rw_status rw_init_tensor(rw_tensor *t, rw_init init, rw_rng *rng);

/* Initializes parameter p of store P with `init`, unless P skips
 * initialization (rw_params_set_skip_init): what layers call. */
RW_API rw_status rw_param_init(const rw_params *P, rw_param *p, rw_init init, rw_rng *rng);

/* A name for the kind ("xavier_uniform", ...), and the kind for a name. */
RW_API const char *rw_init_name(rw_init_kind kind);
RW_API rw_status rw_init_from_name(const char *name, rw_init_kind *kind);

#ifdef __cplusplus
}
#endif
#endif
