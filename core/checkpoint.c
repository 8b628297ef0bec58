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

rw_status rw_ck_error(rw_status status, const char *path, const char *fmt, ...)
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
    w->crc = rw_crc32_update(w->crc, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

static void w_u32(ck_writer *w, uint32_t v)
{
    unsigned char b[4];
    rw_ck_put_u32(b, v);
    w_bytes(w, b, 4);
}

static void w_u64(ck_writer *w, uint64_t v)
{
    unsigned char b[8];
    rw_ck_put_u64(b, v);
    w_bytes(w, b, 8);
}

static void w_f64(ck_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    w_u64(w, bits);
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
    if (rw_ck_host_is_little_endian()) {
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
            rw_ck_put_u64(b, bits);
#else
            uint32_t bits;
            memcpy(&bits, &t->data[at + k], 4);
            rw_ck_put_u32(b, bits);
#endif
        }
        w_bytes(w, chunk, n * sizeof(rw_real));
    }
}

/* ---- checks before writing ---------------------------------------------- */

static rw_status check_finite(const char *path, const char *what, const char *name, const rw_tensor *t)
{
    for (size_t k = 0; k < t->size; k++)
        if (!isfinite(t->data[k]))
            return rw_ck_error(RW_ERR_NUMERIC, path,
                               "%s '%s' holds %g at element %zu; not saving over the last good checkpoint",
                               what, name, (double)t->data[k], k);
    return RW_OK;
}

static rw_status check_inputs(const char *path, const rw_params *P, const rw_optim *opt, long step,
                              const char *const *keys, const char *const *values, int n_meta)
{
    if (!path || !path[0])
        return rw_error(RW_ERR_ARG, "rw_checkpoint_save: %s path", path ? "empty" : "NULL");
    if (!P)
        return rw_ck_error(RW_ERR_ARG, path, "NULL parameter store");
    if (step < 0)
        return rw_ck_error(RW_ERR_ARG, path, "training step %ld; it must be >= 0", step);
    if (n_meta < 0 || (n_meta > 0 && (!keys || !values)))
        return rw_ck_error(RW_ERR_ARG, path, "%d metadata entries with %s arrays", n_meta,
                           n_meta < 0 ? "a negative count of" : "NULL key or value");
    for (int i = 0; i < n_meta; i++) {
        if (!keys[i] || !keys[i][0] || strlen(keys[i]) > RW_CK_MAX_NAME)
            return rw_ck_error(RW_ERR_ARG, path, "metadata key %d is %s", i,
                               !keys[i] ? "NULL" : !keys[i][0] ? "empty" : "longer than 4096 bytes");
        if (!values[i])
            return rw_ck_error(RW_ERR_ARG, path, "metadata value for key '%s' is NULL", keys[i]);
        if (strlen(values[i]) >= UINT32_MAX)
            return rw_ck_error(RW_ERR_ARG, path, "metadata value for key '%s' is 4 GiB or more", keys[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                return rw_ck_error(RW_ERR_ARG, path, "metadata key '%s' is given twice", keys[i]);
    }
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_param *p = rw_params_at(P, i);
        if (strlen(p->name) > RW_CK_MAX_NAME)
            return rw_ck_error(RW_ERR_ARG, path, "parameter name '%.40s...' is longer than 4096 bytes", p->name);
        rw_status st = check_finite(path, "parameter", p->name, p->value);
        if (st != RW_OK)
            return st;
    }
    for (int i = 0; i < rw_optim_state_count(opt); i++) {
        const char *name;
        const rw_tensor *t = rw_optim_state_at(opt, i, &name);
        if (strlen(name) > RW_CK_MAX_NAME)
            return rw_ck_error(RW_ERR_ARG, path, "optimizer state name '%.40s...' is longer than 4096 bytes",
                               name);
        rw_status st = check_finite(path, "optimizer state", name, t);
        if (st != RW_OK)
            return st;
    }
    if (opt && !isfinite(rw_optim_lr(opt)))
        return rw_ck_error(RW_ERR_NUMERIC, path, "the optimizer's learning rate is not finite");
    return RW_OK;
}

/* ---- the file's content -------------------------------------------------- */

static uint64_t file_size(const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                          const char *const *keys, const char *const *values, int n_meta)
{
    uint64_t n = RW_CK_HEADER_BYTES + RW_CK_TRAILER_BYTES;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_param *p = rw_params_at(P, i);
        n += RW_CK_SECTION_HEADER_BYTES + tensor_payload(p->name, p->value);
    }
    if (opt) {
        n += RW_CK_SECTION_HEADER_BYTES + str_bytes(rw_optim_name(opt)) + 8 + 8 + 4;
        for (int i = 0; i < rw_optim_state_count(opt); i++) {
            const char *name;
            const rw_tensor *t = rw_optim_state_at(opt, i, &name);
            n += RW_CK_SECTION_HEADER_BYTES + tensor_payload(name, t);
        }
    }
    if (rng)
        n += RW_CK_SECTION_HEADER_BYTES + 16;
    n += RW_CK_SECTION_HEADER_BYTES + 8;
    for (int i = 0; i < n_meta; i++)
        n += RW_CK_SECTION_HEADER_BYTES + str_bytes(keys[i]) + str_bytes(values[i]);
    return n;
}

static void write_all(ck_writer *w, const rw_params *P, const rw_optim *opt, const rw_rng *rng, long step,
                      const char *const *keys, const char *const *values, int n_meta)
{
    w_bytes(w, RW_CK_MAGIC, 8);
    w_u32(w, RW_CHECKPOINT_VERSION);
    w_u32(w, 0); /* flags: none defined */
    w_u64(w, file_size(P, opt, rng, keys, values, n_meta));
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_param *p = rw_params_at(P, i);
        w_tensor(w, RW_CK_TAG_PARM, p->name, p->value);
    }
    if (opt) {
        w_section(w, RW_CK_TAG_OPTM, str_bytes(rw_optim_name(opt)) + 8 + 8 + 4);
        w_str(w, rw_optim_name(opt));
        w_u64(w, (uint64_t)rw_optim_steps(opt));
        w_f64(w, rw_optim_lr(opt));
        w_u32(w, (uint32_t)rw_optim_state_count(opt));
        for (int i = 0; i < rw_optim_state_count(opt); i++) {
            const char *name;
            const rw_tensor *t = rw_optim_state_at(opt, i, &name);
            w_tensor(w, RW_CK_TAG_OSTA, name, t);
        }
    }
    if (rng) {
        w_section(w, RW_CK_TAG_RNG, 16);
        w_u64(w, rng->key);
        w_u64(w, rng->counter);
    }
    w_section(w, RW_CK_TAG_STEP, 8);
    w_u64(w, (uint64_t)step);
    for (int i = 0; i < n_meta; i++) {
        w_section(w, RW_CK_TAG_META, str_bytes(keys[i]) + str_bytes(values[i]));
        w_str(w, keys[i]);
        w_str(w, values[i]);
    }
    uint32_t crc = w->crc;
    w_u32(w, crc);
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

rw_status rw_checkpoint_save_ex(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                                long step, const char *const *keys, const char *const *values, int n_meta)
{
    rw_status st = check_inputs(path, P, opt, step, keys, values, n_meta);
    if (st != RW_OK)
        return st;
    size_t len = strlen(path) + 64;
    char *tmp = rw_malloc(len, "a temporary file name");
    if (!tmp)
        return rw_last_status();
    int fd = create_temp(path, tmp, len);
    if (fd < 0) {
        st = rw_ck_error(RW_ERR_IO, path, "cannot create the temporary file %s: %s", tmp, strerror(errno));
        rw_free(tmp);
        return st;
    }
    ck_writer w = { .f = fdopen(fd, "wb") };
    if (!w.f) {
        w.err = errno;
        close(fd);
    } else {
        write_all(&w, P, opt, rng, step, keys, values, n_meta);
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
        st = rw_ck_error(RW_ERR_IO, path, "cannot write %s: %s (the previous checkpoint, if any, is intact)",
                         tmp, strerror(w.err));
        unlink(tmp);
        rw_free(tmp);
        return st;
    }
    rw_free(tmp);
    int err = sync_directory(path);
    if (err)
        return rw_ck_error(RW_ERR_IO, path, "written, but syncing its directory failed: %s", strerror(err));
    return RW_OK;
}

rw_status rw_checkpoint_save(const char *path, const rw_params *P, const rw_optim *opt, const rw_rng *rng,
                             long step)
{
    return rw_checkpoint_save_ex(path, P, opt, rng, step, NULL, NULL, 0);
}
