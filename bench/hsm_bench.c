/* hsm_bench: training speed of a word-level LSTM language model with the
 * full softmax against the hierarchical softmax (F40) over the same data.
 *
 * A synthetic corpus of Zipf-distributed words (word k drawn with
 * probability proportional to 1/(k+1); every word also appears once, so the
 * vocabulary is full) is written to a temporary file and read as data of
 * kind lines with `tokens: words` and `vocab_size`, one line per sequence
 * of T + 1 words. The same model file (embedding H, LSTM H, linear head of
 * size vocab) is trained with `softmax: full` and with `softmax:
 * {kind: hierarchical, classes: C}`: one warm-up step, then `steps` timed
 * steps. Each prints one JSON line: training tokens/s (wall and this
 * process's CPU time) over the timed steps, and their first and last loss.
 *
 * With --generate N it times batch-1 generation of N words at temperature
 * 1 instead (rw_model_generate, as `rewind sample`): the full softmax, and
 * the hierarchical one sampled exactly (all V log-probabilities a step) and
 * fast (the class, then a word of it).
 *
 *     hsm_bench [--vocab V] [--hidden H] [--batch B] [--steps T] [--bptt N]
 *               [--classes C] [--softmax full|hierarchical|both] [--threads N] [--generate N]
 *     defaults: 10000 256 32 20 32 100 both 1 0
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rewind.h>

typedef struct config {
    int vocab, hidden, batch, steps, T, classes, threads;
    int generate; /* > 0: time generating this many words instead of training */
    const char *softmax;
} config;

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Enough lines for steps + 1 batches, words w0 .. w(V-2) by Zipf, and one
 * line holding every word (so the capped vocabulary is V with <unk>). */
static int write_corpus(const config *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int words = c->vocab - 1, lines = (c->steps + 2) * c->batch;
    double *cdf = malloc((size_t)words * sizeof *cdf), total = 0;
    for (int k = 0; k < words; k++)
        cdf[k] = total += 1.0 / (k + 1);
    rw_rng rng = rw_rng_seed(11);
    for (int i = 0; i < lines; i++)
        for (int t = 0; t <= c->T; t++) {
            double u = rw_rng_uniform(&rng) * total;
            int lo = 0, hi = words - 1;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (cdf[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            fprintf(f, "w%d%c", lo, t == c->T ? '\n' : ' ');
        }
    for (int k = 0; k < words; k++)
        fprintf(f, "w%d%c", k, k == words - 1 ? '\n' : ' ');
    free(cdf);
    return fclose(f);
}

/* What the progress callback saw: the clocks and tokens after the warm-up step and at the last step. */
typedef struct timing {
    double wall0, cpu0, wall1, cpu1, first_loss, last_loss;
    long tokens0, tokens1, steps;
} timing;

static void progress(const rw_train_progress *p, void *ctx)
{
    timing *t = ctx;
    if (p->validated)
        return;
    if (p->step == 1) {
        t->wall0 = now(CLOCK_MONOTONIC);
        t->cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
        t->tokens0 = p->tokens;
        return;
    }
    if (p->step == 2)
        t->first_loss = p->loss;
    t->wall1 = now(CLOCK_MONOTONIC);
    t->cpu1 = now(CLOCK_PROCESS_CPUTIME_ID);
    t->tokens1 = p->tokens;
    t->last_loss = p->loss;
    t->steps = p->step - 1;
}

/* The model over the corpus with this softmax (the YAML value). */
static rw_model *load_model(const config *c, const char *dir, const char *softmax)
{
    char yaml[2048];
    /* max_length: a line's T + 1 words give T steps; the long line of every word is cut to them */
    snprintf(yaml, sizeof yaml,
             "format: rewind/1\n"
             "data: {kind: lines, tokens: words, train: corpus.txt, vocab_size: %d, max_length: %d}\n"
             "model:\n"
             "  layers:\n"
             "    - embedding: {size: %d}\n"
             "    - lstm: {size: %d}\n"
             "    - linear: {name: head, size: vocab}\n"
             "  outputs:\n"
             "    next_word: {target: next, softmax: %s}\n"
             "train: {seed: 1, batch: {size: %d}, optimizer: {type: adam, lr: 1.0e-3}}\n",
             c->vocab, c->T + 1, c->hidden, c->hidden, softmax, c->batch);
    rw_model *m = rw_model_load_string(yaml, "hsm_bench.yaml", &(rw_model_load_opts){ .base_dir = dir });
    if (!m)
        fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
    return m;
}

static int run(const config *c, const char *dir, bool hierarchical)
{
    char softmax[96];
    if (hierarchical)
        snprintf(softmax, sizeof softmax, "{kind: hierarchical, classes: %d}", c->classes);
    else
        snprintf(softmax, sizeof softmax, "full");
    rw_model *m = load_model(c, dir, softmax);
    rw_optim *opt = m ? rw_model_optim_new(m) : NULL;
    rw_train_opts o;
    if (!opt || rw_model_train_opts(m, &o) != RW_OK) {
        fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
        rw_model_free(m);
        return 1;
    }
    timing t = { 0 };
    o.epochs = 0;
    o.max_steps = 1 + c->steps; /* the first step warms up the arena and the optimizer's slots */
    o.progress = progress;
    o.progress_ctx = &t;
    rw_train_result r = { 0 };
    rw_status st = rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m,
                            &o, &r);
    if (st != RW_OK) {
        fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
        rw_optim_free(opt);
        rw_model_free(m);
        return 1;
    }
    double tokens = (double)(t.tokens1 - t.tokens0), wall = t.wall1 - t.wall0, cpu = t.cpu1 - t.cpu0;
    printf("{\"bench\": \"hsm\", \"softmax\": \"%s\", \"vocab\": %d, \"classes\": %d, \"hidden\": %d, \"batch\": %d, "
           "\"bptt\": %d, \"steps\": %ld, \"threads\": %d, \"tokens_per_s\": %.0f, \"tokens_per_cpu_s\": %.0f, "
           "\"first_loss\": %.4f, \"last_loss\": %.4f}\n",
           hierarchical ? "hierarchical" : "full", rw_model_vocab_size(m), hierarchical ? c->classes : 1, c->hidden,
           c->batch, c->T, t.steps, c->threads, tokens / wall, tokens / cpu, t.first_loss, t.last_loss);
    fflush(stdout);
    rw_optim_free(opt);
    rw_model_free(m);
    return 0;
}

/* Batch-1 generation of c->generate words at temperature 1 (rw_model_generate,
 * what `rewind sample` runs) with the full softmax, and the hierarchical
 * one with `sampling: exact` (hsm_log_probs of every word, then a draw)
 * and `sampling: fast` (the class, then a word of it). The weights are
 * the untrained ones: the cost of a step does not depend on them. */
static int run_generate(const config *c, const char *dir)
{
    static const char *const names[] = { "full", "hierarchical_exact", "hierarchical_fast" };
    for (int k = 0; k < 3; k++) {
        char softmax[128];
        if (k == 0)
            snprintf(softmax, sizeof softmax, "full");
        else
            snprintf(softmax, sizeof softmax, "{kind: hierarchical, classes: %d, sampling: %s}", c->classes,
                     k == 1 ? "exact" : "fast");
        rw_model *m = load_model(c, dir, softmax);
        if (!m)
            return 1;
        rw_rng rng = rw_rng_seed(3);
        free(rw_model_generate(m, "w1", 8, 1.0, 0, &rng)); /* warm-up */
        double wall = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID);
        char *text = rw_model_generate(m, "w1", c->generate, 1.0, 0, &rng);
        wall = now(CLOCK_MONOTONIC) - wall;
        cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
        if (!text) {
            fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
            rw_model_free(m);
            return 1;
        }
        printf("{\"bench\": \"hsm_generate\", \"softmax\": \"%s\", \"vocab\": %d, \"classes\": %d, "
               "\"hidden\": %d, \"tokens\": %d, \"threads\": %d, \"tokens_per_s\": %.0f, "
               "\"tokens_per_cpu_s\": %.0f}\n",
               names[k], rw_model_vocab_size(m), k ? c->classes : 1, c->hidden, c->generate, c->threads,
               c->generate / wall, c->generate / cpu);
        fflush(stdout);
        free(text);
        rw_model_free(m);
    }
    return 0;
}

int main(int argc, char **argv)
{
    config c = { 10000, 256, 32, 20, 32, 100, 1, 0, "both" };
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        int *slot = !strcmp(k, "--vocab") ? &c.vocab : !strcmp(k, "--hidden") ? &c.hidden
                  : !strcmp(k, "--batch") ? &c.batch : !strcmp(k, "--steps") ? &c.steps
                  : !strcmp(k, "--bptt") ? &c.T : !strcmp(k, "--classes") ? &c.classes
                  : !strcmp(k, "--threads") ? &c.threads : !strcmp(k, "--generate") ? &c.generate : NULL;
        if (slot)
            *slot = atoi(v);
        else if (!strcmp(k, "--softmax"))
            c.softmax = v;
        else {
            fprintf(stderr, "hsm_bench: unknown option %s\n", k);
            return 2;
        }
    }
    if (c.vocab < 3 || c.hidden < 1 || c.batch < 1 || c.steps < 1 || c.T < 1 || c.classes < 1 || c.threads < 1) {
        fprintf(stderr, "hsm_bench: every size must be positive (vocab >= 3)\n");
        return 2;
    }
    rw_set_threads(c.threads);
    char dir[] = "/tmp/hsm_bench_XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/corpus.txt", dir);
    int rc = write_corpus(&c, path) == 0 ? 0 : 1;
    if (!rc && c.generate > 0)
        rc = run_generate(&c, dir);
    else if (!rc && strcmp(c.softmax, "hierarchical"))
        rc = run(&c, dir, false);
    if (!rc && c.generate <= 0 && strcmp(c.softmax, "full"))
        rc = run(&c, dir, true);
    unlink(path);
    rmdir(dir);
    return rc;
}
