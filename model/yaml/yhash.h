/* Internal: a string-keyed hash table for the YAML reader, so that the
 * duplicate-key check of a mapping and the lookup of an anchor take constant
 * time instead of a scan (a file with 50,000 keys or anchors was quadratic).
 *
 * A key is a pair (owner, string): `owner` tells tables apart that share one
 * hash (the mapping a key belongs to; NULL for anchors). Strings are not
 * copied: they must outlive the table. */
#ifndef RW_MODEL_YHASH_H
#define RW_MODEL_YHASH_H

#include <stddef.h>
#include <stdint.h>
#include "rewind/error.h"

typedef struct yhash_slot {
    const void *owner;
    const char *str;   /* NULL: the slot is empty */
    void *value;
    uint64_t hash;
} yhash_slot;

typedef struct yhash {
    yhash_slot *slots;
    size_t cap, n;     /* cap is 0 or a power of two */
} yhash;

/* The value stored for (owner, str), or NULL. */
void *rwi_yhash_get(const yhash *t, const void *owner, const char *str);
/* Stores value for (owner, str), replacing an earlier one. RW_ERR_NOMEM on failure. */
rw_status rwi_yhash_put(yhash *t, const void *owner, const char *str, void *value);
void rwi_yhash_free(yhash *t);

#endif
