/* rewind: the command-line program. Dispatches to one command per file
 * (cmd_train.c, cmd_sample.c, cmd_eval.c, cmd_check.c, cmd_ops.c, cmd_cells.c). */
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "train", cmd_train, "train a model defined in a YAML file, with checkpoints (Ctrl-C saves and stops)" },
    { "sample", cmd_sample, "generate text from a trained language model's checkpoint" },
    { "predict", cmd_predict, "per-example predictions of a checkpoint on data files, as TSV" },
    { "translate", cmd_translate, "translate source lines with an encoder-decoder's checkpoint (beam search, n best)" },
    { "eval", cmd_eval, "the loss (and accuracy) of a checkpoint or model on validation or test data" },
    { "export", cmd_export, "write a checkpoint's parameters as safetensors (rewind's names or a PyTorch state dict)" },
    { "import", cmd_import, "set a model's parameters from safetensors (e.g. PyTorch's) and write a checkpoint" },
    { "check", cmd_check, "validate a model file; print its layers, parameter shapes and count" },
    { "ops", cmd_ops, "list the registered ops: name, arity, what each computes" },
    { "info", cmd_info, "the build, the BLIS kernels matrix products run on (and why), threads" },
    { "cells", cmd_cells, "list the registered recurrent cells and their options" },
    { "report", cmd_report, "write one self-contained HTML page about a training run (curves, model, samples)" },
    { "task", cmd_task, "write the data of a classic synthetic sequence task (adding, reber, addition, ...)" },
    { "diagnose", cmd_diagnose, "plot ||dL/dh_t|| against t (vanishing/exploding gradients), spectral radii" },
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_version(void)
{
    printf("rewind %d.%d.%d (rw_real = %s)\n", RW_VERSION_MAJOR, RW_VERSION_MINOR, RW_VERSION_PATCH,
           sizeof(rw_real) == sizeof(double) ? "double" : "float");
}

static void print_help(void)
{
    printf("usage: rewind COMMAND [ARGS] [OPTIONS]\n"
           "       rewind --help | --version\n"
           "       --plugin PATH.so (repeatable, anywhere) loads a plugin's ops and cells first\n\n"
           "rewind trains recurrent neural networks defined in YAML model files.\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("\n'rewind COMMAND --help' describes a command's options. Examples:\n"
           "  rewind check models/char_lstm.yaml\n"
           "  rewind train models/char_lstm.yaml --steps 500 --threads 2\n"
           "  rewind train models/char_lstm.yaml --resume\n"
           "  rewind sample runs/char_lstm/last.rwc --temperature 0.8 --length 400 --prime \"Q: \"\n"
           "  rewind eval runs/char_lstm/last.rwc\n");
}

int main(int argc, char **argv)
{
    int plugged = plugins_load_from_args(&argc, argv);
    if (plugged >= 0)
        return plugged;
    if (argc < 2) {
        print_help();
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) { /* rewind help COMMAND */
            char *sub[] = { argv[2], "--help", NULL };
            for (int i = 0; i < N_COMMANDS; i++)
                if (strcmp(argv[2], commands[i].name) == 0)
                    return commands[i].run(2, sub);
            cli_error(NULL, "unknown command '%s'; see 'rewind --help'", argv[2]);
            return EXIT_USAGE;
        }
        print_help();
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 || strcmp(name, "version") == 0) {
        print_version();
        return EXIT_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    const char *names[N_COMMANDS + 1];
    for (int i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = NULL;
    const char *near = cli_closest(name, names);
    if (name[0] == '-')
        cli_error(NULL, "unknown option '%s'; see 'rewind --help'", name);
    else if (near)
        cli_error(NULL, "unknown command '%s' (did you mean '%s'?); see 'rewind --help'", name, near);
    else
        cli_error(NULL, "unknown command '%s'; see 'rewind --help'", name);
    return EXIT_USAGE;
}
