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
    { "method", "M", false, "sample, greedy or beam (default: generate.method)" },
    { "beam", "K", false, "beam search with K beams (implies --method beam; default: generate.beam_width)" },
    { "nbest", "N", false, "beam search: print the N best continuations, each with its score (default 1)" },
    { "length-norm", "A", false, "beam search: rank by log p / length^A (default: generate.length_norm)" },
    { "mc-dropout", "N", false, "Monte-Carlo dropout: each next-token distribution is the mean of N passes with "
                               "dropout on (the model must have dropout)" },
};

static const cli_command sample_cmd = {
    .name = "sample",
    .usage = "CHECKPOINT [--temperature T] [--length N] [--prime TEXT] [--seed S] [--top-k K]\n"
             "       [--method sample|greedy|beam] [--beam K] [--nbest N] [--length-norm A] [--mc-dropout N]",
    .summary = "Rebuilds the model a checkpoint of 'rewind train' was trained from (the checkpoint holds its\n"
               "definition and vocabulary), loads its parameters, and prints the prime followed by the text\n"
               "the model generates. The defaults come from the model file's generate: section. Beam search\n"
               "keeps the K likeliest continuations of --length tokens (no sampling, so no seed). With\n"
               "--mc-dropout N each step averages the probabilities of N passes with dropout on (each pass\n"
               "keeping its per-sequence masks for the whole text); --seed also seeds the masks.",
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
    bool words = rw_model_data_config_of(m)->tokens == RW_TOKENS_WORDS; /* words are joined by spaces */
    fprintf(out, "%s%s%s\n", prime ? prime : "", words && prime && *prime && *text ? " " : "", text);
    fflush(out);
    free(text);
    return RW_OK;
}

/* The prime and tokens as text, cut after generate.stop_at (free() it). */
static char *tokens_text(rw_model *m, const char *prime, const int32_t *tokens, int n)
{
    char *tail = rw_model_detokenize(m, tokens, n); /* words joined by spaces */
    const char *p = prime ? prime : "", *sep = *p && n ? rw_model_token_separator(m) : "";
    char *text = tail ? malloc(strlen(p) + strlen(sep) + strlen(tail) + 1) : NULL;
    if (text)
        sprintf(text, "%s%s%s", p, sep, tail);
    free(tail);
    if (!text)
        return NULL;
    size_t from = strlen(p);
    const char *stop = rw_model_generate_config_of(m)->stop_at;
    char *at = stop ? strstr(text + from, stop) : NULL;
    if (at) /* generate.stop_at: the text ends with its first occurrence */
        at[strlen(stop)] = '\0';
    return text;
}

/* Beam search over the language model: the nbest continuations of the
 * prime, the best first; with nbest > 1 each line starts with its score.
 * With passes > 1 the step model averages that many dropout passes. */
static rw_status print_beam(FILE *out, rw_model *m, const char *prime, int length, int beam, int nbest, double alpha,
                            int passes, uint64_t seed)
{
    int32_t start = 0;
    rw_step_model *dm = passes > 1 ? rw_model_mc_step_model_new(m, prime, passes, seed, &start)
                                   : rw_model_step_model_new(m, prime, &start);
    if (!dm)
        return rw_last_status();
    rw_hypothesis *best = calloc((size_t)nbest, sizeof *best);
    int n = 0;
    rw_status st = best ? rw_beam_search(dm, &(rw_decode_opts){ .start = start, .end = -1, .max_length = length,
                                                                .beam = beam, .alpha = alpha }, best, nbest, &n)
                        : rw_error(RW_ERR_NOMEM, "out of memory for %d hypotheses", nbest);
    for (int i = 0; st == RW_OK && i < n; i++) {
        if (nbest > 1)
            fprintf(out, "%.4f\t", best[i].score);
        char *text = tokens_text(m, prime, best[i].tokens, best[i].length);
        if (!text) {
            st = rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_NOMEM;
            break;
        }
        fprintf(out, "%s\n", text);
        free(text);
    }
    fflush(out);
    rw_hypotheses_free(best, n);
    free(best);
    rw_step_model_free(dm);
    return st;
}

/* Sampling (or greedy decoding: temperature 0) with Monte-Carlo dropout:
 * `passes` dropout passes averaged at every step. */
static rw_status print_mc(FILE *out, rw_model *m, const char *prime, int length, double temperature, int top_k,
                          int passes, uint64_t seed)
{
    int32_t start = 0;
    rw_step_model *dm = rw_model_mc_step_model_new(m, prime, passes, seed, &start);
    int32_t *tokens = dm ? malloc(((size_t)length + 1) * sizeof *tokens) : NULL;
    if (!tokens) {
        rw_step_model_free(dm);
        return dm ? rw_error(RW_ERR_NOMEM, "out of memory for %d tokens", length) : rw_last_status();
    }
    rw_rng rng = rw_rng_seed(seed + 1); /* not the masks' stream */
    rw_decode_opts o = { .start = start, .end = -1, .max_length = length, .temperature = temperature,
                         .top_k = top_k, .rng = &rng };
    int n = 0;
    rw_status st = temperature > 0 ? rw_decode_sample(dm, &o, tokens, &n) : rw_decode_greedy(dm, &o, tokens, &n);
    char *text = st == RW_OK ? tokens_text(m, prime, tokens, n) : NULL;
    if (st == RW_OK && !text)
        st = rw_error(RW_ERR_NOMEM, "out of memory for the generated text");
    if (text)
        fprintf(out, "%s\n", text);
    fflush(out);
    free(text);
    free(tokens);
    rw_step_model_free(dm);
    return st;
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
    long beam = 0, nbest = 1;
    double alpha = 0;
    bool has_beam = cli_long(&a, "beam", 1, 1000, &beam, &ok);
    cli_long(&a, "nbest", 1, 1000, &nbest, &ok);
    bool has_alpha = cli_double(&a, "length-norm", 0, 100, &alpha, &ok);
    long passes = 1;
    cli_long(&a, "mc-dropout", 2, RW_MODEL_MC_MAX_PASSES, &passes, &ok);
    static const char *const methods[] = { "sample", "greedy", "beam" };
    int method = -1;
    if (cli_has(&a, "method")) {
        for (int i = 0; i < 3; i++)
            if (!strcmp(cli_get(&a, "method"), methods[i]))
                method = i;
        if (method < 0) {
            cli_error("sample", "--method: '%s' is not one of sample, greedy, beam", cli_get(&a, "method"));
            ok = false;
        }
    }
    if (ok && has_beam && method >= 0 && method != 2) {
        cli_error("sample", "--beam asks for beam search, but --method is %s", methods[method]);
        ok = false;
    }
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
        if (method < 0)
            method = has_beam ? 2 : g->beam ? 2 : g->greedy ? 1 : 0;
        if (method == 0 && !has_t)
            temperature = g->temperature;
        if (method == 2) {
            if (!has_beam)
                beam = g->beam_width;
            if (!has_alpha)
                alpha = g->length_norm;
        }
        double t = method == 1 ? 0 : temperature;
        rw_status done = method == 2  ? print_beam(stdout, m, prime, (int)length, (int)beam, (int)nbest, alpha,
                                                   (int)passes, s)
                         : passes > 1 ? print_mc(stdout, m, prime, (int)length, t, (int)top_k, (int)passes, s)
                                      : print_generated(stdout, m, prime, (int)length, t, (int)top_k, s);
        if (done != RW_OK) {
            cli_error("sample", "%s", rw_last_error());
            st = EXIT_FAIL;
        }
    }
    rw_model_free(m);
    cli_args_free(&a);
    return st;
}
