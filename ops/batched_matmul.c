/* Batched matrix products through BLIS: one strided GEMM per batch entry.
 * As in ops/matmul.c, a transposed operand is the same storage viewed with
 * swapped strides (no copy), and backward accumulates with beta = 1. */
#include <blis.h>
#include "op_util.h"
#include "rewind/blas.h"
#include "rewind/ops_batched.h"

typedef struct bmm_attrs {
    bool transpose_a;
    bool transpose_b;
} bmm_attrs;

static const rw_attr_def bmm_attr_defs[] = {
    { "transpose_a", RW_ATTR_BOOL, offsetof(bmm_attrs, transpose_a), 0, "use a^T in each batch entry" },
    { "transpose_b", RW_ATTR_BOOL, offsetof(bmm_attrs, transpose_b), 0, "use b^T in each batch entry" },
};

/* One batch entry: op(A) is M x K with strides (ars, acs), op(B) is K x P
 * with strides (brs, bcs); a_step, b_step, c_step are the entries' sizes. */
typedef struct bmm_dims {
    dim_t batch, m, k, p;
    inc_t ars, acs, brs, bcs;
    size_t a_step, b_step, c_step;
} bmm_dims;

static bmm_dims dims_of(const rw_node *n)
{
    const bmm_attrs *at = RW_ATTRS(n, bmm_attrs);
    rw_shape sa = n->in[0]->value.shape, sb = n->in[1]->value.shape;
    bmm_dims d = { .batch = sa.dim[0] };
    if (at->transpose_a) { /* stored [K, M] */
        d.k = sa.dim[1], d.m = sa.dim[2], d.ars = 1, d.acs = d.m;
    } else { /* stored [M, K] */
        d.m = sa.dim[1], d.k = sa.dim[2], d.ars = d.k, d.acs = 1;
    }
    if (at->transpose_b) { /* stored [P, K] */
        d.p = sb.dim[1], d.brs = 1, d.bcs = d.k;
    } else { /* stored [K, P] */
        d.p = sb.dim[2], d.brs = d.p, d.bcs = 1;
    }
    d.a_step = (size_t)(d.m * d.k);
    d.b_step = (size_t)(d.k * d.p);
    d.c_step = (size_t)(d.m * d.p);
    return d;
}

static rw_status bmm_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const bmm_attrs *at = RW_ATTRS(n, bmm_attrs);
    if (rwi_op_require_real(n, 0) || rwi_op_require_real(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sa = n->in[0]->value.shape, sb = n->in[1]->value.shape;
    if (sa.ndim != 3 || sb.ndim != 3)
        return rwi_op_shape_error(n, "both operands must be 3-D: a [N, M, K], b [N, K, P]");
    if (sa.dim[0] != sb.dim[0])
        return rwi_op_shape_error(n, "batch sizes differ (%d vs %d)", sa.dim[0], sb.dim[0]);
    int ka = at->transpose_a ? sa.dim[1] : sa.dim[2];
    int kb = at->transpose_b ? sb.dim[2] : sb.dim[1];
    if (ka != kb)
        return rwi_op_shape_error(n, "inner dimensions differ (%d vs %d)%s%s", ka, kb,
                                 at->transpose_a ? "; first operand transposed" : "",
                                 at->transpose_b ? "; second operand transposed" : "");
    *out = rw_shape3(sa.dim[0], at->transpose_a ? sa.dim[2] : sa.dim[1], at->transpose_b ? sb.dim[1] : sb.dim[2]);
    *dt = RW_REAL;
    return RW_OK;
}

/* C (+)= A B on strided views. */
static void gemm(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                 inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rw_real one = 1;
    rw_blas_prepare();
#ifdef RW_DOUBLE
    bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (double *)a, rsa, csa, (double *)b, rsb,
              csb, &beta, c, rsc, csc);
#else
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)a, rsa, csa, (float *)b, rsb,
              csb, &beta, c, rsc, csc);
#endif
}

static void bmm_forward(rw_node *n)
{
    bmm_dims d = dims_of(n);
    const rw_real *a = n->in[0]->value.data, *b = n->in[1]->value.data;
    for (dim_t i = 0; i < d.batch; i++)
        gemm(d.m, d.p, d.k, a + (size_t)i * d.a_step, d.ars, d.acs, b + (size_t)i * d.b_step, d.brs, d.bcs, 0,
             n->value.data + (size_t)i * d.c_step, d.p, 1);
}

static void bmm_backward(rw_node *n)
{
    bmm_dims d = dims_of(n);
    const rw_real *a = n->in[0]->value.data, *b = n->in[1]->value.data;
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    for (dim_t i = 0; i < d.batch; i++) {
        const rw_real *dc = n->grad + (size_t)i * d.c_step;
        if (ga) /* d op(A) [M,K] += dC [M,P] op(B)^T [P,K] */
            gemm(d.m, d.k, d.p, dc, d.p, 1, b + (size_t)i * d.b_step, d.bcs, d.brs, 1, ga + (size_t)i * d.a_step,
                 d.ars, d.acs);
        if (gb) /* d op(B) [K,P] += op(A)^T [K,M] dC [M,P] */
            gemm(d.k, d.p, d.m, a + (size_t)i * d.a_step, d.acs, d.ars, dc, d.p, 1, 1, gb + (size_t)i * d.b_step,
                 d.brs, d.bcs);
    }
}

static const rw_op_def bmm_def = {
    .name = "batched_matmul", .arity = 2, .attr_size = sizeof(bmm_attrs), .attrs = bmm_attr_defs, .n_attrs = 2,
    .shape = bmm_shape, .forward = bmm_forward, .backward = bmm_backward,
    .doc = "op(a[i]) @ op(b[i]) for each i: [N, M, K] x [N, K, P] -> [N, M, P] through BLIS" };

rw_node *rw_batched_matmul(rw_graph *g, rw_node *a, rw_node *b, bool transpose_a, bool transpose_b)
{
    bmm_attrs at = { transpose_a, transpose_b };
    rw_node *in[2] = { a, b };
    return rw_apply(g, &bmm_def, in, 2, &at);
}

static const rw_op_def *const defs[] = { &bmm_def };
const rw_op_family rwi_family_batched_matmul = { "batched_matmul", defs, 1 };
