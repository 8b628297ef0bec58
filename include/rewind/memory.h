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

#ifdef __cplusplus
}
#endif
#endif
