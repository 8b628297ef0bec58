/* model/build/ - from a parsed model file to rewind objects: loading
 * (model), the model:, train:, data:, generate: and regularize: sections
 * (layers_parse, config), the data they name, read with data/ (data,
 * files, data_source, vocab), building the layers (build), the forward
 * pass, loss and sampling (forward), and the optimizer and training options
 * (train_setup).
 *
 * Loading a model file: the document, command-line overrides, the top-level
 * keys, includes and cells; then the sections, the data and the build. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "model_internal.h"

static const char *const top_keys[] = { "format", "name", "description", "include", "hyper", "cells", "model",
                                        "data", "train", "generate", "regularize", "ops", "plugins", NULL };
static const char *const include_keys[] = { "format", "name", "description", "include", "hyper", "cells", NULL };

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return rwi_strdup(".", "a directory");
    if (slash == path)
        return rwi_strdup("/", "a directory");
    char *d = rwi_malloc((size_t)(slash - path) + 1, "a directory");
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

ycell *rwi_mfind_cell(const rw_model *m, const char *name)
{
    for (int i = 0; i < m->n_cells; i++)
        if (strcmp(m->cells[i]->name, name) == 0)
            return m->cells[i];
    return NULL;
}

/* ---- command-line overrides ------------------------------------------------------ */

static rw_status apply_override(rw_model *m, ynode *root, const char *text)
{
    const char *eq = strchr(text, '=');
    ysrc *whole = rwi_yheap_source(&m->heap, "<command line>", text, strlen(text));
    if (!whole)
        return RW_ERR_NOMEM;
    if (!eq || eq == text)
        return rwi_ydiag_at(RW_ERR_FORMAT, whole, 1, 1, 0, strlen(text), "a setting is written path=value, e.g. "
                        "train.optimizer.lr=1e-3");
    ysrc *vsrc = rwi_yheap_source(&m->heap, "<command line>", eq + 1, strlen(eq + 1));
    if (!vsrc)
        return RW_ERR_NOMEM;
    vsrc->col_offset = (int)(eq - text) + 1;
    ynode *value = rwi_yparse(&m->heap, vsrc);
    if (!value)
        return RW_ERR_FORMAT;
    ynode *at = root;
    for (const char *p = text; p < eq;) {
        const char *dot = memchr(p, '.', (size_t)(eq - p));
        const char *end = dot ? dot : eq;
        char comp[128];
        snprintf(comp, sizeof comp, "%.*s", (int)(end - p < 127 ? end - p : 127), p);
        int col = (int)(p - text) + 1;
        ynode *key = rwi_ynode_new(&m->heap, Y_SCALAR, whole, 1, col, comp);
        if (!key)
            return RW_ERR_NOMEM;
        key->start = (size_t)(p - text);
        key->end = (size_t)(end - text);
        if (!comp[0])
            return rwi_ydiag(RW_ERR_FORMAT, key, "empty name in the path of a setting");
        bool last = !dot;
        if (at->kind == Y_SEQ) {
            char *e;
            long i = strtol(comp, &e, 10);
            if (*e || i < 0 || i >= at->n)
                return rwi_ydiag(RW_ERR_FORMAT, key, "'%s' is a list of %d items: expected an index 0..%d", comp, at->n,
                             at->n - 1);
            if (last)
                at->vals[i] = value;
            at = at->vals[i];
        } else if (at->kind == Y_MAP) {
            ynode *child = rwi_ymap_get(at, comp);
            if (!child) {
                child = last ? value : rwi_ynode_new(&m->heap, Y_MAP, whole, 1, col, NULL);
                if (!child || rwi_ynode_append(at, key, child) != RW_OK)
                    return RW_ERR_NOMEM;
            } else if (last) {
                for (int i = 0; i < at->n; i++)
                    if (strcmp(at->keys[i]->str, comp) == 0)
                        at->vals[i] = value;
            }
            at = last ? value : child;
        } else {
            return rwi_ydiag(RW_ERR_FORMAT, key, "cannot set '%s': what holds it is a single value, not a mapping",
                         comp);
        }
        p = dot ? dot + 1 : eq;
    }
    return RW_OK;
}

/* ---- top level, hyper, includes, cells --------------------------------------------- */

static rw_status check_format(const ynode *root)
{
    const ynode *f = rwi_ymap_get(root, "format");
    if (!f)
        return rwi_ydiag(RW_ERR_FORMAT, root, "missing 'format: rewind/1' (every rewind file names its format version)");
    if (f->kind != Y_SCALAR || strcmp(f->str, "rewind/1") != 0) {
        char got[128];
        return rwi_ydiag(RW_ERR_FORMAT, f, "unsupported format %s (this library reads 'rewind/1')",
                     rwi_ydescribe(f, got, sizeof got));
    }
    return RW_OK;
}

static rw_status check_hyper(const ynode *hyper)
{
    if (rwi_ys_expect(hyper, Y_MAP, "hyper") != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < hyper->n; i++) {
        const ynode *v = hyper->vals[i];
        if (v->kind != Y_SCALAR || rwi_yis_null(v))
            return rwi_ydiag(RW_ERR_FORMAT, v, "hyper-parameter '%s' must be a number or a string", hyper->keys[i]->str);
        if (strstr(v->str, "${"))
            return rwi_ydiag(RW_ERR_FORMAT, v, "hyper-parameter '%s' cannot refer to another one", hyper->keys[i]->str);
    }
    return RW_OK;
}

static rw_status load_doc(rw_model *m, const ynode *root, const char *dir, int depth, bool main);

static rw_status add_cells(rw_model *m, const yctx *ctx, const ynode *cells)
{
    if (rwi_ys_expect(cells, Y_MAP, "cells") != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < cells->n; i++) {
        const char *name = cells->keys[i]->str;
        ycell *prev = rwi_mfind_cell(m, name);
        if (prev)
            return rwi_ydiag_note(RW_ERR_FORMAT, cells->keys[i], prev->at, "the first definition", "cell '%s' is "
                              "defined twice", name);
        if (m->n_cells == M_MAX_CELLS)
            return rwi_ydiag(RW_ERR_FORMAT, cells->keys[i], "too many cells (at most %d)", M_MAX_CELLS);
        ycell *c = rwi_ycell_compile(&m->heap, ctx, name, cells->keys[i], cells->vals[i]);
        if (!c)
            return rw_last_status();
        m->cell_ctx[m->n_cells] = *ctx;
        m->cells[m->n_cells++] = c;
    }
    return RW_OK;
}

/* "a.yaml -> b.yaml -> c.yaml": the includes being read, for limit errors. */
static const char *include_chain(const rw_model *m, int depth, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < depth && at < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i ? " -> " : "", m->include_chain[i]);
        at += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* An include that is not a rewind file: where, but nothing of its text (it
 * could be any file, e.g. /etc/shadow). `root` is what parsed, or NULL when
 * the YAML parse failed (its message then holds the position). */
static rw_status not_a_rewind_file(const ysrc *src, const ynode *root, const char *rel)
{
    char where[Y_TEXT_MAX + 600];
    const char *msg = rw_last_error(), *cut = strstr(msg, ": error: ");
    if (root)
        snprintf(where, sizeof where, "%s:%d:%d", src->name, root->line, root->col);
    else if (cut && strncmp(msg, src->name, strlen(src->name)) == 0)
        snprintf(where, sizeof where, "%.*s", (int)(cut - msg), msg);
    else
        snprintf(where, sizeof where, "%s", src->name);
    return rw_error(RW_ERR_FORMAT, "%s: error: cannot include '%s': not a rewind file (an included file is a YAML "
                    "mapping that starts with 'format: rewind/1')", where, rel);
}

static bool is_rewind_file(const ynode *root)
{
    const ynode *f = rwi_ymap_get(root, "format");
    return f && f->kind == Y_SCALAR && strcmp(f->str, "rewind/1") == 0;
}

static rw_status include_file(rw_model *m, const ynode *item, const char *dir, int depth)
{
    char rel[Y_TEXT_MAX], path[Y_TEXT_MAX + 512], chain[2048];
    if (rwi_ys_text(&m->ctx, item, "include", rel, sizeof rel, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    if (depth >= M_MAX_INCLUDE_DEPTH)
        return rwi_ydiag(RW_ERR_FORMAT, item, "includes nest deeper than %d files (do two files include each other?); "
                     "included through %s", M_MAX_INCLUDE_DEPTH, include_chain(m, depth, chain, sizeof chain));
    if (m->n_includes == M_MAX_INCLUDES)
        return rwi_ydiag(RW_ERR_FORMAT, item, "more than %d included documents in one load (includes that include "
                     "others several times multiply); included through %s", M_MAX_INCLUDES,
                     include_chain(m, depth, chain, sizeof chain));
    snprintf(path, sizeof path, "%s%s%s", rel[0] == '/' ? "" : dir, rel[0] == '/' ? "" : "/", rel);
    size_t len = 0;
    char *text = rwi_mread_source_file(path, M_MAX_SOURCE_BYTES - m->include_bytes, &len);
    if (!text) {
        char base[Y_TEXT_MAX + 600];
        snprintf(base, sizeof base, "%s", rw_last_error());
        return rwi_ydiag(rw_last_status(), item, "cannot include '%s': %s%s%s", rel, base,
                     depth ? "; included through " : "", include_chain(m, depth, chain, sizeof chain));
    }
    m->n_includes++;
    m->include_bytes += len;
    ysrc *src = rwi_yheap_source(&m->heap, path, text, len);
    rwi_free(text);
    if (!src)
        return RW_ERR_NOMEM;
    src->quiet = true;
    ynode *root = rwi_yparse(&m->heap, src);
    if (!root && rw_last_status() == RW_ERR_NOMEM)
        return RW_ERR_NOMEM;
    if (!root || !is_rewind_file(root))
        return not_a_rewind_file(src, root, rel);
    src->quiet = false; /* a rewind file: its messages may quote it */
    char *sub = dir_of(path);
    if (!sub)
        return RW_ERR_NOMEM;
    m->include_chain[depth] = src->name;
    rw_status st = load_doc(m, root, sub, depth + 1, false);
    rwi_free(sub);
    return st;
}

/* Format, hyper, includes and cells of one document (the main file or an include). */
static rw_status load_doc(rw_model *m, const ynode *root, const char *dir, int depth, bool main)
{
    if (rwi_ys_expect(root, Y_MAP, "the file") != RW_OK)
        return RW_ERR_FORMAT;
    const ynode *ops = rwi_ymap_key(root, "ops");
    if (ops)
        return rwi_ydiag(RW_ERR_FORMAT, ops, "ops defined in YAML ('ops:') are not implemented yet; register ops from "
                     "C with rw_op_register and use them by name");
    if (rwi_ys_keys(root, main ? "the file" : "an included file", main ? top_keys : include_keys) != RW_OK ||
        check_format(root) != RW_OK)
        return RW_ERR_FORMAT;
    yctx ctx = { .hyper = rwi_ymap_get(root, "hyper") };
    if (ctx.hyper && check_hyper(ctx.hyper) != RW_OK)
        return RW_ERR_FORMAT;
    if (main)
        m->ctx = ctx;
    const ynode *n;
    if (main && (n = rwi_ymap_get(root, "name")) && rwi_ys_string(&ctx, n, "name", &m->name) != RW_OK)
        return RW_ERR_FORMAT;
    if (main && (n = rwi_ymap_get(root, "description")) && rwi_ys_string(&ctx, n, "description", &m->description) != RW_OK)
        return RW_ERR_FORMAT;
    for (size_t l = m->description ? strlen(m->description) : 0; l && (m->description[l - 1] == '\n' ||
                                                                       m->description[l - 1] == ' '); l--)
        m->description[l - 1] = '\0'; /* a folded scalar (>) ends with a newline */
    if (!main && (n = rwi_ymap_get(root, "name")) && n->kind != Y_SCALAR)
        return rwi_ys_expect(n, Y_SCALAR, "name");
    const ynode *inc = rwi_ymap_get(root, "include");
    if (inc) {
        if (inc->kind == Y_SCALAR) {
            if (include_file(m, inc, dir, depth) != RW_OK)
                return rw_last_status();
        } else if (rwi_ys_expect(inc, Y_SEQ, "include") != RW_OK) {
            return RW_ERR_FORMAT;
        }
        for (int i = 0; inc->kind == Y_SEQ && i < inc->n; i++)
            if (include_file(m, inc->vals[i], dir, depth) != RW_OK)
                return rw_last_status();
    }
    const ynode *cells = rwi_ymap_get(root, "cells");
    return cells ? add_cells(m, &ctx, cells) : RW_OK;
}

static rw_status read_vocab(rw_model *m, const rw_model_load_opts *o, const ynode *root);

/* The vocabulary: from the data, or from the options when data is skipped. */
static rw_status find_vocab(rw_model *m, const rw_model_load_opts *o, const ynode *root)
{
    char *vocab_only = NULL; /* a saved vocabulary without the classes of a hierarchical softmax */
    if (rwi_mhsm_split_saved(m, o->vocab, &vocab_only) != RW_OK)
        return rw_last_status();
    rw_model_load_opts split = *o;
    if (vocab_only)
        split.vocab = vocab_only;
    rw_status st = read_vocab(m, &split, root);
    rwi_free(vocab_only);
    return st;
}

static rw_status read_vocab(rw_model *m, const rw_model_load_opts *o, const ynode *root)
{
    if (!o->skip_data && m->data.kind != RW_DATA_NONE) {
        /* a saved vocabulary beside the data (a checkpoint's): one saved before character vocabularies had
         * <unk> keeps the data's without it, so that the saved parameters still fit */
        m->bytes_without_unk = o->vocab && rwi_mvocab_saved_without_unk(o->vocab);
        return rwi_mdata_load(m);
    }
    if (o->vocab)
        return rw_vocab_from_text(&m->vocab, &m->labels, o->vocab);
    if (o->vocab_size > 0) {
        if (rw_vocab_opaque(&m->vocab, o->vocab_size) != RW_OK)
            return rw_last_status();
        return o->classes > 0 ? rw_vocab_opaque(&m->labels, o->classes) : RW_OK;
    }
    return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(root, "model"), "the model needs a vocabulary: add a 'data:' section, or "
                 "load with a saved vocabulary or a vocab_size");
}

static rw_model *load(rw_model *m, const char *text, size_t len, const char *name, const rw_model_load_opts *opts)
{
    rw_model_load_opts none = { 0 };
    const rw_model_load_opts *o = opts ? opts : &none;
    m->heap.alias_cap = o->max_alias_nodes ? o->max_alias_nodes : Y_DEFAULT_ALIAS_CAP;
    m->skip_data = o->skip_data;
    m->skip_init = o->skip_init;
    m->rng = rw_rng_seed(1);
    if (o->base_dir && !(m->base_dir = rwi_strdup(o->base_dir, "a directory")))
        goto fail;
    if (!m->base_dir && !(m->base_dir = rwi_strdup(".", "a directory")))
        goto fail;
    if (!(m->src = rwi_yheap_source(&m->heap, name, text, len)))
        goto fail;
    ynode *root = rwi_yparse(&m->heap, m->src);
    if (!root)
        goto fail;
    if (root->kind == Y_MAP)
        for (int i = 0; i < o->n_overrides; i++)
            if (apply_override(m, root, o->overrides[i]) != RW_OK)
                goto fail;
    if (rwi_mreplicas_keep_overrides(m, o) != RW_OK)
        goto fail;
    if (rwi_mload_plugins(m, root, o) != RW_OK || load_doc(m, root, m->base_dir, 0, true) != RW_OK)
        goto fail;
    const ynode *n;
    if ((n = rwi_ymap_get(root, "data")) && rwi_mparse_data(m, n) != RW_OK)
        goto fail;
    if (rwi_mparse_train(m, rwi_ymap_get(root, "train")) != RW_OK)
        goto fail;
    if (rwi_mparse_generate(m, rwi_ymap_get(root, "generate")) != RW_OK)
        goto fail;
    if ((n = rwi_ymap_get(root, "model")) != NULL) {
        if (rwi_mparse_model(m, n) != RW_OK || rwi_mparse_regularize(m, rwi_ymap_get(root, "regularize")) != RW_OK)
            goto fail;
        if (find_vocab(m, o, root) != RW_OK)
            goto fail;
        m->rng = rw_rng_seed(m->train.seed);
        if (rwi_mbuild(m) != RW_OK || rwi_mhsm_build(m) != RW_OK)
            goto fail;
    } else if ((n = rwi_ymap_key(root, "regularize")) != NULL) {
        rwi_ydiag(RW_ERR_FORMAT, n, "'regularize' needs a 'model:' section");
        goto fail;
    }
    if (rwi_mcheck_metrics(m) != RW_OK) /* once the output is known */
        goto fail;
    if (!m->name && !(m->name = rwi_strdup(name, "a model name")))
        goto fail;
    return m;
fail:
    if (rw_last_status() == RW_OK)
        rw_error(RW_ERR_NOMEM, "%s: out of memory while loading the model", name);
    rw_model_free(m);
    return NULL;
}

rw_model *rw_model_load(const char *path, const rw_model_load_opts *opts)
{
    if (!path) {
        rw_error(RW_ERR_ARG, "rw_model_load: NULL path");
        return NULL;
    }
    size_t len = 0;
    char *text = rwi_mread_source_file(path, M_MAX_SOURCE_BYTES, &len);
    if (!text)
        return NULL;
    rw_model *m = rwi_calloc(1, sizeof *m, "a model");
    if (m && !(opts && opts->base_dir) && !(m->base_dir = dir_of(path))) {
        rwi_free(m);
        m = NULL;
    }
    rw_model *r = m ? load(m, text, len, path, opts) : NULL;
    rwi_free(text);
    return r;
}

rw_model *rw_model_load_string(const char *text, const char *name_for_errors, const rw_model_load_opts *opts)
{
    if (!text) {
        rw_error(RW_ERR_ARG, "rw_model_load_string: NULL text");
        return NULL;
    }
    size_t len = strnlen(text, M_MAX_SOURCE_BYTES + 1);
    if (len > M_MAX_SOURCE_BYTES) {
        rw_error(RW_ERR_FORMAT, "%s: larger than %zu bytes, the most a model text may hold",
                 name_for_errors ? name_for_errors : "<string>", M_MAX_SOURCE_BYTES);
        return NULL;
    }
    rw_model *m = rwi_calloc(1, sizeof *m, "a model");
    return m ? load(m, text, len, name_for_errors ? name_for_errors : "<string>", opts) : NULL;
}

void rw_model_free(rw_model *m)
{
    if (!m)
        return;
    rwi_mdata_free(m->d);
    rwi_ms2s_free(m->s2s);
    rw_metrics_free(m->metrics);
    rwi_mdiag_train_free(m);
    rwi_free(m->meta_vocab);
    rwi_mlayers_free(m);
    rwi_mhsm_free(m);
    rwi_mreplicas_free(m); /* before the store whose values the copies share */
    rw_params_free(m->P);
    for (int i = 0; i < m->n_cells; i++)
        rwi_ycell_free(m->cells[i]);
    rwi_mconfig_free(m);
    rw_vocab_free(&m->vocab);
    rw_vocab_free(&m->labels);
    rwi_yheap_free(&m->heap);
    rwi_free(m->name);
    rwi_free(m->description);
    rwi_free(m->base_dir);
    rwi_free(m);
}

/* ---- accessors -------------------------------------------------------------------- */

const char *rw_model_name(const rw_model *m) { return m ? m->name : NULL; }
const char *rw_model_text(const rw_model *m) { return m && m->src ? m->src->text : NULL; }
rw_params *rw_model_params(const rw_model *m) { return m ? m->P : NULL; }
rw_rng *rw_model_rng(rw_model *m) { return m ? &m->rng : NULL; }
bool rw_model_has_layers(const rw_model *m) { return m && m->has_layers; }
const rw_model_train_config *rw_model_train_config_of(const rw_model *m) { return m ? &m->train : NULL; }
const rw_model_data_config *rw_model_data_config_of(const rw_model *m) { return m ? &m->data : NULL; }
const rw_model_generate_config *rw_model_generate_config_of(const rw_model *m) { return m ? &m->gen : NULL; }

const rw_cell_def *rw_model_cell(const rw_model *m, const char *name)
{
    ycell *c = m && name ? rwi_mfind_cell(m, name) : NULL;
    if (!c)
        rw_error(RW_ERR_ARG, "rw_model_cell: the model has no cell '%s'", name ? name : "(null)");
    return c ? &c->def : NULL;
}
