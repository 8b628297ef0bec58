/* Reusing memory within a step: a pool of free buffers by size, fed by used-up
 * gradients and by the values of released nodes that nothing reads any more
 * (see rewind_internal/release.h). */
#include <string.h>
#include "graph_internal.h"
#include "rewind_internal/release.h"
#include "rewind_internal/parallel.h"
#include "rewind/op.h"

static void zero_piece(void *p, size_t lo, size_t hi) { memset((char *)p + lo, 0, hi - lo); }

void *rwi_graph_buffer(rw_graph *g, size_t bytes, bool zero)
{
    void *p = NULL;
    for (int i = 0; i < g->n_buckets && !p; i++)
        if (g->buckets[i].bytes == bytes && g->buckets[i].head) {
            p = g->buckets[i].head;
            memcpy(&g->buckets[i].head, p, sizeof(void *));
        }
    if (!p && !(p = rw_arena_alloc(g->arena, bytes)))
        return NULL;
    if (zero) /* a gradient's zero-fill, split across the pool when long (as an add of that many reals) */
        rwi_parallel_for(bytes, RWI_GRAIN_ARITH * sizeof(rw_real), 64, zero_piece, p);
    return p;
}

void rwi_graph_give_back(rw_graph *g, void *p, size_t bytes)
{
    if (bytes < sizeof(void *))
        return; /* too small to link; arena blocks are larger, but be safe */
    int i = 0;
    while (i < g->n_buckets && g->buckets[i].bytes != bytes)
        i++;
    if (i == g->n_buckets) {
        if (i == (int)(sizeof g->buckets / sizeof g->buckets[0]))
            return; /* too many sizes: just leave it in the arena */
        g->buckets[g->n_buckets++] = (struct pool_bucket){ bytes, NULL };
    }
    memcpy(p, &g->buckets[i].head, sizeof(void *));
    g->buckets[i].head = p;
}

static bool reads_input(const rw_op_def *d, int i) { return i >= 32 || !(d->backward_skips_inputs & (1u << i)); }

void rwi_graph_pin_reads(rw_node *n)
{
    const rw_op_def *d = n->op;
    if (d->view_offset) /* the view's value is input 0's storage */
        n->in[0]->pins++;
    if (!n->needs_grad || !d->backward) /* this backward never runs */
        return;
    for (int i = 0; i < n->n_in; i++)
        if (reads_input(d, i))
            n->in[i]->pins++;
    if (!d->backward_skips_output)
        n->pins++;
}

static void unpin(rw_node *n);

/* n is released and nothing reads its value: its storage goes back. */
static void drop(rw_node *n)
{
    void *data = n->value.dtype == RW_REAL ? (void *)n->value.data : (void *)n->value.idata;
    if (!data)
        return; /* already dropped */
    if (n->op->view_offset) {
        unpin(n->in[0]); /* the base loses a reader; the view had no storage */
    } else {
        size_t es = n->value.dtype == RW_REAL ? sizeof(rw_real) : sizeof(int32_t);
        rwi_graph_give_back(n->graph, data, n->value.size * es);
    }
    n->value.data = NULL;
    n->value.idata = NULL;
}

static void unpin(rw_node *n)
{
    if (--n->pins == 0 && n->released)
        drop(n);
}

void rwi_node_release(rw_node *n)
{
    if (!n || !n->op || n->released || !n->graph->recycle)
        return;
    n->released = true;
    if (n->pins == 0)
        drop(n);
}

rw_node *rwi_graph_last(rw_graph *g) { return g->last; }

void rwi_node_release_except(rw_node *n, rw_node *const *keep, int n_keep)
{
    for (int k = 0; k < n_keep; k++)
        if (keep[k] == n)
            return;
    rwi_node_release(n);
}

void rwi_graph_release_since(rw_graph *g, const rw_node *mark, rw_node *const *keep, int n_keep)
{
    for (rw_node *n = g->last; n && n != mark; n = n->prev)
        rwi_node_release_except(n, keep, n_keep);
}

void rw_graph_set_recycling(rw_graph *g, bool on)
{
    if (g)
        g->recycle = on;
}

bool rw_graph_recycling(const rw_graph *g) { return g && g->recycle; }
