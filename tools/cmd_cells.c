/* rewind cells: the registered recurrent cells (built-ins first) with their
 * one-line doc and options; `rewind cells NAME` shows one cell. */
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"

static const cli_command cells_cmd = {
    .name = "cells",
    .usage = "[NAME]",
    .summary = "Lists the registered recurrent cells: the names a model file's recurrent layers use\n"
               "('- lstm: {...}' or '- rnn: {cell: lstm, ...}'), each with its options: type, default,\n"
               "allowed values and meaning. With NAME, shows that cell only.",
    .opts = NULL, .n_opts = 0, .min_pos = 0, .max_pos = 1,
};

static const char *type_name(rw_option_type t)
{
    switch (t) {
    case RW_OPTION_BOOL: return "bool";
    case RW_OPTION_INT: return "int";
    case RW_OPTION_REAL: return "real";
    case RW_OPTION_ENUM: return "enum";
    }
    return "?";
}

static void print_cell(const rw_cell_def *d)
{
    printf("%s: %s\n", d->name, d->doc ? d->doc : "(no description)");
    for (int k = 0; k < d->n_options; k++) {
        const rw_cell_option *o = &d->options[k];
        char def[64], allowed[256];
        printf("    %-18s %-4s  default %-6s  %-28s  %s\n", o->name, type_name(o->type),
               rw_cell_option_format(o, d->opts_defaults, def, sizeof def),
               rw_cell_option_allowed(o, allowed, sizeof allowed), o->doc ? o->doc : "");
    }
}

int cmd_cells(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&cells_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    int shown = 0;
    for (int i = 0; i < rw_cell_count(); i++)
        if (a.n_pos == 0 || !strcmp(a.pos[0], rw_cell_at(i)->name)) {
            print_cell(rw_cell_at(i));
            shown++;
        }
    if (a.n_pos == 1 && !shown)
        cli_error("cells", "no cell is registered as '%s'; 'rewind cells' lists them", a.pos[0]);
    else if (a.n_pos == 0)
        printf("%d cells\n", shown);
    cli_args_free(&a);
    return shown ? EXIT_OK : EXIT_FAIL;
}
