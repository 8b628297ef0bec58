/* Generation speed: batch-1 sampling from a character LSTM through
 * rw_model_generate, the path `rewind sample` takes. The model is
 * models/char_lstm.yaml (embedding 32, LSTM, linear to the vocabulary) with
 * its weights as initialized: speed does not depend on them. Compared side
 * by side with bench/torch_generate.py by bench/generate.sh.
 *
 *   generate_bench [--model FILE] [--hidden H] [--stack L] [--length N] [--warmup N] [--temperature T]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rewind.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *model = "models/char_lstm.yaml";
    int hidden = 256, stack = 1, length = 20000, warmup = 200;
    double temperature = 0.8;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--model")) model = v;
        else if (!strcmp(k, "--hidden")) hidden = atoi(v);
        else if (!strcmp(k, "--stack")) stack = atoi(v);
        else if (!strcmp(k, "--length")) length = atoi(v);
        else if (!strcmp(k, "--warmup")) warmup = atoi(v);
        else if (!strcmp(k, "--temperature")) temperature = atof(v);
        else {
            fprintf(stderr, "generate_bench: unknown option '%s'\n", k);
            return 2;
        }
    }
    if ((argc - 1) % 2 || hidden < 1 || stack < 1 || length < 1 || warmup < 0) {
        fprintf(stderr, "usage: generate_bench [--model FILE] [--hidden H] [--stack L] [--length N] "
                        "[--warmup N] [--temperature T]\n");
        return 2;
    }
    char set_hidden[64], set_stack[64];
    snprintf(set_hidden, sizeof set_hidden, "hyper.hidden=%d", hidden);
    snprintf(set_stack, sizeof set_stack, "model.layers.1.lstm.stack=%d", stack);
    const char *sets[] = { set_hidden, set_stack };
    rw_model *m = rw_model_load(model, &(rw_model_load_opts){ .overrides = sets, .n_overrides = 2 });
    if (!m) {
        fprintf(stderr, "%s\n", rw_last_error());
        return 1;
    }
    rw_rng rng = rw_rng_seed(1);
    char *text = rw_model_generate(m, "", warmup, temperature, 0, &rng);
    free(text);
    double t0 = now();
    text = rw_model_generate(m, "", length, temperature, 0, &rng);
    double secs = now() - t0;
    if (!text) {
        fprintf(stderr, "%s\n", rw_last_error());
        rw_model_free(m);
        return 1;
    }
    printf("{\"framework\": \"rewind\", \"vocab\": %d, \"hidden\": %d, \"layers\": %d, \"length\": %d, "
           "\"seconds\": %.3f, \"chars_per_sec\": %.1f, \"real\": \"%s\", \"blis_arch\": \"%s\"}\n",
           rw_model_vocab_size(m), hidden, stack, length, secs, length / secs, RW_REAL_NAME, rw_blas_arch());
    free(text);
    rw_model_free(m);
    return 0;
}
