/* Row-major copies of a weight used transposed (matmul_weight.h).
 *
 * A recurrent layer multiplies by the same U^T at every time step with few
 * rows (the batch). BLIS packs all of U for each of those products, and its
 * skx packing reads a panel's column with one vector load only when the
 * column is contiguous; U^T of a row-major U is stored by columns, so it
 * packs element by element: [32, 256] x [256, 768] takes 170 us of CPU with
 * U^T as stored and 115 us with U^T copied to rows. Up to
 * rwi_gemm_small_rows rows the small-row kernel (gemm_small.c) reads U as
 * stored and packs nothing, faster still; its backward product dC U needs
 * U's columns contiguous, which the same copy gives. One copy per step
 * (rewind_internal/graph_memo.h) serves all time steps, forward and
 * backward. A copy changes no sum: each element of C is the same dot
 * product in the same order as from W. */
#include "matmul_weight.h"
#include "gemm_small.h"
#include "rewind_internal/graph_memo.h"
#include "rewind_internal/parallel.h"

/* Products with more rows than this pack W once against much arithmetic:
 * the copy does not pay (measured no gain at [2048, 256] x [256, 768]). */
#define ROWS_MAX 512
/* The memo's kind for this copy. */
#define MEMO_WEIGHT_ROWS 1
#define TILE 32

typedef struct transpose_job {
    const rw_real *w;
    dim_t n, k;
    rw_real *out;
} transpose_job;

/* out [K, N] = W^T for W [N, K], rows [lo, hi) of W (columns of out), in
 * tiles that stay in L1 */
static void transpose_rows(void *ctx, size_t lo, size_t hi)
{
    const transpose_job *t = ctx;
    dim_t n = t->n, k = t->k;
    for (dim_t i0 = (dim_t)lo; i0 < (dim_t)hi; i0 += TILE)
        for (dim_t j0 = 0; j0 < k; j0 += TILE) {
            dim_t i1 = i0 + TILE < (dim_t)hi ? i0 + TILE : (dim_t)hi, j1 = j0 + TILE < k ? j0 + TILE : k;
            for (dim_t i = i0; i < i1; i++)
                for (dim_t j = j0; j < j1; j++)
                    t->out[j * n + i] = t->w[i * k + j];
        }
}

/* split across the pool by whole tiles of rows */
static void transpose(const rw_real *w, dim_t n, dim_t k, rw_real *out)
{
    transpose_job t = { w, n, k, out };
    rwi_parallel_for((size_t)n, RWI_GRAIN_ARITH / ((size_t)k + 1) + 1, TILE, transpose_rows, &t);
}

const rw_real *rwi_weight_transposed(rw_node *n, const rw_node *w)
{
    if (!w->param || w->op || w->value.shape.ndim != 2)
        return NULL;
    dim_t rows = w->value.shape.dim[0], cols = w->value.shape.dim[1];
    rw_graph *g = n->graph;
    rw_real *copy = rwi_graph_memo(g, w->value.data, MEMO_WEIGHT_ROWS);
    if (copy)
        return copy;
    if (!rwi_graph_memo_room(g))
        return NULL; /* every place taken: W as stored, rather than a copy per product */
    copy = rw_node_temp(n, (size_t)rows * (size_t)cols * sizeof(rw_real));
    if (!copy) {
        rw_error_clear(); /* the product still runs, from W as stored */
        return NULL;
    }
    transpose(w->value.data, rows, cols, copy);
    rwi_graph_memo_put(g, w->value.data, MEMO_WEIGHT_ROWS, copy);
    return copy;
}

const rw_real *rwi_matmul_weight_rows(rw_node *n, const rw_node *w, dim_t m, rw_strided *b)
{
    if (m <= rwi_gemm_small_rows(rwi_gemm_small_kernel()) || m > ROWS_MAX) /* the small-row kernel reads W as stored */
        return NULL;
    const rw_real *copy = rwi_weight_transposed(n, w);
    if (copy) {
        dim_t rows = w->value.shape.dim[0], cols = w->value.shape.dim[1];
        *b = (rw_strided){ cols, rows, rows, 1 };
    }
    return copy;
}

const rw_real *rwi_matmul_weight_for_grad(rw_node *n, const rw_node *w, dim_t m, rw_strided *wt)
{
    if (m > rwi_gemm_small_rows(rwi_gemm_small_kernel()))
        return NULL;
    const rw_real *copy = rwi_weight_transposed(n, w);
    if (copy) {
        dim_t rows = w->value.shape.dim[0], cols = w->value.shape.dim[1];
        *wt = (rw_strided){ rows, cols, 1, rows };
    }
    return copy;
}
