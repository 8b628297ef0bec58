/* Checkpoints across processes: training resumed in a fresh process is
 * bit for bit the uninterrupted run, and a crash never destroys the
 * checkpoint: a child process trains and saves in a loop (resuming from the
 * checkpoint each time it starts), the parent SIGKILLs it at random moments,
 * and after every kill the checkpoint loads, is internally consistent, and
 * has not gone backwards. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rw_test.h"

static char dir[512], path[600];

static void make_dir(void)
{
    const char *base = getenv("RW_BINARY_DIR");
    snprintf(dir, sizeof dir, "%s/rw-proc-XXXXXX", base && base[0] ? base : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/run.rwc", dir);
}

/* Removes the files whose name contains `part` ("" for all); returns how many. */
static int remove_files(const char *part)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    char p[1200];
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strstr(e->d_name, part)) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            n += unlink(p) == 0;
        }
    if (d)
        closedir(d);
    return n;
}

static void remove_dir(void)
{
    remove_files("");
    rmdir(dir);
}

TestSuite(checkpoint_process, .init = make_dir, .fini = remove_dir);

/* ---- exact resume in a fresh process -------------------------------------- */

#define N_STEPS 12

static rw_params *small_model(uint64_t seed)
{
    rw_rng rng = rw_rng_seed(seed);
    rw_params *P = rw_params_new();
    rw_rng_fill_normal(&rng, rw_params_add(P, "W1", rw_shape2(4, 5))->value, 0, 0.5);
    rw_rng_fill_normal(&rng, rw_params_add(P, "b1", rw_shape1(5))->value, 0, 0.1);
    rw_rng_fill_normal(&rng, rw_params_add(P, "W2", rw_shape2(5, 3))->value, 0, 0.5);
    return P;
}

static const rw_adam_opts adam_opts = { .lr = 0.05, .weight_decay = 1e-3 };

/* `steps` steps, each on a batch drawn from rng: tanh(x W1 + b1) W2,
 * cross-entropy, global-norm clipping, a warm-up + cosine schedule, Adam. */
static int train(rw_params *P, rw_optim *opt, rw_rng *rng, int steps)
{
    rw_schedule sched = rw_schedule_warmup(rw_schedule_cosine(40, 0.005), 3);
    rw_tensor *x = rw_tensor_new(RW_REAL, rw_shape2(8, 4)), *y = rw_tensor_new(RW_INT32, rw_shape1(8));
    rw_graph *g = rw_graph_new();
    int bad = 0;
    for (int s = 0; s < steps && !bad; s++) {
        rw_rng_fill_normal(rng, x, 0, 1);
        for (int i = 0; i < 8; i++)
            y->idata[i] = (int32_t)rw_rng_below(rng, 3);
        rw_node *xw = rw_matmul(g, rw_const(g, x), rw_param_node(g, rw_params_get(P, "W1")));
        rw_node *h = rw_tanh(g, rw_add(g, xw, rw_param_node(g, rw_params_get(P, "b1"))));
        rw_node *logits = rw_matmul(g, h, rw_param_node(g, rw_params_get(P, "W2")));
        rw_node *loss = rw_cross_entropy(g, logits, rw_const(g, y));
        bad = !loss || rw_backward(g, loss) != RW_OK;
        rw_clip_global_norm(P, 1.0);
        bad = bad || rw_schedule_apply(&sched, opt, 0.05) != RW_OK || rw_optim_step(opt) != RW_OK;
        rw_graph_reset(g);
    }
    rw_graph_free(g);
    rw_tensor_free(x);
    rw_tensor_free(y);
    return bad;
}

/* The child: fresh model (other initial values), fresh optimizer, fresh RNG;
 * load, train N more steps, write the parameters' bytes. Exit code 0 on
 * success. Runs in a forked process, so no Criterion asserts here. */
static int resume_in_child(int ready_fd, const char *ck_path, const char *out_path)
{
    char c;
    if (read(ready_fd, &c, 1) != 1)
        return 10;
    rw_params *P = small_model(12345);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    rw_rng rng = rw_rng_seed(777);
    long step = 0;
    if (!opt || rw_checkpoint_load(ck_path, P, opt, &rng, &step) != RW_OK || step != N_STEPS)
        return 11;
    if (train(P, opt, &rng, N_STEPS) != 0)
        return 12;
    FILE *f = fopen(out_path, "wb");
    if (!f)
        return 13;
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *t = rw_params_at(P, i)->value;
        fwrite(t->data, sizeof(rw_real), t->size, f);
    }
    int rc = fclose(f) == 0 ? 0 : 14;
    rw_optim_free(opt);
    rw_params_free(P);
    return rc;
}

Test(checkpoint_process, resume_in_a_fresh_process_is_bit_exact)
{
    char out_path[700];
    snprintf(out_path, sizeof out_path, "%s/child.bin", dir);
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        /* Forked before the parent made any model: nothing trained is inherited. */
        close(pipefd[1]);
        _exit(resume_in_child(pipefd[0], path, out_path));
    }
    close(pipefd[0]);
    rw_params *P = small_model(1);
    rw_optim *opt = rw_adam_new(P, &adam_opts);
    rw_rng rng = rw_rng_seed(2);
    cr_assert_eq(train(P, opt, &rng, N_STEPS), 0, "%s", rw_last_error());
    cr_assert_eq(rw_checkpoint_save(path, P, opt, &rng, N_STEPS), RW_OK, "%s", rw_last_error());
    cr_assert_eq(write(pipefd[1], "go", 1), 1);
    close(pipefd[1]);
    cr_assert_eq(train(P, opt, &rng, N_STEPS), 0, "%s", rw_last_error()); /* 2N uninterrupted */
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (status %d)", status);
    FILE *f = fopen(out_path, "rb");
    cr_assert_not_null(f);
    for (int i = 0; i < rw_params_count(P); i++) {
        const rw_tensor *t = rw_params_at(P, i)->value;
        rw_real got[64];
        cr_assert_leq(t->size, 64);
        cr_assert_eq(fread(got, sizeof(rw_real), t->size, f), t->size);
        cr_assert(memcmp(got, t->data, t->size * sizeof(rw_real)) == 0, "parameter '%s' differs after resuming",
                  rw_params_at(P, i)->name);
    }
    cr_assert_eq(fgetc(f), EOF, "nothing more in the child's file");
    fclose(f);
    cr_assert_eq(rw_optim_steps(opt), 2 * N_STEPS);
    rw_optim_free(opt);
    rw_params_free(P);
}

/* ---- SIGKILL at random moments -------------------------------------------- */

#define ROUNDS 8

/* ~300k values: a file of about 1 MB (float) so that a save takes a while
 * and many kills land in the middle of one. "mirror" holds the step, so a
 * loaded file can be checked for consistency. */
static rw_params *model(void)
{
    rw_params *P = rw_params_new();
    rw_params_add(P, "W", rw_shape2(256, 256));
    rw_params_add(P, "b", rw_shape1(256));
    rw_params_add(P, "mirror", rw_shape_scalar());
    return P;
}

/* The child: resume if there is a checkpoint, then train and save until
 * killed (or orphaned), telling the parent after each save. Never returns. */
static void child(int tell_fd)
{
    pid_t parent = getppid();
    rw_params *P = model();
    rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.01 });
    rw_rng rng = rw_rng_seed(1);
    long step = 0;
    if (access(path, F_OK) == 0 && rw_checkpoint_load(path, P, opt, &rng, &step) != RW_OK)
        _exit(3);
    while (getppid() == parent) { /* should the parent fail, do not run on */
        for (int i = 0; i < rw_params_count(P); i++)
            rw_rng_fill_uniform(&rng, rw_params_at(P, i)->grad, -1, 1);
        if (rw_optim_step(opt) != RW_OK)
            _exit(4);
        step++;
        rw_params_get(P, "mirror")->value->data[0] = (rw_real)step;
        if (rw_checkpoint_save(path, P, opt, &rng, step) != RW_OK)
            _exit(5);
        if (write(tell_fd, "s", 1) != 1)
            _exit(6);
    }
    _exit(7);
}

Test(checkpoint_process, sigkill_at_random_moments_never_loses_the_checkpoint)
{
    /* Seeded delays; where each kill lands still varies with timing, and the
     * outcome must not. */
    rw_rng r = rw_rng_seed(2026);
    long last_step = 0;
    int mid_save = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fds[0]);
            child(fds[1]);
        }
        close(fds[1]);
        char c;
        cr_assert_eq(read(fds[0], &c, 1), 1, "round %d: the child saved nothing", round);
        struct timespec wait = { 0, (long)rw_rng_below(&r, 40000) * 1000L }; /* 0 to 40 ms */
        nanosleep(&wait, NULL);
        cr_assert_eq(kill(pid, SIGKILL), 0);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: the child ended by itself (status %d)", round, status);
        close(fds[0]);
        mid_save += remove_files(".tmp-") > 0;

        rw_params *P = model();
        rw_optim *opt = rw_adam_new(P, &(rw_adam_opts){ .lr = 0.01 });
        rw_rng rng = rw_rng_seed(99);
        long step = -1;
        cr_assert_eq(rw_checkpoint_load(path, P, opt, &rng, &step), RW_OK, "round %d: %s", round, rw_last_error());
        cr_assert_gt(step, last_step, "round %d: the checkpoint went back from step %ld to %ld", round, last_step,
                     step);
        cr_assert_eq(rw_optim_steps(opt), step, "round %d", round);
        cr_assert_eq((long)rw_params_get(P, "mirror")->value->data[0], step, "round %d: inconsistent file", round);
        last_step = step;
        rw_optim_free(opt);
        rw_params_free(P);
    }
    cr_log_info("%d of %d kills left a half-written temporary file; the checkpoint survived all", mid_save, ROUNDS);
}
