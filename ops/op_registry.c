/* The public op registry. Core keeps the table (core/registry.c) but knows
 * no built-in op; every public entry point here first makes sure ops/'s
 * built-ins are in it, once, so they come first and a user op can never
 * take a built-in's name. */
#include <threads.h>
#include "builtin.h"
#include "rewind_internal/op_table.h"

static once_flag builtins_once = ONCE_FLAG_INIT;

static void ensure_builtins(void) { call_once(&builtins_once, rwi_ops_register_builtins); }

rw_status rw_op_register(const rw_op_def *def)
{
    ensure_builtins();
    return rwi_op_table_add(def);
}

const rw_op_def *rw_op_find(const char *name)
{
    ensure_builtins();
    return rwi_op_table_find(name);
}

int rw_op_count(void)
{
    ensure_builtins();
    return rwi_op_table_count();
}

const rw_op_def *rw_op_at(int i)
{
    ensure_builtins();
    return rwi_op_table_at(i);
}

rw_node *rw_apply_named(rw_graph *g, const char *name, rw_node *const *inputs, int n_inputs,
                        const void *attrs)
{
    const rw_op_def *def = rw_op_find(name);
    if (!def) {
        rw_error(RW_ERR_ARG, "no op named '%s' is registered", name ? name : "(null)");
        return NULL;
    }
    return rw_apply(g, def, inputs, n_inputs, attrs);
}
