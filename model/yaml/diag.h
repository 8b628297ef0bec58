/* Internal: GCC-style diagnostics for model files.
 *
 *   char_lstm.yaml:38:9: error: unknown key 'forget_bais' in 'lstm' (did you mean 'forget_bias'?)
 *      38 |         forget_bais: 1.0
 *         |         ^~~~~~~~~~~
 *     note: ...
 *
 * The first line is what editors jump to; the excerpt and notes follow.
 * Every function records the message with rw_error and returns the status. */
#ifndef RW_MODEL_DIAG_H
#define RW_MODEL_DIAG_H

#include <stddef.h>
#include "yaml_doc.h"

/* An error at node `at` (may be NULL: then only the message). */
rw_status rwi_ydiag(rw_status status, const ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The same with a note line ("note: ...") after the excerpt; note_at may
 * point to a related location (its position then starts the note). */
rw_status rwi_ydiag_note(rw_status status, const ynode *at, const ynode *note_at, const char *note, const char *fmt,
                     ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* An error at an explicit position of a source (libyaml marks, bytes). */
rw_status rwi_ydiag_at(rw_status status, const ysrc *src, int line, int col, size_t start, size_t end,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

/* "name:line:col" of a node, for notes. */
const char *rwi_ywhere(const ynode *n, char *buf, size_t len);

/* Optimal-string-alignment edit distance (a transposition counts 1). */
int rwi_yedit_distance(const char *a, const char *b);
/* The candidate closest to `word` if it is close enough to be a likely
 * typo, else NULL. `cands` holds n strings (NULLs are skipped). */
const char *rwi_yclosest(const char *word, const char *const *cands, int n);
/* Writes " (did you mean 'x'?)" into buf when a close candidate exists,
 * else "". Returns buf. */
const char *rwi_ysuggest(const char *word, const char *const *cands, int n, char *buf, size_t len);

#endif
