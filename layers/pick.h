/* Choosing a token from a row of scores: argmax, or a sample with a
 * temperature and top-k. Shared by scheduled sampling and decoding. */
#ifndef RW_LAYERS_PICK_H
#define RW_LAYERS_PICK_H

#include "rewind/rng.h"

/* The index of the largest of x[0..n-1] (the first on ties). */
int rwi_pick_argmax(const rw_real *x, int n);
/* A sample from softmax(x / temperature) restricted to the top_k largest
 * (top_k <= 0: all). temperature > 0. Uses one uniform draw. */
int rwi_pick_sample(const rw_real *x, int n, double temperature, int top_k, rw_rng *rng);

#endif
