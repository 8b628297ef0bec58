/* rewind/corpus.h - reading training data: text files, data paths,
 * tab-separated examples, and windows over parallel token streams.
 *
 * A character-level corpus is read as one byte stream and cut into B
 * parallel streams, each read in windows of T steps (truncated BPTT: the
 * recurrent state is carried from one window of a stream to the next):
 *
 *   rw_byte_corpus c = { 0 };
 *   const char *paths[] = { "input.txt" };
 *   if (rw_byte_corpus_read(&c, paths, 1, false) != RW_OK)
 *       return rw_last_status();               // "cannot open data file 'input.txt': ..."
 *   rw_windows w;
 *   if (rw_windows_init(&w, c.ids, c.n, &(rw_windows_opts){ .streams = 32, .window = 64 }) != RW_OK)
 *       return rw_last_status();
 *   int32_t in[64 * 32], next[64 * 32];        // [T, B], row t holds step t of every stream
 *   int T;
 *   while ((T = rw_windows_next(&w, in, next)) > 0)
 *       ...                                    // next[i] is the token after in[i]
 *   rw_byte_corpus_free(&c);
 *
 * Examples for classification (label<TAB>text) or sequence to sequence
 * (source<TAB>target) are read a line at a time; a bad line is an error
 * naming the file and line:
 *
 *   rw_tsv *t = rw_tsv_open("train.tsv", &(rw_tsv_opts){ .first = "label", .second = "text" });
 *   rw_tsv_row row;
 *   int got;
 *   while (t && (got = rw_tsv_next(t, &row)) > 0)
 *       ...                                    // row.first, row.second, row.line
 *   rw_tsv_close(t);                           // got < 0: "train.tsv:7: expected label<TAB>text"
 *
 * Everything here reports failures through rw_last_error().
 */
#ifndef REWIND_CORPUS_H
#define REWIND_CORPUS_H

#include "rewind/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rewind/error.h"
#include "rewind/tensor.h"
#include "rewind/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- text files --------------------------------------------------------------- */

/* The whole file, NUL-terminated (it may hold NUL bytes of its own: *len
 * is the byte count); free() it. NULL with RW_ERR_IO naming the file. */
RW_API char *rw_read_file(const char *path, size_t *len);
/* The files one after another, as one text; free() it. */
RW_API char *rw_read_files(const char *const *paths, int n, size_t *len);

/* A byte corpus: the bytes of some files as ids of their byte vocabulary
 * (the distinct bytes, ids in byte order; lowercased first when asked). */
typedef struct rw_byte_corpus {
    int32_t *ids;
    size_t n;
    rw_vocab vocab;
} rw_byte_corpus;

/* Fills a zeroed corpus; on failure it holds nothing to free. */
RW_API rw_status rw_byte_corpus_read(rw_byte_corpus *c, const char *const *paths, int n, bool lowercase);
RW_API void rw_byte_corpus_free(rw_byte_corpus *c);

/* ---- data paths ----------------------------------------------------------------- */

/* A list of data files. */
typedef struct rw_file_list {
    char **paths;
    int count;
} rw_file_list;

#define RW_MAX_DATA_FILES 100000

/* Adds `path`: a regular file; a directory (its regular files, sorted by
 * name); or a glob pattern (its matches that are regular files). Symbolic
 * links, hidden names (".x") and names matching one of the fnmatch(3)
 * patterns `exclude[0..n_exclude)` are left out of directories and globs.
 * `written` is the path as the user wrote it, for messages. RW_ERR_IO when
 * nothing is found ("no data file matches 'x/a*.txt' (/data/x/a*.txt)"). */
RW_API rw_status rw_file_list_add(rw_file_list *f, const char *path, const char *written, const char *const *exclude,
                           int n_exclude);
RW_API void rw_file_list_free(rw_file_list *f);

/* ---- tab-separated examples ------------------------------------------------------ */

typedef struct rw_tsv_opts {
    const char *first, *second;  /* the columns' names, for errors ("label", "text") */
    bool allow_empty;            /* accept an empty column (the tab is still required) */
} rw_tsv_opts;

/* One line "first<TAB>second" (a trailing '\r' removed; further tabs belong
 * to the second column). The strings point into the reader and stay valid,
 * and writable, until rw_tsv_close. */
typedef struct rw_tsv_row {
    char *first, *second;
    const char *path;
    int line;                    /* 1-based */
} rw_tsv_row;

typedef struct rw_tsv rw_tsv;

/* Reads the whole file. NULL with RW_ERR_IO naming it. */
RW_API rw_tsv *rw_tsv_open(const char *path, const rw_tsv_opts *o);
/* The next non-empty line: 1 and *row, 0 at the end, or -1 with
 * RW_ERR_FORMAT "path:line: expected first<TAB>second". */
RW_API int rw_tsv_next(rw_tsv *t, rw_tsv_row *row);
RW_API void rw_tsv_close(rw_tsv *t);

/* ---- windows over parallel streams ---------------------------------------------------- */

typedef struct rw_windows_opts {
    int streams;        /* B: the token sequence is cut into B equal streams */
    int window;         /* T: steps per window */
    /* Use fewer streams when the sequence is short, so that each stream
     * holds at least one window and the token after it. */
    bool fit_streams;
    /* Only whole windows: the rest of each stream after the last whole
     * window is never read (else the last window is shorter). */
    bool whole_windows;
} rw_windows_opts;

/* Stream b is ids[b*len .. (b+1)*len] (len = (n-1)/B, plus the token after
 * it as the last target); plain data, nothing to free. */
typedef struct rw_windows {
    const int32_t *ids;
    size_t len;         /* steps per stream */
    size_t at;          /* where the next window starts in every stream */
    int streams, window;
    bool whole_windows;
} rw_windows;

/* RW_ERR_ARG when B or T < 1, RW_ERR_FORMAT when the tokens do not make one
 * step per stream (or, with whole_windows, one whole window). Starts at 0. */
RW_API rw_status rw_windows_init(rw_windows *w, const int32_t *ids, size_t n, const rw_windows_opts *o);
/* Restarts every stream at step `offset` (< the stream length). */
RW_API void rw_windows_start(rw_windows *w, size_t offset);
/* Writes the next window, [T', B] row-major, into inputs and targets (the
 * token after each input; room for T*B each) and returns T' (T, or less
 * for the last window), or 0 when the streams are exhausted. */
RW_API int rw_windows_next(rw_windows *w, int32_t *inputs, int32_t *targets);
/* Windows in one pass from step 0. */
RW_API long rw_windows_count(const rw_windows *w);

/* ---- real vectors as text ------------------------------------------------ */

/* Parses one sequence of real vectors: steps separated by ';', the numbers
 * of a step by spaces, tabs or commas ("0.5 1; 0.25 0; 0.75 1" is 3 steps of
 * width 2). *width 0: set from the first step; every step must then have
 * that many numbers. out needs room for strlen(s) / 2 + 1 values (written
 * step after step). Returns the number of steps, or -1 with an
 * RW_ERR_FORMAT error naming the step ("step 3 has 1 value, expected 2"). */
RW_API int rw_parse_steps(const char *s, int *width, rw_real *out);

#ifdef __cplusplus
}
#endif

#endif
