/* Exact match and loss of an encoder-decoder on source<TAB>target files and
 * on its own splits, for `rewind eval` and `rewind train`. */
#include <stdlib.h>
#include <string.h>
#include "seq2seq_tools.h"

/* One example as a batch of one: its loss, and whether greedy decoding
 * gives the target exactly. */
static rw_status score_row(rw_graph *g, rw_model *m, const rw_tsv_row *row, eval_result *r)
{
    int ns = rw_model_encode(m, row->first, NULL, 0), nt = rw_model_encode(m, row->second, NULL, 0);
    if (ns < 1 || nt < 1) {
        r->skipped++;
        return ns < 0 || nt < 0 ? rw_last_status() : RW_OK;
    }
    rw_tensor *src = rw_tensor_new(RW_INT32, rw_shape2(ns, 1)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(nt, 1));
    rw_status st = src && tgt ? RW_OK : rw_last_status();
    if (st == RW_OK) {
        rw_model_encode(m, row->first, src->idata, ns);
        rw_model_encode(m, row->second, tgt->idata, nt);
        rw_graph_reset(g);
        rw_node *L = rw_model_loss(g, m, &(rw_model_batch){ .inputs = src, .targets = tgt });
        if (!L)
            st = rw_last_status();
        else {
            r->loss_sum += (double)rw_scalar(L) * (nt + 1);
            r->weight += nt + 1;
        }
    }
    rw_hypothesis h;
    int got = 0;
    rw_translate_opts o = rw_model_translate_defaults(m);
    o.sample = false;
    o.beam = 1;
    o.max_length = nt + 2;
    if (st == RW_OK && (st = rw_model_translate(m, row->first, &o, &h, 1, &got)) == RW_OK) {
        bool same = got == 1 && h.ended && h.length == nt &&
                    !memcmp(h.tokens, tgt->idata, (size_t)nt * sizeof(int32_t));
        r->correct += same;
        r->count++;
        rw_hypotheses_free(&h, got);
    }
    rw_tensor_free(src);
    rw_tensor_free(tgt);
    return st;
}

rw_status seq2seq_eval_files(rw_model *m, const char *const *paths, int n, eval_result *r)
{
    rw_graph *g = rw_graph_new();
    if (!g)
        return rw_last_status();
    rw_graph_set_training(g, false);
    rw_status st = RW_OK;
    for (int i = 0; st == RW_OK && i < n; i++) {
        rw_tsv *t = rw_tsv_open(paths[i], &(rw_tsv_opts){ .first = "source", .second = "target" });
        if (!t) {
            st = rw_last_status();
            break;
        }
        rw_tsv_row row;
        int got;
        while (st == RW_OK && (got = rw_tsv_next(t, &row)) > 0)
            st = score_row(g, m, &row, r);
        if (st == RW_OK && got < 0)
            st = rw_last_status();
        rw_tsv_close(t);
    }
    rw_graph_free(g);
    return st;
}

rw_status seq2seq_report_exact_match(FILE *f, rw_model *m, rw_model_split split, const char *what)
{
    long right = 0, count = 0;
    rw_status st = rw_model_exact_match(m, split, &right, &count);
    if (st == RW_OK && count > 0)
        fprintf(f, "rewind: %s exact match %.2f%% (%ld of %ld)\n", what, 100.0 * (double)right / (double)count, right,
                count);
    return st;
}
