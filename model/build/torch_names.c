/* The map between a model's parameters and a PyTorch state dict
 * (rewind/model_safetensors.h, docs/interchange.md): which torch tensor each
 * parameter is, and the layers that have no exact torch equivalent. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"
#include "torch_names.h"

static rw_status refuse(const mlayer *l, const char *fmt, const char *detail)
{
    char why[256];
    snprintf(why, sizeof why, fmt, detail);
    return rw_error(RW_ERR_ARG, "layer '%s' (%s): %s; it has no exact PyTorch equivalent (save it with rewind's names)",
                    l->name, l->type, why);
}

/* The cell's torch module, or an error saying why there is none. */
static rw_status torch_cell(const mlayer *l, const rw_cell *c, rwi_torch_kind *kind)
{
    const rw_cell_def *def = rw_cell_definition(c);
    const void *opts = rw_cell_opts(c);
    if (def == &rw_lstm_cell) {
        const rw_lstm_opts *o = opts;
        const char *bad = o->layer_norm ? "layer_norm" : o->peephole ? "peephole" : o->coupled_gates ? "coupled_gates"
                        : !o->input_gate ? "input_gate: false" : !o->forget_gate ? "forget_gate: false"
                        : !o->output_gate ? "output_gate: false" : o->input_activation != RW_ACT_TANH ? "input_activation: none"
                        : o->output_activation != RW_ACT_TANH ? "output_activation: none"
                        : o->full_gate_recurrence ? "full_gate_recurrence" : NULL;
        if (bad)
            return refuse(l, "torch.nn.LSTM has no %s", bad);
        *kind = RWI_TORCH_LSTM;
        return RW_OK;
    }
    if (def == &rw_gru_cell) {
        const rw_gru_opts *o = opts;
        if (!o->reset_after)
            return refuse(l, "%s", "the lecture-form GRU (reset_after: false) applies r before the recurrent matmul, "
                                   "torch.nn.GRU after it (set reset_after: true)");
        if (o->layer_norm)
            return refuse(l, "torch.nn.GRU has no %s", "layer_norm");
        *kind = RWI_TORCH_GRU;
        return RW_OK;
    }
    if (def == &rw_irnn_cell) {
        *kind = RWI_TORCH_RNN;
        return RW_OK;
    }
    if (def == &rw_elman_cell) {
        rw_activation a = ((const rw_elman_opts *)opts)->activation;
        if (a != RW_ACT_TANH && a != RW_ACT_RELU)
            return refuse(l, "torch.nn.RNN's nonlinearity is tanh or relu, not %s", a == RW_ACT_SIGMOID ? "sigmoid" : "none");
        *kind = RWI_TORCH_RNN;
        return RW_OK;
    }
    return refuse(l, "cell '%s' is not an LSTM, GRU or Elman cell", def->name);
}

static rwi_torch_entry *next_entry(rwi_torch_map *map, const rw_model *m, const char *rewind_name)
{
    if (map->n == map->cap) {
        int cap = map->cap ? 2 * map->cap : 16;
        rwi_torch_entry *e = rwi_realloc(map->e, (size_t)cap * sizeof *e, "the torch name map");
        if (!e)
            return NULL;
        map->e = e;
        map->cap = cap;
    }
    rw_param *p = rw_params_get(m->P, rewind_name);
    if (!p) {
        rw_error(RW_ERR_STATE, "the model has no parameter '%s' (the torch name map is out of date)", rewind_name);
        return NULL;
    }
    rwi_torch_entry *e = &map->e[map->n++];
    memset(e, 0, sizeof *e);
    e->param = p;
    return e;
}

/* One parameter "<prefix><short>" as "<name>.<torch>" (and "<name>.<sum_with>"). */
static rw_status add(rwi_torch_map *map, const rw_model *m, const char *prefix, const char *short_name,
                     const char *name, const char *torch, const char *suffix, const char *sum_with)
{
    char rn[RWI_TORCH_NAME_MAX];
    if ((size_t)snprintf(rn, sizeof rn, "%s%s", prefix, short_name) >= sizeof rn)
        return rw_error(RW_ERR_ARG, "layer name '%.40s...' is too long for the torch name map", name);
    rwi_torch_entry *e = next_entry(map, m, rn);
    if (!e)
        return rw_last_status();
    bool fits = (size_t)snprintf(e->torch[0], sizeof e->torch[0], "%s.%s%s", name, torch, suffix) < sizeof e->torch[0];
    if (sum_with)
        fits = fits && (size_t)snprintf(e->torch[1], sizeof e->torch[1], "%s.%s%s", name, sum_with, suffix) < sizeof e->torch[1];
    return fits ? RW_OK : rw_error(RW_ERR_ARG, "layer name '%.40s...' is too long for the torch name map", name);
}

static rw_status add_rnn(rwi_torch_map *map, const rw_model *m, const mlayer *l)
{
    rwi_torch_kind kind = RWI_TORCH_RNN;
    if (l->ro.initial_state == RW_STATE_LEARNED)
        return refuse(l, "%s", "a learned initial state (torch modules take h0 as an input)");
    int layers = rw_rnn_layers(l->rnn), dirs = rw_rnn_directions(l->rnn);
    if (dirs == 2 && layers > 1 && l->ro.merge != RW_DIRS_CONCAT)
        return refuse(l, "%s", "stacked bidirectional layers whose directions are summed or averaged "
                               "(torch.nn's next layer reads them side by side)");
    for (int k = 0; k < layers; k++)
        for (int d = 0; d < dirs; d++) {
            const rw_cell *c = rw_rnn_cell(l->rnn, k, d);
            if (torch_cell(l, c, &kind) != RW_OK)
                return rw_last_status();
            char prefix[RWI_TORCH_NAME_MAX], suffix[32];
            snprintf(prefix, sizeof prefix, "%s.l%d%s.", l->name, k, d ? ".rev" : "");
            snprintf(suffix, sizeof suffix, "_l%d%s", k, d ? "_reverse" : "");
            bool gru = kind == RWI_TORCH_GRU;
            int first = map->n;
            if (add(map, m, prefix, "W", l->name, "weight_ih", suffix, NULL) != RW_OK ||
                add(map, m, prefix, "U", l->name, "weight_hh", suffix, NULL) != RW_OK ||
                add(map, m, prefix, "b", l->name, "bias_ih", suffix, gru ? NULL : "bias_hh") != RW_OK ||
                (gru && add(map, m, prefix, "c", l->name, "bias_hh", suffix, NULL) != RW_OK))
                return rw_last_status();
            int H = rw_cell_hidden(c);
            for (int i = first; gru && i < map->n; i++) { /* torch's z is rewind's 1 - z: sigmoid(-a) */
                map->e[i].neg_from = H;
                map->e[i].neg_rows = H;
            }
        }
    return RW_OK;
}

void rwi_torch_map_free(rwi_torch_map *map)
{
    rwi_free(map->e);
    memset(map, 0, sizeof *map);
}

rw_status rwi_torch_map_build(const rw_model *m, rwi_torch_map *map)
{
    memset(map, 0, sizeof *map);
    if (m->s2s)
        return rw_error(RW_ERR_ARG, "model '%s' is an encoder-decoder (model.graph): it has no PyTorch state-dict map "
                        "(save it with rewind's names)", m->name ? m->name : "?");
    rw_status st = RW_OK;
    for (int i = 0; st == RW_OK && i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        char prefix[RWI_TORCH_NAME_MAX];
        snprintf(prefix, sizeof prefix, "%s.", l->name);
        if (l->kind == ML_EMBEDDING)
            st = add(map, m, prefix, "E", l->name, "weight", "", NULL);
        else if (l->kind == ML_LINEAR)
            st = add(map, m, prefix, "W", l->name, "weight", "", NULL) == RW_OK
                     ? add(map, m, prefix, "b", l->name, "bias", "", NULL) : rw_last_status();
        else if (l->kind == ML_RNN)
            st = add_rnn(map, m, l);
    }
    if (st == RW_OK && map->n != rw_params_count(m->P)) { /* a parameter no layer above accounts for */
        for (int i = 0; i < rw_params_count(m->P); i++) {
            rw_param *p = rw_params_at(m->P, i);
            bool mapped = false;
            for (int j = 0; j < map->n && !mapped; j++)
                mapped = map->e[j].param == p;
            if (!mapped) {
                st = rw_error(RW_ERR_ARG, "parameter '%s' has no PyTorch counterpart (save the model with rewind's names)",
                              p->name);
                break;
            }
        }
    }
    if (st != RW_OK)
        rwi_torch_map_free(map);
    return st;
}
