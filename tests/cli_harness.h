/* The harness of the `rewind` command's tests (test_cli.c,
 * test_cli_checkpoints.c): running the program in a temporary directory,
 * a tiny language model, and reading its checkpoint step and log rows.
 * Included by each test program. */
#ifndef REWIND_TESTS_CLI_HARNESS_H
#define REWIND_TESTS_CLI_HARNESS_H

/* each program uses some of the helpers */
#define CLI_HELPER static __attribute__((unused))

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

CLI_HELPER const char *binary(void)
{
    static char path[1024];
    const char *b = getenv("RW_BINARY_DIR");
    cr_assert(b, "RW_BINARY_DIR is not set (run the tests through ctest)");
    snprintf(path, sizeof path, "%s/tools/rewind", b);
    cr_assert(access(path, X_OK) == 0, "the rewind program is not built at %s", path);
    return path;
}

CLI_HELPER char *slurp(const char *path)
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

CLI_HELPER void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

CLI_HELPER void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

/* Starts `rewind args...` in `cwd` (NULL: the current directory), its
 * output going to <dir>/<tag>.out and .err. */
CLI_HELPER pid_t start(const char *cwd, const char *tag, const char *const *args)
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
CLI_HELPER run_result finish(pid_t pid, const char *tag)
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

CLI_HELPER run_result run_in(const char *cwd, const char *tag, const char *const *args)
{
    return finish(start(cwd, tag, args), tag);
}

#define RUN(cwd, ...) run_in(cwd, __func__, (const char *const[]){ __VA_ARGS__, NULL })

CLI_HELPER void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

CLI_HELPER void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[512];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub) /* test paths are short */
                remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

CLI_HELPER void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw_cli_XXXXXX");
    cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

CLI_HELPER void teardown(void) { remove_tree(dir); }

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
CLI_HELPER void write_tiny_model(void)
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

CLI_HELPER long checkpoint_step(const char *path)
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
CLI_HELPER int log_rows(const char *path, long *first, long *last)
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


CLI_HELPER char *log_row(const char *path, long step)
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

/* The train rows of steps [from, to] of two logs (paths under the test's
 * directory) are the same text: a resumed run equals the uninterrupted one. */
CLI_HELPER void expect_same_rows(const char *whole_log, const char *part_log, long from, long to, const char *what)
{
    char whole[256], part[256];
    snprintf(whole, sizeof whole, "%s/%s", dir, whole_log);
    snprintf(part, sizeof part, "%s/%s", dir, part_log);
    for (long step = from; step <= to; step++) {
        char *a = log_row(whole, step), *b = log_row(part, step);
        cr_assert(*a, "step %ld is in %s", step, whole_log);
        cr_assert_str_eq(a, b, "step %ld: %s differs", step, what);
        free(a);
        free(b);
    }
}

/* A run stopped mid-epoch and resumed makes exactly the steps of an
 * uninterrupted run: same parameters, optimizer state and RNG, the same next
 * batch, and (with carry_state) the recurrent state carried into it, which
 * the checkpoint holds as "rewind.state". */

#endif
