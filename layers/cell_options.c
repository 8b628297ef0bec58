/* Cell options by name: defaults, setting from text or a number with type
 * and range checks, formatting for listings and messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind/cell.h"

const rw_cell_option *rw_cell_option_find(const rw_cell_def *def, const char *name)
{
    for (int i = 0; def && name && i < def->n_options; i++)
        if (strcmp(def->options[i].name, name) == 0)
            return &def->options[i];
    return NULL;
}

void rw_cell_default_opts(const rw_cell_def *def, void *opts)
{
    if (!def || !opts || !def->opts_size)
        return;
    if (def->opts_defaults)
        memcpy(opts, def->opts_defaults, def->opts_size);
    else
        memset(opts, 0, def->opts_size);
}

double rw_cell_option_value(const rw_cell_option *o, const void *opts)
{
    static const char zeros[sizeof(double)];
    const char *field = opts ? (const char *)opts + o->offset : zeros; /* NULL opts: all zero */
    switch (o->type) {
    case RW_OPTION_BOOL: { bool b; memcpy(&b, field, sizeof b); return b; }
    case RW_OPTION_REAL: { double d; memcpy(&d, field, sizeof d); return d; }
    case RW_OPTION_INT:
    case RW_OPTION_ENUM: { int i; memcpy(&i, field, sizeof i); return i; }
    }
    return 0;
}

static const char *type_word(rw_option_type t)
{
    switch (t) {
    case RW_OPTION_BOOL: return "a bool";
    case RW_OPTION_INT: return "an integer";
    case RW_OPTION_REAL: return "a number";
    case RW_OPTION_ENUM: return "one of";
    }
    return "?";
}

const char *rw_cell_option_allowed(const rw_cell_option *o, char *buf, size_t len)
{
    if (!len)
        return buf;
    buf[0] = '\0';
    switch (o->type) {
    case RW_OPTION_BOOL: snprintf(buf, len, "true | false"); break;
    case RW_OPTION_INT: snprintf(buf, len, "%.0f .. %.0f", o->min, o->max); break;
    case RW_OPTION_REAL: snprintf(buf, len, "[%g, %g]", o->min, o->max); break;
    case RW_OPTION_ENUM: {
        size_t at = 0;
        for (int i = 0; i < o->n_names; i++) {
            if (!o->names[i])
                continue;
            int w = snprintf(buf + at, len - at, "%s%s", at ? " | " : "", o->names[i]);
            if (w < 0 || (size_t)w >= len - at)
                break;
            at += (size_t)w;
        }
        break;
    }
    }
    return buf;
}

const char *rw_cell_option_format(const rw_cell_option *o, const void *opts, char *buf, size_t len)
{
    double v = rw_cell_option_value(o, opts);
    int i = (int)v;
    if (o->type == RW_OPTION_BOOL)
        snprintf(buf, len, "%s", v != 0 ? "true" : "false");
    else if (o->type == RW_OPTION_ENUM)
        snprintf(buf, len, "%s", i >= 0 && i < o->n_names && o->names[i] ? o->names[i] : "?");
    else
        snprintf(buf, len, "%g", v);
    return buf;
}

/* Whether v is a value the option accepts. */
static bool fits(const rw_cell_option *o, double v)
{
    switch (o->type) {
    case RW_OPTION_BOOL: return v == 0 || v == 1;
    case RW_OPTION_INT: return v == floor(v) && v >= o->min && v <= o->max;
    case RW_OPTION_REAL: return isfinite(v) && v >= o->min && v <= o->max;
    case RW_OPTION_ENUM: return v == floor(v) && v >= 0 && v < o->n_names && o->names[(int)v];
    }
    return false;
}

static rw_status misfit(const rw_cell_def *def, const rw_cell_option *o, const char *got)
{
    char allowed[256];
    return rw_error(RW_ERR_ARG, "cell '%s': option '%s' must be %s %s, got %s", def->name, o->name,
                    type_word(o->type), rw_cell_option_allowed(o, allowed, sizeof allowed), got);
}

static rw_status no_such_option(const rw_cell_def *def, const char *name)
{
    char list[512] = "";
    size_t at = 0;
    for (int i = 0; i < def->n_options; i++) {
        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", def->options[i].name);
        if (w > 0 && (size_t)w < sizeof list - at)
            at += (size_t)w;
    }
    return rw_error(RW_ERR_ARG, "cell '%s' has no option '%s' (%s%s)", def->name, name,
                    def->n_options ? "its options: " : "it has none", list);
}

static void store(const rw_cell_option *o, void *opts, double v)
{
    char *field = (char *)opts + o->offset;
    if (o->type == RW_OPTION_BOOL) {
        bool b = v != 0;
        memcpy(field, &b, sizeof b);
    } else if (o->type == RW_OPTION_REAL) {
        memcpy(field, &v, sizeof v);
    } else {
        int i = (int)v;
        memcpy(field, &i, sizeof i);
    }
}

rw_status rw_cell_option_set_value(const rw_cell_def *def, void *opts, const char *name, double value)
{
    if (!def || !opts || !name)
        return rw_error(RW_ERR_ARG, "rw_cell_option_set: NULL %s", !def ? "cell" : !opts ? "options" : "name");
    const rw_cell_option *o = rw_cell_option_find(def, name);
    if (!o)
        return no_such_option(def, name);
    if (!fits(o, value)) {
        char got[64];
        snprintf(got, sizeof got, "%g", value);
        return misfit(def, o, got);
    }
    store(o, opts, value);
    return RW_OK;
}

rw_status rw_cell_option_set(const rw_cell_def *def, void *opts, const char *name, const char *value)
{
    if (!def || !opts || !name || !value)
        return rw_error(RW_ERR_ARG, "rw_cell_option_set: NULL %s", !def ? "cell" : !opts ? "options" :
                        !name ? "name" : "value");
    const rw_cell_option *o = rw_cell_option_find(def, name);
    if (!o)
        return no_such_option(def, name);
    double v = NAN;
    if (o->type == RW_OPTION_BOOL) {
        v = !strcmp(value, "true") ? 1 : !strcmp(value, "false") ? 0 : NAN;
    } else if (o->type == RW_OPTION_ENUM) {
        for (int i = 0; i < o->n_names; i++)
            if (o->names[i] && !strcmp(o->names[i], value))
                v = i;
    } else {
        char *end = NULL;
        errno = 0;
        double d = strtod(value, &end);
        if (end != value && !*end && !errno)
            v = d;
    }
    if (isnan(v) || !fits(o, v)) {
        char got[96];
        snprintf(got, sizeof got, "\"%.80s\"", value);
        return misfit(def, o, got);
    }
    store(o, opts, v);
    return RW_OK;
}

rw_status rw_cell_check_opts(const rw_cell_def *def, const void *opts, const char **blame)
{
    if (blame)
        *blame = NULL;
    for (int i = 0; i < def->n_options; i++) {
        const rw_cell_option *o = &def->options[i];
        double v = rw_cell_option_value(o, opts);
        if (!fits(o, v)) {
            if (blame)
                *blame = o->name;
            char got[64];
            return misfit(def, o, rw_cell_option_format(o, opts, got, sizeof got));
        }
    }
    if (def->check && opts && def->check(opts, blame) != RW_OK)
        return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_ARG;
    return RW_OK;
}
