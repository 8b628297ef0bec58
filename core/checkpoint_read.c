/* Reading checkpoints: the whole file is read into one buffer (its size
 * comes from fstat, so nothing is allocated from a number in the file
 * before it is bounded by the bytes actually present), the header, length
 * and CRC-32 are checked, then every section is parsed into views of the
 * buffer with each length checked against what remains. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rewind_internal/alloc.h"
#include "checkpoint_internal.h"
#include "crc32.h"

/* A bounded cursor over one section's payload. */
typedef struct ck_cursor {
    const rw_checkpoint *ck;
    const unsigned char *p;
    size_t left;
    size_t offset;          /* file offset of p, for messages */
    const char *tag;
} ck_cursor;

static rw_status short_section(const ck_cursor *c, size_t need, const char *what)
{
    return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path,
                       "section '%s' ends at byte %zu in the middle of its %s (%zu bytes needed, %zu left)",
                       c->tag, c->offset + c->left, what, need, c->left);
}

static rw_status take(ck_cursor *c, size_t n, const char *what, const unsigned char **out)
{
    if (n > c->left)
        return short_section(c, n, what);
    *out = c->p;
    c->p += n;
    c->left -= n;
    c->offset += n;
    return RW_OK;
}

static rw_status take_u32(ck_cursor *c, const char *what, uint32_t *v)
{
    const unsigned char *b = NULL;
    rw_status st = take(c, 4, what, &b);
    if (st == RW_OK)
        *v = rw_le_get_u32(b);
    return st;
}

static rw_status take_u64(ck_cursor *c, const char *what, uint64_t *v)
{
    const unsigned char *b = NULL;
    rw_status st = take(c, 8, what, &b);
    if (st == RW_OK)
        *v = rw_le_get_u64(b);
    return st;
}

/* A string: u32 length n, n bytes without a 0, then a 0 byte. */
static rw_status take_str(ck_cursor *c, const char *what, size_t max, const char **out)
{
    uint32_t n;
    const unsigned char *b = NULL;
    size_t at = c->offset;
    rw_status st = take_u32(c, what, &n);
    if (st != RW_OK)
        return st;
    if (n > max)
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "%s at byte %zu is %u bytes long (at most %zu)", what, at,
                           n, max);
    if ((st = take(c, (size_t)n + 1, what, &b)) != RW_OK)
        return st;
    if (b[n] != 0 || memchr(b, 0, n) != NULL)
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "%s at byte %zu is not a proper string", what, at);
    *out = (const char *)b;
    return RW_OK;
}

static bool stored_value_finite(uint32_t dtype, const unsigned char *b)
{
    if (dtype == RW_CK_F32) {
        uint32_t bits = rw_le_get_u32(b);
        return (bits & 0x7F800000U) != 0x7F800000U;
    }
    uint64_t bits = rw_le_get_u64(b);
    return (bits & 0x7FF0000000000000ULL) != 0x7FF0000000000000ULL;
}

static rw_status parse_tensor(ck_cursor *c, rw_ck_tensor *t)
{
    rw_status st;
    uint32_t ndim;
    if ((st = take_str(c, "tensor name", RW_CK_MAX_NAME, &t->name)) != RW_OK)
        return st;
    if (!t->name[0])
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "a tensor before byte %zu has an empty name", c->offset);
    if ((st = take_u32(c, "tensor dtype", &t->dtype)) != RW_OK || (st = take_u32(c, "tensor rank", &ndim)) != RW_OK)
        return st;
    if (t->dtype != RW_CK_F32 && t->dtype != RW_CK_F64)
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "tensor '%s' has unknown dtype %u", t->name, t->dtype);
    if (ndim > RW_MAX_DIMS)
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "tensor '%s' has %u dimensions (at most %d)", t->name, ndim,
                           RW_MAX_DIMS);
    t->shape.ndim = (int)ndim;
    for (uint32_t d = 0; d < ndim; d++) {
        uint32_t v;
        if ((st = take_u32(c, "tensor shape", &v)) != RW_OK)
            return st;
        if (v < 1 || v > INT32_MAX)
            return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "tensor '%s' has dimension %u of size %u", t->name, d,
                               v);
        t->shape.dim[d] = (int)v;
    }
    if (rw_shape_check(t->shape) != RW_OK)
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "tensor '%s': %s", t->name, rw_last_error());
    size_t elem = t->dtype == RW_CK_F32 ? 4 : 8;
    t->count = rw_shape_size(t->shape);
    if (t->count > c->left / elem || t->count * elem != c->left) {
        char b[64];
        return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path,
                           "tensor '%s' of shape %s (%zu elements of %zu bytes) does not match the %zu bytes "
                           "of data in its section",
                           t->name, rw_shape_str(t->shape, b, sizeof b), t->count, elem, c->left);
    }
    const unsigned char *data;
    take(c, t->count * elem, "tensor data", &data);
    t->data = data;
    for (size_t k = 0; k < t->count; k++)
        if (!stored_value_finite(t->dtype, data + k * elem))
            return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "tensor '%s' holds a non-finite value at element %zu",
                               t->name, k);
    return RW_OK;
}

/* A blob: its name, then the rest of the section is its bytes. Version 1's
 * optimizer section is read as the blob "optimizer", its whole payload as
 * the bytes (the optimizer layer reads both versions alike). */
static rw_status parse_blob(ck_cursor *c, rw_ck_blob *b)
{
    if (c->ck->version == 1)
        b->name = RW_CK_V1_OPTIM_BLOB;
    else {
        rw_status st = take_str(c, "blob name", RW_CK_MAX_NAME, &b->name);
        if (st != RW_OK)
            return st;
        if (!b->name[0])
            return rw_checkpoint_error(RW_ERR_FORMAT, c->ck->path, "a blob before byte %zu has an empty name",
                                       c->offset);
    }
    b->size = c->left;
    take(c, c->left, "blob", &b->data);
    return RW_OK;
}

enum { SEC_PARM, SEC_BLOB, SEC_TENS, SEC_RNG, SEC_STEP, SEC_META, SEC_KINDS };
static const char *const section_order_v2[SEC_KINDS] = { RW_CK_TAG_PARM, RW_CK_TAG_BLOB, RW_CK_TAG_TENS,
                                                          RW_CK_TAG_RNG,  RW_CK_TAG_STEP, RW_CK_TAG_META };
static const char *const section_order_v1[SEC_KINDS] = { RW_CK_TAG_PARM, RW_CK_TAG_V1_OPTM, RW_CK_TAG_V1_OSTA,
                                                          RW_CK_TAG_RNG,  RW_CK_TAG_STEP,    RW_CK_TAG_META };

static const char *const *section_order(const rw_checkpoint *ck)
{
    return ck->version == 1 ? section_order_v1 : section_order_v2;
}

/* Sections that appear at most once (version 1 had one optimizer section). */
static bool single_section(const rw_checkpoint *ck, int r)
{
    return r == SEC_RNG || r == SEC_STEP || (r == SEC_BLOB && ck->version == 1);
}

static int tag_rank(const rw_checkpoint *ck, const unsigned char *tag)
{
    for (int r = 0; r < SEC_KINDS; r++)
        if (memcmp(tag, section_order(ck)[r], 4) == 0)
            return r;
    return -1;
}

/* The tag with anything unprintable shown as '?'. */
static const char *tag_text(const unsigned char *tag, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = tag[i] >= 0x20 && tag[i] < 0x7F ? (char)tag[i] : '?';
    out[4] = '\0';
    return out;
}

/* Pass 1: every section header fits, has a known tag, comes in order, and
 * the single sections appear at most once (the step exactly once). */
static rw_status walk_sections(const rw_checkpoint *ck, int counts[SEC_KINDS])
{
    size_t pos = RW_CK_HEADER_BYTES, end = ck->size - RW_CK_TRAILER_BYTES;
    int last = 0;
    char tb[5];
    const char *const *order = section_order(ck);
    while (pos < end) {
        if (end - pos < RW_CK_SECTION_HEADER_BYTES)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path,
                               "a section header at byte %zu runs past the data's end at byte %zu", pos, end);
        const unsigned char *h = ck->buf + pos;
        int r = tag_rank(ck, h);
        if (r < 0)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "unknown section '%s' at byte %zu", tag_text(h, tb), pos);
        if (r < last)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "section '%s' at byte %zu comes after a '%s' section",
                               order[r], pos, order[last]);
        uint64_t len = rw_le_get_u64(h + 4);
        if (len > end - pos - RW_CK_SECTION_HEADER_BYTES)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path,
                               "section '%s' at byte %zu declares %llu bytes but only %zu remain", order[r],
                               pos, (unsigned long long)len, end - pos - RW_CK_SECTION_HEADER_BYTES);
        if (counts[r] == INT_MAX / 2)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "more than %d '%s' sections", INT_MAX / 2, order[r]);
        if (++counts[r] > 1 && single_section(ck, r))
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "a second '%s' section at byte %zu", order[r], pos);
        last = r;
        pos += RW_CK_SECTION_HEADER_BYTES + (size_t)len;
    }
    if (counts[SEC_STEP] != 1)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "the file has no '%s' (training step) section", RW_CK_TAG_STEP);
    if (ck->version == 1 && counts[SEC_TENS] > 0 && counts[SEC_BLOB] == 0)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "optimizer state without an optimizer section");
    return RW_OK;
}

static rw_status parse_payload(rw_checkpoint *ck, int r, ck_cursor *c)
{
    rw_status st;
    uint64_t v, w;
    const char *key, *value;
    switch (r) {
    case SEC_PARM:
        return parse_tensor(c, &ck->params[ck->n_params++]);
    case SEC_TENS:
        return parse_tensor(c, &ck->state[ck->n_state++]);
    case SEC_BLOB:
        return parse_blob(c, &ck->blobs[ck->n_blobs++]);
    case SEC_RNG:
        if ((st = take_u64(c, "RNG key", &v)) != RW_OK || (st = take_u64(c, "RNG counter", &w)) != RW_OK)
            return st;
        ck->rng = (rw_rng){ .key = v, .counter = w };
        ck->has_rng = true;
        return RW_OK;
    case SEC_STEP:
        if ((st = take_u64(c, "training step", &v)) != RW_OK)
            return st;
        if (v > (uint64_t)LONG_MAX)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "training step %llu is out of range", (unsigned long long)v);
        ck->step = (long)v;
        return RW_OK;
    default:
        if ((st = take_str(c, "metadata key", RW_CK_MAX_NAME, &key)) != RW_OK ||
            (st = take_str(c, "metadata value", SIZE_MAX, &value)) != RW_OK)
            return st;
        if (!key[0])
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "an empty metadata key before byte %zu", c->offset);
        ck->meta_keys[ck->n_meta] = key;
        ck->meta_values[ck->n_meta++] = value;
        return RW_OK;
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Refuses a name that appears twice among n names found `stride` bytes
 * apart (the name fields of an array of tensors, or an array of strings).
 * Sorted, not compared pairwise: a crafted file with 10^6 tensors must not
 * cost 10^12 comparisons. */
static rw_status duplicate_name(const rw_checkpoint *ck, const char *const *names, int n, size_t stride,
                                const char *what)
{
    if (n < 2)
        return RW_OK;
    const char **sorted = rwi_malloc((size_t)n * sizeof *sorted, "checkpoint names");
    if (!sorted)
        return RW_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        sorted[i] = *(const char *const *)((const char *)names + (size_t)i * stride);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
    rw_status st = RW_OK;
    for (int i = 1; i < n && st == RW_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            st = rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "%s '%s' appears twice", what, sorted[i]);
    rwi_free(sorted);
    return st;
}

/* Pass 2: parse every payload into views of the buffer. */
static rw_status parse_sections(rw_checkpoint *ck)
{
    int counts[SEC_KINDS] = { 0 };
    rw_status st = walk_sections(ck, counts);
    if (st != RW_OK)
        return st;
    ck->params = rwi_calloc((size_t)counts[SEC_PARM], sizeof *ck->params, "checkpoint parameters");
    ck->state = rwi_calloc((size_t)counts[SEC_TENS], sizeof *ck->state, "checkpoint state tensors");
    ck->blobs = rwi_calloc((size_t)counts[SEC_BLOB], sizeof *ck->blobs, "checkpoint blobs");
    ck->meta_keys = rwi_calloc((size_t)counts[SEC_META], sizeof *ck->meta_keys, "checkpoint metadata keys");
    ck->meta_values = rwi_calloc((size_t)counts[SEC_META], sizeof *ck->meta_values, "checkpoint metadata");
    if (!ck->params || !ck->state || !ck->blobs || !ck->meta_keys || !ck->meta_values)
        return rw_last_status();
    size_t pos = RW_CK_HEADER_BYTES, end = ck->size - RW_CK_TRAILER_BYTES;
    while (pos < end) {
        int r = tag_rank(ck, ck->buf + pos);
        size_t len = (size_t)rw_le_get_u64(ck->buf + pos + 4);
        ck_cursor c = { ck, ck->buf + pos + RW_CK_SECTION_HEADER_BYTES, len, pos + RW_CK_SECTION_HEADER_BYTES,
                        section_order(ck)[r] };
        if ((st = parse_payload(ck, r, &c)) != RW_OK)
            return st;
        if (c.left)
            return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "section '%s' at byte %zu has %zu bytes left over",
                               section_order(ck)[r], pos, c.left);
        pos += RW_CK_SECTION_HEADER_BYTES + len;
    }
    if ((st = duplicate_name(ck, &ck->params[0].name, ck->n_params, sizeof *ck->params, "parameter")) != RW_OK ||
        (st = duplicate_name(ck, &ck->state[0].name, ck->n_state, sizeof *ck->state, "state tensor")) != RW_OK ||
        (st = duplicate_name(ck, &ck->blobs[0].name, ck->n_blobs, sizeof *ck->blobs, "blob")) != RW_OK ||
        (st = duplicate_name(ck, ck->meta_keys, ck->n_meta, sizeof *ck->meta_keys, "metadata key")) != RW_OK)
        return st;
    return RW_OK;
}

/* Magic, version, flags, declared size against the real size, CRC. */
static rw_status check_header(rw_checkpoint *ck)
{
    const size_t n = ck->size;
    const unsigned char *b = ck->buf;
    size_t m = n < 8 ? n : 8;
    if (memcmp(b, RW_CK_MAGIC, m) != 0)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "not a rewind checkpoint (bad magic)");
    if (n < RW_CK_HEADER_BYTES + RW_CK_TRAILER_BYTES)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "truncated at byte %zu (a checkpoint has at least %d bytes)", n,
                           RW_CK_HEADER_BYTES + RW_CK_TRAILER_BYTES);
    ck->version = rw_le_get_u32(b + 8);
    if (ck->version == 0)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "format version 0 is invalid");
    if (ck->version > RW_CHECKPOINT_VERSION)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "format version %u is newer than this library (%d)",
                           ck->version, RW_CHECKPOINT_VERSION);
    uint32_t flags = rw_le_get_u32(b + 12);
    if (flags != 0)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "unknown header flags 0x%08x", flags);
    uint64_t declared = rw_le_get_u64(b + 16);
    if (declared > n)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "truncated at byte %zu (the header says the file has %llu bytes)",
                           n, (unsigned long long)declared);
    if (declared < n)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path,
                           "%zu unexpected bytes after byte %llu, where the header says the file ends",
                           n - (size_t)declared, (unsigned long long)declared);
    uint32_t stored = rw_le_get_u32(b + n - RW_CK_TRAILER_BYTES);
    uint32_t computed = rwi_crc32_update(0, b, n - RW_CK_TRAILER_BYTES);
    if (stored != computed)
        return rw_checkpoint_error(RW_ERR_FORMAT, ck->path,
                           "checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt", stored,
                           computed);
    return RW_OK;
}

static rw_status read_file(rw_checkpoint *ck)
{
    int fd = open(ck->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rw_checkpoint_error(RW_ERR_IO, ck->path, "cannot open: %s", strerror(errno));
    struct stat sb;
    rw_status st = RW_OK;
    if (fstat(fd, &sb) != 0)
        st = rw_checkpoint_error(RW_ERR_IO, ck->path, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = rw_checkpoint_error(RW_ERR_IO, ck->path, "not a regular file");
    else if ((uint64_t)sb.st_size > RW_CK_MAX_FILE || (uint64_t)sb.st_size > SIZE_MAX)
        st = rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "%lld bytes is larger than any checkpoint (1 TiB)",
                         (long long)sb.st_size);
    else {
        ck->size = (size_t)sb.st_size;
        ck->buf = rwi_malloc(ck->size, "a checkpoint file's bytes");
        if (!ck->buf)
            st = rw_last_status();
    }
    size_t got = 0;
    while (st == RW_OK && got < ck->size) {
        ssize_t r = read(fd, ck->buf + got, ck->size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            st = rw_checkpoint_error(RW_ERR_IO, ck->path, "read failed at byte %zu: %s", got, strerror(errno));
        else if (r == 0)
            ck->size = got; /* the file shrank while being read: judged as truncated below */
        else
            got += (size_t)r;
    }
    close(fd);
    return st;
}

rw_checkpoint *rw_checkpoint_open(const char *path)
{
    if (!path) {
        rw_error(RW_ERR_ARG, "rw_checkpoint_open: NULL path");
        return NULL;
    }
    rw_checkpoint *ck = rwi_calloc(1, sizeof *ck, "a checkpoint");
    if (!ck)
        return NULL;
    ck->path = rwi_strdup(path, "a checkpoint path");
    if (!ck->path || read_file(ck) != RW_OK || check_header(ck) != RW_OK || parse_sections(ck) != RW_OK) {
        rw_checkpoint_close(ck);
        return NULL;
    }
    return ck;
}

void rw_checkpoint_close(rw_checkpoint *ck)
{
    if (!ck)
        return;
    rwi_free(ck->path);
    rwi_free(ck->buf);
    rwi_free(ck->params);
    rwi_free(ck->state);
    rwi_free(ck->blobs);
    rwi_free(ck->meta_keys);
    rwi_free(ck->meta_values);
    rwi_free(ck);
}
