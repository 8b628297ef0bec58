/* The `train:`, `data:`, `generate:` and `regularize:` sections, parsed into
 * the documented structs of rewind/model.h with their defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "yaml/diag.h"
#include "model_internal.h"

#define BIG (1L << 40)

static rw_status opt_real(const yctx *c, const ynode *map, const char *key, double lo, double hi, bool open,
                          double *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_real(c, n, key, lo, hi, open, out) : RW_OK;
}

static rw_status opt_bool(const yctx *c, const ynode *map, const char *key, bool *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_bool(c, n, key, out) : RW_OK;
}

static rw_status opt_long(const yctx *c, const ynode *map, const char *key, long lo, long *out)
{
    const ynode *n = rwi_ymap_get(map, key);
    return n ? rwi_ys_int(c, n, key, lo, BIG, out) : RW_OK;
}

/* "N steps", "N epochs", "epoch", or a bare number of steps. */
static rw_status interval(const yctx *c, const ynode *n, const char *what, rw_model_interval *out)
{
    char t[128];
    if (n->kind == Y_SCALAR && rwi_ys_text(c, n, what, t, sizeof t, NULL) == RW_OK) {
        char *end;
        long v = strtol(t, &end, 10);
        if (end == t && !strcmp(t, "epoch"))
            v = 1;
        else if (end == t || v < 0)
            goto bad;
        while (*end == ' ')
            end++;
        bool epochs = !strcmp(end, "epochs") || !strcmp(end, "epoch");
        if (!epochs && *end && strcmp(end, "steps") && strcmp(end, "step"))
            goto bad;
        out->count = v;
        out->epochs = epochs;
        return RW_OK;
    }
bad:
    return rwi_ydiag(RW_ERR_FORMAT, n, "'%s' is an interval: a number of steps, \"N steps\" or \"N epochs\"", what);
}

/* ---- train: ---------------------------------------------------------------------- */

static rw_status parse_batch(rw_model *m, const ynode *b)
{
    const yctx *c = &m->ctx;
    rw_model_train_config *t = &m->train;
    static const char *const keys[] = { "size", "bptt", "bucket", "drop_last", NULL };
    static const char *const bk[] = { "by", "shuffle_batches", NULL };
    static const char *const orders[] = { "none", "source", "target", "source_then_target", "target_then_source",
                                          NULL };
    static const char *const bpk[] = { "window", "carry_state", NULL };
    long v;
    if (b->kind == Y_SCALAR) {
        if (rwi_ys_int(c, b, "batch", 1, 1 << 20, &v) != RW_OK)
            return RW_ERR_FORMAT;
        t->batch_size = (int)v;
        return RW_OK;
    }
    const ynode *n;
    if (rwi_ys_expect(b, Y_MAP, "batch") || rwi_ys_keys(b, "batch", keys) || opt_bool(c, b, "drop_last", &t->drop_last))
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(b, "size"))) {
        if (rwi_ys_int(c, n, "size", 1, 1 << 20, &v) != RW_OK)
            return RW_ERR_FORMAT;
        t->batch_size = (int)v;
    }
    if ((n = rwi_ymap_get(b, "bptt"))) {
        const ynode *w = n;
        if (n->kind == Y_MAP) {
            w = rwi_ymap_get(n, "window");
            if (rwi_ys_keys(n, "bptt", bpk) || opt_bool(c, n, "carry_state", &t->carry_state))
                return RW_ERR_FORMAT;
        }
        if (w && rwi_ys_int(c, w, "window", 1, 1 << 20, &v) != RW_OK)
            return RW_ERR_FORMAT;
        if (w)
            t->bptt = (int)v;
    }
    if ((n = rwi_ymap_get(b, "bucket"))) {
        const ynode *by;
        int k = 0;
        if (rwi_ys_expect(n, Y_MAP, "bucket") || rwi_ys_keys(n, "bucket", bk) ||
            opt_bool(c, n, "shuffle_batches", &t->shuffle_batches) ||
            ((by = rwi_ymap_get(n, "by")) && rwi_ys_enum(c, by, "bucket order", orders, &k)))
            return RW_ERR_FORMAT;
        t->order = (rw_batch_order)k; /* the names above follow rw_batch_order */
    }
    return RW_OK;
}

static rw_status parse_optimizer(rw_model *m, const ynode *o)
{
    static const char *const types[] = { "sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", NULL };
    static const char *const sgd_keys[] = { "type", "lr", "momentum", "nesterov", "weight_decay", NULL };
    static const char *const adagrad_keys[] = { "type", "lr", "eps", "weight_decay", NULL };
    static const char *const rmsprop_keys[] = { "type", "lr", "alpha", "eps", "momentum", "weight_decay", NULL };
    static const char *const adam_keys[] = { "type", "lr", "betas", "beta1", "beta2", "eps", "weight_decay", NULL };
    static const char *const *const keys[] = { sgd_keys, sgd_keys, adagrad_keys, rmsprop_keys, adam_keys, adam_keys };
    static const double default_lr[] = { 0.1, 0.1, 1e-2, 1e-2, 1e-3, 1e-3 };
    const yctx *c = &m->ctx;
    rw_model_optim_config *x = &m->train.optimizer;
    const ynode *tn;
    int k;
    if (rwi_ys_expect(o, Y_MAP, "optimizer") || rwi_ys_need(o, "type", "optimizer", &tn) ||
        rwi_ys_enum(c, tn, "optimizer", types, &k))
        return RW_ERR_FORMAT;
    char where[64];
    snprintf(where, sizeof where, "optimizer %s", types[k]);
    x->kind = (rw_optim_kind)k;
    x->lr = default_lr[k];
    x->momentum = k == RW_OPTIM_MOMENTUM ? 0.9 : 0;
    if (rwi_ys_keys(o, where, keys[k]) || opt_real(c, o, "lr", 0, 1e6, false, &x->lr) ||
        opt_real(c, o, "momentum", 0, 1, true, &x->momentum) || opt_bool(c, o, "nesterov", &x->nesterov) ||
        opt_real(c, o, "weight_decay", 0, 1e6, false, &x->weight_decay) || opt_real(c, o, "eps", 0, 1, false, &x->eps) ||
        opt_real(c, o, "alpha", 0, 1, true, &x->alpha) || opt_real(c, o, "beta1", 0, 1, true, &x->beta1) ||
        opt_real(c, o, "beta2", 0, 1, true, &x->beta2))
        return RW_ERR_FORMAT;
    const ynode *betas = rwi_ymap_get(o, "betas");
    if (betas) {
        if (rwi_ys_expect(betas, Y_SEQ, "betas") != RW_OK)
            return RW_ERR_FORMAT;
        if (betas->n != 2)
            return rwi_ydiag(RW_ERR_FORMAT, betas, "'betas' is a list of two numbers [beta1, beta2]");
        if (rwi_ys_real(c, betas->vals[0], "beta1", 0, 1, true, &x->beta1) ||
            rwi_ys_real(c, betas->vals[1], "beta2", 0, 1, true, &x->beta2))
            return RW_ERR_FORMAT;
    }
    if (!(x->lr > 0))
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(o, "lr"), "'lr' must be > 0");
    if (x->nesterov && x->momentum <= 0)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_get(o, "nesterov"), "nesterov needs a momentum > 0");
    return RW_OK;
}

static rw_status parse_schedule(rw_model *m, const ynode *s)
{
    static const char *const types[] = { "constant", "step", "exp", "exponential", "cosine", "warmup_cosine", "plateau",
                                         NULL };
    static const char *const keys[] = { "type", "warmup", "every", "gamma", "factor", "total", "min_lr", NULL };
    const yctx *c = &m->ctx;
    rw_schedule *x = &m->train.schedule;
    const ynode *tn, *n;
    int k;
    if (rwi_ys_expect(s, Y_MAP, "schedule") || rwi_ys_keys(s, "schedule", keys) || rwi_ys_need(s, "type", "schedule", &tn) ||
        rwi_ys_enum(c, tn, "schedule", types, &k))
        return RW_ERR_FORMAT;
    if (k == 6)
        return rwi_ydiag(RW_ERR_FORMAT, tn, "the plateau schedule is not implemented yet (constant, step, exp, cosine, "
                     "warmup_cosine)");
    double gamma = 0.5, min_lr = 0;
    long total = 0, warmup = 0;
    rw_model_interval every = { 1, true };
    if (opt_real(c, s, "gamma", 1e-12, 1e6, false, &gamma) || opt_real(c, s, "factor", 1e-12, 1e6, false, &gamma) ||
        opt_real(c, s, "min_lr", 0, 1e6, false, &min_lr) || opt_long(c, s, "total", 1, &total) ||
        opt_long(c, s, "warmup", 0, &warmup))
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(s, "every")) && interval(c, n, "every", &every) != RW_OK)
        return RW_ERR_FORMAT;
    if (every.count < 1)
        return rwi_ydiag(RW_ERR_FORMAT, n, "'every' must be at least 1");
    if ((k == 4 || k == 5) && !total)
        return rwi_ydiag(RW_ERR_FORMAT, s, "a cosine schedule needs 'total' (its length in steps)");
    if (k == 0)
        *x = rw_schedule_constant();
    else if (k == 1)
        *x = rw_schedule_step(every.epochs ? 1 : every.count, gamma);
    else if (k == 2 || k == 3)
        *x = rw_schedule_exponential(gamma);
    else
        *x = rw_schedule_cosine(total, min_lr);
    m->train.schedule_every = every;
    if (warmup)
        *x = rw_schedule_warmup(*x, warmup);
    return RW_OK;
}

static rw_status parse_early_stop(rw_model *m, const ynode *e)
{
    static const char *const keys[] = { "monitor", "patience", "min_delta", "restore_best", "mode", NULL };
    static const char *const monitors[] = { "valid.loss", NULL }, *const modes[] = { "min", NULL };
    const yctx *c = &m->ctx;
    const ynode *n;
    long v = 0;
    int k;
    if (rwi_ys_expect(e, Y_MAP, "early_stop") || rwi_ys_keys(e, "early_stop", keys) ||
        ((n = rwi_ymap_get(e, "monitor")) && rwi_ys_enum(c, n, "monitor", monitors, &k)) ||
        ((n = rwi_ymap_get(e, "mode")) && rwi_ys_enum(c, n, "mode", modes, &k)) || opt_long(c, e, "patience", 1, &v) ||
        opt_real(c, e, "min_delta", 0, 1e9, false, &m->train.min_delta) ||
        opt_bool(c, e, "restore_best", &m->train.restore_best))
        return RW_ERR_FORMAT;
    m->train.patience = (int)v;
    return RW_OK;
}

static rw_status parse_checkpoint(rw_model *m, const ynode *cp)
{
    static const char *const keys[] = { "path", "dir", "every", NULL };
    const yctx *c = &m->ctx;
    const ynode *path = rwi_ymap_get(cp, "path"), *dir = rwi_ymap_get(cp, "dir"), *every = rwi_ymap_get(cp, "every");
    if (rwi_ys_expect(cp, Y_MAP, "checkpoint") || rwi_ys_keys(cp, "checkpoint", keys))
        return RW_ERR_FORMAT;
    if ((path && dir) || (!path && !dir))
        return rwi_ydiag(RW_ERR_FORMAT, cp, "'checkpoint' needs either 'path' (a file) or 'dir' (then <dir>/last.rwc)");
    char *s = NULL;
    if (rwi_ys_string(c, path ? path : dir, path ? "path" : "dir", &s) != RW_OK)
        return RW_ERR_FORMAT;
    if (dir) {
        size_t len = strlen(s) + sizeof "/last.rwc";
        m->train.checkpoint_path = rwi_malloc(len, "a checkpoint path");
        if (m->train.checkpoint_path)
            snprintf(m->train.checkpoint_path, len, "%s/last.rwc", s);
        rwi_free(s);
        if (!m->train.checkpoint_path)
            return RW_ERR_NOMEM;
    } else {
        m->train.checkpoint_path = s;
    }
    return every ? interval(c, every, "every", &m->train.checkpoint_every) : RW_OK;
}

static rw_status parse_diagnostics(rw_model *m, const ynode *d)
{
    static const char *const keys[] = { "every", "steps", "batch", "vanish_below", "explode_above", NULL };
    const yctx *c = &m->ctx;
    rw_model_diagnostics_config *x = &m->train.diagnostics;
    long steps = x->steps, batch = x->batch;
    const ynode *every;
    if (rwi_ys_expect(d, Y_MAP, "diagnostics") || rwi_ys_keys(d, "diagnostics", keys) ||
        rwi_ys_need(d, "every", "diagnostics", &every) || rwi_ys_int(c, every, "every", 1, BIG, &x->every) ||
        opt_long(c, d, "steps", 2, &steps) || opt_long(c, d, "batch", 1, &batch) ||
        opt_real(c, d, "vanish_below", 0, 1e300, false, &x->vanish_below) ||
        opt_real(c, d, "explode_above", 0, 1e300, false, &x->explode_above))
        return RW_ERR_FORMAT;
    if (steps > 100000 || batch > 4096)
        return rwi_ydiag(RW_ERR_FORMAT, steps > 100000 ? rwi_ymap_get(d, "steps") : rwi_ymap_get(d, "batch"),
                         "diagnostics: 'steps' must be at most 100000 and 'batch' at most 4096");
    if (!(x->vanish_below < x->explode_above))
        return rwi_ydiag(RW_ERR_FORMAT, d, "diagnostics: vanish_below %g must be below explode_above %g",
                         x->vanish_below, x->explode_above);
    x->steps = (int)steps;
    x->batch = (int)batch;
    return RW_OK;
}

rw_status rwi_mparse_train(rw_model *m, const ynode *t)
{
    static const char *const keys[] = { "seed", "epochs", "steps", "batch", "optimizer", "clip", "schedule",
                                        "early_stop", "checkpoint", "log", "valid_every", "check_finite", "metrics", "teacher_forcing",
                                        "diagnostics", "replicas", NULL };
    rw_model_train_config *x = &m->train;
    *x = (rw_model_train_config){ .seed = 1, .batch_size = 32, .bptt = 64, .carry_state = true, .replicas = 1,
                                  .shuffle_batches = true, .restore_best = true, .check_finite = true,
                                  .optimizer = { .kind = RW_OPTIM_ADAM, .lr = 1e-3 },
                                  .schedule = rw_schedule_constant(),
                                  .diagnostics = { .steps = 50, .batch = 8, .vanish_below = 1e-6,
                                                   .explode_above = 1e6 } };
    m->train_at = t;
    if (!t)
        return RW_OK;
    const yctx *c = &m->ctx;
    const ynode *n;
    long v;
    if (rwi_ys_expect(t, Y_MAP, "train") || rwi_ys_keys(t, "train", keys))
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "seed"))) {
        if (rwi_ys_int(c, n, "seed", 0, BIG, &v) != RW_OK)
            return RW_ERR_FORMAT;
        x->seed = (uint64_t)v;
    }
    if ((n = rwi_ymap_get(t, "epochs"))) {
        if (rwi_ys_int(c, n, "epochs", 1, 1 << 30, &v) != RW_OK)
            return RW_ERR_FORMAT;
        x->epochs = (int)v;
    }
    if (opt_long(c, t, "steps", 1, &x->steps) || opt_bool(c, t, "check_finite", &x->check_finite))
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "batch")) && parse_batch(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "optimizer")) && parse_optimizer(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "clip"))) {
        static const char *const ck[] = { "global_norm", "value", NULL };
        if (n->kind == Y_SCALAR ? rwi_ys_real(c, n, "clip", 1e-12, 1e12, false, &x->clip_norm)
                                : rwi_ys_expect(n, Y_MAP, "clip") || rwi_ys_keys(n, "clip", ck) ||
                                      opt_real(c, n, "global_norm", 1e-12, 1e12, false, &x->clip_norm) ||
                                      opt_real(c, n, "value", 1e-12, 1e12, false, &x->clip_value))
            return RW_ERR_FORMAT;
    }
    if ((n = rwi_ymap_get(t, "schedule")) && parse_schedule(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "early_stop")) && parse_early_stop(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "checkpoint")) && parse_checkpoint(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "valid_every")) && interval(c, n, "valid_every", &x->valid_every) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "log")) && rwi_ys_string(c, n, "log", &x->log_path) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "metrics")) && rwi_mparse_metrics(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "teacher_forcing")) && rwi_ms2s_parse_teacher_forcing(m, n) != RW_OK) /* graph_parse.c */
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "diagnostics")) && parse_diagnostics(m, n) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(t, "replicas"))) {
        if (rwi_ys_int(c, n, "replicas", 1, M_MAX_REPLICAS, &v) != RW_OK)
            return RW_ERR_FORMAT;
        x->replicas = (int)v;
        m->replicas_at = n;
    }
    return RW_OK;
}

/* ---- data:, generate:, regularize: ------------------------------------------------- */

rw_status rwi_mparse_data(rw_model *m, const ynode *d)
{
    static const char *const keys[] = { "kind", "train", "valid", "test", "exclude", "valid_fraction", "tokens",
                                        "lowercase", "min_count", "max_length", "bos", "eos", "vocab_size", NULL };
    static const char *const kinds[] = { "chars", "tsv_classify", "tsv_seq2seq", "tsv_vectors", "tsv_tagging",
                                         "lines", NULL };
    static const char *const tokens[] = { "chars", "words", NULL };
    const yctx *c = &m->ctx;
    rw_model_data_config *x = &m->data;
    const ynode *n, *tr;
    int k;
    long v = 1;
    m->data_at = d;
    x->min_count = 1;
    if (rwi_ys_expect(d, Y_MAP, "data") || rwi_ys_keys(d, "data", keys) || rwi_ys_need(d, "kind", "data", &n) ||
        rwi_ys_enum(c, n, "data kind", kinds, &k))
        return RW_ERR_FORMAT;
    x->kind = (rw_data_kind)(k + 1);
    if ((n = rwi_ymap_get(d, "tokens"))) {
        if (rwi_ys_enum(c, n, "tokens", tokens, &k) != RW_OK)
            return RW_ERR_FORMAT;
        if (k == 1 && x->kind == RW_DATA_CHARS)
            return rwi_ydiag(RW_ERR_FORMAT, n, "data of kind chars is read as bytes; 'tokens: words' is for the tsv kinds");
        x->tokens = (rw_token_kind)k;
    }
    if (opt_real(c, d, "valid_fraction", 0, 0.5, false, &x->valid_fraction) ||
        opt_bool(c, d, "lowercase", &x->lowercase) || opt_long(c, d, "min_count", 1, &v))
        return RW_ERR_FORMAT;
    x->min_count = (int)v;
    v = 0;
    if (opt_long(c, d, "max_length", 1, &v))
        return RW_ERR_FORMAT;
    x->max_length = (int)v;
    v = 0;
    if (opt_long(c, d, "vocab_size", 2, &v))
        return RW_ERR_FORMAT;
    x->vocab_size = (int)v;
    if (v && x->tokens != RW_TOKENS_WORDS)
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(d, "vocab_size"), "'vocab_size' caps a word vocabulary: it needs "
                     "'tokens: words'");
    const ynode *ex = rwi_ymap_get(d, "exclude");
    if (rwi_ys_need(d, "train", "data", &tr) != RW_OK)
        return RW_ERR_FORMAT;
    if (ex && ex->kind != Y_SEQ && ex->kind != Y_SCALAR)
        return rwi_ys_expect(ex, Y_SEQ, "exclude");
    if (!m->skip_data) {
        if (rwi_mresolve_files(m, tr, "train", ex, &x->train) != RW_OK)
            return rw_last_status();
        if ((n = rwi_ymap_get(d, "valid")) && rwi_mresolve_files(m, n, "valid", ex, &x->valid) != RW_OK)
            return rw_last_status();
        if ((n = rwi_ymap_get(d, "test")) && rwi_mresolve_files(m, n, "test", ex, &x->test) != RW_OK)
            return rw_last_status();
    }
    if (rwi_mparse_line_markers(m, d) != RW_OK)
        return RW_ERR_FORMAT;
    if (rwi_ymap_get(d, "valid") && rwi_ymap_get(d, "valid_fraction"))
        return rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(d, "valid_fraction"), "give either 'valid' files or 'valid_fraction'");
    return RW_OK;
}

rw_status rwi_mparse_generate(rw_model *m, const ynode *g)
{
    static const char *const keys[] = { "method", "temperature", "top_k", "max_length", "prime", "stop_at",
                                        "beam_width", "length_norm", NULL };
    static const char *const methods[] = { "sample", "greedy", "beam", NULL };
    const yctx *c = &m->ctx;
    rw_model_generate_config *x = &m->gen;
    x->temperature = 1.0;
    x->max_length = 200;
    x->beam_width = 4;
    if (!g)
        return RW_OK;
    const ynode *n;
    int k = 0;
    long top_k = 0, len = 200, beam = 4;
    if (rwi_ys_expect(g, Y_MAP, "generate") || rwi_ys_keys(g, "generate", keys) ||
        ((n = rwi_ymap_get(g, "method")) && rwi_ys_enum(c, n, "method", methods, &k)) ||
        opt_real(c, g, "temperature", 1e-6, 1e6, false, &x->temperature) || opt_long(c, g, "top_k", 0, &top_k) ||
        opt_long(c, g, "max_length", 1, &len) || opt_long(c, g, "beam_width", 1, &beam) ||
        opt_real(c, g, "length_norm", 0, 10, false, &x->length_norm))
        return RW_ERR_FORMAT;
    x->greedy = k == 1;
    m->gen_method_given = rwi_ymap_get(g, "method") != NULL;
    x->beam = k == 2;
    x->beam_width = (int)beam;
    x->top_k = (int)top_k;
    x->max_length = (int)len;
    if ((n = rwi_ymap_get(g, "prime")) && !rwi_yis_null(n) && n->str[0] && rwi_ys_string(c, n, "prime", &x->prime) != RW_OK)
        return RW_ERR_FORMAT;
    if ((n = rwi_ymap_get(g, "stop_at")) && rwi_ys_string(c, n, "stop_at", &x->stop_at) != RW_OK)
        return RW_ERR_FORMAT;
    return RW_OK;
}

void rwi_mconfig_free(rw_model *m)
{
    rw_file_list_free(&m->data.train);
    rw_file_list_free(&m->data.valid);
    rw_file_list_free(&m->data.test);
    rwi_free(m->train.checkpoint_path);
    rwi_free(m->train.log_path);
    rwi_free(m->gen.prime);
    rwi_free(m->bos);
    rwi_free(m->eos);
    rwi_free(m->gen.stop_at);
}
