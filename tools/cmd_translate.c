/* rewind translate CHECKPOINT: rebuilds an encoder-decoder (model.graph)
 * from a checkpoint of `rewind train` and decodes source lines, one output
 * line per input line; optionally the n best with their scores and the
 * attention heat map of the first line. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"
#include "seq2seq_tools.h"

static const cli_opt opts[] = {
    { "input", "FILE", false, "read source lines from FILE (default: standard input)" },
    { "beam", "K", false, "beam search of width K (default: generate.beam_width when generate.method is beam, else 1 = greedy)" },
    { "nbest", "N", false, "print the N best outputs of each line with their scores, tab-separated (beam >= N)" },
    { "max-length", "N", false, "output tokens at most, </s> included (default: generate.max_length)" },
    { "method", "M", false, "greedy, sample or beam (default: generate.method)" },
    { "temperature", "T", false, "sampling temperature (default: generate.temperature)" },
    { "seed", "S", false, "seed of the sampling (default: the model's train.seed)" },
    { "attention", "FILE.svg", false, "write the attention weights of the first line as an SVG heat map" },
};

static const cli_command translate_cmd = {
    .name = "translate",
    .usage = "CHECKPOINT [--input FILE] [--beam K] [--nbest N] [--max-length N] [--attention FILE.svg]",
    .summary = "Rebuilds the encoder-decoder a checkpoint of 'rewind train' was trained from and translates\n"
               "each source line (from --input or standard input) into one output line. With --nbest N the\n"
               "line holds the N best outputs, each followed by its score (log-probability divided by\n"
               "length^generate.length_norm), all tab-separated. The defaults come from generate:.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

typedef struct translate_run {
    rw_model *m;
    rw_translate_opts o;
    int nbest;
    const char *svg;
} translate_run;

static rw_status write_attention(translate_run *t, const char *line, const rw_hypothesis *h)
{
    int S = rw_model_encode(t->m, line, NULL, 0), rows = h->length + (h->ended ? 1 : 0);
    int32_t *ids = malloc((size_t)(S > 0 ? S : 1) * sizeof *ids);
    const char **src = malloc((size_t)(S > 0 ? S : 1) * sizeof *src);
    const char **out = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *out);
    rw_tensor *w = S > 0 && ids && src && out ? rw_model_attention_weights(t->m, line, h->tokens, h->length, h->ended)
                                              : NULL;
    rw_status st = w ? RW_OK : rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_NOMEM;
    if (st == RW_OK) {
        rw_model_encode(t->m, line, ids, S);
        for (int j = 0; j < S; j++)
            src[j] = rw_model_token(t->m, ids[j]);
        for (int i = 0; i < rows; i++)
            out[i] = rw_model_token(t->m, i < h->length ? h->tokens[i] : rw_model_translate_defaults(t->m).end);
        st = attention_svg_write(t->svg, src, S, out, rows, w->data);
    }
    rw_tensor_free(w);
    free(ids);
    free(src);
    free(out);
    return st;
}

static rw_status translate_line(translate_run *t, const char *line, bool first)
{
    rw_hypothesis h[64];
    int n = 0;
    if (!*line) {
        printf("\n");
        return RW_OK;
    }
    rw_status st = rw_model_translate(t->m, line, &t->o, h, t->nbest, &n);
    for (int i = 0; st == RW_OK && i < n; i++) {
        char *text = rw_model_detokenize(t->m, h[i].tokens, h[i].length);
        if (!text) {
            st = rw_last_status();
            break;
        }
        if (t->nbest > 1)
            printf("%s%s\t%.4f", i ? "\t" : "", text, h[i].score);
        else
            printf("%s", text);
        free(text);
    }
    if (st == RW_OK)
        printf("\n");
    if (st == RW_OK && first && t->svg && n > 0)
        st = write_attention(t, line, &h[0]);
    rw_hypotheses_free(h, n);
    return st;
}

static int run(translate_run *t, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool first = true;
    int st = EXIT_OK;
    while ((len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (translate_line(t, line, first) != RW_OK) {
            cli_error("translate", "%s", rw_last_error());
            st = EXIT_FAIL;
            break;
        }
        first = false;
    }
    fflush(stdout);
    free(line);
    return st;
}

/* Options over the generate: defaults; false after a usage error. */
static bool read_options(const cli_args *a, translate_run *t, rw_rng *rng)
{
    bool ok = true;
    long beam = 0, nbest = 1, max_len = 0, seed = 0;
    double temperature = 0;
    cli_long(a, "nbest", 1, 64, &nbest, &ok);
    bool has_beam = cli_long(a, "beam", 1, 1000, &beam, &ok);
    bool has_len = cli_long(a, "max-length", 1, INT_MAX / 2, &max_len, &ok);
    bool has_t = cli_double(a, "temperature", 1e-6, 1e6, &temperature, &ok);
    bool has_seed = cli_long(a, "seed", 0, LONG_MAX, &seed, &ok);
    const char *method = cli_get(a, "method");
    if (method && strcmp(method, "greedy") && strcmp(method, "sample") && strcmp(method, "beam")) {
        cli_error("translate", "--method is greedy, sample or beam, not '%s'", method);
        ok = false;
    }
    if (!ok)
        return false;
    if (method) {
        t->o.sample = !strcmp(method, "sample");
        t->o.beam = !strcmp(method, "beam") ? rw_model_generate_config_of(t->m)->beam_width : 1;
    }
    if (has_beam) {
        t->o.beam = (int)beam;
        t->o.sample = false;
    }
    if (has_len)
        t->o.max_length = (int)max_len;
    if (has_t)
        t->o.temperature = temperature;
    t->nbest = (int)nbest;
    if (t->nbest > 1 && t->o.sample) {
        cli_error("translate", "--nbest needs beam search (sampling gives one output)");
        return false;
    }
    if (t->o.beam < t->nbest)
        t->o.beam = t->nbest;
    *rng = rw_rng_seed(has_seed ? (uint64_t)seed : rw_model_train_config_of(t->m)->seed);
    t->o.rng = rng;
    t->svg = cli_get(a, "attention");
    return true;
}

int cmd_translate(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&translate_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    const char *path = a.pos[0], *input = cli_get(&a, "input");
    translate_run t = { 0 };
    rw_checkpoint *ck = rw_checkpoint_open(path);
    t.m = ck ? load_from_checkpoint(ck, path, false) : NULL;
    rw_checkpoint_close(ck);
    rw_rng rng;
    if (!t.m) {
        cli_error("translate", "%s", rw_last_error());
        st = EXIT_FAIL;
    } else if (!rw_model_is_seq2seq(t.m)) {
        cli_error("translate", "model '%s' is not an encoder-decoder (model.graph); try 'rewind sample'",
                  rw_model_name(t.m));
        st = EXIT_FAIL;
    } else {
        t.o = rw_model_translate_defaults(t.m);
        st = read_options(&a, &t, &rng) ? EXIT_OK : EXIT_USAGE;
    }
    if (st == EXIT_OK) {
        FILE *in = input ? fopen(input, "r") : stdin;
        if (!in) {
            cli_error("translate", "cannot read '%s'", input);
            st = EXIT_FAIL;
        } else {
            st = run(&t, in);
            if (input)
                fclose(in);
        }
    }
    rw_model_free(t.m);
    cli_args_free(&a);
    return st;
}
