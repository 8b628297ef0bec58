/* train.diagnostics: every N steps of rw_train, rw_model_diagnose's
 * gradient picture in extra columns of the CSV log (rw_train_opts.log_columns)
 * and a warning on stderr when a layer's gradient vanishes or explodes. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/model_diagnostics.h"
#include "model_internal.h"
#include "yaml/diag.h"

struct mdiag_train {
    rw_model *m;
    int n_columns;
    char **columns;
};

void rwi_mdiag_train_free(rw_model *m)
{
    mdiag_train *t = m->diag_train;
    if (!t)
        return;
    for (int i = 0; i < t->n_columns; i++)
        rwi_free(t->columns[i]);
    rwi_free(t->columns);
    rwi_free(t);
    m->diag_train = NULL;
}

/* "<series>.<what>" in a new string, or NULL (out of memory) */
static char *column_name(const char *series, const char *what)
{
    size_t len = strlen(series) + strlen(what) + 2;
    char *s = rwi_malloc(len, "a diagnostics column name");
    if (s)
        snprintf(s, len, "%s.%s", series, what);
    return s;
}

static rw_status diagnose(rw_model *m, rw_model_diagnosis *d)
{
    const rw_model_diagnostics_config *c = &m->train.diagnostics;
    return rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = c->steps, .batch = c->batch }, d);
}

/* A series' columns in order: grad_first, grad_last, grad_ratio, one
 * sat_<gate> per gate the cell has, one rho<k> per recurrent block. Writes
 * names (when `names`) or values (when `values`) from *at on; returns how many. */
static int series_columns(const rw_model_diag_series *s, int steps, char **names, double *values)
{
    int n = 0;
    const char *grad[] = { "grad_first", "grad_last", "grad_ratio" };
    double first = s->grad_norm[0], last = s->grad_norm[steps - 1];
    double gv[] = { first, last, last > 0 ? first / last : NAN };
    for (int k = 0; k < 3; k++, n++) {
        if (names && !(names[n] = column_name(s->name, grad[k])))
            return -1;
        if (values)
            values[n] = gv[k];
    }
    char what[32];
    for (int k = 0; k < s->gates.n; k++) {
        if (!s->gates.name[k])
            continue;
        snprintf(what, sizeof what, "sat_%s", s->gates.name[k]);
        if (names && !(names[n] = column_name(s->name, what)))
            return -1;
        if (values)
            values[n] = rw_gate_saturated(&s->gates, k);
        n++;
    }
    for (int k = 0; k < s->n_radii; k++, n++) {
        snprintf(what, sizeof what, "rho%d", k);
        if (names && !(names[n] = column_name(s->name, what)))
            return -1;
        if (values)
            values[n] = s->radius[k];
    }
    return n;
}

/* A forward series' ratio beyond the thresholds: one warning line. (A
 * reverse direction's last step is its first: nothing travels back.) */
static void warn(const rw_model *m, long step, const rw_model_diag_series *s, int steps)
{
    const rw_model_diagnostics_config *c = &m->train.diagnostics;
    size_t len = strlen(s->name);
    double last = s->grad_norm[steps - 1], ratio = last > 0 ? s->grad_norm[0] / last : 0;
    if (len > 4 && !strcmp(s->name + len - 4, ".rev"))
        return;
    if (ratio < c->vanish_below)
        fprintf(stderr, "warning: step %ld: %s: the gradient vanishes over %d steps (||dL/dh_0|| / ||dL/dh_%d|| = "
                "%.3g < vanish_below %g)\n", step, s->name, steps, steps - 1, ratio, c->vanish_below);
    else if (ratio > c->explode_above)
        fprintf(stderr, "warning: step %ld: %s: the gradient explodes over %d steps (||dL/dh_0|| / ||dL/dh_%d|| = "
                "%.3g > explode_above %g)\n", step, s->name, steps, steps - 1, ratio, c->explode_above);
}

static rw_status measure(long step, double *values, void *ctx)
{
    mdiag_train *t = ctx;
    rw_model *m = t->m;
    if (step % m->train.diagnostics.every != 0)
        return RW_OK;
    rw_model_diagnosis d;
    if (diagnose(m, &d) != RW_OK) {
        rw_error_prefix("train.diagnostics at step %ld", step);
        return rw_last_status();
    }
    int at = 0;
    for (int i = 0; i < d.n; i++) {
        double v[3 + RW_GATES_MAX + RW_DIAG_MAX_RADII];
        int n = series_columns(&d.series[i], d.steps, NULL, v);
        for (int k = 0; k < n && at < t->n_columns; k++)
            values[at++] = v[k];
        warn(m, step, &d.series[i], d.steps);
    }
    rw_model_diagnosis_free(&d);
    return RW_OK;
}

rw_status rwi_mdiag_train_opts(rw_model *m, rw_train_opts *o)
{
    rwi_mdiag_train_free(m);
    if (m->train.diagnostics.every == 0)
        return RW_OK;
    const ynode *at = m->train_at ? rwi_ymap_get(m->train_at, "diagnostics") : NULL;
    /* a first diagnosis gives the columns (the series, their gates and blocks) */
    rw_model_diagnosis d;
    if (diagnose(m, &d) != RW_OK)
        return rwi_ydiag(RW_ERR_ARG, at, "train.diagnostics: %s", rw_last_error());
    int n = 0;
    for (int i = 0; i < d.n; i++)
        n += series_columns(&d.series[i], d.steps, NULL, NULL);
    mdiag_train *t = rwi_calloc(1, sizeof *t, "the training diagnostics");
    rw_status st = RW_ERR_NOMEM;
    if (!t || !(t->columns = rwi_calloc((size_t)(n ? n : 1), sizeof *t->columns, "diagnostics columns")))
        goto done;
    t->m = m;
    m->diag_train = t;
    for (int i = 0; i < d.n; i++) {
        int k = series_columns(&d.series[i], d.steps, t->columns + t->n_columns, NULL);
        if (k < 0)
            goto done;
        t->n_columns += k;
    }
    if (d.n == 0) {
        st = rwi_ydiag(RW_ERR_ARG, at, "train.diagnostics: the model has no recurrent layer to diagnose");
        goto done;
    }
    o->log_columns = (const char *const *)t->columns;
    o->log_column_count = t->n_columns;
    o->log_values = measure;
    o->log_ctx = t;
    st = RW_OK;
done:
    if (st != RW_OK && m->diag_train)
        rwi_mdiag_train_free(m);
    else if (st != RW_OK)
        rwi_free(t);
    rw_model_diagnosis_free(&d);
    return st;
}
