/* model/yaml/ - the YAML side of model files, independent of what a model
 * is: the document tree whose nodes know their file, line and column
 * (yaml_doc), GCC-style positioned diagnostics with "did you mean"
 * (diag), and strict typed values with ${hyper} references and size
 * expressions (schema).
 *
 * A YAML document read with libyaml's event parser into a tree of nodes that
 * remember where they came from. libyaml does the syntax; this file adds the
 * rules that make a model file plain data: no tags, a cap on alias expansion
 * (an "alias bomb" of nested references cannot blow up memory or time),
 * no duplicate keys (libyaml accepts them), one document per file. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "rewind_internal/alloc.h"
#include "diag.h"
#include "yaml_doc.h"
#include "yhash.h"

#define Y_MAX_DEPTH 64

ysrc *rwi_yheap_source(yheap *h, const char *name, const char *text, size_t len)
{
    ysrc *s = rwi_calloc(1, sizeof *s, "a model source");
    if (!s)
        return NULL;
    s->name = rwi_strdup(name, "a model source name");
    s->text = rwi_malloc(len + 1, "a model source text");
    if (!s->name || !s->text) {
        rwi_free(s->name);
        rwi_free(s->text);
        rwi_free(s);
        return NULL;
    }
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
    s->next = h->srcs;
    h->srcs = s;
    return s;
}

ynode *rwi_ynode_new(yheap *h, ykind kind, const ysrc *src, int line, int col, const char *str)
{
    ynode *n = rwi_calloc(1, sizeof *n, "a YAML node");
    if (!n)
        return NULL;
    n->kind = kind;
    n->src = src;
    n->line = line;
    n->col = col;
    n->expanded = 1;
    n->plain = true;
    if (kind == Y_SCALAR && !(n->str = rwi_strdup(str ? str : "", "a YAML scalar"))) {
        rwi_free(n);
        return NULL;
    }
    n->all_next = h->nodes;
    h->nodes = n;
    return n;
}

rw_status rwi_ynode_append(ynode *c, ynode *key, ynode *val)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 4;
        ynode **vals = rwi_realloc(c->vals, (size_t)cap * sizeof *vals, "YAML items");
        if (!vals)
            return RW_ERR_NOMEM;
        c->vals = vals;
        if (c->kind == Y_MAP) {
            ynode **keys = rwi_realloc(c->keys, (size_t)cap * sizeof *keys, "YAML keys");
            if (!keys)
                return RW_ERR_NOMEM;
            c->keys = keys;
        }
        c->cap = cap;
    }
    if (c->kind == Y_MAP)
        c->keys[c->n] = key;
    c->vals[c->n++] = val;
    return RW_OK;
}

void rwi_yheap_free(yheap *h)
{
    if (!h)
        return;
    for (ynode *n = h->nodes, *next; n; n = next) {
        next = n->all_next;
        rwi_free(n->str);
        rwi_free(n->keys);
        rwi_free(n->vals);
        rwi_free(n);
    }
    for (ysrc *s = h->srcs, *next; s; s = next) {
        next = s->next;
        rwi_free(s->name);
        rwi_free(s->text);
        rwi_free(s);
    }
    h->nodes = NULL;
    h->srcs = NULL;
}

ynode *rwi_ymap_get(const ynode *map, const char *key)
{
    if (!map || map->kind != Y_MAP)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->vals[i];
    return NULL;
}

const ynode *rwi_ymap_key(const ynode *map, const char *key)
{
    if (!map || map->kind != Y_MAP)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->keys[i];
    return NULL;
}

bool rwi_yis_null(const ynode *n)
{
    return n && n->kind == Y_SCALAR && n->plain &&
           (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
            !strcmp(n->str, "NULL"));
}

const char *rwi_ydescribe(const ynode *n, char *buf, size_t len)
{
    if (!n) {
        snprintf(buf, len, "nothing");
    } else if (n->kind == Y_MAP) {
        snprintf(buf, len, "a mapping");
    } else if (n->kind == Y_SEQ) {
        snprintf(buf, len, "a list");
    } else if (rwi_yis_null(n)) {
        snprintf(buf, len, "null (no value)");
    } else {
        char *end = NULL;
        const char *kind = "string";
        if (n->plain) {
            (void)strtod(n->str, &end);
            if (end && end != n->str && !*end)
                kind = "number";
            else if (!strcmp(n->str, "true") || !strcmp(n->str, "false"))
                kind = "boolean";
        }
        if (strcmp(kind, "string") == 0)
            snprintf(buf, len, "string \"%.60s%s\"", n->str, strlen(n->str) > 60 ? "..." : "");
        else
            snprintf(buf, len, "%s %.60s", kind, n->str);
    }
    return buf;
}

/* ---- the event parser ------------------------------------------------------ */

typedef struct anchor {
    char *name;
    ynode *node;    /* NULL while the anchored node is still being read */
} anchor;

typedef struct yparser {
    yaml_parser_t p;
    yheap *h;
    const ysrc *src;
    anchor *anchors;
    int n_anchors, cap_anchors;
    yhash anchor_index; /* name -> 1 + index in anchors (the latest definition) */
    yhash keys;         /* (mapping, key) -> key node: duplicate checks in constant time */
    size_t total;   /* nodes of the document so far, aliases expanded */
} yparser;

static rw_status event_error(yparser *y, const yaml_event_t *ev, const char *fmt, const char *arg)
{
    return rwi_ydiag_at(RW_ERR_FORMAT, y->src, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                    ev->start_mark.index, ev->end_mark.index, fmt, arg);
}

static rw_status syntax_error(yparser *y)
{
    const yaml_parser_t *p = &y->p;
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    char what[320];
    if (p->problem && p->context)
        snprintf(what, sizeof what, "%s %s (which starts at line %d, column %d)", p->problem, p->context,
                 (int)p->context_mark.line + 1 + y->src->line_offset, (int)p->context_mark.column + 1);
    else
        snprintf(what, sizeof what, "%s", p->problem ? p->problem : p->context ? p->context : "unreadable YAML");
    return rwi_ydiag_at(RW_ERR_FORMAT, y->src, (int)m->line + 1, (int)m->column + 1, m->index, m->index + 1,
                    "YAML syntax: %s", what);
}

static rw_status next_event(yparser *y, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&y->p, ev))
        return syntax_error(y);
    return RW_OK;
}

/* The tag as written (e.g. "!!python/object/apply"), read back from the text. */
static rw_status tag_error(yparser *y, const yaml_event_t *ev)
{
    const char *t = y->src->text + ev->start_mark.index;
    const char *bang = strchr(t, '!');
    char raw[96] = "!";
    if (bang) {
        size_t n = strcspn(bang, " \t\r\n,]}");
        snprintf(raw, sizeof raw, "%.*s", (int)(n < 90 ? n : 90), bang);
    }
    return event_error(y, ev, "YAML tags are not allowed ('%s'); rewind files are plain data", raw);
}

static const char *event_tag(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return (const char *)ev->data.scalar.tag;
    case YAML_SEQUENCE_START_EVENT: return (const char *)ev->data.sequence_start.tag;
    case YAML_MAPPING_START_EVENT: return (const char *)ev->data.mapping_start.tag;
    default: return NULL;
    }
}

static const char *event_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return (const char *)ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT: return (const char *)ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT: return (const char *)ev->data.mapping_start.anchor;
    default: return NULL;
    }
}

static anchor *find_anchor(yparser *y, const char *name)
{
    uintptr_t i = (uintptr_t)rwi_yhash_get(&y->anchor_index, NULL, name);
    return i ? &y->anchors[i - 1] : NULL;
}

/* Returns the new anchor's index (anchors may move when the array grows), or -1. */
static int add_anchor(yparser *y, const char *name)
{
    if (y->n_anchors == y->cap_anchors) {
        int cap = y->cap_anchors ? y->cap_anchors * 2 : 8;
        anchor *a = rwi_realloc(y->anchors, (size_t)cap * sizeof *a, "YAML anchors");
        if (!a)
            return -1;
        y->anchors = a;
        y->cap_anchors = cap;
    }
    anchor *a = &y->anchors[y->n_anchors];
    if (!(a->name = rwi_strdup(name, "a YAML anchor")))
        return -1;
    a->node = NULL;
    if (rwi_yhash_put(&y->anchor_index, NULL, a->name, (void *)(uintptr_t)(y->n_anchors + 1)) != RW_OK) {
        rwi_free(a->name);
        return -1;
    }
    return y->n_anchors++;
}

/* Appends key -> val to a mapping being read, indexing the key. */
static rw_status map_append(yparser *y, ynode *map, ynode *key, ynode *val)
{
    if (rwi_yhash_put(&y->keys, map, key->str, key) != RW_OK || rwi_ynode_append(map, key, val) != RW_OK)
        return RW_ERR_NOMEM;
    return RW_OK;
}

static rw_status parse_node(yparser *y, yaml_event_t *ev, int depth, ynode **out);

static rw_status merge_into(yparser *y, ynode *map, const ynode *from)
{
    for (int i = 0; i < from->n; i++)
        if (!rwi_yhash_get(&y->keys, map, from->keys[i]->str) &&
            map_append(y, map, from->keys[i], from->vals[i]) != RW_OK)
            return RW_ERR_NOMEM;
    return RW_OK;
}

/* Applies `<<: *base` (or a list of them) after the map's own keys, which win. */
static rw_status apply_merges(yparser *y, ynode *map, ynode **merges, int n_merges)
{
    for (int k = 0; k < n_merges; k++) {
        ynode *m = merges[k];
        if (m->kind == Y_MAP) {
            if (merge_into(y, map, m) != RW_OK)
                return RW_ERR_NOMEM;
            continue;
        }
        for (int i = 0; m->kind == Y_SEQ && i < m->n; i++) {
            if (m->vals[i]->kind != Y_MAP)
                return rwi_ydiag(RW_ERR_FORMAT, m->vals[i], "'<<' merges mappings; this item is not one");
            if (merge_into(y, map, m->vals[i]) != RW_OK)
                return RW_ERR_NOMEM;
        }
        if (m->kind == Y_SCALAR)
            return rwi_ydiag(RW_ERR_FORMAT, m, "'<<' merges a mapping (or a list of mappings), e.g. '<<: *defaults'");
    }
    return RW_OK;
}

static rw_status parse_map(yparser *y, ynode *map, int depth)
{
    ynode *merges[8];
    int n_merges = 0;
    for (;;) {
        yaml_event_t ev;
        if (next_event(y, &ev) != RW_OK)
            return RW_ERR_FORMAT;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            map->end = ev.end_mark.index;
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
            rw_status s = event_error(y, &ev, "mapping keys must be plain strings%s", "");
            yaml_event_delete(&ev);
            return s;
        }
        ynode *key = NULL, *val = NULL;
        rw_status s = parse_node(y, &ev, depth + 1, &key);
        if (s != RW_OK)
            return s;
        if (key->kind != Y_SCALAR)
            return rwi_ydiag(RW_ERR_FORMAT, key, "mapping keys must be plain strings");
        if (next_event(y, &ev) != RW_OK || parse_node(y, &ev, depth + 1, &val) != RW_OK)
            return RW_ERR_FORMAT;
        if (key->plain && strcmp(key->str, "<<") == 0) {
            if (n_merges == (int)(sizeof merges / sizeof merges[0]))
                return rwi_ydiag(RW_ERR_FORMAT, key, "too many '<<' merge keys in one mapping");
            merges[n_merges++] = val;
            continue;
        }
        const ynode *first = rwi_yhash_get(&y->keys, map, key->str);
        if (first) {
            char where[256];
            return rwi_ydiag_note(RW_ERR_FORMAT, key, first, "first defined here", "duplicate key '%s' (first at %s)",
                              key->str, rwi_ywhere(first, where, sizeof where));
        }
        if (map_append(y, map, key, val) != RW_OK)
            return RW_ERR_NOMEM;
    }
    return apply_merges(y, map, merges, n_merges);
}

static rw_status parse_seq(yparser *y, ynode *seq, int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(y, &ev) != RW_OK)
            return RW_ERR_FORMAT;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            seq->end = ev.end_mark.index;
            yaml_event_delete(&ev);
            return RW_OK;
        }
        ynode *item = NULL;
        if (parse_node(y, &ev, depth + 1, &item) != RW_OK)
            return RW_ERR_FORMAT;
        if (rwi_ynode_append(seq, NULL, item) != RW_OK)
            return RW_ERR_NOMEM;
    }
}

static rw_status count_node(yparser *y, const yaml_event_t *ev, size_t n)
{
    y->total += n;
    if (y->total > y->h->alias_cap)
        return rwi_ydiag_at(RW_ERR_FORMAT, y->src, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                        ev->start_mark.index, ev->end_mark.index, "aliases expand the document to more than %zu "
                        "nodes; rewind refuses such files (an alias bomb?)", y->h->alias_cap);
    return RW_OK;
}

/* Reads the node that starts with *ev (which this function deletes). */
static rw_status parse_node(yparser *y, yaml_event_t *ev, int depth, ynode **out)
{
    rw_status s = RW_OK;
    if (depth > Y_MAX_DEPTH) {
        s = event_error(y, ev, "nesting deeper than %s levels", "64");
        goto done;
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        const char *name = (const char *)ev->data.alias.anchor;
        anchor *a = find_anchor(y, name);
        if (!a)
            s = event_error(y, ev, "unknown anchor '*%s' (define it with '&name' before using it)", name);
        else if (!a->node)
            s = event_error(y, ev, "alias '*%s' refers to a node that contains it", name);
        else if ((s = count_node(y, ev, a->node->expanded)) == RW_OK)
            *out = a->node;
        goto done;
    }
    if (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_MAPPING_START_EVENT &&
        ev->type != YAML_SEQUENCE_START_EVENT) {
        s = event_error(y, ev, "unexpected YAML event%s", "");
        goto done;
    }
    if (event_tag(ev)) {
        s = tag_error(y, ev);
        goto done;
    }
    if ((s = count_node(y, ev, 1)) != RW_OK)
        goto done;
    ykind kind = ev->type == YAML_SCALAR_EVENT ? Y_SCALAR : ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
    int line = (int)ev->start_mark.line + 1 + y->src->line_offset;
    int col = (int)ev->start_mark.column + 1 + (ev->start_mark.line == 0 ? y->src->col_offset : 0);
    if (kind == Y_SCALAR && memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
        s = event_error(y, ev, "a string holds a NUL character%s", "");
        goto done;
    }
    ynode *n = rwi_ynode_new(y->h, kind, y->src, line, col, kind == Y_SCALAR ? (const char *)ev->data.scalar.value : NULL);
    if (!n) {
        s = RW_ERR_NOMEM;
        goto done;
    }
    n->start = ev->start_mark.index;
    n->end = ev->end_mark.index;
    if (kind == Y_SCALAR)
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    int a = -1;
    if (event_anchor(ev) && (a = add_anchor(y, event_anchor(ev))) < 0) {
        s = RW_ERR_NOMEM;
        goto done;
    }
    yaml_event_delete(ev);
    if (kind == Y_MAP)
        s = parse_map(y, n, depth);
    else if (kind == Y_SEQ)
        s = parse_seq(y, n, depth);
    if (s != RW_OK)
        return s;
    for (int i = 0; i < n->n; i++)
        n->expanded += n->vals[i]->expanded + (kind == Y_MAP ? 1 : 0);
    if (a >= 0)
        y->anchors[a].node = n;
    *out = n;
    return RW_OK;
done:
    yaml_event_delete(ev);
    return s;
}

ynode *rwi_yparse(yheap *h, const ysrc *src)
{
    yparser y = { .h = h, .src = src };
    if (!h->alias_cap)
        h->alias_cap = Y_DEFAULT_ALIAS_CAP;
    if (!yaml_parser_initialize(&y.p)) {
        rw_error(RW_ERR_NOMEM, "%s: cannot initialize the YAML parser", src->name);
        return NULL;
    }
    yaml_parser_set_input_string(&y.p, (const unsigned char *)src->text, src->len);
    ynode *root = NULL;
    yaml_event_t ev;
    rw_status s = RW_OK;
    bool in_doc = false;
    while (s == RW_OK && (s = next_event(&y, &ev)) == RW_OK) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT && root) {
            s = event_error(&y, &ev, "a rewind file holds one YAML document; a second one starts here%s", "");
        } else if (t == YAML_DOCUMENT_START_EVENT || t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_START_EVENT) {
            in_doc = t == YAML_DOCUMENT_START_EVENT;
        } else if (in_doc) {
            s = parse_node(&y, &ev, 0, &root);
            continue; /* parse_node deleted the event */
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&y.p);
    for (int i = 0; i < y.n_anchors; i++)
        rwi_free(y.anchors[i].name);
    rwi_free(y.anchors);
    rwi_yhash_free(&y.anchor_index);
    rwi_yhash_free(&y.keys);
    if (s != RW_OK)
        return NULL;
    if (!root) {
        rwi_ydiag_at(RW_ERR_FORMAT, src, 1 + src->line_offset, 1 + src->col_offset, 0, 0,
                 "empty document: expected a mapping that starts with 'format: rewind/1'");
        return NULL;
    }
    return root;
}
