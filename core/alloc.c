#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/error.h"
#include "rewind/memory.h"

static atomic_size_t alloc_count;
/* Allocation-failure injection (tests): the allocation that brings this
 * countdown from 1 to 0 fails; 0 means no injection. */
static atomic_size_t fail_countdown;

size_t rw_system_alloc_count(void) { return atomic_load(&alloc_count); }

void rw_alloc_fail_at(size_t n) { atomic_store(&fail_countdown, n); }

/* Counts an allocation; true when it is the one to fail (after recording the error). */
static bool injected_failure(const char *what)
{
    atomic_fetch_add(&alloc_count, 1);
    size_t left = atomic_load(&fail_countdown);
    while (left > 0 && !atomic_compare_exchange_weak(&fail_countdown, &left, left - 1))
        ;
    if (left != 1)
        return false;
    rw_error(RW_ERR_NOMEM, "out of memory allocating %s (injected failure)", what);
    return true;
}

void *rwi_malloc(size_t bytes, const char *what)
{
    if (injected_failure(what))
        return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void *rwi_calloc(size_t count, size_t size, const char *what)
{
    if (injected_failure(what))
        return NULL;
    if (size && count > SIZE_MAX / size) {
        rw_error(RW_ERR_NOMEM, "allocation of %zu x %zu bytes for %s overflows", count, size, what);
        return NULL;
    }
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory allocating %zu bytes for %s", count * size, what);
    return p;
}

void *rwi_calloc_aligned(size_t count, size_t size, const char *what)
{
    enum { ALIGN = 64 };
    if (injected_failure(what))
        return NULL;
    if (size && count > (SIZE_MAX - ALIGN) / size) {
        rw_error(RW_ERR_NOMEM, "allocation of %zu x %zu bytes for %s overflows", count, size, what);
        return NULL;
    }
    size_t bytes = (count * size + ALIGN - 1) / ALIGN * ALIGN; /* aligned_alloc wants a multiple */
    void *p = aligned_alloc(ALIGN, bytes ? bytes : ALIGN);
    if (!p)
        rw_error(RW_ERR_NOMEM, "out of memory allocating %zu bytes for %s", count * size, what);
    else
        memset(p, 0, bytes);
    return p;
}

void *rwi_realloc(void *old, size_t bytes, const char *what)
{
    if (injected_failure(what))
        return NULL; /* like realloc: `old` is kept */
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
