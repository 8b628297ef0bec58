/* Vocabularies: byte tokens (kind chars), word tokens with <unk>, class
 * names; encoding text; saving them as text and reading them back (so a
 * checkpoint can rebuild the model without the data). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

void mvocab_free(mvocab *v)
{
    for (int i = 0; v->tok && i < v->n; i++)
        rw_free(v->tok[i]);
    rw_free(v->tok);
    rw_free(v->sorted);
    memset(v, 0, sizeof *v);
}

typedef struct keyed {
    const char *s;
    int id;
} keyed;

static int cmp_keyed(const void *a, const void *b) { return strcmp(((const keyed *)a)->s, ((const keyed *)b)->s); }

/* Index for lookups; the ids keep their order. */
static rw_status finish(mvocab *v)
{
    v->sorted = rw_malloc((size_t)(v->n ? v->n : 1) * sizeof *v->sorted, "a vocabulary index");
    if (!v->sorted)
        return RW_ERR_NOMEM;
    keyed *k = rw_malloc((size_t)(v->n ? v->n : 1) * sizeof *k, "a vocabulary index");
    if (!k)
        return RW_ERR_NOMEM;
    for (int i = 0; i < v->n; i++)
        k[i] = (keyed){ v->tok[i], i };
    qsort(k, (size_t)v->n, sizeof *k, cmp_keyed);
    for (int i = 0; i < v->n; i++)
        v->sorted[i] = k[i].id;
    rw_free(k);
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

static rw_status alloc_tokens(mvocab *v, int n)
{
    v->n = n;
    v->tok = rw_calloc((size_t)(n ? n : 1), sizeof *v->tok, "a vocabulary");
    return v->tok ? RW_OK : RW_ERR_NOMEM;
}

rw_status mvocab_from_bytes(mvocab *v, const unsigned char *present)
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
            if (!(v->tok[i++] = rw_strdup(s, "a token")))
                return RW_ERR_NOMEM;
        }
    return finish(v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

rw_status mvocab_from_strings(mvocab *v, char **strings, int n, bool with_unk)
{
    qsort(strings, (size_t)n, sizeof *strings, cmp_str);
    int unique = 0;
    for (int i = 0; i < n; i++)
        unique += i == 0 || strcmp(strings[i], strings[i - 1]) != 0;
    if (alloc_tokens(v, unique + (with_unk ? 1 : 0)) != RW_OK)
        return RW_ERR_NOMEM;
    int k = 0;
    if (with_unk && !(v->tok[k++] = rw_strdup("<unk>", "a token")))
        return RW_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        if ((i == 0 || strcmp(strings[i], strings[i - 1]) != 0) && !(v->tok[k++] = rw_strdup(strings[i], "a token")))
            return RW_ERR_NOMEM;
    return finish(v);
}

rw_status mvocab_opaque(mvocab *v, int n)
{
    v->n = n;
    v->unk = -1;
    return RW_OK;
}

int mvocab_find(const mvocab *v, const char *s, size_t len)
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

/* ---- the public side ------------------------------------------------------------ */

int rw_model_vocab_size(const rw_model *m) { return m ? m->vocab.n : 0; }
int rw_model_classes(const rw_model *m) { return m && m->target == MT_LABEL ? m->labels.n : 0; }

const char *rw_model_token(const rw_model *m, int id)
{
    return m && m->vocab.tok && id >= 0 && id < m->vocab.n ? m->vocab.tok[id] : NULL;
}

const char *rw_model_label(const rw_model *m, int id)
{
    return m && m->labels.tok && id >= 0 && id < m->labels.n ? m->labels.tok[id] : NULL;
}

int rw_model_encode(const rw_model *m, const char *text, int32_t *ids, int max)
{
    if (!m || !text || (max > 0 && !ids) || !m->vocab.tok) {
        rw_error(RW_ERR_ARG, "rw_model_encode: needs a model with a vocabulary, text and room for ids");
        return -1;
    }
    const mvocab *v = &m->vocab;
    int n = 0;
    for (const char *p = text; *p;) {
        size_t len = 1;
        if (!v->bytes) { /* words, split on whitespace */
            while (*p && isspace((unsigned char)*p))
                p++;
            if (!*p)
                break;
            while (p[len] && !isspace((unsigned char)p[len]))
                len++;
        }
        char low[256];
        const char *tok = p;
        if (m->data.lowercase && len < sizeof low) {
            for (size_t i = 0; i < len; i++)
                low[i] = (char)tolower((unsigned char)p[i]);
            tok = low;
        }
        int id = mvocab_find(v, tok, len);
        if (id < 0)
            id = v->unk;
        if (id < 0) {
            rw_error(RW_ERR_ARG, "rw_model_encode: the vocabulary has no token '%.*s' (byte 0x%02x) and no <unk>",
                     (int)(len < 40 ? len : 40), p, (unsigned char)p[0]);
            return -1;
        }
        if (n < max)
            ids[n] = id;
        n++;
        p += len;
    }
    return n;
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

static size_t write_list(char *out, const char *label, const mvocab *v)
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

char *rw_model_vocab_string(const rw_model *m)
{
    if (!m || !m->vocab.tok) {
        rw_error(RW_ERR_ARG, "rw_model_vocab_string: the model's vocabulary is opaque (no token strings)");
        return NULL;
    }
    static const char head[] = "rewind-vocab 1\n";
    size_t n = sizeof head - 1 + write_list(NULL, "tokens", &m->vocab) + (m->labels.tok ? write_list(NULL, "labels",
                                                                                                     &m->labels) : 0);
    char *out = rw_malloc(n + 1, "a saved vocabulary");
    if (!out)
        return NULL;
    memcpy(out, head, sizeof head - 1);
    size_t at = sizeof head - 1;
    at += write_list(out + at, "tokens", &m->vocab);
    if (m->labels.tok)
        at += write_list(out + at, "labels", &m->labels);
    out[at] = '\0';
    return out;
}

static rw_status read_list(const char **p, const char *label, mvocab *v)
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
    if (!*p || alloc_tokens(v, n) != RW_OK)
        return rw_last_status() != RW_OK ? rw_last_status() : rw_error(RW_ERR_FORMAT, "saved vocabulary: truncated");
    (*p)++;
    for (int i = 0; i < n; i++) {
        const char *end = strchr(*p, '\n');
        if (!end)
            return rw_error(RW_ERR_FORMAT, "saved vocabulary: %s %d of %d is missing", label, i + 1, n);
        char *t = rw_malloc((size_t)(end - *p) + 1, "a token");
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

rw_status mvocab_parse_saved(rw_model *m, const char *text)
{
    const char *p = text;
    if (strncmp(p, "rewind-vocab 1\n", 15) != 0)
        return rw_error(RW_ERR_FORMAT, "saved vocabulary: expected 'rewind-vocab 1' first");
    p += 15;
    if (read_list(&p, "tokens", &m->vocab) != RW_OK)
        return rw_last_status();
    if (*p && read_list(&p, "labels", &m->labels) != RW_OK)
        return rw_last_status();
    return RW_OK;
}
