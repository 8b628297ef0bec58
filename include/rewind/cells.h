/* rewind/cells.h - the built-in recurrent cells, each a function of ops.
 *
 * Weights use PyTorch's layout [out, in] and gate order, so parameters map
 * one to one where PyTorch has the same cell (see docs/cells.md).
 * Every cell projects its input for all time steps in one GEMM. */
#ifndef REWIND_CELLS_H
#define REWIND_CELLS_H

#include "rewind/export.h"
#include <stdbool.h>
#include "rewind/cell.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_activation { RW_ACT_TANH = 0, RW_ACT_SIGMOID, RW_ACT_RELU, RW_ACT_NONE } rw_activation;

/* Each cell below is registered under its name (rewind/cell.h: rw_cell_find),
 * and each options struct's fields are its described options, with the same
 * names as the keys of model files (docs/cells.md lists them). A zero struct
 * is the default, except for rw_lstm_opts: start from RW_LSTM_DEFAULTS. */

/* "elman": h_t = f(x_t W^T + h_{t-1} U^T + b).  Params W [H, X], U [H, H], b [H].
 * "irnn" (Le et al. 2015) is Elman with ReLU, U = identity, W ~ N(0, 0.001);
 * it has no options. */
typedef struct rw_elman_opts {
    rw_activation activation;   /* f, default tanh */
} rw_elman_opts;
extern RW_API const rw_cell_def rw_elman_cell;
extern RW_API const rw_cell_def rw_irnn_cell;

/* "jordan": the recurrence comes from the previous *output*:
 *   h_t = f(x_t W^T + o_{t-1} R^T + b),  o_t = g(h_t V^T + c)
 * Params W [H, X], R [H, O], b [H], V [O, H], c [O]. State: o. Output: o.
 * "elman_jordan" has both recurrences at once: h_t also sees
 * h_{t-1} U^T (U [H, H]); states o and h. Both take rw_jordan_opts. */
typedef struct rw_jordan_opts {
    int output_size;            /* O; 0 -> H */
    rw_activation activation;   /* f, default tanh */
    rw_activation output_activation; /* g, default tanh */
} rw_jordan_opts;
extern RW_API const rw_cell_def rw_jordan_cell;
extern RW_API const rw_cell_def rw_elman_jordan_cell;

/* "lstm", gates in PyTorch's order (i, f, g, o):
 *   [i f g o] = x W^T + h_{t-1} U^T + b      (one GEMM per step for all gates)
 *   i = σ(.. + p_i c_{t-1}), f = σ(.. + p_f c_{t-1}), g = tanh(..)
 *   c_t = f c_{t-1} + i g,  o = σ(.. + p_o c_t),  h_t = o tanh(c_t)
 * Params W [G*H, X], U [G*H, H], b [G*H] (G = number of computed gates), and
 * p_i, p_f, p_o [H] with peepholes. States: h, c. Output: h.
 * Variants (the LSTM search-space odyssey): no input gate (i = 1), no forget
 * gate (f = 1, the original 1997 LSTM), no output gate (o = 1), coupled
 * input-forget gate (f = 1 - i), no input activation (g linear), no output
 * activation (h = o c). Optional layer normalization of the two gate
 * projections (gains/biases "ln_x.*", "ln_h.*") and of c before the output.
 *
 *     rw_lstm_opts o = RW_LSTM_DEFAULTS;
 *     o.peephole = true;
 */
typedef struct rw_lstm_opts {
    double forget_bias;     /* initial value of the forget gate's bias; default 1 */
    bool layer_norm;        /* LN of the input and recurrent gate projections, and of c */
    bool peephole;
    bool coupled_gates;     /* f = 1 - i (CIFG) */
    bool input_gate, forget_gate, output_gate;   /* false fixes the gate at 1; default true */
    rw_activation input_activation, output_activation; /* RW_ACT_TANH (default) or RW_ACT_NONE */
    /* FGR (Greff et al. 2017): the sigmoid gates also read the previous
     * step's gate values, a_t += [i, f, o]_{t-1} R^T (param R [S*H, S*H] for
     * the S gates present). The previous gates then ride in state 1 after c:
     * state 1 is [c, i, f, o] of width (1 + S) * H. */
    bool full_gate_recurrence;
} rw_lstm_opts;
#define RW_LSTM_DEFAULTS { .forget_bias = 1.0, .input_gate = true, .forget_gate = true, .output_gate = true }
extern RW_API const rw_cell_def rw_lstm_cell;

/* "gru", gates (r, z, n) as in PyTorch's layout, in the lecture form:
 *   r = σ(x W_r^T + h U_r^T + b_r),  z = σ(x W_z^T + h U_z^T + b_z)
 *   n = tanh(x W_n^T + (r h) U_n^T + b_n)           (reset before the matmul)
 *   h_t = (1 - z) h_{t-1} + z n
 * reset_after (cuDNN / PyTorch): n = tanh(x W_n^T + b_n + r (h U_n^T + c_n)).
 * Params W [3H, X], b [3H]; lecture form: U [2H, H] (rows r, z) and Un [H, H];
 * reset_after: U [3H, H] and c [3H] (PyTorch's W_hh and b_hh). PyTorch writes h_t = (1 - z') n + z' h_{t-1}: z' = 1 - z, so its z
 * rows of W_ih, W_hh, b_ih, b_hh are the negatives of ours (docs/cells.md). */
typedef struct rw_gru_opts {
    bool reset_after;
    bool layer_norm;        /* LN of the input and recurrent gate projections */
} rw_gru_opts;
extern RW_API const rw_cell_def rw_gru_cell;

#ifdef __cplusplus
}
#endif
#endif
