/* Command-line option parsing for the `rewind` commands: --name VALUE,
 * --name=VALUE, flags, repeatable options, "--" to end the options, and
 * usage errors that say what was expected. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rewind%s%s: error: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Edit distance, for "did you mean". */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40)
        return 99;
    int row[41];
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

const char *cli_closest(const char *word, const char *const *names)
{
    const char *best = NULL;
    int best_d = 3;
    for (int i = 0; names[i]; i++) {
        int d = distance(word, names[i]);
        int limit = (int)strlen(names[i]) / 3 + 1;
        if (d <= limit && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

void cli_print_help(const cli_command *cmd)
{
    printf("usage: rewind %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    printf("\noptions:\n");
    for (int i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        printf("  %-26s %s%s\n", left, o->help, o->repeat ? " (repeatable)" : "");
    }
    printf("  %-26s %s\n", "-h, --help", "show this help");
}

static int find_opt(const cli_command *cmd, const char *name, size_t len)
{
    for (int i = 0; i < cmd->n_opts; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
            return i;
    return -1;
}

static int unknown_option(const cli_command *cmd, const char *arg, size_t len)
{
    const char *names[CLI_MAX_OPTS + 1];
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), arg);
    for (int i = 0; i < cmd->n_opts; i++)
        names[i] = cmd->opts[i].name;
    names[cmd->n_opts] = NULL;
    const char *near = cli_closest(word, names);
    if (near)
        cli_error(cmd->name, "unknown option '--%s' (did you mean '--%s'?); see 'rewind %s --help'", word, near,
                  cmd->name);
    else
        cli_error(cmd->name, "unknown option '--%s'; see 'rewind %s --help'", word, cmd->name);
    return EXIT_USAGE;
}

static int add_value(cli_args *a, int i, const char *v)
{
    a->value[i] = v;
    if (!a->cmd->opts[i].repeat)
        return -1;
    const char **grown = realloc(a->values[i], (size_t)(a->n_values[i] + 1) * sizeof *grown);
    if (!grown) {
        cli_error(a->cmd->name, "out of memory");
        return EXIT_FAIL;
    }
    grown[a->n_values[i]++] = v;
    a->values[i] = grown;
    return -1;
}

static int parse(const cli_command *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    bool options_done = false;
    for (int k = 1; k < argc; k++) {
        const char *arg = argv[k];
        if (!options_done && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            cli_print_help(cmd);
            return EXIT_OK;
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int i = find_opt(cmd, name, len);
            if (i < 0)
                return unknown_option(cmd, name, len);
            const cli_opt *o = &cmd->opts[i];
            const char *v = "";
            if (o->metavar) {
                if (eq) {
                    v = eq + 1;
                } else if (k + 1 < argc) {
                    v = argv[++k];
                } else {
                    cli_error(cmd->name, "option '--%s' needs a value (--%s %s)", o->name, o->name, o->metavar);
                    return EXIT_USAGE;
                }
            } else if (eq) {
                cli_error(cmd->name, "option '--%s' takes no value", o->name);
                return EXIT_USAGE;
            }
            int st = add_value(a, i, v);
            if (st >= 0)
                return st;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            cli_error(cmd->name, "unknown option '%s'; options are written --name (see 'rewind %s --help')", arg,
                      cmd->name);
            return EXIT_USAGE;
        }
        if (a->n_pos >= cmd->max_pos || a->n_pos >= CLI_MAX_POS) {
            cli_error(cmd->name, "unexpected argument '%s' (see 'rewind %s --help')", arg, cmd->name);
            return EXIT_USAGE;
        }
        a->pos[a->n_pos++] = arg;
    }
    if (a->n_pos < cmd->min_pos) {
        /* the positional part of the usage: up to the first option */
        int n = (int)strcspn(cmd->usage, "[\n");
        while (n > 0 && cmd->usage[n - 1] == ' ')
            n--;
        cli_error(cmd->name, "missing argument: rewind %s %.*s (see 'rewind %s --help')", cmd->name, n, cmd->usage,
                  cmd->name);
        return EXIT_USAGE;
    }
    return -1;
}

void cli_args_free(cli_args *a)
{
    for (int i = 0; i < CLI_MAX_OPTS; i++)
        free(a->values[i]);
    memset(a, 0, sizeof *a);
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a)
{
    int st = parse(cmd, argc, argv, a);
    if (st >= 0) /* --help or an error: the command will not run */
        cli_args_free(a);
    return st;
}

static int opt_index(const cli_args *a, const char *name)
{
    return find_opt(a->cmd, name, strlen(name));
}

const char *cli_get(const cli_args *a, const char *name)
{
    int i = opt_index(a, name);
    return i < 0 ? NULL : a->value[i];
}

bool cli_has(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

const char *const *cli_get_all(const cli_args *a, const char *name, int *n)
{
    int i = opt_index(a, name);
    *n = i < 0 ? 0 : a->n_values[i];
    return i < 0 ? NULL : (const char *const *)a->values[i];
}

bool cli_long(const cli_args *a, const char *name, long min, long max, long *out, bool *ok)
{
    const char *v = cli_get(a, name);
    if (!v)
        return false;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < min || x > max) {
        if (max == LONG_MAX)
            cli_error(a->cmd->name, "--%s expects an integer >= %ld, got '%s'", name, min, v);
        else
            cli_error(a->cmd->name, "--%s expects an integer from %ld to %ld, got '%s'", name, min, max, v);
        *ok = false;
        return false;
    }
    *out = x;
    return true;
}

bool cli_double(const cli_args *a, const char *name, double min, double max, double *out, bool *ok)
{
    const char *v = cli_get(a, name);
    if (!v)
        return false;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x) || x < min || x > max) {
        cli_error(a->cmd->name, "--%s expects a number from %g to %g, got '%s'", name, min, max, v);
        *ok = false;
        return false;
    }
    *out = x;
    return true;
}
