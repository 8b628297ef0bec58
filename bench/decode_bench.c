/* Decoding speed of a character LSTM through layers/decode.c: greedy
 * decoding (one row) and beam search with K beams (K rows per step, one
 * batch), in output tokens per second. The model is the Quickstart's shape
 * (token ids -> LSTM H -> linear to V) with its initial weights; no end
 * token, so every search runs max_length steps. Compared side by side with
 * bench/torch_generate.py --beam K by bench/generate.sh.
 *
 *   decode_bench [--hidden H] [--layers L] [--vocab V] [--length N] [--beam K]   (K = 1: greedy)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rewind.h>

static double clock_seconds(clockid_t which)
{
    struct timespec t;
    clock_gettime(which, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }
/* CPU time of this process: on a shared machine it counts only our own work */
static double cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv)
{
    int hidden = 256, layers = 1, vocab = 114, length = 2000, beam = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        int *v = !strcmp(argv[i], "--hidden") ? &hidden : !strcmp(argv[i], "--layers") ? &layers
               : !strcmp(argv[i], "--vocab") ? &vocab : !strcmp(argv[i], "--length") ? &length
               : !strcmp(argv[i], "--beam") ? &beam : NULL;
        if (!v) {
            fprintf(stderr, "decode_bench: unknown option '%s'\n", argv[i]);
            return 2;
        }
        *v = atoi(argv[i + 1]);
    }
    if ((argc - 1) % 2 || hidden < 1 || layers < 1 || vocab < 2 || length < 1 || beam < 1) {
        fprintf(stderr, "usage: decode_bench [--hidden H] [--layers L] [--vocab V] [--length N] [--beam K]\n");
        return 2;
    }
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "lm", .cell = &rw_lstm_cell, .vocab = vocab,
                                                .hidden = hidden, .layers = layers }, &rng);
    rw_linear *head = rnn ? rw_linear_new(P, "head", hidden, vocab, &rng) : NULL;
    rw_step_model *dm = head ? rw_rnn_step_model_new(rnn, head) : NULL;
    int32_t *out = malloc((size_t)length * sizeof *out);
    if (!dm || !out) {
        fprintf(stderr, "decode_bench: %s\n", rw_last_error());
        return 1;
    }
    rw_decode_opts o = { .start = 0, .end = -1, .max_length = length, .beam = beam };
    double t0 = now(), c0 = cpu_now();
    rw_status st;
    int n = 0;
    if (beam == 1) {
        st = rw_decode_greedy(dm, &o, out, &n);
    } else {
        rw_hypothesis best[1];
        st = rw_beam_search(dm, &o, best, 1, &n);
        if (st == RW_OK) {
            n = best[0].length;
            rw_hypotheses_free(best, 1);
        }
    }
    double secs = now() - t0, cpu = cpu_now() - c0;
    if (st != RW_OK) {
        fprintf(stderr, "decode_bench: %s\n", rw_last_error());
        return 1;
    }
    printf("{\"framework\": \"rewind\", \"hidden\": %d, \"layers\": %d, \"vocab\": %d, \"beam\": %d, "
           "\"tokens\": %d, \"seconds\": %.3f, \"tokens_per_sec\": %.1f, \"cpu_seconds\": %.3f, "
           "\"tokens_per_cpu_sec\": %.1f, \"blis_arch\": \"%s\"}\n",
           hidden, layers, vocab, beam, n, secs, n / secs, cpu, n / cpu, rw_blas_arch());
    free(out);
    rw_step_model_free(dm);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
    return 0;
}
