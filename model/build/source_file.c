/* Reading a model file or an include: only a regular file, and at most a
 * given number of bytes, so that `include: /dev/zero`, a FIFO or a 1 GB file
 * fails at once with a clear error instead of blocking or eating memory.
 *
 * The file is checked with stat before it is opened (opening a FIFO would
 * block), opened without blocking, and checked again with fstat (it may have
 * been replaced in between); the bytes read are bounded whatever stat said. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

static char *not_regular(const char *path)
{
    rw_error(RW_ERR_IO, "%s: not a regular file (a model file or an include cannot be a device, a pipe or a "
             "directory)", path);
    return NULL;
}

/* Reads up to max_bytes + 1 bytes (one more than allowed, to detect a larger file). */
static char *read_bounded(int fd, const char *path, size_t hint, size_t max_bytes, size_t *len)
{
    size_t cap = (hint < max_bytes ? hint : max_bytes) + 2, n = 0;
    char *buf = rwi_malloc(cap, "a model file");
    while (buf) {
        if (n + 1 == cap) {
            if (n > max_bytes)
                break;
            size_t grown_cap = cap * 2 > max_bytes + 2 ? max_bytes + 2 : cap * 2;
            char *grown = rwi_realloc(buf, grown_cap, "a model file");
            if (!grown)
                break;
            buf = grown;
            cap = grown_cap;
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got == 0) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        if (got > 0)
            n += (size_t)got;
        else if (errno != EINTR && errno != EAGAIN)
            break;
    }
    if (buf && n > max_bytes)
        rw_error(RW_ERR_FORMAT, "%s: larger than %zu bytes, the most a model file (with its includes) may hold",
                 path, max_bytes);
    else if (buf)
        rw_error(RW_ERR_IO, "%s: cannot read the model file: %s", path, strerror(errno));
    rwi_free(buf);
    return NULL;
}

char *rwi_mread_source_file(const char *path, size_t max_bytes, size_t *len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        rw_error(RW_ERR_IO, "%s: cannot open the model file: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode))
        return not_regular(path);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        rw_error(RW_ERR_IO, "%s: cannot open the model file: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        not_regular(path);
    else
        text = read_bounded(fd, path, (size_t)st.st_size, max_bytes, len);
    close(fd);
    return text;
}
