/* The recurrent state carried from batch to batch, as text for a checkpoint's
 * metadata, so that a resumed run starts its next window from the state the
 * interrupted run had (bit for bit: the values are written as the bytes of
 * each rw_real in hex).
 *
 *   rewind-state 1 <batch> <bytes per value>
 *   <layer> <state> <count> <hex>      one line per state of each recurrent layer
 *
 * Only unidirectional layers carry state between windows this way. */
#include <stdio.h>
#include <string.h>
#include "rewind_internal/alloc.h"
#include "data_internal.h"
#include "model_internal.h"

rw_model_state *rw_model_train_state(rw_model *m)
{
    return m && m->d ? m->d->split[0].state : NULL;
}

/* The carried values of layer i as nodes (views) on g; their count. */
static int layer_states(rw_graph *g, const rw_model_state *s, int i, rw_node **out)
{
    const mlayer *l = &s->m->layers[i];
    if (l->kind != ML_RNN || !s->carry[i] || rw_rnn_directions(l->rnn) != 1)
        return 0;
    if (rw_carry_load_states(g, s->carry[i], out) != RW_OK)
        return -1;
    return rw_rnn_state_count(l->rnn);
}

char *rw_model_state_save(const rw_model_state *s)
{
    if (!s) {
        rw_error(RW_ERR_ARG, "rw_model_state_save: NULL state");
        return NULL;
    }
    if (s->run_fresh)
        return rwi_strdup("", "a saved state"); /* nothing carried yet */
    rw_graph *g = rw_graph_new();
    size_t cap = 64, at = 0;
    char *out = g ? rwi_malloc(cap, "a saved state") : NULL;
    if (out)
        at = (size_t)snprintf(out, cap, "rewind-state 1 %d %zu\n", s->batch, sizeof(rw_real));
    for (int i = 0; out && i < s->m->n_layers; i++) {
        rw_node *nodes[RW_RNN_MAX_LAYERS * 2 * RW_CELL_MAX_STATES];
        int n = layer_states(g, s, i, nodes);
        for (int k = 0; out && k < n; k++) {
            const rw_tensor *t = &nodes[k]->value;
            size_t need = at + 64 + 2 * t->size * sizeof(rw_real);
            char *grown = need > cap ? rwi_realloc(out, cap = 2 * need, "a saved state") : out;
            if (!grown) {
                rwi_free(out);
                out = NULL;
                break;
            }
            out = grown;
            at += (size_t)snprintf(out + at, cap - at, "%d %d %zu ", i, k, t->size);
            const unsigned char *b = (const unsigned char *)t->data;
            for (size_t j = 0; j < t->size * sizeof(rw_real); j++)
                at += (size_t)snprintf(out + at, cap - at, "%02x", b[j]);
            out[at++] = '\n';
            out[at] = '\0';
        }
        if (n < 0) {
            rwi_free(out);
            out = NULL;
        }
    }
    rw_graph_free(g);
    return out;
}

static rw_status bad(const char *why) { return rw_error(RW_ERR_FORMAT, "saved recurrent state: %s", why); }

static int hex(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

/* Reads one line "<layer> <state> <count> <hex>" into the carried nodes' values. */
static rw_status read_line(const char **p, rw_node **nodes, int n, int layer)
{
    int li = -1, k = -1, used = 0;
    size_t count = 0;
    if (sscanf(*p, "%d %d %zu %n", &li, &k, &count, &used) != 3 || li != layer || k < 0 || k >= n)
        return bad("a line does not match the model's recurrent layers");
    rw_tensor *t = &nodes[k]->value;
    const char *h = *p + used;
    if (count != t->size || strspn(h, "0123456789abcdef") != 2 * count * sizeof(rw_real))
        return bad("a state's size does not match the model (another batch size or precision?)");
    unsigned char *b = (unsigned char *)t->data;
    for (size_t j = 0; j < count * sizeof(rw_real); j++)
        b[j] = (unsigned char)(hex(h[2 * j]) << 4 | hex(h[2 * j + 1]));
    h += 2 * count * sizeof(rw_real);
    if (*h != '\n')
        return bad("a line does not end after its values");
    *p = h + 1;
    return RW_OK;
}

rw_status rw_model_state_load(rw_model_state *s, const char *text)
{
    if (!s || !text)
        return rw_error(RW_ERR_ARG, "rw_model_state_load: NULL state or text");
    if (!text[0]) {
        rw_model_state_reset(s);
        return RW_OK;
    }
    int batch = 0, used = 0;
    size_t bytes = 0;
    if (sscanf(text, "rewind-state 1 %d %zu\n%n", &batch, &bytes, &used) != 2 || !used)
        return bad("expected 'rewind-state 1 <batch> <bytes>' first");
    if (batch != s->batch || bytes != sizeof(rw_real))
        return bad("saved for another batch size or precision");
    /* each layer's values are read into copies first; a bad text leaves a fresh state */
    rw_graph *g = rw_graph_new();
    if (!g)
        return rw_last_status();
    rw_status st = RW_OK;
    const char *p = text + used;
    for (int i = 0; st == RW_OK && i < s->m->n_layers; i++) {
        rw_node *nodes[RW_RNN_MAX_LAYERS * 2 * RW_CELL_MAX_STATES];
        int n = layer_states(g, s, i, nodes);
        rw_tensor *copies[RW_RNN_MAX_LAYERS * 2 * RW_CELL_MAX_STATES] = { 0 };
        for (int k = 0; k < n && st == RW_OK; k++)
            if (!(copies[k] = rw_tensor_clone(&nodes[k]->value)) || !(nodes[k] = rw_const(g, copies[k])))
                st = rw_last_status();
        for (int k = 0; k < n && st == RW_OK; k++)
            st = read_line(&p, nodes, n, i);
        if (st == RW_OK && n > 0)
            st = rw_carry_keep_states(s->carry[i], nodes);
        for (int k = 0; k < n; k++)
            rw_tensor_free(copies[k]);
        if (n < 0)
            st = rw_last_status();
    }
    rw_graph_free(g);
    if (st == RW_OK && *p)
        st = bad("more states than the model's recurrent layers hold");
    if (st == RW_OK)
        s->run_fresh = false;
    else
        rw_model_state_reset(s);
    return st;
}
