/* Parameter initializers. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/init.h"

static const char *const names[] = {
    [RW_INIT_ZEROS] = "zeros", [RW_INIT_CONST] = "const", [RW_INIT_UNIFORM] = "uniform",
    [RW_INIT_NORMAL] = "normal", [RW_INIT_XAVIER_UNIFORM] = "xavier_uniform",
    [RW_INIT_XAVIER_NORMAL] = "xavier_normal", [RW_INIT_HE_UNIFORM] = "he_uniform",
    [RW_INIT_HE_NORMAL] = "he_normal", [RW_INIT_ORTHOGONAL] = "orthogonal", [RW_INIT_IDENTITY] = "identity",
};

const char *rw_init_name(rw_init_kind kind)
{
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

rw_status rw_init_from_name(const char *name, rw_init_kind *kind)
{
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0) {
            *kind = (rw_init_kind)i;
            return RW_OK;
        }
    if (name && strcmp(name, "glorot_uniform") == 0) {
        *kind = RW_INIT_XAVIER_UNIFORM;
        return RW_OK;
    }
    if (name && strcmp(name, "glorot_normal") == 0) {
        *kind = RW_INIT_XAVIER_NORMAL;
        return RW_OK;
    }
    return rw_error(RW_ERR_ARG, "unknown initializer '%s' (zeros, const, uniform, normal, xavier_uniform, "
                    "xavier_normal, he_uniform, he_normal, orthogonal, identity)", name ? name : "(null)");
}

/* Orthonormalizes the rows (if rows <= cols) or columns of a [rows, cols]
 * block of normal samples by modified Gram-Schmidt, in double. */
static rw_status orthogonal_block(rw_real *out, int rows, int cols, int stride, double gain, rw_rng *rng)
{
    bool by_rows = rows <= cols;
    int n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    double *v = rwi_malloc((size_t)n * (size_t)len * sizeof *v, "an orthogonal initialization");
    if (!v)
        return RW_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        double *vi = v + (size_t)i * (size_t)len;
        for (;;) {
            for (int k = 0; k < len; k++)
                vi[k] = rw_rng_normal(rng);
            for (int pass = 0; pass < 2; pass++) /* twice for numerical orthogonality */
                for (int j = 0; j < i; j++) {
                    const double *vj = v + (size_t)j * (size_t)len;
                    double d = 0;
                    for (int k = 0; k < len; k++)
                        d += vi[k] * vj[k];
                    for (int k = 0; k < len; k++)
                        vi[k] -= d * vj[k];
                }
            double norm = 0;
            for (int k = 0; k < len; k++)
                norm += vi[k] * vi[k];
            norm = sqrt(norm);
            if (norm > 1e-6) {
                for (int k = 0; k < len; k++)
                    vi[k] /= norm;
                break;
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double x = by_rows ? v[(size_t)r * (size_t)len + (size_t)c] : v[(size_t)c * (size_t)len + (size_t)r];
            out[(size_t)r * (size_t)stride + (size_t)c] = (rw_real)(gain * x);
        }
    rwi_free(v);
    return RW_OK;
}

rw_status rw_init_tensor(rw_tensor *t, rw_init init, rw_rng *rng)
{
    if (!t || t->dtype != RW_REAL)
        return rw_error(RW_ERR_ARG, "rw_init_tensor: needs a real tensor");
    int ndim = t->shape.ndim;
    double fan_out = ndim >= 1 ? t->shape.dim[0] : 1;
    double fan_in = ndim >= 2 ? (double)t->size / fan_out : fan_out;
    double gain = init.a != 0 ? init.a : 1;
    switch (init.kind) {
    case RW_INIT_ZEROS: rw_tensor_fill(t, 0); return RW_OK;
    case RW_INIT_CONST: rw_tensor_fill(t, (rw_real)init.a); return RW_OK;
    case RW_INIT_UNIFORM:
        if (init.b < init.a)
            return rw_error(RW_ERR_ARG, "uniform initializer: low %g > high %g", init.a, init.b);
        rw_rng_fill_uniform(rng, t, init.a, init.b);
        return RW_OK;
    case RW_INIT_NORMAL:
        if (init.b < 0)
            return rw_error(RW_ERR_ARG, "normal initializer: negative standard deviation %g", init.b);
        rw_rng_fill_normal(rng, t, init.a, init.b);
        return RW_OK;
    case RW_INIT_XAVIER_UNIFORM: {
        double r = gain * sqrt(6.0 / (fan_in + fan_out));
        rw_rng_fill_uniform(rng, t, -r, r);
        return RW_OK;
    }
    case RW_INIT_XAVIER_NORMAL: rw_rng_fill_normal(rng, t, 0, gain * sqrt(2.0 / (fan_in + fan_out))); return RW_OK;
    case RW_INIT_HE_UNIFORM: {
        double r = sqrt(6.0 / fan_in);
        rw_rng_fill_uniform(rng, t, -r, r);
        return RW_OK;
    }
    case RW_INIT_HE_NORMAL: rw_rng_fill_normal(rng, t, 0, sqrt(2.0 / fan_in)); return RW_OK;
    case RW_INIT_ORTHOGONAL:
    case RW_INIT_IDENTITY: {
        if (ndim != 2)
            return rw_error(RW_ERR_ARG, "%s initializer needs a matrix", rw_init_name(init.kind));
        int rows = t->shape.dim[0], cols = t->shape.dim[1];
        int block = init.b > 0 ? (int)init.b : rows;
        if (rows % block != 0)
            return rw_error(RW_ERR_ARG, "%s initializer: %d rows are not a multiple of blocks of %d",
                            rw_init_name(init.kind), rows, block);
        rw_tensor_fill(t, 0);
        for (int b0 = 0; b0 < rows; b0 += block) {
            rw_real *blk = t->data + (size_t)b0 * (size_t)cols;
            if (init.kind == RW_INIT_IDENTITY) {
                for (int i = 0; i < block && i < cols; i++)
                    blk[(size_t)i * (size_t)cols + (size_t)i] = (rw_real)gain;
            } else if (orthogonal_block(blk, block, cols, cols, gain, rng) != RW_OK) {
                return rw_last_status();
            }
        }
        return RW_OK;
    }
    }
    return rw_error(RW_ERR_ARG, "rw_init_tensor: unknown initializer kind %d", (int)init.kind);
}

rw_status rw_param_init(const rw_params *P, rw_param *p, rw_init init, rw_rng *rng)
{
    if (!p)
        return rw_error(RW_ERR_ARG, "rw_param_init: NULL parameter");
    return rw_params_skip_init(P) ? RW_OK : rw_init_tensor(p->value, init, rng);
}
