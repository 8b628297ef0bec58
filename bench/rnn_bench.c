/* rnn_bench: trains the character-level model of torch_rnn.py with rewind,
 * with the same flags, and prints the same JSON line.
 *
 * Model: token ids -> L stacked LSTM or GRU layers of H units -> linear to
 * V -> softmax cross-entropy at every position; Adam (lr 2e-3), global
 * gradient-norm clipping at 5.0, no dropout; B streams through the corpus,
 * truncated BPTT over windows of T characters, state carried between
 * windows, all streams restarting from a zero state when they run out.
 * The first layer looks up its input projection by id, which is exactly
 * one-hot(V) times W^T. The GRU is the reset-after form (as nn.GRU). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <rewind.h>

typedef struct args {
    const char *cell, *corpus;
    int layers, hidden, batch, unroll, steps, warmup, threads, seed;
    bool check;
} args;

static void usage(void)
{
    fprintf(stderr, "usage: rnn_bench --corpus FILE [--cell lstm|gru] [--layers L] [--hidden H] [--batch B]\n"
                    "                 [--unroll T] [--steps N] [--warmup N] [--threads N] [--seed S] [--check]\n");
}

static int parse(int argc, char **argv, args *a)
{
    *a = (args){ "lstm", NULL, 1, 128, 32, 64, 50, 3, 1, 1, false };
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *num = !strcmp(k, "--layers") ? &a->layers : !strcmp(k, "--hidden") ? &a->hidden
                 : !strcmp(k, "--batch") ? &a->batch : !strcmp(k, "--unroll") ? &a->unroll
                 : !strcmp(k, "--steps") ? &a->steps : !strcmp(k, "--warmup") ? &a->warmup
                 : !strcmp(k, "--threads") ? &a->threads : !strcmp(k, "--seed") ? &a->seed : NULL;
        if (!strcmp(k, "--check")) {
            a->check = true;
        } else if (!strcmp(k, "--help") || !strcmp(k, "-h")) {
            usage();
            exit(0);
        } else if (!v) {
            fprintf(stderr, "rnn_bench: %s needs a value\n", k);
            return 1;
        } else if (num) {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || x < 0 || x > 1 << 20) {
                fprintf(stderr, "rnn_bench: %s expects a non-negative integer, got '%s'\n", k, v);
                return 1;
            }
            *num = (int)x;
            i++;
        } else if (!strcmp(k, "--cell")) {
            a->cell = v;
            i++;
        } else if (!strcmp(k, "--corpus")) {
            a->corpus = v;
            i++;
        } else {
            fprintf(stderr, "rnn_bench: unknown option '%s'\n", k);
            usage();
            return 1;
        }
    }
    if (!a->corpus || (strcmp(a->cell, "lstm") && strcmp(a->cell, "gru")) || a->layers < 1 || a->hidden < 1 ||
        a->batch < 1 || a->unroll < 1 || a->threads < 1) {
        usage();
        return 1;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of all the process's threads: on a shared machine, the work
 * done, where wall time also counts the waits for a core. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    args a;
    rw_byte_corpus c = { 0 };
    if (parse(argc, argv, &a))
        return 1;
    if (rw_byte_corpus_read(&c, &a.corpus, 1, false) != RW_OK) {
        fprintf(stderr, "rnn_bench: %s\n", rw_last_error());
        return 1;
    }
    int T = a.unroll, B = a.batch, V = c.vocab.n, H = a.hidden;
    rw_windows windows; /* B streams through the corpus, whole windows of T */
    if (rw_windows_init(&windows, c.ids, c.n, &(rw_windows_opts){ .streams = B, .window = T, .whole_windows = true })
        != RW_OK) {
        fprintf(stderr, "corpus too small: %zu bytes cannot fill %d streams of one %d-char window\n", c.n, B, T);
        return 1;
    }
    if (rw_set_threads(a.threads) != RW_OK) {
        fprintf(stderr, "%s\n", rw_last_error());
        return 1;
    }
    rw_rng rng = rw_rng_seed((uint64_t)a.seed);
    rw_params *P = rw_params_new();
    bool lstm = !strcmp(a.cell, "lstm");
    rw_gru_opts gru_opts = { .reset_after = true };
    rw_rnn *rnn = rw_rnn_new(P, &(rw_rnn_spec){ .name = "rnn", .cell = lstm ? &rw_lstm_cell : &rw_gru_cell,
                                                .cell_opts = lstm ? NULL : &gru_opts, .vocab = V, .hidden = H,
                                                .layers = a.layers }, &rng);
    rw_linear *head = rw_linear_new(P, "out", H, V, &rng);
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 2e-3 });
    rw_carry *carry = rnn ? rw_carry_new(rnn, B) : NULL;
    rw_tensor *x = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *y = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    rw_graph *g = rw_graph_new();
    if (!rnn || !head || !opt || !carry || !x || !y || !g) {
        fprintf(stderr, "rnn_bench: %s\n", rw_last_error());
        return 1;
    }
    double loss_value = 0;
    int total = a.check ? 20 : a.warmup + a.steps;
    double losses[20], t0 = 0, cpu0 = 0;
    for (int step = 0; step < total; step++) {
        if (step == a.warmup && !a.check)
            t0 = now(), cpu0 = cpu_now();
        if (!rw_windows_next(&windows, x->idata, y->idata)) { /* streams exhausted: start over */
            rw_windows_start(&windows, 0);
            rw_carry_zero(carry);
            rw_windows_next(&windows, x->idata, y->idata);
        }
        rw_seq s = rw_rnn_run(g, rnn, rw_const(g, x), &(rw_run_opts){ .carry = carry });
        rw_node *loss = rw_cross_entropy(g, rw_linear_apply(g, head, s.outputs), rw_const(g, y));
        if (!loss || rw_backward(g, loss) != RW_OK) {
            fprintf(stderr, "rnn_bench: %s\n", rw_last_error());
            return 1;
        }
        rw_clip_global_norm(P, 5.0);
        rw_optim_step(opt);
        rw_carry_keep(carry, &s);
        loss_value = rw_scalar(loss);
        if (a.check)
            losses[step] = loss_value;
        rw_graph_reset(g);
    }
    if (a.check) {
        for (int i = 0; i < 20; i++)
            printf("step %3d  loss %.4f\n", i, losses[i]);
        double first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[17] + losses[18] + losses[19]) / 3;
        bool ok = last < first - 0.1;
        printf("check %s: mean loss of the first 3 steps %.4f, of the last 3 steps %.4f\n", ok ? "OK" : "FAILED",
               first, last);
        return ok ? 0 : 1;
    }
    double secs = now() - t0, cpu = cpu_now() - cpu0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    rw_arena_stats st = rw_arena_get_stats(rw_graph_arena(g));
    printf("{\"framework\": \"rewind\", \"cell\": \"%s\", \"layers\": %d, \"hidden\": %d, \"batch\": %d, "
           "\"unroll\": %d, \"steps\": %d, \"warmup\": %d, \"threads\": %d, \"seed\": %d, \"corpus\": \"%s\", "
           "\"corpus_bytes\": %zu, \"vocab\": %d, \"params\": %zu, \"seconds\": %.3f, "
           "\"train_chars_per_sec\": %.1f, \"ms_per_step\": %.3f, \"final_loss\": %.4f, "
           "\"real\": \"%s\", \"blis_arch\": \"%s\", \"peak_rss_mib\": %.1f, \"arena_high_water_mib\": %.1f, "
           "\"cpu_seconds\": %.3f, \"train_chars_per_cpu_sec\": %.1f, \"final_loss_exact\": %.9g}\n",
           a.cell, a.layers, H, B, T, a.steps, a.warmup, a.threads, a.seed, a.corpus, c.n, V, rw_params_size(P),
           secs, (double)B * T * a.steps / secs, 1000 * secs / a.steps, loss_value, RW_REAL_NAME, rw_blas_arch(),
           ru.ru_maxrss / 1024.0, st.high_water / 1048576.0, cpu, (double)B * T * a.steps / cpu, loss_value);
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    rw_carry_free(carry);
    rw_optim_free(opt);
    rw_linear_free(head);
    rw_rnn_free(rnn);
    rw_params_free(P);
    rw_byte_corpus_free(&c);
    return 0;
}
