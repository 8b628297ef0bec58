/* Internal: exp, sigmoid and tanh that compilers can vectorize in the float
 * build (libm's scalar tanhf and expf were a tenth of an LSTM step).
 * Accuracy: about 2 ulp for exp; tanh uses a Taylor polynomial near 0,
 * where 1 - 2 / (1 + e^2x) would lose relative precision. The double build
 * keeps libm. */
#ifndef RW_OPS_FASTMATH_H
#define RW_OPS_FASTMATH_H

#include <stdint.h>
#include <string.h>
#include "rewind/tensor.h"

#ifdef RW_DOUBLE
#include <math.h>
static inline rw_real rw_fast_exp(rw_real x) { return exp(x); }
static inline rw_real rw_fast_tanh(rw_real x) { return tanh(x); }
#else
/* e^x = 2^n e^r with n = round(x / ln 2), |r| <= ln 2 / 2, and a degree-6
 * polynomial for e^r; 2^n is built in the exponent bits. */
static inline float rw_fast_exp(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    /* round to nearest by adding and subtracting 1.5 * 2^23 (no libm call, so loops vectorize) */
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f; /* ln 2 split in two for accuracy */
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f +
              r * 0.0013888889f)))));
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float rw_fast_tanh(float x)
{
    float ax = x < 0 ? -x : x;
    float e = rw_fast_exp(2.0f * ax);
    float big = 1.0f - 2.0f / (1.0f + e);
    float x2 = x * x; /* tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 for small x */
    float small = ax * (1.0f + x2 * (-0.33333333f + x2 * (0.13333333f + x2 * -0.053968254f)));
    float t = ax < 0.0625f ? small : big;
    return x < 0 ? -t : t;
}
#endif

/* 1 / (1 + e^-x), never exponentiating a large positive number. The one
 * sigmoid of the library: the sigmoid op, softplus' gradient and
 * bce_with_logits' gradient all call it. */
static inline rw_real rw_fast_sigmoid(rw_real x)
{
    rw_real e = rw_fast_exp(x < 0 ? x : -x); /* e^-|x| <= 1 */
    rw_real s = 1 / (1 + e);         /* sigmoid(|x|) */
    return x < 0 ? e * s : s;        /* sigmoid(-|x|) = e^-|x| / (1 + e^-|x|), no cancellation */
}

#endif
