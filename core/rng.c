/* Counter-based generator: draw n is a bijective 64-bit mix of (key, n),
 * in the manner of SplitMix64. Two words of state, trivially saved. */
#include <math.h>
#include "rewind/rng.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

rw_rng rw_rng_seed(uint64_t seed)
{
    return (rw_rng){ .key = mix64(seed ^ 0x5EEDC0DE2026ULL), .counter = 0 };
}

rw_rng rw_rng_split(rw_rng *rng)
{
    return (rw_rng){ .key = mix64(rw_rng_u64(rng) ^ 0xA5A5A5A5DEADBEEFULL), .counter = 0 };
}

uint64_t rw_rng_u64(rw_rng *rng)
{
    uint64_t n = rng->counter++;
    return mix64(rng->key + n * 0x9E3779B97F4A7C15ULL);
}

double rw_rng_uniform(rw_rng *rng)
{
    return (double)(rw_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0); /* 53 bits */
}

uint32_t rw_rng_below(rw_rng *rng, uint32_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire's multiply-shift with rejection: unbiased. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint64_t m = (uint64_t)(uint32_t)rw_rng_u64(rng) * n;
        if ((uint32_t)m >= threshold)
            return (uint32_t)(m >> 32);
    }
}

double rw_rng_normal(rw_rng *rng)
{
    double u1 = rw_rng_uniform(rng), u2 = rw_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void rw_rng_fill_uniform(rw_rng *rng, rw_tensor *t, double lo, double hi)
{
    if (!t || t->dtype != RW_REAL)
        return;
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = (rw_real)(lo + (hi - lo) * rw_rng_uniform(rng));
}

void rw_rng_fill_normal(rw_rng *rng, rw_tensor *t, double mean, double std)
{
    if (!t || t->dtype != RW_REAL)
        return;
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = (rw_real)(mean + std * rw_rng_normal(rng));
}
