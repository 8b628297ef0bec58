/* Typed values from the YAML tree: strict, positioned, with hyper references
 * and size expressions. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "diag.h"
#include "schema.h"

rw_status rwi_ys_expect(const ynode *n, ykind kind, const char *what)
{
    static const char *const kinds[] = { "a single value", "a mapping", "a list" };
    if (n && n->kind == kind)
        return RW_OK;
    char got[128];
    bool quoted = strchr(what, '\'') != NULL; /* "cell 'c'" is already quoted */
    return rwi_ydiag(RW_ERR_FORMAT, n, quoted ? "%s must be %s, got %s" : "'%s' must be %s, got %s", what, kinds[kind],
                 rwi_ydescribe(n, got, sizeof got));
}

rw_status rwi_ys_keys(const ynode *map, const char *where, const char *const *allowed)
{
    int n = 0;
    while (allowed[n])
        n++;
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->str;
        bool ok = false;
        for (int j = 0; j < n && !ok; j++)
            ok = strcmp(k, allowed[j]) == 0;
        if (!ok) {
            char hint[128];
            bool quoted = strchr(where, '\'') != NULL; /* "cell 'c'" is already quoted */
            return rwi_ydiag(RW_ERR_FORMAT, map->keys[i], quoted ? "unknown key '%s' in %s%s" : "unknown key '%s' in '%s'%s",
                         k, where, rwi_ysuggest(k, allowed, n, hint, sizeof hint));
        }
    }
    return RW_OK;
}

rw_status rwi_ys_need(const ynode *map, const char *key, const char *where, const ynode **out)
{
    *out = rwi_ymap_get(map, key);
    if (*out)
        return RW_OK;
    return rwi_ydiag(RW_ERR_FORMAT, map, "'%s' needs the key '%s'", where, key);
}

/* ---- hyper references ------------------------------------------------------- */

static rw_status hyper_error(const yctx *c, const ynode *n, const char *name, size_t offset)
{
    const char *names[64];
    int k = 0;
    for (int i = 0; c->hyper && i < c->hyper->n && k < 64; i++)
        names[k++] = c->hyper->keys[i]->str;
    char hint[128];
    rwi_ysuggest(name, names, k, hint, sizeof hint);
    ynode at = *n;
    if (n->plain && !strchr(n->str, '\n')) { /* point at the "${" itself */
        at.col += (int)offset;
        at.start += offset;
    }
    at.kind = Y_SCALAR;
    at.end = at.start + strlen(name) + 3;
    return rwi_ydiag(RW_ERR_FORMAT, &at, "unknown hyper-parameter '%s'%s%s", name, hint,
                 c->hyper ? "" : " (the file has no 'hyper:' section)");
}

rw_status rwi_ys_text(const yctx *c, const ynode *n, const char *what, char *buf, size_t cap, bool *quoted)
{
    if (!n || n->kind != Y_SCALAR)
        return rwi_ys_expect(n, Y_SCALAR, what);
    const char *s = n->str;
    size_t at = 0;
    bool q = !n->plain, lone = strncmp(s, "${", 2) == 0 && strchr(s, '}') == s + strlen(s) - 1;
    for (size_t i = 0; s[i];) {
        if (s[i] == '$' && s[i + 1] == '{') {
            const char *close = strchr(s + i + 2, '}');
            if (!close)
                return rwi_ydiag(RW_ERR_FORMAT, n, "'%s': '${' without a closing '}'", what);
            char name[128];
            size_t len = (size_t)(close - (s + i + 2));
            snprintf(name, sizeof name, "%.*s", (int)(len < 127 ? len : 127), s + i + 2);
            const ynode *v = rwi_ymap_get(c->hyper, name);
            if (!v)
                return hyper_error(c, n, name, i);
            if (v->kind != Y_SCALAR)
                return rwi_ydiag(RW_ERR_FORMAT, v, "hyper-parameter '%s' must be a number or a string", name);
            if (lone) /* "${x}" is x's value, quoted or not (flow mappings need the quotes) */
                q = !v->plain;
            size_t vl = strlen(v->str);
            if (at + vl >= cap)
                return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' is too long", what);
            memcpy(buf + at, v->str, vl);
            at += vl;
            i += len + 3;
            continue;
        }
        if (at + 1 >= cap)
            return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' is too long", what);
        buf[at++] = s[i++];
    }
    buf[at] = '\0';
    if (quoted)
        *quoted = q;
    return RW_OK;
}

/* ---- typed scalars -------------------------------------------------------------- */

static rw_status got_error(const ynode *n, const char *what, const char *expected, const char *text, bool quoted)
{
    if (rwi_yis_null(n))
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' %s, got nothing (null)", what, expected);
    if (n->kind != Y_SCALAR) {
        char got[64];
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' %s, got %s", what, expected, rwi_ydescribe(n, got, sizeof got));
    }
    return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' %s, got %s \"%.60s\"", what, expected, quoted ? "string" : "string", text);
}

rw_status rwi_ys_int(const yctx *c, const ynode *n, const char *what, long lo, long hi, long *out)
{
    char t[Y_TEXT_MAX], expected[96];
    bool q = false;
    if (lo == 1 && hi == LONG_MAX)
        snprintf(expected, sizeof expected, "must be a positive integer");
    else if (lo == 0 && hi == LONG_MAX)
        snprintf(expected, sizeof expected, "must be an integer >= 0");
    else
        snprintf(expected, sizeof expected, "must be an integer in [%ld, %ld]", lo, hi);
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n))
        return got_error(n, what, expected, "", false);
    if (rwi_ys_text(c, n, what, t, sizeof t, &q) != RW_OK)
        return RW_ERR_FORMAT;
    char *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (q || end == t || *end || errno || !isfinite(v))
        return got_error(n, what, expected, t, q);
    if (v != floor(v))
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' %s, got %s", what, expected, t);
    if (v < (double)lo || v > (double)hi)
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' %s, got %s", what, expected, t);
    *out = (long)v;
    return RW_OK;
}

rw_status rwi_ys_real(const yctx *c, const ynode *n, const char *what, double lo, double hi, bool hi_open, double *out)
{
    char t[Y_TEXT_MAX];
    bool q = false;
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n))
        return got_error(n, what, "expects a number", "", false);
    if (rwi_ys_text(c, n, what, t, sizeof t, &q) != RW_OK)
        return RW_ERR_FORMAT;
    char *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (q || end == t || *end || !isfinite(v) || (errno && v != 0))
        return got_error(n, what, "expects a number", t, q);
    if (v < lo || v > hi || (hi_open && v >= hi)) {
        char range[96];
        if (isinf(hi))
            snprintf(range, sizeof range, ">= %g", lo);
        else
            snprintf(range, sizeof range, "in [%g, %g%s", lo, hi, hi_open ? ")" : "]");
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' must be %s, got %s", what, range, t);
    }
    *out = v;
    return RW_OK;
}

rw_status rwi_ys_bool(const yctx *c, const ynode *n, const char *what, bool *out)
{
    char t[64];
    bool q = false;
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n))
        return got_error(n, what, "must be true or false", "", false);
    if (rwi_ys_text(c, n, what, t, sizeof t, &q) != RW_OK)
        return RW_ERR_FORMAT;
    if (!q && strcmp(t, "true") == 0)
        *out = true;
    else if (!q && strcmp(t, "false") == 0)
        *out = false;
    else
        return got_error(n, what, "must be true or false", t, q);
    return RW_OK;
}

rw_status rwi_ys_string(const yctx *c, const ynode *n, const char *what, char **out)
{
    char t[Y_TEXT_MAX];
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n))
        return got_error(n, what, "must be a string", "", false);
    if (rwi_ys_text(c, n, what, t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (!t[0])
        return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' must not be empty", what);
    *out = rwi_strdup(t, "a model string");
    return *out ? RW_OK : RW_ERR_NOMEM;
}

rw_status rwi_ys_enum(const yctx *c, const ynode *n, const char *what, const char *const *names, int *out)
{
    char t[256], list[512] = "", hint[128];
    int count = 0;
    size_t at = 0;
    for (; names[count]; count++) {
        int w = snprintf(list + at, sizeof list - at, "%s%s", count ? ", " : "", names[count]);
        if (w > 0 && (size_t)w < sizeof list - at)
            at += (size_t)w;
    }
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n)) {
        char expected[600];
        snprintf(expected, sizeof expected, "must be one of %s", list);
        return got_error(n, what, expected, "", false);
    }
    if (rwi_ys_text(c, n, what, t, sizeof t, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < count; i++)
        if (strcmp(t, names[i]) == 0) {
            *out = i;
            return RW_OK;
        }
    return rwi_ydiag(RW_ERR_FORMAT, n, "unknown %s '%s' (expected one of: %s)%s", what, t, list,
                 rwi_ysuggest(t, names, count, hint, sizeof hint));
}

/* ---- size expressions ----------------------------------------------------------- */

typedef struct eparse {
    const char *s;
    size_t i;
    yexpr *e;
    const char *const *dims;
    int n_dims;
    const ynode *at;
    const char *what;
    rw_status st;
} eparse;

static void skip(eparse *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
        p->i++;
}

static void push(eparse *p, char op, int dim, double v)
{
    if (p->st != RW_OK)
        return;
    if (p->e->n == Y_EXPR_MAX) {
        p->st = rwi_ydiag(RW_ERR_FORMAT, p->at, "'%s': the expression is too long", p->what);
        return;
    }
    p->e->t[p->e->n].op = op;
    p->e->t[p->e->n].dim = dim;
    p->e->t[p->e->n].v = v;
    p->e->n++;
}

static rw_status esyntax(eparse *p, const char *msg)
{
    if (p->st == RW_OK)
        p->st = rwi_ydiag(RW_ERR_FORMAT, p->at, "'%s': %s at character %zu of \"%s\"", p->what, msg, p->i + 1, p->s);
    return p->st;
}

static void expr_sum(eparse *p);

static void expr_atom(eparse *p)
{
    skip(p);
    const char *s = p->s + p->i;
    if (*s == '(') {
        p->i++;
        expr_sum(p);
        skip(p);
        if (p->s[p->i] != ')') {
            esyntax(p, "expected ')'");
            return;
        }
        p->i++;
    } else if (*s == '-') {
        p->i++;
        expr_atom(p);
        push(p, '~', 0, 0);
    } else if (isdigit((unsigned char)*s) || *s == '.') {
        char *end;
        double v = strtod(s, &end);
        p->i += (size_t)(end - s);
        push(p, 'n', 0, v);
    } else if (isalpha((unsigned char)*s) || *s == '_') {
        size_t len = 0;
        while (isalnum((unsigned char)s[len]) || s[len] == '_')
            len++;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), s);
        p->i += len;
        for (int d = 0; d < p->n_dims; d++)
            if (strcmp(p->dims[d], name) == 0) {
                push(p, 'd', d, 0);
                return;
            }
        if (p->st == RW_OK) {
            char hint[128], list[256] = "";
            size_t at = 0;
            for (int d = 0; d < p->n_dims; d++) {
                int w = snprintf(list + at, sizeof list - at, "%s%s", d ? ", " : "", p->dims[d]);
                if (w > 0 && (size_t)w < sizeof list - at)
                    at += (size_t)w;
            }
            p->st = rwi_ydiag(RW_ERR_FORMAT, p->at, "'%s': unknown dimension '%s' (known here: %s)%s", p->what, name,
                          p->n_dims ? list : "none", rwi_ysuggest(name, p->dims, p->n_dims, hint, sizeof hint));
        }
    } else {
        esyntax(p, *s ? "unexpected character" : "unexpected end");
    }
}

static void expr_product(eparse *p)
{
    expr_atom(p);
    for (;;) {
        skip(p);
        char op = p->s[p->i];
        if ((op != '*' && op != '/') || p->st != RW_OK)
            return;
        p->i++;
        expr_atom(p);
        push(p, op, 0, 0);
    }
}

static void expr_sum(eparse *p)
{
    expr_product(p);
    for (;;) {
        skip(p);
        char op = p->s[p->i];
        if ((op != '+' && op != '-') || p->st != RW_OK)
            return;
        p->i++;
        expr_product(p);
        push(p, op, 0, 0);
    }
}

rw_status rwi_ys_expr_str(const ynode *at, const char *what, const char *text, const char *const *dims, int n_dims,
                      yexpr *out)
{
    eparse p = { .s = text, .e = out, .dims = dims, .n_dims = n_dims, .at = at, .what = what };
    out->n = 0;
    expr_sum(&p);
    skip(&p);
    if (p.st == RW_OK && text[p.i])
        esyntax(&p, "unexpected character");
    return p.st;
}

rw_status rwi_ys_expr(const yctx *c, const ynode *n, const char *what, const char *const *dims, int n_dims, yexpr *out)
{
    char t[512];
    bool q = false;
    if (!n || n->kind != Y_SCALAR || rwi_yis_null(n))
        return got_error(n, what, "must be a number or a size expression such as 3*H", "", false);
    if (rwi_ys_text(c, n, what, t, sizeof t, &q) != RW_OK)
        return RW_ERR_FORMAT;
    if (q)
        return got_error(n, what, "must be a number or a size expression such as 3*H", t, q);
    return rwi_ys_expr_str(n, what, t, dims, n_dims, out);
}

double rwi_yexpr_eval(const yexpr *e, const int *dims)
{
    double st[Y_EXPR_MAX];
    int sp = 0;
    for (int i = 0; i < e->n; i++) {
        char op = e->t[i].op;
        if (op == 'n')
            st[sp++] = e->t[i].v;
        else if (op == 'd')
            st[sp++] = dims[e->t[i].dim];
        else if (op == '~')
            st[sp - 1] = -st[sp - 1];
        else {
            double b = st[--sp], a = st[--sp];
            st[sp++] = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : b != 0 ? a / b : NAN;
        }
    }
    return sp == 1 ? st[0] : NAN;
}

yexpr rwi_yexpr_const(double v)
{
    yexpr e = { 0 };
    e.n = 1;
    e.t[0].op = 'n';
    e.t[0].v = v;
    return e;
}
