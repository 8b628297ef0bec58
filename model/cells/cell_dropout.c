/* Dropout inside a YAML cell: `{op: dropout, in: [h_prev], p: 0.25}` or
 * `dropout(h_prev, p=0.25, per_sequence=true)`. Masks need the run's
 * generator, which the sequence runner hands to the cell in begin_run
 * (rw_run_opts.rng); a per-sequence (variational) mask is drawn at the
 * node's first use in a run and the same mask node multiplies the node's
 * input at every step of that run. In evaluation mode the node is the
 * identity and draws nothing. */
#include <stddef.h>
#include "cell_graph.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_elementwise.h"

static const rw_attr_def drop_attrs[] = {
    { .name = "p", .type = RW_ATTR_REAL, .offset = offsetof(rwi_ydrop_attrs, p), .default_value = 0,
      .doc = "drop probability in [0, 1)" },
    { .name = "per_sequence", .type = RW_ATTR_BOOL, .offset = offsetof(rwi_ydrop_attrs, per_sequence),
      .default_value = 0, .doc = "one mask per sequence for all steps (variational dropout)" },
};

/* Never applied with rw_apply: cell_run.c calls rwi_ycell_dropout instead. */
const rw_op_def rwi_ycell_dropout_op = {
    .name = "dropout", .arity = 1, .attr_size = sizeof(rwi_ydrop_attrs), .attrs = drop_attrs,
    .n_attrs = (int)(sizeof drop_attrs / sizeof drop_attrs[0]),
    .doc = "inverted dropout inside a cell (training only)",
};

static ycell *of(const rw_cell *c) { return (ycell *)rw_cell_definition(c); }

rw_status rwi_ycell_begin_run(rw_graph *g, const rw_cell *c, int batch, rw_rng *rng)
{
    (void)batch;
    ycell *yc = of(c);
    yc->run = (struct ydrop_run){ .cell = c, .g = g, .rng = rng };
    yc->run.masks = rw_arena_calloc(rw_graph_arena(g), (size_t)yc->n_nodes * sizeof *yc->run.masks);
    return yc->run.masks ? RW_OK : RW_ERR_NOMEM;
}

void rwi_ycell_end_run(const rw_cell *c) { of(c)->run = (struct ydrop_run){ 0 }; }

void rwi_ycell_set_mask_source(const rw_cell *c, rwi_ycell_mask_source src) { of(c)->run.source = src; }

rw_node *rwi_ycell_dropout(rw_graph *g, const rw_cell *c, const ycell *yc, int i, rw_node *x, const rwi_ydrop_attrs *a)
{
    if (!x || a->p <= 0 || !rw_graph_is_training(g))
        return x;
    const struct ydrop_run *run = &yc->run;
    if (run->cell != c || run->g != g || !run->rng) {
        rw_error(RW_ERR_ARG, "dropout (p = %g) in training mode needs the generator of a sequence run: run the cell "
                 "with rw_rnn_run and rw_run_opts.rng (stepping it alone, as rw_rnn_step does, only works in "
                 "evaluation mode)", a->p);
        return NULL;
    }
    if (!a->per_sequence)
        return rw_dropout(g, x, a->p, run->rng);
    /* one mask [B, W] per run; a projection's input [T, B, W] broadcasts it over T */
    rw_shape s = x->value.shape;
    if (s.ndim < 2) {
        char b[64];
        rw_error(RW_ERR_SHAPE, "per-sequence dropout needs a [B, W] or [T, B, W] input, not %s",
                 rw_shape_str(s, b, sizeof b));
        return NULL;
    }
    rw_shape ms = rw_shape2(s.dim[s.ndim - 2], s.dim[s.ndim - 1]);
    rw_node **mask = &run->masks[i];
    if (!*mask && !(*mask = run->source.mask ? run->source.mask(run->source.ctx, g, i, ms, a->p)
                                             : rw_dropout_mask(g, ms, a->p, run->rng)))
        return NULL;
    return rw_mul(g, x, *mask);
}
