/* Scoring a model for `rewind eval`: over a source of the model's own
 * batches, or over files read here with the model's vocabulary (kind
 * chars: the text in windows of train.batch.bptt steps over parallel
 * streams; kind tsv_classify: label<TAB>text lines in padded batches). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"

enum { EVAL_STREAMS = 16, EVAL_BATCH = 32 };

/* Adds one batch's loss (and, for a classifier, its accuracy) to r. */
static rw_status score(rw_graph *g, rw_model *m, const rw_model_batch *b, double weight, eval_result *r)
{
    rw_graph_reset(g);
    if (rw_model_classes(m) == 0) {
        rw_node *L = rw_model_loss(g, m, b);
        if (!L)
            return rw_last_status();
        r->loss_sum += weight * (double)rw_scalar(L);
        r->weight += weight;
        return RW_OK;
    }
    rw_node *z = rw_model_logits(g, m, b);
    if (!z)
        return rw_last_status();
    int B = (int)b->labels->size, C = rw_model_classes(m);
    const rw_real *v = rw_node_value(z)->data;
    for (int i = 0; i < B; i++) {
        const rw_real *row = v + (size_t)i * (size_t)C;
        int best = 0;
        for (int c = 1; c < C; c++)
            best = row[c] > row[best] ? c : best;
        double sum = 0;
        for (int c = 0; c < C; c++)
            sum += exp((double)row[c] - (double)row[best]);
        int label = b->labels->idata[i];
        r->loss_sum += log(sum) + (double)row[best] - (double)row[label];
        r->correct += best == label;
    }
    r->weight += B;
    r->count += B;
    return RW_OK;
}

rw_status eval_source(rw_model *m, const rw_train_source *src, eval_result *r)
{
    rw_graph *g = rw_graph_new();
    if (!g)
        return rw_last_status();
    rw_graph_set_training(g, false);
    rw_status s = src->start_epoch ? src->start_epoch(src->ctx, 0) : RW_OK;
    while (s == RW_OK) {
        void *batch = NULL;
        if ((s = src->next(src->ctx, &batch)) != RW_OK || !batch)
            break;
        double w = src->weight ? src->weight(src->ctx, batch) : 1.0;
        s = score(g, m, batch, w, r);
    }
    rw_graph_free(g);
    return s;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rw_error(RW_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        rw_error(bad ? RW_ERR_IO : RW_ERR_NOMEM, "cannot read '%s'", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- kind chars ------------------------------------------------------------ */

static rw_status eval_text(rw_model *m, const char *text, const char *what, eval_result *r)
{
    int n = rw_model_encode(m, text, NULL, 0);
    if (n < 0) {
        rw_error_prefix("%s", what);
        return rw_last_status();
    }
    if (n < 2)
        return rw_error(RW_ERR_FORMAT, "%s: %d tokens: too short to score", what, n);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    if (!ids)
        return rw_error(RW_ERR_NOMEM, "out of memory for %d tokens", n);
    rw_model_encode(m, text, ids, n);
    const rw_model_train_config *t = rw_model_train_config_of(m);
    int T = t->bptt > 0 ? t->bptt : 64, B = EVAL_STREAMS;
    while (B > 1 && (n - 1) / B < T + 1)
        B--;
    int seg = (n - 1) / B;
    rw_model_state *state = t->carry_state ? rw_model_state_new(m, B) : NULL;
    rw_graph *g = rw_graph_new();
    rw_status s = (t->carry_state && !state) || !g ? rw_last_status() : RW_OK;
    if (g)
        rw_graph_set_training(g, false);
    for (int t0 = 0; s == RW_OK && t0 < seg; t0 += T) {
        int Tw = seg - t0 < T ? seg - t0 : T;
        rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(Tw, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(Tw, B));
        if (in && tgt) {
            for (int i = 0; i < Tw; i++)
                for (int b = 0; b < B; b++) {
                    size_t at = (size_t)b * (size_t)seg + (size_t)(t0 + i);
                    in->idata[i * B + b] = ids[at];
                    tgt->idata[i * B + b] = ids[at + 1];
                }
            rw_model_batch batch = { .inputs = in, .targets = tgt, .state = state };
            s = score(g, m, &batch, (double)Tw * B, r);
        } else {
            s = rw_last_status();
        }
        rw_tensor_free(in);
        rw_tensor_free(tgt);
    }
    rw_graph_free(g);
    rw_model_state_free(state);
    free(ids);
    return s;
}

/* ---- kind tsv_classify --------------------------------------------------------------- */

typedef struct pending {
    int32_t *ids[EVAL_BATCH];
    int len[EVAL_BATCH], label[EVAL_BATCH];
    int n;
} pending;

static rw_status flush(rw_graph *g, rw_model *m, pending *p, eval_result *r)
{
    if (!p->n)
        return RW_OK;
    int T = 1;
    for (int i = 0; i < p->n; i++)
        T = p->len[i] > T ? p->len[i] : T;
    rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(T, p->n)), *len = rw_tensor_new(RW_INT32, rw_shape1(p->n)),
              *lab = rw_tensor_new(RW_INT32, rw_shape1(p->n));
    rw_status s = in && len && lab ? RW_OK : rw_last_status();
    if (s == RW_OK) {
        for (int i = 0; i < p->n; i++) {
            for (int t = 0; t < T; t++)
                in->idata[t * p->n + i] = t < p->len[i] ? p->ids[i][t] : RW_PAD;
            len->idata[i] = p->len[i];
            lab->idata[i] = p->label[i];
        }
        rw_model_batch b = { .inputs = in, .lengths = len, .labels = lab };
        s = score(g, m, &b, p->n, r);
    }
    rw_tensor_free(in);
    rw_tensor_free(len);
    rw_tensor_free(lab);
    for (int i = 0; i < p->n; i++)
        free(p->ids[i]);
    p->n = 0;
    return s;
}

static int find_label(const rw_model *m, const char *label)
{
    for (int c = 0; c < rw_model_classes(m); c++) {
        const char *name = rw_model_label(m, c);
        if (name && strcmp(name, label) == 0)
            return c;
    }
    return -1;
}

/* One line "label<TAB>text" into the pending batch. */
static rw_status add_line(rw_model *m, char *line, const char *path, int lineno, pending *p, eval_result *r)
{
    char *tab = strchr(line, '\t');
    if (!tab)
        return rw_error(RW_ERR_FORMAT, "%s:%d: expected label<TAB>text", path, lineno);
    *tab = '\0';
    int label = find_label(m, line);
    if (label < 0)
        return rw_error(RW_ERR_FORMAT, "%s:%d: label '%s' is not one the model was trained on", path, lineno, line);
    int total = rw_model_encode(m, tab + 1, NULL, 0);
    if (total < 0) {
        rw_error_prefix("%s:%d", path, lineno);
        return rw_last_status();
    }
    int max = rw_model_data_config_of(m)->max_length, n = max > 0 && total > max ? max : total;
    if (n == 0) {
        r->skipped++;
        return RW_OK;
    }
    int32_t *ids = malloc((size_t)total * sizeof *ids);
    if (!ids)
        return rw_error(RW_ERR_NOMEM, "out of memory");
    rw_model_encode(m, tab + 1, ids, total);
    p->ids[p->n] = ids;
    p->len[p->n] = n;
    p->label[p->n++] = label;
    return RW_OK;
}

static rw_status eval_tsv(rw_model *m, char *text, const char *path, eval_result *r)
{
    rw_graph *g = rw_graph_new();
    if (!g)
        return rw_last_status();
    rw_graph_set_training(g, false);
    pending p = { .n = 0 };
    rw_status s = RW_OK;
    int lineno = 0;
    for (char *line = text, *next; s == RW_OK && line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (!l)
            continue;
        s = add_line(m, line, path, lineno, &p, r);
        if (s == RW_OK && p.n == EVAL_BATCH)
            s = flush(g, m, &p, r);
    }
    if (s == RW_OK)
        s = flush(g, m, &p, r);
    for (int i = 0; i < p.n; i++)
        free(p.ids[i]);
    rw_graph_free(g);
    return s;
}

rw_status eval_files(rw_model *m, const char *const *paths, int n, eval_result *r)
{
    rw_data_kind kind = rw_model_data_config_of(m)->kind;
    if (kind != RW_DATA_CHARS && kind != RW_DATA_TSV_CLASSIFY)
        return rw_error(RW_ERR_ARG, "model '%s': scoring data files is supported for data kinds chars and "
                        "tsv_classify only", rw_model_name(m));
    rw_status s = RW_OK;
    if (kind == RW_DATA_CHARS) { /* the files are one text */
        char *all = NULL;
        size_t len = 0;
        for (int i = 0; s == RW_OK && i < n; i++) {
            char *one = slurp(paths[i]);
            size_t k = one ? strlen(one) : 0;
            char *grown = one ? realloc(all, len + k + 1) : NULL;
            if (!grown) {
                s = one ? rw_error(RW_ERR_NOMEM, "out of memory") : rw_last_status();
            } else {
                all = grown;
                memcpy(all + len, one, k + 1);
                len += k;
            }
            free(one);
        }
        if (s == RW_OK)
            s = eval_text(m, all, n == 1 ? paths[0] : "the data files", r);
        free(all);
        return s;
    }
    for (int i = 0; s == RW_OK && i < n; i++) {
        char *text = slurp(paths[i]);
        s = text ? eval_tsv(m, text, paths[i], r) : rw_last_status();
        free(text);
    }
    return s;
}
