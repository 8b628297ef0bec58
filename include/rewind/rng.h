/* rewind/rng.h - a seeded, counter-based random number generator.
 *
 * The state is a key (from the seed) and a counter; the n-th draw is a
 * bijective hash of (key, n). Every random op takes a generator explicitly,
 * so a run is reproducible bit for bit from its seed, and saving the two
 * words of state into a checkpoint resumes the exact stream.
 */
#ifndef REWIND_RNG_H
#define REWIND_RNG_H

#include "rewind/export.h"
#include <stdint.h>
#include "rewind/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_rng {
    uint64_t key;
    uint64_t counter;
} rw_rng;

RW_API rw_rng rw_rng_seed(uint64_t seed);
/* An independent stream derived from this one (e.g. one per layer). */
RW_API rw_rng rw_rng_split(rw_rng *rng);

RW_API uint64_t rw_rng_u64(rw_rng *rng);
/* Uniform in [0, 1). */
RW_API double rw_rng_uniform(rw_rng *rng);
/* Uniform integer in [0, n); n >= 1. Unbiased. */
RW_API uint32_t rw_rng_below(rw_rng *rng, uint32_t n);
/* Standard normal (Box-Muller). */
RW_API double rw_rng_normal(rw_rng *rng);

/* Fills a real tensor with uniform values in [lo, hi) / normal(mean, std). */
RW_API void rw_rng_fill_uniform(rw_rng *rng, rw_tensor *t, double lo, double hi);
RW_API void rw_rng_fill_normal(rw_rng *rng, rw_tensor *t, double mean, double std);

#ifdef __cplusplus
}
#endif
#endif
