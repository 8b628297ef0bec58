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
 * With --log-probs R it times the exact log-probabilities of every word
 * for R rows of h (what greedy and beam decoding, predict and sampling at
 * T != 1 compute at each step): the full softmax's product and
 * log_softmax (a linear layer, then rw_log_softmax) against
 * rw_hsm_log_probs, on random weights, each call its own graph step.
 *
 *     hsm_bench [--vocab V] [--hidden H] [--batch B] [--steps T] [--bptt N]
 *               [--classes C] [--softmax full|hierarchical|both] [--threads N] [--generate N]
 *               [--log-probs R]
 *     defaults: 10000 256 32 20 32 100 both 1 0 0
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
    int generate;  /* > 0: time generating this many words instead of training */
    int log_probs; /* > 0: time the log-probabilities of this many rows instead */
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

/* Zipf counts, so that the frequency bins are those of a real vocabulary. */
static rw_status zipf_classes(const config *c, rw_hsm_classes *cls)
{
    double *counts = malloc((size_t)c->vocab * sizeof *counts);
    if (!counts)
        return RW_ERR_NOMEM;
    for (int k = 0; k < c->vocab; k++)
        counts[k] = 1e6 / (k + 1);
    rw_status st = rw_hsm_classes_from_counts(cls, counts, c->vocab, c->classes);
    free(counts);
    return st;
}

/* One softmax's log-probabilities of c->log_probs rows, timed over enough
 * calls for about the same work at any R; prints one JSON line. */
static void time_log_probs(const config *c, rw_graph *g, const rw_tensor *h, const rw_linear *head,
                           rw_param *cw, rw_param *cb, const rw_hsm_classes *cls)
{
    int calls = c->steps * 100 / c->log_probs;
    calls = calls < 5 ? 5 : calls;
    double wall = 0, cpu = 0, check = 0;
    for (int i = -1; i < calls; i++) { /* call -1 warms up the arena */
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        rw_node *x = rw_const(g, h);
        rw_node *lp = cls ? rw_hsm_log_probs(g, x, rw_param_node(g, cw), rw_param_node(g, cb),
                                             rw_param_node(g, head->W), rw_param_node(g, head->b), cls)
                          : rw_log_softmax(g, rw_linear_apply(g, head, x));
        if (!lp) {
            fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
            return;
        }
        check += (double)lp->value.data[0];
        rw_graph_reset(g);
        if (i >= 0) {
            wall += now(CLOCK_MONOTONIC) - w0;
            cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    }
    printf("{\"bench\": \"hsm_log_probs\", \"softmax\": \"%s\", \"vocab\": %d, \"classes\": %d, \"hidden\": %d, "
           "\"rows\": %d, \"calls\": %d, \"threads\": %d, \"us_per_call\": %.1f, \"cpu_us_per_call\": %.1f, "
           "\"rows_per_s\": %.0f, \"rows_per_cpu_s\": %.0f, \"check\": %.3g}\n",
           cls ? "hierarchical" : "full", c->vocab, cls ? c->classes : 1, c->hidden, c->log_probs, calls,
           c->threads, 1e6 * wall / calls, 1e6 * cpu / calls, c->log_probs * calls / wall,
           c->log_probs * calls / cpu, check / (calls + 1));
    fflush(stdout);
}

/* The full softmax then the hierarchical one (or only the one --softmax names) over the same W, b and h. */
static int run_log_probs(const config *c)
{
    rw_params *P = rw_params_new();
    rw_rng rng = rw_rng_seed(5);
    rw_linear *head = P ? rw_linear_new(P, "head", c->hidden, c->vocab, &rng) : NULL;
    rw_param *cw = head ? rw_params_add(P, "class_W", rw_shape2(c->classes, c->hidden)) : NULL;
    rw_param *cb = cw ? rw_params_add(P, "class_b", rw_shape1(c->classes)) : NULL;
    rw_tensor *h = rw_tensor_new(RW_REAL, rw_shape2(c->log_probs, c->hidden));
    rw_hsm_classes cls = { 0 };
    rw_graph *g = rw_graph_new();
    int rc = 1;
    if (cb && h && g && rw_param_init(P, cw, rw_init_of(RW_INIT_XAVIER_UNIFORM, 0, 0), &rng) == RW_OK &&
        zipf_classes(c, &cls) == RW_OK) {
        for (size_t i = 0; i < h->size; i++)
            h->data[i] = (rw_real)(2 * rw_rng_uniform(&rng) - 1);
        if (strcmp(c->softmax, "hierarchical"))
            time_log_probs(c, g, h, head, cw, cb, NULL);
        if (strcmp(c->softmax, "full"))
            time_log_probs(c, g, h, head, cw, cb, &cls);
        rc = 0;
    } else {
        fprintf(stderr, "hsm_bench: %s\n", rw_last_error());
    }
    rw_graph_free(g);
    rw_hsm_classes_free(&cls);
    rw_tensor_free(h);
    rw_linear_free(head);
    rw_params_free(P);
    return rc;
}

int main(int argc, char **argv)
{
    config c = { 10000, 256, 32, 20, 32, 100, 1, 0, 0, "both" };
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        int *slot = !strcmp(k, "--vocab") ? &c.vocab : !strcmp(k, "--hidden") ? &c.hidden
                  : !strcmp(k, "--batch") ? &c.batch : !strcmp(k, "--steps") ? &c.steps
                  : !strcmp(k, "--bptt") ? &c.T : !strcmp(k, "--classes") ? &c.classes
                  : !strcmp(k, "--threads") ? &c.threads : !strcmp(k, "--generate") ? &c.generate
                  : !strcmp(k, "--log-probs") ? &c.log_probs : NULL;
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
    if (c.log_probs > 0)
        return run_log_probs(&c);
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
