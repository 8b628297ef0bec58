/* The bridge from one or more encoders' runs to a decoder's initial
 * states: last state or mean output, bidirectional merge, the encoders side
 * by side, learned projection. Ops only. */
#include <stdio.h>
#include "rewind_internal/alloc.h"
#include "rewind/layers.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_reduce.h"
#include "rewind/ops_shape.h"
#include "rewind/seq2seq.h"
#include "rnn_internal.h"

struct rw_bridge {
    rw_bridge_opts o;
    const rw_rnn *encs[RW_BRIDGE_MAX_ENCODERS], *dec;
    int n_enc;
    int n_dec;                                             /* decoder states */
    rw_linear *proj[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES]; /* NULL where widths agree */
};

static int n_states(const rw_rnn *r) { return rw_cell_definition(rw_rnn_cell(r, 0, 0))->n_states; }

/* Encoder e's layer and state that feed decoder layer l, state k
 * (RW_BRIDGE_LAST): the same ones, or its last where it has fewer. */
static void source_of(const rw_rnn *enc, int l, int k, int *le, int *ke)
{
    *le = l < rw_rnn_layers(enc) ? l : rw_rnn_layers(enc) - 1;
    *ke = k < n_states(enc) ? k : n_states(enc) - 1;
}

/* Width of the merged vector of every encoder that feeds decoder layer l, state k. */
static int source_width(const rw_bridge *br, int l, int k)
{
    int total = 0;
    for (int e = 0; e < br->n_enc; e++) {
        const rw_rnn *enc = br->encs[e];
        int dirs = rw_rnn_directions(enc), w, le, ke;
        if (br->o.source == RW_BRIDGE_MEAN) {
            w = rw_rnn_output_size(enc) / dirs;
        } else {
            source_of(enc, l, k, &le, &ke);
            w = rw_cell_state_size(rw_rnn_cell(enc, le, 0), ke);
        }
        total += br->o.merge == RW_MERGE_CONCAT ? w * dirs : w;
    }
    return total;
}

rw_bridge *rw_bridge_new(rw_params *P, const char *name, const rw_rnn *enc, const rw_rnn *dec,
                         const rw_bridge_opts *opts, rw_rng *rng)
{
    return rw_bridge_new_multi(P, name, &enc, 1, dec, opts, rng);
}

rw_bridge *rw_bridge_new_multi(rw_params *P, const char *name, const rw_rnn *const *encs, int n_enc,
                               const rw_rnn *dec, const rw_bridge_opts *opts, rw_rng *rng)
{
    bool ok = P && name && encs && n_enc >= 1 && n_enc <= RW_BRIDGE_MAX_ENCODERS && dec && rng &&
              rw_rnn_directions(dec) == 1;
    for (int e = 0; ok && e < n_enc; e++)
        ok = encs[e] != NULL;
    if (!ok) {
        rw_error(RW_ERR_ARG, "rw_bridge_new('%s'): needs a store, 1 to %d encoders, a unidirectional decoder and a "
                 "generator", name ? name : "(null)", RW_BRIDGE_MAX_ENCODERS);
        return NULL;
    }
    for (int e = 0; e < n_enc; e++)
        if (rw_rnn_directions(encs[e]) == 2 && encs[e]->o.merge != RW_DIRS_CONCAT) { /* the bridge merges them */
            rw_error(RW_ERR_ARG, "rw_bridge_new('%s'): encoder %d must keep its directions apart (merge concat)",
                     name, e);
            return NULL;
        }
    rw_bridge *br = rwi_calloc(1, sizeof *br, "a bridge");
    if (!br)
        return NULL;
    br->o = opts ? *opts : (rw_bridge_opts){ 0 };
    for (int e = 0; e < n_enc; e++)
        br->encs[e] = encs[e];
    br->n_enc = n_enc;
    br->dec = dec;
    int ns = n_states(dec);
    br->n_dec = rw_rnn_state_count(dec);
    for (int l = 0; br->o.source != RW_BRIDGE_ZERO && l < rw_rnn_layers(dec); l++)
        for (int k = 0; k < ns; k++) {
            int in = source_width(br, l, k), out = rw_cell_state_size(rw_rnn_cell(dec, l, 0), k);
            if (in == out && !br->o.project)
                continue;
            char pname[256];
            snprintf(pname, sizeof pname, "%s.l%d.s%d", name, l, k);
            if (!(br->proj[l * ns + k] = rw_linear_new(P, pname, in, out, rng))) {
                rw_bridge_free(br);
                return NULL;
            }
        }
    return br;
}

void rw_bridge_free(rw_bridge *br)
{
    if (!br)
        return;
    for (int i = 0; i < br->n_dec; i++)
        rw_linear_free(br->proj[i]);
    rwi_free(br);
}

static rw_node *merge(rw_graph *g, const rw_bridge *br, rw_node *fw, rw_node *bw)
{
    if (!bw)
        return fw;
    if (br->o.merge == RW_MERGE_SUM)
        return rw_add(g, fw, bw);
    rw_node *both[2] = { fw, bw };
    return rw_concat(g, both, 2, -1);
}

/* Mean of outputs [S, B, W] over each sequence's valid steps (outputs are
 * zero at padded steps, so a sum over time divided by the length). */
static rw_node *mean_output(rw_graph *g, const rw_seq *enc, rw_node *lengths)
{
    rw_node *sum = rw_sum_axis(g, enc->outputs, 0);
    if (!sum)
        return NULL;
    rw_shape s = sum->value.shape;
    rw_node *inv = rw_leaf_new(g, RW_REAL, s, false);
    for (int b = 0; inv && b < s.dim[0]; b++) {
        int len = lengths ? lengths->value.idata[b] : enc->steps;
        for (int j = 0; j < s.dim[1]; j++)
            inv->value.data[(size_t)b * s.dim[1] + j] = len > 0 ? (rw_real)1 / len : 0;
    }
    return rw_mul(g, sum, inv);
}

/* Encoder e's merged vector for decoder layer l, state k; mean holds the
 * mean outputs of every encoder, two directions apart. */
static rw_node *encoder_vector(rw_graph *g, const rw_bridge *br, int e, const rw_seq *enc, rw_node *const *mean,
                               int l, int k)
{
    const rw_rnn *r = br->encs[e];
    if (br->o.source == RW_BRIDGE_MEAN)
        return merge(g, br, mean[2 * e], mean[2 * e + 1]);
    int dirs = rw_rnn_directions(r), ns_e = n_states(r), le, ke;
    source_of(r, l, k, &le, &ke);
    return merge(g, br, enc->final[(le * dirs) * ns_e + ke], dirs == 2 ? enc->final[(le * dirs + 1) * ns_e + ke]
                                                                        : NULL);
}

rw_status rw_bridge_apply(rw_graph *g, const rw_bridge *br, const rw_seq *enc, rw_node *lengths, rw_node **state)
{
    return rw_bridge_apply_multi(g, br, enc, 1, lengths, state);
}

rw_status rw_bridge_apply_multi(rw_graph *g, const rw_bridge *br, const rw_seq *encs, int n_enc, rw_node *lengths,
                                rw_node **state)
{
    if (!g || !br || !encs || !state)
        return rw_error(RW_ERR_ARG, "rw_bridge_apply: NULL argument");
    if (n_enc != br->n_enc)
        return rw_error(RW_ERR_ARG, "rw_bridge_apply: the bridge has %d encoders, got %d runs", br->n_enc, n_enc);
    int batch = encs[0].batch, ns = n_states(br->dec);
    for (int e = 0; e < n_enc; e++)
        if (!encs[e].final || encs[e].batch != batch)
            return rw_error(RW_ERR_ARG, "rw_bridge_apply: encoder run %d failed or has %d rows, not %d", e,
                            encs[e].batch, batch);
    if (lengths && (lengths->value.dtype != RW_INT32 || lengths->value.size != (size_t)batch))
        return rw_error(RW_ERR_SHAPE, "rw_bridge_apply: lengths must be int32 [%d]", batch);
    rw_node *mean[2 * RW_BRIDGE_MAX_ENCODERS] = { NULL };
    for (int e = 0; br->o.source == RW_BRIDGE_MEAN && e < n_enc; e++) {
        if (!encs[e].outputs)
            return rw_error(RW_ERR_ARG, "rw_bridge_apply: a mean bridge needs the encoder's outputs (RW_OUTPUT_ALL)");
        rw_node *m = mean_output(g, &encs[e], lengths);
        if (rw_rnn_directions(br->encs[e]) == 2 ? rw_split(g, m, -1, 2, mean + 2 * e) != RW_OK : !(mean[2 * e] = m))
            return rw_last_status();
    }
    for (int l = 0; l < rw_rnn_layers(br->dec); l++)
        for (int k = 0; k < ns; k++) {
            rw_node *s, *parts[RW_BRIDGE_MAX_ENCODERS];
            if (br->o.source == RW_BRIDGE_ZERO) {
                s = rw_leaf_new(g, RW_REAL, rw_shape2(batch, rw_cell_state_size(rw_rnn_cell(br->dec, l, 0), k)),
                                false);
            } else {
                for (int e = 0; e < n_enc; e++)
                    parts[e] = encoder_vector(g, br, e, &encs[e], mean, l, k);
                s = n_enc == 1 ? parts[0] : rw_concat(g, parts, n_enc, -1);
            }
            rw_linear *p = br->proj[l * ns + k];
            if (s && p)
                s = rw_tanh(g, rw_linear_apply(g, p, s));
            if (!s) {
                rw_error_prefix("bridge to decoder layer %d state %d", l, k);
                return rw_last_status();
            }
            state[l * ns + k] = s;
        }
    return RW_OK;
}
