/* Reading safetensors files: the length prefix, the header (parsed by
 * safetensors_header.c), the checks that tie the header to the data, and
 * the conversion of float tensors to rw_real. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/byte_order.h"
#include "safetensors_internal.h"

void rw_safetensors_close(rw_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        rwi_free(st->t[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        rwi_free(st->meta_keys[i]);
        rwi_free(st->meta_values[i]);
    }
    rwi_free(st->t);
    rwi_free(st->by_name);
    rwi_free(st->meta_keys);
    rwi_free(st->meta_values);
    rwi_free(st->bytes);
    rwi_free(st->file);
    rwi_free(st);
}

static rw_status bad(const rw_safetensors *st, const char *what, const char *name)
{
    if (name)
        return rw_error(RW_ERR_FORMAT, "%s: tensor '%s': %s", st->file, name, what);
    return rw_error(RW_ERR_FORMAT, "%s: %s", st->file, what);
}

static int by_begin(const void *a, const void *b)
{
    const st_tensor *x = a, *y = b;
    return x->begin != y->begin ? (x->begin < y->begin ? -1 : 1) : (x->end > y->end) - (x->end < y->end);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

/* Each tensor's byte count agrees with its dtype and shape, and the ranges,
 * in order, tile the data exactly. */
static rw_status check_ranges(rw_safetensors *st)
{
    uint64_t at = 0;
    char what[256];
    for (int i = 0; i < st->n; i++) {
        const st_tensor *t = &st->t[i];
        uint64_t bytes = rw_safetensors_dtype_size(t->dtype);
        for (int d = 0; d < t->rank; d++) {
            if (t->dims[d] && bytes > UINT64_MAX / t->dims[d])
                return bad(st, "its shape holds more bytes than 64 bits count", t->name);
            bytes *= t->dims[d];
        }
        if (bytes != t->end - t->begin) {
            snprintf(what, sizeof what, "data_offsets [%llu, %llu] hold %llu bytes, but dtype %s and its shape need %llu",
                     (unsigned long long)t->begin, (unsigned long long)t->end,
                     (unsigned long long)(t->end - t->begin), rw_safetensors_dtype_name(t->dtype),
                     (unsigned long long)bytes);
            return bad(st, what, t->name);
        }
        if (t->begin != at) {
            snprintf(what, sizeof what, "data_offsets start at byte %llu where the data %s byte %llu",
                     (unsigned long long)t->begin, t->begin > at ? "has a gap from" : "overlaps the previous tensor at",
                     (unsigned long long)at);
            return bad(st, what, t->name);
        }
        if (t->end > st->data_len) {
            snprintf(what, sizeof what, "data_offsets end at byte %llu, past the %llu bytes of data (a truncated file?)",
                     (unsigned long long)t->end, (unsigned long long)st->data_len);
            return bad(st, what, t->name);
        }
        at = t->end;
    }
    if (at != st->data_len) {
        snprintf(what, sizeof what, "%llu bytes of data after the last tensor's (the header's data_offsets stop at %llu)",
                 (unsigned long long)(st->data_len - at), (unsigned long long)at);
        return bad(st, what, NULL);
    }
    return RW_OK;
}

static rw_status index_names(rw_safetensors *st)
{
    if (!(st->by_name = rwi_malloc((size_t)(st->n ? st->n : 1) * sizeof *st->by_name, "a safetensors name index")))
        return rw_last_status();
    for (int i = 0; i < st->n; i++)
        st->by_name[i] = &st->t[i];
    qsort(st->by_name, (size_t)st->n, sizeof *st->by_name, by_name);
    for (int i = 1; i < st->n; i++)
        if (!strcmp(st->by_name[i]->name, st->by_name[i - 1]->name))
            return bad(st, "appears twice in the header", st->by_name[i]->name);
    return RW_OK;
}

/* Takes ownership of bytes. */
static rw_safetensors *parse_owned(unsigned char *bytes, size_t len, const char *name)
{
    rw_safetensors *st = rwi_calloc(1, sizeof *st, "a safetensors file");
    if (!st || !(st->file = rwi_strdup(name ? name : "(safetensors)", "a file name"))) {
        rwi_free(bytes);
        rwi_free(st);
        return NULL;
    }
    st->bytes = bytes;
    st->len = len;
    if (len < 8) {
        bad(st, "shorter than the 8-byte header length: not a safetensors file", NULL);
        goto fail;
    }
    uint64_t n = rw_le_get_u64(bytes);
    if (n > RW_SAFETENSORS_MAX_HEADER || n > len - 8) {
        char what[200];
        snprintf(what, sizeof what, "the header length %llu is %s", (unsigned long long)n,
                 n > len - 8 ? "longer than the file: not a safetensors file, or a truncated one"
                             : "over the format's limit of 100 MB");
        bad(st, what, NULL);
        goto fail;
    }
    st->data = bytes + 8 + n;
    st->data_len = len - 8 - n;
    if (memchr(bytes + 8, 0, n)) {
        bad(st, "a NUL byte in the JSON header", NULL);
        goto fail;
    }
    if (rwi_safetensors_parse_header(st, (const char *)bytes + 8, (size_t)n) != RW_OK)
        goto fail;
    qsort(st->t, (size_t)st->n, sizeof *st->t, by_begin); /* in data order; the index points into this */
    if (index_names(st) != RW_OK || check_ranges(st) != RW_OK)
        goto fail;
    return st;
fail:
    rw_safetensors_close(st);
    return NULL;
}

rw_safetensors *rw_safetensors_parse(const void *bytes, size_t len, const char *name)
{
    unsigned char *copy = rwi_malloc(len ? len : 1, "a safetensors file");
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, bytes, len);
    return parse_owned(copy, len, name);
}

rw_safetensors *rw_safetensors_open(const char *path)
{
    if (!path) {
        rw_error(RW_ERR_ARG, "rw_safetensors_open: path is NULL");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rw_error(RW_ERR_IO, "%s: cannot read: %s", path, !f ? strerror(errno) : "not a regular file");
        if (f)
            fclose(f);
        return NULL;
    }
    size_t len = (size_t)sb.st_size;
    unsigned char *bytes = (uint64_t)sb.st_size == len ? rwi_malloc(len ? len : 1, "a safetensors file") : NULL;
    if (!bytes || fread(bytes, 1, len, f) != len) {
        if (bytes)
            rw_error(RW_ERR_IO, "%s: cannot read its %zu bytes", path, len);
        rwi_free(bytes);
        fclose(f);
        return NULL;
    }
    fclose(f);
    return parse_owned(bytes, len, path);
}

int rw_safetensors_count(const rw_safetensors *st) { return st ? st->n : 0; }

static const st_tensor *at(const rw_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? &st->t[i] : NULL;
}

const char *rw_safetensors_name(const rw_safetensors *st, int i) { return at(st, i) ? at(st, i)->name : NULL; }
rw_st_dtype rw_safetensors_dtype(const rw_safetensors *st, int i) { return at(st, i) ? at(st, i)->dtype : RW_ST_DTYPE_COUNT; }
int rw_safetensors_rank(const rw_safetensors *st, int i) { return at(st, i) ? at(st, i)->rank : -1; }
const uint64_t *rw_safetensors_dims(const rw_safetensors *st, int i) { return at(st, i) ? at(st, i)->dims : NULL; }

const void *rw_safetensors_data(const rw_safetensors *st, int i, size_t *bytes)
{
    const st_tensor *t = at(st, i);
    if (bytes)
        *bytes = t ? (size_t)(t->end - t->begin) : 0;
    return t ? st->data + t->begin : NULL;
}

int rw_safetensors_find(const rw_safetensors *st, const char *name)
{
    if (!st || !name)
        return -1;
    int lo = 0, hi = st->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(name, st->by_name[mid]->name);
        if (!c)
            return (int)(st->by_name[mid] - st->t);
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

/* IEEE half to float: exact (every half is a float). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = h >> 10 & 0x1F, m = h & 0x3FF, bits;
    if (e == 0x1F) {
        bits = sign | 0x7F800000u | m << 13;
    } else if (e) {
        bits = sign | (e + 112) << 23 | m << 13;
    } else if (!m) {
        bits = sign;
    } else { /* subnormal: normalize */
        e = 113;
        while (!(m & 0x400)) {
            m <<= 1;
            e--;
        }
        bits = sign | e << 23 | (m & 0x3FF) << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static double element(const unsigned char *b, rw_st_dtype d)
{
    if (d == RW_ST_F64) {
        uint64_t u = rw_le_get_u64(b);
        double v;
        memcpy(&v, &u, 8);
        return v;
    }
    uint32_t u = d == RW_ST_F32 ? rw_le_get_u32(b) : d == RW_ST_BF16 ? (uint32_t)(b[0] | b[1] << 8) << 16 : 0;
    float v;
    if (d == RW_ST_F16)
        return half_to_float((uint16_t)(b[0] | b[1] << 8));
    memcpy(&v, &u, 4);
    return v;
}

rw_status rw_safetensors_read(const rw_safetensors *st, int i, rw_tensor *dst)
{
    const st_tensor *t = at(st, i);
    if (!t || !dst || dst->dtype != RW_REAL)
        return rw_error(RW_ERR_ARG, "rw_safetensors_read: no tensor %d, or dst is not a real tensor", i);
    if (t->dtype != RW_ST_F64 && t->dtype != RW_ST_F32 && t->dtype != RW_ST_F16 && t->dtype != RW_ST_BF16)
        return rw_error(RW_ERR_FORMAT, "%s: tensor '%s' has dtype %s; parameters are read from F64, F32, F16 or BF16",
                        st->file, t->name, rw_safetensors_dtype_name(t->dtype));
    bool same = t->rank == dst->shape.ndim;
    for (int d = 0; same && d < t->rank; d++)
        same = t->dims[d] == (uint64_t)dst->shape.dim[d];
    if (!same) {
        char want[64], got[160] = "[";
        rw_shape_str(dst->shape, want, sizeof want);
        for (int d = 0; d < t->rank; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", d ? ", " : "", (unsigned long long)t->dims[d]);
        strcat(got, "]");
        return rw_error(RW_ERR_SHAPE, "%s: tensor '%s' has shape %s where %s is expected", st->file, t->name, got, want);
    }
    size_t size = rw_safetensors_dtype_size(t->dtype);
    const unsigned char *b = st->data + t->begin;
    for (size_t k = 0; k < dst->size; k++)
        dst->data[k] = (rw_real)element(b + k * size, t->dtype);
    return RW_OK;
}

rw_tensor *rw_safetensors_tensor(const rw_safetensors *st, int i)
{
    const st_tensor *t = at(st, i);
    if (!t) {
        rw_error(RW_ERR_ARG, "rw_safetensors_tensor: no tensor %d", i);
        return NULL;
    }
    rw_shape s = { .ndim = t->rank };
    bool fits = t->rank <= RW_MAX_DIMS;
    for (int d = 0; fits && d < t->rank; d++) {
        fits = t->dims[d] <= INT_MAX;
        s.dim[d] = fits ? (int)t->dims[d] : 0;
    }
    if (!fits) {
        rw_error(RW_ERR_SHAPE, "%s: tensor '%s' has %d dimensions or one over 2^31; rewind tensors have at most %d",
                 st->file, t->name, t->rank, RW_MAX_DIMS);
        return NULL;
    }
    rw_tensor *x = rw_tensor_new(RW_REAL, s);
    if (x && rw_safetensors_read(st, i, x) != RW_OK) {
        rw_tensor_free(x);
        return NULL;
    }
    return x;
}

int rw_safetensors_meta_count(const rw_safetensors *st) { return st ? st->n_meta : 0; }

const char *rw_safetensors_meta_key(const rw_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n_meta ? st->meta_keys[i] : NULL;
}

const char *rw_safetensors_meta_value(const rw_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n_meta ? st->meta_values[i] : NULL;
}

const char *rw_safetensors_meta(const rw_safetensors *st, const char *key)
{
    for (int i = 0; key && i < rw_safetensors_meta_count(st); i++)
        if (!strcmp(st->meta_keys[i], key))
            return st->meta_values[i];
    return NULL;
}
