/* rewind/error.h - status codes and the last-error message.
 *
 * Every function that can fail on user input returns an rw_status (or NULL)
 * and leaves a human-readable message, retrievable with rw_last_error(),
 * that says what failed, where, and with which shapes. Nothing in the
 * library aborts or exits on bad input. The message is per thread.
 */
#ifndef REWIND_ERROR_H
#define REWIND_ERROR_H

#include "rewind/export.h"
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rw_status {
    RW_OK = 0,
    RW_ERR_SHAPE,   /* tensor shapes or dtypes do not fit an op */
    RW_ERR_ARG,     /* an invalid argument (NULL, out of range, unknown name) */
    RW_ERR_NOMEM,   /* an allocation failed */
    RW_ERR_IO,      /* a file could not be opened, read or written */
    RW_ERR_FORMAT,  /* a file's content is malformed or corrupt */
    RW_ERR_STATE,   /* an API call made in the wrong order */
    RW_ERR_NUMERIC  /* a non-finite value where a finite one was required */
} rw_status;

/* The message left by the most recent failure on this thread ("" if none). */
RW_API const char *rw_last_error(void);

/* The status of the most recent failure on this thread (RW_OK if none). */
RW_API rw_status rw_last_status(void);

/* Records a failure: formats the message (printf-style) and returns `status`,
 * so a failing function can `return rw_error(RW_ERR_SHAPE, "...")`.
 * User ops call it from their shape rules. */
RW_API rw_status rw_error(rw_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prefixes the current message with "context: " (e.g. a file name or a layer). */
RW_API void rw_error_prefix(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Forgets the last failure. */
RW_API void rw_error_clear(void);

/* A short name for a status ("shape error", "out of memory", ...). */
RW_API const char *rw_status_name(rw_status status);

#ifdef __cplusplus
}
#endif
#endif
