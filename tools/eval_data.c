/* Scoring a model for `rewind eval`: over a source of the model's own
 * batches, or over files read with data/ (rewind/corpus.h) and the
 * model's vocabulary (kind chars: the text in windows of train.batch.bptt
 * steps over parallel streams; kind tsv_classify: label<TAB>text lines in
 * padded batches). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "walk.h"
#include "seq2seq_tools.h"

enum { EVAL_STREAMS = 16, EVAL_BATCH = 32 };

/* Adds one batch's loss (and, for a classifier, its accuracy) to r. */
static rw_status score(rw_graph *g, rw_model *m, const rw_model_batch *b, double weight, eval_result *r)
{
    rw_graph_reset(g);
    if (r->mc_passes > 0) { /* probabilities averaged over passes with dropout on */
        rw_node *p = rw_model_mc_probs(g, m, b, r->mc_passes);
        if (!p)
            return rw_last_status();
        long n = 0, right = 0;
        double loss = rw_model_mc_loss(p, b, &n, &right);
        bool classes = rw_model_classes(m) > 0;
        r->loss_sum += (classes ? (double)n : weight) * loss;
        r->weight += classes ? (double)n : weight;
        r->correct += classes ? right : 0;
        r->count += classes ? n : 0;
        return RW_OK;
    }
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
        if (r->metrics)
            eval_metrics_class(r->metrics, best, label);
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

void eval_count_unknown(const rw_model *m, const int32_t *ids, int n, eval_result *r)
{
    int unk = rw_model_unk_id(m);
    for (int i = 0; i < n; i++)
        r->unknown += unk >= 0 && ids[i] == unk;
    r->symbols += n;
}

void eval_print_unknown(FILE *f, const eval_result *r)
{
    if (r->unknown > 0)
        fprintf(f, "  unknown symbols %ld of %ld (%.2f%%)", r->unknown, r->symbols,
                100.0 * (double)r->unknown / (double)r->symbols);
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
    eval_count_unknown(m, ids, n, r);
    const rw_model_train_config *t = rw_model_train_config_of(m);
    int T = t->bptt > 0 ? t->bptt : 64;
    rw_windows w;
    rw_status s = rw_windows_init(&w, ids, (size_t)n,
                                  &(rw_windows_opts){ .streams = EVAL_STREAMS, .window = T, .fit_streams = true });
    int B = s == RW_OK ? w.streams : 0;
    int32_t *in_ids = s == RW_OK ? malloc(2 * (size_t)T * (size_t)B * sizeof *in_ids) : NULL;
    int32_t *tgt_ids = in_ids ? in_ids + (size_t)T * (size_t)B : NULL;
    rw_model_state *state = in_ids && t->carry_state ? rw_model_state_new(m, B) : NULL;
    rw_graph *g = in_ids ? rw_graph_new() : NULL;
    if (s == RW_OK && !in_ids)
        s = rw_error(RW_ERR_NOMEM, "out of memory for windows of %d x %d tokens", T, B);
    else if (s == RW_OK && ((t->carry_state && !state) || !g))
        s = rw_last_status();
    if (g)
        rw_graph_set_training(g, false);
    for (int Tw; s == RW_OK && (Tw = rw_windows_next(&w, in_ids, tgt_ids)) > 0;) {
        rw_tensor *in = rw_tensor_new(RW_INT32, rw_shape2(Tw, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(Tw, B));
        if (in && tgt) {
            memcpy(in->idata, in_ids, in->size * sizeof *in_ids);
            memcpy(tgt->idata, tgt_ids, tgt->size * sizeof *tgt_ids);
            rw_model_batch batch = { .inputs = in, .targets = tgt, .state = state };
            s = score(g, m, &batch, (double)Tw * B, r);
        } else {
            s = rw_last_status();
        }
        rw_tensor_free(in);
        rw_tensor_free(tgt);
    }
    free(in_ids);
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

/* One example "label<TAB>text" into the pending batch. */
static rw_status add_row(rw_model *m, const rw_tsv_row *row, pending *p, eval_result *r)
{
    int label = find_label(m, row->first);
    if (label < 0)
        return rw_error(RW_ERR_FORMAT, "%s:%d: label '%s' is not one the model was trained on", row->path, row->line,
                        row->first);
    const char *text = row->second;
    int total = rw_model_encode(m, text, NULL, 0);
    if (total < 0) {
        rw_error_prefix("%s:%d", row->path, row->line);
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
    rw_model_encode(m, text, ids, total);
    eval_count_unknown(m, ids, n, r);
    p->ids[p->n] = ids;
    p->len[p->n] = n;
    p->label[p->n++] = label;
    return RW_OK;
}

static rw_status eval_tsv(rw_model *m, const char *path, eval_result *r)
{
    /* empty columns are not a format error here: an unknown label is
     * reported as such, and a text without tokens is counted as skipped */
    rw_tsv *t = rw_tsv_open(path, &(rw_tsv_opts){ .first = "label", .second = "text", .allow_empty = true });
    rw_graph *g = t ? rw_graph_new() : NULL;
    if (!g) {
        rw_tsv_close(t);
        return rw_last_status();
    }
    rw_graph_set_training(g, false);
    pending p = { .n = 0 };
    rw_status s = RW_OK;
    rw_tsv_row row;
    int got = 0;
    while (s == RW_OK && (got = rw_tsv_next(t, &row)) > 0) {
        s = add_row(m, &row, &p, r);
        if (s == RW_OK && p.n == EVAL_BATCH)
            s = flush(g, m, &p, r);
    }
    if (s == RW_OK && got < 0)
        s = rw_last_status();
    if (s == RW_OK)
        s = flush(g, m, &p, r);
    for (int i = 0; i < p.n; i++)
        free(p.ids[i]);
    rw_graph_free(g);
    rw_tsv_close(t);
    return s;
}

rw_status eval_files(rw_model *m, const char *const *paths, int n, eval_result *r)
{
    rw_data_kind kind = rw_model_data_config_of(m)->kind;
    if (kind == RW_DATA_TSV_SEQ2SEQ)
        return seq2seq_eval_files(m, paths, n, r); /* seq2seq_eval.c */
    if (kind != RW_DATA_CHARS && kind != RW_DATA_TSV_CLASSIFY)
        return rw_error(RW_ERR_ARG, "model '%s': scoring data files is supported for data kinds chars and "
                        "tsv_classify only", rw_model_name(m));
    rw_status s = RW_OK;
    if (kind == RW_DATA_CHARS) { /* the files are one text */
        size_t len;
        char *all = rw_read_files(paths, n, &len);
        if (!all)
            return rw_last_status();
        s = eval_text(m, all, n == 1 ? paths[0] : "the data files", r);
        free(all);
        return s;
    }
    for (int i = 0; s == RW_OK && i < n; i++)
        s = eval_tsv(m, paths[i], r);
    return s;
}
