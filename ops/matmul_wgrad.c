/* Deferred weight gradients: many small GEMMs gathered into one.
 *
 * Why: a weight used at every time step of a recurrent net (U in
 * h_t = tanh(x_t W + h_{t-1} U)) gets one term op(A_t)^T dC_t per step, each
 * a GEMM whose inner dimension is only the batch size: T small, inefficient
 * products. The weight's gradient is their sum, which is one product of
 * the steps' A_t stacked on top of each other with their dC_t stacked the
 * same way: op(A)^T dC over T * batch rows, a single GEMM that BLIS runs
 * at full speed.
 *
 * How: matmul's backward calls rwi_matmul_defer_weight_grad instead of
 * computing the term. The first term of a weight registers one group with
 * the core's rw_backward_defer (keyed by the weight's gradient buffer);
 * later terms join it. At the end of the pass the core runs the group,
 * which copies the terms' rows together and does the one GEMM (or, with a
 * single term, the GEMM on it directly).
 *
 * Why it stays correct:
 *  - only parameter leaves are deferred: no backward reads a leaf's
 *    gradient, so nothing can observe it before the group has run;
 *  - the terms keep pointers to A_t (a node value, never overwritten) and
 *    dC_t, whose buffer the core would recycle once its node's backward has
 *    run; keep_grad tells it not to;
 *  - a term whose weight is used with another layout, or for which no
 *    memory is left, is computed at once, as without deferral; so is the
 *    whole group if the gathered copies cannot be allocated.
 * The sum is the same; only the order of the floating-point additions
 * inside it differs from T separate products. */
#include <string.h>
#include "matmul_wgrad.h"
#include "rewind/param.h"

typedef struct wgrad_term {
    struct wgrad_term *next;
    const rw_real *a, *dc;
    inc_t rs, cs;           /* op(A) [m, k] */
    dim_t m;
} wgrad_term;

typedef struct wgrad_group {
    rw_defer base;          /* key: the gradient buffer */
    rw_real *grad;
    rw_strided b;           /* op(B)'s strides on the gradient buffer */
    dim_t k, n, rows;
    wgrad_term *terms;      /* newest first */
} wgrad_group;

/* d op(B) += op(A_t)^T dC_t for one term, now */
static void wgrad_one(const wgrad_group *grp, const wgrad_term *t)
{
    rwi_gemm(grp->k, grp->n, t->m, t->a, t->cs, t->rs, t->dc, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
}

/* Run by the core at the end of the backward pass. */
static void wgrad_flush(rw_defer *d, rw_graph *g)
{
    wgrad_group *grp = (wgrad_group *)d;
    wgrad_term *t = grp->terms;
    if (!t->next) { /* one term: no gathering needed */
        wgrad_one(grp, t);
        return;
    }
    rw_arena *arena = rw_graph_arena(g);
    rw_real *A = rw_arena_alloc(arena, (size_t)grp->rows * (size_t)grp->k * sizeof(rw_real));
    rw_real *C = rw_arena_alloc(arena, (size_t)grp->rows * (size_t)grp->n * sizeof(rw_real));
    if (!A || !C) { /* out of memory: fall back to one product per term */
        for (; t; t = t->next)
            wgrad_one(grp, t);
        return;
    }
    /* A [rows, k] holds every op(A_t) row by row, C [rows, n] every dC_t. */
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
    rwi_gemm(grp->k, grp->n, grp->rows, A, 1, grp->k, C, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
}

bool rwi_matmul_defer_weight_grad(rw_node *n, rw_strided a, rw_strided b, dim_t m, dim_t k, dim_t nn)
{
    rw_node *w = n->in[1];
    if (!w->param || w->grad != w->param->grad->data)
        return false;
    rw_graph *g = n->graph;
    wgrad_group *grp = (wgrad_group *)rw_backward_find_deferred(g, wgrad_flush, w->grad);
    if (grp && (grp->k != k || grp->n != nn || grp->b.rs != b.rs || grp->b.cs != b.cs))
        return false; /* used with another layout: keep it simple */
    wgrad_term *t = rw_node_temp(n, sizeof *t);
    if (!t)
        return false;
    if (!grp) {
        grp = rw_node_temp(n, sizeof *grp);
        if (!grp)
            return false; /* (before registering: a group is never left without terms) */
        *grp = (wgrad_group){ .base = { .run = wgrad_flush, .key = w->grad }, .grad = w->grad, .b = b,
                              .k = k, .n = nn };
        rw_backward_defer(g, &grp->base);
    }
    *t = (wgrad_term){ .next = grp->terms, .a = n->in[0]->value.data, .dc = n->grad, .rs = a.rs, .cs = a.cs,
                       .m = m };
    grp->terms = t;
    grp->rows += m;
    n->keep_grad = true; /* the flush reads dC at the end of the pass */
    return true;
}
