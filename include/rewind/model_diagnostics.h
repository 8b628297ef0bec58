/* rewind/model_diagnostics.h - the vanishing/exploding-gradient picture of
 * a model (F80), as `rewind diagnose` draws it.
 *
 *     rw_model_diagnosis d;
 *     if (rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = 50 }, &d) == RW_OK) {
 *         for (int i = 0; i < d.n; i++)
 *             printf("%s: ||dL/dh_0|| / ||dL/dh_T-1|| = %g\n", d.series[i].name,
 *                    d.series[i].grad_norm[0] / d.series[i].grad_norm[d.steps - 1]);
 *         rw_model_diagnosis_free(&d);
 *     }
 */
#ifndef REWIND_MODEL_DIAGNOSTICS_H
#define REWIND_MODEL_DIAGNOSTICS_H

#include "rewind/export.h"

#include <stdint.h>
#include "rewind/model.h"
#include "rewind/diagnostics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_model_diagnose_opts {
    int steps;        /* T of the probe sequences (0: 50) */
    int batch;        /* B (0: 8) */
    uint64_t seed;    /* of the random token ids and targets (0: 1) */
} rw_model_diagnose_opts;

#define RW_DIAG_MAX_RADII 8

/* One recurrent layer (of a stack) and direction. */
typedef struct rw_model_diag_series {
    char name[128];         /* "lstm_2.l0", "enc.l1.rev" */
    double *grad_norm;      /* [steps]: ||dL/dh_t|| for a loss on the last step only */
    int n_radii;            /* spectral radius of each square block of the recurrent matrix */
    double radius[RW_DIAG_MAX_RADII];
    rw_gate_saturation gates; /* of the probe run's gates (n = 0 for a cell without any) */
} rw_model_diag_series;

typedef struct rw_model_diagnosis {
    int steps, n;
    rw_model_diag_series *series;
} rw_model_diagnosis;

/* Runs the model in evaluation mode over random token ids, takes the
 * loss of the last step's prediction only (or the label's, for a
 * classifier), backpropagates, and records ||dL/dh_t|| of every recurrent
 * layer and direction, with the spectral radii of their recurrent
 * matrices and how often their gates saturated over the probe. Parameters are left as they were (gradients zeroed). */
RW_API rw_status rw_model_diagnose(rw_model *m, const rw_model_diagnose_opts *opts, rw_model_diagnosis *out);
RW_API void rw_model_diagnosis_free(rw_model_diagnosis *d);

#ifdef __cplusplus
}
#endif
#endif
