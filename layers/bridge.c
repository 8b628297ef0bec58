/* The bridge from an encoder's run to a decoder's initial states: last
 * state or mean output, bidirectional merge, learned projection. Ops only. */
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
    const rw_rnn *enc, *dec;
    int n_dec;                                             /* decoder states */
    rw_linear *proj[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES]; /* NULL where widths agree */
};

static int n_states(const rw_rnn *r) { return rw_cell_definition(rw_rnn_cell(r, 0, 0))->n_states; }

/* Width of the merged encoder vector that feeds decoder layer l, state k. */
static int source_width(const rw_bridge *br, int l, int k)
{
    int dirs = rw_rnn_directions(br->enc), w;
    if (br->o.source == RW_BRIDGE_MEAN) {
        w = rw_rnn_output_size(br->enc) / dirs;
    } else {
        int le = l < rw_rnn_layers(br->enc) ? l : rw_rnn_layers(br->enc) - 1;
        int ke = k < n_states(br->enc) ? k : n_states(br->enc) - 1;
        w = rw_cell_state_size(rw_rnn_cell(br->enc, le, 0), ke);
    }
    return br->o.merge == RW_MERGE_CONCAT ? w * dirs : w;
}

rw_bridge *rw_bridge_new(rw_params *P, const char *name, const rw_rnn *enc, const rw_rnn *dec,
                         const rw_bridge_opts *opts, rw_rng *rng)
{
    if (!P || !name || !enc || !dec || !rng || rw_rnn_directions(dec) != 1) {
        rw_error(RW_ERR_ARG, "rw_bridge_new('%s'): needs a store, an encoder, a unidirectional decoder and a generator",
                 name ? name : "(null)");
        return NULL;
    }
    if (rw_rnn_directions(enc) == 2 && enc->o.merge != RW_DIRS_CONCAT) { /* the bridge merges the directions itself */
        rw_error(RW_ERR_ARG, "rw_bridge_new('%s'): the encoder must keep its directions apart (merge concat)", name);
        return NULL;
    }
    rw_bridge *br = rwi_calloc(1, sizeof *br, "a bridge");
    if (!br)
        return NULL;
    br->o = opts ? *opts : (rw_bridge_opts){ 0 };
    br->enc = enc;
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

rw_status rw_bridge_apply(rw_graph *g, const rw_bridge *br, const rw_seq *enc, rw_node *lengths, rw_node **state)
{
    if (!g || !br || !enc || !state || !enc->final)
        return rw_error(RW_ERR_ARG, "rw_bridge_apply: NULL argument or a failed encoder run");
    if (lengths && (lengths->value.dtype != RW_INT32 || lengths->value.size != (size_t)enc->batch))
        return rw_error(RW_ERR_SHAPE, "rw_bridge_apply: lengths must be int32 [%d]", enc->batch);
    int dirs = rw_rnn_directions(br->enc), ns_e = n_states(br->enc), ns = n_states(br->dec);
    rw_node *mean[2] = { NULL, NULL };
    if (br->o.source == RW_BRIDGE_MEAN) {
        if (!enc->outputs)
            return rw_error(RW_ERR_ARG, "rw_bridge_apply: a mean bridge needs the encoder's outputs (RW_OUTPUT_ALL)");
        rw_node *m = mean_output(g, enc, lengths);
        if (dirs == 2 ? rw_split(g, m, -1, 2, mean) != RW_OK : !(mean[0] = m))
            return rw_last_status();
    }
    for (int l = 0; l < rw_rnn_layers(br->dec); l++)
        for (int k = 0; k < ns; k++) {
            rw_node *s;
            if (br->o.source == RW_BRIDGE_ZERO) {
                s = rw_leaf_new(g, RW_REAL, rw_shape2(enc->batch, rw_cell_state_size(rw_rnn_cell(br->dec, l, 0), k)),
                                false);
            } else if (br->o.source == RW_BRIDGE_MEAN) {
                s = merge(g, br, mean[0], mean[1]);
            } else {
                int le = l < rw_rnn_layers(br->enc) ? l : rw_rnn_layers(br->enc) - 1;
                int ke = k < ns_e ? k : ns_e - 1;
                rw_node *fw = enc->final[(le * dirs) * ns_e + ke];
                rw_node *bw = dirs == 2 ? enc->final[(le * dirs + 1) * ns_e + ke] : NULL;
                s = merge(g, br, fw, bw);
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
