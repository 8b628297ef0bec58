/* CRC-32, slicing by four bytes with tables computed once at first use. */
#include <stdatomic.h>
#include "crc32.h"

static uint32_t table[4][256];
static atomic_int table_state; /* 0: not built, 1: being built, 2: ready */

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
}

static void ensure_table(void)
{
    if (atomic_load_explicit(&table_state, memory_order_acquire) == 2)
        return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&table_state, &expected, 1)) {
        build_table();
        atomic_store_explicit(&table_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&table_state, memory_order_acquire) != 2)
        ; /* another thread is building the 4 KB table: a few microseconds */
}

uint32_t rwi_crc32_update(uint32_t crc, const void *data, size_t n)
{
    ensure_table();
    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (n >= 4) {
        c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        c = table[3][c & 0xFF] ^ table[2][(c >> 8) & 0xFF] ^ table[1][(c >> 16) & 0xFF] ^ table[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n--)
        c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}
