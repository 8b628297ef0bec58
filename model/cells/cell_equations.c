/* The equation form of cells: `h: "tanh(W @ x + U @ h_prev + b)"` compiled
 * into the node form (a list of {name, op, in, attributes} mappings built in
 * the YAML heap), so both forms share every check. Each sub-expression's
 * node carries its own column inside the string, so an unknown op or name
 * is reported exactly where it is written.
 *
 *   a @ b   matmul(b, a, transpose_b: true): W @ x is x W^T for a batch of rows
 *   a * b, a / b, a + b, a - b   mul, div, add, sub (broadcasting); -a is neg
 *   f(a, b, attr: value)         any registered op, attributes by name (attr=value
 *                                also works, and needs no quotes in YAML)
 *   numbers are scalar constants; names are the input, parameters,
 *   <state>_prev and other equations. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cell_compile.h"
#include "yaml/diag.h"

typedef struct eq {
    yheap *h;
    const yctx *ctx;
    const ynode *at;     /* the equation's scalar */
    const char *s;       /* its text, hyper references replaced */
    size_t i;
    bool exact;          /* offsets in s are offsets in the file's line */
    size_t lead;         /* bytes before the value in the file (an opening quote) */
    rw_status st;
} eq;

static ynode *scalar(eq *e, const char *text, size_t pos, size_t len)
{
    ynode *n = rwi_ynode_new(e->h, Y_SCALAR, e->at->src, e->at->line, e->at->col, text);
    if (!n) {
        e->st = RW_ERR_NOMEM;
        return NULL;
    }
    n->start = e->at->start;
    n->end = e->at->end;
    if (e->exact) {
        n->col = e->at->col + (int)(e->lead + pos);
        n->start = e->at->start + e->lead + pos;
        n->end = n->start + (len ? len : 1);
    }
    return n;
}

static ynode *key(eq *e, const char *k)
{
    ynode *n = rwi_ynode_new(e->h, Y_SCALAR, e->at->src, e->at->line, e->at->col, k);
    if (!n)
        e->st = RW_ERR_NOMEM;
    else
        n->start = n->end = e->at->start;
    return n;
}

static rw_status put(eq *e, ynode *map, const char *k, ynode *v)
{
    ynode *kn = key(e, k);
    if (!kn || !v || rwi_ynode_append(map, kn, v) != RW_OK)
        return e->st = e->st != RW_OK ? e->st : RW_ERR_NOMEM;
    return RW_OK;
}

/* {op: <op>, in: [ins...]} with the op's name positioned at pos. */
static ynode *call(eq *e, const char *op, size_t pos, size_t len, ynode *const *ins, int n)
{
    ynode *map = rwi_ynode_new(e->h, Y_MAP, e->at->src, e->at->line, e->at->col, NULL);
    ynode *list = rwi_ynode_new(e->h, Y_SEQ, e->at->src, e->at->line, e->at->col, NULL);
    if (!map || !list) {
        e->st = RW_ERR_NOMEM;
        return NULL;
    }
    map->start = list->start = e->at->start;
    for (int i = 0; i < n; i++)
        if (!ins[i] || rwi_ynode_append(list, NULL, ins[i]) != RW_OK)
            return NULL;
    ynode *opn = scalar(e, op, pos, len);
    if (opn) { /* an arity error points at the function's name */
        list->col = opn->col;
        list->start = opn->start;
    }
    if (put(e, map, "op", opn) != RW_OK || put(e, map, "in", list) != RW_OK)
        return NULL;
    return map;
}

static rw_status syntax(eq *e, const char *what)
{
    if (e->st == RW_OK) {
        ynode *at = scalar(e, "", e->i, 1);
        e->st = at ? rwi_ydiag(RW_ERR_FORMAT, at, "equation: %s at character %zu of \"%s\"", what, e->i + 1, e->s)
                   : RW_ERR_NOMEM;
    }
    return e->st;
}

static void skip(eq *e)
{
    while (e->s[e->i] == ' ' || e->s[e->i] == '\t' || e->s[e->i] == '\n')
        e->i++;
}

static ynode *expr(eq *e);

static size_t ident_len(const char *s)
{
    size_t n = 0;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_' || (s[n] == '.' && isalpha((unsigned char)s[n + 1])))
        n++;
    return n;
}

/* f(args): positional inputs, then `name: value` or `name=value` attributes (value: raw text
 * up to the next top-level ',' or ')', parsed later as a size expression). */
static ynode *function(eq *e, const char *name, size_t pos, size_t len)
{
    ynode *ins[YC_MAX_INPUTS];
    int n = 0;
    ynode *attrs = rwi_ynode_new(e->h, Y_MAP, e->at->src, e->at->line, e->at->col, NULL);
    if (!attrs)
        return e->st = RW_ERR_NOMEM, NULL;
    e->i++; /* '(' */
    skip(e);
    while (e->st == RW_OK && e->s[e->i] != ')') {
        size_t il = ident_len(e->s + e->i), j = e->i + il;
        while (e->s[j] == ' ')
            j++;
        if (il && (e->s[j] == ':' || (e->s[j] == '=' && e->s[j + 1] != '='))) { /* an attribute */
            char an[64], val[256];
            snprintf(an, sizeof an, "%.*s", (int)(il < 63 ? il : 63), e->s + e->i);
            size_t v = j + 1, k;
            int depth = 0;
            while (e->s[v] == ' ')
                v++;
            for (k = v; e->s[k] && !(depth == 0 && (e->s[k] == ',' || e->s[k] == ')')); k++)
                depth += e->s[k] == '(' ? 1 : e->s[k] == ')' ? -1 : 0;
            size_t vl = k - v;
            while (vl && e->s[v + vl - 1] == ' ')
                vl--;
            snprintf(val, sizeof val, "%.*s", (int)(vl < 255 ? vl : 255), e->s + v);
            ynode *kn = scalar(e, an, e->i, il);
            ynode *vn = scalar(e, val, v, vl);
            if (!kn || !vn || rwi_ynode_append(attrs, kn, vn) != RW_OK)
                return e->st = e->st != RW_OK ? e->st : RW_ERR_NOMEM, NULL;
            e->i = k;
        } else {
            if (attrs->n)
                return syntax(e, "inputs come before attributes"), NULL;
            if (n == YC_MAX_INPUTS)
                return syntax(e, "too many inputs"), NULL;
            if (!(ins[n++] = expr(e)))
                return NULL;
        }
        skip(e);
        if (e->s[e->i] == ',') {
            e->i++;
            skip(e);
        } else if (e->s[e->i] != ')') {
            return syntax(e, "expected ',' or ')'"), NULL;
        }
    }
    if (e->st != RW_OK)
        return NULL;
    e->i++; /* ')' */
    ynode *node = call(e, name, pos, len, ins, n);
    for (int i = 0; node && i < attrs->n; i++)
        if (rwi_ynode_append(node, attrs->keys[i], attrs->vals[i]) != RW_OK)
            return e->st = RW_ERR_NOMEM, NULL;
    return node;
}

static ynode *primary(eq *e)
{
    skip(e);
    const char *s = e->s + e->i;
    size_t pos = e->i;
    if (*s == '(') {
        e->i++;
        ynode *n = expr(e);
        skip(e);
        if (n && e->s[e->i] != ')')
            return syntax(e, "expected ')'"), NULL;
        e->i++;
        return n;
    }
    if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
        char *end;
        strtod(s, &end);
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(end - s < 63 ? end - s : 63), s);
        e->i += (size_t)(end - s);
        return scalar(e, num, pos, (size_t)(end - s));
    }
    size_t len = ident_len(s);
    if (!len)
        return syntax(e, *s ? "unexpected character" : "unexpected end"), NULL;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(len < 127 ? len : 127), s);
    e->i += len;
    skip(e);
    if (e->s[e->i] == '(')
        return function(e, name, pos, len);
    return scalar(e, name, pos, len);
}

static ynode *unary(eq *e)
{
    skip(e);
    if (e->s[e->i] != '-')
        return primary(e);
    size_t pos = e->i++;
    skip(e);
    if (isdigit((unsigned char)e->s[e->i])) { /* a negative number */
        e->i = pos;
        char *end;
        double v = strtod(e->s + pos, &end);
        (void)v;
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(end - (e->s + pos) < 63 ? end - (e->s + pos) : 63), e->s + pos);
        e->i = (size_t)(end - e->s);
        return scalar(e, num, pos, (size_t)(end - (e->s + pos)));
    }
    ynode *x = unary(e);
    return x ? call(e, "neg", pos, 1, &x, 1) : NULL;
}

static ynode *binary(eq *e, int level)
{
    ynode *a = level ? binary(e, 0) : unary(e);
    for (;;) {
        skip(e);
        char c = e->s[e->i];
        bool ours = level ? (c == '+' || c == '-') : (c == '*' || c == '/' || c == '@');
        if (!a || !ours || e->st != RW_OK)
            return a;
        size_t pos = e->i++;
        ynode *b = level ? binary(e, 0) : unary(e);
        if (!b)
            return NULL;
        if (c == '@') { /* W @ x: x W^T for rows */
            ynode *ins[2] = { b, a };
            ynode *m = call(e, "matmul", pos, 1, ins, 2);
            if (!m || put(e, m, "transpose_b", scalar(e, "true", pos, 1)) != RW_OK)
                return NULL;
            a = m;
            continue;
        }
        const char *op = c == '+' ? "add" : c == '-' ? "sub" : c == '*' ? "mul" : "div";
        ynode *ins[2] = { a, b };
        a = call(e, op, pos, 1, ins, 2);
    }
}

static ynode *expr(eq *e) { return binary(e, 1); }

/* One equation `name: "expression"` as a node mapping with that name. */
static ynode *equation(yheap *h, const yctx *ctx, const ynode *k, const ynode *v)
{
    char text[Y_TEXT_MAX];
    if (rwi_ys_expect(v, Y_SCALAR, k->str) != RW_OK || rwi_ys_text(ctx, v, k->str, text, sizeof text, NULL) != RW_OK)
        return NULL;
    eq e = { .h = h, .ctx = ctx, .at = v, .s = text };
    const char *raw = v->src->text + v->start;
    e.lead = v->plain ? 0 : 1;
    e.exact = !strstr(v->str, "${") && !strchr(text, '\n') && v->end >= v->start &&
              (v->plain || ((raw[0] == '"' && !strchr(v->str, '\\') && !memchr(raw + 1, '\\', v->end - v->start)) ||
                            (raw[0] == '\'' && !strchr(v->str, '\''))));
    ynode *n = expr(&e);
    skip(&e);
    if (n && e.st == RW_OK && e.s[e.i])
        syntax(&e, "unexpected character");
    if (!n || e.st != RW_OK)
        return NULL;
    if (n->kind == Y_SCALAR) { /* a plain name or number: h = z is h = 1 * z */
        ynode *m = call(&e, "scale", 0, 0, &n, 1);
        if (!m || put(&e, m, "factor", scalar(&e, "1", 0, 0)) != RW_OK)
            return NULL;
        n = m;
    }
    ynode *name = rwi_ynode_new(h, Y_SCALAR, k->src, k->line, k->col, k->str);
    if (!name || put(&e, n, "name", name) != RW_OK)
        return NULL;
    n->line = k->line;
    n->col = k->col;
    n->start = k->start;
    return n;
}

rw_status rwi_yc_equations_to_nodes(yheap *h, const yctx *ctx, const ynode *eqs, ynode **out)
{
    if (rwi_ys_expect(eqs, Y_MAP, "equations") != RW_OK)
        return RW_ERR_FORMAT;
    ynode *list = rwi_ynode_new(h, Y_SEQ, eqs->src, eqs->line, eqs->col, NULL);
    if (!list)
        return RW_ERR_NOMEM;
    list->start = eqs->start;
    for (int i = 0; i < eqs->n; i++) {
        ynode *n = equation(h, ctx, eqs->keys[i], eqs->vals[i]);
        if (!n)
            return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_FORMAT;
        if (rwi_ynode_append(list, NULL, n) != RW_OK)
            return RW_ERR_NOMEM;
    }
    *out = list;
    return RW_OK;
}
