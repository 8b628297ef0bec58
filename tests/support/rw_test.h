/* Helpers shared by the Criterion tests. */
#ifndef RW_TEST_H
#define RW_TEST_H

#include <criterion/criterion.h>
#include <math.h>
#include <rewind.h>

/* A real tensor with uniform values in [lo, hi). */
rw_tensor *rwt_uniform(rw_rng *rng, rw_shape shape, double lo, double hi);
/* A real tensor with uniform values in [lo, hi) whose magnitude is at least
 * `gap` (keeps relu/abs/max inputs away from their kinks). */
rw_tensor *rwt_uniform_away(rw_rng *rng, rw_shape shape, double lo, double hi, double gap);
/* An int32 tensor with values in [lo, hi). */
rw_tensor *rwt_ints(rw_rng *rng, rw_shape shape, int lo, int hi);
/* The whole of a file as a string (malloc'd); the test fails when it cannot be read. */
char *rwt_read_file(const char *path);
/* Writes text to dir/name (a test's temporary directory); fails the test if it cannot. */
void rwt_write_in(const char *dir, const char *name, const char *text);
/* How many of m's parameters have names that start with prefix. */
int rwt_count_prefixed(const rw_model *m, const char *prefix);
/* What `rewind check` prints about m (malloc'd). */
char *rwt_summary_of(const rw_model *m);
/* Trains m with its own optimizer and train: settings for `steps` steps
 * (0: as the file says), without validation or checkpoints; asserts success. */
rw_train_result rwt_train_model(rw_model *m, long steps);

/* Tolerance for comparing results of the library against plain C. */
#ifdef RW_DOUBLE
#define RWT_EPS 1e-9
#else
#define RWT_EPS 1e-4
#endif

#define rwt_assert_close(a, b, tol, ...) \
    cr_assert(fabs((double)(a) - (double)(b)) <= (tol) * fmax(1.0, fabs((double)(b))), __VA_ARGS__)

/* ---- gradient test cases ----------------------------------------------
 * A case names the registered op it covers, makes its inputs, and builds
 * the function to check from leaves of those inputs. tests/test_gradients.c
 * runs every case, and fails for any registered op that has none. Cases
 * register themselves (RWT_GRAD_CASES), so a new op family adds a file
 * under tests/grad_cases/ and edits nothing else. */
#define RWT_MAX_INPUTS 8

typedef struct rwt_grad_data {
    rw_tensor *in[RWT_MAX_INPUTS];   /* checked inputs: real ones are perturbed */
    int n;
    rw_tensor *aux[RWT_MAX_INPUTS];  /* extra constants (masks, ...) the builder may use */
    double attr[8];                  /* numbers the builder may use */
} rwt_grad_data;

typedef struct rwt_grad_case {
    const char *op;        /* the registered op name this case covers */
    const char *variant;   /* what is special about it */
    void (*setup)(rw_rng *rng, rwt_grad_data *d);
    rw_node *(*build)(rw_graph *g, rw_node *const *in, const rwt_grad_data *d);
    double tol;            /* 0: the checker's default */
} rwt_grad_case;

void rwt_register_grad_cases(const rwt_grad_case *cases, int n);
int rwt_grad_case_count(void);
const rwt_grad_case *rwt_grad_case_at(int i);
/* Runs one case; RW_OK or the checker's failure (message in rw_last_error). */
rw_status rwt_run_grad_case(const rwt_grad_case *c, rw_gradcheck_report *rep);

#define RWT_GRAD_CASES(family, ...)                                                   \
    static const rwt_grad_case family##_grad_cases[] = { __VA_ARGS__ };               \
    __attribute__((constructor)) static void family##_grad_cases_register(void)      \
    {                                                                                 \
        rwt_register_grad_cases(family##_grad_cases,                                  \
                                (int)(sizeof family##_grad_cases / sizeof family##_grad_cases[0])); \
    }

/* A network "r" of `cell` over real inputs [T, B, X] with hidden H (the
 * other fields from `spec`), seeded, every parameter moved off its initial
 * value (zeros, identity) by up to +-0.15 so nothing is trivially zero.
 * NULL (with rw_last_error) if it cannot be built. */
rw_rnn *rwt_rnn_perturbed(rw_params *P, const rw_cell_def *cell, rw_rnn_spec spec, int X, int H, uint64_t seed);

#endif
