/* model.graph written for a model that is not an encoder-decoder: nodes
 * that read one another in a single chain from the model's input
 *
 *   graph:
 *     - {name: emb,  layer: {embedding: {size: 16}},           in: [text]}
 *     - {name: rnn,  layer: {gru: {size: 32, output: last}},   in: [emb]}
 *     - {name: head, layer: {linear: {size: classes}},         in: [rnn]}
 *
 * is the layer list [emb, rnn, head] with those names: it is rewritten into
 * one (new YAML nodes at the original positions, so later errors still
 * point into the file) and parsed as such. A graph is such a chain when no
 * node reads 'source' or 'target' and the data is not tsv_seq2seq. */
#include <stdio.h>
#include <string.h>
#include "yaml/diag.h"
#include "model_internal.h"

#define CHAIN_MAX 32

static const char *const chain_node_keys[] = { "name", "layer", "in", "attention", NULL };

typedef struct cnode {
    char name[64];
    const ynode *item, *name_at, *layer, *in_at;
    int in;          /* node index, or -1 for the model's input */
    int reader;      /* the node that reads this one, or -1 */
} cnode;

/* The one name in `in` ([x] or x). */
static const ynode *single_input(const ynode *in)
{
    if (in->kind == Y_SCALAR)
        return in;
    if (rwi_ys_expect(in, Y_SEQ, "in") != RW_OK)
        return NULL;
    if (in->n != 1) {
        rwi_ydiag(RW_ERR_FORMAT, in, "a node of a layer graph reads one input (got %d); branches and "
                  "concatenations are written only as an encoder-decoder (docs/model-format.md)", in->n);
        return NULL;
    }
    return in->vals[0];
}

static bool is_seq2seq_input(const ynode *n)
{
    return n->kind == Y_SCALAR && (!strcmp(n->str, "source") || !strcmp(n->str, "target"));
}

bool rwi_mgraph_is_chain(const rw_model *m, const ynode *graph)
{
    if (m->data.kind == RW_DATA_TSV_SEQ2SEQ || graph->kind != Y_SEQ)
        return false;
    for (int i = 0; i < graph->n; i++) {
        const ynode *in = rwi_ymap_get(graph->vals[i], "in");
        if (in && is_seq2seq_input(in))
            return false;
        for (int k = 0; in && in->kind == Y_SEQ && k < in->n; k++)
            if (is_seq2seq_input(in->vals[k]))
                return false;
    }
    return true;
}

static int find(const cnode *n, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(n[i].name, name))
            return i;
    return -1;
}

static ynode *at_pos(rw_model *m, ykind kind, const ynode *pos, const char *str)
{
    ynode *y = rwi_ynode_new(&m->heap, kind, pos->src, pos->line, pos->col, str);
    if (y) {
        y->start = pos->start;
        y->end = pos->end;
    }
    return y;
}

/* {<type>: spec} with `name: <the node's name>` added to spec. */
static ynode *layer_item(rw_model *m, const cnode *c)
{
    const ynode *layer = c->layer, *spec;
    if (rwi_ys_expect(layer, Y_MAP, "layer") != RW_OK)
        return NULL;
    if (layer->n != 1) {
        rwi_ydiag(RW_ERR_FORMAT, layer, "'layer' holds one layer type, e.g. {gru: {size: 32}} (got %d keys)", layer->n);
        return NULL;
    }
    spec = layer->vals[0];
    if (spec->kind == Y_MAP && rwi_ymap_get(spec, "name")) {
        rwi_ydiag(RW_ERR_FORMAT, rwi_ymap_key(spec, "name"), "in a graph the node's 'name' names the layer; drop "
                  "this one");
        return NULL;
    }
    ynode *item = at_pos(m, Y_MAP, layer, NULL), *copy = at_pos(m, Y_MAP, spec, NULL);
    ynode *key = at_pos(m, Y_SCALAR, c->name_at, "name");
    if (!item || !copy || !key)
        return NULL;
    if (spec->kind == Y_MAP) {
        for (int i = 0; i < spec->n; i++)
            if (rwi_ynode_append(copy, spec->keys[i], spec->vals[i]) != RW_OK)
                return NULL;
    } else if (spec->kind == Y_SCALAR) { /* dropout: 0.2 */
        ynode *p = at_pos(m, Y_SCALAR, spec, "p");
        if (!p || rwi_ynode_append(copy, p, (ynode *)spec) != RW_OK)
            return NULL;
    } else { /* not a layer's mapping: parsed as written, so that the error is the list's */
        return (ynode *)layer;
    }
    if (rwi_ynode_append(copy, key, (ynode *)c->name_at) != RW_OK ||
        rwi_ynode_append(item, (ynode *)layer->keys[0], copy) != RW_OK)
        return NULL;
    return item;
}

static rw_status cycle_error(const cnode *n, int from)
{
    char chain[512] = "";
    size_t len = 0;
    int at = from;
    bool seen[CHAIN_MAX] = { false };
    while (at >= 0 && !seen[at]) { /* walk back along the inputs until a node repeats: it is on the cycle */
        seen[at] = true;
        at = n[at].in;
    }
    if (at < 0)
        return rwi_ydiag(RW_ERR_FORMAT, n[from].in_at, "node '%s' is not connected to the input", n[from].name);
    int start = at;
    do {
        len += (size_t)snprintf(chain + len, sizeof chain - len, "%s -> ", n[at].name);
        at = n[at].in;
    } while (at != start && len < sizeof chain - 70);
    snprintf(chain + len, sizeof chain - len, "%s", n[start].name);
    return rwi_ydiag(RW_ERR_FORMAT, n[start].in_at, "the graph has a cycle: %s (a node cannot depend on itself)",
                     chain);
}

ynode *rwi_mgraph_chain_layers(rw_model *m, const ynode *model, const ynode *graph)
{
    const ynode *inputs = rwi_ymap_get(model, "inputs");
    const char *input = inputs && inputs->kind == Y_MAP && inputs->n == 1 ? inputs->keys[0]->str : "input";
    cnode n[CHAIN_MAX];
    int count = graph->n;
    if (count < 1 || count > CHAIN_MAX) {
        rwi_ydiag(RW_ERR_FORMAT, graph, "a layer graph has 1 to %d nodes (got %d)", CHAIN_MAX, count);
        return NULL;
    }
    for (int i = 0; i < count; i++) {
        const ynode *item = graph->vals[i], *x;
        n[i] = (cnode){ .item = item, .in = -1, .reader = -1 };
        if (rwi_ys_expect(item, Y_MAP, "a graph node") || rwi_ys_keys(item, "a graph node", chain_node_keys) ||
            rwi_ys_need(item, "name", "a graph node", &n[i].name_at) ||
            rwi_ys_text(&m->ctx, n[i].name_at, "name", n[i].name, sizeof n[i].name, NULL) ||
            rwi_ys_need(item, "layer", "a graph node", &n[i].layer) || rwi_ys_need(item, "in", "a graph node", &x) ||
            !(n[i].in_at = single_input(x)))
            return NULL;
        if ((x = rwi_ymap_key(item, "attention"))) {
            rwi_ydiag(RW_ERR_FORMAT, x, "attention belongs to the decoder of an encoder-decoder (nodes reading "
                      "'source' and 'target', data kind tsv_seq2seq); this graph is a chain of layers");
            return NULL;
        }
        int prev = find(n, i, n[i].name);
        if (prev >= 0 || !strcmp(n[i].name, input)) {
            rwi_ydiag(RW_ERR_FORMAT, n[i].name_at, prev >= 0 ? "two graph nodes are named '%s'" :
                      "'%s' is the model's input; name the node otherwise", n[i].name);
            return NULL;
        }
    }
    int root = -1;
    for (int i = 0; i < count; i++) {
        char name[64];
        if (rwi_ys_text(&m->ctx, n[i].in_at, "in", name, sizeof name, NULL) != RW_OK)
            return NULL;
        if (!strcmp(name, input)) {
            if (root >= 0) {
                rwi_ydiag_note(RW_ERR_FORMAT, n[i].in_at, n[root].in_at, "the other one", "two nodes read the input "
                               "'%s'; a layer graph is one chain", input);
                return NULL;
            }
            root = i;
            continue;
        }
        if ((n[i].in = find(n, count, name)) < 0) {
            const char *names[CHAIN_MAX + 1];
            char hint[128];
            for (int k = 0; k < count; k++)
                names[k] = n[k].name;
            names[count] = input;
            rwi_ydiag(RW_ERR_FORMAT, n[i].in_at, "unknown input '%s' (the graph's input is '%s'%s, and its nodes' "
                      "names)%s", name, input, inputs ? " from model.inputs" : ", or the name in model.inputs",
                      rwi_ysuggest(name, names, count + 1, hint, sizeof hint));
            return NULL;
        }
        cnode *from = &n[n[i].in];
        if (from->reader >= 0) {
            rwi_ydiag_note(RW_ERR_FORMAT, n[i].in_at, n[from->reader].in_at, "the other one", "two nodes read '%s'; a "
                           "layer graph is one chain (no branches)", from->name);
            return NULL;
        }
        from->reader = i;
    }
    if (root < 0) { /* every node reads another: following the inputs from any node goes round a cycle */
        cycle_error(n, 0);
        return NULL;
    }
    ynode *layers = at_pos(m, Y_SEQ, graph, NULL);
    int done = 0;
    for (int at = root; at >= 0 && layers; at = n[at].reader, done++) {
        ynode *item = layer_item(m, &n[at]);
        if (!item || rwi_ynode_append(layers, NULL, item) != RW_OK)
            return NULL;
    }
    if (layers && done < count) { /* every node not reached from the input is on or behind a cycle */
        for (int i = 0; i < count; i++) {
            bool reached = false;
            for (int at = root; at >= 0 && !reached; at = n[at].reader)
                reached = at == i;
            if (!reached) {
                cycle_error(n, i);
                return NULL;
            }
        }
    }
    return layers;
}
