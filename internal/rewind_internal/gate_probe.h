/* Internal: gate saturation counting (rw_run_opts.gate_saturation). The
 * runner hangs a probe on the cell for the length of a run; the built-in
 * cells report each gate's activations to it as they make them. */
#ifndef RW_LAYERS_GATE_PROBE_H
#define RW_LAYERS_GATE_PROBE_H

#include "rewind/diagnostics.h"

typedef struct rwi_gate_probe {
    rw_gate_saturation *sat;  /* the counts of this layer and direction */
    const rw_node *mask;      /* real [B] of the current step (padded rows are not counted), or NULL */
} rwi_gate_probe;

/* How a gate's activation saturates: a sigmoid at 0 and 1, a tanh at -1 and 1. */
typedef enum rwi_gate_kind { RWI_GATE_SIGMOID, RWI_GATE_TANH } rwi_gate_kind;

/* Hangs a probe on the cell (NULL takes it off). The cell counts into it
 * until then: one run at a time per network while a probe is on. */
void rwi_cell_set_gate_probe(rw_cell *c, rwi_gate_probe *probe);

/* Called by a cell's step: counts columns [col0, col0 + width) of the
 * activations act [B, >= col0 + width] as gate `slot` named `name`. Does
 * nothing when no probe is on. */
void rwi_cell_note_gate(const rw_cell *c, const rw_node *act, int col0, int width, int slot, const char *name,
                        rwi_gate_kind kind);

#endif
