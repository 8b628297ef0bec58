/* Allocation-failure injection (issue 14): for every n, the n-th allocation
 * of the library fails (rw_alloc_fail_at) during a model load from YAML,
 * one training step of a small recurrent model, a checkpoint save and a
 * checkpoint load. Each must return a clear error, leave the model and the
 * files as they were, and leak nothing (the sanitizer build checks leaks at
 * the exit of each test's process). */
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ck_bytes.h"
#include "rewind/memory.h"
#include "rw_test.h"

#define MAX_N 100000

static char dir[256];

static const char model_text[] =
    "format: rewind/1\n"
    "data:\n"
    "  kind: chars\n"
    "  train: corpus.txt\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {name: emb, size: 3}\n"
    "    - lstm: {name: rnn, size: 4}\n"
    "    - linear: {name: head, size: vocab}\n"
    "  outputs:\n"
    "    next: {target: next}\n"
    "train:\n"
    "  seed: 2\n"
    "  batch: {size: 2, bptt: {window: 5, carry_state: true}}\n"
    "  optimizer: {type: adam, lr: 1.0e-2}\n";

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rw_allocfail_%d", (int)getpid());
    cr_assert(mkdir(dir, 0700) == 0);
    char path[300];
    snprintf(path, sizeof path, "%s/corpus.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 20; i++)
        fputs("the cat sat on a mat. ", f);
    fclose(f);
}

static void teardown(void)
{
    rw_alloc_fail_at(0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(alloc_failure, .init = setup, .fini = teardown, .timeout = 600);

static rw_model *load(void)
{
    return rw_model_load_string(model_text, "tiny.yaml", &(rw_model_load_opts){ .base_dir = dir });
}

/* A failure is clean when it says so and names no stale error. */
static void expect_clean_error(rw_status st, size_t n, const char *what)
{
    cr_assert_neq(st, RW_OK);
    cr_assert(rw_last_error()[0], "%s: allocation %zu failed without a message", what, n);
}

Test(alloc_failure, every_failure_of_a_model_load_is_clean)
{
    size_t n = 1;
    for (; n < MAX_N; n++) {
        rw_alloc_fail_at(n);
        rw_model *m = load();
        rw_alloc_fail_at(0);
        if (m) {
            rw_model_free(m);
            break;
        }
        expect_clean_error(rw_last_status(), n, "model load");
    }
    cr_assert_gt(n, 10, "the load made only %zu allocations", n);
    cr_log_info("a model load: %zu allocations, each failed once", n - 1);
}

static rw_real *snapshot(const rw_params *P, size_t *count)
{
    *count = rw_params_size(P);
    rw_real *v = malloc(*count * sizeof *v), *at = v;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *t = rw_params_at(P, i)->value;
        memcpy(at, t->data, t->size * sizeof *v);
        at += t->size;
    }
    return v;
}

static bool same_params(const rw_params *P, const rw_real *v)
{
    size_t n;
    rw_real *now = snapshot(P, &n);
    bool same = memcmp(now, v, n * sizeof *v) == 0;
    free(now);
    return same;
}

Test(alloc_failure, every_failure_of_a_training_step_is_clean)
{
    size_t n = 1;
    for (; n < MAX_N; n++) {
        rw_model *m = load();
        cr_assert_not_null(m, "%s", rw_last_error());
        rw_train_opts o;
        cr_assert_eq(rw_model_train_opts(m, &o), RW_OK);
        o.max_steps = 1;
        o.epochs = 0;
        o.checkpoint_path = NULL;
        o.log_path = NULL;
        o.valid = NULL;
        rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
        size_t count;
        rw_real *before = snapshot(rw_model_params(m), &count);
        rw_alloc_fail_at(n); /* the optimizer (its state) and the step: graph, tape arenas */
        rw_optim *opt = rw_model_optim_new(m);
        rw_status st = opt ? rw_train(rw_model_params(m), opt, src, rw_model_loss_fn, m, &o, NULL)
                           : rw_last_status();
        rw_alloc_fail_at(0);
        bool done = st == RW_OK;
        if (!done) {
            expect_clean_error(st, n, "training step");
            cr_assert(same_params(rw_model_params(m), before), "allocation %zu: the failed step changed the "
                      "parameters", n);
        } else {
            cr_assert_not(same_params(rw_model_params(m), before), "the step trained");
        }
        free(before);
        rw_optim_free(opt);
        rw_model_free(m);
        if (done)
            break;
    }
    cr_assert_gt(n, 4, "the optimizer and the step made only %zu allocations", n - 1);
    cr_log_info("one training step: %zu allocations, each failed once", n - 1);
}

static int temp_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

Test(alloc_failure, every_failure_of_a_checkpoint_save_or_load_is_clean)
{
    rw_model *m = load();
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_params *P = rw_model_params(m);
    rw_optim *opt = rw_model_optim_new(m);
    char path[300];
    snprintf(path, sizeof path, "%s/ck.rwc", dir);
    const char *keys[] = { "k" }, *values[] = { "v" };
    cr_assert_eq(rw_checkpoint_save_ex(path, P, opt, rw_model_rng(m), 7, keys, values, 1), RW_OK);
    size_t old_len;
    unsigned char *old = rwt_read_bytes(path, &old_len);
    rw_params_at(P, 0)->value->data[0] += 1; /* what a successful save would change */
    size_t n = 1;
    for (; n < MAX_N; n++) {
        rw_alloc_fail_at(n);
        rw_status st = rw_checkpoint_save_ex(path, P, opt, rw_model_rng(m), 8, keys, values, 1);
        rw_alloc_fail_at(0);
        if (st == RW_OK)
            break;
        expect_clean_error(st, n, "checkpoint save");
        size_t len;
        unsigned char *now = rwt_read_bytes(path, &len);
        cr_assert(now && len == old_len && memcmp(now, old, len) == 0, "allocation %zu: the failed save changed "
                  "the checkpoint", n);
        free(now);
        cr_assert_eq(temp_files(), 0, "allocation %zu: the failed save left a temporary file", n);
    }
    cr_log_info("a checkpoint save: %zu allocations, each failed once", n - 1);
    free(old);

    size_t count;
    rw_real *saved = snapshot(P, &count);
    rw_params_at(P, 0)->value->data[0] -= 5;
    rw_real *before = snapshot(P, &count);
    for (n = 1; n < MAX_N; n++) {
        long step = -1;
        rw_alloc_fail_at(n);
        rw_status st = rw_checkpoint_load(path, P, opt, rw_model_rng(m), &step);
        rw_alloc_fail_at(0);
        if (st == RW_OK) {
            cr_assert_eq(step, 8);
            cr_assert(same_params(P, saved), "the load restored the parameters");
            break;
        }
        expect_clean_error(st, n, "checkpoint load");
        cr_assert_eq(step, -1, "allocation %zu: the failed load set the step", n);
        cr_assert(same_params(P, before), "allocation %zu: the failed load changed the parameters", n);
    }
    cr_assert_gt(n, 1, "the load allocates");
    cr_log_info("a checkpoint load: %zu allocations, each failed once", n - 1);
    free(saved);
    free(before);
    rw_optim_free(opt);
    rw_model_free(m);
}
