/* Internal: CRC-32 (the zlib / PNG / IEEE 802.3 polynomial, reflected,
 * initial value and final xor 0xFFFFFFFF), so that zlib.crc32 or any
 * standard tool computes the same value. */
#ifndef RW_CORE_CRC32_H
#define RW_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC over n more bytes: start with crc = 0, feed the bytes in
 * order; the result after the last chunk is the CRC of their concatenation. */
uint32_t rwi_crc32_update(uint32_t crc, const void *data, size_t n);

#endif
