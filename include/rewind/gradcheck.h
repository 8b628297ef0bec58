/* rewind/gradcheck.h - finite-difference gradient checking.
 *
 * For a function built from ops, compares the tape's gradient with central
 * differences for every element of every real input (and, optionally, of
 * every parameter of a store). The scalar being differentiated is
 * L = sum_i R_i * out_i with fixed random weights R, so every output element
 * (and every direction of the op's Jacobian) is exercised. Meaningful in the
 * RW_DOUBLE build; the float build uses looser defaults.
 *
 *     static rw_node *build(rw_graph *g, rw_node *const *in, void *ctx)
 *     { return my_swish(g, in[0]); }
 *     rw_gradcheck_report rep;
 *     if (rw_gradcheck(build, NULL, &x, 1, NULL, NULL, &rep) != RW_OK)
 *         fprintf(stderr, "%s\n", rw_last_error());
 */
#ifndef REWIND_GRADCHECK_H
#define REWIND_GRADCHECK_H

#include "rewind/export.h"
#include <stddef.h>
#include <stdint.h>
#include "rewind/graph.h"
#include "rewind/param.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds the function on `g` from leaves made of the checked inputs
 * (real inputs are variables, int32 inputs constants). Called many times. */
typedef rw_node *(*rw_gradcheck_fn)(rw_graph *g, rw_node *const *inputs, void *ctx);

typedef struct rw_gradcheck_opts {
    double eps;            /* finite-difference step; 0 = default (1e-6 double, 1e-2 float) */
    double tol;            /* largest accepted error; 0 = default (1e-5 double, 5e-2 float) */
    double floor;          /* gradients below this are compared absolutely; 0 = default */
    size_t max_per_tensor; /* check at most this many elements of each tensor, 0 = all */
    uint64_t seed;         /* for the weights R and for sampling elements */
} rw_gradcheck_opts;

typedef struct rw_gradcheck_report {
    double worst_error;    /* |a - n| / max(|a|, |n|, floor), the largest seen */
    double analytic;       /* the tape's and the numeric gradient at the worst element */
    double numeric;
    size_t checked;        /* elements compared */
    size_t skipped;        /* elements at a kink (one-sided differences disagree) */
    char where[160];       /* "input 1 element 7 (index [1, 3])" or "parameter 'W' element 4" */
} rw_gradcheck_report;

/* RW_OK when every compared element is within tolerance. Otherwise
 * RW_ERR_NUMERIC with a message naming the worst element; the report is
 * filled in both cases (report may be NULL). Inputs are restored. */
RW_API rw_status rw_gradcheck(rw_gradcheck_fn fn, void *ctx, rw_tensor *const *inputs, int n_inputs,
                       rw_params *params, const rw_gradcheck_opts *opts,
                       rw_gradcheck_report *report);

#ifdef __cplusplus
}
#endif
#endif
