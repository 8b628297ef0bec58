/* Internal: the parsed form of a safetensors file, shared by its reader
 * (safetensors.c) and its header parser (safetensors_header.c). */
#ifndef RW_CORE_SAFETENSORS_INTERNAL_H
#define RW_CORE_SAFETENSORS_INTERNAL_H

#include <stdbool.h>
#include "rewind/safetensors.h"

typedef struct st_tensor {
    char *name;
    rw_st_dtype dtype;
    int rank;
    uint64_t dims[RW_SAFETENSORS_MAX_RANK];
    uint64_t begin, end;         /* the byte range in the data, end exclusive */
} st_tensor;

struct rw_safetensors {
    char *file;                  /* the name errors start with */
    unsigned char *bytes;        /* the whole file */
    size_t len;
    const unsigned char *data;   /* bytes + 8 + header length */
    uint64_t data_len;
    int n, cap;
    st_tensor *t;
    st_tensor **by_name;         /* the tensors sorted by name, for lookups */
    bool meta_seen;
    int n_meta, meta_cap;
    char **meta_keys, **meta_values;
};

/* Parses the JSON header json[0..len) into st's tensors and metadata (no
 * range checks against the data yet). An error naming st->file and the
 * header byte otherwise. */
rw_status rwi_safetensors_parse_header(rw_safetensors *st, const char *json, size_t len);

/* s is well-formed UTF-8 (what the header parser accepts in strings). */
bool rwi_safetensors_utf8_ok(const char *s);

#endif
