/* The op table: storage for op records, and op attributes. Core knows no
 * built-in op: ops/op_registry.c seeds the table before any public lookup. */
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind_internal/op_table.h"

static const rw_op_def **ops;
static int n_ops, cap_ops;

rw_status rwi_op_table_add(const rw_op_def *def)
{
    if (!def || !def->name || !def->name[0] || !def->shape || !def->forward)
        return rw_error(RW_ERR_ARG, "rw_op_register: an op needs a name, a shape rule and a forward (%s)",
                        def && def->name ? def->name : "unnamed");
    if (def->arity != RW_VARIADIC && def->arity < 0)
        return rw_error(RW_ERR_ARG, "rw_op_register: op '%s' has arity %d", def->name, def->arity);
    if (rwi_op_table_find(def->name))
        return rw_error(RW_ERR_ARG, "rw_op_register: an op named '%s' is already registered", def->name);
    if (n_ops == cap_ops) {
        int cap = cap_ops ? cap_ops * 2 : 128;
        const rw_op_def **grown = rwi_realloc(ops, (size_t)cap * sizeof *grown, "the op registry");
        if (!grown)
            return RW_ERR_NOMEM;
        ops = grown;
        cap_ops = cap;
    }
    ops[n_ops++] = def;
    return RW_OK;
}

const rw_op_def *rwi_op_table_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < n_ops; i++)
        if (strcmp(ops[i]->name, name) == 0)
            return ops[i];
    return NULL;
}

int rwi_op_table_count(void) { return n_ops; }

const rw_op_def *rwi_op_table_at(int i) { return i >= 0 && i < n_ops ? ops[i] : NULL; }

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
