/* Internal: an rw_metrics accumulator as a flat array of sums, so that the
 * accumulators of several processes can be added up (dist/'s validation
 * all-reduce) and put back. Every field of rw_metrics is a count or a sum,
 * so adding the arrays adds the accumulators; counts travel as doubles,
 * exact below 2^53. */
#ifndef RW_INTERNAL_METRICS_SUMS_H
#define RW_INTERNAL_METRICS_SUMS_H

#include <stddef.h>
#include "rewind/metrics.h"

/* How many doubles rwi_metrics_to_sums writes for m (0 for NULL). */
size_t rwi_metrics_sums_size(const rw_metrics *m);
/* Writes m's counts and sums into sums[0 .. rwi_metrics_sums_size(m)). */
void rwi_metrics_to_sums(const rw_metrics *m, double *sums);
/* Sets m's counts and sums from such an array (of an accumulator with as many classes). */
void rwi_metrics_from_sums(rw_metrics *m, const double *sums);

#endif
