/* rewind/diagnostics.h - measuring the vanishing and exploding gradient
 * (F80): ||dL/dh_t|| for every step of a run, and the spectral radius of
 * recurrent weight matrices.
 *
 *     rw_seq s = rw_rnn_run(g, rnn, xs, &(rw_run_opts){ .keep_hidden_grads = true });
 *     rw_node *loss = ...;                       // e.g. a loss on the last step only
 *     rw_backward(g, loss);
 *     double norms[50];                          // one per step
 *     rw_rnn_grad_norms(rnn, &s, 0, 0, norms);   // layer 0, forward direction
 *     printf("decay over the run: %g\n", norms[0] / norms[49]);
 *
 *     double rho[4];                             // LSTM: one per gate block of U
 *     int n = rw_rnn_recurrent_radii(rnn, 0, 0, rho, 4);
 *
 *     rw_gate_saturation sat[1] = { 0 };         // one per layer and direction
 *     rw_rnn_run(g, rnn, xs, &(rw_run_opts){ .gate_saturation = sat });
 *     for (int k = 0; k < sat[0].n; k++)         // LSTM: i, f, g, o
 *         printf("%s saturated %.1f%%\n", sat[0].name[k], 100 * rw_gate_saturated(&sat[0], k));
 */
#ifndef REWIND_DIAGNOSTICS_H
#define REWIND_DIAGNOSTICS_H

#include "rewind/export.h"

#include <stdint.h>
#include "rewind/rnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* After rw_backward of a run made with keep_hidden_grads: norms[t] (t <
 * s->steps) is the Frobenius norm over the batch of dL/dh_t of the given
 * layer and direction (0 where no gradient reached). RW_ERR_ARG when the run
 * kept no gradients or layer/dir are out of range. */
RW_API rw_status rw_rnn_grad_norms(const rw_rnn *rnn, const rw_seq *s, int layer, int dir, double *norms);

/* The spectral radius (largest |eigenvalue|) of the n x n block of `m`
 * starting at row `row0` (columns 0..n-1), by power iteration with
 * Gelfand's formula rho = lim ||A^k v||^(1/k), so complex eigenvalue pairs
 * (rotations) are measured too. -1 and RW_ERR_ARG if the block does not fit. */
RW_API double rw_spectral_radius(const rw_tensor *m, int row0, int n, int iters, uint64_t seed);

/* The spectral radius of every square H x H block of the cell's recurrent
 * matrix U (a cell without U, e.g. jordan, has none): LSTM gives 4 (i, f,
 * g, o), GRU 2 (r, z) plus Un's if it has one, Elman 1. Writes at most max,
 * returns how many there are. */
RW_API int rw_rnn_recurrent_radii(const rw_rnn *rnn, int layer, int dir, double *out, int max);

#define RW_GATES_MAX 4

/* How often each gate of one layer and direction saturated, summed over
 * every counted activation (element of a [B, H] gate at a valid step) of
 * the runs that shared it (rw_run_opts.gate_saturation). A sigmoid gate
 * saturates below 0.05 (low) or above 0.95 (high); a tanh gate (the LSTM's
 * candidate g, the GRU's n) below -0.95 or above 0.95. Slots: LSTM i, f,
 * g, o; GRU r, z, n (n = 3). A gate the cell lacks (an LSTM ablation) keeps
 * count 0 and a NULL name. A YAML cell's gates are its step's named
 * sigmoid nodes, the first RW_GATES_MAX in evaluation order, named as in
 * the file (the names live as long as the model). Cells without gates
 * (Elman, YAML cells without named sigmoids) leave n = 0. */
struct rw_gate_saturation {
    int n;                            /* slots used */
    const char *name[RW_GATES_MAX];   /* "i", "f", "g", "o" / "r", "z", "n" (static), or a YAML node's name */
    uint64_t low[RW_GATES_MAX], high[RW_GATES_MAX], count[RW_GATES_MAX];
};

/* (low + high) / count of gate slot k, or NAN when nothing was counted. */
RW_API double rw_gate_saturated(const rw_gate_saturation *s, int k);

#ifdef __cplusplus
}
#endif
#endif
