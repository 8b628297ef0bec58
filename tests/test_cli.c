/* The `rewind` program, run as a user would: help, ops, check, a tiny
 * training run with sample and eval, Ctrl-C saving a checkpoint and
 * --resume going on from it, and usage errors. The binary is
 * $RW_BINARY_DIR/tools/rewind; the tests run in the source directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <rewind.h>

/* ---- running the program ----------------------------------------------------- */

typedef struct run_result {
    int status;      /* exit status, or 128 + signal */
    char *out, *err; /* what it printed (malloc'd) */
} run_result;

static char dir[64];          /* this test's temporary directory */

static const char *binary(void)
{
    static char path[1024];
    const char *b = getenv("RW_BINARY_DIR");
    cr_assert(b, "RW_BINARY_DIR is not set (run the tests through ctest)");
    snprintf(path, sizeof path, "%s/tools/rewind", b);
    cr_assert(access(path, X_OK) == 0, "the rewind program is not built at %s", path);
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

/* Starts `rewind args...` in `cwd` (NULL: the current directory), its
 * output going to <dir>/<tag>.out and .err. */
static pid_t start(const char *cwd, const char *tag, const char *const *args)
{
    const char *argv[32] = { binary() };
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/%s.out", dir, tag);
    snprintf(err, sizeof err, "%s/%s.err", dir, tag);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || (cwd && chdir(cwd) != 0))
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits (at most a generous deadline, against hangs) and collects the output. */
static run_result finish(pid_t pid, const char *tag)
{
    int st = 0;
    for (int waited = 0;; waited += 10) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (waited > 120000) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            cr_assert_fail("rewind (%s) did not finish within 120 s", tag);
        }
        sleep_ms(10);
    }
    char path[128];
    run_result r = { .status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st) };
    snprintf(path, sizeof path, "%s/%s.out", dir, tag);
    r.out = slurp(path);
    snprintf(path, sizeof path, "%s/%s.err", dir, tag);
    r.err = slurp(path);
    /* A sanitizer build of the program reports into its stderr. */
    cr_assert(!strstr(r.err, "Sanitizer") && !strstr(r.err, "runtime error:"), "rewind (%s) stderr:\n%s", tag,
              r.err);
    return r;
}

static run_result run_in(const char *cwd, const char *tag, const char *const *args)
{
    return finish(start(cwd, tag, args), tag);
}

#define RUN(cwd, ...) run_in(cwd, __func__, (const char *const[]){ __VA_ARGS__, NULL })

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw_cli_XXXXXX");
    cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void teardown(void) { remove_tree(dir); }

TestSuite(cli, .init = setup, .fini = teardown);

/* ---- a tiny language model ------------------------------------------------------- */

static const char tiny_yaml[] =
    "format: rewind/1\n"
    "name: tiny\n"
    "data:\n"
    "  kind: chars\n"
    "  train: corpus.txt\n"
    "  valid_fraction: 0.1\n"
    "model:\n"
    "  inputs:\n"
    "    text: {type: tokens, vocab: data}\n"
    "  layers:\n"
    "    - embedding: {name: emb, size: 6}\n"
    "    - lstm: {name: rnn, size: 12}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs:\n"
    "    next: {from: head, loss: cross_entropy, target: \"shift(text, 1)\"}\n"
    "train:\n"
    "  seed: 3\n"
    "  steps: 8\n"
    "  batch: {size: 4, bptt: {window: 12, carry_state: true}}\n"
    "  optimizer: {type: adam, lr: 1.0e-2}\n"
    "  valid_every: 50 steps\n"
    "  checkpoint: {path: run/tiny.rwc}\n"
    "generate:\n"
    "  max_length: 30\n"
    "  prime: \"the \"\n";

/* tiny.yaml and a corpus of words in the test's directory. */
static void write_tiny_model(void)
{
    static const char *const words[] = { "the", "cat", "sat", "on", "a", "mat", "dog", "ran" };
    char path[128], text[4096];
    int n = 0;
    rw_rng rng = rw_rng_seed(5);
    while (n < (int)sizeof text - 8)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s ", words[rw_rng_below(&rng, 8)]);
    snprintf(path, sizeof path, "%s/corpus.txt", dir);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/tiny.yaml", dir);
    write_file(path, tiny_yaml);
}

static long checkpoint_step(const char *path)
{
    rw_checkpoint *ck = rw_checkpoint_open(path);
    cr_assert(ck, "%s", rw_last_error());
    long step = rw_checkpoint_step(ck);
    cr_assert(rw_checkpoint_meta(ck, "rewind.model"), "the checkpoint holds the model's definition");
    cr_assert(rw_checkpoint_meta(ck, "rewind.vocab"), "and its vocabulary");
    rw_checkpoint_close(ck);
    return step;
}

/* Train rows of a CSV log: how many, and the first and last steps. */
static int log_rows(const char *path, long *first, long *last)
{
    char *s = slurp(path);
    int n = 0;
    for (char *line = strchr(s, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        long step;
        int epoch;
        char split[16];
        if (sscanf(line + 1, "%ld,%d,%15[a-z]", &step, &epoch, split) == 3 && !strcmp(split, "train")) {
            if (!n++)
                *first = step;
            *last = step;
        }
    }
    free(s);
    return n;
}

/* ---- the tests ---------------------------------------------------------------- */

Test(cli, help_and_version)
{
    run_result r = RUN(NULL, "--help");
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *c = (const char *const[]){ "train", "sample", "eval", "check", "ops", NULL }; *c; c++)
        cr_assert(strstr(r.out, *c), "'rewind --help' names '%s':\n%s", *c, r.out);
    run_free(&r);
    r = RUN(NULL, "train", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--resume") && strstr(r.out, "--steps") && strstr(r.out, "--set"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "--version");
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "rewind ", 7) == 0, "%s", r.out);
    run_free(&r);
}

Test(cli, ops_lists_the_registry)
{
    run_result r = RUN(NULL, "ops");
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *const *op = (const char *const[]){ "matmul", "sigmoid", "tanh", "add", "mul", NULL }; *op; op++) {
        char line[64];
        snprintf(line, sizeof line, "\n%s ", *op);
        cr_assert(strstr(r.out, line), "'rewind ops' lists '%s':\n%s", *op, r.out);
    }
    char count[32];
    snprintf(count, sizeof count, "%d ops", rw_op_count());
    cr_assert(strstr(r.out, count), "every registered op: %s", count);
    run_free(&r);
    r = RUN(NULL, "ops", "sigmoid");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "sigmoid") && strstr(r.out, "inputs: 1"), "%s", r.out);
    run_free(&r);
}

Test(cli, check_prints_the_parameter_count)
{
    /* The fortunes corpus is the model's data; without it, any text will do. */
    bool fortunes = access("/usr/share/games/fortunes", F_OK) == 0;
    run_result r = fortunes ? RUN(NULL, "check", "models/char_lstm.yaml")
                            : RUN(NULL, "check", "models/char_lstm.yaml", "--set", "data.train=data/sentiment.tsv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "char_lstm") && strstr(r.out, "rnn"), "%s", r.out);
    const char *total = strstr(r.out, "total: ");
    long count = 0;
    cr_assert(total && sscanf(total, "total: %ld parameters", &count) == 1 && count > 1000, "%s", r.out);
    /* the recurrent layer's cell and the options in effect */
    cr_assert(strstr(r.out, "cell lstm: forget_bias 1, layer_norm false"), "%s", r.out);
    run_free(&r);
}

Test(cli, cells_lists_the_registry_with_options)
{
    run_result r = RUN(NULL, "cells");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "lstm: ") && strstr(r.out, "irnn: ") && strstr(r.out, "6 cells"), "%s", r.out);
    cr_assert(strstr(r.out, "forget_bias        real  default 1       [-1000, 1000]"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "cells", "gru");
    cr_assert(r.status == 0 && strstr(r.out, "reset_after") && !strstr(r.out, "lstm"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "cells", "grr");
    cr_assert(r.status == 1 && strstr(r.err, "no cell is registered as 'grr'"), "%s", r.err);
    run_free(&r);
}

Test(cli, check_reports_file_line_col)
{
    char path[128];
    snprintf(path, sizeof path, "%s/typo.yaml", dir);
    write_file(path, "format: rewind/1\n"
                     "model:\n"
                     "  layers:\n"
                     "    - embedding: {size: 8}\n"
                     "    - lstm:\n"
                     "        size: 16\n"
                     "        forget_bais: 1.0\n"
                     "    - linear: {name: head, size: vocab}\n");
    run_result r = RUN(NULL, "check", path);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char where[160];
    snprintf(where, sizeof where, "%s:7:9: error:", path);
    cr_assert(strstr(r.err, where) && strstr(r.err, "forget_bias"), "message:\n%s", r.err);
    run_free(&r);
    /* a YAML syntax error */
    write_file(path, "format: rewind/1\nmodel: {layers: [\n");
    r = RUN(NULL, "check", path);
    cr_assert_eq(r.status, 1);
    snprintf(where, sizeof where, "%s:", path);
    const char *at = strstr(r.err, where);
    int line = 0, col = 0;
    cr_assert(at && sscanf(at + strlen(where), "%d:%d: error", &line, &col) == 2 && line > 0 && col > 0,
              "file:line:col in:\n%s", r.err);
    run_free(&r);
    /* a bad --set, reported at its column on the command line */
    r = RUN(NULL, "check", "tests/model_bad/lstm_typo.yaml", "--set", "train.optimizer.lr=fast");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "error:"), "%s", r.err);
    run_free(&r);
}

Test(cli, train_then_sample_and_eval)
{
    write_tiny_model();
    /* --set changes the model; the checkpoint remembers it (sample's restore
     * would fail on the rnn's shapes otherwise) */
    run_result r = RUN(dir, "train", "tiny.yaml", "--steps", "6", "--threads", "1", "--set",
                       "model.layers.1.lstm.size=10");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "run/tiny.rwc"), "says where the checkpoint is:\n%s", r.err);
    cr_assert(strstr(r.err, "BLIS kernels '"), "the header names the BLIS kernels:\n%s", r.err);
    cr_assert(strncmp(r.out, "the ", 4) == 0, "a language model shows a sample at the end:\n%s", r.out);
    run_free(&r);
    char ck[128];
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    cr_assert_eq(checkpoint_step(ck), 6);
    rw_checkpoint *c = rw_checkpoint_open(ck);
    cr_assert(c);
    int U = rw_checkpoint_param_find(c, "rnn.l0.U");
    cr_assert(U >= 0 && rw_checkpoint_param_shape(c, U).dim[1] == 10, "--set made the LSTM 10 wide");
    rw_checkpoint_close(c);

    /* from another directory: the checkpoint alone rebuilds the model */
    r = RUN("/", "sample", ck, "--length", "40", "--prime", "cat ", "--seed", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "cat ", 4) == 0 && strlen(r.out) >= 44, "prime and 40 characters:\n%s", r.out);
    char *first = strdup(r.out);
    run_free(&r);
    r = RUN("/", "sample", ck, "--length", "40", "--prime", "cat ", "--seed", "2");
    cr_assert_str_eq(r.out, first, "the same seed gives the same text");
    free(first);
    run_free(&r);

    r = RUN("/", "eval", ck);
    cr_assert_eq(r.status, 0, "%s", r.err);
    double loss = 0;
    const char *at = strstr(r.out, "valid: loss ");
    cr_assert(at && sscanf(at, "valid: loss %lf", &loss) == 1 && loss > 0 && loss < 10, "%s", r.out);
    run_free(&r);
    r = RUN("/", "eval", ck, "--mc-dropout", "3"); /* probabilities averaged over 3 passes with dropout on */
    cr_assert_eq(r.status, 0, "%s", r.err);
    double mc = 0;
    at = strstr(r.out, "valid: loss ");
    cr_assert(at && sscanf(at, "valid: loss %lf", &mc) == 1 && fabs(mc - loss) < 0.5, "%g vs %g:\n%s", mc, loss,
              r.out);
    run_free(&r);
    r = RUN("/", "eval", ck, "--mc-dropout", "0");
    cr_assert_neq(r.status, 0, "--mc-dropout needs N >= 1");
    run_free(&r);
    char corpus[128];
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
    r = RUN(NULL, "eval", ck, "--data", corpus);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "perplexity"), "%s", r.out);
    run_free(&r);
}

Test(cli, classifier_eval_reports_accuracy)
{
    char ck[128];
    snprintf(ck, sizeof ck, "%s/cls.rwc", dir);
    run_result r = RUN(NULL, "train", "models/classifier.yaml", "--steps", "2", "--checkpoint", ck, "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(NULL, "eval", ck);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "valid: loss") && strstr(r.out, "accuracy"), "%s", r.out);
    run_free(&r);
    r = RUN(NULL, "sample", ck);
    cr_assert_eq(r.status, 1, "a classifier cannot be sampled");
    cr_assert(strstr(r.err, "classifier"), "%s", r.err);
    run_free(&r);
}

/* The "must show": Ctrl-C saves a checkpoint at step S and exits 0;
 * --resume goes on from S + 1. */
Test(cli, ctrl_c_saves_and_resume_continues)
{
    write_tiny_model();
    char log[128], ck[128];
    snprintf(log, sizeof log, "%s/run/first.csv", dir);
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    pid_t pid = start(dir, "first", (const char *const[]){ "train", "tiny.yaml", "--steps", "1000000", "--log",
                                                           "run/first.csv", NULL });
    long first = 0, last = 0;
    for (int waited = 0; log_rows(log, &first, &last) < 5; waited += 20) {
        cr_assert(waited < 60000, "the run made no progress in 60 s");
        cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "the run ended before it was interrupted");
        sleep_ms(20);
    }
    kill(pid, SIGINT);
    run_result r = finish(pid, "first");
    cr_assert_eq(r.status, 0, "Ctrl-C exits 0:\n%s", r.err);
    long S = checkpoint_step(ck);
    cr_assert(S >= 5 && S < 1000000, "saved at step %ld", S);
    cr_assert_eq(log_rows(log, &first, &last) >= 5, true);
    cr_assert_eq(first, 1);
    cr_assert_eq(last, S, "the checkpoint is at the last step trained (%ld vs %ld)", S, last);
    char says[64];
    snprintf(says, sizeof says, "interrupted at step %ld", S);
    cr_assert(strstr(r.err, says) && strstr(r.err, "run/tiny.rwc"), "says where:\n%s", r.err);
    run_free(&r);

    char until[32];
    snprintf(until, sizeof until, "%ld", S + 3);
    r = RUN(dir, "train", "tiny.yaml", "--resume", "--steps", until, "--log", "run/second.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    snprintf(says, sizeof says, "at step %ld", S);
    cr_assert(strstr(r.err, "resuming") && strstr(r.err, says), "%s", r.err);
    run_free(&r);
    snprintf(log, sizeof log, "%s/run/second.csv", dir);
    cr_assert_eq(log_rows(log, &first, &last), 3, "three more steps");
    cr_assert_eq(first, S + 1, "the resumed run starts at step S + 1 = %ld, not %ld", S + 1, first);
    cr_assert_eq(last, S + 3);
    cr_assert_eq(checkpoint_step(ck), S + 3);
}

/* The train row of step `step` in a CSV log, or "" (malloc'd). */
static char *log_row(const char *path, long step)
{
    char *s = slurp(path), *row = NULL;
    for (char *line = s; line && *line && !row;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        long k;
        int epoch;
        char split[16];
        if (sscanf(line, "%ld,%d,%15[a-z]", &k, &epoch, split) == 3 && k == step && !strcmp(split, "train"))
            row = strdup(line);
        line = next;
    }
    free(s);
    return row ? row : strdup("");
}

/* A run stopped mid-epoch and resumed makes exactly the steps of an
 * uninterrupted run: same parameters, optimizer state and RNG, the same next
 * batch, and (with carry_state) the recurrent state carried into it, which
 * the checkpoint holds as "rewind.state". */
static void resume_reproduces_the_uninterrupted_run(bool carry)
{
    write_tiny_model();
    /* 32 streams of 12-step windows: about 10 batches an epoch */
    const char *set1 = "train.batch.size=32",
               *set2 = carry ? "train.batch.bptt.carry_state=true" : "train.batch.bptt.carry_state=false";
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "25",
                       "--checkpoint", "run/whole.rwc", "--log", "run/whole.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "13", "--checkpoint",
            "run/parts.rwc", "--log", "run/part1.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--set", set1, "--set", set2, "--steps", "25", "--checkpoint",
            "run/parts.rwc", "--log", "run/part2.csv", "--resume");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char whole[128], part[128];
    snprintf(whole, sizeof whole, "%s/run/whole.csv", dir);
    snprintf(part, sizeof part, "%s/run/part2.csv", dir);
    long first = 0, last = 0;
    cr_assert_eq(log_rows(part, &first, &last), 12);
    cr_assert_eq(first, 14);
    for (long step = 14; step <= 25; step++) {
        char *a = log_row(whole, step), *b = log_row(part, step);
        cr_assert(*a, "step %ld is in the uninterrupted log", step);
        cr_assert_str_eq(a, b, "step %ld: the resumed run differs", step);
        free(a);
        free(b);
    }
    char *a = log_row(whole, 25);
    cr_assert(strncmp(a, "25,2,", 5) == 0, "the runs cross into a third epoch: %s", a);
    free(a);
}

Test(cli, resume_reproduces_the_uninterrupted_run) { resume_reproduces_the_uninterrupted_run(false); }
Test(cli, resume_with_carried_state_reproduces_the_uninterrupted_run) { resume_reproduces_the_uninterrupted_run(true); }

Test(cli, usage_errors_exit_2)
{
    const char *const cases[][5] = {
        { "frobnicate", NULL },
        { "tarin", "x.yaml", NULL },
        { "train", NULL },
        { "train", "models/char_lstm.yaml", "--stpes", "3", NULL },
        { "train", "models/char_lstm.yaml", "--steps", "many", NULL },
        { "train", "models/char_lstm.yaml", "--steps", NULL },
        { "sample", NULL },
        { "sample", "a.rwc", "--temperature", "hot", NULL },
        { "check", "a.yaml", "b.yaml", NULL },
        { "ops", "-x", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r = run_in(NULL, "usage", cases[i]);
        cr_assert_eq(r.status, 2, "rewind %s %s: status %d", cases[i][0], cases[i][1] ? cases[i][1] : "", r.status);
        cr_assert(strstr(r.err, "error:"), "a message for rewind %s:\n%s", cases[i][0], r.err);
        run_free(&r);
    }
    run_result r = RUN(NULL, "tarin");
    cr_assert(strstr(r.err, "did you mean 'train'"), "%s", r.err);
    run_free(&r);
}

Test(cli, failures_exit_1)
{
    run_result r = RUN(NULL, "train", "no/such/model.yaml");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no/such/model.yaml"), "%s", r.err);
    run_free(&r);
    r = RUN(NULL, "sample", "no/such/checkpoint.rwc");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "checkpoint.rwc"), "%s", r.err);
    run_free(&r);
    write_tiny_model();
    r = RUN(dir, "train", "tiny.yaml", "--resume", "--checkpoint", "nothing/here.rwc");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no checkpoint"), "%s", r.err);
    run_free(&r);
}

Test(cli, info_reports_the_blis_kernels_and_obeys_the_override)
{
    run_result r = RUN(NULL, "info");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char expected[128];
    snprintf(expected, sizeof expected, "blis_arch:     %s\n", rw_blas_arch()); /* this process chose the same */
    cr_assert(strstr(r.out, expected), "expected '%s' in:\n%s", expected, r.out);
    cr_assert(strstr(r.out, "why:") && strstr(r.out, "threads:       1"), "%s", r.out);
    run_free(&r);

    setenv("RW_BLIS_ARCH", "generic", 1);
    r = RUN(NULL, "info", "--threads", "2");
    unsetenv("RW_BLIS_ARCH");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "blis_arch:     generic\n") && strstr(r.out, "RW_BLIS_ARCH"), "%s", r.out);
    cr_assert(strstr(r.out, "threads:       2"), "%s", r.out);
    run_free(&r);
}

/* recompute_every on a recurrent layer (gradient checkpointing over time)
 * trains the same model as without it: every logged loss agrees. A bad
 * value is refused at its line. */
Test(cli, recompute_every_trains_the_same)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "6", "--threads", "1", "--checkpoint",
                       "run/plain.rwc", "--log", "run/plain.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "6", "--threads", "1", "--checkpoint", "run/seg.rwc",
            "--log", "run/seg.csv", "--set", "model.layers.1.lstm.recompute_every=5");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char plain[128], seg[128];
    snprintf(plain, sizeof plain, "%s/run/plain.csv", dir);
    snprintf(seg, sizeof seg, "%s/run/seg.csv", dir);
    for (long step = 1; step <= 6; step++) {
        char *a = log_row(plain, step), *b = log_row(seg, step);
        double la = -1, lb = -2, ga = -1, gb = -2; /* loss and gradient norm */
        cr_assert(sscanf(a, "%*d,%*d,train,%lf,%lf", &la, &ga) == 2 && sscanf(b, "%*d,%*d,train,%lf,%lf", &lb, &gb) == 2,
                  "step %ld: '%s' / '%s'", step, a, b);
        cr_assert(fabs(la - lb) <= 1e-5 * fabs(la) && fabs(ga - gb) <= 1e-5 * fabs(ga),
                  "step %ld: loss %.9g and gradient norm %.9g plain, %.9g and %.9g recomputed", step, la, ga, lb, gb);
        free(a);
        free(b);
    }
    r = RUN(dir, "check", "tiny.yaml", "--set", "model.layers.1.lstm.recompute_every=-3");
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, "recompute_every"), "names the key:\n%s", r.err);
    run_free(&r);
}

/* ---- issue 14: untrusted checkpoints, the checkpoint directory, stale files ---- */

#include "ck_bytes.h"

/* A checkpoint whose step is 10^12 (checksum valid): refused at once instead
 * of replaying epochs of data without end. */
Test(cli, resume_refuses_a_step_the_data_cannot_reach)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char ck[128];
    snprintf(ck, sizeof ck, "%s/run/tiny.rwc", dir);
    size_t len = 0;
    unsigned char *b = rwt_read_bytes(ck, &len);
    size_t at = b ? rwt_ck_section(b, len, "STEP") : 0;
    cr_assert(at, "no STEP section in %s", ck);
    uint64_t step = 1000000000000ull;
    for (int i = 0; i < 8; i++)
        b[at + (size_t)i] = (unsigned char)(step >> (8 * i));
    rwt_ck_reseal(b, len);
    cr_assert_eq(rwt_write_bytes(ck, b, len), 0);
    free(b);
    cr_assert_eq(checkpoint_step(ck), 1000000000000L);
    time_t t0 = time(NULL);
    r = RUN(dir, "train", "tiny.yaml", "--quiet", "--resume", "--steps", "2000000000000");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "step 1000000000000") && strstr(r.err, "refused"), "%s", r.err);
    cr_assert_lt(time(NULL) - t0, 30);
    run_free(&r);
}

/* A checkpoint that cannot be written is found before training, not after. */
Test(cli, an_unwritable_checkpoint_is_found_before_training)
{
    write_tiny_model();
    char sub[128];
    snprintf(sub, sizeof sub, "%s/run", dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "%s", strerror(errno));
    snprintf(sub, sizeof sub, "%s/run/taken.rwc", dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "%s", strerror(errno));
    const char *const where[] = { "run/taken.rwc", "/proc/self/cannot.rwc" };
    const char *const says[] = { "exists and is not a regular file", "cannot write the checkpoint" };
    for (int i = 0; i < 2; i++) {
        time_t t0 = time(NULL);
        run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "1000000000", "--checkpoint", where[i],
                           "--log", "run/unwritable.csv");
        cr_assert_eq(r.status, 1, "%s", r.err);
        cr_assert(strstr(r.err, says[i]) && strstr(r.err, where[i]), "%s", r.err);
        cr_assert_lt(time(NULL) - t0, 30, "a billion steps were not trained first");
        run_free(&r);
    }
}

/* Temporary files of killed writers are removed; a live writer's, another
 * checkpoint's and look-alike names are kept. */
Test(cli, stale_temporary_checkpoints_are_removed_safely)
{
    write_tiny_model();
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/run", dir);
    mkdir(path, 0700);
    const char *const gone[] = { "tiny.rwc.tmp-%ld-0", "tiny.rwc.tmp-%ld-17" };
    const char *const kept[] = { "other.rwc.tmp-%ld-0", "tiny.rwc.tmp-%ld-x", "tiny.rwc.tmp-%ld", "tiny.rwc.tmp-%ld-0.bak" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), gone[i], (long)dead);
        write_file(path, "partial");
    }
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), kept[i], (long)dead);
        write_file(path, "partial");
    }
    snprintf(path, sizeof path, "%s/run/tiny.rwc.tmp-%ld-3", dir, (long)getpid()); /* a live writer */
    write_file(path, "partial");
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "removed 2 temporary checkpoint files"), "%s", r.err);
    run_free(&r);
    cr_assert_eq(access(path, F_OK), 0, "the live writer's file is kept");
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), gone[i], (long)dead);
        cr_assert_neq(access(path, F_OK), 0, "%s was not removed", path);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/run/", dir);
        snprintf(path + strlen(path), sizeof path - strlen(path), kept[i], (long)dead);
        cr_assert_eq(access(path, F_OK), 0, "%s was removed", path);
    }
}

/* The example: 'tokens 100000000' in a checkpoint's vocabulary is
 * refused by `rewind sample` before 800 MB are allocated for it. */
Test(cli, sample_refuses_a_vocabulary_count_beyond_its_lines)
{
    write_tiny_model();
    char ck[128];
    snprintf(ck, sizeof ck, "%s/evil.rwc", dir);
    const char *keys[] = { "rewind.model", "rewind.vocab" };
    const char *values[] = { tiny_yaml, "rewind-vocab 1\ntokens 100000000\na\n" };
    rw_params *P = rw_params_new();
    cr_assert_eq(rw_checkpoint_save_ex(ck, P, NULL, NULL, 1, keys, values, 2), RW_OK, "%s", rw_last_error());
    rw_params_free(P);
    run_result r = RUN(dir, "sample", "evil.rwc");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "'tokens 100000000' but only 1 lines follow"), "%s", r.err);
    run_free(&r);
}

/* rewind sample --beam: the n best continuations, best first with their
 * scores; width 1 is greedy decoding; a bad method is a usage error. */
Test(cli, sample_by_beam_search)
{
    write_tiny_model();
    run_result r = RUN(dir, "train", "tiny.yaml", "--quiet", "--steps", "8");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN(dir, "sample", "run/tiny.rwc", "--beam", "3", "--nbest", "3", "--length", "12");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double prev = 1;
    int lines = 0;
    for (char *line = r.out; line && *line; lines++) {
        double score = 0;
        char text[256] = "";
        cr_assert(sscanf(line, "%lf\tthe %255[^\n]", &score, text) >= 1, "line %d: '%s'", lines, line);
        cr_assert(score <= prev && score < 0, "scores fall: %g after %g", score, prev);
        prev = score;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    cr_assert_eq(lines, 3, "three continuations:\n%s", r.out);
    run_free(&r);
    run_result one = RUN(dir, "sample", "run/tiny.rwc", "--beam", "1", "--length", "12");
    run_result greedy = RUN(dir, "sample", "run/tiny.rwc", "--method", "greedy", "--length", "12");
    cr_assert_eq(one.status, 0, "%s", one.err);
    cr_assert_eq(greedy.status, 0, "%s", greedy.err);
    cr_assert_str_eq(one.out, greedy.out);
    cr_assert_eq(strlen(one.out), strlen("the ") + 12 + 1, "'%s'", one.out);
    run_free(&one);
    run_free(&greedy);
    r = RUN(dir, "sample", "run/tiny.rwc", "--method", "viterbi");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "not one of sample, greedy, beam"), "%s", r.err);
    run_free(&r);
    r = RUN(dir, "sample", "run/tiny.rwc", "--method", "sample", "--beam", "2");
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
}
