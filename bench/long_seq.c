/* long_seq: BPTT over one long sequence with and without gradient
 * checkpointing over time (rw_run_opts.recompute_every).
 *
 * The adding problem (Hochreiter & Schmidhuber 1997): each step's input is
 * a random value and a marker; the target is the sum of the two marked
 * values, read from the LSTM's last output by a linear head (MSE). For
 * each k (0 = plain BPTT) a fresh process builds the model, runs one
 * training step to warm up and then `reps` timed steps, and reports the
 * seconds per step (wall and this process's CPU time, which a loaded
 * machine disturbs less), the tape's peak bytes (rw_graph_high_water), the
 * process's peak RSS and the gradient norm (equal for every k).
 *
 *     long_seq [T] [B] [H] [reps] [k ...]      defaults: 10000 8 64 2  0 100 1000
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <rewind.h>

typedef struct bench {
    int T, B, H, reps;
} bench;

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The inputs [T, B, 2] and targets [B, 1] of one batch of the adding problem. */
static void adding_batch(const bench *b, rw_rng *rng, rw_tensor *xs, rw_tensor *ys)
{
    for (int j = 0; j < b->B; j++) {
        int first = (int)rw_rng_below(rng, (uint32_t)(b->T / 2));
        int second = b->T / 2 + (int)rw_rng_below(rng, (uint32_t)(b->T - b->T / 2));
        double sum = 0;
        for (int t = 0; t < b->T; t++) {
            rw_real *x = xs->data + ((size_t)t * (size_t)b->B + (size_t)j) * 2;
            x[0] = (rw_real)rw_rng_uniform(rng);
            x[1] = t == first || t == second;
            if (x[1] != 0)
                sum += x[0];
        }
        ys->data[j] = (rw_real)sum;
    }
}

static int fail(const char *what)
{
    fprintf(stderr, "long_seq: %s: %s\n", what, rw_last_error());
    return 1;
}

/* One configuration, in its own process (peak RSS is per process). */
static int run_one(const bench *b, int k)
{
    rw_rng rng = rw_rng_seed(1);
    rw_params *P = rw_params_new();
    rw_rnn *lstm = rw_rnn_new(P, &(rw_rnn_spec){ .name = "lstm", .cell = &rw_lstm_cell, .input_size = 2,
                                                 .hidden = b->H }, &rng);
    rw_linear *head = lstm ? rw_linear_new(P, "head", b->H, 1, &rng) : NULL;
    if (!head)
        return fail("model");
    rw_tensor *xs = rw_tensor_new(RW_REAL, rw_shape3(b->T, b->B, 2));
    rw_tensor *ys = rw_tensor_new(RW_REAL, rw_shape2(b->B, 1));
    rw_graph *g = rw_graph_new();
    double seconds = 0, cpu = 0, norm = 0;
    for (int rep = 0; rep <= b->reps; rep++) {
        rw_rng data = rw_rng_seed(7); /* the same batch every time: the gradients are comparable */
        adding_batch(b, &data, xs, ys);
        double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        rw_graph_reset(g);
        rw_params_zero_grad(P);
        rw_seq s = rw_rnn_run(g, lstm, rw_const(g, xs),
                              &(rw_run_opts){ .output = RW_OUTPUT_LAST, .recompute_every = k });
        rw_node *loss = s.last ? rw_mse(g, rw_linear_apply(g, head, s.last), rw_const(g, ys)) : NULL;
        if (!loss || rw_backward(g, loss) != RW_OK)
            return fail("training step");
        if (rep > 0) { /* the first step warms the arena up */
            seconds += now(CLOCK_MONOTONIC) - t0;
            cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    }
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *gr = rw_params_at(P, i)->grad;
        for (size_t e = 0; e < gr->size; e++)
            norm += (double)gr->data[e] * (double)gr->data[e];
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"T\": %d, \"batch\": %d, \"hidden\": %d, \"recompute_every\": %d, \"seconds_per_step\": %.3f, \"cpu_seconds_per_step\": %.3f, "
           "\"tape_peak_mib\": %.1f, \"peak_rss_mib\": %.1f, \"grad_norm\": %.12g}\n",
           b->T, b->B, b->H, k, seconds / b->reps, cpu / b->reps, (double)rw_graph_high_water(g) / 1048576.0,
           (double)ru.ru_maxrss / 1024.0, sqrt(norm));
    fflush(stdout);
    rw_graph_free(g);
    rw_tensor_free(xs);
    rw_tensor_free(ys);
    rw_linear_free(head);
    rw_rnn_free(lstm);
    rw_params_free(P);
    return 0;
}

int main(int argc, char **argv)
{
    bench b = { .T = argc > 1 ? atoi(argv[1]) : 10000, .B = argc > 2 ? atoi(argv[2]) : 8,
                .H = argc > 3 ? atoi(argv[3]) : 64, .reps = argc > 4 ? atoi(argv[4]) : 2 };
    if (b.T < 2 || b.B < 1 || b.H < 1 || b.reps < 1) {
        fprintf(stderr, "usage: long_seq [T >= 2] [B] [H] [reps] [k ...]\n");
        return 2;
    }
    int default_ks[] = { 0, 100, 1000 }, n_ks = argc > 5 ? argc - 5 : 3;
    int status = 0;
    for (int i = 0; i < n_ks; i++) {
        int k = argc > 5 ? atoi(argv[5 + i]) : default_ks[i];
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(run_one(&b, k));
        int st = 1;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            status = 1;
    }
    return status;
}
