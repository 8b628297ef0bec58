/* Internal: the op table's storage, kept by core (core/registry.c).
 *
 * Core stores op records but never names a built-in op: the public registry
 * functions (rw_op_register, rw_op_find, rw_op_count, rw_op_at, in
 * ops/op_registry.c) seed the table with ops/'s built-ins once, then use
 * these. Calling them directly skips that seeding. */
#ifndef RW_INTERNAL_OP_TABLE_H
#define RW_INTERNAL_OP_TABLE_H

#include "rewind/op.h"

/* Appends `def` (checked: name, shape rule, forward, arity, unique name). */
rw_status rwi_op_table_add(const rw_op_def *def);
/* The record called `name`, or NULL. */
const rw_op_def *rwi_op_table_find(const char *name);
int rwi_op_table_count(void);
/* Record i in registration order, or NULL when out of range. */
const rw_op_def *rwi_op_table_at(int i);

#endif
