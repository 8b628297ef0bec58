/* rw_model_diagnose: ||dL/dh_t|| of every recurrent layer for a loss on the
 * last step, over random token ids, and the recurrent matrices' spectral
 * radii (rewind/model_diagnostics.h). */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "rewind/diagnostics.h"
#include "rewind/model_diagnostics.h"
#include "model_internal.h"

/* One series per (layer, stacked layer, direction) of the recurrent layers. */
static rw_status collect(rw_model *m, const rw_seq *runs, const rw_gate_saturation *gates, int T,
                         rw_model_diagnosis *out)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].kind == ML_RNN)
            n += rw_rnn_layers(m->layers[i].rnn) * rw_rnn_directions(m->layers[i].rnn);
    out->series = rwi_calloc((size_t)(n ? n : 1), sizeof *out->series, "diagnosis series");
    if (!out->series)
        return RW_ERR_NOMEM;
    for (int i = 0; i < m->n_layers; i++) {
        const rw_rnn *r = m->layers[i].rnn;
        if (m->layers[i].kind != ML_RNN)
            continue;
        for (int l = 0; l < rw_rnn_layers(r); l++)
            for (int d = 0; d < rw_rnn_directions(r); d++) {
                rw_model_diag_series *s = &out->series[out->n++];
                snprintf(s->name, sizeof s->name, "%s.l%d%s", m->layers[i].name, l, d ? ".rev" : "");
                if (!(s->grad_norm = rwi_calloc((size_t)T, sizeof *s->grad_norm, "gradient norms")))
                    return RW_ERR_NOMEM;
                if (rw_rnn_grad_norms(r, &runs[i], l, d, s->grad_norm) != RW_OK)
                    return rw_last_status();
                int k = rw_rnn_recurrent_radii(r, l, d, s->radius, RW_DIAG_MAX_RADII);
                s->n_radii = k < RW_DIAG_MAX_RADII ? k : RW_DIAG_MAX_RADII;
                s->gates = gates[i * M_DIAG_GATES + l * rw_rnn_directions(r) + d];
            }
    }
    return RW_OK;
}

rw_status rw_model_diagnose(rw_model *m, const rw_model_diagnose_opts *opts, rw_model_diagnosis *out)
{
    if (!out)
        return rw_error(RW_ERR_ARG, "rw_model_diagnose: NULL output");
    memset(out, 0, sizeof *out);
    if (!m || !m->has_layers)
        return rw_error(RW_ERR_ARG, "rw_model_diagnose: needs a model with layers");
    rw_model_diagnose_opts o = opts ? *opts : (rw_model_diagnose_opts){ 0 };
    int T = o.steps ? o.steps : 50, B = o.batch ? o.batch : 8, V = m->vocab.n;
    if (T < 1 || B < 1 || T > 100000 || B > 4096)
        return rw_error(RW_ERR_ARG, "rw_model_diagnose: steps %d and batch %d must be in 1..100000 and 1..4096", T, B);
    rw_rng rng = rw_rng_seed(o.seed ? o.seed : 1);
    rw_tensor *ids = rw_tensor_new(RW_INT32, rw_shape2(T, B)), *tgt = rw_tensor_new(RW_INT32, rw_shape2(T, B)),
              *lab = rw_tensor_new(RW_INT32, rw_shape1(B));
    rw_seq runs[M_MAX_LAYERS];
    rw_gate_saturation *gates = rwi_calloc(M_MAX_LAYERS * M_DIAG_GATES, sizeof *gates, "gate saturation counts");
    rw_graph *g = rw_graph_new();
    rw_status st = RW_ERR_NOMEM;
    if (!ids || !tgt || !lab || !g || !gates)
        goto done;
    for (int i = 0; i < T * B; i++) {
        ids->idata[i] = (int32_t)rw_rng_below(&rng, (uint64_t)V);
        tgt->idata[i] = i >= (T - 1) * B ? (int32_t)rw_rng_below(&rng, (uint64_t)V) : RW_PAD;
    }
    for (int b = 0; b < B; b++)
        lab->idata[b] = m->target == MT_LABEL ? (int32_t)rw_rng_below(&rng, (uint64_t)m->labels.n) : 0;
    rw_graph_set_training(g, false);
    memset(runs, 0, sizeof runs);
    m->diag_runs = runs;
    m->diag_gates = gates;
    rw_node *loss = rw_model_loss(g, m, &(rw_model_batch){ .inputs = ids, .targets = tgt, .labels = lab });
    m->diag_runs = NULL;
    m->diag_gates = NULL;
    rw_params_zero_grad(m->P);
    if (!loss || (st = rw_backward(g, loss)) != RW_OK) {
        st = rw_last_status();
        goto done;
    }
    out->steps = T;
    st = collect(m, runs, gates, T, out);
    rw_params_zero_grad(m->P);
done:
    if (st != RW_OK)
        rw_model_diagnosis_free(out);
    rw_graph_free(g);
    rwi_free(gates);
    rw_tensor_free(ids);
    rw_tensor_free(tgt);
    rw_tensor_free(lab);
    return st;
}

void rw_model_diagnosis_free(rw_model_diagnosis *d)
{
    if (!d)
        return;
    for (int i = 0; d->series && i < d->n; i++)
        rwi_free(d->series[i].grad_norm);
    rwi_free(d->series);
    memset(d, 0, sizeof *d);
}
