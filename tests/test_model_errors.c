/* Malformed model definitions: every one is refused with a message that
 * starts "file:line:col: error:" and says what was expected.
 *
 * Each file under tests/model_bad/ starts with a comment
 *     # expect: <line>:<col>: error: <the start of the message>
 * and the test checks that loading it fails with exactly that (the file
 * name in front). Adding a case is adding a file. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "rw_test.h"

static const char *source_dir(void)
{
    const char *d = getenv("RW_SOURCE_DIR");
    return d ? d : ".";
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool expectation(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512] = "";
    bool ok = fgets(line, sizeof line, f) != NULL && strncmp(line, "# expect: ", 10) == 0;
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    snprintf(out, len, "%s", ok ? line + 10 : "");
    return ok;
}

Test(model_errors, every_malformed_file_is_refused_at_its_position, .timeout = 60)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/model_bad", source_dir());
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (strstr(e->d_name, ".yaml") && e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    cr_assert_geq(n, 40, "only %d malformed definitions under %s", n, dir);
    for (int i = 0; i < n; i++) {
        char path[2048], expect[600], want[700];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        cr_assert(expectation(path, expect, sizeof expect), "%s has no '# expect: ' first line", names[i]);
        snprintf(want, sizeof want, "%s:%s", names[i], expect);
        /* models without data get a vocabulary of 16 and 3 classes, so build-time errors show */
        rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .vocab_size = 16, .classes = 3 });
        cr_expect_null(m, "%s loaded, but should fail with: %s", names[i], expect);
        if (m) {
            rw_model_free(m);
            continue;
        }
        cr_expect(strstr(rw_last_error(), want) != NULL, "%s:\n  expected: %s\n  got:      %s", names[i], want,
                  rw_last_error());
        free(names[i]);
    }
}

/* ---- the same machinery from strings ------------------------------------------ */

static const char *load_error(const char *text, const rw_model_load_opts *o)
{
    rw_model *m = rw_model_load_string(text, "m.yaml", o);
    if (m) {
        rw_model_free(m);
        return "(loaded)";
    }
    return rw_last_error();
}

#define EXPECT_ERROR(text, opts, fragment)                                                                   \
    do {                                                                                                   \
        const char *got_ = load_error(text, opts);                                                         \
        cr_expect(strstr(got_, fragment) != NULL, "expected '%s' in:\n%s", fragment, got_);                \
    } while (0)

static const char *const lm =
    "format: rewind/1\n"
    "hyper: {hidden: 16}\n"
    "train:\n"
    "  optimizer: {type: adam, lr: 1.0e-3}\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 8}\n"
    "    - lstm: {size: \"${hidden}\"}\n"
    "    - linear: {size: vocab}\n"
    "  outputs:\n"
    "    next: {target: next}\n";

Test(model_errors, the_message_shows_the_line_and_a_caret)
{
    const char *e = load_error("format: rewind/1\nmodel:\n  layers:\n    - gru: {size: 16, stak: 2}\n", NULL);
    cr_expect(strstr(e, "m.yaml:4:23: error: unknown key 'stak' in 'gru' (did you mean 'stack'?)") == e, "%s", e);
    cr_expect(strstr(e, "\n    4 |     - gru: {size: 16, stak: 2}\n") != NULL, "%s", e);
    cr_expect(strstr(e, "\n      |                       ^~~~\n") != NULL || strstr(e, "^~~~") != NULL, "%s", e);
    cr_expect_eq(rw_last_status(), RW_ERR_FORMAT);
}

Test(model_errors, command_line_settings_are_checked_at_their_column)
{
    const char *bad_lr[] = { "train.optimizer.lr=fast" };
    EXPECT_ERROR(lm, &((rw_model_load_opts){ .vocab_size = 10, .overrides = bad_lr, .n_overrides = 1 }),
                 "<command line>:1:20: error: 'lr' expects a number, got string \"fast\"");
    const char *typo[] = { "train.optimzer.lr=0.1" };
    EXPECT_ERROR(lm, &((rw_model_load_opts){ .vocab_size = 10, .overrides = typo, .n_overrides = 1 }),
                 "<command line>:1:7: error: unknown key 'optimzer' in 'train' (did you mean 'optimizer'?)");
    const char *no_eq[] = { "train.seed" };
    EXPECT_ERROR(lm, &((rw_model_load_opts){ .vocab_size = 10, .overrides = no_eq, .n_overrides = 1 }),
                 "<command line>:1:1: error: a setting is written path=value");
    const char *index[] = { "model.layers.7.lstm.size=4" };
    EXPECT_ERROR(lm, &((rw_model_load_opts){ .vocab_size = 10, .overrides = index, .n_overrides = 1 }),
                 "<command line>:1:14: error: '7' is a list of 3 items");
    const char *hyper[] = { "hyper.hidden=0" };
    EXPECT_ERROR(lm, &((rw_model_load_opts){ .vocab_size = 10, .overrides = hyper, .n_overrides = 1 }),
                 "m.yaml:8:20: error: 'size' must be an integer in [1, 16777216], got 0");
}

Test(model_errors, statuses_say_what_kind_of_problem)
{
    cr_expect_null(rw_model_load("/no/such/model.yaml", NULL));
    cr_expect_eq(rw_last_status(), RW_ERR_IO);
    cr_expect(strstr(rw_last_error(), "/no/such/model.yaml: cannot open the model file") != NULL, "%s",
              rw_last_error());
    load_error("format: rewind/1\ndata: {kind: chars, train: /no/such/text.txt}\n", NULL);
    cr_expect_eq(rw_last_status(), RW_ERR_IO);
    load_error("format: rewind/1\nmodel:\n  layers:\n    - gru: {size: 4}\n    - linear: {size: 3}\n"
               "  outputs: {y: {target: next}}\n", &(rw_model_load_opts){ .vocab_size = 5 });
    cr_expect_eq(rw_last_status(), RW_ERR_SHAPE, "%s", rw_last_error());
}

Test(model_errors, documents_that_are_not_mappings)
{
    EXPECT_ERROR("", NULL, "m.yaml:1:1: error: empty document");
    EXPECT_ERROR("- a\n- b\n", NULL, "m.yaml:1:1: error: 'the file' must be a mapping, got a list");
    EXPECT_ERROR("format: rewind/1\nmodel: [1, 2]\n", NULL, "m.yaml:2:8: error: 'model' must be a mapping, got a list");
    EXPECT_ERROR("format: rewind/1\ncells: {c: 3}\n", NULL, "m.yaml:2:12: error: cell 'c' must be a mapping, got number 3");
}

Test(model_errors, the_alias_cap_can_be_lowered)
{
    const char *text = "format: rewind/1\ndata:\n  kind: chars\n  train: &a [a, b, c, d]\n  valid: [*a, *a, *a]\n";
    rw_model *m = rw_model_load_string(text, "m.yaml", &(rw_model_load_opts){ .skip_data = true });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_model_free(m);
    EXPECT_ERROR(text, &((rw_model_load_opts){ .skip_data = true, .max_alias_nodes = 20 }),
                 "m.yaml:5:15: error: aliases expand");
}

Test(model_errors, anchors_aliases_and_merge_keys_are_plain_data)
{
    const char *text = "format: rewind/1\n"
                       "defaults: &d {size: 16, stack: 2}\n";
    EXPECT_ERROR(text, NULL, "m.yaml:2:1: error: unknown key 'defaults' in 'the file'");
    const char *ok = "format: rewind/1\n"
                     "hyper: &h {hidden: 12}\n"
                     "train:\n"
                     "  optimizer: &opt {type: sgd, lr: 0.5}\n"
                     "model:\n"
                     "  layers:\n"
                     "    - gru: &rnn {size: 12, initial_state: learned}\n"
                     "    - lstm:\n"
                     "        <<: *rnn\n"
                     "        initial_state: zeros\n"
                     "        forget_bias: 2.0\n"
                     "    - linear: {size: vocab}\n"
                     "  outputs: {y: {target: next}}\n";
    rw_model *m = rw_model_load_string(ok, "m.yaml", &(rw_model_load_opts){ .vocab_size = 7 });
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect_eq(rw_model_train_config_of(m)->optimizer.kind, RW_OPTIM_SGD);
    /* the merged lstm has size 12 and its own initial state: no learned state parameter */
    cr_expect_not_null(rw_params_get(rw_model_params(m), "lstm_2.l0.W"));
    cr_expect_null(rw_params_get(rw_model_params(m), "lstm_2.l0.h0.s0"));
    cr_expect_not_null(rw_params_get(rw_model_params(m), "gru_1.l0.h0.s0"));
    rw_error_clear();
    rw_model_free(m);
}

Test(model_errors, a_registered_op_is_found_and_an_unknown_one_suggests_it)
{
    const char *text = "format: rewind/1\n"
                       "cells:\n"
                       "  c:\n"
                       "    state: {h: {size: H}}\n"
                       "    params: {W: {shape: [H, X]}}\n"
                       "    nodes:\n"
                       "      - {name: h, op: tahn, in: [{op: matmul, in: [x, W], transpose_b: true}]}\n";
    EXPECT_ERROR(text, NULL, "m.yaml:7:23: error: unknown op 'tahn' (did you mean 'tanh'?)");
}
