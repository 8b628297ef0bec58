/* rewind eval CHECKPOINT|MODEL.yaml: the loss (with perplexity for token
 * models, accuracy for classifiers) on the validation data, the test
 * files, or a file given with --data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "eval.h"
#include "load.h"
#include "walk.h"

static const cli_opt opts[] = {
    { "data", "FILE", true, "score this file instead (the format of the model's data: kind)" },
    { "checkpoint", "PATH", false, "for MODEL.yaml: the parameters (default: train.checkpoint, else "
                                   "runs/<name>/last.rwc)" },
    { "set", "PATH=VALUE", true, "for MODEL.yaml: override a setting of the file" },
    { "mc-dropout", "N", false, "Monte-Carlo dropout: average the probabilities of N passes with dropout on" },
};

static const cli_command eval_cmd = {
    .name = "eval",
    .usage = "CHECKPOINT|MODEL.yaml [--data FILE ...] [--checkpoint PATH] [--set PATH=VALUE ...] [--mc-dropout N]",
    .summary = "Scores a trained model: the mean loss per target (cross-entropy, in nats) and, for a token\n"
               "model, its perplexity and bits per token; for a classifier, its accuracy. Without --data it\n"
               "scores the validation data (the valid files or the held-out valid_fraction) and the test\n"
               "files of the model's data: section. Given a checkpoint of 'rewind train', the model is\n"
               "rebuilt from it; given MODEL.yaml, the parameters come from its checkpoint.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

static void report(const rw_model *m, const char *what, const eval_result *r)
{
    double loss = r->loss_sum / r->weight;
    printf("%s: loss %.4f", what, loss);
    if (rw_model_is_seq2seq(m))
        printf("  exact match %.2f%% (%ld of %ld)", 100.0 * (double)r->correct / (double)(r->count ? r->count : 1),
               r->correct, r->count);
    else if (rw_model_classes(m) > 0)
        printf("  accuracy %.2f%% (%ld of %ld)", 100.0 * (double)r->correct / (double)r->count, r->correct,
               r->count);
    else
        printf("  perplexity %.3f  bits/token %.4f  (%.0f targets)", exp(loss), loss / log(2.0), r->weight);
    eval_print_unknown(stdout, r);
    if (r->skipped)
        printf("  [%ld empty examples skipped]", r->skipped);
    if (r->metrics)
        eval_metrics_print_classes(stdout, r->metrics, rw_model_label, m);
    printf("\n");
}

static bool examples_kind(const rw_model *m)
{
    rw_data_kind k = rw_model_data_config_of(m)->kind;
    return k == RW_DATA_LINES || k == RW_DATA_TSV_TAGGING || k == RW_DATA_TSV_VECTORS ||
           rw_model_target_kind(m) == RW_TARGET_ALIGNED;
}

/* The example kinds: --data files, else the validation examples and the test files. */
static int evaluate_examples(rw_model *m, const cli_args *a)
{
    int n_data;
    const char *const *data = cli_get_all(a, "data", &n_data);
    const rw_model_files *test = &rw_model_data_config_of(m)->test;
    const rw_seqdata *valid = n_data ? NULL : rw_model_examples(m, RW_SPLIT_VALID);
    if (valid && eval_examples(m, valid, "valid") != RW_OK)
        return EXIT_FAIL;
    const char *const *files = n_data ? data : (const char *const *)test->paths;
    int n = n_data ? n_data : test->count;
    if (!n && !valid) {
        rw_error(RW_ERR_ARG, "model '%s' has no validation or test data; score a file with --data FILE",
                 rw_model_name(m));
        return EXIT_FAIL;
    }
    if (!n)
        return EXIT_OK;
    rw_seqdata *d = rw_model_read_examples(m, files, n);
    rw_status st = d ? eval_examples(m, d, n_data ? (n == 1 ? files[0] : "data") : "test") : rw_last_status();
    rw_seqdata_free(d);
    return st == RW_OK ? EXIT_OK : EXIT_FAIL;
}

/* MODEL.yaml: the model with its data (which gives the vocabulary), and its
 * checkpoint's parameters. */
static rw_model *from_yaml(const cli_args *a)
{
    int n_sets;
    const char *const *sets = cli_get_all(a, "set", &n_sets);
    rw_model *m = load_yaml(a->pos[0], sets, n_sets, false);
    if (!m)
        return NULL;
    char fallback[1024];
    const char *ck = model_checkpoint_path(m, cli_get(a, "checkpoint"), fallback, sizeof fallback);
    if (path_exists(ck) && !(m = load_yaml_for_checkpoint(m, a->pos[0], sets, n_sets, ck)))
        return NULL;
    if (!path_exists(ck)) {
        if (cli_has(a, "checkpoint")) {
            rw_error(RW_ERR_IO, "there is no checkpoint '%s'", ck);
            rw_model_free(m);
            return NULL;
        }
        fprintf(stderr, "rewind eval: note: no checkpoint '%s'; scoring the untrained model\n", ck);
    } else if (rw_checkpoint_load(ck, rw_model_params(m), NULL, NULL, NULL) != RW_OK) {
        rw_model_free(m);
        return NULL;
    } else {
        fprintf(stderr, "rewind eval: parameters from '%s'\n", ck);
    }
    return m;
}

static int evaluate_split(rw_model *m, const cli_args *a, eval_metrics *e)
{
    bool ok = true;
    long mc = 0;
    cli_long(a, "mc-dropout", 1, 10000, &mc, &ok);
    if (!ok)
        return EXIT_USAGE;
    if (mc > 0 && rw_model_is_seq2seq(m)) {
        rw_error(RW_ERR_ARG, "--mc-dropout: not available for an encoder-decoder");
        return EXIT_FAIL;
    }
    eval_result r = { .mc_passes = (int)mc, .metrics = e };
    int n_data;
    const char *const *data = cli_get_all(a, "data", &n_data);
    if (n_data) {
        if (eval_files(m, data, n_data, &r) != RW_OK)
            return EXIT_FAIL;
        report(m, n_data == 1 ? data[0] : "data", &r);
        return EXIT_OK;
    }
    bool has_valid = false, any = false;
    rw_train_source valid = rw_model_source(m, RW_SPLIT_VALID, &has_valid);
    rw_error_clear();
    if (has_valid) {
        if (eval_source(m, &valid, &r) != RW_OK)
            return EXIT_FAIL;
        if (rw_model_is_seq2seq(m) && rw_model_exact_match(m, RW_SPLIT_VALID, &r.correct, &r.count) != RW_OK)
            return EXIT_FAIL;
        report(m, "valid", &r);
        any = true;
    }
    const rw_model_files *test = &rw_model_data_config_of(m)->test;
    if (test->count) {
        if (e)
            eval_metrics_reset(e);
        eval_result t = { .mc_passes = (int)mc, .metrics = e };
        if (eval_files(m, (const char *const *)test->paths, test->count, &t) != RW_OK)
            return EXIT_FAIL;
        report(m, "test", &t);
        any = true;
    }
    if (!any) {
        rw_error(RW_ERR_ARG, "model '%s' has no validation or test data; score a file with --data FILE",
                 rw_model_name(m));
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int evaluate(rw_model *m, const cli_args *a)
{
    if (examples_kind(m))
        return evaluate_examples(m, a);
    eval_metrics e;
    bool per_class = rw_model_classes(m) > 0 && eval_metrics_init(&e, rw_model_classes(m)) == RW_OK;
    int st = evaluate_split(m, a, per_class ? &e : NULL);
    if (per_class)
        eval_metrics_free(&e);
    return st;
}

int cmd_eval(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&eval_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    const char *path = a.pos[0];
    bool need_data = !cli_has(&a, "data");
    rw_model *m = NULL;
    if (path_is_checkpoint(path)) {
        if (cli_has(&a, "checkpoint") || cli_has(&a, "set")) {
            cli_error("eval", "--checkpoint and --set apply to a MODEL.yaml, not to a checkpoint");
            cli_args_free(&a);
            return EXIT_USAGE;
        }
        rw_checkpoint *ck = rw_checkpoint_open(path);
        m = ck ? load_from_checkpoint(ck, path, need_data) : NULL;
        rw_checkpoint_close(ck);
    } else {
        m = from_yaml(&a);
    }
    st = m ? evaluate(m, &a) : EXIT_FAIL;
    if (st == EXIT_FAIL)
        cli_error("eval", "%s", rw_last_error());
    rw_model_free(m);
    cli_args_free(&a);
    return st;
}
