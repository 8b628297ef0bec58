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
 * later terms join it. Once the waiting terms hold CHUNK_ROWS rows, the
 * group copies their rows together, does the one GEMM and gives their dC_t
 * buffers back to the pass (so at most a chunk of them is kept, and the
 * copies are one chunk, reused); at the end of the pass the core runs the
 * group for the rest. A single waiting term needs no copy.
 *
 * Why it stays correct:
 *  - only parameter leaves are deferred: no backward reads a leaf's
 *    gradient, so nothing can observe it before the group has run;
 *  - the terms keep pointers to A_t (a node value that matmul's record
 *    declares its backward reads, so the tape never reuses its storage) and
 *    dC_t, whose buffer the core would recycle once its node's backward has
 *    run; keep_grad tells it not to, until the group has used it;
 *  - a term whose weight is used with another layout, or for which no
 *    memory is left, is computed at once, as without deferral; so is a
 *    chunk if its gathered copies cannot be allocated.
 * The sum is the same; only the order of the floating-point additions
 * inside it differs from T separate products (and it is the same at any
 * number of threads). */
#include <string.h>
#include "matmul_wgrad.h"
#include "rewind_internal/backward.h"
#include "rewind_internal/parallel.h"
#include "rewind/error.h"
#include "rewind/param.h"

/* rows of the waiting terms that make a chunk: large enough for a GEMM at
 * full speed (an inner dimension of 1024), small enough that the kept dC_t
 * and the gathered copies stay a few MiB */
#define CHUNK_ROWS 1024

typedef struct wgrad_term {
    struct wgrad_term *next;
    rw_node *node;          /* whose gradient is dC_t */
    const rw_real *a, *dc;
    inc_t rs, cs;           /* op(A) [m, k] */
    dim_t m;
} wgrad_term;

typedef struct wgrad_group {
    rw_defer base;          /* key: the gradient buffer */
    rw_real *grad;
    rw_strided b;           /* op(B)'s strides on the gradient buffer */
    dim_t k, n, rows;       /* rows: of the waiting terms */
    wgrad_term *terms;      /* waiting, newest first */
    rw_real *gathered_a, *gathered_c;   /* room for `capacity` rows, made at the first chunk */
    dim_t capacity;
} wgrad_group;

/* d op(B) += op(A_t)^T dC_t for one term, now */
static void wgrad_one(const wgrad_group *grp, const wgrad_term *t)
{
    rwi_gemm_split(grp->k, grp->n, t->m, t->a, t->cs, t->rs, t->dc, grp->n, 1, 1, grp->grad, grp->b.rs, grp->b.cs);
}

/* The room for the gathered rows, or false (out of memory: one product per term). */
static bool gather_room(wgrad_group *grp, rw_graph *g)
{
    if (grp->gathered_a && grp->rows <= grp->capacity)
        return true;
    dim_t cap = grp->rows > CHUNK_ROWS ? grp->rows : CHUNK_ROWS;
    rw_arena *arena = rw_graph_arena(g);
    rw_real *A = rw_arena_alloc(arena, (size_t)cap * (size_t)grp->k * sizeof(rw_real));
    rw_real *C = A ? rw_arena_alloc(arena, (size_t)cap * (size_t)grp->n * sizeof(rw_real)) : NULL;
    if (!C)
        return false;
    grp->gathered_a = A;
    grp->gathered_c = C;
    grp->capacity = cap;
    return true;
}

/* The waiting terms in an array, each with its first row in the gathered
 * copies, for copying them in pieces across the thread pool. */
typedef struct gather_job {
    const wgrad_group *grp;
    const wgrad_term **terms;
    dim_t *first_row;
} gather_job;

/* terms [lo, hi) copied into their rows of A and C (each writes its own) */
static void gather_terms(void *ctx, size_t lo, size_t hi)
{
    const gather_job *j = ctx;
    const wgrad_group *grp = j->grp;
    for (size_t at = lo; at < hi; at++) {
        const wgrad_term *t = j->terms[at];
        dim_t row = j->first_row[at];
        for (dim_t i = 0; i < t->m; i++) {
            rw_real *dst = grp->gathered_a + (size_t)(row + i) * (size_t)grp->k;
            if (t->cs == 1) {
                memcpy(dst, t->a + (size_t)i * (size_t)t->rs, (size_t)grp->k * sizeof(rw_real));
            } else {
                for (dim_t c = 0; c < grp->k; c++)
                    dst[c] = t->a[(size_t)i * (size_t)t->rs + (size_t)c * (size_t)t->cs];
            }
        }
        memcpy(grp->gathered_c + (size_t)row * (size_t)grp->n, t->dc, (size_t)t->m * (size_t)grp->n * sizeof(rw_real));
    }
}

/* Copies the waiting terms' rows together, newest first (A [rows, k] holds
 * every op(A_t) row by row, C [rows, n] every dC_t); false when out of
 * memory for the list. */
static bool gather(wgrad_group *grp, rw_graph *g)
{
    size_t count = 0;
    for (const wgrad_term *t = grp->terms; t; t = t->next)
        count++;
    rw_arena *arena = rw_graph_arena(g);
    gather_job j = { grp, rw_arena_alloc(arena, count * sizeof *j.terms), rw_arena_alloc(arena, count * sizeof *j.first_row) };
    if (!j.terms || !j.first_row) {
        rw_error_clear();
        return false;
    }
    dim_t row = 0;
    size_t at = 0;
    for (const wgrad_term *t = grp->terms; t; t = t->next, at++) {
        j.terms[at] = t;
        j.first_row[at] = row;
        row += t->m;
    }
    size_t per_term = (size_t)grp->terms->m * (size_t)(grp->k + grp->n);
    rwi_parallel_for(count, RWI_GRAIN_ARITH / (per_term + 1) + 1, 1, gather_terms, &j);
    return true;
}

/* All waiting terms into the gradient: one GEMM over their rows stacked;
 * then their dC_t buffers go back to the pass. */
static void wgrad_run(wgrad_group *grp, rw_graph *g)
{
    wgrad_term *t = grp->terms;
    if (!t)
        return;
    if (!t->next) {
        wgrad_one(grp, t);
    } else if (!gather_room(grp, g) || !gather(grp, g)) {
        for (; t; t = t->next)
            wgrad_one(grp, t);
    } else {
        rwi_gemm_split(grp->k, grp->n, grp->rows, grp->gathered_a, 1, grp->k, grp->gathered_c, grp->n, 1, 1,
                       grp->grad, grp->b.rs, grp->b.cs);
    }
    for (t = grp->terms; t; t = t->next)
        if (t->node->keep_grad) /* (the newest term's node may still be inside its backward) */
            rwi_backward_release_grad(t->node);
    grp->terms = NULL;
    grp->rows = 0;
}

/* Run by the core at the end of the backward pass. */
static void wgrad_flush(rw_defer *d, rw_graph *g) { wgrad_run((wgrad_group *)d, g); }

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
    *t = (wgrad_term){ .next = grp->terms, .node = n, .a = n->in[0]->value.data, .dc = n->grad, .rs = a.rs,
                       .cs = a.cs, .m = m };
    grp->terms = t;
    grp->rows += m;
    if (grp->rows >= CHUNK_ROWS) {
        wgrad_run(grp, g); /* n's own gradient is released by the core when its backward returns */
        return true;
    }
    n->keep_grad = true; /* a later chunk, or the end of the pass, reads dC */
    return true;
}
