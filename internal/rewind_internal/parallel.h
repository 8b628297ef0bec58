/* Internal: the library's own small thread pool, for splitting one op's
 * work (elementwise loops, row-wise reductions, small GEMMs by columns)
 * across cores. rw_set_threads sets its size together with BLIS's.
 *
 * Results do not depend on the number of threads: a range is cut into
 * fixed pieces and every element is computed by the same arithmetic in the
 * same order whichever thread runs it; callers never split a sum across
 * threads. Calls from inside a running piece run serially, and only the
 * thread that called rwi_parallel_for waits, so BLIS (whose own threads run
 * only outside pool work) and the pool never oversubscribe the cores. */
#ifndef RW_INTERNAL_PARALLEL_H
#define RW_INTERNAL_PARALLEL_H

#include <stdbool.h>
#include <stddef.h>

/* Runs fn(ctx, lo, hi) over pieces covering [0, n): at most one piece per
 * thread, each at least `grain` long (so work below 2 * grain runs on the
 * calling thread alone), piece boundaries multiples of `align` (>= 1). */
void rwi_parallel_for(size_t n, size_t grain, size_t align, void (*fn)(void *ctx, size_t lo, size_t hi),
                      void *ctx);

/* As rwi_parallel_for, with up to RWI_PIECES_PER_THREAD pieces per thread,
 * for work whose pieces cost no more than their share (no per-piece setup
 * such as BLIS's packing): a thread that starts late, or loses its core
 * for a while on a loaded machine, takes fewer pieces instead of leaving
 * its one piece for the others to wait on. */
#define RWI_PIECES_PER_THREAD 4
void rwi_parallel_for_shared(size_t n, size_t grain, size_t align, void (*fn)(void *ctx, size_t lo, size_t hi),
                             void *ctx);

/* The pool's size (1: everything runs on the caller). Not thread-safe
 * against a running rwi_parallel_for; call between steps. */
void rwi_parallel_set_threads(int n);
int rwi_parallel_threads(void);
/* True inside a piece: the thread already has its share of the cores (a
 * data-parallel replica runs its whole step as one piece), so BLIS too
 * runs single-threaded there. */
bool rwi_parallel_in_piece(void);

/* Elements per piece below which splitting an elementwise loop costs more
 * than it gains (a hand-off to a spinning worker and the join cost about a
 * microsecond): loops with an exp (tanh, sigmoid) pay off from 2 x 2048
 * elements, a plain add or multiply only from 2 x 8192. */
#define RWI_GRAIN_MATH 2048
#define RWI_GRAIN_ARITH 8192

#endif
