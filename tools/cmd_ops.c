/* rewind ops: the registered ops (built-ins first, then any user ops), with
 * their arity and one-line doc; `rewind ops NAME` shows one op in full. */
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"

static const cli_opt opts[] = {
    { "attrs", NULL, false, "also list every op's attributes" },
};

static const cli_command ops_cmd = {
    .name = "ops",
    .usage = "[NAME] [--attrs]",
    .summary = "Lists the registered ops: name, arity (number of inputs; N+ for a variadic op taking at\n"
               "least N), and what each computes. These are the ops a model file's cells may use by name.\n"
               "With NAME, shows that op's inputs without gradient and its attributes with defaults.",
    .opts = opts, .n_opts = 1, .min_pos = 0, .max_pos = 1,
};

static void arity_text(const rw_op_def *d, char *buf, size_t n)
{
    if (d->arity == RW_VARIADIC)
        snprintf(buf, n, "%d+", d->min_arity);
    else
        snprintf(buf, n, "%d", d->arity);
}

static const char *type_name(rw_attr_type t)
{
    return t == RW_ATTR_INT ? "int" : t == RW_ATTR_REAL ? "real" : "bool";
}

static void print_attrs(const rw_op_def *d, const char *indent)
{
    for (int k = 0; k < d->n_attrs; k++) {
        const rw_attr_def *a = &d->attrs[k];
        printf("%s%s (%s, default %g)%s%s\n", indent, a->name, type_name(a->type), a->default_value,
               a->doc ? ": " : "", a->doc ? a->doc : "");
    }
}

static void print_one(const rw_op_def *d)
{
    char ar[16];
    arity_text(d, ar, sizeof ar);
    printf("%s\n  %s\n  inputs: %s\n", d->name, d->doc ? d->doc : "(no description)", ar);
    if (d->nondiff) {
        printf("  inputs without gradient:");
        for (int i = 0; i < 32; i++)
            if (d->nondiff & (1u << i))
                printf(" %d", i);
        printf("\n");
    }
    printf("  differentiable: %s\n", d->backward ? "yes" : "no");
    if (d->n_attrs) {
        printf("  attributes:\n");
        print_attrs(d, "    ");
    }
}

int cmd_ops(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&ops_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    int n = rw_op_count();
    if (a.n_pos == 1) {
        const rw_op_def *d = rw_op_find(a.pos[0]);
        if (!d) {
            cli_error("ops", "no op is registered as '%s'; 'rewind ops' lists them", a.pos[0]);
            cli_args_free(&a);
            return EXIT_FAIL;
        }
        print_one(d);
        cli_args_free(&a);
        return EXIT_OK;
    }
    bool attrs = cli_has(&a, "attrs");
    int width = 4;
    for (int i = 0; i < n; i++) {
        const rw_op_def *d = rw_op_at(i);
        int len = d ? (int)strlen(d->name) : 0;
        width = len > width ? len : width;
    }
    printf("%-*s  %-5s  %s\n", width, "op", "arity", "computes");
    for (int i = 0; i < n; i++) {
        const rw_op_def *d = rw_op_at(i);
        if (!d)
            continue;
        char ar[16];
        arity_text(d, ar, sizeof ar);
        printf("%-*s  %-5s  %s\n", width, d->name, ar, d->doc ? d->doc : "");
        if (attrs)
            print_attrs(d, "        ");
    }
    printf("%d ops\n", n);
    cli_args_free(&a);
    return EXIT_OK;
}
