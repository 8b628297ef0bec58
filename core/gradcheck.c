/* Finite-difference gradient checking; see rewind/gradcheck.h. */
#include <math.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/gradcheck.h"
#include "rewind/rng.h"

#ifdef RW_DOUBLE
#define DEFAULT_EPS 1e-6
#define DEFAULT_TOL 1e-5
#define DEFAULT_FLOOR 1e-3
#else
#define DEFAULT_EPS 1e-2
#define DEFAULT_TOL 5e-2
#define DEFAULT_FLOOR 5e-2
#endif

typedef struct checker {
    rw_gradcheck_fn fn;
    void *ctx;
    rw_tensor *const *inputs;
    int n_inputs;
    rw_graph *g;
    rw_node **leaves;
    double *weights;    /* R, one per output element */
    size_t out_size;
} checker;

/* Builds the function on a fresh step; NULL if the builder failed. */
static rw_node *build(checker *c)
{
    rw_graph_reset(c->g);
    for (int i = 0; i < c->n_inputs; i++) {
        const rw_tensor *t = c->inputs[i];
        c->leaves[i] = t->dtype == RW_REAL ? rw_var(c->g, t) : rw_const(c->g, t);
        if (!c->leaves[i])
            return NULL;
    }
    rw_node *out = c->fn(c->g, c->leaves, c->ctx);
    if (!out && rw_last_status() == RW_OK)
        rw_error(RW_ERR_ARG, "rw_gradcheck: the function returned NULL");
    return out;
}

/* L = sum R_i out_i, accumulated in double. */
static rw_status eval_loss(checker *c, double *loss)
{
    rw_node *out = build(c);
    if (!out)
        return rw_last_status();
    if (out->value.size != c->out_size || out->value.dtype != RW_REAL)
        return rw_error(RW_ERR_ARG, "rw_gradcheck: the function's output changed size between calls");
    double s = 0;
    for (size_t i = 0; i < c->out_size; i++)
        s += c->weights[i] * (double)out->value.data[i];
    *loss = s;
    return RW_OK;
}

static void describe(char *buf, size_t len, const char *what, const rw_tensor *t, size_t at)
{
    int idx[RW_MAX_DIMS] = { 0 };
    size_t rest = at;
    for (int d = t->shape.ndim - 1; d >= 0; d--) {
        idx[d] = (int)(rest % (size_t)t->shape.dim[d]);
        rest /= (size_t)t->shape.dim[d];
    }
    rw_shape s = { .ndim = t->shape.ndim };
    memcpy(s.dim, idx, sizeof idx);
    char b[64];
    snprintf(buf, len, "%s element %zu (index %s)", what, at, rw_shape_str(s, b, sizeof b));
}

typedef struct target {
    rw_tensor *t;        /* the tensor to perturb */
    double *analytic;    /* the tape's gradient, copied */
    char what[96];
} target;

static rw_status check_target(checker *c, const target *tg, double base, const rw_gradcheck_opts *o,
                              rw_rng *rng, rw_gradcheck_report *rep)
{
    size_t n = tg->t->size;
    size_t count = o->max_per_tensor && o->max_per_tensor < n ? o->max_per_tensor : n;
    for (size_t k = 0; k < count; k++) {
        size_t at = count == n ? k : rw_rng_below(rng, (uint32_t)n);
        rw_real orig = tg->t->data[at];
        double lp = 0, lm = 0;
        tg->t->data[at] = (rw_real)(orig + o->eps);
        double hp = (double)tg->t->data[at] - (double)orig; /* the step actually taken */
        rw_status st = eval_loss(c, &lp);
        tg->t->data[at] = (rw_real)(orig - o->eps);
        double hm = (double)orig - (double)tg->t->data[at];
        if (st == RW_OK)
            st = eval_loss(c, &lm);
        tg->t->data[at] = orig;
        if (st != RW_OK)
            return st;
        double numeric = (lp - lm) / (hp + hm);
        double right = (lp - base) / hp, left = (base - lm) / hm;
        double scale = fmax(fmax(fabs(left), fabs(right)), o->floor);
        if (fabs(right - left) > 0.1 * scale) {
            rep->skipped++; /* a kink (relu at 0, max ties): the derivative is not defined */
            continue;
        }
        double a = tg->analytic[at];
        double err = fabs(a - numeric) / fmax(fmax(fabs(a), fabs(numeric)), o->floor);
        rep->checked++;
        if (err > rep->worst_error || rep->checked == 1) {
            rep->worst_error = err;
            rep->analytic = a;
            rep->numeric = numeric;
            describe(rep->where, sizeof rep->where, tg->what, tg->t, at);
        }
    }
    return RW_OK;
}

rw_status rw_gradcheck(rw_gradcheck_fn fn, void *ctx, rw_tensor *const *inputs, int n_inputs,
                       rw_params *params, const rw_gradcheck_opts *opts, rw_gradcheck_report *report)
{
    rw_gradcheck_report local;
    rw_gradcheck_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (!fn || (n_inputs > 0 && !inputs) || n_inputs < 0)
        return rw_error(RW_ERR_ARG, "rw_gradcheck: NULL function or inputs");
    for (int i = 0; i < n_inputs; i++)
        if (!inputs[i])
            return rw_error(RW_ERR_ARG, "rw_gradcheck: input %d is NULL", i);

    rw_gradcheck_opts o = opts ? *opts : (rw_gradcheck_opts){ 0 };
    if (o.eps <= 0) o.eps = DEFAULT_EPS;
    if (o.tol <= 0) o.tol = DEFAULT_TOL;
    if (o.floor <= 0) o.floor = DEFAULT_FLOOR;
    rw_rng rng = rw_rng_seed(o.seed ? o.seed : 20261123);

    int n_params = rw_params_count(params);
    int n_targets = n_inputs + n_params;
    checker c = { .fn = fn, .ctx = ctx, .inputs = inputs, .n_inputs = n_inputs };
    target *targets = rwi_calloc((size_t)(n_targets ? n_targets : 1), sizeof *targets, "gradcheck targets");
    c.leaves = rwi_calloc((size_t)(n_inputs ? n_inputs : 1), sizeof *c.leaves, "gradcheck leaves");
    c.g = rw_graph_new();
    rw_status st = (!targets || !c.leaves || !c.g) ? RW_ERR_NOMEM : RW_OK;

    rw_node *out = st == RW_OK ? build(&c) : NULL;
    if (st == RW_OK && !out)
        st = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_ARG;
    if (st == RW_OK && out->value.dtype != RW_REAL)
        st = rw_error(RW_ERR_ARG, "rw_gradcheck: the function's output is not real");
    if (st == RW_OK) {
        c.out_size = out->value.size;
        c.weights = rwi_malloc(c.out_size * sizeof *c.weights, "gradcheck weights");
        rw_real *seed = rw_node_temp(out, c.out_size * sizeof *seed);
        if (!c.weights || !seed)
            st = RW_ERR_NOMEM;
        for (size_t i = 0; st == RW_OK && i < c.out_size; i++) {
            c.weights[i] = 2 * rw_rng_uniform(&rng) - 1;
            seed[i] = (rw_real)c.weights[i];
        }
        if (st == RW_OK) {
            rw_params_zero_grad(params);
            st = rw_backward_seeded(c.g, out, seed);
        }
    }
    /* Copy the tape's gradients before the perturbed runs reset the graph. */
    int nt = 0;
    for (int i = 0; st == RW_OK && i < n_targets; i++) {
        rw_tensor *t;
        const rw_real *grad;
        target *tg = &targets[nt];
        if (i < n_inputs) {
            if (inputs[i]->dtype != RW_REAL)
                continue;
            t = inputs[i];
            grad = c.leaves[i]->grad;
            snprintf(tg->what, sizeof tg->what, "input %d", i);
        } else {
            rw_param *p = rw_params_at(params, i - n_inputs);
            t = p->value;
            grad = p->grad->data;
            snprintf(tg->what, sizeof tg->what, "parameter '%.60s'", p->name);
        }
        tg->t = t;
        tg->analytic = rwi_calloc(t->size, sizeof(double), "gradcheck gradients");
        if (!tg->analytic) {
            st = RW_ERR_NOMEM;
            break;
        }
        for (size_t k = 0; grad && k < t->size; k++)
            tg->analytic[k] = grad[k];
        nt++;
    }
    double base = 0;
    if (st == RW_OK)
        st = eval_loss(&c, &base);
    for (int i = 0; st == RW_OK && i < nt; i++)
        st = check_target(&c, &targets[i], base, &o, &rng, rep);

    for (int i = 0; i < nt; i++)
        rwi_free(targets[i].analytic);
    rwi_free(targets);
    rwi_free(c.leaves);
    rwi_free(c.weights);
    rw_graph_free(c.g);
    if (st != RW_OK)
        return st;
    if (rep->worst_error > o.tol)
        return rw_error(RW_ERR_NUMERIC,
                        "gradient check failed at %s: tape %.8g, finite differences %.8g "
                        "(error %.3g > tolerance %.3g)",
                        rep->where, rep->analytic, rep->numeric, rep->worst_error, o.tol);
    return RW_OK;
}
