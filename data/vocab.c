/* Vocabularies: byte tokens, word tokens with <unk>, class names; text
 * into ids; saving them as text and reading them back (so a checkpoint can
 * rebuild a model without its data). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/vocab.h"

void rw_vocab_free(rw_vocab *v)
{
    for (int i = 0; v->tok && i < v->n; i++)
        rwi_free(v->tok[i]);
    rwi_free(v->tok);
    rwi_free(v->sorted);
    memset(v, 0, sizeof *v);
}

typedef struct keyed {
    const char *s;
    int id;
} keyed;

static int cmp_keyed(const void *a, const void *b) { return strcmp(((const keyed *)a)->s, ((const keyed *)b)->s); }

/* Index for lookups; the ids keep their order. */
static rw_status finish(rw_vocab *v)
{
    v->sorted = rwi_malloc((size_t)(v->n ? v->n : 1) * sizeof *v->sorted, "a vocabulary index");
    if (!v->sorted)
        return RW_ERR_NOMEM;
    keyed *k = rwi_malloc((size_t)(v->n ? v->n : 1) * sizeof *k, "a vocabulary index");
    if (!k)
        return RW_ERR_NOMEM;
    for (int i = 0; i < v->n; i++)
        k[i] = (keyed){ v->tok[i], i };
    qsort(k, (size_t)v->n, sizeof *k, cmp_keyed);
    for (int i = 0; i < v->n; i++)
        v->sorted[i] = k[i].id;
    rwi_free(k);
    for (int i = 0; i < 256; i++)
        v->byte_id[i] = -1;
    v->unk = -1;
    for (int i = 0; i < v->n; i++) {
        if (v->bytes && strlen(v->tok[i]) == 1)
            v->byte_id[(unsigned char)v->tok[i][0]] = i;
        if (!strcmp(v->tok[i], "<unk>"))
            v->unk = i;
    }
    return RW_OK;
}

static rw_status alloc_tokens(rw_vocab *v, int n)
{
    v->n = n;
    v->tok = rwi_calloc((size_t)(n ? n : 1), sizeof *v->tok, "a vocabulary");
    return v->tok ? RW_OK : RW_ERR_NOMEM;
}

rw_status rw_vocab_from_bytes(rw_vocab *v, const unsigned char present[256])
{
    int n = 0;
    for (int b = 0; b < 256; b++)
        n += present[b] != 0;
    if (alloc_tokens(v, n) != RW_OK)
        return RW_ERR_NOMEM;
    v->bytes = true;
    for (int b = 0, i = 0; b < 256; b++)
        if (present[b]) {
            char s[2] = { (char)b, 0 };
            if (!(v->tok[i++] = rwi_strdup(s, "a token")))
                return RW_ERR_NOMEM;
        }
    return finish(v);
}

rw_status rw_vocab_add_unk(rw_vocab *v)
{
    if (!v || !v->tok)
        return rw_error(RW_ERR_ARG, "rw_vocab_add_unk: needs a vocabulary with token strings");
    if (v->unk >= 0)
        return RW_OK;
    char **grown = rwi_realloc(v->tok, (size_t)(v->n + 1) * sizeof *grown, "a vocabulary");
    if (!grown)
        return RW_ERR_NOMEM;
    v->tok = grown;
    if (!(v->tok[v->n] = rwi_strdup("<unk>", "a token")))
        return RW_ERR_NOMEM;
    v->n++;
    rwi_free(v->sorted); /* the index is rebuilt with the new id */
    v->sorted = NULL;
    return finish(v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

rw_status rw_vocab_from_strings(rw_vocab *v, char **strings, int n, bool with_unk)
{
    qsort(strings, (size_t)n, sizeof *strings, cmp_str);
    int unique = 0;
    for (int i = 0; i < n; i++)
        unique += i == 0 || strcmp(strings[i], strings[i - 1]) != 0;
    if (alloc_tokens(v, unique + (with_unk ? 1 : 0)) != RW_OK)
        return RW_ERR_NOMEM;
    int k = 0;
    if (with_unk && !(v->tok[k++] = rwi_strdup("<unk>", "a token")))
        return RW_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        if ((i == 0 || strcmp(strings[i], strings[i - 1]) != 0) && !(v->tok[k++] = rwi_strdup(strings[i], "a token")))
            return RW_ERR_NOMEM;
    return finish(v);
}

rw_status rw_vocab_from_words(rw_vocab *v, char **words, int n, int min_count)
{
    return rw_vocab_from_words_capped(v, words, n, min_count, 0);
}

typedef struct counted_word {
    char *word;
    int count;
} counted_word;

/* More frequent first; equal counts in string order (the words arrive sorted, and qsort is not stable). */
static int by_falling_count(const void *a, const void *b)
{
    const counted_word *x = a, *y = b;
    return x->count != y->count ? (x->count > y->count ? -1 : 1) : strcmp(x->word, y->word);
}

rw_status rw_vocab_from_words_capped(rw_vocab *v, char **words, int n, int min_count, int max_size)
{
    if (max_size < 0 || max_size == 1)
        return rw_error(RW_ERR_ARG, "a word vocabulary of at most %d tokens has no room for a word beside <unk> "
                        "(the cap is 0 for none, or >= 2)", max_size);
    counted_word *keep = rwi_malloc((size_t)(n ? n : 1) * sizeof *keep, "words");
    char **names = rwi_malloc((size_t)(n ? n : 1) * sizeof *names, "words");
    if (!keep || !names) {
        rwi_free(keep);
        rwi_free(names);
        return RW_ERR_NOMEM;
    }
    qsort(words, (size_t)n, sizeof *words, cmp_str);
    int k = 0;
    for (int i = 0, j; i < n; i = j) {
        for (j = i; j < n && !strcmp(words[j], words[i]); j++)
            ;
        if (j - i >= min_count)
            keep[k++] = (counted_word){ words[i], j - i };
    }
    if (max_size && k > max_size - 1) { /* the max_size - 1 most frequent, <unk> for the rest */
        qsort(keep, (size_t)k, sizeof *keep, by_falling_count);
        k = max_size - 1;
    }
    for (int i = 0; i < k; i++)
        names[i] = keep[i].word;
    rw_status st = rw_vocab_from_strings(v, names, k, true);
    rwi_free(keep);
    rwi_free(names);
    return st;
}

rw_status rw_vocab_opaque(rw_vocab *v, int n)
{
    v->n = n;
    v->unk = -1;
    return RW_OK;
}

int rw_vocab_find(const rw_vocab *v, const char *s, size_t len)
{
    if (!v->tok)
        return -1;
    if (v->bytes && len == 1)
        return v->byte_id[(unsigned char)s[0]];
    int lo = 0, hi = v->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *t = v->tok[v->sorted[mid]];
        int c = strncmp(t, s, len);
        if (c == 0)
            c = t[len] ? 1 : 0;
        if (c == 0)
            return v->sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

const char *rw_vocab_token(const rw_vocab *v, int id)
{
    return v && v->tok && id >= 0 && id < v->n ? v->tok[id] : NULL;
}

/* ---- text into ids ------------------------------------------------------------------- */

static unsigned char fold(bool lowercase, char c)
{
    return (unsigned char)(lowercase ? tolower((unsigned char)c) : c);
}

void rw_bytes_mark(const char *text, size_t len, bool lowercase, unsigned char present[256])
{
    for (size_t i = 0; i < len; i++)
        present[fold(lowercase, text[i])] = 1;
}

void rw_bytes_encode(const rw_vocab *v, const char *text, size_t len, bool lowercase, int32_t *ids)
{
    for (size_t i = 0; i < len; i++) {
        int id = v->byte_id[fold(lowercase, text[i])];
        ids[i] = id >= 0 ? id : v->unk;
    }
}

/* The next whitespace-separated word from *p: its start, and its length in
 * *len (0 at the end of the text). */
static const char *next_word(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s && isspace((unsigned char)*s))
        s++;
    *len = strcspn(s, " \t\r\n\f\v");
    *p = s + *len;
    return s;
}

rw_status rw_words_append(const char *text, char ***words, int *n)
{
    size_t len;
    for (const char *p = text, *w; (w = next_word(&p, &len)), len;) {
        char **grown = rwi_realloc(*words, (size_t)(*n + 1) * sizeof **words, "words");
        if (!grown)
            return RW_ERR_NOMEM;
        *words = grown;
        char *copy = rwi_malloc(len + 1, "a word");
        if (!copy)
            return RW_ERR_NOMEM;
        memcpy(copy, w, len);
        copy[len] = '\0';
        (*words)[(*n)++] = copy;
    }
    return RW_OK;
}

int rw_vocab_encode(const rw_vocab *v, const char *text, int32_t *ids)
{
    if (v->bytes) {
        size_t len = strlen(text);
        rw_bytes_encode(v, text, len, false, ids);
        return (int)len;
    }
    int n = 0;
    size_t len;
    for (const char *p = text, *w; (w = next_word(&p, &len)), len;) {
        int id = rw_vocab_find(v, w, len);
        ids[n++] = id >= 0 ? id : v->unk;
    }
    return n;
}

void rw_lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* ---- saving and reading back --------------------------------------------------------- */

/* Printable ASCII stays; '\\' and every other byte become \\ and \xHH. */
static size_t escaped(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[4];
        size_t k = 0;
        if (c == '\\') {
            e[k++] = '\\';
            e[k++] = '\\';
        } else if (c < 0x21 || c >= 0x7f) {
            e[k++] = '\\';
            e[k++] = 'x';
            e[k++] = hex[c >> 4];
            e[k++] = hex[c & 15];
        } else {
            e[k++] = (char)c;
        }
        if (out)
            memcpy(out + n, e, k);
        n += k;
    }
    return n;
}

static size_t write_list(char *out, const char *label, const rw_vocab *v)
{
    char head[64];
    size_t n = (size_t)snprintf(head, sizeof head, "%s %d%s\n", label, v->n, v->bytes ? " bytes" : "");
    if (out)
        memcpy(out, head, n);
    for (int i = 0; i < v->n; i++) {
        n += escaped(out ? out + n : NULL, v->tok[i]);
        if (out)
            out[n] = '\n';
        n++;
    }
    return n;
}

static const char saved_head[] = "rewind-vocab 1\n";

char *rw_vocab_to_text(const rw_vocab *tokens, const rw_vocab *labels)
{
    if (!tokens || !tokens->tok) {
        rw_error(RW_ERR_ARG, "rw_vocab_to_text: the vocabulary is opaque (no token strings)");
        return NULL;
    }
    if (labels && !labels->tok)
        labels = NULL;
    size_t n = sizeof saved_head - 1 + write_list(NULL, "tokens", tokens) + (labels ? write_list(NULL, "labels",
                                                                                                  labels) : 0);
    char *out = rwi_malloc(n + 1, "a saved vocabulary");
    if (!out)
        return NULL;
    memcpy(out, saved_head, sizeof saved_head - 1);
    size_t at = sizeof saved_head - 1;
    at += write_list(out + at, "tokens", tokens);
    if (labels)
        at += write_list(out + at, "labels", labels);
    out[at] = '\0';
    return out;
}

static rw_status read_list(const char **p, const char *label, rw_vocab *v)
{
    int n = 0, used = 0;
    char kind[16] = "";
    char fmt[40];
    snprintf(fmt, sizeof fmt, "%s %%d%%n", label);
    if (sscanf(*p, fmt, &n, &used) != 1 || n < 1 || n > 100000000)
        return rw_error(RW_ERR_FORMAT, "saved vocabulary: expected '%s <count>'", label);
    *p += used;
    if (sscanf(*p, " %15[a-z]", kind) == 1 && !strcmp(kind, "bytes"))
        v->bytes = true;
    *p = strchr(*p, '\n');
    /* one token a line: a count larger than the lines present is refused
     * before anything is allocated for it (a 40-byte 'tokens 100000000' in
     * an untrusted checkpoint must not cost 800 MB) */
    int lines = 0;
    for (const char *s = *p ? *p + 1 : NULL; s && lines < n && (s = strchr(s, '\n')) != NULL; s++)
        lines++;
    if (*p && lines < n)
        return rw_error(RW_ERR_FORMAT, "saved vocabulary: '%s %d' but only %d lines follow", label, n, lines);
    if (!*p || alloc_tokens(v, n) != RW_OK)
        return rw_last_status() != RW_OK ? rw_last_status() : rw_error(RW_ERR_FORMAT, "saved vocabulary: truncated");
    (*p)++;
    for (int i = 0; i < n; i++) {
        const char *end = strchr(*p, '\n');
        if (!end)
            return rw_error(RW_ERR_FORMAT, "saved vocabulary: %s %d of %d is missing", label, i + 1, n);
        char *t = rwi_malloc((size_t)(end - *p) + 1, "a token");
        if (!t)
            return RW_ERR_NOMEM;
        size_t k = 0;
        for (const char *s = *p; s < end; s++) {
            unsigned x;
            if (s[0] == '\\' && s[1] == '\\') {
                t[k++] = '\\';
                s++;
            } else if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &x) == 1) {
                t[k++] = (char)x;
                s += 3;
            } else {
                t[k++] = *s;
            }
        }
        t[k] = '\0';
        v->tok[i] = t;
        *p = end + 1;
    }
    return finish(v);
}

rw_status rw_vocab_from_text(rw_vocab *tokens, rw_vocab *labels, const char *text)
{
    const char *p = text;
    if (strncmp(p, saved_head, sizeof saved_head - 1) != 0)
        return rw_error(RW_ERR_FORMAT, "saved vocabulary: expected 'rewind-vocab 1' first");
    p += sizeof saved_head - 1;
    if (read_list(&p, "tokens", tokens) != RW_OK)
        return rw_last_status();
    if (*p && read_list(&p, "labels", labels) != RW_OK)
        return rw_last_status();
    return RW_OK;
}
