/* Reading a model's data: text files as a byte stream (kind chars), or
 * tab-separated examples (label<TAB>text, source<TAB>target), the
 * vocabulary and class names they define, and the split into training and
 * validation data. data_source.c turns them into batches. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "data_internal.h"

void mdata_free(mdata *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++) {
        msplit_free(&d->split[i]);
        rw_free(d->tok[i]);
        rw_seqdata_free(d->set[i]);
    }
    rw_free(d);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rw_error(RW_ERR_IO, "cannot open data file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = rw_malloc(cap, "a data file");
    while (buf) {
        if (n + 1 == cap) {
            char *grown = rw_realloc(buf, cap * 2, "a data file");
            if (!grown) {
                rw_free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf && ferror(f)) {
        rw_error(RW_ERR_IO, "cannot read data file '%s'", path);
        rw_free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Every file of a list, concatenated. */
static char *slurp_all(const rw_model_files *f, size_t *len)
{
    char *all = rw_calloc(1, 1, "data text");
    size_t n = 0;
    for (int i = 0; all && i < f->count; i++) {
        size_t k;
        char *one = slurp(f->paths[i], &k);
        char *grown = one ? rw_realloc(all, n + k + 1, "data text") : NULL;
        if (!grown) {
            rw_free(one);
            rw_free(all);
            return NULL;
        }
        all = grown;
        memcpy(all + n, one, k);
        n += k;
        all[n] = '\0';
        rw_free(one);
    }
    *len = n;
    return all;
}

static unsigned char fold(const rw_model *m, char c)
{
    return (unsigned char)(m->data.lowercase ? tolower((unsigned char)c) : c);
}

/* ---- kind chars ------------------------------------------------------------------- */

static rw_status load_chars(rw_model *m, mdata *d)
{
    size_t n_train = 0, n_valid = 0;
    char *train = slurp_all(&m->data.train, &n_train), *valid = NULL;
    if (!train)
        return rw_last_status();
    if (m->data.valid.count && !(valid = slurp_all(&m->data.valid, &n_valid))) {
        rw_free(train);
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
        for (size_t i = 0; i < len[s]; i++)
            present[fold(m, text[s][i])] = 1;
    rw_status st = mvocab_from_bytes(&m->vocab, present);
    for (int s = 0; s < 2 && st == RW_OK; s++) {
        d->n_tok[s] = len[s];
        if (!len[s])
            continue;
        if (!(d->tok[s] = rw_malloc(len[s] * sizeof(int32_t), "data tokens"))) {
            st = RW_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < len[s]; i++)
            d->tok[s][i] = m->vocab.byte_id[fold(m, text[s][i])];
    }
    rw_free(train);
    rw_free(valid);
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
    char **bufs;       /* the file contents the lines point into */
    int n_bufs;
} tsv;

static rw_status read_tsv(rw_model *m, tsv *t, const rw_model_files *f, int split)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
    for (int i = 0; i < f->count; i++) {
        size_t len;
        char *buf = slurp(f->paths[i], &len);
        char **bufs = buf ? rw_realloc(t->bufs, (size_t)(t->n_bufs + 1) * sizeof *bufs, "data buffers") : NULL;
        if (!bufs) {
            rw_free(buf);
            return rw_last_status();
        }
        t->bufs = bufs;
        t->bufs[t->n_bufs++] = buf;
        int line = 0;
        for (char *p = buf, *next; p && *p; p = next) {
            line++;
            next = strchr(p, '\n');
            if (next)
                *next++ = '\0';
            size_t l = strlen(p);
            if (l && p[l - 1] == '\r')
                p[--l] = '\0';
            if (!l)
                continue;
            char *tab = strchr(p, '\t');
            if (!tab || tab == p || !tab[1])
                return rw_error(RW_ERR_FORMAT, "%s:%d: expected %s<TAB>%s", f->paths[i], line,
                                classify ? "label" : "source", classify ? "text" : "target");
            *tab = '\0';
            if (t->n == t->cap) {
                int cap = t->cap ? t->cap * 2 : 256;
                tsv_line *grown = rw_realloc(t->lines, (size_t)cap * sizeof *grown, "data lines");
                if (!grown)
                    return RW_ERR_NOMEM;
                t->lines = grown;
                t->cap = cap;
            }
            t->lines[t->n++] = (tsv_line){ p, tab + 1, f->paths[i], line, split };
        }
    }
    return RW_OK;
}

/* Appends the tokens of text s to out (room for strlen(s) ids); returns the count. */
static int tokenize(const rw_model *m, char *s, int32_t *out, bool build, char ***words, int *n_words)
{
    int n = 0;
    if (m->data.lowercase)
        for (char *p = s; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    if (m->data.tokens == RW_TOKENS_CHARS) {
        for (char *p = s; *p; p++)
            if (!build)
                out[n++] = m->vocab.byte_id[(unsigned char)*p] >= 0 ? m->vocab.byte_id[(unsigned char)*p] : m->vocab.unk;
        return build ? (int)strlen(s) : n;
    }
    for (char *p = s; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " \t\r\n\f\v");
        if (build) {
            char **grown = rw_realloc(*words, (size_t)(*n_words + 1) * sizeof **words, "words");
            char *w = grown ? rw_malloc(len + 1, "a word") : NULL;
            if (!w) {
                if (grown)
                    *words = grown;
                return -1;
            }
            memcpy(w, p, len);
            w[len] = '\0';
            *words = grown;
            (*words)[(*n_words)++] = w;
        } else {
            int id = mvocab_find(&m->vocab, p, len);
            out[n++] = id >= 0 ? id : m->vocab.unk;
        }
        p += len;
        n += build;
    }
    return n;
}

/* Words seen at least min_count times, and <unk>. */
static rw_status word_vocab(rw_model *m, char **words, int n)
{
    char **keep = rw_malloc((size_t)(n ? n : 1) * sizeof *keep, "words");
    if (!keep)
        return RW_ERR_NOMEM;
    int k = 0;
    mvocab all = { 0 };
    rw_status st = mvocab_from_strings(&all, words, n, false); /* sorts words */
    for (int i = 0, j; st == RW_OK && i < n; i = j) {
        for (j = i; j < n && !strcmp(words[j], words[i]); j++)
            ;
        if (j - i >= m->data.min_count)
            keep[k++] = words[i];
    }
    if (st == RW_OK)
        st = mvocab_from_strings(&m->vocab, keep, k, true);
    mvocab_free(&all);
    rw_free(keep);
    return st;
}

static rw_status build_vocabs(rw_model *m, tsv *t)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
    char **labels = rw_malloc((size_t)(t->n ? t->n : 1) * sizeof *labels, "labels"), **words = NULL;
    int n_words = 0;
    unsigned char present[256] = { 0 };
    rw_status st = labels ? RW_OK : RW_ERR_NOMEM;
    for (int i = 0; st == RW_OK && i < t->n; i++) {
        labels[i] = t->lines[i].a;
        for (int col = classify ? 1 : 0; col < 2 && st == RW_OK; col++) {
            char *s = col ? t->lines[i].b : t->lines[i].a;
            if (m->data.tokens == RW_TOKENS_CHARS) {
                for (char *p = s; *p; p++)
                    present[fold(m, *p)] = 1;
            } else if (tokenize(m, s, NULL, true, &words, &n_words) < 0) {
                st = RW_ERR_NOMEM;
            }
        }
    }
    if (st == RW_OK)
        st = m->data.tokens == RW_TOKENS_CHARS ? mvocab_from_bytes(&m->vocab, present) : word_vocab(m, words, n_words);
    if (st == RW_OK && classify)
        st = mvocab_from_strings(&m->labels, labels, t->n, false);
    for (int i = 0; i < n_words; i++)
        rw_free(words[i]);
    rw_free(words);
    rw_free(labels);
    return st;
}

static rw_status add_examples(rw_model *m, mdata *d, tsv *t)
{
    bool classify = m->data.kind == RW_DATA_TSV_CLASSIFY;
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
        size_t la = strlen(ln->a) + 1, lb = strlen(ln->b) + 1;
        int32_t *src = rw_malloc((la + lb) * sizeof *src, "an example"), *tgt = src ? src + la : NULL;
        if (!src)
            return RW_ERR_NOMEM;
        int ns = tokenize(m, classify ? ln->b : ln->a, src, false, NULL, NULL);
        int nt = classify ? 0 : tokenize(m, ln->b, tgt, false, NULL, NULL);
        if (m->data.max_length) {
            ns = ns < m->data.max_length ? ns : m->data.max_length;
            nt = nt < m->data.max_length ? nt : m->data.max_length;
        }
        int label = classify ? mvocab_find(&m->labels, ln->a, strlen(ln->a)) : -1;
        if (ns < 1 || (!classify && nt < 1))
            st = rw_error(RW_ERR_FORMAT, "%s:%d: the %s has no tokens", ln->file, ln->line, ns < 1 ? "text" : "target");
        else
            st = rw_seqdata_add(d->set[split], src, ns, classify ? NULL : tgt, nt, label);
        rw_free(src);
    }
    if (st == RW_OK && rw_seqdata_count(d->set[0]) == 0)
        st = rw_error(RW_ERR_FORMAT, "data: no training examples");
    return st;
}

static rw_status load_tsv(rw_model *m, mdata *d)
{
    tsv t = { 0 };
    rw_status st = read_tsv(m, &t, &m->data.train, 0);
    if (st == RW_OK)
        st = read_tsv(m, &t, &m->data.valid, 1);
    if (st == RW_OK && t.n == 0)
        st = rw_error(RW_ERR_FORMAT, "data: the training files hold no examples");
    if (st == RW_OK)
        st = build_vocabs(m, &t);
    if (st == RW_OK)
        st = add_examples(m, d, &t);
    for (int i = 0; i < t.n_bufs; i++)
        rw_free(t.bufs[i]);
    rw_free(t.bufs);
    rw_free(t.lines);
    return st;
}

rw_status mdata_load(rw_model *m)
{
    mdata *d = rw_calloc(1, sizeof *d, "model data");
    if (!d)
        return RW_ERR_NOMEM;
    m->d = d;
    rw_status st = m->data.kind == RW_DATA_CHARS ? load_chars(m, d) : load_tsv(m, d);
    if (st != RW_OK && m->data_at) {
        char base[800];
        snprintf(base, sizeof base, "%s", rw_last_error());
        rw_error(st, "%s:%d:%d: error: %s", m->data_at->src->name, m->data_at->line, m->data_at->col, base);
    }
    return st;
}
