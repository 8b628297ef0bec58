/* rewind/op.h - defining, registering and applying ops.
 *
 * An op is one constant record: name, arity, attribute layout, shape rule,
 * forward and backward. Built-in ops and user ops register the same way and
 * then behave identically: on the tape, in the gradient checker, and by name
 * in model files. A new op:
 *
 *     static const rw_op_def swish_def = {
 *         .name = "my.swish", .arity = 1,
 *         .shape = rw_shape_same_as_input,
 *         .forward = swish_forward,     // y = x * sigmoid(x)
 *         .backward = swish_backward,   // dx += dy * (s + x * s * (1 - s))
 *     };
 *     rw_op_register(&swish_def);
 *     rw_node *y = rw_apply(g, &swish_def, &x, 1, NULL);
 *
 * Contract for op authors:
 *  - shape() runs when the op is recorded. It validates the inputs (dtypes
 *    and shapes) and, on failure, returns rw_error(RW_ERR_SHAPE, ...) with a
 *    message that names the op and every input shape (see rw_shape_str).
 *    forward and backward may then assume valid shapes.
 *  - forward() writes n->value from n->in[i]->value, n->attrs and
 *    n->scratch. Node values are never overwritten while anything may
 *    read them: a value's storage is reused only after its maker released
 *    the node and when no backward declared to read it (see
 *    backward_skips_inputs); the released node's value.data is then NULL.
 *  - backward() *adds* d(loss)/d(input) into n->in[i]->grad for every input
 *    whose grad is not NULL (NULL means no gradient is wanted there). It may
 *    read the inputs' values, its own value, grad and scratch, except the
 *    values its record declares it skips (backward_skips_inputs/_output):
 *    those may be gone (data NULL; shapes stay).
 */
#ifndef REWIND_OP_H
#define REWIND_OP_H

#include "rewind/export.h"
#include <stddef.h>
#include <stdint.h>
#include "rewind/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RW_VARIADIC (-1)

typedef enum rw_attr_type { RW_ATTR_INT, RW_ATTR_REAL, RW_ATTR_BOOL } rw_attr_type;

/* One field of an op's attribute struct, so attributes can be set by name
 * (from model files) and printed. The field at `offset` is an int, a
 * double or a bool according to `type`. */
typedef struct rw_attr_def {
    const char *name;
    rw_attr_type type;
    size_t offset;
    double default_value;
    const char *doc;
} rw_attr_def;

typedef struct rw_op_def {
    const char *name;            /* unique; user ops should use a prefix ("my.swish") */
    int arity;                   /* number of inputs, or RW_VARIADIC */
    int min_arity;               /* for RW_VARIADIC: the least number of inputs */
    uint32_t nondiff;            /* bit i set: input i gets no gradient (ids, masks) */
    size_t attr_size;            /* sizeof the attribute struct, 0 if none */
    const rw_attr_def *attrs;    /* its fields, n_attrs of them */
    int n_attrs;
    rw_status (*shape)(const rw_node *n, rw_shape *out, rw_dtype *out_dtype);
    size_t (*scratch_bytes)(const rw_node *n);   /* optional: saved bytes */
    void (*forward)(rw_node *n);
    void (*backward)(rw_node *n);                /* NULL: no input is differentiable */
    const char *doc;             /* one line: what the op computes */
    /* Optional: the output is a view of input 0's storage, starting at this
     * element offset (same dtype; nothing is allocated or copied, and forward
     * is not called). For ops that select a contiguous block: reshape, one
     * time step of a sequence. Backward still adds into input 0's gradient;
     * but when input 0 takes a gradient, the view's gradient is the same
     * window of input 0's, so its consumers add there directly and the
     * view's backward is not called (it would add the window twice). */
    size_t (*view_offset)(const rw_node *n);
    bool fills_output;           /* forward writes every output element, so the output
                                    need not be zero-filled first (a speed hint; when
                                    false, forward starts from zeros) */
    /* Optional, for memory: the values backward never reads. A value that no
     * recorded backward reads and that its maker released (layers release a
     * cell step's intermediates) gives its storage back for reuse. Zero, the
     * default, is always safe: backward may read every input and the output. */
    uint32_t backward_skips_inputs;  /* bit i set: backward never reads input i's value
                                        (inputs from 32 on always count as read) */
    bool backward_skips_output;      /* backward never reads the node's own value */
} rw_op_def;

/* Work a backward postpones until the backward pass has visited every node
 * (e.g. many small weight-gradient products gathered into one GEMM). The
 * record lives in the graph's arena; `key` lets an op find its own record
 * again with rw_backward_find_deferred. Only gradients of leaves (which no
 * other backward reads) may be completed this way. */
typedef struct rw_defer {
    struct rw_defer *next;
    void (*run)(struct rw_defer *self, rw_graph *g);
    const void *key;
} rw_defer;

RW_API void rw_backward_defer(rw_graph *g, rw_defer *d);
RW_API rw_defer *rw_backward_find_deferred(rw_graph *g, void (*run)(rw_defer *, rw_graph *), const void *key);

/* The registry. The built-in ops are in it from the first call of any of
 * these (they live in ops/, which registers them; core keeps the table).
 *
 * Adds an op to the registry. Fails (RW_ERR_ARG) on a duplicate name or a
 * record missing name, shape or forward. The record must stay alive. */
RW_API rw_status rw_op_register(const rw_op_def *def);
/* The op registered under `name`, or NULL. */
RW_API const rw_op_def *rw_op_find(const char *name);
/* Enumerates the registry (built-ins first, then user ops). */
RW_API int rw_op_count(void);
RW_API const rw_op_def *rw_op_at(int i);

/* Records op `def` applied to `inputs` on the tape and computes it.
 * `attrs` points to def->attr_size bytes (copied), or NULL for the
 * defaults. Returns NULL if any input is NULL (keeping the first error
 * message) or if the shape rule rejects the inputs. */
RW_API rw_node *rw_apply(rw_graph *g, const rw_op_def *def, rw_node *const *inputs, int n_inputs,
                  const void *attrs);
/* The same, finding the op by name. */
RW_API rw_node *rw_apply_named(rw_graph *g, const char *name, rw_node *const *inputs, int n_inputs,
                        const void *attrs);

/* Fills an attribute struct with the defaults of `def`. */
RW_API void rw_op_default_attrs(const rw_op_def *def, void *attrs);
/* Sets one attribute by name; RW_ERR_ARG if the op has no such attribute. */
RW_API rw_status rw_op_set_attr(const rw_op_def *def, void *attrs, const char *name, double value);

/* A ready-made shape rule: one real input; the output has its shape. */
RW_API rw_status rw_shape_same_as_input(const rw_node *n, rw_shape *out, rw_dtype *out_dtype);

#ifdef __cplusplus
}
#endif
#endif
