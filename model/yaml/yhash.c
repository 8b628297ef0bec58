/* Open addressing with linear probing, kept at most half full. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yhash.h"

static uint64_t hash_of(const void *owner, const char *str)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)owner; /* FNV-1a over the string */
    for (const unsigned char *p = (const unsigned char *)str; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ^ (h >> 29);
}

static yhash_slot *find_slot(yhash_slot *slots, size_t cap, const void *owner, const char *str, uint64_t h)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        yhash_slot *s = &slots[i];
        if (!s->str || (s->hash == h && s->owner == owner && strcmp(s->str, str) == 0))
            return s;
    }
}

void *rwi_yhash_get(const yhash *t, const void *owner, const char *str)
{
    if (!t->cap)
        return NULL;
    yhash_slot *s = find_slot(t->slots, t->cap, owner, str, hash_of(owner, str));
    return s->str ? s->value : NULL;
}

static rw_status grow(yhash *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    yhash_slot *slots = rwi_calloc(cap, sizeof *slots, "a YAML hash table");
    if (!slots)
        return RW_ERR_NOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].str)
            *find_slot(slots, cap, t->slots[i].owner, t->slots[i].str, t->slots[i].hash) = t->slots[i];
    rwi_free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return RW_OK;
}

rw_status rwi_yhash_put(yhash *t, const void *owner, const char *str, void *value)
{
    if (2 * (t->n + 1) > t->cap && grow(t) != RW_OK)
        return RW_ERR_NOMEM;
    uint64_t h = hash_of(owner, str);
    yhash_slot *s = find_slot(t->slots, t->cap, owner, str, h);
    if (!s->str)
        t->n++;
    *s = (yhash_slot){ .owner = owner, .str = str, .value = value, .hash = h };
    return RW_OK;
}

void rwi_yhash_free(yhash *t)
{
    rwi_free(t->slots);
    *t = (yhash){ 0 };
}
