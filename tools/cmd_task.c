/* rewind task NAME --out DIR: the data of a classic synthetic sequence task
 * (rewind/tasks.h) as DIR/train.tsv, valid.tsv and test.tsv; --list names
 * the tasks. */
#include <limits.h>
#include <stdio.h>
#include <rewind.h>
#include "cli.h"

static const cli_opt opts[] = {
    { "out", "DIR", false, "the directory to write train.tsv, valid.tsv and test.tsv in (created if missing)" },
    { "seed", "N", false, "the seed: the same seed writes the same bytes (default 1)" },
    { "size", "N", false, "the task's size: steps, bits, longest string or depth (see --list; default: the task's)" },
    { "train", "N", false, "examples in train.tsv (default: the task's)" },
    { "valid", "N", false, "examples in valid.tsv (default: the task's)" },
    { "test", "N", false, "examples in test.tsv (default: the task's)" },
    { "list", NULL, false, "list the tasks: name, data kind, what the size means, defaults" },
};

static const cli_command task_cmd = {
    .name = "task",
    .usage = "NAME --out DIR [--seed N] [--size N] [--train N] [--valid N] [--test N] | --list",
    .summary = "Writes the data of a classic synthetic sequence task, deterministically from the seed, in a\n"
               "data kind model files read: adding, sign, larger, sum (tsv_vectors), reber, addition, xml\n"
               "(tsv_tagging), distractor (tsv_classify). models/tasks/NAME.yaml learns each; docs/tasks.md.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 0, .max_pos = 1,
};

static void list_tasks(void)
{
    printf("%-11s %-13s %-20s %7s %7s %7s %7s\n", "task", "kind", "size", "default", "train", "valid", "test");
    for (int i = 0; i < rw_task_count(); i++) {
        const rw_task_info *t = rw_task_at(i);
        printf("%-11s %-13s %-20s %7d %7d %7d %7d\n", t->name, t->kind, t->size_means, t->default_size,
               t->default_train, t->default_valid, t->default_test);
        printf("            %s\n", t->summary);
    }
}

static int run(const cli_args *a)
{
    if (cli_has(a, "list")) {
        list_tasks();
        return EXIT_OK;
    }
    if (a->n_pos != 1 || !cli_has(a, "out")) {
        cli_error("task", "needs a task NAME and --out DIR (see 'rewind task --list')");
        return EXIT_USAGE;
    }
    const rw_task_info *t = rw_task_find(a->pos[0]);
    if (!t) {
        cli_error("task", "%s", rw_last_error());
        return EXIT_USAGE;
    }
    long seed = 1, size = 0, counts[3] = { 0, 0, 0 };
    bool ok = true;
    cli_long(a, "seed", 0, LONG_MAX, &seed, &ok);
    cli_long(a, "size", t->min_size, t->max_size, &size, &ok);
    cli_long(a, "train", 1, INT_MAX, &counts[0], &ok);
    cli_long(a, "valid", 1, INT_MAX, &counts[1], &ok);
    cli_long(a, "test", 1, INT_MAX, &counts[2], &ok);
    if (!ok)
        return EXIT_USAGE;
    rw_task_opts o = { .seed = (uint64_t)seed, .size = (int)size, .train = (int)counts[0], .valid = (int)counts[1],
                       .test = (int)counts[2] };
    const char *dir = cli_get(a, "out");
    if (rw_task_write(t->name, dir, &o) != RW_OK) {
        cli_error("task", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    fprintf(stderr, "task %s (size %d, seed %ld): %s/train.tsv, valid.tsv, test.tsv (%s)\n", t->name,
            size ? (int)size : t->default_size, seed, dir, t->kind);
    return EXIT_OK;
}

int cmd_task(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&task_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    st = run(&a);
    cli_args_free(&a);
    return st;
}
