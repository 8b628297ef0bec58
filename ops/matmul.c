/* Matrix products through BLIS: matmul, and matmul_add (a product plus an
 * addend in one GEMM). Operands are row-major; a transposed operand is the
 * same storage viewed with swapped strides, so no copy is ever made, and
 * backward accumulates into the gradients with beta = 1. The weight
 * gradient of a parameter is postponed and gathered over time steps into
 * one GEMM (matmul_wgrad.c); the GEMM call itself is in gemm.c. */
#include <string.h>
#include "op_util.h"
#include "gemm.h"
#include "matmul_wgrad.h"
#include "matmul_weight.h"
#include "rewind/ops_matmul.h"

typedef struct matmul_attrs {
    bool transpose_a;
    bool transpose_b;
} matmul_attrs;

static const rw_attr_def matmul_attr_defs[] = {
    { "transpose_a", RW_ATTR_BOOL, offsetof(matmul_attrs, transpose_a), 0, "use a^T" },
    { "transpose_b", RW_ATTR_BOOL, offsetof(matmul_attrs, transpose_b), 0, "use b^T" },
};


typedef struct dims {
    rw_strided a, b;   /* op(A) is M x K, op(B) is K x N */
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
        d.a = (rw_strided){ d.m, d.k, 1, d.m };
    } else { /* stored [..., K]: all leading dimensions are rows */
        d.k = rw_shape_last(sa);
        d.m = (dim_t)rw_shape_rows(sa);
        d.a = (rw_strided){ d.m, d.k, d.k, 1 };
    }
    if (at->transpose_b) { /* stored [N, K] */
        d.n = sb.dim[0];
        d.b = (rw_strided){ d.k, d.n, 1, sb.dim[1] };
    } else { /* stored [K, N] */
        d.n = sb.dim[1];
        d.b = (rw_strided){ d.k, d.n, d.n, 1 };
    }
    return d;
}

static rw_status matmul_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    const matmul_attrs *at = RW_ATTRS(n, matmul_attrs);
    if (rwi_op_require_real(n, 0) || rwi_op_require_real(n, 1))
        return RW_ERR_SHAPE;
    rw_shape sa = n->in[0]->value.shape, sb = n->in[1]->value.shape;
    if (sb.ndim != 2)
        return rwi_op_shape_error(n, "the second operand must be a matrix (2-D)");
    if (at->transpose_a ? sa.ndim != 2 : sa.ndim < 1)
        return rwi_op_shape_error(n, at->transpose_a ? "a transposed first operand must be 2-D"
                                                    : "the first operand must have at least one dimension");
    int ka = at->transpose_a ? sa.dim[0] : rw_shape_last(sa);
    int kb = at->transpose_b ? sb.dim[1] : sb.dim[0];
    if (ka != kb)
        return rwi_op_shape_error(n, "inner dimensions differ (%d vs %d)%s%s", ka, kb,
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

/* op(B) for the forward product: a weight used as W^T may come as a
 * row-major copy (matmul_weight.c), which BLIS packs much faster. */
static const rw_real *forward_b(rw_node *n, dims *d)
{
    const rw_real *rows = RW_ATTRS(n, matmul_attrs)->transpose_b ? rwi_matmul_weight_rows(n, n->in[1], d->m, &d->b)
                                                                  : NULL;
    return rows ? rows : n->in[1]->value.data;
}

static void matmul_forward(rw_node *n)
{
    dims d = dims_of(n);
    const rw_real *b = forward_b(n, &d);
    rwi_gemm_split(d.m, d.n, d.k, n->in[0]->value.data, d.a.rs, d.a.cs, b, d.b.rs, d.b.cs, 0, n->value.data, d.n, 1);
}

/* d op(A) += dC op(B)^T; d op(B) += op(A)^T dC (deferred for a parameter);
 * `side` rides along with the d op(A) product (run alone when there is none) */
static void matmul_backward_side(rw_node *n, const rwi_gemm_side *side)
{
    dims d = dims_of(n);
    const rw_real *a = n->in[0]->value.data, *b = n->in[1]->value.data, *dc = n->grad;
    rw_real *ga = n->in[0]->grad, *gb = n->in[1]->grad;
    if (ga) { /* d op(A) [M,K] += dC [M,N] op(B)^T [N,K] */
        rw_strided bt = { d.n, d.k, d.b.cs, d.b.rs };
        const rw_real *copy = RW_ATTRS(n, matmul_attrs)->transpose_b
                                  ? rwi_matmul_weight_for_grad(n, n->in[1], d.m, &bt) : NULL;
        rwi_gemm_split_side(d.m, d.k, d.n, dc, d.n, 1, copy ? copy : b, bt.rs, bt.cs, 1, ga, d.a.rs, d.a.cs, side);
    } else if (side) {
        side->run(side->ctx, 0, 1, 1);
    }
    /* d op(B) [K,N] += op(A)^T [K,M] dC [M,N] */
    if (gb && !rwi_matmul_defer_weight_grad(n, d.a, d.b, d.m, d.k, d.n))
        rwi_gemm_split(d.k, d.n, d.m, a, d.a.cs, d.a.rs, dc, d.n, 1, 1, gb, d.b.rs, d.b.cs);
}

static void matmul_backward(rw_node *n) { matmul_backward_side(n, NULL); }

static const rw_op_def matmul_def = {
    .fills_output = true,
    .name = "matmul", .arity = 2, .attr_size = sizeof(matmul_attrs), .attrs = matmul_attr_defs,
    .n_attrs = 2, .shape = matmul_shape, .forward = matmul_forward, .backward = matmul_backward,
    .backward_skips_output = true,
    .doc = "op(a) @ op(b) through BLIS; a may carry leading dimensions" };

rw_node *rw_matmul_ex(rw_graph *g, rw_node *a, rw_node *b, bool transpose_a, bool transpose_b)
{
    matmul_attrs at = { transpose_a, transpose_b };
    rw_node *in[2] = { a, b };
    return rw_apply(g, &matmul_def, in, 2, &at);
}

rw_node *rw_matmul(rw_graph *g, rw_node *a, rw_node *b) { return rw_matmul_ex(g, a, b, false, false); }

/* ---- matmul_add: op(a) op(b) + c in one GEMM (beta = 1 onto a copy of c) --
 * The recurrent step's x_t W^T + h U^T without a separate product node. */
static rw_status matmul_add_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (matmul_shape(n, out, dt) != RW_OK)
        return RW_ERR_SHAPE;
    if (rwi_op_require_real(n, 2))
        return RW_ERR_SHAPE;
    rw_shape sc = n->in[2]->value.shape;
    bool row = sc.ndim == 1 && sc.dim[0] == rw_shape_last(*out);
    if (!row && !rw_shape_equal(sc, *out)) {
        char b[64];
        return rwi_op_shape_error(n, "the addend must have the product's shape %s or be a row of %d",
                                 rw_shape_str(*out, b, sizeof b), rw_shape_last(*out));
    }
    return RW_OK;
}

/* The addend's part of the columns [lo, hi) of the product's n: forward
 * copies c into them (beta = 1 then adds the product), backward adds dy
 * into dc, summed over the rows when c is a row. Both go with the product's
 * pieces (rwi_gemm_split_side), and each element of dc sums its terms in
 * row order whatever the split. */
static void addend_forward_piece(void *node, size_t lo, size_t hi, size_t n)
{
    rw_node *nd = node;
    size_t cols = (size_t)rw_shape_last(nd->value.shape), rows = nd->value.size / cols, from, to;
    const rw_real *c = nd->in[2]->value.data;
    bool row = nd->in[2]->value.size != nd->value.size;
    rwi_gemm_side_range(lo, hi, n, cols, &from, &to);
    for (size_t r = 0; r < rows && from < to; r++)
        memcpy(nd->value.data + r * cols + from, c + (row ? 0 : r * cols) + from, (to - from) * sizeof(rw_real));
}

static void addend_backward_piece(void *node, size_t lo, size_t hi, size_t n)
{
    rw_node *nd = node;
    size_t size = nd->in[2]->value.size, from, to;
    rw_real *gc = nd->in[2]->grad;
    rwi_gemm_side_range(lo, hi, n, size, &from, &to);
    for (size_t at = 0; at < nd->value.size; at += size) /* sums over the rows when c is a row */
        for (size_t i = from; i < to; i++)
            gc[i] += nd->grad[at + i];
}

static void matmul_add_forward(rw_node *n)
{
    dims d = dims_of(n);
    const rw_real *b = forward_b(n, &d);
    rwi_gemm_side side = { addend_forward_piece, n };
    rwi_gemm_split_side(d.m, d.n, d.k, n->in[0]->value.data, d.a.rs, d.a.cs, b, d.b.rs, d.b.cs, 1, n->value.data,
                        d.n, 1, &side);
}

/* as matmul for a and b; dc += dy, summed over the rows when c is a row */
static void matmul_add_backward(rw_node *n)
{
    rwi_gemm_side side = { addend_backward_piece, n };
    matmul_backward_side(n, n->in[2]->grad ? &side : NULL);
}

static const rw_op_def matmul_add_def = {
    .fills_output = true,
    .name = "matmul_add", .arity = 3, .attr_size = sizeof(matmul_attrs), .attrs = matmul_attr_defs,
    .n_attrs = 2, .shape = matmul_add_shape, .forward = matmul_add_forward, .backward = matmul_add_backward,
    .backward_skips_inputs = 1u << 2, .backward_skips_output = true,
    .doc = "op(a) @ op(b) + c in one GEMM; c has the product's shape or is a row [N]" };

rw_node *rw_matmul_add(rw_graph *g, rw_node *a, rw_node *b, rw_node *c, bool transpose_a, bool transpose_b)
{
    matmul_attrs at = { transpose_a, transpose_b };
    rw_node *in[3] = { a, b, c };
    return rw_apply(g, &matmul_add_def, in, 3, &at);
}

static const rw_op_def *const defs[] = { &matmul_def, &matmul_add_def };
const rw_op_family rwi_family_matmul = { "matmul", defs, 2 };
