/* rewind sample CHECKPOINT: rebuilds a language model from a checkpoint
 * written by `rewind train` and prints text it generates. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"

static const cli_opt opts[] = {
    { "temperature", "T", false, "sampling temperature; 0 picks the likeliest token (default: generate.temperature)" },
    { "length", "N", false, "how many tokens to generate (default: generate.max_length)" },
    { "prime", "TEXT", false, "text to start from (default: generate.prime)" },
    { "seed", "S", false, "seed of the sampling (default: the model's train.seed)" },
    { "top-k", "K", false, "sample among the K likeliest tokens only (default: generate.top_k; 0: all)" },
};

static const cli_command sample_cmd = {
    .name = "sample",
    .usage = "CHECKPOINT [--temperature T] [--length N] [--prime TEXT] [--seed S] [--top-k K]",
    .summary = "Rebuilds the model a checkpoint of 'rewind train' was trained from (the checkpoint holds its\n"
               "definition and vocabulary), loads its parameters, and prints the prime followed by the text\n"
               "the model generates. The defaults come from the model file's generate: section.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

rw_status print_generated(FILE *out, rw_model *m, const char *prime, int length, double temperature, int top_k,
                          uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    char *text = rw_model_generate(m, prime, length, temperature, top_k, &rng);
    if (!text)
        return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_STATE;
    const char *stop = rw_model_generate_config_of(m)->stop_at;
    char *at = stop ? strstr(text, stop) : NULL;
    if (at) /* generate.stop_at: the text ends with its first occurrence */
        at[strlen(stop)] = '\0';
    fprintf(out, "%s%s\n", prime ? prime : "", text);
    fflush(out);
    free(text);
    return RW_OK;
}

int cmd_sample(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&sample_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    bool ok = true;
    double temperature = 0;
    long length = 0, seed = 0, top_k = 0;
    bool has_t = cli_double(&a, "temperature", 0, 1e6, &temperature, &ok);
    bool has_len = cli_long(&a, "length", 0, INT_MAX / 2, &length, &ok);
    bool has_seed = cli_long(&a, "seed", 0, LONG_MAX, &seed, &ok);
    bool has_k = cli_long(&a, "top-k", 0, INT_MAX, &top_k, &ok);
    if (!ok) {
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    const char *path = a.pos[0];
    rw_checkpoint *ck = rw_checkpoint_open(path);
    rw_model *m = ck ? load_from_checkpoint(ck, path, false) : NULL;
    rw_checkpoint_close(ck);
    if (!m) {
        size_t n = strlen(path);
        bool yaml = (n > 5 && strcmp(path + n - 5, ".yaml") == 0) || (n > 4 && strcmp(path + n - 4, ".yml") == 0);
        cli_error("sample", "%s%s", rw_last_error(),
                  yaml ? " (sample reads a checkpoint: train the model first with 'rewind train')" : "");
        cli_args_free(&a);
        return EXIT_FAIL;
    }
    st = EXIT_OK;
    if (rw_model_classes(m) > 0) {
        cli_error("sample", "model '%s' is a classifier; 'rewind sample' needs a language model (try 'rewind eval')",
                  rw_model_name(m));
        st = EXIT_FAIL;
    } else {
        const rw_model_generate_config *g = rw_model_generate_config_of(m);
        if (!has_t)
            temperature = g->greedy ? 0 : g->temperature;
        if (!has_len)
            length = g->max_length;
        if (!has_k)
            top_k = g->top_k;
        uint64_t s = has_seed ? (uint64_t)seed : rw_model_train_config_of(m)->seed;
        const char *prime = cli_has(&a, "prime") ? cli_get(&a, "prime") : g->prime;
        if (print_generated(stdout, m, prime, (int)length, temperature, (int)top_k, s) != RW_OK) {
            cli_error("sample", "%s", rw_last_error());
            st = EXIT_FAIL;
        }
    }
    rw_model_free(m);
    cli_args_free(&a);
    return st;
}
