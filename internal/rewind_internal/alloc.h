/* Internal: the library's system allocations, counted, with a clear error
 * on failure. Every heap allocation of librewind goes through here, so a
 * test can assert that a warm training step makes none. */
#ifndef RW_CORE_ALLOC_H
#define RW_CORE_ALLOC_H

#include <stddef.h>

void *rwi_malloc(size_t bytes, const char *what);
void *rwi_calloc(size_t count, size_t size, const char *what);
/* rwi_calloc on a 64-byte boundary (a cache line, an AVX-512 vector), freed
 * with rwi_free: glibc's malloc puts a large block 16 bytes past a page, so
 * every vector load of a weight split two cache lines (the small-row GEMM
 * ran about 10% slower on such a weight). */
void *rwi_calloc_aligned(size_t count, size_t size, const char *what);
void *rwi_realloc(void *p, size_t bytes, const char *what);
char *rwi_strdup(const char *s, const char *what);
void rwi_free(void *p);

/* rw_alloc_fail_at (rewind/memory.h) makes one of the allocations above fail. */

#endif
