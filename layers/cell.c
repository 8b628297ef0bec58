/* Cell instances: a definition, its sizes and options, and its parameters. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/cell.h"
#include "rewind_internal/gate_probe.h"

struct rw_cell {
    const rw_cell_def *def;
    char *name;
    rw_params *P;
    int input_size, hidden;
    void *opts;
    int n_params;
    rw_param *params[RW_CELL_MAX_PARAMS];
    const char *short_names[RW_CELL_MAX_PARAMS]; /* the part after "<cell name>." */
    rwi_gate_probe *probe;   /* while a run counts gate saturation (rewind_internal/gate_probe.h), else NULL */
};

void rwi_cell_set_gate_probe(rw_cell *c, rwi_gate_probe *probe) { c->probe = probe; }

void rwi_cell_note_gate(const rw_cell *c, const rw_node *act, int col0, int width, int slot, const char *name,
                        rwi_gate_kind kind)
{
    if (!c->probe || !act || slot < 0 || slot >= RW_GATES_MAX)
        return;
    rw_gate_saturation *s = c->probe->sat;
    const rw_node *mask = c->probe->mask;
    int cols = act->value.shape.dim[act->value.shape.ndim - 1];
    int rows = (int)(act->value.size / (size_t)cols);
    double lo = kind == RWI_GATE_SIGMOID ? 0.05 : -0.95, hi = 0.95;
    uint64_t n_lo = 0, n_hi = 0, n = 0;
    for (int b = 0; b < rows; b++) {
        if (mask && mask->value.data[b] == 0) /* a padded step of this sequence */
            continue;
        const rw_real *row = act->value.data + (size_t)b * cols + col0;
        for (int j = 0; j < width; j++) {
            n_lo += row[j] < lo;
            n_hi += row[j] > hi;
        }
        n += (uint64_t)width;
    }
    s->low[slot] += n_lo;
    s->high[slot] += n_hi;
    s->count[slot] += n;
    s->name[slot] = name;
    if (s->n <= slot)
        s->n = slot + 1;
}

rw_cell *rw_cell_new(rw_params *P, const char *name, const rw_cell_def *def, int input_size, int hidden,
                     const void *opts, rw_rng *rng)
{
    if (!P || !name || !def || !def->step || !def->declare || !rng) {
        rw_error(RW_ERR_ARG, "rw_cell_new('%s'): needs a store, a cell definition with declare and step, "
                 "and a generator", name ? name : "(null)");
        return NULL;
    }
    if (input_size < 1 || hidden < 1 || def->n_states < 1 || def->n_states > RW_CELL_MAX_STATES) {
        rw_error(RW_ERR_ARG, "rw_cell_new('%s', %s): input size %d, hidden %d and %d states; sizes must be >= 1 "
                 "and states 1..%d", name, def->name ? def->name : "cell", input_size, hidden, def->n_states,
                 RW_CELL_MAX_STATES);
        return NULL;
    }
    if (opts && !def->opts_size) {
        rw_error(RW_ERR_ARG, "rw_cell_new('%s', %s): options given, but the cell definition has no opts_size", name,
                 def->name ? def->name : "cell");
        return NULL;
    }
    const char *blame;
    if (opts && rw_cell_check_opts(def, opts, &blame) != RW_OK) {
        rw_error_prefix("rw_cell_new('%s')", name);
        return NULL;
    }
    rw_cell *c = rwi_calloc(1, sizeof *c, "a cell");
    if (!c)
        return NULL;
    c->def = def;
    c->P = P;
    c->input_size = input_size;
    c->hidden = hidden;
    c->name = rwi_strdup(name, "a cell name");
    if (c->name && def->opts_size) { /* the given options, else the defaults */
        c->opts = rwi_malloc(def->opts_size, "cell options");
        if (c->opts && opts)
            memcpy(c->opts, opts, def->opts_size);
        else if (c->opts)
            rw_cell_default_opts(def, c->opts);
    }
    if (!c->name || (def->opts_size && !c->opts) || def->declare(c, rng) != RW_OK) {
        if (c->name)
            rw_error_prefix("cell '%s'", c->name);
        rw_cell_free(c);
        return NULL;
    }
    return c;
}

void rw_cell_free(rw_cell *c)
{
    if (!c)
        return;
    rwi_free(c->name);
    rwi_free(c->opts);
    rwi_free(c);
}

rw_param *rw_cell_param(rw_cell *c, const char *name, rw_shape shape, rw_init init, rw_rng *rng)
{
    if (c->n_params == RW_CELL_MAX_PARAMS) {
        rw_error(RW_ERR_ARG, "a cell may have at most %d parameters", RW_CELL_MAX_PARAMS);
        return NULL;
    }
    char full[256];
    snprintf(full, sizeof full, "%s.%s", c->name, name);
    rw_param *p = rw_params_add(c->P, full, shape);
    if (!p)
        return NULL;
    if (rw_param_init(c->P, p, init, rng) != RW_OK) {
        rw_error_prefix("parameter '%s'", full);
        return NULL;
    }
    c->params[c->n_params] = p;
    c->short_names[c->n_params] = p->name + strlen(c->name) + 1;
    c->n_params++;
    return p;
}

rw_param *rw_cell_get_param(const rw_cell *c, const char *name)
{
    for (int i = 0; c && i < c->n_params; i++)
        if (strcmp(c->short_names[i], name) == 0)
            return c->params[i];
    rw_error(RW_ERR_ARG, "cell '%s' has no parameter '%s'", c ? c->name : "(null)", name);
    return NULL;
}

rw_node *rw_p(rw_graph *g, const rw_cell *c, const char *name)
{
    rw_param *p = rw_cell_get_param(c, name);
    return p ? rw_param_node(g, p) : NULL;
}

const rw_cell_def *rw_cell_definition(const rw_cell *c) { return c->def; }
const char *rw_cell_name(const rw_cell *c) { return c->name; }
const void *rw_cell_opts(const rw_cell *c) { return c->opts; }
int rw_cell_input_size(const rw_cell *c) { return c->input_size; }
int rw_cell_hidden(const rw_cell *c) { return c->hidden; }

int rw_cell_state_size(const rw_cell *c, int i)
{
    return c->def->state_size ? c->def->state_size(c, i) : c->hidden;
}

int rw_cell_output_size(const rw_cell *c)
{
    return c->def->output_size ? c->def->output_size(c) : c->hidden;
}

rw_node *rw_cell_step(rw_graph *g, const rw_cell *c, rw_node *x, rw_node **state)
{
    if (c->def->project)
        x = c->def->project(g, c, x);
    if (!x)
        return NULL;
    return c->def->step(g, c, x, state);
}
