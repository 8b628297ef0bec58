/* The JSON header of a safetensors file, parsed strictly: exactly the shape
 * the format defines (an object of tensor records and one optional
 * __metadata__ object of strings), nothing else. Every error names the file
 * and the header byte where the problem is. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "safetensors_internal.h"

typedef struct jp {
    rw_safetensors *st;
    const char *s;
    size_t len, pos;
} jp;

static rw_status fail(const jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static rw_status fail(const jp *p, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rw_error(RW_ERR_FORMAT, "%s: safetensors header, byte %zu: %s", p->st->file, p->pos, what);
}

static void skip_ws(jp *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

/* The next non-space character, or 0 at the end. */
static char peek(jp *p)
{
    skip_ws(p);
    return p->pos < p->len ? p->s[p->pos] : 0;
}

static rw_status expect(jp *p, char c, const char *where)
{
    if (peek(p) != c)
        return fail(p, "expected '%c' %s", c, where);
    p->pos++;
    return RW_OK;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n)
        return 0;
    unsigned cp = k == 1 ? c : k == 2 ? c & 0x1F : k == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0; /* overlong, out of range or a surrogate */
    return k;
}

bool rwi_safetensors_utf8_ok(const char *s)
{
    size_t n = strlen(s), k;
    for (size_t i = 0; i < n; i += k)
        if (!(k = utf8_len((const unsigned char *)s + i, n - i)))
            return false;
    return true;
}

/* A JSON string into a malloc'd UTF-8 C string (no NUL inside). */
static rw_status parse_string(jp *p, char **out, const char *what)
{
    *out = NULL;
    if (peek(p) != '"')
        return fail(p, "expected a string (%s)", what);
    size_t start = ++p->pos;
    /* the decoded text is never longer than the source */
    size_t end = start;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len)
        return fail(p, "unterminated string (%s)", what);
    char *buf = rwi_malloc(end - start + 1, "a safetensors header string");
    if (!buf)
        return rw_last_status();
    size_t n = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            rwi_free(buf);
            return fail(p, "control character 0x%02x in a string (%s)", c, what);
        }
        if (c != '\\') {
            size_t k = utf8_len((const unsigned char *)p->s + p->pos, end - p->pos);
            if (!k) {
                rwi_free(buf);
                return fail(p, "invalid UTF-8 in a string (%s)", what);
            }
            memcpy(buf + n, p->s + p->pos, k);
            n += k;
            p->pos += k;
            continue;
        }
        char e = p->s[p->pos + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            buf[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            p->pos += 2;
            continue;
        }
        int cp = e == 'u' && p->pos + 6 <= end ? hex4(p->s + p->pos + 2) : -1;
        size_t used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
            int lo = p->pos + 12 <= end && p->s[p->pos + 6] == '\\' && p->s[p->pos + 7] == 'u' ? hex4(p->s + p->pos + 8) : -1;
            cp = lo >= 0xDC00 && lo <= 0xDFFF ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) : -1;
            used = 12;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = -1;
        }
        if (cp <= 0) { /* \u0000 too: names are C strings */
            rwi_free(buf);
            return fail(p, "bad escape in a string (%s)", what);
        }
        n += put_utf8(buf + n, (unsigned)cp);
        p->pos += used;
    }
    p->pos++;
    buf[n] = 0;
    *out = buf;
    return RW_OK;
}

/* A non-negative integer without sign, fraction or exponent, in 64 bits. */
static rw_status parse_uint(jp *p, uint64_t *out, const char *what)
{
    char c = peek(p);
    if (c < '0' || c > '9')
        return fail(p, "%s must be a non-negative integer", what);
    uint64_t v = 0;
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(p, "%s does not fit in 64 bits", what);
        v = v * 10 + d;
        p->pos++;
    }
    if (p->pos - start > 1 && p->s[start] == '0')
        return fail(p, "%s has a leading zero", what);
    if (p->pos < p->len && strchr(".eE-+", p->s[p->pos]) && p->s[p->pos])
        return fail(p, "%s must be a non-negative integer", what);
    *out = v;
    return RW_OK;
}

/* [a, b, ...] of at most max integers; *n receives the count. */
static rw_status parse_uints(jp *p, uint64_t *v, int max, int *n, const char *what)
{
    *n = 0;
    if (expect(p, '[', what) != RW_OK)
        return rw_last_status();
    if (peek(p) == ']') {
        p->pos++;
        return RW_OK;
    }
    for (;;) {
        if (*n == max)
            return fail(p, "%s has more than %d entries", what, max);
        if (parse_uint(p, &v[(*n)++], what) != RW_OK)
            return rw_last_status();
        char c = peek(p);
        p->pos++;
        if (c == ']')
            return RW_OK;
        if (c != ',') {
            p->pos--;
            return fail(p, "expected ',' or ']' in %s", what);
        }
    }
}

static const char *const dtype_names[RW_ST_DTYPE_COUNT] = {
    [RW_ST_BOOL] = "BOOL", [RW_ST_U8] = "U8", [RW_ST_I8] = "I8", [RW_ST_F8_E4M3] = "F8_E4M3",
    [RW_ST_F8_E5M2] = "F8_E5M2", [RW_ST_I16] = "I16", [RW_ST_U16] = "U16", [RW_ST_F16] = "F16",
    [RW_ST_BF16] = "BF16", [RW_ST_I32] = "I32", [RW_ST_U32] = "U32", [RW_ST_F32] = "F32",
    [RW_ST_I64] = "I64", [RW_ST_U64] = "U64", [RW_ST_F64] = "F64",
};

const char *rw_safetensors_dtype_name(rw_st_dtype d)
{
    return (unsigned)d < RW_ST_DTYPE_COUNT ? dtype_names[d] : "?";
}

size_t rw_safetensors_dtype_size(rw_st_dtype d)
{
    static const unsigned char sizes[RW_ST_DTYPE_COUNT] = {
        [RW_ST_BOOL] = 1, [RW_ST_U8] = 1, [RW_ST_I8] = 1, [RW_ST_F8_E4M3] = 1, [RW_ST_F8_E5M2] = 1,
        [RW_ST_I16] = 2, [RW_ST_U16] = 2, [RW_ST_F16] = 2, [RW_ST_BF16] = 2, [RW_ST_I32] = 4,
        [RW_ST_U32] = 4, [RW_ST_F32] = 4, [RW_ST_I64] = 8, [RW_ST_U64] = 8, [RW_ST_F64] = 8,
    };
    return (unsigned)d < RW_ST_DTYPE_COUNT ? sizes[d] : 0;
}

/* {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}, each key once. */
static rw_status parse_tensor(jp *p, st_tensor *t)
{
    enum { DTYPE = 1, SHAPE = 2, OFFSETS = 4 };
    int seen = 0;
    if (expect(p, '{', "to open the tensor's record") != RW_OK)
        return rw_last_status();
    for (;;) {
        size_t key_at = (skip_ws(p), p->pos);
        char *key;
        if (parse_string(p, &key, "a key of the tensor's record") != RW_OK)
            return rw_last_status();
        int which = !strcmp(key, "dtype") ? DTYPE : !strcmp(key, "shape") ? SHAPE : !strcmp(key, "data_offsets") ? OFFSETS : 0;
        rwi_free(key);
        if (!which || seen & which) {
            p->pos = key_at;
            return fail(p, "tensor '%s': %s key (a record holds dtype, shape and data_offsets, once each)", t->name,
                        which ? "repeated" : "unknown");
        }
        seen |= which;
        if (expect(p, ':', "after the key") != RW_OK)
            return rw_last_status();
        if (which == DTYPE) {
            size_t at = (skip_ws(p), p->pos);
            char *name;
            if (parse_string(p, &name, "the dtype") != RW_OK)
                return rw_last_status();
            int d = 0;
            while (d < RW_ST_DTYPE_COUNT && strcmp(dtype_names[d], name))
                d++;
            if (d == RW_ST_DTYPE_COUNT) {
                p->pos = at;
                rw_status st = fail(p, "tensor '%s': unknown dtype '%.40s'", t->name, name);
                rwi_free(name);
                return st;
            }
            rwi_free(name);
            t->dtype = (rw_st_dtype)d;
        } else if (which == SHAPE) {
            if (parse_uints(p, t->dims, RW_SAFETENSORS_MAX_RANK, &t->rank, "the shape") != RW_OK)
                return rw_last_status();
        } else {
            uint64_t off[2];
            int n;
            size_t at = (skip_ws(p), p->pos);
            if (parse_uints(p, off, 2, &n, "data_offsets") != RW_OK)
                return rw_last_status();
            if (n != 2 || off[1] < off[0]) {
                p->pos = at;
                return fail(p, "tensor '%s': data_offsets must be [begin, end] with begin <= end", t->name);
            }
            t->begin = off[0];
            t->end = off[1];
        }
        char c = peek(p);
        p->pos++;
        if (c == '}')
            break;
        if (c != ',') {
            p->pos--;
            return fail(p, "expected ',' or '}' in tensor '%s'", t->name);
        }
    }
    if (seen != (DTYPE | SHAPE | OFFSETS))
        return fail(p, "tensor '%s' lacks %s", t->name, !(seen & DTYPE) ? "its dtype" : !(seen & SHAPE) ? "its shape" : "its data_offsets");
    return RW_OK;
}

/* {"key": "value", ...}; keys unique. */
static rw_status parse_metadata(jp *p)
{
    rw_safetensors *st = p->st;
    if (st->meta_seen)
        return fail(p, "a second __metadata__");
    st->meta_seen = true;
    if (expect(p, '{', "to open __metadata__") != RW_OK)
        return rw_last_status();
    if (peek(p) == '}') {
        p->pos++;
        return RW_OK;
    }
    for (;;) {
        if (st->n_meta == st->meta_cap) {
            int cap = st->meta_cap > 0 ? 2 * st->meta_cap : 8;
            char **k = rwi_realloc(st->meta_keys, (size_t)cap * sizeof *k, "safetensors metadata");
            if (!k)
                return rw_last_status();
            st->meta_keys = k;
            char **v = rwi_realloc(st->meta_values, (size_t)cap * sizeof *v, "safetensors metadata");
            if (!v)
                return rw_last_status();
            st->meta_values = v;
            st->meta_cap = cap;
        }
        size_t at = (skip_ws(p), p->pos);
        char *key, *value;
        if (parse_string(p, &key, "a __metadata__ key") != RW_OK)
            return rw_last_status();
        for (int i = 0; i < st->n_meta; i++)
            if (!strcmp(st->meta_keys[i], key)) {
                p->pos = at;
                rw_status s = fail(p, "__metadata__ key '%.80s' appears twice", key);
                rwi_free(key);
                return s;
            }
        if (expect(p, ':', "after the key") != RW_OK || parse_string(p, &value, "a __metadata__ value (only strings)") != RW_OK) {
            rwi_free(key);
            return rw_last_status();
        }
        st->meta_keys[st->n_meta] = key;
        st->meta_values[st->n_meta++] = value;
        char c = peek(p);
        p->pos++;
        if (c == '}')
            return RW_OK;
        if (c != ',') {
            p->pos--;
            return fail(p, "expected ',' or '}' in __metadata__");
        }
    }
}

static rw_status add_tensor(jp *p, char *name)
{
    rw_safetensors *st = p->st;
    if (st->n == st->cap) {
        int cap = st->cap ? 2 * st->cap : 16;
        st_tensor *t = rwi_realloc(st->t, (size_t)cap * sizeof *t, "safetensors tensor records");
        if (!t) {
            rwi_free(name);
            return rw_last_status();
        }
        st->t = t;
        st->cap = cap;
    }
    st_tensor *t = &st->t[st->n++];
    memset(t, 0, sizeof *t);
    t->name = name;
    return parse_tensor(p, t);
}

rw_status rwi_safetensors_parse_header(rw_safetensors *st, const char *json, size_t len)
{
    jp p = { st, json, len, 0 };
    if (len == 0 || json[0] != '{')
        return fail(&p, "the header must be a JSON object starting with '{'");
    p.pos = 1;
    if (peek(&p) == '}') {
        p.pos++;
    } else {
        for (;;) {
            char *name;
            if (parse_string(&p, &name, "a tensor name") != RW_OK || expect(&p, ':', "after the name") != RW_OK) {
                rwi_free(name);
                return rw_last_status();
            }
            if (!name[0]) {
                rwi_free(name);
                return fail(&p, "a tensor with an empty name");
            }
            if (!strcmp(name, "__metadata__")) {
                rwi_free(name);
                if (parse_metadata(&p) != RW_OK)
                    return rw_last_status();
            } else if (add_tensor(&p, name) != RW_OK) {
                return rw_last_status();
            }
            char c = peek(&p);
            p.pos++;
            if (c == '}')
                break;
            if (c != ',') {
                p.pos--;
                return fail(&p, "expected ',' or '}' after an entry");
            }
        }
    }
    if (peek(&p))
        return fail(&p, "text after the header's closing '}'");
    return RW_OK;
}
