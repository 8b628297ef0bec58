/* A model's data, read with data/ (rewind/corpus.h, rewind/vocab.h) as the
 * `data:` section says: text files as a byte stream (kind chars), or
 * tab-separated examples (label<TAB>text, source<TAB>target); the
 * vocabulary and class names they define; the split into training and
 * validation data. data_source.c turns them into batches. An error gets the
 * position of the `data:` key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "data_internal.h"

void rwi_mdata_free(mdata *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++) {
        rwi_msplit_free(&d->split[i]);
        rwi_free(d->tok[i]);
        rw_seqdata_free(d->set[i]);
    }
    rwi_free(d);
}

/* ---- kind chars ------------------------------------------------------------------- */

static rw_status load_chars(rw_model *m, mdata *d)
{
    size_t n_train = 0, n_valid = 0;
    const rw_model_files *tf = &m->data.train, *vf = &m->data.valid;
    char *train = rw_read_files((const char *const *)tf->paths, tf->count, &n_train), *valid = NULL;
    if (!train)
        return rw_last_status();
    if (vf->count && !(valid = rw_read_files((const char *const *)vf->paths, vf->count, &n_valid))) {
        rwi_free(train);
        return rw_last_status();
    }
    if (!valid && m->data.valid_fraction > 0) { /* the end of the text is held out */
        n_valid = (size_t)((double)n_train * m->data.valid_fraction);
        n_train -= n_valid;
    }
    const char *text[2] = { train, valid ? valid : train + n_train };
    size_t len[2] = { n_train, n_valid };
    unsigned char present[256] = { 0 };
    for (int s = 0; s < 2; s++)
        rw_bytes_mark(text[s], len[s], m->data.lowercase, present);
    rw_status st = rwi_mvocab_from_bytes(m, present);
    for (int s = 0; s < 2 && st == RW_OK; s++) {
        d->n_tok[s] = len[s];
        if (!len[s])
            continue;
        if (!(d->tok[s] = rwi_malloc(len[s] * sizeof(int32_t), "data tokens"))) {
            st = RW_ERR_NOMEM;
            break;
        }
        rw_bytes_encode(&m->vocab, text[s], len[s], m->data.lowercase, d->tok[s]);
    }
    rwi_free(train);
    rwi_free(valid);
    if (st == RW_OK && d->n_tok[0] < 2)
        st = rw_error(RW_ERR_FORMAT, "data: the training text has %zu bytes; it needs at least 2", d->n_tok[0]);
    return st;
}

/* ---- the tsv kinds ----------------------------------------------------------------- */

typedef struct tsv_line {
    char *a, *b;       /* the two columns (label or source, text or target) */
    const char *file;
    int line, split;   /* split: 0 train, 1 valid */
} tsv_line;

typedef struct tsv {
    tsv_line *lines;
    int n, cap;
    rw_tsv **readers;  /* the open files the lines point into */
    int n_readers;
} tsv;

/* allow_empty: accept an empty column (a line to predict without its label). */
static rw_status read_tsv(rw_model *m, tsv *t, const rw_model_files *f, int split, bool allow_empty)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
    rw_tsv_opts o = { classify ? "label" : "source", classify ? "text" : "target", allow_empty };
    for (int i = 0; i < f->count; i++) {
        rw_tsv *r = rw_tsv_open(f->paths[i], &o);
        rw_tsv **readers = r ? rwi_realloc(t->readers, (size_t)(t->n_readers + 1) * sizeof *readers, "data files") : NULL;
        if (!readers) {
            rw_tsv_close(r);
            return rw_last_status();
        }
        t->readers = readers;
        t->readers[t->n_readers++] = r;
        rw_tsv_row row;
        int got;
        while ((got = rw_tsv_next(r, &row)) > 0) {
            if (t->n == t->cap) {
                int cap = t->cap ? t->cap * 2 : 256;
                tsv_line *grown = rwi_realloc(t->lines, (size_t)cap * sizeof *grown, "data lines");
                if (!grown)
                    return RW_ERR_NOMEM;
                t->lines = grown;
                t->cap = cap;
            }
            t->lines[t->n++] = (tsv_line){ row.first, row.second, row.path, row.line, split };
        }
        if (got < 0)
            return rw_last_status();
    }
    return RW_OK;
}

/* The tokens of text s (lowercased in place first when the data says so);
 * out needs room for strlen(s) ids. */
static int tokenize(const rw_model *m, char *s, int32_t *out)
{
    if (m->data.lowercase)
        rw_lowercase(s);
    return rw_vocab_encode(&m->vocab, s, out);
}

static rw_status build_vocabs(rw_model *m, tsv *t)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
    char **labels = rwi_malloc((size_t)(t->n ? t->n : 1) * sizeof *labels, "labels"), **words = NULL;
    int n_words = 0;
    unsigned char present[256] = { 0 };
    rw_status st = labels ? RW_OK : RW_ERR_NOMEM;
    for (int i = 0; st == RW_OK && i < t->n; i++) {
        labels[i] = t->lines[i].a;
        for (int col = classify ? 1 : 0; col < 2 && st == RW_OK; col++) {
            char *s = col ? t->lines[i].b : t->lines[i].a;
            if (m->data.tokens == RW_TOKENS_CHARS) {
                rw_bytes_mark(s, strlen(s), m->data.lowercase, present);
            } else {
                if (m->data.lowercase)
                    rw_lowercase(s);
                st = rw_words_append(s, &words, &n_words);
            }
        }
    }
    if (st == RW_OK)
        st = m->data.tokens == RW_TOKENS_CHARS ? rwi_mvocab_from_bytes(m, present)
                                               : rw_vocab_from_words(&m->vocab, words, n_words, m->data.min_count);
    if (st == RW_OK && classify)
        st = rw_vocab_from_strings(&m->labels, labels, t->n, false);
    for (int i = 0; i < n_words; i++)
        rwi_free(words[i]);
    rwi_free(words);
    rwi_free(labels);
    return st;
}

/* One line into `set`: its tokens (cut at max_length) and its target
 * tokens or label. An empty label (files read for prediction) is -1; a
 * label the model lacks cannot come from its own data, only from such files. */
static rw_status add_example(rw_model *m, rw_seqdata *set, tsv_line *ln)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
    size_t la = strlen(ln->a) + 1, lb = strlen(ln->b) + 1;
    int32_t *src = rwi_malloc((la + lb) * sizeof *src, "an example"), *tgt = src ? src + la : NULL;
    if (!src)
        return RW_ERR_NOMEM;
    int ns = tokenize(m, classify ? ln->b : ln->a, src);
    int nt = classify ? 0 : tokenize(m, ln->b, tgt);
    if (m->data.max_length) {
        ns = ns < m->data.max_length ? ns : m->data.max_length;
        nt = nt < m->data.max_length ? nt : m->data.max_length;
    }
    int label = classify ? rw_vocab_find(&m->labels, ln->a, strlen(ln->a)) : -1;
    rw_status st;
    if (ns < 1 || (!classify && nt < 1))
        st = rw_error(RW_ERR_FORMAT, "%s:%d: the %s has no tokens", ln->file, ln->line, ns < 1 ? "text" : "target");
    else if (classify && label < 0 && ln->a[0])
        st = rw_error(RW_ERR_FORMAT, "%s:%d: label '%s' is not one of the model's %d classes", ln->file, ln->line,
                      ln->a, m->labels.n);
    else if (m->target == MT_ALIGNED && ns != nt)
        st = rw_error(RW_ERR_FORMAT, "%s:%d: the source has %d tokens and the target %d; 'target: aligned' needs "
                      "equal lengths", ln->file, ln->line, ns, nt);
    else
        st = rw_seqdata_add(set, src, ns, classify ? NULL : tgt, nt, label);
    rwi_free(src);
    return st;
}

static rw_status add_examples(rw_model *m, mdata *d, tsv *t)
{
    for (int s = 0; s < 2; s++)
        if (!(d->set[s] = rw_seqdata_new()))
            return RW_ERR_NOMEM;
    rw_rng rng = rw_rng_seed(m->train.seed ^ 0xda7aULL);
    rw_status st = RW_OK;
    for (int i = 0; st == RW_OK && i < t->n; i++) {
        tsv_line *ln = &t->lines[i];
        int split = ln->split;
        if (!m->data.valid.count && m->data.valid_fraction > 0)
            split = rw_rng_uniform(&rng) < m->data.valid_fraction;
        st = add_example(m, d->set[split], ln);
    }
    if (st == RW_OK && rw_seqdata_count(d->set[0]) == 0)
        st = rw_error(RW_ERR_FORMAT, "data: no training examples");
    return st;
}

static void tsv_free(tsv *t)
{
    for (int i = 0; i < t->n_readers; i++)
        rw_tsv_close(t->readers[i]);
    rwi_free(t->readers);
    rwi_free(t->lines);
}

static rw_status load_tsv(rw_model *m, mdata *d)
{
    tsv t = { 0 };
    rw_status st = read_tsv(m, &t, &m->data.train, 0, false);
    if (st == RW_OK)
        st = read_tsv(m, &t, &m->data.valid, 1, false);
    if (st == RW_OK && t.n == 0)
        st = rw_error(RW_ERR_FORMAT, "data: the training files hold no examples");
    if (st == RW_OK)
        st = build_vocabs(m, &t);
    if (st == RW_OK && m->data.kind == RW_DATA_TSV_SEQ2SEQ) /* <pad> <s> </s> <unk> as ids 0..3 */
        st = rw_vocab_add_specials(&m->vocab);
    if (st == RW_OK)
        st = add_examples(m, d, &t);
    tsv_free(&t);
    return st;
}

rw_seqdata *rwi_mdata_read_classified(rw_model *m, const char *const *paths, int n)
{
    tsv t = { 0 };
    rw_model_files f = { .paths = (char **)paths, .count = n };
    rw_seqdata *set = rw_seqdata_new();
    rw_status st = set ? read_tsv(m, &t, &f, 0, true) : rw_last_status();
    for (int i = 0; st == RW_OK && i < t.n; i++)
        st = add_example(m, set, &t.lines[i]);
    if (st == RW_OK && t.n == 0)
        st = rw_error(RW_ERR_FORMAT, "%s: no examples", paths[0]);
    tsv_free(&t);
    if (st != RW_OK) {
        rw_seqdata_free(set);
        return NULL;
    }
    return set;
}

rw_status rwi_mdata_load(rw_model *m)
{
    mdata *d = rwi_calloc(1, sizeof *d, "model data");
    if (!d)
        return RW_ERR_NOMEM;
    m->d = d;
    rw_status st = m->data.kind == RW_DATA_CHARS ? load_chars(m, d)
                 : rwi_mdata_is_example_kind(m) ? rwi_mdata_load_examples(m, d) : load_tsv(m, d);
    if (st != RW_OK && m->data_at) {
        char base[800];
        snprintf(base, sizeof base, "%s", rw_last_error());
        rw_error(st, "%s:%d:%d: error: %s", m->data_at->src->name, m->data_at->line, m->data_at->col, base);
    }
    return st;
}
