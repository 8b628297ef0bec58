/* Real vectors written as text, one sequence in a line: steps separated by
 * ';', the numbers of a step by spaces, tabs or commas ("0.5 1; 0.25 0").
 * Used by the tsv_vectors data kind for features and real targets. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rewind/corpus.h"

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    return p;
}

int rw_parse_steps(const char *s, int *width, rw_real *out)
{
    if (!s || !width || !out || *width < 0) {
        rw_error(RW_ERR_ARG, "rw_parse_steps: needs text, a width >= 0 and room for the values");
        return -1;
    }
    int steps = 0;
    size_t at = 0;
    for (const char *p = s;; p++) {
        int got = 0;
        for (p = skip_blanks(p); *p && *p != ';'; p = skip_blanks(p)) {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || !isfinite(v) || errno == ERANGE) {
                size_t len = strcspn(p, " \t,;");
                rw_error(RW_ERR_FORMAT, "step %d: '%.*s' is not a finite number", steps + 1, (int)(len > 40 ? 40 : len),
                         p);
                return -1;
            }
            out[at++] = (rw_real)v;
            got++;
            p = end;
        }
        if (got == 0) {
            rw_error(RW_ERR_FORMAT, "step %d is empty (steps are separated by ';')", steps + 1);
            return -1;
        }
        if (*width == 0)
            *width = got;
        if (got != *width) {
            rw_error(RW_ERR_FORMAT, "step %d has %d value%s, expected %d", steps + 1, got, got == 1 ? "" : "s", *width);
            return -1;
        }
        steps++;
        if (!*p)
            return steps;
    }
}
