/* Internal: the library's system allocations, counted, with a clear error
 * on failure. Every heap allocation of librewind goes through here, so a
 * test can assert that a warm training step makes none. */
#ifndef RW_CORE_ALLOC_H
#define RW_CORE_ALLOC_H

#include <stddef.h>

void *rw_malloc(size_t bytes, const char *what);
void *rw_calloc(size_t count, size_t size, const char *what);
void *rw_realloc(void *p, size_t bytes, const char *what);
char *rw_strdup(const char *s, const char *what);
void rw_free(void *p);

/* Allocation-failure injection, for tests: the n-th allocation made through
 * the functions above from now on fails with RW_ERR_NOMEM ("... (injected
 * failure)"), as if the system had no memory; later ones succeed again.
 * n = 0 turns injection off. tests/test_alloc_failure.c runs an operation
 * once for every n to check that each failure is clean. */
void rw_alloc_fail_at(size_t n);

#endif
