/* rewind/memory.h - allocation accounting. */
#ifndef REWIND_MEMORY_H
#define REWIND_MEMORY_H

#include "rewind/export.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many times the library has called malloc, calloc or realloc since the
 * process started. A warm training step must not change it. */
RW_API size_t rw_system_alloc_count(void);

/* Allocation-failure injection, for testing error paths (yours and the
 * library's): the n-th allocation the library makes from now on fails with
 * RW_ERR_NOMEM ("... (injected failure)"), as if the system had no memory;
 * later ones succeed again. n = 0 turns injection off. Run an operation once
 * for every n until it succeeds to check that each failure is clean:
 *
 *     for (size_t n = 1;; n++) {
 *         rw_alloc_fail_at(n);
 *         rw_params *P = rw_params_new();
 *         rw_alloc_fail_at(0);
 *         if (P) {            // no n-th allocation left to fail: done
 *             rw_params_free(P);
 *             break;
 *         }
 *     }
 */
RW_API void rw_alloc_fail_at(size_t n);

#ifdef __cplusplus
}
#endif
#endif
