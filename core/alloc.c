#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/error.h"
#include "rewind/memory.h"

static atomic_size_t alloc_count;

size_t rw_system_alloc_count(void) { return atomic_load(&alloc_count); }

void *rwi_malloc(size_t bytes, const char *what)
{
    atomic_fetch_add(&alloc_count, 1);
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void *rwi_calloc(size_t count, size_t size, const char *what)
{
    atomic_fetch_add(&alloc_count, 1);
    if (size && count > SIZE_MAX / size) {
        rw_error(RW_ERR_NOMEM, "allocation of %zu x %zu bytes for %s overflows", count, size, what);
        return NULL;
    }
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory allocating %zu bytes for %s", count * size, what);
    return p;
}

void *rwi_realloc(void *old, size_t bytes, const char *what)
{
    atomic_fetch_add(&alloc_count, 1);
    void *p = realloc(old, bytes ? bytes : 1);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory growing %s to %zu bytes", what, bytes);
    return p;
}

char *rwi_strdup(const char *s, const char *what)
{
    size_t n = strlen(s) + 1;
    char *p = rwi_malloc(n, what);
    if (p)
        memcpy(p, s, n);
    return p;
}

void rwi_free(void *p) { free(p); }
