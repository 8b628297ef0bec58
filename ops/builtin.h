/* The built-in ops, registered into core's op table (ops/builtin.c). */
#ifndef RW_OPS_BUILTIN_H
#define RW_OPS_BUILTIN_H

/* Adds every built-in op family to the table. Called once, by
 * ops/op_registry.c, before the first public registry call. */
void rwi_ops_register_builtins(void);

#endif
