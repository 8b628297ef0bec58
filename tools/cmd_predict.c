/* rewind predict CHECKPOINT --data FILE: the model's predictions for every
 * example of the files, as tab-separated lines in file order: labels or
 * tags with their probabilities, the likeliest next tokens of a language
 * model, or real values; with --steps one line per step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"
#include "walk.h"

static const cli_opt opts[] = {
    { "data", "FILE", true, "the examples, in the format of the model's data: kind (required)" },
    { "steps", NULL, false, "one line per step: example, step, input, prediction, target" },
    { "top", "K", false, "the K likeliest classes or tokens with their probabilities (default 1)" },
};

static const cli_command predict_cmd = {
    .name = "predict",
    .usage = "CHECKPOINT --data FILE [--data FILE ...] [--steps] [--top K]",
    .summary = "Rebuilds the model a checkpoint of 'rewind train' was trained from and prints its predictions\n"
               "for every example of the files, one tab-separated line each, in file order:\n"
               "  classifier     example  label:probability ...  target label\n"
               "  tagger         example  one tag per step       the target tags\n"
               "  language model example  next token:probability ... (after the last step)  target\n"
               "  regression     example  values (steps separated by ';')  target values\n"
               "With --steps: one line per step: example, step, input token, prediction, target.\n"
               "Data kinds lines, tsv_classify (an empty label column: no target), tsv_tagging, tsv_vectors,\n"
               "and tsv_seq2seq with target: aligned.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

/* A growing string per example. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *grown = realloc(b->s, cap);
        if (!grown)
            return;
        b->s = grown;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A class or token name fit for a TSV field: tab, newline, space, backslash escaped. */
static void sb_name(sbuf *b, const char *name)
{
    if (!name) {
        sb_printf(b, "?");
        return;
    }
    for (const char *c = name; *c; c++) {
        if (*c == '\t')
            sb_printf(b, "\\t");
        else if (*c == '\n')
            sb_printf(b, "\\n");
        else if (*c == ' ')
            sb_printf(b, "\\x20");
        else if (*c == '\\')
            sb_printf(b, "\\\\");
        else
            sb_printf(b, "%c", *c);
    }
}

typedef struct predict_ctx {
    sbuf *pred, *truth;  /* per example */
    int n;
    bool steps;
    int top;
} predict_ctx;

static const char *class_name(const rw_model *m, int id)
{
    if (id < 0)
        return ""; /* an example read without its label */
    rw_model_target t = rw_model_target_kind(m);
    return t == RW_TARGET_LABEL || t == RW_TARGET_TAGS ? rw_model_label(m, id) : rw_model_token(m, id);
}

/* The top k entries of a probability row, "name:p name:p". */
static void top_k(sbuf *b, const rw_model *m, const rw_real *row, int n, int k)
{
    bool *used = calloc((size_t)n, sizeof *used);
    if (!used)
        return;
    for (int r = 0; r < k && r < n; r++) {
        int best = -1;
        for (int c = 0; c < n; c++)
            if (!used[c] && (best < 0 || row[c] > row[best]))
                best = c;
        used[best] = true;
        if (r)
            sb_printf(b, " ");
        sb_name(b, class_name(m, best));
        sb_printf(b, ":%.4f", (double)row[best]);
    }
    free(used);
}

static void values(sbuf *b, const rw_real *v, int n)
{
    for (int i = 0; i < n; i++)
        sb_printf(b, "%s%.6g", i ? " " : "", (double)v[i]);
}

static void visit(void *vctx, const rw_model *m, const walk_item *it)
{
    predict_ctx *c = vctx;
    rw_model_target t = rw_model_target_kind(m);
    bool real = t == RW_TARGET_VALUE || t == RW_TARGET_VALUES;
    sbuf *p = &c->pred[it->example], *y = &c->truth[it->example];
    if (c->steps && it->step >= 0) { /* a whole line per step */
        sb_printf(p, "%d\t%d\t", it->example, it->step);
        if (it->input >= 0)
            sb_name(p, rw_model_token(m, it->input));
        sb_printf(p, "\t");
        if (real)
            values(p, it->out, it->width);
        else
            top_k(p, m, it->out, it->width, c->top);
        sb_printf(p, "\t");
        if (real)
            values(p, it->truth_values, it->width);
        else
            sb_name(p, class_name(m, it->truth));
        sb_printf(p, "\n");
        return;
    }
    if (t == RW_TARGET_NEXT) { /* a language model: what follows the last step */
        p->len = y->len = 0;
        top_k(p, m, it->out, it->width, c->top);
        sb_name(y, class_name(m, it->truth));
        return;
    }
    const char *sep = it->step > 0 ? (real ? "; " : " ") : "";
    sb_printf(p, "%s", sep);
    sb_printf(y, "%s", sep);
    if (real) {
        values(p, it->out, it->width);
        values(y, it->truth_values, it->width);
    } else {
        if (it->step < 0)
            top_k(p, m, it->out, it->width, c->top);
        else
            sb_name(p, class_name(m, walk_argmax(it->out, it->width)));
        sb_name(y, class_name(m, it->truth));
    }
}

static int predict(rw_model *m, const cli_args *a)
{
    int n_data;
    const char *const *data = cli_get_all(a, "data", &n_data);
    long top = 1;
    bool ok = true;
    cli_long(a, "top", 1, 1 << 20, &top, &ok);
    rw_seqdata *d = rw_model_read_examples(m, data, n_data);
    if (!d)
        return EXIT_FAIL;
    predict_ctx c = { .n = rw_seqdata_count(d), .steps = cli_has(a, "steps"), .top = (int)top };
    c.pred = calloc((size_t)c.n, sizeof *c.pred);
    c.truth = calloc((size_t)c.n, sizeof *c.truth);
    rw_status st = c.pred && c.truth ? walk_examples(m, d, visit, &c, NULL, NULL)
                                     : rw_error(RW_ERR_NOMEM, "out of memory for %d predictions", c.n);
    for (int i = 0; st == RW_OK && i < c.n; i++) {
        if (c.steps && rw_model_target_kind(m) != RW_TARGET_LABEL && rw_model_target_kind(m) != RW_TARGET_VALUE)
            fputs(c.pred[i].s ? c.pred[i].s : "", stdout);
        else
            printf("%d\t%s\t%s\n", i, c.pred[i].s ? c.pred[i].s : "", c.truth[i].s ? c.truth[i].s : "");
    }
    for (int i = 0; i < c.n && c.pred && c.truth; i++) {
        free(c.pred[i].s);
        free(c.truth[i].s);
    }
    free(c.pred);
    free(c.truth);
    rw_seqdata_free(d);
    return st == RW_OK ? EXIT_OK : EXIT_FAIL;
}

int cmd_predict(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&predict_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    if (!cli_has(&a, "data")) {
        cli_error("predict", "--data FILE is required (the examples to predict)");
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    long top = 1;
    bool ok = true;
    cli_long(&a, "top", 1, 1 << 20, &top, &ok);
    if (!ok) {
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    rw_model *m = rw_model_from_checkpoint(a.pos[0], NULL);
    st = m ? predict(m, &a) : EXIT_FAIL;
    if (st == EXIT_FAIL)
        cli_error("predict", "%s", rw_last_error());
    rw_model_free(m);
    cli_args_free(&a);
    return st;
}
