/* rnn_bench: trains the character-level model of torch_rnn.py with rewind,
 * with the same flags, and prints the same JSON line.
 *
 * Model: token ids -> L stacked LSTM or GRU layers of H units -> linear to
 * V -> softmax cross-entropy at every position; Adam (lr 2e-3), global
 * gradient-norm clipping at 5.0, no dropout; B streams through the corpus,
 * truncated BPTT over windows of T characters, state carried between
 * windows, all streams restarting from a zero state when they run out.
 * The first layer looks up its input projection by id, which is exactly
 * one-hot(V) times W^T. The GRU is the reset-after form (as nn.GRU).
 *
 * It trains through rw_train; with --replicas N, data-parallel in N
 * threads (rw_train_opts.replicas), each thread on B/N of the streams with
 * its own copy of the network and of their carried states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <rewind.h>

typedef struct args {
    const char *cell, *corpus;
    int layers, hidden, batch, unroll, steps, warmup, threads, seed, replicas;
    bool check;
} args;

static void usage(void)
{
    fprintf(stderr, "usage: rnn_bench --corpus FILE [--cell lstm|gru] [--layers L] [--hidden H] [--batch B]\n"
                    "                 [--unroll T] [--steps N] [--warmup N] [--threads N] [--seed S] [--check]\n"
                    "                 [--replicas N]   (data-parallel: N threads, each on B/N streams)\n");
}

static int parse(int argc, char **argv, args *a)
{
    *a = (args){ "lstm", NULL, 1, 128, 32, 64, 50, 3, 1, 1, 1, false };
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *num = !strcmp(k, "--layers") ? &a->layers : !strcmp(k, "--hidden") ? &a->hidden
                 : !strcmp(k, "--batch") ? &a->batch : !strcmp(k, "--unroll") ? &a->unroll
                 : !strcmp(k, "--steps") ? &a->steps : !strcmp(k, "--warmup") ? &a->warmup
                 : !strcmp(k, "--threads") ? &a->threads : !strcmp(k, "--seed") ? &a->seed
                 : !strcmp(k, "--replicas") ? &a->replicas : NULL;
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
        a->batch < 1 || a->unroll < 1 || a->threads < 1 || a->replicas < 1 || a->replicas > 8 ||
        a->replicas > a->batch) {
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

/* One copy of the network (replica 0 is the trained one). */
typedef struct net {
    rw_params *P;
    rw_rnn *rnn;
    rw_linear *head;
    rw_graph *g; /* the graph of its latest loss, for the arena's statistics */
} net;

/* A batch: T x B ids and targets, and the states the streams carry. */
typedef struct batch {
    rw_tensor *x, *y;
    rw_carry *carry;
} batch;

/* B streams through the corpus in windows of T; at the end every stream
 * restarts from a zero state. Shares of the streams for the replicas. */
typedef struct streams {
    rw_windows windows;
    const rw_rnn *rnn;
    batch whole, parts[8];
} streams;

static rw_status streams_next(void *ctx, void **out)
{
    streams *s = ctx;
    if (!rw_windows_next(&s->windows, s->whole.x->idata, s->whole.y->idata)) {
        rw_windows_start(&s->windows, 0);
        rw_carry_zero(s->whole.carry);
        rw_windows_next(&s->windows, s->whole.x->idata, s->whole.y->idata);
    }
    *out = &s->whole;
    return RW_OK;
}

static int streams_columns(void *ctx, const void *b)
{
    (void)ctx;
    return ((const batch *)b)->x->shape.dim[1];
}

/* Columns [first, first + n) of a [T, B] int32 tensor into `to` ([T, n]). */
static void copy_columns(rw_tensor *to, const rw_tensor *from, int first, int n)
{
    int T = from->shape.dim[0], B = from->shape.dim[1];
    for (int t = 0; t < T; t++)
        memcpy(to->idata + (size_t)t * n, from->idata + (size_t)t * B + first, (size_t)n * sizeof *to->idata);
}

static rw_status streams_take(void *ctx, const void *b, int part, int first, int count, void **out, double *weight)
{
    streams *s = ctx;
    const batch *whole = b;
    batch *p = &s->parts[part];
    int T = whole->x->shape.dim[0];
    if (!p->x || p->x->shape.dim[1] != count) {
        rw_tensor_free(p->x);
        rw_tensor_free(p->y);
        rw_carry_free(p->carry);
        p->x = rw_tensor_new(RW_INT32, rw_shape2(T, count));
        p->y = rw_tensor_new(RW_INT32, rw_shape2(T, count));
        p->carry = rw_carry_new(s->rnn, count);
        if (!p->x || !p->y || !p->carry)
            return rw_last_status();
    }
    copy_columns(p->x, whole->x, first, count);
    copy_columns(p->y, whole->y, first, count);
    rw_status st = rw_carry_copy_sequences(p->carry, 0, whole->carry, first, count);
    *out = p;
    *weight = (double)T * count;
    return st;
}

/* The shares' carried states back into the whole batch's. */
static rw_status streams_done(void *ctx, const void *b, int parts)
{
    streams *s = ctx;
    (void)b;
    int first = 0;
    rw_status st = RW_OK;
    for (int k = 0; k < parts && st == RW_OK; k++) {
        int n = s->parts[k].x->shape.dim[1];
        st = rw_carry_copy_sequences(s->whole.carry, first, s->parts[k].carry, 0, n);
        first += n;
    }
    return st;
}

static rw_node *net_loss(rw_graph *g, void *b, void *ctx)
{
    net *n = ctx;
    batch *x = b;
    n->g = g;
    rw_seq s = rw_rnn_run(g, n->rnn, rw_const(g, x->x), &(rw_run_opts){ .carry = x->carry });
    if (!s.outputs || rw_carry_keep(x->carry, &s) != RW_OK) /* values only: the run copied the carry in */
        return NULL;
    return rw_cross_entropy(g, rw_linear_apply(g, n->head, s.outputs), rw_const(g, x->y));
}

static rw_status net_build(net *n, const args *a, int V, bool skip_init)
{
    rw_rng rng = rw_rng_seed((uint64_t)a->seed);
    bool lstm = !strcmp(a->cell, "lstm");
    rw_gru_opts gru_opts = { .reset_after = true };
    n->P = rw_params_new();
    rw_params_set_skip_init(n->P, skip_init);
    n->rnn = rw_rnn_new(n->P, &(rw_rnn_spec){ .name = "rnn", .cell = lstm ? &rw_lstm_cell : &rw_gru_cell,
                                               .cell_opts = lstm ? NULL : &gru_opts, .vocab = V, .hidden = a->hidden,
                                               .layers = a->layers }, &rng);
    n->head = n->rnn ? rw_linear_new(n->P, "out", a->hidden, V, &rng) : NULL;
    return n->head ? RW_OK : rw_last_status();
}

static void net_free(net *n)
{
    rw_linear_free(n->head);
    rw_rnn_free(n->rnn);
    rw_params_free(n->P);
}

/* Timing starts after the warm-up steps; --check keeps the first 20 losses;
 * the arenas' high-water marks (all copies' graphs) are read while the
 * graphs live. */
typedef struct clock_state {
    int warmup;
    double t0, cpu0;
    double losses[20];
    const net *nets;
    int n_nets;
    size_t high_water;
} clock_state;

static void on_step(const rw_train_progress *p, void *ctx)
{
    clock_state *c = ctx;
    if (p->step == c->warmup)
        c->t0 = now(), c->cpu0 = cpu_now();
    if (p->step >= 1 && p->step <= 20)
        c->losses[p->step - 1] = p->loss;
    size_t sum = 0;
    for (int r = 0; r < c->n_nets; r++)
        sum += c->nets[r].g ? rw_arena_get_stats(rw_graph_arena(c->nets[r].g)).high_water : 0;
    if (sum > c->high_water)
        c->high_water = sum;
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
    int T = a.unroll, B = a.batch, V = c.vocab.n, H = a.hidden, R = a.replicas;
    streams src = { 0 };
    if (rw_windows_init(&src.windows, c.ids, c.n, &(rw_windows_opts){ .streams = B, .window = T, .whole_windows = true })
        != RW_OK) {
        fprintf(stderr, "corpus too small: %zu bytes cannot fill %d streams of one %d-char window\n", c.n, B, T);
        return 1;
    }
    if (rw_set_threads(a.threads > R ? a.threads : R) != RW_OK) {
        fprintf(stderr, "%s\n", rw_last_error());
        return 1;
    }
    net nets[8] = { 0 };
    rw_train_replica copies[7];
    rw_status st = net_build(&nets[0], &a, V, false);
    for (int r = 1; r < R && st == RW_OK; r++) {
        if ((st = net_build(&nets[r], &a, V, true)) == RW_OK)
            st = rw_params_share_values(nets[r].P, nets[0].P);
        copies[r - 1] = (rw_train_replica){ .P = nets[r].P, .loss_ctx = &nets[r] };
    }
    rw_params *P = nets[0].P;
    rw_optim *opt = st == RW_OK ? rw_adam_new(P, &(rw_adam_opts){ .lr = 2e-3 }) : NULL;
    src.rnn = nets[0].rnn;
    src.whole = (batch){ .x = rw_tensor_new(RW_INT32, rw_shape2(T, B)), .y = rw_tensor_new(RW_INT32, rw_shape2(T, B)),
                         .carry = nets[0].rnn ? rw_carry_new(nets[0].rnn, B) : NULL };
    if (st != RW_OK || !opt || !src.whole.x || !src.whole.y || !src.whole.carry) {
        fprintf(stderr, "rnn_bench: %s\n", rw_last_error());
        return 1;
    }
    clock_state clk = { .warmup = a.check ? 0 : a.warmup, .nets = nets, .n_nets = R };
    rw_train_source ts = { .next = streams_next, .columns = streams_columns, .take_columns = streams_take,
                           .columns_done = streams_done, .ctx = &src };
    rw_train_result res;
    long total = a.check ? 20 : a.warmup + a.steps;
    if (rw_train(P, opt, ts, net_loss, &nets[0], &(rw_train_opts){ .max_steps = total, .clip_norm = 5.0,
                 .replicas = R, .replica_list = copies, .progress = on_step, .progress_ctx = &clk }, &res) != RW_OK) {
        fprintf(stderr, "rnn_bench: %s\n", rw_last_error());
        return 1;
    }
    double loss_value = res.last_loss;
    if (a.check) {
        double *losses = clk.losses;
        for (int i = 0; i < 20; i++)
            printf("step %3d  loss %.4f\n", i, losses[i]);
        double first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[17] + losses[18] + losses[19]) / 3;
        bool ok = last < first - 0.1;
        printf("check %s: mean loss of the first 3 steps %.4f, of the last 3 steps %.4f\n", ok ? "OK" : "FAILED",
               first, last);
        return ok ? 0 : 1;
    }
    double secs = now() - clk.t0, cpu = cpu_now() - clk.cpu0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"framework\": \"rewind\", \"cell\": \"%s\", \"layers\": %d, \"hidden\": %d, \"batch\": %d, "
           "\"unroll\": %d, \"steps\": %d, \"warmup\": %d, \"threads\": %d, \"replicas\": %d, \"seed\": %d, "
           "\"corpus\": \"%s\", \"corpus_bytes\": %zu, \"vocab\": %d, \"params\": %zu, \"seconds\": %.3f, "
           "\"train_chars_per_sec\": %.1f, \"ms_per_step\": %.3f, \"final_loss\": %.4f, "
           "\"real\": \"%s\", \"blis_arch\": \"%s\", \"peak_rss_mib\": %.1f, \"arena_high_water_mib\": %.1f, "
           "\"cpu_seconds\": %.3f, \"train_chars_per_cpu_sec\": %.1f, \"final_loss_exact\": %.9g}\n",
           a.cell, a.layers, H, B, T, a.steps, a.warmup, a.threads, R, a.seed, a.corpus, c.n, V, rw_params_size(P),
           secs, (double)B * T * a.steps / secs, 1000 * secs / a.steps, loss_value, RW_REAL_NAME, rw_blas_arch(),
           ru.ru_maxrss / 1024.0, clk.high_water / 1048576.0, cpu, (double)B * T * a.steps / cpu, loss_value);
    for (int k = 0; k < 8; k++) {
        rw_tensor_free(src.parts[k].x);
        rw_tensor_free(src.parts[k].y);
        rw_carry_free(src.parts[k].carry);
    }
    rw_tensor_free(src.whole.x);
    rw_tensor_free(src.whole.y);
    rw_carry_free(src.whole.carry);
    rw_optim_free(opt);
    for (int r = R - 1; r >= 0; r--) /* the copies before the values they share */
        net_free(&nets[r]);
    rw_byte_corpus_free(&c);
    return 0;
}
