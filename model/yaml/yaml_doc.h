/* Internal: a YAML document read with libyaml into a small tree whose every
 * node knows its file, line and column, so the schema can say exactly where
 * a definition is wrong. Pure data: explicit tags are rejected, anchors and
 * aliases are allowed up to an expansion cap, duplicate keys are errors,
 * and the YAML 1.1 merge key `<<` is honoured. */
#ifndef RW_MODEL_YAML_DOC_H
#define RW_MODEL_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include "rewind/error.h"

/* The text of one source: a file, a string, or "<command line>". */
typedef struct ysrc {
    char *name;        /* shown in messages */
    char *text;        /* the raw bytes, NUL-terminated */
    size_t len;
    int line_offset;   /* added to every line (0 for files) */
    int col_offset;    /* added to columns on the first line (command-line values) */
    bool quiet;        /* messages give positions but never quote the text (an include not yet
                          known to be a rewind file: it could be any file, e.g. /etc/shadow) */
    struct ysrc *next; /* every source of one load, freed together */
} ysrc;

typedef enum ykind { Y_SCALAR, Y_MAP, Y_SEQ } ykind;

typedef struct ynode {
    ykind kind;
    const ysrc *src;
    int line, col;            /* 1-based position of the node's first character */
    size_t start, end;        /* byte offsets of the node in src->text */
    char *str;                /* scalar: the value (NUL-terminated) */
    bool plain;               /* scalar: written without quotes (may be a number, bool or null) */
    int n, cap;               /* map entries or sequence items */
    struct ynode **keys;      /* map: keys[i] (scalars) -> vals[i] */
    struct ynode **vals;      /* map values or sequence items */
    size_t expanded;          /* nodes in this subtree with aliases expanded */
    struct ynode *all_next;   /* every node of a heap, for freeing */
} ynode;

/* Owns every node and source of one load (documents, includes, overrides). */
typedef struct yheap {
    ynode *nodes;
    ysrc *srcs;
    size_t alias_cap;         /* the most nodes a document may expand to */
} yheap;

#define Y_DEFAULT_ALIAS_CAP 100000

/* Registers a source (copies name and text). NULL on allocation failure. */
ysrc *rwi_yheap_source(yheap *h, const char *name, const char *text, size_t len);
/* Parses one document from src into a tree. NULL with an
 * "name:line:col: error: ..." message (RW_ERR_FORMAT) on any problem. */
ynode *rwi_yparse(yheap *h, const ysrc *src);
/* A new node owned by the heap (scalars copy `str`). */
ynode *rwi_ynode_new(yheap *h, ykind kind, const ysrc *src, int line, int col, const char *str);
/* Appends an entry to a map (key must be a scalar) or an item to a sequence. */
rw_status rwi_ynode_append(ynode *container, ynode *key, ynode *val);
void rwi_yheap_free(yheap *h);

/* The value of `key` in a map, or NULL (also when n is not a map). */
ynode *rwi_ymap_get(const ynode *map, const char *key);
/* The key node of `key` in a map, or NULL. */
const ynode *rwi_ymap_key(const ynode *map, const char *key);
/* A plain null: empty, "~", "null" or "Null"/"NULL". */
bool rwi_yis_null(const ynode *n);
/* "a mapping", "a sequence", "string \"x\"", "number 3", "null", ... */
const char *rwi_ydescribe(const ynode *n, char *buf, size_t len);

#endif
