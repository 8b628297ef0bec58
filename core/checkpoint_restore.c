/* Restoring an opened checkpoint's parameters and state tensors: every
 * check against the targets runs before the first byte is copied, so a
 * failure leaves them untouched. Also the accessors for reading a
 * checkpoint without a model. */
#include <float.h>
#include <math.h>
#include "checkpoint_internal.h"

static const rw_ck_tensor *find_tensor(const rw_ck_tensor *ts, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ts[i].name, name) == 0)
            return &ts[i];
    return NULL;
}

static double stored_at(const rw_ck_tensor *t, size_t k)
{
    if (t->dtype == RW_CK_F32) {
        uint32_t bits = rw_le_get_u32(t->data + 4 * k);
        float f;
        memcpy(&f, &bits, 4);
        return f;
    }
    uint64_t bits = rw_le_get_u64(t->data + 8 * k);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

/* The stored tensor can be copied into dst: same shape, and every value
 * representable in rw_real. */
static rw_status check_fits(const rw_checkpoint *ck, const char *what, const rw_ck_tensor *t, const rw_tensor *dst)
{
    if (!rw_shape_equal(t->shape, dst->shape)) {
        char a[64], b[64];
        return rw_checkpoint_error(RW_ERR_SHAPE, ck->path, "%s '%s' has shape %s in the file but %s in the model", what,
                           t->name, rw_shape_str(t->shape, a, sizeof a), rw_shape_str(dst->shape, b, sizeof b));
    }
    if (sizeof(rw_real) == 4 && t->dtype == RW_CK_F64)
        for (size_t k = 0; k < t->count; k++)
            if (fabs(stored_at(t, k)) > FLT_MAX)
                return rw_checkpoint_error(RW_ERR_FORMAT, ck->path, "%s '%s' holds %g at element %zu, beyond float range",
                                   what, t->name, stored_at(t, k), k);
    return RW_OK;
}

static void copy_into(const rw_ck_tensor *t, rw_tensor *dst)
{
    if (rw_host_is_little_endian() && (t->dtype == RW_CK_F32) == (sizeof(rw_real) == 4)) {
        memcpy(dst->data, t->data, t->count * sizeof(rw_real));
        return;
    }
    for (size_t k = 0; k < t->count; k++)
        dst->data[k] = (rw_real)stored_at(t, k);
}

rw_status rw_checkpoint_params_check(const rw_checkpoint *ck, const rw_params *P)
{
    if (!ck)
        return rw_error(RW_ERR_ARG, "rw_checkpoint_restore: NULL checkpoint");
    if (!P)
        return rw_checkpoint_error(RW_ERR_ARG, ck->path, "NULL parameter store");
    for (int i = 0; i < ck->n_params; i++) {
        bool known = false;
        for (int j = 0; j < rw_params_count(P) && !known; j++)
            known = strcmp(rw_params_at(P, j)->name, ck->params[i].name) == 0;
        if (!known)
            return rw_checkpoint_error(RW_ERR_SHAPE, ck->path,
                                       "the file has a parameter '%s' that the model does not have",
                                       ck->params[i].name);
    }
    for (int j = 0; j < rw_params_count(P); j++) {
        const rw_param *p = rw_params_at(P, j);
        const rw_ck_tensor *t = find_tensor(ck->params, ck->n_params, p->name);
        if (!t)
            return rw_checkpoint_error(RW_ERR_SHAPE, ck->path, "the model's parameter '%s' is not in the file",
                                       p->name);
        rw_status st = check_fits(ck, "parameter", t, p->value);
        if (st != RW_OK)
            return st;
    }
    return RW_OK;
}

rw_status rw_checkpoint_params_restore(const rw_checkpoint *ck, rw_params *P)
{
    rw_status st = rw_checkpoint_params_check(ck, P);
    if (st != RW_OK)
        return st;
    /* Everything fits: from here on nothing can fail. */
    for (int j = 0; j < rw_params_count(P); j++) {
        rw_param *p = rw_params_at(P, j);
        copy_into(find_tensor(ck->params, ck->n_params, p->name), p->value);
    }
    return RW_OK;
}

/* ---- reading without a model -------------------------------------------- */

const char *rw_checkpoint_path(const rw_checkpoint *ck) { return ck ? ck->path : NULL; }
uint32_t rw_checkpoint_version(const rw_checkpoint *ck) { return ck ? ck->version : 0; }
long rw_checkpoint_step(const rw_checkpoint *ck) { return ck ? ck->step : 0; }
int rw_checkpoint_param_count(const rw_checkpoint *ck) { return ck ? ck->n_params : 0; }

static bool in_range(const rw_checkpoint *ck, int i, int n) { return ck && i >= 0 && i < n; }

const char *rw_checkpoint_param_name(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_params : 0) ? ck->params[i].name : NULL;
}

rw_shape rw_checkpoint_param_shape(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_params : 0) ? ck->params[i].shape : rw_shape_scalar();
}

int rw_checkpoint_param_find(const rw_checkpoint *ck, const char *name)
{
    for (int i = 0; ck && name && i < ck->n_params; i++)
        if (strcmp(ck->params[i].name, name) == 0)
            return i;
    return -1;
}

/* Checks that tensor i of ts (n of them; "parameter" or "state tensor")
 * fits dst, and copies it when `copy`. */
static rw_status read_tensor(const rw_checkpoint *ck, const char *fn, const char *what, const rw_ck_tensor *ts,
                             int n, int i, const rw_tensor *dst, rw_tensor *copy)
{
    if (!in_range(ck, i, n))
        return rw_error(RW_ERR_ARG, "%s: no %s %d", fn, what, i);
    if (!dst || dst->dtype != RW_REAL)
        return rw_checkpoint_error(RW_ERR_ARG, ck->path, "%s needs a real tensor", fn);
    rw_status st = check_fits(ck, what, &ts[i], dst);
    if (st == RW_OK && copy)
        copy_into(&ts[i], copy);
    return st;
}

rw_status rw_checkpoint_param_read(const rw_checkpoint *ck, int i, rw_tensor *dst)
{
    return read_tensor(ck, "rw_checkpoint_param_read", "parameter", ck ? ck->params : NULL, ck ? ck->n_params : 0,
                       i, dst, dst);
}

rw_status rw_checkpoint_state_check(const rw_checkpoint *ck, int i, const rw_tensor *dst)
{
    return read_tensor(ck, "rw_checkpoint_state_check", "state tensor", ck ? ck->state : NULL,
                       ck ? ck->n_state : 0, i, dst, NULL);
}

rw_status rw_checkpoint_state_read(const rw_checkpoint *ck, int i, rw_tensor *dst)
{
    return read_tensor(ck, "rw_checkpoint_state_read", "state tensor", ck ? ck->state : NULL,
                       ck ? ck->n_state : 0, i, dst, dst);
}

int rw_checkpoint_state_count(const rw_checkpoint *ck) { return ck ? ck->n_state : 0; }

const char *rw_checkpoint_state_name(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_state : 0) ? ck->state[i].name : NULL;
}

rw_shape rw_checkpoint_state_shape(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_state : 0) ? ck->state[i].shape : rw_shape_scalar();
}

int rw_checkpoint_state_find(const rw_checkpoint *ck, const char *name)
{
    const rw_ck_tensor *t = ck && name ? find_tensor(ck->state, ck->n_state, name) : NULL;
    return t ? (int)(t - ck->state) : -1;
}

int rw_checkpoint_blob_count(const rw_checkpoint *ck) { return ck ? ck->n_blobs : 0; }

const char *rw_checkpoint_blob_name(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_blobs : 0) ? ck->blobs[i].name : NULL;
}

const void *rw_checkpoint_blob(const rw_checkpoint *ck, const char *name, size_t *size)
{
    for (int i = 0; ck && name && i < ck->n_blobs; i++)
        if (strcmp(ck->blobs[i].name, name) == 0) {
            if (size)
                *size = ck->blobs[i].size;
            return ck->blobs[i].data;
        }
    return NULL;
}

bool rw_checkpoint_rng(const rw_checkpoint *ck, rw_rng *out)
{
    if (!ck || !ck->has_rng)
        return false;
    if (out)
        *out = ck->rng;
    return true;
}

int rw_checkpoint_meta_count(const rw_checkpoint *ck) { return ck ? ck->n_meta : 0; }

const char *rw_checkpoint_meta_key(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_meta : 0) ? ck->meta_keys[i] : NULL;
}

const char *rw_checkpoint_meta_value(const rw_checkpoint *ck, int i)
{
    return in_range(ck, i, ck ? ck->n_meta : 0) ? ck->meta_values[i] : NULL;
}

const char *rw_checkpoint_meta(const rw_checkpoint *ck, const char *key)
{
    for (int i = 0; ck && key && i < ck->n_meta; i++)
        if (strcmp(ck->meta_keys[i], key) == 0)
            return ck->meta_values[i];
    return NULL;
}

static void print_tensors(FILE *f, const rw_ck_tensor *ts, int n)
{
    for (int i = 0; i < n; i++) {
        char b[64];
        fprintf(f, "  %-32s %-18s %s\n", ts[i].name, rw_shape_str(ts[i].shape, b, sizeof b),
                ts[i].dtype == RW_CK_F32 ? "float32" : "float64");
    }
}

void rw_checkpoint_print(FILE *f, const rw_checkpoint *ck)
{
    if (!f || !ck)
        return;
    size_t values = 0;
    for (int i = 0; i < ck->n_params; i++)
        values += ck->params[i].count;
    fprintf(f, "checkpoint %s: format version %u, %zu bytes, training step %ld\n", ck->path, ck->version, ck->size,
            ck->step);
    fprintf(f, "parameters: %d tensors, %zu values\n", ck->n_params, values);
    print_tensors(f, ck->params, ck->n_params);
    fprintf(f, "state tensors: %d\n", ck->n_state);
    print_tensors(f, ck->state, ck->n_state);
    fprintf(f, "blobs: %d\n", ck->n_blobs);
    for (int i = 0; i < ck->n_blobs; i++)
        fprintf(f, "  %-32s %zu bytes\n", ck->blobs[i].name, ck->blobs[i].size);
    if (ck->has_rng)
        fprintf(f, "rng: key 0x%016llx, counter %llu\n", (unsigned long long)ck->rng.key,
                (unsigned long long)ck->rng.counter);
    else
        fprintf(f, "rng: none\n");
    fprintf(f, "metadata: %d entries\n", ck->n_meta);
    for (int i = 0; i < ck->n_meta; i++)
        fprintf(f, "  %-32s %zu bytes\n", ck->meta_keys[i], strlen(ck->meta_values[i]));
}
