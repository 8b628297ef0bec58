/* rewind check MODEL.yaml: loads and validates a model file; prints its
 * layers, parameter shapes and count, or the file:line:col error. */
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"

static const cli_opt opts[] = {
    { "set", "PATH=VALUE", true, "override a setting of the file, e.g. --set hyper.hidden=64" },
    { "skip-data", NULL, false, "do not read the data files (the vocabulary is then unknown)" },
};

static const cli_command check_cmd = {
    .name = "check",
    .usage = "MODEL.yaml [--set PATH=VALUE ...] [--skip-data]",
    .summary = "Loads and validates a model file: every key, type, name, op, shape, and the data files.\n"
               "Prints the layers, the parameters with their shapes and the total count; or the first\n"
               "error as file:line:col: error: ... with the offending line, and exits with status 1.",
    .opts = opts, .n_opts = 2, .min_pos = 1, .max_pos = 1,
};

static const char *data_kind_name(rw_data_kind k)
{
    switch (k) {
    case RW_DATA_NONE: return "none";
    case RW_DATA_CHARS: return "chars";
    case RW_DATA_TSV_CLASSIFY: return "tsv_classify";
    case RW_DATA_TSV_SEQ2SEQ: return "tsv_seq2seq";
    case RW_DATA_TSV_VECTORS: return "tsv_vectors";
    case RW_DATA_TSV_TAGGING: return "tsv_tagging";
    case RW_DATA_LINES: return "lines";
    }
    return "?";
}

static const char *optim_name(rw_optim_kind k)
{
    static const char *const names[] = { "sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void print_config(const rw_model *m, bool data_read)
{
    const rw_model_data_config *d = rw_model_data_config_of(m);
    const rw_model_train_config *t = rw_model_train_config_of(m);
    if (d->kind != RW_DATA_NONE) {
        printf("data: %s; %d training file%s", data_kind_name(d->kind), d->train.count,
               d->train.count == 1 ? "" : "s");
        if (d->valid.count)
            printf(", %d validation file%s", d->valid.count, d->valid.count == 1 ? "" : "s");
        else if (d->valid_fraction > 0)
            printf(", %g of it held out for validation", d->valid_fraction);
        if (d->test.count)
            printf(", %d test file%s", d->test.count, d->test.count == 1 ? "" : "s");
        if (data_read) {
            printf("; vocabulary of %d tokens", rw_model_vocab_size(m));
            if (rw_model_classes(m))
                printf(", %d classes", rw_model_classes(m));
        }
        printf("\n");
    }
    printf("train: ");
    if (t->steps)
        printf("%ld steps", t->steps);
    if (t->epochs)
        printf("%s%d epochs", t->steps ? ", " : "", t->epochs);
    if (!t->steps && !t->epochs)
        printf("1 epoch");
    printf(", batch %d", t->batch_size);
    if (d->kind == RW_DATA_CHARS)
        printf(" x %d steps", t->bptt);
    printf(", %s", optim_name(t->optimizer.kind));
    if (t->optimizer.lr > 0)
        printf(" lr %g", t->optimizer.lr);
    if (t->clip_norm > 0)
        printf(", clip %g", t->clip_norm);
    printf(", seed %llu", (unsigned long long)t->seed);
    if (t->replicas > 1)
        printf(", %d replicas (each on 1/%d of every batch)", t->replicas, t->replicas);
    printf("\n");
    printf("checkpoint: %s\n", t->checkpoint_path ? t->checkpoint_path : "(none; 'rewind train' uses runs/<name>/last.rwc)");
}

int cmd_check(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&check_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    int n_sets;
    const char *const *sets = cli_get_all(&a, "set", &n_sets);
    bool skip = cli_has(&a, "skip-data");
    rw_model *m = load_yaml(a.pos[0], sets, n_sets, skip);
    if (!m) {
        fprintf(stderr, "%s\n", rw_last_error());
        cli_args_free(&a);
        return EXIT_FAIL;
    }
    printf("%s: model '%s' is valid\n", a.pos[0], rw_model_name(m) ? rw_model_name(m) : "?");
    if (rw_model_has_layers(m)) {
        rw_model_print_summary(stdout, m);
        print_config(m, !skip);
    } else {
        printf("(a cell library: no 'model:' section)\n");
    }
    rw_model_free(m);
    cli_args_free(&a);
    return EXIT_OK;
}
