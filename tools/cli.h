/* tools/cli.h - what the `rewind` program's files share: exit statuses,
 * the command entry points, and command-line option parsing.
 *
 * Every command is `int cmd_<name>(int argc, char **argv)` with argv[0] the
 * command's name; it returns the process exit status:
 *   0  success (including training stopped by Ctrl-C with a checkpoint saved)
 *   1  a failure of the work itself (a model that does not load, training
 *      that fails): the message is rw_last_error()
 *   2  a usage error (unknown command or option, missing or bad argument)
 */
#ifndef REWIND_TOOLS_CLI_H
#define REWIND_TOOLS_CLI_H

#include <stdbool.h>
#include <rewind/error.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ops(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_cells(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* plugins.c: loads every "--plugin PATH" (or --plugin=PATH), wherever it is
 * on the command line, and removes it from argv. -1 to go on, else the exit
 * status (a clear message was printed). */
int plugins_load_from_args(int *argc, char **argv);
/* The rw_model_load_opts.load_plugin of every command: loads a model file's
 * `plugins:` entry (once, also when --plugin named the same file). */
rw_status plugins_load_for_model(const char *path, void *ctx);
int cmd_translate(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_task(int argc, char **argv);

/* ---- option parsing ------------------------------------------------------- */

/* One option of a command: --name, or --name VALUE / --name=VALUE. */
typedef struct cli_opt {
    const char *name;       /* without the dashes: "steps" */
    const char *metavar;    /* NULL: a flag without a value; else e.g. "N" */
    bool repeat;            /* may be given several times (every value kept) */
    const char *help;       /* one line */
} cli_opt;

/* A command's interface, for parsing and for --help. */
typedef struct cli_command {
    const char *name;       /* "train" */
    const char *usage;      /* after "rewind train ": "MODEL.yaml [options]" */
    const char *summary;    /* what the command does, a few lines */
    const cli_opt *opts;
    int n_opts;
    int min_pos, max_pos;   /* how many positional arguments it takes */
} cli_command;

#define CLI_MAX_OPTS 24
#define CLI_MAX_POS 4

/* The parsed command line. Values point into argv. */
typedef struct cli_args {
    const cli_command *cmd;
    const char *pos[CLI_MAX_POS];
    int n_pos;
    const char *value[CLI_MAX_OPTS];   /* the last value (or "" for a given flag); NULL: not given */
    const char **values[CLI_MAX_OPTS]; /* every value of a repeatable option (malloc'd) */
    int n_values[CLI_MAX_OPTS];
} cli_args;

/* Parses argv[1..argc) for `cmd`. Returns -1 when the command should run;
 * otherwise the exit status to return at once: 0 after printing --help, 2
 * after printing a usage error on stderr. Free with cli_args_free. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);
void cli_print_help(const cli_command *cmd);

/* The value of option `name`, or NULL when it was not given. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_has(const cli_args *a, const char *name);
/* Every value of repeatable option `name`; *n receives how many. */
const char *const *cli_get_all(const cli_args *a, const char *name, int *n);

/* Numbers from option values: true and *out set when option `name` was
 * given and is valid; false (with *ok left alone) when not given; on a bad
 * value a usage message is printed and *ok becomes false. */
bool cli_long(const cli_args *a, const char *name, long min, long max, long *out, bool *ok);
bool cli_double(const cli_args *a, const char *name, double min, double max, double *out, bool *ok);

/* Prints "rewind CMD: error: ..." (and a newline) on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The closest of `names` (NULL-terminated) to `word`, or NULL if none is close. */
const char *cli_closest(const char *word, const char *const *names);

#endif
