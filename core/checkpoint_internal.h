/* Internal: the checkpoint format's constants, little-endian codecs, and the
 * parsed form of a file shared by the writer and the reader.
 * docs/checkpoint-format.md is the description of the bytes. */
#ifndef RW_CORE_CHECKPOINT_INTERNAL_H
#define RW_CORE_CHECKPOINT_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include "rewind/checkpoint.h"

#define RW_CK_MAGIC "\x89RWC\r\n\x1a\n"   /* 8 bytes */
#define RW_CK_HEADER_BYTES 24             /* magic, version u32, flags u32, file size u64 */
#define RW_CK_TRAILER_BYTES 4             /* CRC-32 of everything before it */
#define RW_CK_SECTION_HEADER_BYTES 12     /* tag[4], payload length u64 */
#define RW_CK_MAX_NAME 4096               /* longest tensor name or metadata key */
#define RW_CK_MAX_FILE ((uint64_t)1 << 40)

/* Element types of stored tensors. */
#define RW_CK_F32 1u
#define RW_CK_F64 2u

/* Section tags, in the order they must appear. */
#define RW_CK_TAG_PARM "PARM"
#define RW_CK_TAG_OPTM "OPTM"
#define RW_CK_TAG_OSTA "OSTA"
#define RW_CK_TAG_RNG "RNG "
#define RW_CK_TAG_STEP "STEP"
#define RW_CK_TAG_META "META"

static inline void rw_ck_put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static inline void rw_ck_put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t rw_ck_get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t rw_ck_get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static inline bool rw_ck_host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* A tensor as stored: a view into the file's bytes. */
typedef struct rw_ck_tensor {
    const char *name;
    uint32_t dtype;              /* RW_CK_F32 or RW_CK_F64 */
    rw_shape shape;
    size_t count;                /* elements */
    const unsigned char *data;   /* count little-endian elements */
} rw_ck_tensor;

struct rw_checkpoint {
    char *path;                  /* for messages */
    unsigned char *buf;          /* the whole file */
    size_t size;
    uint32_t version;
    long step;
    rw_ck_tensor *params;
    int n_params;
    bool has_optim;
    const char *optim_name;
    long optim_steps;
    double optim_lr;
    rw_ck_tensor *state;
    int n_state;
    bool has_rng;
    rw_rng rng;
    const char **meta_keys, **meta_values;
    int n_meta;
};

/* Records `status` with the message "checkpoint <path>: <formatted>". */
rw_status rw_ck_error(rw_status status, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
