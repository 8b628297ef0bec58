/* Test helpers over a checkpoint's bytes (docs/checkpoint-format.md): read a
 * file, find a section, and reseal it (file size and CRC recomputed) after a
 * change, so that the change reaches the parser instead of the checksum.
 * Used by the tests and by the fuzz targets (no Criterion here). */
#ifndef RW_TEST_CK_BYTES_H
#define RW_TEST_CK_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* The whole file (malloc'd), its length in *len; NULL if unreadable. */
unsigned char *rwt_read_bytes(const char *path, size_t *len);
/* Writes len bytes to path; 0 on success. */
int rwt_write_bytes(const char *path, const unsigned char *b, size_t len);
/* The offset of the payload of the first section tagged `tag` (4 bytes), or 0. */
size_t rwt_ck_section(const unsigned char *b, size_t len, const char *tag);
/* Stores len as the file size and the CRC-32 of bytes [0, len - 4) in the
 * last 4 bytes (len >= 28). */
void rwt_ck_reseal(unsigned char *b, size_t len);

#endif
