/* Per-thread last-error message and status. */
#include <stdio.h>
#include <string.h>
#include "rewind/error.h"

#define RW_ERROR_LEN 1024

static _Thread_local char last_message[RW_ERROR_LEN];
static _Thread_local rw_status last_status = RW_OK;

const char *rw_last_error(void) { return last_message; }

rw_status rw_last_status(void) { return last_status; }

rw_status rw_error(rw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    last_status = status;
    return status;
}

void rw_error_prefix(const char *fmt, ...)
{
    char prefix[RW_ERROR_LEN];
    char old[RW_ERROR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_message, sizeof old);
    /* Truncation is acceptable here: the message is bounded on purpose. */
    size_t lp = strlen(prefix);
    if (lp > sizeof last_message - 3)
        lp = sizeof last_message - 3;
    memcpy(last_message, prefix, lp);
    memcpy(last_message + lp, ": ", 2);
    size_t rest = sizeof last_message - lp - 3;
    size_t lo = strlen(old);
    if (lo > rest)
        lo = rest;
    memcpy(last_message + lp + 2, old, lo);
    last_message[lp + 2 + lo] = '\0';
}

void rw_error_clear(void)
{
    last_message[0] = '\0';
    last_status = RW_OK;
}

const char *rw_status_name(rw_status status)
{
    switch (status) {
    case RW_OK: return "ok";
    case RW_ERR_SHAPE: return "shape error";
    case RW_ERR_ARG: return "invalid argument";
    case RW_ERR_NOMEM: return "out of memory";
    case RW_ERR_IO: return "I/O error";
    case RW_ERR_FORMAT: return "malformed data";
    case RW_ERR_STATE: return "call out of order";
    case RW_ERR_NUMERIC: return "numeric error";
    }
    return "unknown status";
}
