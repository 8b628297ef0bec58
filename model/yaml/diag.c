/* GCC-style diagnostics with a source excerpt, a caret range and notes, and
 * the "did you mean" suggestions of every unknown-name error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "diag.h"

#define EXCERPT_MAX 160

/* Appends "   38 | <line>\n      |   ^~~~" for the line holding byte `start`. */
static size_t excerpt(char *buf, size_t cap, const ysrc *src, int line, int col, size_t start, size_t end)
{
    if (!src || !src->text || src->quiet || start > src->len || src->line_offset || src->col_offset)
        return 0;
    size_t b = start;
    while (b > 0 && src->text[b - 1] != '\n')
        b--;
    size_t e = start;
    while (e < src->len && src->text[e] != '\n' && src->text[e] != '\r')
        e++;
    char text[EXCERPT_MAX + 1];
    size_t n = 0;
    for (size_t i = b; i < e && n < EXCERPT_MAX; i++)
        text[n++] = src->text[i] == '\t' ? ' ' : src->text[i];
    text[n] = '\0';
    size_t span = end > start ? end - start : 1;
    if (start + span > e)
        span = e > start ? e - start : 1;
    if (span > 60)
        span = 60;
    char marks[64];
    marks[0] = '^';
    for (size_t i = 1; i < span; i++)
        marks[i] = '~';
    marks[span] = '\0';
    int pad = col > 1 && col - 1 < EXCERPT_MAX ? col - 1 : 0;
    int w = snprintf(buf, cap, "\n%5d | %s\n      | %*s%s", line, text, pad, "", marks);
    return w > 0 ? (size_t)w : 0;
}

static rw_status emit(rw_status status, const ysrc *src, int line, int col, size_t start, size_t end,
                      const ynode *note_at, const char *note, const char *msg)
{
    char out[1024];
    size_t at = 0;
    int w;
    if (src)
        w = snprintf(out, sizeof out, "%s:%d:%d: error: %s", src->name, line, col, msg);
    else
        w = snprintf(out, sizeof out, "error: %s", msg);
    at = w > 0 ? (size_t)w : 0;
    if (at < sizeof out)
        at += excerpt(out + at, sizeof out - at, src, line, col, start, end);
    if (note && at < sizeof out) {
        char where[300] = "";
        if (note_at)
            rwi_ywhere(note_at, where, sizeof where);
        snprintf(out + at, sizeof out - at, "\n  %s%snote: %s", where, where[0] ? ": " : "", note);
    }
    return rw_error(status, "%s", out);
}

rw_status rwi_ydiag_at(rw_status status, const ysrc *src, int line, int col, size_t start, size_t end, const char *fmt,
                   ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (src) {
        if (line == 1)
            col += src->col_offset;
        line += src->line_offset;
    }
    return emit(status, src, line, col, start, end, NULL, NULL, msg);
}

static rw_status node_diag(rw_status status, const ynode *at, const ynode *note_at, const char *note,
                           const char *msg)
{
    if (!at)
        return emit(status, NULL, 0, 0, 0, 0, note_at, note, msg);
    size_t end = at->kind == Y_SCALAR ? at->end : at->start + 1;
    return emit(status, at->src, at->line, at->col, at->start, end, note_at, note, msg);
}

rw_status rwi_ydiag(rw_status status, const ynode *at, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return node_diag(status, at, NULL, NULL, msg);
}

rw_status rwi_ydiag_note(rw_status status, const ynode *at, const ynode *note_at, const char *note, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return node_diag(status, at, note_at, note, msg);
}

const char *rwi_ywhere(const ynode *n, char *buf, size_t len)
{
    if (!n || !n->src)
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%s:%d:%d", n->src->name, n->line, n->col);
    return buf;
}

/* ---- suggestions ------------------------------------------------------------ */

int rwi_yedit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t n = strlen(a), m = strlen(b);
    if (n > MAXLEN || m > MAXLEN)
        return (int)(n > m ? n : m);
    int d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *rwi_yclosest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    size_t wl = strlen(word);
    for (int i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        int d = rwi_yedit_distance(word, cands[i]);
        size_t cl = strlen(cands[i]);
        int limit = (int)((wl > cl ? wl : cl) + 2) / 3; /* about one edit in three characters */
        if (limit < 1)
            limit = 1;
        if (d <= limit && d < best_d && d < (int)(wl > cl ? wl : cl)) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

const char *rwi_ysuggest(const char *word, const char *const *cands, int n, char *buf, size_t len)
{
    const char *c = rwi_yclosest(word, cands, n);
    if (c)
        snprintf(buf, len, " (did you mean '%s'?)", c);
    else if (len)
        buf[0] = '\0';
    return buf;
}
