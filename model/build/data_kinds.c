/* The data kinds whose examples are read record by record into an
 * rw_seqdata (rewind/batch.h):
 *   lines        text files, each non-empty line one sequence; the input is
 *                [bos] t1 .. tn-1 (tn), the target the next token, [eos];
 *   tsv_tagging  tokens<TAB>one tag per token (tags split at whitespace);
 *   tsv_vectors  real features per step<TAB>target: a class, classes per
 *                step (';'-separated), or real values per sequence or per
 *                step, as the output's target says;
 *   tsv_seq2seq  with 'target: aligned': source<TAB>target of equal lengths.
 * The vocabulary and classes come from the training and validation files;
 * rwi_mdata_read_files reads more files with them (for eval and predict). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "data_internal.h"

/* ---- bos / eos ------------------------------------------------------------------------ */

static rw_status marker(rw_model *m, const ynode *d, const char *key, char **out, const ynode **at)
{
    const ynode *n = rwi_ymap_get(d, key);
    if (!n)
        return RW_OK;
    *at = n;
    if (m->data.kind != RW_DATA_LINES)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(d, key), "'%s' is for data of kind lines", key);
    if (rwi_ys_string(&m->ctx, n, key, out) != RW_OK)
        return RW_ERR_FORMAT;
    size_t len = strlen(*out);
    if (m->data.tokens == RW_TOKENS_CHARS ? len != 1 : len == 0 || strpbrk(*out, " \t\n\r"))
        return rwi_ydiag(RW_ERR_FORMAT, n, m->data.tokens == RW_TOKENS_CHARS ? "with 'tokens: chars' the %s marker is "
                     "one character (e.g. \"\\n\"); use 'tokens: words' for a marker like <s>" : "the %s marker is one "
                     "word without spaces (e.g. <s>)", key);
    return RW_OK;
}

rw_status rwi_mparse_line_markers(rw_model *m, const ynode *d)
{
    if (marker(m, d, "bos", &m->bos, &m->bos_at) != RW_OK || marker(m, d, "eos", &m->eos, &m->eos_at) != RW_OK)
        return RW_ERR_FORMAT;
    return RW_OK;
}

int rwi_mbos_token(const rw_model *m)
{
    return m->bos ? rw_vocab_find(&m->vocab, m->bos, strlen(m->bos)) : -1;
}

bool rwi_mdata_is_example_kind(const rw_model *m)
{
    return m->data.kind == RW_DATA_LINES || m->data.kind == RW_DATA_TSV_TAGGING || m->data.kind == RW_DATA_TSV_VECTORS ||
           (m->data.kind == RW_DATA_TSV_SEQ2SEQ && m->target == MT_ALIGNED);
}

/* ---- records ------------------------------------------------------------------------ */

typedef struct record {
    char *a, *b;         /* the line (lines), or its two columns */
    const char *file;
    int line, split;
    char **classes;      /* class targets: the names in b (cut_classes) */
    int n_classes;
} record;

typedef struct records {
    record *r;
    int n, cap;
    char **texts;        /* the files the records point into */
    char **names;        /* every record's class names, in order */
    int n_texts;
    rw_tsv **readers;
    int n_readers;
    int n_names;
} records;

static void records_free(records *x)
{
    for (int i = 0; i < x->n_texts; i++)
        rwi_free(x->texts[i]);
    for (int i = 0; i < x->n_readers; i++)
        rw_tsv_close(x->readers[i]);
    rwi_free(x->texts);
    rwi_free(x->readers);
    rwi_free(x->names);
    rwi_free(x->r);
}

static rw_status push(records *x, record r)
{
    if (x->n == x->cap) {
        int cap = x->cap ? x->cap * 2 : 256;
        record *grown = rwi_realloc(x->r, (size_t)cap * sizeof *grown, "data records");
        if (!grown)
            return RW_ERR_NOMEM;
        x->r = grown;
        x->cap = cap;
    }
    x->r[x->n++] = r;
    return RW_OK;
}

static rw_status read_lines(records *x, const char *path, int split)
{
    size_t len;
    char *text = rw_read_file(path, &len), **texts;
    if (!text)
        return rw_last_status();
    if (!(texts = rwi_realloc(x->texts, (size_t)(x->n_texts + 1) * sizeof *texts, "data files"))) {
        rwi_free(text);
        return RW_ERR_NOMEM;
    }
    x->texts = texts;
    x->texts[x->n_texts++] = text;
    int line = 0;
    for (char *p = text, *next; p && *p; p = next) {
        line++;
        if ((next = strchr(p, '\n')))
            *next++ = '\0';
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = '\0';
        if (l && push(x, (record){ p, NULL, path, line, split, NULL, 0 }) != RW_OK)
            return RW_ERR_NOMEM;
    }
    return RW_OK;
}

static rw_status read_tsv(const rw_model *m, records *x, const char *path, int split)
{
    rw_data_kind k = m->data.kind;
    rw_tsv_opts o = { k == RW_DATA_TSV_VECTORS ? "steps" : k == RW_DATA_TSV_SEQ2SEQ ? "source" : "tokens",
                      k == RW_DATA_TSV_VECTORS || k == RW_DATA_TSV_SEQ2SEQ ? "target" : "tags", false };
    rw_tsv *r = rw_tsv_open(path, &o), **readers;
    if (!r)
        return rw_last_status();
    if (!(readers = rwi_realloc(x->readers, (size_t)(x->n_readers + 1) * sizeof *readers, "data files"))) {
        rw_tsv_close(r);
        return RW_ERR_NOMEM;
    }
    x->readers = readers;
    x->readers[x->n_readers++] = r;
    rw_tsv_row row;
    int got;
    while ((got = rw_tsv_next(r, &row)) > 0)
        if (push(x, (record){ row.first, row.second, row.path, row.line, split, NULL, 0 }) != RW_OK)
            return RW_ERR_NOMEM;
    return got < 0 ? rw_last_status() : RW_OK;
}

static rw_status read_records(const rw_model *m, records *x, const char *const *paths, int n, int split)
{
    for (int i = 0; i < n; i++) {
        rw_status st = m->data.kind == RW_DATA_LINES ? read_lines(x, paths[i], split) : read_tsv(m, x, paths[i], split);
        if (st != RW_OK)
            return st;
    }
    return RW_OK;
}

/* ---- vocabularies ------------------------------------------------------------------- */

/* The next piece of s split at any of `seps` (trimmed of blanks), or NULL. */
static char *next_piece(char **s, const char *seps)
{
    char *p = *s;
    while (*p && (strchr(seps, *p) || *p == ' ' || *p == '\t'))
        p++;
    if (!*p)
        return NULL;
    char *end = p + strcspn(p, seps);
    *s = *end ? end + 1 : end;
    *end = '\0';
    for (char *e = end; e > p && (e[-1] == ' ' || e[-1] == '\t');)
        *--e = '\0';
    return p;
}

/* Class names in a record's target column: per step (';' in tsv_vectors,
 * whitespace in tsv_tagging) or one per example. Returns the count; the
 * column is cut in place (call it once per record). */
static int split_classes(const rw_model *m, char *col, char **out, int max)
{
    if (m->target == MT_LABEL) {
        char *p = col, *one = next_piece(&p, "");
        out[0] = one ? one : col;
        return 1;
    }
    const char *seps = m->data.kind == RW_DATA_TSV_VECTORS ? ";" : " \t";
    int n = 0;
    char *p = col, *piece;
    while ((piece = next_piece(&p, seps)) && n < max)
        out[n++] = piece;
    return n;
}

static bool class_target(const rw_model *m) { return m->target == MT_LABEL || m->target == MT_TAGS; }

/* Cuts every record's target column into its class names (x->names). */
static rw_status cut_classes(const rw_model *m, records *x)
{
    if (!class_target(m))
        return RW_OK;
    size_t total = 0;
    for (int i = 0; i < x->n; i++)
        total += strlen(x->r[i].b) / 2 + 1;
    if (!(x->names = rwi_malloc((total ? total : 1) * sizeof *x->names, "class names")))
        return RW_ERR_NOMEM;
    int n = 0;
    for (int i = 0; i < x->n; i++) {
        x->r[i].n_classes = split_classes(m, x->r[i].b, x->names + n, (int)(total - (size_t)n));
        n += x->r[i].n_classes;
    }
    for (int i = 0, at = 0; i < x->n; at += x->r[i++].n_classes)
        x->r[i].classes = x->names + at;
    x->n_names = n;
    return RW_OK;
}

/* A word vocabulary; with data.vocab_size, of the most frequent words, the
 * markers (bos, eos) always among them. */
static rw_status words_vocab(rw_model *m, char **words, int n)
{
    int cap = m->data.vocab_size, n_markers = (m->bos != NULL) + (m->eos != NULL);
    if (!cap)
        return rw_vocab_from_words(&m->vocab, words, n, m->data.min_count);
    if (cap - n_markers < 2)
        return rw_error(RW_ERR_FORMAT, "vocab_size %d leaves no room for a word beside <unk> and the %d line "
                        "marker(s)", cap, n_markers);
    rw_vocab top = { 0 };
    rw_status st = rw_vocab_from_words_capped(&top, words, n, m->data.min_count, cap - n_markers);
    char **names = st == RW_OK ? rwi_malloc((size_t)(top.n + 2) * sizeof *names, "words") : NULL;
    int k = 0;
    for (int i = 0; names && i < top.n; i++)
        if (i != top.unk && (!m->bos || strcmp(top.tok[i], m->bos)) && (!m->eos || strcmp(top.tok[i], m->eos)))
            names[k++] = top.tok[i];
    if (names && m->bos)
        names[k++] = m->bos;
    if (names && m->eos && (!m->bos || strcmp(m->bos, m->eos)))
        names[k++] = m->eos;
    st = names ? rw_vocab_from_strings(&m->vocab, names, k, true) : st == RW_OK ? RW_ERR_NOMEM : st;
    rwi_free(names);
    rw_vocab_free(&top);
    return st;
}

static rw_status build_vocabs(rw_model *m, records *x)
{
    rw_status st = RW_OK;
    if (m->data.kind == RW_DATA_TSV_VECTORS) {
        char *placeholder[] = { "<real>" }; /* real inputs read no tokens; the one id marks the steps */
        st = rw_vocab_from_strings(&m->vocab, placeholder, 1, false);
    } else {
        unsigned char present[256] = { 0 };
        char **words = NULL;
        int n_words = 0;
        bool both = m->data.kind == RW_DATA_TSV_SEQ2SEQ; /* source and target share the vocabulary */
        for (int i = 0; st == RW_OK && i < x->n * (both ? 2 : 1); i++) {
            char *s = i < x->n ? x->r[i].a : x->r[i - x->n].b;
            if (m->data.lowercase)
                rw_lowercase(s);
            if (m->data.tokens == RW_TOKENS_CHARS)
                rw_bytes_mark(s, strlen(s), false, present);
            else
                st = rw_words_append(s, &words, &n_words);
        }
        for (int k = 0; k < 2 && st == RW_OK; k++) { /* the markers are tokens too */
            const char *mk = k ? m->eos : m->bos;
            for (int c = 0; mk && st == RW_OK && c < (m->data.tokens == RW_TOKENS_CHARS ? 1 : m->data.min_count); c++)
                if (m->data.tokens == RW_TOKENS_CHARS)
                    present[(unsigned char)mk[0]] = 1;
                else
                    st = rw_words_append(mk, &words, &n_words);
        }
        if (st == RW_OK)
            st = m->data.tokens == RW_TOKENS_CHARS ? rwi_mvocab_from_bytes(m, present)
                                                   : words_vocab(m, words, n_words);
        for (int i = 0; i < n_words; i++)
            rwi_free(words[i]);
        rwi_free(words);
    }
    if (st != RW_OK || !class_target(m))
        return st;
    char **copy = rwi_malloc((size_t)(x->n_names ? x->n_names : 1) * sizeof *copy, "class names");
    if (!copy)
        return RW_ERR_NOMEM;
    memcpy(copy, x->names, (size_t)x->n_names * sizeof *copy);
    st = rw_vocab_from_strings(&m->labels, copy, x->n_names, false); /* sorts its argument */
    rwi_free(copy);
    return st;
}

/* ---- examples ---------------------------------------------------------------------- */

typedef struct scratch {
    int32_t *ids, *tgt;
    rw_real *feat, *vals;
    size_t cap;
} scratch;

static rw_status scratch_fit(scratch *s, size_t n)
{
    if (n <= s->cap)
        return RW_OK;
    rwi_free(s->ids);
    rwi_free(s->feat);
    s->cap = n * 2;
    s->ids = rwi_malloc(2 * s->cap * sizeof *s->ids, "an example");
    s->feat = rwi_malloc(2 * s->cap * sizeof *s->feat, "an example");
    s->tgt = s->ids ? s->ids + s->cap : NULL;
    s->vals = s->feat ? s->feat + s->cap : NULL;
    return s->ids && s->feat ? RW_OK : RW_ERR_NOMEM;
}

static rw_status at_line(const record *r, const char *fmt, const char *what)
{
    char base[600];
    snprintf(base, sizeof base, "%s", what ? what : rw_last_error());
    return rw_error(RW_ERR_FORMAT, fmt, r->file, r->line, base);
}

static int encode_tokens(const rw_model *m, char *s, int32_t *ids, bool *unknown)
{
    int n = rw_vocab_encode(&m->vocab, s, ids);
    *unknown = false;
    for (int i = 0; i < n; i++)
        *unknown |= ids[i] < 0;
    return n;
}

/* Class ids of a record's target column; -1 with an error for an unknown class. */
static int encode_classes(const rw_model *m, const record *r, char **names, int n, int32_t *out)
{
    for (int i = 0; i < n; i++)
        if ((out[i] = rw_vocab_find(&m->labels, names[i], strlen(names[i]))) < 0) {
            rw_error(RW_ERR_FORMAT, "%s:%d: unknown class '%s' (the model knows %d)", r->file, r->line, names[i],
                     m->labels.n);
            return -1;
        }
    return n;
}

static rw_status add_line(rw_model *m, rw_seqdata *set, const record *r, scratch *s)
{
    size_t len = strlen(r->a);
    if (scratch_fit(s, len + 3) != RW_OK)
        return RW_ERR_NOMEM;
    int32_t *seq = s->ids;
    int n = 0;
    bool unknown = false;
    if (m->bos)
        seq[n++] = rw_vocab_find(&m->vocab, m->bos, strlen(m->bos));
    if (m->data.lowercase)
        rw_lowercase(r->a);
    n += encode_tokens(m, r->a, seq + n, &unknown);
    if (m->eos)
        seq[n++] = rw_vocab_find(&m->vocab, m->eos, strlen(m->eos));
    if (unknown)
        return rw_error(RW_ERR_FORMAT, "%s:%d: a token the vocabulary lacks (and it has no <unk>)", r->file, r->line);
    if (m->data.max_length && n > m->data.max_length + 1)
        n = m->data.max_length + 1;
    if (n < 2)
        return RW_OK; /* one token predicts nothing: the line is left out */
    return rw_seqdata_add(set, seq, n - 1, seq + 1, n - 1, -1);
}

static rw_status add_tagged(rw_model *m, rw_seqdata *set, const record *r, char **tags, int n_tags, scratch *s)
{
    if (scratch_fit(s, strlen(r->a) + 1) != RW_OK)
        return RW_ERR_NOMEM;
    bool unknown;
    int n = encode_tokens(m, r->a, s->ids, &unknown);
    if (unknown)
        return rw_error(RW_ERR_FORMAT, "%s:%d: a token the vocabulary lacks (and it has no <unk>)", r->file, r->line);
    if (n != n_tags)
        return rw_error(RW_ERR_FORMAT, "%s:%d: %d token%s but %d tag%s; tsv_tagging needs one tag per token%s",
                        r->file, r->line, n, n == 1 ? "" : "s", n_tags, n_tags == 1 ? "" : "s",
                        m->data.tokens == RW_TOKENS_CHARS ? " (tokens: chars counts every character; for "
                        "space-separated tokens write 'tokens: words')" : "");
    if (n < 1)
        return rw_error(RW_ERR_FORMAT, "%s:%d: the tokens column has no tokens", r->file, r->line);
    if (encode_classes(m, r, tags, n, s->tgt) < 0)
        return RW_ERR_FORMAT;
    if (m->data.max_length && n > m->data.max_length)
        n = m->data.max_length;
    return rw_seqdata_add(set, s->ids, n, s->tgt, n, -1);
}

static rw_status add_aligned(rw_model *m, rw_seqdata *set, const record *r, scratch *s)
{
    size_t la = strlen(r->a), lb = strlen(r->b);
    if (scratch_fit(s, (la > lb ? la : lb) + 1) != RW_OK)
        return RW_ERR_NOMEM;
    bool unknown_a, unknown_b;
    if (m->data.lowercase) {
        rw_lowercase(r->a);
        rw_lowercase(r->b);
    }
    int ns = encode_tokens(m, r->a, s->ids, &unknown_a), nt = encode_tokens(m, r->b, s->tgt, &unknown_b);
    if (unknown_a || unknown_b)
        return rw_error(RW_ERR_FORMAT, "%s:%d: a token the vocabulary lacks (and it has no <unk>)", r->file, r->line);
    if (ns != nt || ns < 1)
        return rw_error(RW_ERR_FORMAT, "%s:%d: the source has %d tokens and the target %d; 'target: aligned' needs "
                        "equal lengths", r->file, r->line, ns, nt);
    if (m->data.max_length && ns > m->data.max_length)
        ns = m->data.max_length;
    return rw_seqdata_add(set, s->ids, ns, s->tgt, ns, -1);
}

static rw_status add_vectors(rw_model *m, rw_seqdata *set, const record *r, char **classes, int n_classes,
                             scratch *s)
{
    size_t la = strlen(r->a), lb = strlen(r->b);
    if (scratch_fit(s, (la > lb ? la : lb) + 2) != RW_OK)
        return RW_ERR_NOMEM;
    int F = m->input_width, T = rw_parse_steps(r->a, &F, s->feat);
    if (T < 0)
        return at_line(r, "%s:%d: the steps column: %s", NULL);
    rw_example e = { .features = s->feat, .len = T, .label = -1 };
    if (m->target == MT_LABEL) {
        if (encode_classes(m, r, classes, 1, &e.label) < 0)
            return RW_ERR_FORMAT;
    } else if (m->target == MT_TAGS) {
        if (n_classes != T)
            return rw_error(RW_ERR_FORMAT, "%s:%d: %d steps but %d classes; target 'tags' needs one class per step "
                            "(separated by ';')", r->file, r->line, T, n_classes);
        if (encode_classes(m, r, classes, n_classes, s->tgt) < 0)
            return RW_ERR_FORMAT;
        e.target = s->tgt;
        e.target_len = T;
    } else {
        int K = rw_seqdata_value_width(set), steps = rw_parse_steps(r->b, &K, s->vals);
        if (steps < 0)
            return at_line(r, "%s:%d: the target column: %s", NULL);
        if (m->target == MT_VALUES ? steps != T : steps != 1)
            return rw_error(RW_ERR_FORMAT, "%s:%d: %d target step%s for %d input steps; target '%s' needs %s",
                            r->file, r->line, steps, steps == 1 ? "" : "s", T, m->target == MT_VALUES ? "values" :
                            "value", m->target == MT_VALUES ? "one vector per step" : "one vector (no ';')");
        if (rw_seqdata_count(set) == 0 && rw_seqdata_value_width(set) != K) {
            if (m->value_width && m->value_width != K)
                return rw_error(RW_ERR_FORMAT, "%s:%d: %d target values per %s, but the model predicts %d", r->file,
                                r->line, K, m->target == MT_VALUES ? "step" : "sequence", m->value_width);
            if (rw_seqdata_set_reals(set, F, K, m->target == MT_VALUES) != RW_OK)
                return rw_last_status();
        }
        for (int i = 0; m->loss == MLOSS_BCE && i < steps * K; i++)
            if (s->vals[i] < 0 || s->vals[i] > 1)
                return rw_error(RW_ERR_FORMAT, "%s:%d: target %g is outside [0, 1], as loss bce needs", r->file,
                                r->line, (double)s->vals[i]);
        e.values = s->vals;
    }
    if (rw_seqdata_count(set) == 0 && rw_seqdata_feature_width(set) == 0 &&
        rw_seqdata_set_reals(set, F, 0, false) != RW_OK)
        return rw_last_status();
    if (m->data.max_length && e.len > m->data.max_length)
        return rw_error(RW_ERR_FORMAT, "%s:%d: %d steps, more than max_length %d (real sequences are not cut)",
                        r->file, r->line, e.len, m->data.max_length);
    return rw_seqdata_add_example(set, &e) == RW_OK ? RW_OK : at_line(r, "%s:%d: %s", NULL);
}

/* Adds a record to sets[its split] (sets[1] may be NULL: no held-out split). */
static rw_status add_record(rw_model *m, rw_seqdata **sets, const record *r, scratch *s, rw_rng *rng)
{
    int split = r->split;
    if (sets[1] && !m->data.valid.count && m->data.valid_fraction > 0)
        split = rw_rng_uniform(rng) < m->data.valid_fraction;
    rw_seqdata *set = sets[split];
    if (m->data.kind == RW_DATA_LINES)
        return add_line(m, set, r, s);
    if (m->data.kind == RW_DATA_TSV_TAGGING)
        return add_tagged(m, set, r, r->classes, r->n_classes, s);
    if (m->data.kind == RW_DATA_TSV_SEQ2SEQ)
        return add_aligned(m, set, r, s);
    return add_vectors(m, set, r, r->classes, r->n_classes, s);
}

static rw_status add_records(rw_model *m, records *x, rw_seqdata **sets)
{
    scratch s = { 0 };
    rw_rng rng = rw_rng_seed(m->train.seed ^ 0xda7aULL);
    rw_status st = RW_OK;
    for (int i = 0; st == RW_OK && i < x->n; i++)
        st = add_record(m, sets, &x->r[i], &s, &rng);
    rwi_free(s.ids);
    rwi_free(s.feat);
    return st;
}

/* An empty dataset shaped for the model (real widths set). */
static rw_seqdata *new_set(const rw_model *m)
{
    rw_seqdata *d = rw_seqdata_new();
    if (d && m->data.kind == RW_DATA_TSV_VECTORS && (m->target == MT_LABEL || m->target == MT_TAGS) &&
        rw_seqdata_set_reals(d, m->input_width, 0, false) != RW_OK) {
        rw_seqdata_free(d);
        return NULL;
    }
    if (d && m->data.kind == RW_DATA_TSV_VECTORS && m->value_width &&
        rw_seqdata_set_reals(d, m->input_width, m->value_width, m->target == MT_VALUES) != RW_OK) {
        rw_seqdata_free(d);
        return NULL;
    }
    return d;
}

rw_status rwi_mdata_load_examples(rw_model *m, mdata *d)
{
    records x = { 0 };
    rw_status st = read_records(m, &x, (const char *const *)m->data.train.paths, m->data.train.count, 0);
    if (st == RW_OK)
        st = read_records(m, &x, (const char *const *)m->data.valid.paths, m->data.valid.count, 1);
    if (st == RW_OK && x.n == 0)
        st = rw_error(RW_ERR_FORMAT, "data: the training files hold no examples");
    if (st == RW_OK && (st = cut_classes(m, &x)) == RW_OK)
        st = build_vocabs(m, &x);
    for (int i = 0; st == RW_OK && i < 2; i++)
        if (!(d->set[i] = new_set(m)))
            st = rw_last_status();
    if (st == RW_OK)
        st = add_records(m, &x, d->set);
    if (st == RW_OK && rw_seqdata_count(d->set[0]) == 0)
        st = rw_error(RW_ERR_FORMAT, "data: no training examples (lines need at least two tokens, markers included)");
    if (st == RW_OK && m->data.kind == RW_DATA_TSV_VECTORS && !m->value_width)
        m->value_width = rw_seqdata_value_width(d->set[0]);
    records_free(&x);
    return st;
}

rw_seqdata *rwi_mdata_read_files(rw_model *m, const char *const *paths, int n)
{
    if (m->data.kind == RW_DATA_TSV_CLASSIFY)
        return rwi_mdata_read_classified(m, paths, n);
    if (!rwi_mdata_is_example_kind(m)) {
        rw_error(RW_ERR_ARG, "model '%s': reading examples needs data of kind lines, tsv_classify, tsv_tagging, "
                 "tsv_vectors or tsv_seq2seq with 'target: aligned'", m->name);
        return NULL;
    }
    records x = { 0 };
    rw_seqdata *sets[2] = { new_set(m), NULL };
    rw_status st = sets[0] ? read_records(m, &x, paths, n, 0) : rw_last_status();
    if (st == RW_OK)
        st = cut_classes(m, &x);
    if (st == RW_OK)
        st = add_records(m, &x, sets);
    if (st == RW_OK && rw_seqdata_count(sets[0]) == 0)
        st = rw_error(RW_ERR_FORMAT, "%s: no examples", n ? paths[0] : "data");
    records_free(&x);
    if (st != RW_OK) {
        rw_seqdata_free(sets[0]);
        return NULL;
    }
    return sets[0];
}
