/* Reading data files whole: one file, several as one text, and a byte
 * corpus (the bytes as ids of their byte vocabulary). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/corpus.h"

char *rw_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rw_error(RW_ERR_IO, "cannot open data file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = rwi_malloc(cap, "a data file");
    while (buf) {
        if (n + 1 == cap) {
            char *grown = rwi_realloc(buf, cap * 2, "a data file");
            if (!grown) {
                rwi_free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf && ferror(f)) {
        rw_error(RW_ERR_IO, "cannot read data file '%s'", path);
        rwi_free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

char *rw_read_files(const char *const *paths, int n, size_t *len)
{
    char *all = rwi_calloc(1, 1, "data text");
    size_t total = 0;
    for (int i = 0; all && i < n; i++) {
        size_t k;
        char *one = rw_read_file(paths[i], &k);
        char *grown = one ? rwi_realloc(all, total + k + 1, "data text") : NULL;
        if (!grown) {
            rwi_free(one);
            rwi_free(all);
            return NULL;
        }
        all = grown;
        memcpy(all + total, one, k);
        total += k;
        all[total] = '\0';
        rwi_free(one);
    }
    *len = total;
    return all;
}

rw_status rw_byte_corpus_read(rw_byte_corpus *c, const char *const *paths, int n, bool lowercase)
{
    memset(c, 0, sizeof *c);
    size_t len;
    char *text = rw_read_files(paths, n, &len);
    if (!text)
        return rw_last_status();
    unsigned char present[256] = { 0 };
    rw_bytes_mark(text, len, lowercase, present);
    rw_status st = rw_vocab_from_bytes(&c->vocab, present);
    if (st == RW_OK && !(c->ids = rwi_malloc((len ? len : 1) * sizeof *c->ids, "corpus tokens")))
        st = RW_ERR_NOMEM;
    if (st == RW_OK) {
        rw_bytes_encode(&c->vocab, text, len, lowercase, c->ids);
        c->n = len;
    }
    rwi_free(text);
    if (st != RW_OK)
        rw_byte_corpus_free(c);
    return st;
}

void rw_byte_corpus_free(rw_byte_corpus *c)
{
    rwi_free(c->ids);
    rw_vocab_free(&c->vocab);
    memset(c, 0, sizeof *c);
}
