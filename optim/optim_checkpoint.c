/* An optimizer's state in a checkpoint. Core's checkpoint knows nothing of
 * optimizers: the optimizer stores a blob "optimizer" (its kind, step
 * counter, learning rate and the number of its state tensors) and each state
 * tensor under its own name ("adam.m/W1"). The blob's bytes are, by design,
 * the payload of version 1's optimizer section, so both versions read alike:
 *     string kind (u32 n, n bytes, a 0 byte); u64 step counter;
 *     f64 learning rate (its bit pattern); u32 number of state tensors
 * all little-endian (docs/checkpoint-format.md). */
#include <limits.h>
#include <math.h>
#include "rewind/optim.h"
#include "rewind_internal/byte_order.h"

#define OPTIM_BLOB "optimizer"
#define MAX_KIND 64   /* longer than any optimizer's name */

typedef struct optim_record {
    const char *kind;      /* in the file's bytes, 0-terminated */
    long steps;
    double lr;
    uint32_t n_state;
} optim_record;

/* The record of ck into *r; *present is false (and the result RW_OK) when the
 * file has no optimizer. RW_ERR_FORMAT for a malformed record. */
static rw_status read_record(const rw_checkpoint *ck, optim_record *r, bool *present)
{
    size_t size = 0;
    const unsigned char *b = rw_checkpoint_blob(ck, OPTIM_BLOB, &size);
    *present = b != NULL;
    if (!b)
        return RW_OK;
    const char *path = rw_checkpoint_path(ck);
    uint32_t n = size >= 4 ? rw_le_get_u32(b) : 0;
    if (size < 4 || n > MAX_KIND || size != 4 + (size_t)n + 1 + 8 + 8 + 4)
        return rw_checkpoint_error(RW_ERR_FORMAT, path, "the optimizer record (%zu bytes) is malformed", size);
    if (b[4 + n] != 0 || memchr(b + 4, 0, n) != NULL || n == 0)
        return rw_checkpoint_error(RW_ERR_FORMAT, path, "the optimizer record's kind is not a proper name");
    const unsigned char *p = b + 4 + n + 1;
    uint64_t steps = rw_le_get_u64(p), lr_bits = rw_le_get_u64(p + 8);
    r->kind = (const char *)b + 4;
    memcpy(&r->lr, &lr_bits, 8);
    r->n_state = rw_le_get_u32(p + 16);
    if (steps > (uint64_t)LONG_MAX)
        return rw_checkpoint_error(RW_ERR_FORMAT, path, "optimizer step counter %llu is out of range",
                                   (unsigned long long)steps);
    if (!(r->lr >= 0) || !isfinite(r->lr))
        return rw_checkpoint_error(RW_ERR_FORMAT, path, "optimizer learning rate %g is invalid", r->lr);
    r->steps = (long)steps;
    return RW_OK;
}

rw_status rw_optim_checkpoint_put(rw_checkpoint_writer *w, const rw_optim *opt)
{
    if (!w || !opt)
        return rw_error(RW_ERR_ARG, "rw_optim_checkpoint_put: NULL %s", w ? "optimizer" : "checkpoint writer");
    if (!isfinite(rw_optim_lr(opt)))
        return rw_checkpoint_error(RW_ERR_NUMERIC, rw_checkpoint_writer_path(w),
                                   "the optimizer's learning rate is not finite");
    const char *kind = rw_optim_name(opt);
    size_t n = strlen(kind);
    unsigned char b[4 + MAX_KIND + 1 + 8 + 8 + 4];
    double lr = rw_optim_lr(opt);
    uint64_t lr_bits;
    memcpy(&lr_bits, &lr, 8);
    rw_le_put_u32(b, (uint32_t)n);
    memcpy(b + 4, kind, n + 1);
    rw_le_put_u64(b + 4 + n + 1, (uint64_t)rw_optim_steps(opt));
    rw_le_put_u64(b + 4 + n + 9, lr_bits);
    rw_le_put_u32(b + 4 + n + 17, (uint32_t)rw_optim_state_count(opt));
    rw_status st = rw_checkpoint_put_blob(w, OPTIM_BLOB, b, 4 + n + 21);
    for (int i = 0; st == RW_OK && i < rw_optim_state_count(opt); i++) {
        const char *name;
        const rw_tensor *t = rw_optim_state_at(opt, i, &name);
        st = rw_checkpoint_put_tensor(w, name, t);
    }
    return st;
}

/* State tensors of ck that belong to an optimizer of this kind:
 * "<kind>.<slot>/<parameter>". */
static int count_state_of(const rw_checkpoint *ck, const char *kind)
{
    size_t n = strlen(kind);
    int count = 0;
    for (int i = 0; i < rw_checkpoint_state_count(ck); i++) {
        const char *name = rw_checkpoint_state_name(ck, i);
        count += strncmp(name, kind, n) == 0 && name[n] == '.';
    }
    return count;
}

rw_status rw_optim_checkpoint_check(const rw_checkpoint *ck, const rw_optim *opt)
{
    if (!ck || !opt)
        return rw_error(RW_ERR_ARG, "rw_optim_checkpoint_check: NULL %s", ck ? "optimizer" : "checkpoint");
    const char *path = rw_checkpoint_path(ck);
    optim_record r = { 0 };
    bool present;
    rw_status st = read_record(ck, &r, &present);
    if (st != RW_OK)
        return st;
    if (!present)
        return rw_checkpoint_error(RW_ERR_SHAPE, path, "the file holds no optimizer state (saved without an optimizer)");
    if (strcmp(r.kind, rw_optim_name(opt)) != 0)
        return rw_checkpoint_error(RW_ERR_SHAPE, path, "the file's optimizer is '%s' but the one given is '%s'",
                                   r.kind, rw_optim_name(opt));
    int in_file = count_state_of(ck, r.kind);
    if ((uint32_t)in_file != r.n_state)
        return rw_checkpoint_error(RW_ERR_FORMAT, path,
                                   "the optimizer record announces %u state tensors but %d are in the file",
                                   r.n_state, in_file);
    if (rw_optim_state_count(opt) != in_file)
        return rw_checkpoint_error(RW_ERR_SHAPE, path,
                                   "the file holds %d optimizer state tensors but the given %s optimizer has %d "
                                   "(another momentum setting, or other parameters?)",
                                   in_file, r.kind, rw_optim_state_count(opt));
    for (int j = 0; j < rw_optim_state_count(opt); j++) {
        const char *name;
        const rw_tensor *dst = rw_optim_state_at(opt, j, &name);
        int i = rw_checkpoint_state_find(ck, name);
        if (i < 0)
            return rw_checkpoint_error(RW_ERR_SHAPE, path, "optimizer state '%s' is not in the file", name);
        if ((st = rw_checkpoint_state_check(ck, i, dst)) != RW_OK)
            return st;
    }
    return RW_OK;
}

rw_status rw_optim_checkpoint_restore(const rw_checkpoint *ck, rw_optim *opt)
{
    rw_status st = rw_optim_checkpoint_check(ck, opt);
    if (st != RW_OK)
        return st;
    /* Everything fits: from here on nothing can fail. */
    optim_record r = { 0 };
    bool present;
    read_record(ck, &r, &present);
    for (int j = 0; j < rw_optim_state_count(opt); j++) {
        const char *name;
        rw_tensor *dst = rw_optim_state_at(opt, j, &name);
        rw_checkpoint_state_read(ck, rw_checkpoint_state_find(ck, name), dst);
    }
    /* Both were checked when the record was read. */
    rw_optim_set_steps(opt, r.steps);
    return rw_optim_set_lr(opt, r.lr);
}

/* The record, or NULL when the file has none or it is malformed. */
static bool record_of(const rw_checkpoint *ck, optim_record *r)
{
    bool present = false;
    return ck && read_record(ck, r, &present) == RW_OK && present;
}

const char *rw_checkpoint_optim_name(const rw_checkpoint *ck)
{
    optim_record r = { 0 };
    return record_of(ck, &r) ? r.kind : NULL;
}

long rw_checkpoint_optim_steps(const rw_checkpoint *ck)
{
    optim_record r = { 0 };
    return record_of(ck, &r) ? r.steps : 0;
}

double rw_checkpoint_optim_lr(const rw_checkpoint *ck)
{
    optim_record r = { 0 };
    return record_of(ck, &r) ? r.lr : 0;
}
