/* rewind/arena.h - a bump allocator for everything one training step needs.
 *
 * A graph's values, gradients and op scratch come from its arena. Allocation
 * is a pointer bump; rw_arena_reset releases everything at once in O(1) and
 * keeps the memory, so once the arena has seen one full step, later steps of
 * the same size allocate nothing from the system. When a chunk runs out, a
 * new chunk is added (the arena never gives up while malloc succeeds); at
 * the next reset the chunks are merged into one big enough for the whole step.
 */
#ifndef REWIND_ARENA_H
#define REWIND_ARENA_H

#include "rewind/export.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_arena rw_arena;

typedef struct rw_arena_stats {
    size_t used;          /* bytes handed out since the last reset */
    size_t high_water;    /* the largest `used` ever seen */
    size_t reserved;      /* bytes held from the system */
    size_t system_allocs; /* chunks ever obtained from malloc */
} rw_arena_stats;

RW_API rw_arena *rw_arena_new(size_t initial_bytes);
RW_API void rw_arena_free(rw_arena *a);

/* `bytes` of storage aligned to 64 bytes, uninitialized; NULL (and an
 * RW_ERR_NOMEM error naming the size) if the system is out of memory. */
RW_API void *rw_arena_alloc(rw_arena *a, size_t bytes);
/* Like rw_arena_alloc, zero-filled. */
RW_API void *rw_arena_calloc(rw_arena *a, size_t bytes);

/* Releases every allocation at once; keeps (and merges) the chunks. */
RW_API void rw_arena_reset(rw_arena *a);

RW_API rw_arena_stats rw_arena_get_stats(const rw_arena *a);

#ifdef __cplusplus
}
#endif
#endif
