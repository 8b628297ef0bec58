/* The runner's regularizers: dropout on the recurrent connection (one mask
 * per sequence makes it variational dropout, Gal & Ghahramani 2016) and
 * penalties on the hidden states (L2 of h_t, of h_t - h_{t-1}, and the
 * norm-stabilizer of Krueger & Memisevic 2016), all composed of ordinary
 * ops and restricted to each sequence's valid steps. */
#include <math.h>
#include "rnn_regularize.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_elementwise.h"
#include "rewind/ops_norm.h"
#include "rewind/ops_reduce.h"
#include "rewind/ops_shape.h"

rw_node *rwi_rnn_drop_recurrent(rw_graph *g, const rw_rnn_spec *spec, rw_rng *rng, rw_node *h, rw_node **mask)
{
    if (spec->recurrent_dropout <= 0 || !rw_graph_is_training(g))
        return h;
    if (!rng) {
        rw_error(RW_ERR_ARG, "rw_rnn_run: recurrent dropout %g needs a generator (rw_run_opts.rng)",
                 spec->recurrent_dropout);
        return NULL;
    }
    if (!*mask || !spec->variational)
        *mask = rw_dropout_mask(g, h->value.shape, spec->recurrent_dropout, rng);
    return *mask ? rw_mul(g, h, *mask) : NULL;
}

static int valid_steps(const rw_node *lengths, int b, int T)
{
    return lengths ? lengths->value.idata[b] : T;
}

/* A constant [T-1, B, W] (W = 0: [T-1, B]) holding weight(b) where steps t
 * and t+1 are both valid for sequence b, else 0. */
static rw_node *pair_weights(rw_graph *g, const rw_node *lengths, int T, int B, int W, bool per_length)
{
    rw_shape sh = W ? rw_shape3(T - 1, B, W) : rw_shape2(T - 1, B);
    rw_node *m = rw_leaf_new(g, RW_REAL, sh, false);
    if (!m)
        return NULL;
    int w = W ? W : 1;
    for (int t = 0; t + 1 < T; t++)
        for (int b = 0; b < B; b++) {
            int len = valid_steps(lengths, b, T);
            rw_real v = t + 1 < len ? (rw_real)(per_length ? 1.0 / len : 1.0) : 0;
            for (int j = 0; j < w; j++)
                m->value.data[((size_t)t * B + b) * w + j] = v;
        }
    return m;
}

/* Adds coef * term to *total (a missing term means an error). */
static bool add_term(rw_graph *g, rw_node **total, rw_node *term, double coef)
{
    rw_node *t = term ? rw_scale(g, term, coef) : NULL;
    if (!t)
        return false;
    *total = *total ? rw_add(g, *total, t) : t;
    return *total != NULL;
}

/* The penalties of one direction's stacked outputs S [T, B, W]. */
static bool direction_penalty(rw_graph *g, rw_node *S, const rw_node *lengths, const rw_run_opts *o,
                              rw_node **total)
{
    int T = S->value.shape.dim[0], B = S->value.shape.dim[1], W = S->value.shape.dim[2];
    /* padded outputs are zero already, so they add nothing to the L2 */
    if (o->hidden_l2 > 0 && !add_term(g, total, rw_l2_penalty(g, S), o->hidden_l2 / B))
        return false;
    if (T < 2)
        return true;
    rw_node *next = rw_slice(g, S, 0, 1, T - 1), *prev = rw_slice(g, S, 0, 0, T - 1);
    if (o->hidden_diff_l2 > 0) {
        rw_node *d = rw_mul(g, rw_sub(g, next, prev), pair_weights(g, lengths, T, B, W, false));
        if (!add_term(g, total, rw_l2_penalty(g, d), o->hidden_diff_l2 / B))
            return false;
    }
    if (o->norm_stabilizer > 0) {
        /* ||h_t|| per row; the tiny offset keeps sqrt differentiable at the zero rows of padded steps */
        rw_node *norms = rw_sqrt(g, rw_add_scalar(g, rw_sum_axis(g, rw_mul(g, S, S), 2), 1e-30));
        rw_node *d = rw_sub(g, rw_slice(g, norms, 0, 1, T - 1), rw_slice(g, norms, 0, 0, T - 1));
        rw_node *per_seq = rw_mul(g, rw_mul(g, d, d), pair_weights(g, lengths, T, B, 0, true));
        if (!add_term(g, total, rw_sum(g, per_seq), o->norm_stabilizer / B))
            return false;
    }
    return true;
}

rw_status rwi_rnn_hidden_penalty(rw_graph *g, rw_node **const outs[2], int dirs, int T, const rw_node *lengths,
                             const rw_run_opts *o, rw_node **penalty)
{
    *penalty = NULL;
    if (!(o->hidden_l2 >= 0 && o->hidden_diff_l2 >= 0 && o->norm_stabilizer >= 0 && isfinite(o->hidden_l2) &&
          isfinite(o->hidden_diff_l2) && isfinite(o->norm_stabilizer)))
        return rw_error(RW_ERR_ARG, "rw_run_opts: hidden_l2 (%g), hidden_diff_l2 (%g) and norm_stabilizer (%g) "
                        "must be finite and >= 0", o->hidden_l2, o->hidden_diff_l2, o->norm_stabilizer);
    if (!(o->hidden_l2 > 0 || o->hidden_diff_l2 > 0 || o->norm_stabilizer > 0))
        return RW_OK;
    for (int d = 0; d < dirs; d++) {
        rw_node *S = rw_stack(g, outs[d], T);
        if (!S || !direction_penalty(g, S, lengths, o, penalty))
            return rw_last_status() != RW_OK ? rw_last_status() : RW_ERR_NOMEM;
    }
    return RW_OK;
}
