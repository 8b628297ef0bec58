/* Reductions: over all elements (sum, mean, max), along one axis (sum_axis,
 * mean_axis, max_axis) and the l2 norm of the last axis. Sums accumulate in
 * double so long reductions stay accurate in the float build. */
#include "op_util.h"
#include "rewind/ops_reduce.h"

static rw_status to_scalar_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    *out = rw_shape_scalar();
    *dt = RW_REAL;
    return RW_OK;
}

static double total(const rw_node *n)
{
    double s = 0;
    const rw_real *x = n->in[0]->value.data;
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        s += x[i];
    return s;
}

static void spread(rw_node *n, rw_real dy)
{
    rw_real *gx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->value.size; i++)
        gx[i] += dy;
}

/* ---- sum of all elements --------------------------------------------------- */

static void sum_forward(rw_node *n) { n->value.data[0] = (rw_real)total(n); }

/* dx += dy */
static void sum_backward(rw_node *n) { spread(n, n->grad[0]); }

static const rw_op_def sum_def = {
    .name = "sum", .arity = 1, .shape = to_scalar_shape, .forward = sum_forward,
    .backward = sum_backward, .doc = "sum of all elements (a scalar)" };

rw_node *rw_sum(rw_graph *g, rw_node *x) { return rw_apply(g, &sum_def, &x, 1, NULL); }

/* ---- mean of all elements -------------------------------------------------- */

static void mean_forward(rw_node *n) { n->value.data[0] = (rw_real)(total(n) / (double)n->in[0]->value.size); }

/* dx += dy / size(x) */
static void mean_backward(rw_node *n) { spread(n, n->grad[0] / (rw_real)n->in[0]->value.size); }

static const rw_op_def mean_def = {
    .name = "mean", .arity = 1, .shape = to_scalar_shape, .forward = mean_forward,
    .backward = mean_backward, .doc = "mean of all elements (a scalar)" };

rw_node *rw_mean(rw_graph *g, rw_node *x) { return rw_apply(g, &mean_def, &x, 1, NULL); }

/* ---- max of all elements ------------------------------------------------ */

/* The flat index of the first largest element, saved for backward. */
static size_t max_scratch_bytes(const rw_node *n)
{
    (void)n;
    return sizeof(size_t);
}

static void max_forward(rw_node *n)
{
    const rw_real *x = n->in[0]->value.data;
    size_t best = 0;
    for (size_t i = 1; i < n->in[0]->value.size; i++)
        if (x[i] > x[best])
            best = i;
    *(size_t *)n->scratch = best;
    n->value.data[0] = x[best];
}

/* dx += dy at the first largest element */
static void max_backward(rw_node *n)
{
    if (n->in[0]->grad)
        n->in[0]->grad[*(const size_t *)n->scratch] += n->grad[0];
}

static const rw_op_def max_def = {
    .name = "max", .arity = 1, .shape = to_scalar_shape, .scratch_bytes = max_scratch_bytes,
    .forward = max_forward, .backward = max_backward,
    .doc = "largest element (a scalar); the gradient goes to the first largest" };

rw_node *rw_max(rw_graph *g, rw_node *x) { return rw_apply(g, &max_def, &x, 1, NULL); }

/* ---- reductions along one axis: shared attributes, shape rule and loops ---- */

typedef struct axis_attrs {
    int axis;
} axis_attrs;

static const rw_attr_def axis_attr_defs[] = {
    { "axis", RW_ATTR_INT, offsetof(axis_attrs, axis), -1, "the reduced axis; negative counts from the end" },
};

/* The input seen as [outer, len, inner] with the reduced axis in the middle;
 * the output is [outer, inner]. */
typedef struct axis_split {
    size_t outer, len, inner;
} axis_split;

static axis_split split_of(const rw_node *n)
{
    rw_shape s = n->in[0]->value.shape;
    int axis = RW_ATTRS(n, axis_attrs)->axis;
    if (axis < 0)
        axis += s.ndim;
    axis_split p = { 1, (size_t)s.dim[axis], 1 };
    for (int d = 0; d < axis; d++)
        p.outer *= (size_t)s.dim[d];
    for (int d = axis + 1; d < s.ndim; d++)
        p.inner *= (size_t)s.dim[d];
    return p;
}

static rw_status axis_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    rw_shape s = n->in[0]->value.shape;
    int axis = RW_ATTRS(n, axis_attrs)->axis;
    if (s.ndim == 0)
        return rwi_op_shape_error(n, "axis %d is out of range: a scalar has no axes", axis);
    if (axis < -s.ndim || axis >= s.ndim)
        return rwi_op_shape_error(n, "axis %d is out of range for %d dimension%s (valid: %d .. %d)", axis,
                                 s.ndim, s.ndim == 1 ? "" : "s", -s.ndim, s.ndim - 1);
    if (axis < 0)
        axis += s.ndim;
    out->ndim = s.ndim - 1;
    for (int d = 0, k = 0; d < s.ndim; d++)
        if (d != axis)
            out->dim[k++] = s.dim[d];
    *dt = RW_REAL;
    return RW_OK;
}

static void axis_total(rw_node *n, double divisor)
{
    axis_split p = split_of(n);
    const rw_real *x = n->in[0]->value.data;
    for (size_t o = 0; o < p.outer; o++)
        for (size_t i = 0; i < p.inner; i++) {
            double s = 0;
            for (size_t k = 0; k < p.len; k++)
                s += x[(o * p.len + k) * p.inner + i];
            n->value.data[o * p.inner + i] = (rw_real)(s / divisor);
        }
}

static void axis_spread(rw_node *n, rw_real factor)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    axis_split p = split_of(n);
    for (size_t o = 0; o < p.outer; o++)
        for (size_t k = 0; k < p.len; k++)
            for (size_t i = 0; i < p.inner; i++)
                gx[(o * p.len + k) * p.inner + i] += factor * n->grad[o * p.inner + i];
}

static rw_node *along(rw_graph *g, const rw_op_def *def, rw_node *x, int axis)
{
    axis_attrs at = { axis };
    return rw_apply(g, def, &x, 1, &at);
}

/* ---- sum_axis ------------------------------------------------------------- */

static void sum_axis_forward(rw_node *n) { axis_total(n, 1); }
/* dx += dy, repeated along the axis */
static void sum_axis_backward(rw_node *n) { axis_spread(n, 1); }

static const rw_op_def sum_axis_def = {
    .name = "sum_axis", .arity = 1, .attr_size = sizeof(axis_attrs), .attrs = axis_attr_defs, .n_attrs = 1,
    .shape = axis_shape, .forward = sum_axis_forward, .backward = sum_axis_backward,
    .doc = "sum along one axis, which is dropped from the shape" };

rw_node *rw_sum_axis(rw_graph *g, rw_node *x, int axis) { return along(g, &sum_axis_def, x, axis); }

/* ---- mean_axis ------------------------------------------------------------ */

static void mean_axis_forward(rw_node *n) { axis_total(n, (double)split_of(n).len); }
/* dx += dy / len, repeated along the axis */
static void mean_axis_backward(rw_node *n) { axis_spread(n, 1 / (rw_real)split_of(n).len); }

static const rw_op_def mean_axis_def = {
    .name = "mean_axis", .arity = 1, .attr_size = sizeof(axis_attrs), .attrs = axis_attr_defs, .n_attrs = 1,
    .shape = axis_shape, .forward = mean_axis_forward, .backward = mean_axis_backward,
    .doc = "mean along one axis, which is dropped from the shape" };

rw_node *rw_mean_axis(rw_graph *g, rw_node *x, int axis) { return along(g, &mean_axis_def, x, axis); }

/* ---- max_axis: saves, per output element, the position along the axis of
 * the first largest input (ties go to the lowest index) ---------------------- */

static size_t max_axis_scratch_bytes(const rw_node *n) { return n->value.size * sizeof(int32_t); }

static void max_axis_forward(rw_node *n)
{
    axis_split p = split_of(n);
    const rw_real *x = n->in[0]->value.data;
    int32_t *arg = n->scratch;
    for (size_t o = 0; o < p.outer; o++)
        for (size_t i = 0; i < p.inner; i++) {
            const rw_real *col = x + o * p.len * p.inner + i;
            size_t best = 0;
            for (size_t k = 1; k < p.len; k++)
                if (col[k * p.inner] > col[best * p.inner])
                    best = k;
            arg[o * p.inner + i] = (int32_t)best;
            n->value.data[o * p.inner + i] = col[best * p.inner];
        }
}

/* dx += dy at the first largest along the axis */
static void max_axis_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    axis_split p = split_of(n);
    const int32_t *arg = n->scratch;
    for (size_t o = 0; o < p.outer; o++)
        for (size_t i = 0; i < p.inner; i++)
            gx[(o * p.len + (size_t)arg[o * p.inner + i]) * p.inner + i] += n->grad[o * p.inner + i];
}

static const rw_op_def max_axis_def = {
    .name = "max_axis", .arity = 1, .attr_size = sizeof(axis_attrs), .attrs = axis_attr_defs, .n_attrs = 1,
    .shape = axis_shape, .scratch_bytes = max_axis_scratch_bytes, .forward = max_axis_forward,
    .backward = max_axis_backward,
    .doc = "largest element along one axis, which is dropped; the gradient goes to the first largest" };

rw_node *rw_max_axis(rw_graph *g, rw_node *x, int axis) { return along(g, &max_axis_def, x, axis); }

/* ---- l2 norm over the last axis ----------------------------------------- */

static rw_status l2_norm_shape(const rw_node *n, rw_shape *out, rw_dtype *dt)
{
    if (rwi_op_require_real(n, 0))
        return RW_ERR_SHAPE;
    rw_shape s = n->in[0]->value.shape;
    if (s.ndim < 1)
        return rwi_op_shape_error(n, "the input needs a last axis to take the norm over");
    *out = s;
    out->ndim = s.ndim - 1;
    *dt = RW_REAL;
    return RW_OK;
}

static void l2_norm_forward(rw_node *n)
{
    size_t d = (size_t)rw_shape_last(n->in[0]->value.shape);
    for (size_t r = 0; r < n->value.size; r++) {
        const rw_real *x = n->in[0]->value.data + r * d;
        /* Scaled by the largest magnitude, so squares neither overflow nor underflow. */
        double m = 0, s = 0;
        for (size_t j = 0; j < d; j++)
            m = fmax(m, fabs((double)x[j]));
        for (size_t j = 0; m > 0 && j < d; j++)
            s += ((double)x[j] / m) * ((double)x[j] / m);
        n->value.data[r] = (rw_real)(m > 0 ? m * sqrt(s) : 0);
    }
}

/* dx = dy * x / |x|; a zero row gets gradient 0 (the subgradient), not NaN. */
static void l2_norm_backward(rw_node *n)
{
    rw_real *gx = n->in[0]->grad;
    if (!gx)
        return;
    size_t d = (size_t)rw_shape_last(n->in[0]->value.shape);
    for (size_t r = 0; r < n->value.size; r++) {
        rw_real y = n->value.data[r];
        if (!(y > 0))
            continue;
        const rw_real *x = n->in[0]->value.data + r * d;
        rw_real k = n->grad[r] / y;
        for (size_t j = 0; j < d; j++)
            gx[r * d + j] += k * x[j];
    }
}

static const rw_op_def l2_norm_def = {
    .name = "l2_norm", .arity = 1, .shape = l2_norm_shape, .forward = l2_norm_forward,
    .backward = l2_norm_backward, .doc = "Euclidean norm over the last axis: [..., D] -> [...]" };

rw_node *rw_l2_norm(rw_graph *g, rw_node *x) { return rw_apply(g, &l2_norm_def, &x, 1, NULL); }

/* ---- the family, registered by ops/builtin.c -------------------------------- */

static const rw_op_def *const defs[] = { &sum_def, &mean_def, &max_def, &sum_axis_def, &mean_axis_def,
                                         &max_axis_def, &l2_norm_def };
const rw_op_family rwi_family_reduce = { "reduce", defs, sizeof defs / sizeof defs[0] };
