/* Internal: the checkpoint format's constants, little-endian codecs, and the
 * parsed form of a file shared by the writer and the reader.
 * docs/checkpoint-format.md is the description of the bytes. */
#ifndef RW_CORE_CHECKPOINT_INTERNAL_H
#define RW_CORE_CHECKPOINT_INTERNAL_H

#include <stdbool.h>

#include <stdint.h>
#include <string.h>
#include "rewind/checkpoint_file.h"
#include "rewind_internal/byte_order.h"

#define RW_CK_MAGIC "\x89RWC\r\n\x1a\n"   /* 8 bytes */
#define RW_CK_HEADER_BYTES 24             /* magic, version u32, flags u32, file size u64 */
#define RW_CK_TRAILER_BYTES 4             /* CRC-32 of everything before it */
#define RW_CK_SECTION_HEADER_BYTES 12     /* tag[4], payload length u64 */
#define RW_CK_MAX_NAME 4096               /* longest tensor name or metadata key */
#define RW_CK_MAX_FILE ((uint64_t)1 << 40)

/* Element types of stored tensors. */
#define RW_CK_F32 1u
#define RW_CK_F64 2u

/* Section tags of format version 2, in the order they must appear. */
#define RW_CK_TAG_PARM "PARM"
#define RW_CK_TAG_BLOB "BLOB"
#define RW_CK_TAG_TENS "TENS"
#define RW_CK_TAG_RNG "RNG "
#define RW_CK_TAG_STEP "STEP"
#define RW_CK_TAG_META "META"
/* Version 1 had, in the places of BLOB and TENS, one optimizer section
 * "OPTM" (read as the blob RW_CK_V1_OPTIM_BLOB, its payload unchanged) and
 * optimizer state sections "OSTA" (read as state tensors). */
#define RW_CK_TAG_V1_OPTM "OPTM"
#define RW_CK_TAG_V1_OSTA "OSTA"
#define RW_CK_V1_OPTIM_BLOB "optimizer"

/* A tensor as stored: a view into the file's bytes. */
typedef struct rw_ck_tensor {
    const char *name;
    uint32_t dtype;              /* RW_CK_F32 or RW_CK_F64 */
    rw_shape shape;
    size_t count;                /* elements */
    const unsigned char *data;   /* count little-endian elements */
} rw_ck_tensor;

/* An opaque named blob: a view into the file's bytes. */
typedef struct rw_ck_blob {
    const char *name;
    const unsigned char *data;
    size_t size;
} rw_ck_blob;

struct rw_checkpoint {
    char *path;                  /* for messages */
    unsigned char *buf;          /* the whole file */
    size_t size;
    uint32_t version;
    long step;
    rw_ck_tensor *params;
    int n_params;
    rw_ck_blob *blobs;
    int n_blobs;
    rw_ck_tensor *state;         /* named tensors other than parameters */
    int n_state;
    bool has_rng;
    rw_rng rng;
    const char **meta_keys, **meta_values;
    int n_meta;
};


#endif
