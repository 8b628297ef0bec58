/* The shipped models load and train; configuration reaches the structs;
 * data files, directories and vocabularies; stepping and carried state
 * agree with whole-sequence runs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rw_test.h"

static const char *source_dir(void)
{
    const char *d = getenv("RW_SOURCE_DIR");
    return d ? d : ".";
}

static void model_path(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/models/%s", source_dir(), rel);
}

static bool fortunes_present(void) { return access("/usr/share/games/fortunes/fortunes", R_OK) == 0; }

/* ---- training a few steps on one batch --------------------------------------------- */

typedef struct owned_batch {
    rw_tensor *in, *tgt, *lab, *len;
    rw_model_batch b;
} owned_batch;

static rw_tensor *clone_or_null(const rw_tensor *t) { return t && t->size ? rw_tensor_clone(t) : NULL; }

static owned_batch first_batch(rw_model *m)
{
    bool ok = false;
    rw_train_source src = rw_model_source(m, RW_SPLIT_TRAIN, &ok);
    cr_assert(ok, "%s", rw_last_error());
    void *raw = NULL;
    cr_assert_eq(src.start_epoch(src.ctx, 0), RW_OK, "%s", rw_last_error());
    cr_assert_eq(src.next(src.ctx, &raw), RW_OK, "%s", rw_last_error());
    cr_assert_not_null(raw);
    const rw_model_batch *b = raw;
    owned_batch o = { .in = clone_or_null(b->inputs), .tgt = clone_or_null(b->targets),
                      .lab = clone_or_null(b->labels), .len = clone_or_null(b->lengths) };
    o.b = (rw_model_batch){ .inputs = o.in, .targets = o.tgt, .labels = o.lab, .lengths = o.len };
    return o;
}

static void free_batch(owned_batch *o)
{
    rw_tensor_free(o->in);
    rw_tensor_free(o->tgt);
    rw_tensor_free(o->lab);
    rw_tensor_free(o->len);
}

/* Trains `steps` steps on the batch; the loss must stay finite and end lower. */
static void trains(rw_model *m, const rw_model_batch *b, int steps)
{
    rw_optim *opt = rw_model_optim_new(m);
    cr_assert_not_null(opt, "%s", rw_last_error());
    rw_graph *g = rw_graph_new();
    double first = NAN, last = NAN;
    for (int s = 0; s < steps; s++) {
        rw_node *loss = rw_model_loss(g, m, b);
        cr_assert_not_null(loss, "%s", rw_last_error());
        last = rw_scalar(loss);
        cr_assert(isfinite(last), "step %d: loss %g", s, last);
        if (s == 0)
            first = last;
        cr_assert_eq(rw_backward(g, loss), RW_OK, "%s", rw_last_error());
        rw_clip_global_norm(rw_model_params(m), 5.0);
        cr_assert_eq(rw_optim_step(opt), RW_OK, "%s", rw_last_error());
        rw_graph_reset(g);
    }
    cr_expect_lt(last, first, "%s: loss %g -> %g", rw_model_name(m), first, last);
    rw_graph_free(g);
    rw_optim_free(opt);
}

static const char *const inline_corpus =
    "Q: What is the difference between a duck?\nA: One of its legs is both the same.\n%\n"
    "The best way to predict the future is to invent it.\n%\n"
    "A day for firm decisions!  Or is it?\n%\n";

/* A byte vocabulary of the inline corpus, in the saved format. */
static char *inline_vocab(void)
{
    bool seen[256] = { false };
    for (const char *p = inline_corpus; *p; p++)
        seen[(unsigned char)*p] = true;
    static char buf[4096];
    int n = 0;
    for (int c = 0; c < 256; c++)
        n += seen[c];
    size_t at = (size_t)snprintf(buf, sizeof buf, "rewind-vocab 1\ntokens %d bytes\n", n);
    for (int c = 0; c < 256; c++)
        if (seen[c])
            at += (size_t)(c > 0x20 && c < 0x7f && c != '\\' ? snprintf(buf + at, sizeof buf - at, "%c\n", c)
                                                               : snprintf(buf + at, sizeof buf - at, "\\x%02x\n", c));
    return buf;
}

/* Trains a token model on windows of the inline corpus (when the real one is absent). */
static void trains_inline(const char *file, const char *const *over, int n_over)
{
    char path[1024];
    model_path(path, sizeof path, file);
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .skip_data = true, .vocab = inline_vocab(),
                                                             .overrides = over, .n_overrides = n_over });
    cr_assert_not_null(m, "%s", rw_last_error());
    enum { T = 12, B = 3 };
    int32_t ids[512];
    int n = rw_model_encode(m, inline_corpus, ids, 512);
    cr_assert_gt(n, T * B + 1, "%s", rw_last_error());
    rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(T, B));
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            in->idata[t * B + b] = ids[b * (n / B) + t];
            tgt->idata[t * B + b] = ids[b * (n / B) + t + 1];
        }
    trains(m, &(rw_model_batch){ .inputs = in, .targets = tgt }, 8);
    rw_tensor_free(in);
    rw_tensor_free(tgt);
    rw_model_free(m);
}

static void shipped_model_trains(const char *file, const char *const *over, int n_over, bool needs_fortunes)
{
    char path[1024];
    model_path(path, sizeof path, file);
    if (needs_fortunes && !fortunes_present()) {
        cr_log_warn("%s: the fortunes corpus is absent; training on an inline corpus", file);
        trains_inline(file, over, n_over);
        return;
    }
    rw_model *full = rw_model_load(path, NULL); /* as shipped */
    cr_assert_not_null(full, "%s", rw_last_error());
    cr_expect_gt(rw_params_size(rw_model_params(full)), 10000);
    char *summary = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&summary, &len);
    rw_model_print_summary(f, full);
    fclose(f);
    cr_expect(strstr(summary, "total: ") != NULL, "%s", summary);
    free(summary);
    rw_model_free(full);
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .overrides = over, .n_overrides = n_over });
    cr_assert_not_null(m, "%s", rw_last_error());
    owned_batch b = first_batch(m);
    trains(m, &b.b, 8);
    free_batch(&b);
    rw_model_free(m);
}

Test(model_load, char_lstm_loads_and_trains, .timeout = 60)
{
    const char *over[] = { "hyper.hidden=24", "hyper.emb=8", "hyper.window=12", "train.batch.size=4" };
    shipped_model_trains("char_lstm.yaml", over, 4, true);
    trains_inline("char_lstm.yaml", over, 4); /* the path taken when the corpus is missing */
}

Test(model_load, char_gru_loads_and_trains, .timeout = 60)
{
    const char *over[] = { "hyper.hidden=16", "train.batch.size=4", "train.batch.bptt.window=12" };
    shipped_model_trains("char_gru.yaml", over, 3, true);
}

Test(model_load, custom_cell_loads_and_trains, .timeout = 60)
{
    const char *over[] = { "hyper.hidden=16", "train.batch.size=4", "train.batch.bptt=12" };
    shipped_model_trains("custom_cell.yaml", over, 3, true);
}

Test(model_load, classifier_loads_and_trains, .timeout = 60)
{
    const char *over[] = { "train.batch.size=8" };
    shipped_model_trains("classifier.yaml", over, 1, false);
}

/* ---- configuration ---------------------------------------------------------------------- */

Test(model_load, train_and_data_sections_reach_the_structs)
{
    char path[1024];
    model_path(path, sizeof path, "char_gru.yaml");
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .skip_data = true, .vocab_size = 40 });
    cr_assert_not_null(m, "%s", rw_last_error());
    const rw_model_train_config *t = rw_model_train_config_of(m);
    cr_expect_eq(t->seed, 11);
    cr_expect_eq(t->steps, 2000);
    cr_expect_eq(t->batch_size, 32);
    cr_expect_eq(t->bptt, 64);
    cr_expect(t->carry_state);
    cr_expect_eq(t->optimizer.kind, RW_OPTIM_ADAM);
    cr_expect_float_eq(t->optimizer.lr, 3e-3, 1e-12);
    cr_expect_float_eq(t->clip_norm, 5.0, 1e-12);
    cr_expect_eq(t->schedule.kind, RW_SCHEDULE_STEP);
    cr_expect_eq(t->schedule.every, 500);
    cr_expect_float_eq(t->schedule.gamma, 0.5, 1e-12);
    cr_expect_eq(t->valid_every.count, 250);
    cr_expect_not(t->valid_every.epochs);
    cr_expect_eq(t->patience, 4);
    cr_expect(t->restore_best);
    cr_expect_str_eq(t->checkpoint_path, "runs/char_gru/last.rwc");
    const rw_model_data_config *d = rw_model_data_config_of(m);
    cr_expect_eq(d->kind, RW_DATA_CHARS);
    cr_expect_float_eq(d->valid_fraction, 0.05, 1e-12);
    cr_expect_eq(d->train.count, 0, "skip_data resolves no files");
    const rw_model_generate_config *gen = rw_model_generate_config_of(m);
    cr_expect_float_eq(gen->temperature, 0.7, 1e-12);
    cr_expect_eq(gen->max_length, 300);
    rw_train_opts o;
    cr_expect_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    cr_expect_eq(o.max_steps, 2000);
    cr_expect_not_null(o.lr_fn);
    cr_expect_float_eq(o.lr_fn(499, 0, o.lr_ctx), 3e-3, 1e-9);
    cr_expect_float_eq(o.lr_fn(500, 0, o.lr_ctx), 1.5e-3, 1e-9);
    cr_expect_eq(o.checkpoint_every, 250);
    cr_expect_str_eq(o.checkpoint_path, "runs/char_gru/last.rwc");
    cr_expect_null(o.valid, "no data loaded: no validation source");
    rw_model_free(m);
}

Test(model_load, defaults_when_sections_are_missing)
{
    rw_model *m = rw_model_load_string("format: rewind/1\n", "empty.yaml", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    const rw_model_train_config *t = rw_model_train_config_of(m);
    cr_expect_eq(t->seed, 1);
    cr_expect_eq(t->batch_size, 32);
    cr_expect_eq(t->optimizer.kind, RW_OPTIM_ADAM);
    cr_expect_float_eq(t->optimizer.lr, 1e-3, 1e-12);
    cr_expect(t->check_finite);
    cr_expect_not(rw_model_has_layers(m));
    cr_expect_str_eq(rw_model_name(m), "empty.yaml");
    cr_expect_null(rw_model_optim_new(m));
    rw_model_free(m);
}

/* ---- data files --------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(model_load, directories_globs_lists_and_exclusions)
{
    char dir[] = "/tmp/rw_model_data_XXXXXX", p[256], yaml[1024];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/b.txt", dir);
    write_file(p, "hello world\n");
    snprintf(p, sizeof p, "%s/a.txt", dir);
    write_file(p, "abc abc abc\n");
    snprintf(p, sizeof p, "%s/a.dat", dir);
    write_file(p, "\x01\x02");
    char link[256];
    snprintf(link, sizeof link, "%s/a.u8", dir);
    cr_assert_eq(symlink("a.txt", link), 0);
    const char *forms[] = { "%s", "\"%s/*\"", "[\"%s/a.txt\", \"%s/b.txt\"]" };
    for (int k = 0; k < 3; k++) {
        char train[600];
        snprintf(train, sizeof train, forms[k], dir, dir);
        snprintf(yaml, sizeof yaml, "format: rewind/1\ndata:\n  kind: chars\n  train: %s\n  exclude: [\"*.dat\"]\n",
                 train);
        rw_model *m = rw_model_load_string(yaml, "d.yaml", NULL);
        cr_assert_not_null(m, "%s", rw_last_error());
        const rw_model_files *f = &rw_model_data_config_of(m)->train;
        cr_assert_eq(f->count, 2, "form %d: %d files", k, f->count);
        cr_expect(strstr(f->paths[0], "/a.txt") != NULL && strstr(f->paths[1], "/b.txt") != NULL);
        rw_model_free(m);
    }
    /* the vocabulary is the bytes of the text, "abc \nhelowrd", and <unk> last */
    snprintf(yaml, sizeof yaml, "format: rewind/1\ndata: {kind: chars, train: %s, exclude: \"*.dat\"}\n"
             "model:\n  layers: [{gru: {size: 4}}, {linear: {size: vocab}}]\n  outputs: {y: {target: next}}\n", dir);
    rw_model *m = rw_model_load_string(yaml, "d.yaml", NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect_eq(rw_model_vocab_size(m), 13);
    cr_expect_str_eq(rw_model_token(m, 0), "\n");
    cr_expect_str_eq(rw_model_token(m, 12), "<unk>");
    cr_expect_eq(rw_model_unk_id(m), 12);
    int32_t ids[8];
    cr_expect_eq(rw_model_encode(m, "abc", ids, 8), 3);
    cr_expect_eq(rw_model_encode(m, "xaz", ids, 8), 3); /* bytes the text lacks are <unk> */
    cr_expect(ids[0] == 12 && ids[1] == 2 && ids[2] == 12, "%d %d %d", ids[0], ids[1], ids[2]); /* \n ' ' a ... */
    rw_model_free(m);
    unlink(link);
    snprintf(p, sizeof p, "%s/a.dat", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/a.txt", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/b.txt", dir);
    unlink(p);
    rmdir(dir);
}

Test(model_load, tsv_classify_batches_and_a_saved_vocabulary)
{
    char path[1024];
    model_path(path, sizeof path, "classifier.yaml");
    rw_model *m = rw_model_load(path, NULL);
    cr_assert_not_null(m, "%s", rw_last_error());
    cr_expect_eq(rw_model_classes(m), 2);
    cr_expect_str_eq(rw_model_label(m, 0), "neg");
    cr_expect_str_eq(rw_model_label(m, 1), "pos");
    owned_batch b = first_batch(m);
    cr_expect_eq(b.in->shape.dim[1], 16);
    for (int i = 0; i < 16; i++)
        cr_expect(b.lab->idata[i] == 0 || b.lab->idata[i] == 1);
    bool has_valid = false;
    rw_model_source(m, RW_SPLIT_VALID, &has_valid);
    cr_expect(has_valid);
    /* the vocabulary saved as text rebuilds the same model without the data */
    char *saved = rw_model_vocab_string(m);
    cr_assert_not_null(saved, "%s", rw_last_error());
    rw_model *again = rw_model_load(path, &(rw_model_load_opts){ .skip_data = true, .vocab = saved });
    cr_assert_not_null(again, "%s", rw_last_error());
    cr_expect_eq(rw_model_vocab_size(again), rw_model_vocab_size(m));
    cr_expect_eq(rw_model_classes(again), 2);
    for (int i = 0; i < rw_model_vocab_size(m); i++)
        cr_expect_str_eq(rw_model_token(again, i), rw_model_token(m, i));
    cr_expect_eq(rw_params_size(rw_model_params(again)), rw_params_size(rw_model_params(m)));
    free(saved);
    free_batch(&b);
    rw_model_free(again);
    rw_model_free(m);
}

Test(model_load, rw_train_runs_a_model_from_its_file, .timeout = 60)
{
    char path[1024];
    model_path(path, sizeof path, "classifier.yaml");
    const char *over[] = { "train.epochs=1" };
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .overrides = over, .n_overrides = 1 });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_optim *opt = rw_model_optim_new(m);
    rw_train_opts o;
    cr_assert_eq(rw_model_train_opts(m, &o), RW_OK, "%s", rw_last_error());
    cr_expect_not_null(o.valid);
    o.max_steps = 6;
    rw_train_result r;
    rw_status st = rw_train(rw_model_params(m), opt, rw_model_source(m, RW_SPLIT_TRAIN, NULL), rw_model_loss_fn, m,
                            &o, &r);
    cr_expect_eq(st, RW_OK, "%s", rw_last_error());
    cr_expect_eq(r.steps, 6);
    cr_expect(isfinite(r.last_loss));
    rw_optim_free(opt);
    rw_model_free(m);
}

/* ---- stepping and carried state agree with whole runs ------------------------------------------ */

static const char *const small_lm =
    "format: rewind/1\n"
    "model:\n"
    "  layers:\n"
    "    - embedding: {size: 5}\n"
    "    - lstm: {size: 6, stack: 2, initial_state: learned}\n"
    "    - gru: {size: 4}\n"
    "    - linear: {size: vocab, activation: none}\n"
    "  outputs: {y: {target: next}}\n";

Test(model_load, steps_and_carried_windows_match_a_whole_run)
{
    enum { T = 6, B = 2, V = 7 };
    rw_model *m = rw_model_load_string(small_lm, "lm.yaml", &(rw_model_load_opts){ .vocab_size = V });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(3);
    rw_tensor *ids = rwt_ints(&rng, rw_shape2(T, B), 0, V);
    rw_graph *g = rw_graph_new();
    rw_node *whole = rw_model_logits(g, m, &(rw_model_batch){ .inputs = ids });
    cr_assert_not_null(whole, "%s", rw_last_error());
    rw_tensor *ref = rw_tensor_clone(&whole->value);
    rw_graph_reset(g);
    /* one token at a time */
    rw_model_state *s = rw_model_state_new(m, B);
    for (int t = 0; t < T; t++) {
        rw_node *lg = rw_model_step(g, m, s, ids->idata + t * B);
        cr_assert_not_null(lg, "%s", rw_last_error());
        for (int k = 0; k < B * V; k++)
            rwt_assert_close(lg->value.data[k], ref->data[t * B * V + k], RWT_EPS, "step %d", t);
        rw_graph_reset(g);
    }
    /* two windows of 3 with the state carried */
    rw_model_state_reset(s);
    for (int w = 0; w < 2; w++) {
        rw_tensor view = *ids;
        view.owns = false;
        view.shape = rw_shape2(3, B);
        view.size = 3 * B;
        view.idata = ids->idata + w * 3 * B;
        rw_node *lg = rw_model_logits(g, m, &(rw_model_batch){ .inputs = &view, .state = s });
        cr_assert_not_null(lg, "%s", rw_last_error());
        for (int k = 0; k < 3 * B * V; k++)
            rwt_assert_close(lg->value.data[k], ref->data[w * 3 * B * V + k], RWT_EPS, "window %d", w);
        rw_graph_reset(g);
    }
    /* sampling: greedy is the arg max */
    rw_node *lg = rw_model_logits(g, m, &(rw_model_batch){ .inputs = ids });
    int best = 0;
    for (int c = 1; c < V; c++)
        if (lg->value.data[c] > lg->value.data[best])
            best = c;
    cr_expect_eq(rw_model_sample(lg, 0, 0, 0, NULL), best);
    int s1 = rw_model_sample(lg, 0, 1.0, 1, &rng);
    cr_expect_eq(s1, best, "top_k 1 keeps only the best");
    rw_model_state_free(s);
    rw_tensor_free(ref);
    rw_tensor_free(ids);
    rw_graph_free(g);
    rw_model_free(m);
}

Test(model_load, generating_text_from_a_token_model)
{
    char path[1024];
    model_path(path, sizeof path, "char_lstm.yaml");
    const char *over[] = { "hyper.hidden=8" };
    rw_model *m = rw_model_load(path, &(rw_model_load_opts){ .skip_data = true, .vocab = inline_vocab(),
                                                             .overrides = over, .n_overrides = 1 });
    cr_assert_not_null(m, "%s", rw_last_error());
    rw_rng rng = rw_rng_seed(1);
    char *text = rw_model_generate(m, "Q: ", 40, 0.8, 0, &rng);
    cr_assert_not_null(text, "%s", rw_last_error());
    cr_expect_eq(strlen(text), 40);
    for (const char *p = text; *p; p++)
        cr_expect(strchr(inline_corpus, *p) != NULL, "byte 0x%02x is not in the vocabulary", (unsigned char)*p);
    free(text);
    rw_model_free(m);
}
