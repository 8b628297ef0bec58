/* A chunked bump allocator; see rewind/arena.h. */
#include <stdint.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/arena.h"
#include "rewind/error.h"

#define RW_ARENA_ALIGN 64

typedef struct chunk {
    struct chunk *next;
    size_t size;     /* usable bytes after the header */
    size_t used;
    unsigned char *base;
} chunk;

struct rw_arena {
    chunk *head;        /* the chunk being filled; older chunks follow */
    size_t used;        /* bytes handed out since reset, over all chunks */
    size_t high_water;
    size_t reserved;
    size_t system_allocs;
};

static chunk *chunk_new(rw_arena *a, size_t size)
{
    /* one alignment of slack for the start, one after the end (BLIS may over-read) */
    chunk *c = rwi_malloc(sizeof *c + size + 2 * RW_ARENA_ALIGN, "an arena chunk");
    if (!c)
        return NULL;
    uintptr_t start = (uintptr_t)(c + 1);
    c->base = (unsigned char *)((start + RW_ARENA_ALIGN - 1) & ~(uintptr_t)(RW_ARENA_ALIGN - 1));
    c->size = size;
    c->used = 0;
    c->next = NULL;
    a->reserved += size;
    a->system_allocs++;
    return c;
}

rw_arena *rw_arena_new(size_t initial_bytes)
{
    rw_arena *a = rwi_calloc(1, sizeof *a, "an arena");
    if (!a)
        return NULL;
    a->head = chunk_new(a, initial_bytes ? initial_bytes : 1 << 20);
    if (!a->head) {
        rwi_free(a);
        return NULL;
    }
    return a;
}

void rw_arena_free(rw_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        rwi_free(c);
    }
    rwi_free(a);
}

void *rw_arena_alloc(rw_arena *a, size_t bytes)
{
    size_t need = (bytes + RW_ARENA_ALIGN - 1) & ~(size_t)(RW_ARENA_ALIGN - 1);
    if (need < bytes) {
        rw_error(RW_ERR_NOMEM, "arena allocation of %zu bytes overflows", bytes);
        return NULL;
    }
    chunk *c = a->head;
    if (c->size - c->used < need) {
        /* Grow geometrically so a step needs few chunks before the merge at reset. */
        size_t size = c->size * 2 > need ? c->size * 2 : need;
        chunk *fresh = chunk_new(a, size);
        if (!fresh)
            return NULL;
        fresh->next = c;
        a->head = c = fresh;
    }
    void *p = c->base + c->used;
    c->used += need;
    a->used += need;
    if (a->used > a->high_water)
        a->high_water = a->used;
    return p;
}

void *rw_arena_calloc(rw_arena *a, size_t bytes)
{
    void *p = rw_arena_alloc(a, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void rw_arena_reset(rw_arena *a)
{
    if (a->head->next) {
        /* The step overflowed the first chunk: replace all chunks by one that
         * holds the whole high-water mark, so the next step needs no malloc. */
        size_t want = a->high_water + a->high_water / 8;
        chunk *big = chunk_new(a, want);
        if (big) {
            for (chunk *c = a->head, *next; c; c = next) {
                next = c->next;
                a->reserved -= c->size;
                rwi_free(c);
            }
            a->head = big;
        } else {
            rw_error_clear(); /* keep the old chunks; still correct, just fragmented */
        }
    }
    for (chunk *c = a->head; c; c = c->next)
        c->used = 0;
    a->used = 0;
}

rw_arena_stats rw_arena_get_stats(const rw_arena *a)
{
    return (rw_arena_stats){ .used = a->used, .high_water = a->high_water,
                             .reserved = a->reserved, .system_allocs = a->system_allocs };
}
