/* The op registry: one table of op records, built-ins first. */
#include <string.h>
#include <threads.h>
#include "rewind_internal/alloc.h"
#include "graph_internal.h"
#include "rewind/op.h"

static const rw_op_def **ops;
static int n_ops, cap_ops;
static once_flag builtins_once = ONCE_FLAG_INIT;

static void ensure_builtins(void) { call_once(&builtins_once, rw_ops_register_builtins); }

static rw_status add_def(const rw_op_def *def)
{
    if (!def || !def->name || !def->name[0] || !def->shape || !def->forward)
        return rw_error(RW_ERR_ARG, "rw_op_register: an op needs a name, a shape rule and a forward (%s)",
                        def && def->name ? def->name : "unnamed");
    if (def->arity != RW_VARIADIC && def->arity < 0)
        return rw_error(RW_ERR_ARG, "rw_op_register: op '%s' has arity %d", def->name, def->arity);
    for (int i = 0; i < n_ops; i++)
        if (strcmp(ops[i]->name, def->name) == 0)
            return rw_error(RW_ERR_ARG, "rw_op_register: an op named '%s' is already registered", def->name);
    if (n_ops == cap_ops) {
        int cap = cap_ops ? cap_ops * 2 : 128;
        const rw_op_def **grown = rw_realloc(ops, (size_t)cap * sizeof *grown, "the op registry");
        if (!grown)
            return RW_ERR_NOMEM;
        ops = grown;
        cap_ops = cap;
    }
    ops[n_ops++] = def;
    return RW_OK;
}

/* Called once, from ensure_builtins, by ops/builtin.c. */
void rw_op_register_builtin(const rw_op_def *def);
void rw_op_register_builtin(const rw_op_def *def) { add_def(def); }

rw_status rw_op_register(const rw_op_def *def)
{
    ensure_builtins();
    return add_def(def);
}

const rw_op_def *rw_op_find(const char *name)
{
    ensure_builtins();
    if (!name)
        return NULL;
    for (int i = 0; i < n_ops; i++)
        if (strcmp(ops[i]->name, name) == 0)
            return ops[i];
    return NULL;
}

int rw_op_count(void)
{
    ensure_builtins();
    return n_ops;
}

const rw_op_def *rw_op_at(int i)
{
    ensure_builtins();
    return i >= 0 && i < n_ops ? ops[i] : NULL;
}

void rw_op_default_attrs(const rw_op_def *def, void *attrs)
{
    if (!def || !attrs || !def->attr_size)
        return;
    memset(attrs, 0, def->attr_size);
    for (int i = 0; i < def->n_attrs; i++) {
        const rw_attr_def *a = &def->attrs[i];
        char *field = (char *)attrs + a->offset;
        switch (a->type) {
        case RW_ATTR_INT: *(int *)field = (int)a->default_value; break;
        case RW_ATTR_REAL: *(double *)field = a->default_value; break;
        case RW_ATTR_BOOL: *(bool *)field = a->default_value != 0; break;
        }
    }
}

rw_status rw_op_set_attr(const rw_op_def *def, void *attrs, const char *name, double value)
{
    for (int i = 0; def && i < def->n_attrs; i++) {
        const rw_attr_def *a = &def->attrs[i];
        if (strcmp(a->name, name) != 0)
            continue;
        char *field = (char *)attrs + a->offset;
        switch (a->type) {
        case RW_ATTR_INT:
            if (value != (double)(int)value)
                return rw_error(RW_ERR_ARG, "op '%s': attribute '%s' must be an integer, got %g",
                                def->name, name, value);
            *(int *)field = (int)value;
            break;
        case RW_ATTR_REAL: *(double *)field = value; break;
        case RW_ATTR_BOOL: *(bool *)field = value != 0; break;
        }
        return RW_OK;
    }
    return rw_error(RW_ERR_ARG, "op '%s' has no attribute '%s'", def ? def->name : "(null)", name);
}
