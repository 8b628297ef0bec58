/* The cell registry: every cell a model file can name, built-ins first. */
#include <string.h>
#include <threads.h>
#include "rewind/cells.h"

/* The built-in cells, in the order `rewind cells` and error messages list them.
 * Each record (name, doc, options) lives in its cell's own file. */
static const rw_cell_def *const builtins[] = { &rw_lstm_cell, &rw_gru_cell, &rw_elman_cell, &rw_irnn_cell,
                                               &rw_jordan_cell, &rw_elman_jordan_cell };

/* A fixed table: cells are registered once, at start-up, and are few. */
#define MAX_CELLS 256
static const rw_cell_def *cells[MAX_CELLS];
static int n_cells;
static once_flag builtins_once = ONCE_FLAG_INIT;

/* A described option must fit its struct, have a usable range or names, and
 * a default it would itself accept. */
static rw_status check_record(const rw_cell_def *def)
{
    if (!def || !def->name || !def->name[0] || !def->declare || !def->step)
        return rw_error(RW_ERR_ARG, "rw_cell_register: a cell needs a name, declare and step (%s)",
                        def && def->name ? def->name : "unnamed");
    for (const char *c = def->name; *c; c++) /* model files use it as a key and in layer names */
        if (!(*c == '_' || (*c >= '0' && *c <= '9' && c != def->name) || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z')))
            return rw_error(RW_ERR_ARG, "rw_cell_register: cell name '%s': use letters, digits and '_' (not first)",
                            def->name);
    if (def->n_states < 1 || def->n_states > RW_CELL_MAX_STATES)
        return rw_error(RW_ERR_ARG, "rw_cell_register: cell '%s' has %d states; 1..%d are possible", def->name,
                        def->n_states, RW_CELL_MAX_STATES);
    if (def->n_options < 0 || (def->n_options > 0 && (!def->options || !def->opts_size)))
        return rw_error(RW_ERR_ARG, "rw_cell_register: cell '%s' describes %d options without an options struct",
                        def->name, def->n_options);
    static const size_t field_size[] = { [RW_OPTION_BOOL] = sizeof(bool), [RW_OPTION_INT] = sizeof(int),
                                         [RW_OPTION_REAL] = sizeof(double), [RW_OPTION_ENUM] = sizeof(int) };
    for (int i = 0; i < def->n_options; i++) {
        const rw_cell_option *o = &def->options[i];
        const char *why = NULL;
        if (!o->name || !o->name[0])
            why = "has no name";
        else if ((unsigned)o->type > RW_OPTION_ENUM)
            why = "has an unknown type";
        else if (o->offset + field_size[o->type] > def->opts_size)
            why = "lies outside the options struct (offset + field size > opts_size)";
        else if ((o->type == RW_OPTION_INT || o->type == RW_OPTION_REAL) && !(o->min <= o->max))
            why = "has an empty range (min > max)";
        else if (o->type == RW_OPTION_ENUM && (!o->names || o->n_names < 1))
            why = "is an enum without names";
        for (int k = 0; !why && k < i; k++)
            if (strcmp(def->options[k].name, o->name) == 0)
                why = "is described twice";
        if (why)
            return rw_error(RW_ERR_ARG, "rw_cell_register: option %d ('%s') of cell '%s' %s", i,
                            o->name ? o->name : "", def->name, why);
    }
    const char *blame = NULL;
    if (def->n_options && rw_cell_check_opts(def, def->opts_defaults, &blame) != RW_OK) {
        rw_error_prefix("rw_cell_register: the defaults of cell '%s'", def->name);
        return rw_last_status();
    }
    return RW_OK;
}

static rw_status add_def(const rw_cell_def *def)
{
    if (check_record(def) != RW_OK)
        return rw_last_status();
    for (int i = 0; i < n_cells; i++)
        if (strcmp(cells[i]->name, def->name) == 0)
            return rw_error(RW_ERR_ARG, "rw_cell_register: a cell named '%s' is already registered", def->name);
    if (n_cells == MAX_CELLS)
        return rw_error(RW_ERR_ARG, "rw_cell_register: the registry holds at most %d cells", MAX_CELLS);
    cells[n_cells++] = def;
    return RW_OK;
}

static void register_builtins(void)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        add_def(builtins[i]);
}

static void ensure_builtins(void) { call_once(&builtins_once, register_builtins); }

rw_status rw_cell_register(const rw_cell_def *def)
{
    ensure_builtins();
    return add_def(def);
}

const rw_cell_def *rw_cell_find(const char *name)
{
    ensure_builtins();
    for (int i = 0; name && i < n_cells; i++)
        if (strcmp(cells[i]->name, name) == 0)
            return cells[i];
    return NULL;
}

int rw_cell_count(void)
{
    ensure_builtins();
    return n_cells;
}

const rw_cell_def *rw_cell_at(int i)
{
    ensure_builtins();
    return i >= 0 && i < n_cells ? cells[i] : NULL;
}
