#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ck_bytes.h"
#include "core/crc32.h"

unsigned char *rwt_read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            unsigned char *grown = realloc(b, cap *= 2);
            if (!grown)
                free(b);
            b = grown;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

int rwt_write_bytes(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(b, 1, len, f);
    return fclose(f) != 0 || put != len ? -1 : 0;
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static void put_le(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

size_t rwt_ck_section(const unsigned char *b, size_t len, const char *tag)
{
    for (size_t pos = 24; len >= 4 && pos + 12 <= len - 4;) {
        uint64_t n = get_u64(b + pos + 4);
        if (memcmp(b + pos, tag, 4) == 0)
            return pos + 12;
        if (n > len - 4 - pos - 12)
            return 0;
        pos += 12 + (size_t)n;
    }
    return 0;
}

void rwt_ck_reseal(unsigned char *b, size_t len)
{
    put_le(b + 16, len, 8);
    put_le(b + len - 4, rwi_crc32_update(0, b, len - 4), 4);
}
