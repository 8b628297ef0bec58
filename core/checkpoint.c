/* Saving checkpoints: the file is streamed to a temporary name in the same
 * directory with a running CRC-32, flushed and fsync'ed, renamed over the
 * old checkpoint, and the directory is fsync'ed, so a crash at any moment
 * leaves one complete checkpoint (the old or the new). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rewind_internal/alloc.h"
#include "checkpoint_internal.h"
#include "crc32.h"

rw_status rw_checkpoint_error(rw_status status, const char *path, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rw_error(status, "checkpoint %s: %s", path ? path : "(null)", what);
}

/* ---- the byte stream ---------------------------------------------------- */

typedef struct ck_writer {
    FILE *f;
    uint32_t crc;
    int err;        /* errno of the first failure, 0 while all is well */
} ck_writer;

static void w_bytes(ck_writer *w, const void *p, size_t n)
{
    if (w->err || n == 0)
        return;
    w->crc = rwi_crc32_update(w->crc, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

static void w_u32(ck_writer *w, uint32_t v)
{
    unsigned char b[4];
    rw_le_put_u32(b, v);
    w_bytes(w, b, 4);
}

static void w_u64(ck_writer *w, uint64_t v)
{
    unsigned char b[8];
    rw_le_put_u64(b, v);
    w_bytes(w, b, 8);
}

static void w_section(ck_writer *w, const char *tag, uint64_t payload)
{
    w_bytes(w, tag, 4);
    w_u64(w, payload);
}

/* A string: u32 length, the bytes, a terminating 0 byte. */
static uint64_t str_bytes(const char *s) { return 4 + (uint64_t)strlen(s) + 1; }

static void w_str(ck_writer *w, const char *s)
{
    size_t n = strlen(s);
    w_u32(w, (uint32_t)n);
    w_bytes(w, s, n + 1);
}

static uint64_t tensor_payload(const char *name, const rw_tensor *t)
{
    return str_bytes(name) + 8 + 4 * (uint64_t)t->shape.ndim + (uint64_t)t->size * sizeof(rw_real);
}

static void w_tensor(ck_writer *w, const char *tag, const char *name, const rw_tensor *t)
{
    w_section(w, tag, tensor_payload(name, t));
    w_str(w, name);
    w_u32(w, sizeof(rw_real) == 4 ? RW_CK_F32 : RW_CK_F64);
    w_u32(w, (uint32_t)t->shape.ndim);
    for (int d = 0; d < t->shape.ndim; d++)
        w_u32(w, (uint32_t)t->shape.dim[d]);
    if (rw_host_is_little_endian()) {
        w_bytes(w, t->data, t->size * sizeof(rw_real));
        return;
    }
    unsigned char chunk[4096];
    size_t per = sizeof chunk / sizeof(rw_real);
    for (size_t at = 0; at < t->size; at += per) {
        size_t n = t->size - at < per ? t->size - at : per;
        for (size_t k = 0; k < n; k++) {
            unsigned char *b = chunk + k * sizeof(rw_real);
#ifdef RW_DOUBLE
            uint64_t bits;
            memcpy(&bits, &t->data[at + k], 8);
            rw_le_put_u64(b, bits);
#else
            uint32_t bits;
            memcpy(&bits, &t->data[at + k], 4);
            rw_le_put_u32(b, bits);
#endif
        }
        w_bytes(w, chunk, n * sizeof(rw_real));
    }
}

/* ---- what goes in ------------------------------------------------------------ */

/* One thing to write besides the parameters, kept in the order it was put. */
typedef enum { ITEM_TENSOR, ITEM_BLOB, ITEM_META } item_kind;

typedef struct ck_item {
    item_kind kind;
    char *name;                  /* tensor or blob name, metadata key */
    const rw_tensor *tensor;     /* ITEM_TENSOR: the caller's */
    unsigned char *bytes;        /* ITEM_BLOB: a copy; ITEM_META: the value, 0-terminated */
    size_t size;                 /* bytes' length (without the 0) */
} ck_item;

struct rw_checkpoint_writer {
    char *path;
    const rw_params *P;
    long step;
    ck_item *items;
    int n_items, cap_items;
    int n_meta;
    bool has_rng;
    rw_rng rng;
    bool broken;                 /* a put failed: commit refuses */
};

rw_checkpoint_writer *rw_checkpoint_writer_new(const char *path, const rw_params *P, long step)
{
    if (!path || !path[0]) {
        rw_error(RW_ERR_ARG, "rw_checkpoint_save: %s path", path ? "empty" : "NULL");
        return NULL;
    }
    if (!P) {
        rw_checkpoint_error(RW_ERR_ARG, path, "NULL parameter store");
        return NULL;
    }
    if (step < 0) {
        rw_checkpoint_error(RW_ERR_ARG, path, "training step %ld; it must be >= 0", step);
        return NULL;
    }
    rw_checkpoint_writer *w = rwi_calloc(1, sizeof *w, "a checkpoint writer");
    if (!w)
        return NULL;
    w->path = rwi_strdup(path, "a checkpoint path");
    if (!w->path) {
        rwi_free(w);
        return NULL;
    }
    w->P = P;
    w->step = step;
    return w;
}

const char *rw_checkpoint_writer_path(const rw_checkpoint_writer *w) { return w ? w->path : NULL; }

void rw_checkpoint_writer_free(rw_checkpoint_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_items; i++) {
        rwi_free(w->items[i].name);
        rwi_free(w->items[i].bytes);
    }
    rwi_free(w->items);
    rwi_free(w->path);
    rwi_free(w);
}

/* Marks the writer broken and passes `st` on. */
static rw_status refuse(rw_checkpoint_writer *w, rw_status st)
{
    if (w && st != RW_OK)
        w->broken = true;
    return st;
}

static bool name_taken(const rw_checkpoint_writer *w, item_kind kind, const char *name)
{
    for (int i = 0; i < w->n_items; i++)
        if (w->items[i].kind == kind && strcmp(w->items[i].name, name) == 0)
            return true;
    return false;
}

/* A new item of `kind` called `name` (copied), with `size` bytes copied from
 * `bytes` when bytes is not NULL (plus a terminating 0). */
static rw_status add_item(rw_checkpoint_writer *w, item_kind kind, const char *name, const void *bytes, size_t size,
                          ck_item **out)
{
    if (w->n_items == w->cap_items) {
        int cap = w->cap_items ? 2 * w->cap_items : 16;
        ck_item *grown = rwi_realloc(w->items, (size_t)cap * sizeof *grown, "a checkpoint writer's contents");
        if (!grown)
            return rw_last_status();
        w->items = grown;
        w->cap_items = cap;
    }
    ck_item it = { .kind = kind, .name = rwi_strdup(name, "a checkpoint entry's name"), .size = size };
    if (it.name && bytes) {
        it.bytes = rwi_malloc(size + 1, "a checkpoint entry's bytes");
        if (it.bytes) {
            memcpy(it.bytes, bytes, size);
            it.bytes[size] = 0;
        }
    }
    if (!it.name || (bytes && !it.bytes)) {
        rwi_free(it.name);
        return rw_last_status();
    }
    w->items[w->n_items++] = it;
    *out = &w->items[w->n_items - 1];
    return RW_OK;
}

/* A tensor or blob name: 1 to 4096 bytes, not yet used by that kind. */
static rw_status check_name(const rw_checkpoint_writer *w, item_kind kind, const char *what, const char *name)
{
    if (!name || !name[0])
        return rw_checkpoint_error(RW_ERR_ARG, w->path, "a %s with %s name", what, name ? "an empty" : "a NULL");
    if (strlen(name) > RW_CK_MAX_NAME)
        return rw_checkpoint_error(RW_ERR_ARG, w->path, "%s name '%.40s...' is longer than 4096 bytes", what, name);
    if (name_taken(w, kind, name))
        return rw_checkpoint_error(RW_ERR_ARG, w->path, "%s '%s' is given twice", what, name);
    return RW_OK;
}

rw_status rw_checkpoint_put_tensor(rw_checkpoint_writer *w, const char *name, const rw_tensor *t)
{
    if (!w)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_put_tensor: NULL writer");
    rw_status st = check_name(w, ITEM_TENSOR, "state tensor", name);
    if (st == RW_OK && (!t || t->dtype != RW_REAL))
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "state tensor '%s' is %s", name,
                                 t ? "not a real tensor" : "NULL");
    ck_item *it = NULL;
    if (st == RW_OK && (st = add_item(w, ITEM_TENSOR, name, NULL, 0, &it)) == RW_OK)
        it->tensor = t;
    return refuse(w, st);
}

rw_status rw_checkpoint_put_blob(rw_checkpoint_writer *w, const char *name, const void *bytes, size_t size)
{
    if (!w)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_put_blob: NULL writer");
    rw_status st = check_name(w, ITEM_BLOB, "blob", name);
    if (st == RW_OK && !bytes && size)
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "blob '%s' has NULL bytes", name);
    ck_item *it = NULL;
    if (st == RW_OK)
        st = add_item(w, ITEM_BLOB, name, bytes ? bytes : "", size, &it);
    return refuse(w, st);
}

rw_status rw_checkpoint_put_rng(rw_checkpoint_writer *w, const rw_rng *rng)
{
    if (!w)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_put_rng: NULL writer");
    if (!rng || w->has_rng)
        return refuse(w, rw_checkpoint_error(RW_ERR_ARG, w->path, "%s", rng ? "a second RNG state" : "NULL RNG"));
    w->rng = *rng;
    w->has_rng = true;
    return RW_OK;
}

rw_status rw_checkpoint_put_meta(rw_checkpoint_writer *w, const char *key, const char *value)
{
    if (!w)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_put_meta: NULL writer");
    rw_status st = RW_OK;
    if (!key || !key[0] || strlen(key) > RW_CK_MAX_NAME)
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "metadata key %d is %s", w->n_meta,
                                 !key ? "NULL" : !key[0] ? "empty" : "longer than 4096 bytes");
    else if (!value)
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "metadata value for key '%s' is NULL", key);
    else if (strlen(value) >= UINT32_MAX)
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "metadata value for key '%s' is 4 GiB or more", key);
    else if (name_taken(w, ITEM_META, key))
        st = rw_checkpoint_error(RW_ERR_ARG, w->path, "metadata key '%s' is given twice", key);
    ck_item *it = NULL;
    if (st == RW_OK && (st = add_item(w, ITEM_META, key, value, strlen(value), &it)) == RW_OK)
        w->n_meta++;
    return refuse(w, st);
}

/* ---- checks before writing ---------------------------------------------- */

static rw_status check_finite(const char *path, const char *what, const char *name, const rw_tensor *t)
{
    for (size_t k = 0; k < t->size; k++)
        if (!isfinite(t->data[k]))
            return rw_checkpoint_error(RW_ERR_NUMERIC, path,
                                       "%s '%s' holds %g at element %zu; not saving over the last good checkpoint",
                                       what, name, (double)t->data[k], k);
    return RW_OK;
}

static rw_status check_contents(const rw_checkpoint_writer *w)
{
    if (w->broken)
        return rw_checkpoint_error(RW_ERR_ARG, w->path, "not written: adding something to it failed earlier");
    for (int i = 0; i < rw_params_count(w->P); i++) {
        const rw_param *p = rw_params_at(w->P, i);
        if (strlen(p->name) > RW_CK_MAX_NAME)
            return rw_checkpoint_error(RW_ERR_ARG, w->path, "parameter name '%.40s...' is longer than 4096 bytes",
                                       p->name);
        rw_status st = check_finite(w->path, "parameter", p->name, p->value);
        if (st != RW_OK)
            return st;
    }
    for (int i = 0; i < w->n_items; i++) {
        const ck_item *it = &w->items[i];
        rw_status st = it->kind == ITEM_TENSOR ? check_finite(w->path, "state tensor", it->name, it->tensor) : RW_OK;
        if (st != RW_OK)
            return st;
    }
    return RW_OK;
}

/* ---- the file's content -------------------------------------------------- */

static const char *item_tag(item_kind kind)
{
    return kind == ITEM_TENSOR ? RW_CK_TAG_TENS : kind == ITEM_BLOB ? RW_CK_TAG_BLOB : RW_CK_TAG_META;
}

static uint64_t item_payload(const ck_item *it)
{
    switch (it->kind) {
    case ITEM_TENSOR: return tensor_payload(it->name, it->tensor);
    case ITEM_BLOB: return str_bytes(it->name) + (uint64_t)it->size;
    default: return str_bytes(it->name) + 4 + (uint64_t)it->size + 1;
    }
}

static void w_item(ck_writer *out, const ck_item *it)
{
    if (it->kind == ITEM_TENSOR) {
        w_tensor(out, RW_CK_TAG_TENS, it->name, it->tensor);
        return;
    }
    w_section(out, item_tag(it->kind), item_payload(it));
    w_str(out, it->name);
    if (it->kind == ITEM_BLOB)
        w_bytes(out, it->bytes, it->size);
    else
        w_str(out, (const char *)it->bytes);
}

/* Sections go in the order the format requires: parameters, blobs, state
 * tensors, RNG, step, metadata; items of one kind in the order put. */
static const item_kind items_before_rng[] = { ITEM_BLOB, ITEM_TENSOR };

static uint64_t file_size(const rw_checkpoint_writer *w)
{
    uint64_t n = RW_CK_HEADER_BYTES + RW_CK_TRAILER_BYTES;
    for (int i = 0; i < rw_params_count(w->P); i++) {
        const rw_param *p = rw_params_at(w->P, i);
        n += RW_CK_SECTION_HEADER_BYTES + tensor_payload(p->name, p->value);
    }
    for (int i = 0; i < w->n_items; i++)
        n += RW_CK_SECTION_HEADER_BYTES + item_payload(&w->items[i]);
    if (w->has_rng)
        n += RW_CK_SECTION_HEADER_BYTES + 16;
    return n + RW_CK_SECTION_HEADER_BYTES + 8;
}

static void write_all(ck_writer *out, const rw_checkpoint_writer *w)
{
    w_bytes(out, RW_CK_MAGIC, 8);
    w_u32(out, RW_CHECKPOINT_VERSION);
    w_u32(out, 0); /* flags: none defined */
    w_u64(out, file_size(w));
    for (int i = 0; i < rw_params_count(w->P); i++) {
        const rw_param *p = rw_params_at(w->P, i);
        w_tensor(out, RW_CK_TAG_PARM, p->name, p->value);
    }
    for (size_t k = 0; k < sizeof items_before_rng / sizeof items_before_rng[0]; k++)
        for (int i = 0; i < w->n_items; i++)
            if (w->items[i].kind == items_before_rng[k])
                w_item(out, &w->items[i]);
    if (w->has_rng) {
        w_section(out, RW_CK_TAG_RNG, 16);
        w_u64(out, w->rng.key);
        w_u64(out, w->rng.counter);
    }
    w_section(out, RW_CK_TAG_STEP, 8);
    w_u64(out, (uint64_t)w->step);
    for (int i = 0; i < w->n_items; i++)
        if (w->items[i].kind == ITEM_META)
            w_item(out, &w->items[i]);
    uint32_t crc = out->crc;
    w_u32(out, crc);
}

/* ---- atomic replacement -------------------------------------------------- */

static atomic_uint tmp_counter;

/* Creates "<path>.tmp-<pid>-<n>" exclusively; the fd, or -1 with errno set. */
static int create_temp(const char *path, char *tmp, size_t len)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned n = atomic_fetch_add(&tmp_counter, 1);
        snprintf(tmp, len, "%s.tmp-%ld-%u", path, (long)getpid(), n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* fsync of the directory holding `path`, so the rename itself is durable.
 * Filesystems that cannot sync a directory (EINVAL) are not an error. */
static int sync_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    close(fd);
    return err;
}

rw_status rw_checkpoint_commit(rw_checkpoint_writer *cw)
{
    if (!cw)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_commit: NULL writer");
    const char *path = cw->path;
    rw_status st = check_contents(cw);
    if (st != RW_OK)
        return st;
    size_t len = strlen(path) + 64;
    char *tmp = rwi_malloc(len, "a temporary file name");
    if (!tmp)
        return rw_last_status();
    int fd = create_temp(path, tmp, len);
    if (fd < 0) {
        st = rw_checkpoint_error(RW_ERR_IO, path, "cannot create the temporary file %s: %s", tmp, strerror(errno));
        rwi_free(tmp);
        return st;
    }
    ck_writer w = { .f = fdopen(fd, "wb") };
    if (!w.f) {
        w.err = errno;
        close(fd);
    } else {
        write_all(&w, cw);
        if (!w.err && fflush(w.f) != 0)
            w.err = errno;
        if (!w.err && fsync(fileno(w.f)) != 0)
            w.err = errno;
        if (fclose(w.f) != 0 && !w.err)
            w.err = errno;
    }
    if (!w.err && rename(tmp, path) != 0)
        w.err = errno;
    if (w.err) {
        st = rw_checkpoint_error(RW_ERR_IO, path, "cannot write %s: %s (the previous checkpoint, if any, is intact)",
                         tmp, strerror(w.err));
        unlink(tmp);
        rwi_free(tmp);
        return st;
    }
    rwi_free(tmp);
    int err = sync_directory(path);
    if (err)
        return rw_checkpoint_error(RW_ERR_IO, path, "written, but syncing its directory failed: %s", strerror(err));
    return RW_OK;
}
