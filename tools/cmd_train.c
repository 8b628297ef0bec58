/* rewind train MODEL.yaml: trains a model file with rw_train, showing
 * progress, validating, saving checkpoints that hold the model's definition
 * (so `sample` and `eval` need nothing else), stopping cleanly on Ctrl-C,
 * and resuming from a checkpoint with --resume. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "curves.h"
#include "dist_run.h"
#include "load.h"
#include "seq2seq_tools.h"
#include "train_support.h"

static const cli_opt opts[] = {
    { "steps", "N", false, "train until step N (counted from the start, resumed steps included)" },
    { "epochs", "N", false, "train until N epochs are done (with --steps: whichever comes first)" },
    { "threads", "N", false, "threads for matrix products (default 1)" },
    { "replicas", "N", false, "train N copies at once in threads, each on 1/N of every batch (train.replicas)" },
    { "set", "PATH=VALUE", true, "override a setting of the model file, e.g. --set train.optimizer.lr=1e-3" },
    { "resume", NULL, false, "continue from the checkpoint: parameters, optimizer, RNG and step" },
    { "checkpoint", "PATH", false, "the checkpoint file (default: train.checkpoint, else runs/<name>/last.rwc)" },
    { "checkpoint-every", "N", false, "also save the checkpoint every N steps" },
    { "log", "CSV", false, "write a CSV log (step,epoch,split,loss,grad_norm,lr); overrides train.log" },
    { "quiet", NULL, false, "no progress line and no sample at the end" },
};

static const cli_command train_cmd = {
    .name = "train",
    .usage = "MODEL.yaml [--steps N] [--epochs N] [--threads N] [--replicas N] [--set PATH=VALUE ...] [--resume]\n"
             "                    [--checkpoint PATH] [--checkpoint-every N] [--log CSV] [--quiet]",
    .summary = "Trains the model a YAML file defines on its data, as its train: section says, printing\n"
               "progress on stderr and validating as configured. The checkpoint stores the parameters, the\n"
               "optimizer state, the RNG, the step, and the model file's text and vocabulary, so that\n"
               "'rewind sample' and 'rewind eval' work from the checkpoint alone. Ctrl-C (or SIGTERM)\n"
               "finishes the current step, saves the checkpoint and exits with status 0; a second Ctrl-C\n"
               "quits at once. --resume goes on from the saved step. --steps and --epochs replace the\n"
               "file's length. A language model prints a sample of generated text at the end.\n"
               "Under 'mpirun -np K' the K processes train together, each on 1/K of every batch;\n"
               "rank 0 alone prints, logs and saves (docs/scaling.md). --replicas N does the same in\n"
               "N threads of one process (and uses at least N threads); the losses are those of one\n"
               "copy up to rounding.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

typedef struct train_run {
    cli_args a;
    const char *model_path;
    const char *const *sets;
    int n_sets;
    rw_model *m;
    rw_optim *opt;
    rw_train_opts o;
    rw_train_source train;
    resume_source rs;
    char *ck_default;             /* runs/<name>/last.rwc when the file names no checkpoint */
    char *best_path;              /* where the best parameters were saved, if apart */
    char *model_dir, *sets_text;  /* metadata values we own */
    const char *meta_keys[10];
    const char *meta_values[10];
    int state_meta;               /* index of META_STATE in meta_values, or -1 */
    char *state_text;             /* the carried state after the last step (meta value) */
    char *resume_state;           /* the carried state read from the checkpoint */
    long steps, epochs, threads, replicas, ck_every;
    bool has_steps, has_epochs, has_threads, has_replicas, has_ck_every;
    long start_step;
    int start_epoch;
    long skip;
    progress prog;
    curves curves;                /* curves.svg beside the checkpoint */
    dist_source shard;            /* under mpirun: this process' columns of each batch */
    dist_source valid_shard;      /* ... and of each validation batch */
    rw_train_source valid;
    rw_dist_train dist;
} train_run;

static bool parse_numbers(train_run *r)
{
    bool ok = true;
    r->has_steps = cli_long(&r->a, "steps", 1, LONG_MAX, &r->steps, &ok);
    r->has_epochs = cli_long(&r->a, "epochs", 1, INT_MAX, &r->epochs, &ok);
    r->has_threads = cli_long(&r->a, "threads", 1, 1024, &r->threads, &ok);
    r->has_replicas = cli_long(&r->a, "replicas", 1, 64, &r->replicas, &ok);
    r->has_ck_every = cli_long(&r->a, "checkpoint-every", 1, LONG_MAX, &r->ck_every, &ok);
    return ok;
}

/* The checkpoint's metadata: the model's (text, vocabulary) plus where the
 * file was and the --set settings, so the checkpoint rebuilds the model. */
static rw_status add_metadata(train_run *r)
{
    rw_train_opts *o = &r->o;
    int n = 0;
    for (int i = 0; i < o->checkpoint_meta_count && n < 5; i++, n++) {
        r->meta_keys[n] = o->checkpoint_meta_keys[i];
        r->meta_values[n] = o->checkpoint_meta_values[i];
    }
    if (!(r->model_dir = path_absolute_dir(r->model_path)) ||
        !(r->sets_text = join_settings(r->sets, r->n_sets)))
        return rw_error(RW_ERR_NOMEM, "out of memory");
    r->meta_keys[n] = META_DIR;
    r->meta_values[n++] = r->model_dir;
    r->meta_keys[n] = META_FILE;
    r->meta_values[n++] = r->model_path;
    if (r->n_sets) {
        r->meta_keys[n] = META_SETS;
        r->meta_values[n++] = r->sets_text;
    }
    r->state_meta = -1;
    if (rw_model_train_state(r->m)) {
        r->state_meta = n;
        r->meta_keys[n] = META_STATE;
        r->meta_values[n++] = "";
    }
    o->checkpoint_meta_keys = r->meta_keys;
    o->checkpoint_meta_values = r->meta_values;
    o->checkpoint_meta_count = n;
    return RW_OK;
}

/* Optimizer, rw_train options from the file, then the command line's. */
static rw_status setup(train_run *r)
{
    rw_model *m = r->m;
    if (!rw_model_has_layers(m))
        return rw_error(RW_ERR_ARG, "'%s' has no 'model:' section (it is a cell library): nothing to train",
                        r->model_path);
    bool available = false;
    r->train = rw_model_source(m, RW_SPLIT_TRAIN, &available);
    if (!available)
        return rw_last_status();
    if (r->has_replicas && rw_model_set_replicas(m, (int)r->replicas) != RW_OK)
        return rw_last_status();
    if (!(r->opt = rw_model_optim_new(m)) || rw_model_train_opts(m, &r->o) != RW_OK)
        return rw_last_status();
    rw_train_opts *o = &r->o;
    if (o->replicas > 1 && rw_dist_size() > 1)
        return rw_error(RW_ERR_ARG, "%d replicas under mpirun: each process trains one copy; use %d times as "
                        "many processes instead, or train.replicas: 1", o->replicas, o->replicas);
    if (o->replicas > rw_get_threads() && rw_set_threads(o->replicas) != RW_OK) /* one thread per copy */
        return rw_last_status();
    if (r->has_steps || r->has_epochs) {
        o->max_steps = r->has_steps ? r->steps : 0;
        o->epochs = r->has_epochs ? (int)r->epochs : 0;
    }
    const char *ck = cli_get(&r->a, "checkpoint");
    if (ck) {
        o->checkpoint_path = ck;
    } else if (!o->checkpoint_path) {
        const char *name = rw_model_name(m) ? rw_model_name(m) : "model";
        size_t len = strlen(name) + sizeof "runs//last.rwc";
        if (!(r->ck_default = malloc(len)))
            return rw_error(RW_ERR_NOMEM, "out of memory");
        snprintf(r->ck_default, len, "runs/%s/last.rwc", name);
        o->checkpoint_path = r->ck_default;
    }
    if (r->has_ck_every)
        o->checkpoint_every = r->ck_every;
    if (cli_has(&r->a, "log"))
        o->log_path = cli_get(&r->a, "log");
    if (o->log_path && path_make_parents(o->log_path) != RW_OK)
        return rw_last_status();
    if (path_make_parents(o->checkpoint_path) != RW_OK)
        return rw_last_status();
    /* parameters and up to two optimizer slots each, the model text, slack */
    unsigned long long need = 3ull * rw_params_size(rw_model_params(m)) * sizeof(rw_real) +
                              strlen(rw_model_text(m)) + (64u << 10);
    if (checkpoint_dir_ready(o->checkpoint_path, need) != RW_OK)
        return rw_last_status();
    int stale = checkpoint_clean_stale(o->checkpoint_path);
    if (stale)
        fprintf(stderr, "rewind: removed %d temporary checkpoint file%s left by killed runs\n", stale,
                stale == 1 ? "" : "s");
    return add_metadata(r);
}

/* --resume: parameters, optimizer state, RNG and step from the checkpoint,
 * and the position in the data. */
static rw_status resume(train_run *r)
{
    const char *path = r->o.checkpoint_path;
    if (!path_exists(path))
        return rw_error(RW_ERR_IO, "--resume: there is no checkpoint '%s' to resume from", path);
    rw_checkpoint *ck = rw_checkpoint_open(path);
    if (!ck)
        return rw_last_status();
    const char *text = rw_checkpoint_meta(ck, META_MODEL);
    if (text && strcmp(text, rw_model_text(r->m)) != 0)
        fprintf(stderr, "rewind train: warning: '%s' changed since the checkpoint was saved; resuming with the "
                "file as it is now\n", r->model_path);
    const char *state = rw_checkpoint_meta(ck, META_STATE);
    if (state && !(r->resume_state = strdup(state))) {
        rw_checkpoint_close(ck);
        return rw_error(RW_ERR_NOMEM, "out of memory");
    }
    const char *sets = rw_checkpoint_meta(ck, META_SETS);
    if (strcmp(sets ? sets : "", r->sets_text) != 0)
        fprintf(stderr, "rewind train: warning: the checkpoint was trained with the settings [%s], this run has "
                "[%s]\n", sets ? sets : "", r->sets_text);
    rw_rng saved;
    bool has_rng = rw_checkpoint_rng(ck, &saved);
    rw_status s = rw_checkpoint_restore(ck, rw_model_params(r->m), r->opt, has_rng ? rw_model_rng(r->m) : NULL,
                                        &r->start_step);
    rw_checkpoint_close(ck);
    if (s != RW_OK) {
        rw_error_prefix("--resume");
        return s;
    }
    if ((s = resume_position(&r->train, r->start_step, &r->start_epoch, &r->skip)) != RW_OK)
        return s;
    r->o.start_step = r->start_step;
    r->o.start_epoch = r->start_epoch;
    r->train = resume_wrap(&r->rs, r->train, r->start_epoch, r->skip);
    r->rs.state = rw_model_train_state(r->m);
    r->rs.state_text = r->resume_state;
    return RW_OK;
}

/* The run's length in steps, for the ETA (0: unknown). */
static long total_steps(train_run *r)
{
    long by_epochs = 0;
    if (r->o.epochs > 0) {
        /* the model's own source: counting through the resume wrapper would use up its skip */
        const rw_train_source *src = r->rs.inner.next ? &r->rs.inner : &r->train;
        long per = count_epoch_batches(src, 0);
        if (per < 0)
            rw_error_clear();
        by_epochs = per > 0 ? per * r->o.epochs : 0;
    }
    if (r->o.max_steps > 0 && (by_epochs == 0 || r->o.max_steps < by_epochs))
        return r->o.max_steps;
    return by_epochs;
}

static void print_header(const train_run *r, long total)
{
    const rw_model *m = r->m;
    fprintf(stderr, "rewind: training '%s' (%s): %zu parameters in %d tensors, vocabulary %d",
            rw_model_name(m) ? rw_model_name(m) : "model", r->model_path, rw_params_size(rw_model_params(m)),
            rw_params_count(rw_model_params(m)), rw_model_vocab_size(m));
    if (rw_model_classes(m))
        fprintf(stderr, ", %d classes", rw_model_classes(m));
    fprintf(stderr, "\n");
    fprintf(stderr, "rewind: BLIS kernels '%s' (%s), %d thread%s", rw_blas_arch(), rw_blas_arch_reason(),
            rw_get_threads(), rw_get_threads() == 1 ? "" : "s");
    if (r->o.replicas > 1)
        fprintf(stderr, ", %d replicas (each on 1/%d of every batch)", r->o.replicas, r->o.replicas);
    fprintf(stderr, "\n");
    if (r->start_step > 0)
        fprintf(stderr, "rewind: resuming from '%s' at step %ld (epoch %d, batch %ld)\n", r->o.checkpoint_path,
                r->start_step, r->start_epoch + 1, r->skip);
    else if (path_exists(r->o.checkpoint_path))
        fprintf(stderr, "rewind: note: starting afresh; '%s' will be overwritten (--resume continues it)\n",
                r->o.checkpoint_path);
    if (total > 0)
        fprintf(stderr, "rewind: %ld steps%s; checkpoint '%s'", total, r->o.valid ? ", validating" : "",
                r->o.checkpoint_path);
    else
        fprintf(stderr, "rewind: checkpoint '%s'", r->o.checkpoint_path);
    if (r->o.checkpoint_every)
        fprintf(stderr, " every %ld steps", r->o.checkpoint_every);
    fprintf(stderr, "\n");
    if (r->o.log_path)
        fprintf(stderr, "rewind: log '%s'\n", r->o.log_path);
}

static void print_result(const train_run *r, const rw_train_result *res)
{
    char took[32];
    format_duration(r->prog.have_last ? r->prog.last.seconds : 0, took, sizeof took);
    if (res->reason == RW_TRAIN_STOP_FLAG) {
        fprintf(stderr, "rewind: interrupted at step %ld (epoch %d); checkpoint saved to '%s'\n", res->last_step,
                r->prog.have_last ? r->prog.last.epoch + 1 : r->start_epoch + 1, r->o.checkpoint_path);
        fprintf(stderr, "rewind: continue with: rewind train %s --resume%s%s\n", r->model_path,
                cli_has(&r->a, "checkpoint") ? " --checkpoint " : "",
                cli_has(&r->a, "checkpoint") ? r->o.checkpoint_path : "");
        if (r->best_path)
            fprintf(stderr, "rewind: the best parameters (step %ld) saved to '%s'\n", res->best_step, r->best_path);
        return;
    }
    fprintf(stderr, "rewind: done (%s): %ld steps in %s, at step %ld", rw_train_stop_name(res->reason), res->steps,
            took, res->last_step);
    if (!isnan(res->last_loss))
        fprintf(stderr, ", last loss %.4f", res->last_loss);
    fprintf(stderr, "\n");
    if (res->validations)
        fprintf(stderr, "rewind: best validation loss %.4f at step %ld\n", res->best_valid_loss, res->best_step);
    fprintf(stderr, "rewind: checkpoint saved to '%s' (step %ld)\n", r->o.checkpoint_path, res->last_step);
    if (r->best_path)
        fprintf(stderr, "rewind: the best parameters (step %ld) saved to '%s'\n", res->best_step, r->best_path);
}

/* Where the best parameters go: runs/x/last.rwc -> runs/x/best.rwc,
 * other.rwc -> other.best.rwc. */
static char *best_path_for(const char *ck)
{
    size_t len = strlen(ck);
    char *p = malloc(len + sizeof ".best.rwc");
    if (!p)
        return NULL;
    const char *base = strrchr(ck, '/');
    base = base ? base + 1 : ck;
    if (strcmp(base, "last.rwc") == 0)
        sprintf(p, "%.*sbest.rwc", (int)(base - ck), ck);
    else if (len > 4 && strcmp(ck + len - 4, ".rwc") == 0)
        sprintf(p, "%.*s.best.rwc", (int)(len - 4), ck);
    else
        sprintf(p, "%s.best", ck);
    return p;
}

/* rw_train's checkpoint holds the last step (so it resumes exactly); when
 * validation found better parameters earlier, they are in memory now and
 * are saved beside it, without optimizer state, for sample and eval. */
static rw_status save_best(train_run *r, const rw_train_result *res)
{
    if (!res->restored_best || res->best_step == res->last_step)
        return RW_OK;
    if (!(r->best_path = best_path_for(r->o.checkpoint_path)))
        return rw_error(RW_ERR_NOMEM, "out of memory");
    return rw_checkpoint_save_ex(r->best_path, rw_model_params(r->m), NULL, NULL, res->best_step,
                                 r->o.checkpoint_meta_keys, r->o.checkpoint_meta_values, r->o.checkpoint_meta_count);
}

/* What a language model learned, in its own words. */
static void print_sample(train_run *r)
{
    rw_model *m = r->m;
    if (rw_model_classes(m) > 0 || rw_model_data_config_of(m)->kind != RW_DATA_CHARS)
        return;
    const rw_model_generate_config *g = rw_model_generate_config_of(m);
    double temperature = g->greedy ? 0 : g->temperature;
    fprintf(stderr, "rewind: a sample (temperature %g; 'rewind sample %s' makes more):\n", temperature,
            r->o.checkpoint_path);
    fflush(stderr);
    if (print_generated(stdout, m, g->prime, g->max_length, temperature, g->top_k,
                        rw_model_train_config_of(m)->seed) != RW_OK) {
        fprintf(stderr, "rewind: (no sample: %s)\n", rw_last_error());
        rw_error_clear();
    }
}

/* After each step (before rw_train saves a checkpoint): the carried state
 * into the checkpoint's metadata, then the progress line. */
static void after_step(const rw_train_progress *tp, void *ctx)
{
    train_run *r = ctx;
    if (r->state_meta >= 0) {
        char *text = rw_model_state_save(rw_model_train_state(r->m));
        if (text) {
            free(r->state_text);
            r->state_text = text;
            r->meta_values[r->state_meta] = text;
        } else {
            rw_error_clear(); /* the previous state stays; resuming then differs, nothing is lost */
        }
    }
    curves_progress(tp, &r->curves); /* the progress line too */
}

static int run(train_run *r)
{
    if (r->has_threads && rw_set_threads((int)r->threads) != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_USAGE;
    }
    if (!(r->m = load_yaml(r->model_path, r->sets, r->n_sets, false))) {
        fprintf(stderr, "%s\n", rw_last_error());
        return EXIT_FAIL;
    }
    if (cli_has(&r->a, "resume")) {
        char fallback[1024];
        const char *ck = model_checkpoint_path(r->m, cli_get(&r->a, "checkpoint"), fallback, sizeof fallback);
        if (!(r->m = load_yaml_for_checkpoint(r->m, r->model_path, r->sets, r->n_sets, ck))) {
            cli_error("train", "%s", rw_last_error());
            return EXIT_FAIL;
        }
    }
    if (setup(r) != RW_OK || (cli_has(&r->a, "resume") && resume(r) != RW_OK)) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    bool quiet = cli_has(&r->a, "quiet") || rw_dist_rank() != 0;
    if (rw_dist_size() > 1) {
        r->train = dist_source_wrap(&r->shard, r->m, r->train, false);
        if (r->o.valid) { /* each process validates its columns; rw_dist_valid_hook adds up */
            r->valid = dist_source_wrap(&r->valid_shard, r->m, *r->o.valid, true);
            r->o.valid = &r->valid;
        }
    }
    long total = total_steps(r);
    if (!quiet)
        print_header(r, total);
    progress_init(&r->prog, quiet, r->start_step, total);
    if (curves_init(&r->curves, r->o.checkpoint_path, rw_model_name(r->m) ? rw_model_name(r->m) : r->model_path,
                    &r->prog) != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    r->o.progress = after_step;
    r->o.progress_ctx = r;
    r->o.stop = &interrupt_flag;
    if (rw_dist_size() > 1) {
        rw_dist_train_setup(&r->dist, &r->o);
        if (!quiet)
            fprintf(stderr, "rewind: %d processes, each on 1/%d of every batch (rank 0 prints and saves)\n",
                    rw_dist_size(), rw_dist_size());
    }
    rw_train_result res;
    interrupt_install();
    rw_status s = rw_train(rw_model_params(r->m), r->opt, r->train, rw_model_loss_fn, r->m, &r->o, &res);
    interrupt_restore();
    progress_finish(&r->prog);
    if (rw_dist_rank() != 0) /* the files and reports are rank 0's */
        return s == RW_OK ? EXIT_OK : EXIT_FAIL;
    if (s == RW_OK && curves_write(&r->curves) != RW_OK) {
        fprintf(stderr, "rewind: warning: %s\n", rw_last_error());
        rw_error_clear();
    }
    if (s != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    if (save_best(r, &res) != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    print_result(r, &res);
    if (rw_model_is_seq2seq(r->m) && r->o.valid &&
        seq2seq_report_exact_match(stdout, r->m, RW_SPLIT_VALID, "valid") != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    if (!quiet && res.reason != RW_TRAIN_STOP_FLAG)
        print_sample(r);
    return EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
    train_run r;
    memset(&r, 0, sizeof r);
    if (dist_join(&argc, &argv) != RW_OK) {
        cli_error("train", "%s", rw_last_error());
        return EXIT_FAIL;
    }
    int st = cli_parse(&train_cmd, argc, argv, &r.a);
    if (st >= 0)
        return dist_leave(st);
    if (!parse_numbers(&r)) {
        cli_args_free(&r.a);
        return dist_leave(EXIT_USAGE);
    }
    r.model_path = r.a.pos[0];
    r.sets = cli_get_all(&r.a, "set", &r.n_sets);
    st = run(&r);
    dist_source_free(&r.shard);
    dist_source_free(&r.valid_shard);
    rw_optim_free(r.opt);
    rw_model_free(r.m);
    curves_free(&r.curves);
    free(r.ck_default);
    free(r.best_path);
    free(r.model_dir);
    free(r.sets_text);
    free(r.state_text);
    free(r.resume_state);
    cli_args_free(&r.a);
    return dist_leave(st);
}
