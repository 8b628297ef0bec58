/* Internal: reading typed values out of the YAML tree, with `${name}`
 * hyper-parameter references, strict key checking and symbolic size
 * expressions ("3*H", "X + 1"). Every failure is a positioned diagnostic. */
#ifndef RW_MODEL_SCHEMA_H
#define RW_MODEL_SCHEMA_H

#include <stdbool.h>
#include "yaml_doc.h"

/* What a document's values may refer to. */
typedef struct yctx {
    const ynode *hyper;    /* the document's `hyper:` mapping, or NULL */
} yctx;

#define Y_TEXT_MAX 4096

/* The scalar's text with every ${name} replaced by the value of hyper
 * `name`. *quoted (may be NULL) tells whether the result is a string for
 * sure: a quoted scalar, except that a lone reference "${x}" (which flow
 * mappings need to quote) takes the kind of x's own value. */
rw_status rwi_ys_text(const yctx *c, const ynode *n, const char *what, char *buf, size_t cap, bool *quoted);

/* "'what' must be a mapping, got a list" unless n has that kind. */
rw_status rwi_ys_expect(const ynode *n, ykind kind, const char *what);
/* Every key of `map` must be in `allowed` (NULL-terminated): otherwise
 * "unknown key 'k' in 'where' (did you mean 'x'?)". */
rw_status rwi_ys_keys(const ynode *map, const char *where, const char *const *allowed);
/* The value of a required key, or an error at the map. */
rw_status rwi_ys_need(const ynode *map, const char *key, const char *where, const ynode **out);

rw_status rwi_ys_int(const yctx *c, const ynode *n, const char *what, long lo, long hi, long *out);
/* A finite number in [lo, hi] (or [lo, hi) when hi_open). */
rw_status rwi_ys_real(const yctx *c, const ynode *n, const char *what, double lo, double hi, bool hi_open,
                  double *out);
rw_status rwi_ys_bool(const yctx *c, const ynode *n, const char *what, bool *out);
/* A non-empty string (copied with rwi_malloc into *out). */
rw_status rwi_ys_string(const yctx *c, const ynode *n, const char *what, char **out);
/* One of `names` (NULL-terminated); *out is its index. */
rw_status rwi_ys_enum(const yctx *c, const ynode *n, const char *what, const char *const *names, int *out);

/* ---- size expressions ------------------------------------------------------ */

#define Y_EXPR_MAX 32
#define Y_MAX_DIMS 8

typedef struct yexpr {
    int n;
    struct { char op; int dim; double v; } t[Y_EXPR_MAX]; /* postfix: 'n' number, 'd' dim, + - * / '~' (negate) */
} yexpr;

/* Parses a number or an expression over the named dims (+ - * / and
 * parentheses) from scalar n. */
rw_status rwi_ys_expr(const yctx *c, const ynode *n, const char *what, const char *const *dims, int n_dims,
                  yexpr *out);
/* The same from text already read (e.g. an initializer's argument). */
rw_status rwi_ys_expr_str(const ynode *at, const char *what, const char *text, const char *const *dims, int n_dims,
                      yexpr *out);
double rwi_yexpr_eval(const yexpr *e, const int *dims);
/* A constant expression (a plain number). */
yexpr rwi_yexpr_const(double v);

#endif
