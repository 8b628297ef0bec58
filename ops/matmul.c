/* Matrix products through BLIS. Operands are row-major; a transposed
 * operand is the same storage viewed with swapped strides, so no copy is
 * ever made, and backward accumulates into the gradients with beta = 1
 * (a parameter's gradient receives every time step's term inside the GEMM). */
#include <string.h>
#include <blis.h>
#include "op_util.h"
#include "rewind/blas.h"
#include "rewind/ops_matmul.h"
#include "rewind/param.h"

typedef struct matmul_attrs {
    bool transpose_a;
    bool transpose_b;
} matmul_attrs;

static const rw_attr_def matmul_attr_defs[] = {
    { "transpose_a", RW_ATTR_BOOL, offsetof(matmul_attrs, transpose_a), 0, "use a^T" },
    { "transpose_b", RW_ATTR_BOOL, offsetof(matmul_attrs, transpose_b), 0, "use b^T" },
};

/* A strided view of op(X) as an r x c matrix. */
typedef struct view {
    dim_t rows, cols;
    inc_t rs, cs;
} view;

typedef struct dims {
    view a, b;     /* op(A) is M x K, op(B) is K x N */
    dim_t m, n, k;
} dims;

static dims dims_of(const rw_node *node)
{
    const matmul_attrs *at = RW_ATTRS(node, matmul_attrs);
    rw_shape sa = node->in[0]->value.shape, sb = node->in[1]->value.shape;
    dims d;
    if (at->transpose_a) { /* stored [K, M] */
        d.k = sa.dim[0];
        d.m = sa.dim[1];
        d.a = (view){ d.m, d.k, 1, d.m };
    } else { /* stored [..., K]: all leading dimensions are rows */
        d.k = rw_shape_last(sa);
        d.m = (dim_t)rw_shape_rows(sa);
        d.a = (view){ d.m, d.k, d.k, 1 };
    }
    if (at->transpose_b) { /* stored [N, K] */
        d.n = sb.dim[0];
        d.b = (view){ d.k, d.n, 1, sb.dim[1] };
    } else { /* stored [K, N] */
        d.n = sb.dim[1];
        d.b = (view){ d.k, d.n, d.n, 1 };
    }
    return d;
}

static rw_status matmul_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const matmul_attrs *at = RW_ATTRS(n, matmul_attrs);
    if (rw_op_require_real(n, 0) || rw_op_require_real(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sa = n->in[0]->value.shape, sb = n->in[1]->value.shape;
    if (sb.ndim != 2)
        return rw_op_shape_error(n, "the second operand must be a matrix (2-D)");
    if (at->transpose_a ? sa.ndim != 2 : sa.ndim < 1)
        return rw_op_shape_error(n, at->transpose_a ? "a transposed first operand must be 2-D"
                                                    : "the first operand must have at least one dimension");
    int ka = at->transpose_a ? sa.dim[0] : rw_shape_last(sa);
    int kb = at->transpose_b ? sb.dim[1] : sb.dim[0];
    if (ka != kb)
        return rw_op_shape_error(n, "inner dimensions differ (%d vs %d)%s%s", ka, kb,
                                 at->transpose_a ? "; first operand transposed" : "",
                                 at->transpose_b ? "; second operand transposed" : "");
    int nn = at->transpose_b ? sb.dim[0] : sb.dim[1];
    if (at->transpose_a) {
        *out = rw_shape2(sa.dim[1], nn);
    } else {
        *out = sa;
        out->dim[sa.ndim - 1] = nn;
    }
    *dt = RW_REAL;
    return RW_OK;
}

static int blis_threads = 1;

/* multiply-adds below which a product runs on one thread (measured on the
 * benchmark shapes: 32 x 128 x 512 is faster alone, 64 x 512 x 2048 is not) */
#define RW_GEMM_THREAD_WORK (8.0 * 1024 * 1024)

/* C (+)= A B on strided views. BLIS is asked to pack both operands: the
 * products of a recurrent step are skinny ([batch, H] x [H, 4H]), where its
 * default small-matrix path is markedly slower (see bench/README.md). */
/* Products with at most this many rows (batch-1 generation, a few beams)
 * run as one GEMV per row. A GEMM packs all of B (a whole weight matrix)
 * at every call, which for one row costs ten times the arithmetic: on the
 * skx kernels [1, 256] x [256, 1024] takes 133 us as a GEMM, 11.5 us as a
 * GEMV, and 8 GEMVs still beat one GEMM (bench/README.md). */
#define RW_GEMV_MAX_ROWS 8

static void gemv_rows(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                      inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rw_real one = 1;
    for (dim_t i = 0; i < m; i++) /* row i of C = B^T (row i of A) */
#ifdef RW_DOUBLE
        bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, k, n, &one, (double *)b, rsb, csb, (double *)a + i * rsa,
                  csa, &beta, c + i * rsc, csc);
#else
        bli_sgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, k, n, &one, (float *)b, rsb, csb, (float *)a + i * rsa,
                  csa, &beta, c + i * rsc, csc);
#endif
}

static void gemm(dim_t m, dim_t n, dim_t k, const rw_real *a, inc_t rsa, inc_t csa, const rw_real *b,
                 inc_t rsb, inc_t csb, rw_real beta, rw_real *c, inc_t rsc, inc_t csc)
{
    rw_real one = 1;
    rw_blas_prepare();
    if (m <= RW_GEMV_MAX_ROWS && k > 0) {
        gemv_rows(m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
        return;
    }
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    /* Threads only pay for themselves on large products: a recurrent step's
     * [B, H] x [H, 4H] with small B runs faster on one thread than on two. */
    double work = (double)m * (double)n * (double)k;
    bli_rntm_set_num_threads(work >= RW_GEMM_THREAD_WORK ? blis_threads : 1, &rntm);
    bli_rntm_set_pack_a(TRUE, &rntm);
    bli_rntm_set_pack_b(TRUE, &rntm);
#ifdef RW_DOUBLE
    bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (double *)a, rsa, csa, (double *)b, rsb,
                 csb, &beta, c, rsc, csc, NULL, &rntm);
#else
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)a, rsa, csa, (float *)b, rsb,
                 csb, &beta, c, rsc, csc, NULL, &rntm);
#endif
}

static void matmul_forward(rw_node *n)
{
    dims d = dims_of(n);
    gemm(d.m, d.n, d.k, n->in[0]->value.data, d.a.rs, d.a.cs, n->in[1]->value.data, d.b.rs, d.b.cs, 0,
         n->value.data, d.n, 1);
}

/* ---- weight gradients gathered over time steps --------------------------
 * A parameter used at every step of a recurrent net gets one term
 * op(A_t)^T dC_t per step, each a GEMM with only `batch` rows of inner
 * dimension. They are collected during the backward pass and computed as a
 * single GEMM over all steps' rows at its end: the same sum, in one
 * efficient product. Only for parameter leaves, whose gradient no other
 * backward reads. */
typedef struct wgrad_term {
    struct wgrad_term *next;
    const rw_real *a, *dc;
    inc_t rs, cs;           /* op(A) [m, k] */
    dim_t m;
} wgrad_term;

typedef struct wgrad_group {
    rw_defer base;          /* key: the gradient buffer */
    rw_real *grad;
    view b;                 /* op(B)'s strides on the gradient buffer */
    dim_t k, n, rows;
    wgrad_term *terms;      /* newest first */
} wgrad_group;

static void wgrad_flush(rw_defer *d, rw_graph *g)
{
    wgrad_group *grp = (wgrad_group *)d;
    wgrad_term *t = grp->terms;
    if (!t->next) { /* one term: no gathering needed */
        gemm(grp->k, grp->n, t->m, t->a, t->cs, t->rs, t->dc, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
        return;
    }
    rw_arena *arena = rw_graph_arena(g);
    rw_real *A = rw_arena_alloc(arena, (size_t)grp->rows * (size_t)grp->k * sizeof(rw_real));
    rw_real *C = rw_arena_alloc(arena, (size_t)grp->rows * (size_t)grp->n * sizeof(rw_real));
    if (!A || !C) { /* out of memory: fall back to one product per term */
        for (; t; t = t->next)
            gemm(grp->k, grp->n, t->m, t->a, t->cs, t->rs, t->dc, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
        return;
    }
    dim_t row = 0;
    for (; t; t = t->next) {
        for (dim_t i = 0; i < t->m; i++, row++) {
            rw_real *dst = A + (size_t)row * (size_t)grp->k;
            if (t->cs == 1) {
                memcpy(dst, t->a + (size_t)i * (size_t)t->rs, (size_t)grp->k * sizeof(rw_real));
            } else {
                for (dim_t j = 0; j < grp->k; j++)
                    dst[j] = t->a[(size_t)i * (size_t)t->rs + (size_t)j * (size_t)t->cs];
            }
        }
        memcpy(C + (size_t)(row - t->m) * (size_t)grp->n, t->dc, (size_t)t->m * (size_t)grp->n * sizeof(rw_real));
    }
    gemm(grp->k, grp->n, grp->rows, A, 1, grp->k, C, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
}

/* Postpones d op(B) += op(A)^T dC; false if it must be done now. */
static bool defer_weight_grad(rw_node *n, const dims *d)
{
    rw_node *b = n->in[1];
    if (!b->param || b->grad != b->param->grad->data)
        return false;
    rw_graph *g = n->graph;
    wgrad_group *grp = (wgrad_group *)rw_backward_find_deferred(g, wgrad_flush, b->grad);
    if (grp && (grp->k != d->k || grp->n != d->n || grp->b.rs != d->b.rs || grp->b.cs != d->b.cs))
        return false; /* used with another layout: keep it simple */
    if (!grp) {
        grp = rw_node_temp(n, sizeof *grp);
        if (!grp)
            return false;
        *grp = (wgrad_group){ .base = { .run = wgrad_flush, .key = b->grad }, .grad = b->grad, .b = d->b,
                              .k = d->k, .n = d->n };
        rw_backward_defer(g, &grp->base);
    }
    wgrad_term *t = rw_node_temp(n, sizeof *t);
    if (!t)
        return false;
    *t = (wgrad_term){ .next = grp->terms, .a = n->in[0]->value.data, .dc = n->grad, .rs = d->a.rs,
                       .cs = d->a.cs, .m = d->m };
    grp->terms = t;
    grp->rows += d->m;
    n->keep_grad = true; /* the flush reads dC at the end of the pass */
    return true;
}

static void matmul_backward(rw_node *n)
{
    dims d = dims_of(n);
    const rw_real *a = n->in[0]->value.data, *b = n->in[1]->value.data, *dc = n->grad;
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    if (ga) /* d op(A) [M,K] += dC [M,N] op(B)^T [N,K] */
        gemm(d.m, d.k, d.n, dc, d.n, 1, b, d.b.cs, d.b.rs, 1, ga, d.a.rs, d.a.cs);
    if (gb && !defer_weight_grad(n, &d)) /* d op(B) [K,N] += op(A)^T [K,M] dC [M,N] */
        gemm(d.k, d.n, d.m, a, d.a.cs, d.a.rs, dc, d.n, 1, 1, gb, d.b.rs, d.b.cs);
}

static const rw_op_def matmul_def = {
    .fills_output = true,
    .name = "matmul", .arity = 2, .attr_size = sizeof(matmul_attrs), .attrs = matmul_attr_defs,
    .n_attrs = 2, .shape = matmul_shape, .forward = matmul_forward, .backward = matmul_backward,
    .doc = "op(a) @ op(b) through BLIS; a may carry leading dimensions" };

/* ---- matmul_add: op(a) op(b) + c in one GEMM (beta = 1 onto a copy of c) --
 * The recurrent step's x_t W^T + h U^T without a separate product node. */
static rw_status matmul_add_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (matmul_shape(n, out, dt) != RW_OK)
        return RW_ERR_SHAPE;
    if (rw_op_require_real(n, 2))
        return RW_ERR_SHAPE;
    rw_shape sc = n->in[2]->value.shape;
    bool row = sc.ndim == 1 && sc.dim[0] == rw_shape_last(*out);
    if (!row && !rw_shape_equal(sc, *out)) {
        char b[64];
        return rw_op_shape_error(n, "the addend must have the product's shape %s or be a row of %d",
                                 rw_shape_str(*out, b, sizeof b), rw_shape_last(*out));
    }
    return RW_OK;
}

/* c is either the product's shape or one row repeated over all rows. */
static void matmul_add_forward(rw_node *n)
{
    dims d = dims_of(n);
    const rw_real *c = n->in[2]->value.data;
    if (n->in[2]->value.size == n->value.size) {
        memcpy(n->value.data, c, n->value.size * sizeof(rw_real));
    } else {
        for (dim_t r = 0; r < d.m; r++)
            memcpy(n->value.data + (size_t)r * (size_t)d.n, c, (size_t)d.n * sizeof(rw_real));
    }
    gemm(d.m, d.n, d.k, n->in[0]->value.data, d.a.rs, d.a.cs, n->in[1]->value.data, d.b.rs, d.b.cs, 1,
         n->value.data, d.n, 1);
}

static void matmul_add_backward(rw_node *n)
{
    matmul_backward(n);
    rw_real *gc = n->in[2]->grad;
    if (!gc)
        return;
    size_t size = n->in[2]->value.size;
    for (size_t at = 0; at < n->value.size; at += size) /* sums over the rows when c is a row */
        for (size_t i = 0; i < size; i++)
            gc[i] += n->grad[at + i];
}

static const rw_op_def matmul_add_def = {
    .fills_output = true,
    .name = "matmul_add", .arity = 3, .attr_size = sizeof(matmul_attrs), .attrs = matmul_attr_defs,
    .n_attrs = 2, .shape = matmul_add_shape, .forward = matmul_add_forward, .backward = matmul_add_backward,
    .doc = "op(a) @ op(b) + c in one GEMM; c has the product's shape or is a row [N]" };

rw_node *rw_matmul_add(rw_graph *g, rw_node *a, rw_node *b, rw_node *c, bool transpose_a, bool transpose_b)
{
    matmul_attrs at = { transpose_a, transpose_b };
    rw_node *in[3] = { a, b, c };
    return rw_apply(g, &matmul_add_def, in, 3, &at);
}

rw_node *rw_matmul_ex(rw_graph *g, rw_node *a, rw_node *b, bool transpose_a, bool transpose_b)
{
    matmul_attrs at = { transpose_a, transpose_b };
    rw_node *in[2] = { a, b };
    return rw_apply(g, &matmul_def, in, 2, &at);
}

rw_node *rw_matmul(rw_graph *g, rw_node *a, rw_node *b) { return rw_matmul_ex(g, a, b, false, false); }

rw_status rw_set_threads(int n)
{
    if (n < 1)
        return rw_error(RW_ERR_ARG, "rw_set_threads: %d threads; at least 1 is needed", n);
    blis_threads = n;
    rw_blas_prepare();
    bli_thread_set_num_threads(blis_threads);
    return RW_OK;
}

int rw_get_threads(void) { return blis_threads; }

static const rw_op_def *const defs[] = { &matmul_def, &matmul_add_def };
const rw_op_family rw_family_matmul = { "matmul", defs, 2 };
