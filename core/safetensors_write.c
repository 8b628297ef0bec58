/* Writing safetensors files: the JSON header (padded with spaces to a
 * multiple of 8 bytes, as PyTorch's writer does, so the data is aligned),
 * then each tensor as little-endian F32 or F64, through a temporary file
 * renamed into place. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/byte_order.h"
#include "safetensors_internal.h"

/* A growing text buffer; a failed allocation sets failed and stops it. */
typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = rwi_realloc(t->s, cap, "a safetensors header");
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static void put_json_string(text *t, const char *s)
{
    put(t, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(t, esc, 6);
        } else {
            put(t, (const char *)&c, 1);
        }
    }
    put(t, "\"", 1);
}

static rw_status check_items(const char *path, const rw_safetensors_item *items, int n)
{
    for (int i = 0; i < n; i++) {
        const char *name = items[i].name;
        const rw_tensor *x = items[i].tensor;
        if (!name || !name[0] || strlen(name) > 4096 || !strcmp(name, "__metadata__") || !rwi_safetensors_utf8_ok(name))
            return rw_error(RW_ERR_ARG, "%s: tensor %d has no usable name (non-empty UTF-8 of at most 4096 bytes, not __metadata__)",
                            path, i);
        if (!x || x->dtype != RW_REAL)
            return rw_error(RW_ERR_ARG, "%s: tensor '%s' is not a real tensor", path, name);
        for (int j = 0; j < i; j++)
            if (!strcmp(items[j].name, name))
                return rw_error(RW_ERR_ARG, "%s: tensor '%s' is given twice", path, name);
    }
    return RW_OK;
}

static void put_header(text *h, const rw_safetensors_item *items, int n, const char *const *keys,
                       const char *const *values, int n_meta, rw_st_dtype dtype)
{
    puts_(h, "{");
    if (n_meta) {
        puts_(h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i)
                puts_(h, ",");
            put_json_string(h, keys[i]);
            puts_(h, ":");
            put_json_string(h, values[i]);
        }
        puts_(h, "}");
    }
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        const rw_tensor *x = items[i].tensor;
        char num[64];
        puts_(h, n_meta || i ? "," : "");
        put_json_string(h, items[i].name);
        puts_(h, ":{\"dtype\":\"");
        puts_(h, rw_safetensors_dtype_name(dtype));
        puts_(h, "\",\"shape\":[");
        for (int d = 0; d < x->shape.ndim; d++) {
            snprintf(num, sizeof num, "%s%d", d ? "," : "", x->shape.dim[d]);
            puts_(h, num);
        }
        uint64_t end = at + (uint64_t)x->size * rw_safetensors_dtype_size(dtype);
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at, (unsigned long long)end);
        puts_(h, num);
        at = end;
    }
    puts_(h, "}");
    while (h->len % 8)
        puts_(h, " ");
}

static bool write_data(FILE *f, const rw_tensor *x, rw_st_dtype dtype)
{
    unsigned char b[8 * 256];
    size_t per = rw_safetensors_dtype_size(dtype), n = 0;
    for (size_t k = 0; k < x->size; k++) {
        if (dtype == RW_ST_F64) {
            double v = (double)x->data[k];
            uint64_t u;
            memcpy(&u, &v, 8);
            rw_le_put_u64(b + n * per, u);
        } else {
            float v = (float)x->data[k];
            uint32_t u;
            memcpy(&u, &v, 4);
            rw_le_put_u32(b + n * per, u);
        }
        if (++n == 256 || k + 1 == x->size) {
            if (fwrite(b, per, n, f) != n)
                return false;
            n = 0;
        }
    }
    return true;
}

rw_status rw_safetensors_save(const char *path, const rw_safetensors_item *items, int n, const char *const *meta_keys,
                              const char *const *meta_values, int n_meta, rw_st_dtype dtype)
{
    if (!path || n < 0 || n_meta < 0 || (n && !items) || (n_meta && (!meta_keys || !meta_values)))
        return rw_error(RW_ERR_ARG, "rw_safetensors_save: bad arguments");
    if (dtype != RW_ST_F32 && dtype != RW_ST_F64)
        return rw_error(RW_ERR_ARG, "%s: tensors are written as F32 or F64, not %s", path, rw_safetensors_dtype_name(dtype));
    if (check_items(path, items, n) != RW_OK)
        return rw_last_status();
    for (int i = 0; i < n_meta; i++)
        if (!meta_keys[i] || !meta_values[i] || !rwi_safetensors_utf8_ok(meta_keys[i]) || !rwi_safetensors_utf8_ok(meta_values[i]))
            return rw_error(RW_ERR_ARG, "%s: metadata entry %d is not a pair of UTF-8 strings", path, i);
    text h = { 0 };
    put_header(&h, items, n, meta_keys, meta_values, n_meta, dtype);
    if (h.failed) {
        rwi_free(h.s);
        return rw_last_status();
    }
    size_t tmp_len = strlen(path) + 32;
    char *tmp = rwi_malloc(tmp_len, "a temporary file name");
    if (!tmp) {
        rwi_free(h.s);
        return rw_last_status();
    }
    snprintf(tmp, tmp_len, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL;
    unsigned char len8[8];
    rw_le_put_u64(len8, h.len);
    ok = ok && fwrite(len8, 1, 8, f) == 8 && fwrite(h.s, 1, h.len, f) == h.len;
    for (int i = 0; ok && i < n; i++)
        ok = write_data(f, items[i].tensor, dtype);
    int err = ok ? 0 : errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    rw_status st = RW_OK;
    if (!ok) {
        st = rw_error(RW_ERR_IO, "%s: cannot write: %s", path, strerror(err ? err : EIO));
        remove(tmp);
    }
    rwi_free(tmp);
    rwi_free(h.s);
    return st;
}
