/* Internal helpers shared by the op families. */
#ifndef RW_OPS_OP_UTIL_H
#define RW_OPS_OP_UTIL_H

#include "rewind/op.h"

/* A family's op records, registered at start-up by ops/builtin.c. */
typedef struct rw_op_family {
    const char *name;
    const rw_op_def *const *defs;
    int count;
} rw_op_family;

/* Fails with RW_ERR_SHAPE and a message naming the op, the dtype and shape
 * of every input, and the reason:
 *   "op 'add': inputs [2, 3] and [4]: <reason>" */
rw_status rwi_op_shape_error(const rw_node *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The NULL-input idiom of every op constructor that does more than call
 * rw_apply (which applies it itself): a NULL input means an earlier call
 * failed. Returns that call's status, keeping its message; when nothing
 * failed before, fails with RW_ERR_ARG and "<who>: NULL <what>". */
rw_status rwi_op_null_input(const char *who, const char *what);

/* Requires input i to be real (RW_REAL) or int32. */
rw_status rwi_op_require_real(const rw_node *n, int i);
rw_status rwi_op_require_int(const rw_node *n, int i);

/* Broadcasting of a smaller operand along leading dimensions: succeeds when
 * the shapes are equal or one is a suffix of the other; *out is the larger. */
rw_status rwi_op_broadcast_shape(const rw_node *n, rw_shape a, rw_shape b, rw_shape *out);

/* Math functions of rw_real's precision (float calls stay in float). */
#include <math.h>
#ifdef RW_DOUBLE
#define RW_EXP exp
#define RW_LOG log
#define RW_TANH tanh
#define RW_SQRT sqrt
#define RW_FABS fabs
#define RW_POW pow
#define RW_LOG1P log1p
#else
#define RW_EXP expf
#define RW_LOG logf
#define RW_TANH tanhf
#define RW_SQRT sqrtf
#define RW_FABS fabsf
#define RW_POW powf
#define RW_LOG1P log1pf
#endif

/* Shape rule of a binary real op broadcasting like "add". */
rw_status rwi_op_binary_shape(const rw_node *n, rw_shape *out, rw_dtype *out_dtype);

/* For a binary op broadcast along leading dimensions: the output is `reps`
 * blocks of `block` elements; an operand either spans the whole output
 * (full) or is one block repeated. */
typedef struct rw_bcast {
    size_t reps, block;
    bool a_full, b_full;
} rw_bcast;

static inline rw_bcast rw_bcast_of(const rw_node *n)
{
    size_t na = n->in[0]->value.size, nb = n->in[1]->value.size, ny = n->value.size;
    size_t block = na < nb ? na : nb;
    rw_bcast s = { ny / block, block, na == ny, nb == ny };
    return s;
}

/* Shape rule of a unary op on a real input: the output has its shape. */
rw_status rwi_op_unary_shape(const rw_node *n, rw_shape *out, rw_dtype *out_dtype);
/* The same, also requiring every real attribute to be a finite number. */
rw_status rwi_op_finite_attrs_shape(const rw_node *n, rw_shape *out, rw_dtype *out_dtype);

/* ---- the loops of a unary elementwise op ----------------------------------
 * An op supplies its per-element function and derivative as small static
 * functions and calls these from its own forward and backward; the
 * compiler inlines both, so the loop is as fast as one written out.
 * `k` carries the op's attributes, converted to rw_real once per call. */
typedef struct rw_unary_k {
    rw_real a, b;
} rw_unary_k;

/* y[i] = f(x[i]) */
static inline void rw_unary_forward(rw_node *n, rw_real (*f)(rw_real x, rw_unary_k k), rw_unary_k k)
{
    const rw_real *xs = n->in[0]->value.data;
    rw_real *ys = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        ys[i] = f(xs[i], k);
}

/* dx[i] += dy[i] * f'(x[i]), where dfdx may use x and y = f(x) */
static inline void rw_unary_backward(rw_node *n, rw_real (*dfdx)(rw_real x, rw_real y, rw_unary_k k),
                                     rw_unary_k k)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    const rw_real *xs = n->in[0]->value.data;
    const rw_real *ys = n->value.data;
    for (size_t i = 0; i < n->value.size; i++)
        gx[i] += n->grad[i] * dfdx(xs[i], ys[i], k);
}

/* ---- splitting an op's loop across the thread pool ------------------------
 * piece(node, lo, hi) does elements [lo, hi) of the op's loop over `count`
 * elements; it runs as one piece, or as one per thread when the loop has
 * at least two pieces of `grain` (RWI_GRAIN_*, rewind_internal/parallel.h). A piece computes each element
 * exactly as the whole loop would, so results do not depend on the number
 * of threads; a piece never sums over elements another piece may touch. */
#include "rewind_internal/parallel.h"

static inline void rwi_op_pieces(rw_node *n, size_t count, size_t grain,
                                 void (*piece)(void *node, size_t lo, size_t hi))
{
    rwi_parallel_for(count, grain, 16, piece, n);
}

/* The attribute struct of a node, typed. */
#define RW_ATTRS(n, type) ((const type *)(n)->attrs)

#endif
