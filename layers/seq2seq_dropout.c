/* The dropout of an encoder-decoder: the encoder's input and output
 * sequences, and the decoder's sites step by step, per-sequence masks
 * drawn at the first step and kept in the decoder's state. */
#include "rewind_internal/rnn_step_hooks.h"
#include "rewind/ops_dropout.h"
#include "rewind/ops_elementwise.h"
#include "seq2seq_dropout.h"

rw_status rwi_s2s_dropout_check(const char *model, const char *part, const rw_seq2seq_dropout *d, bool has_vectors)
{
    double p[4] = { d->input, d->between, d->recurrent, d->output };
    for (int i = 0; i < 4; i++)
        if (!(p[i] >= 0 && p[i] < 1))
            return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): %s's dropout rates must be in [0, 1) (got input "
                            "%g, between %g, recurrent %g, output %g)", model, part, p[0], p[1], p[2], p[3]);
    if (d->input > 0 && !has_vectors)
        return rw_error(RW_ERR_ARG, "rw_seq2seq_new('%s'): %s reads token ids (no source embedding): there is "
                        "no input vector to drop", model, part);
    return RW_OK;
}

bool rwi_s2s_dropout_any(const rw_seq2seq_dropout *d)
{
    return d->input > 0 || d->between > 0 || d->recurrent > 0 || d->output > 0;
}

static bool dropping(rw_graph *g, double p, const rw_rng *rng)
{
    if (p <= 0 || !rw_graph_is_training(g))
        return false;
    if (!rng)
        rw_error(RW_ERR_ARG, "seq2seq dropout %g in training needs a generator (rw_seq2seq_encode_train, "
                 "rw_seq2seq_train_opts.rng)", p);
    return true;
}

rw_node *rwi_s2s_drop_sequence(rw_graph *g, rw_node *x, double p, bool per_sequence, rw_rng *rng)
{
    if (!x || !dropping(g, p, rng))
        return x;
    if (!rng)
        return NULL;
    if (!per_sequence)
        return rw_dropout(g, x, p, rng);
    rw_shape s = x->value.shape;   /* [S, B, W]: one [B, W] mask for every step */
    return rw_mul(g, x, rw_dropout_mask(g, rw_shape2(s.dim[1], s.dim[2]), p, rng));
}

rw_node *rwi_s2s_drop_step(rw_graph *g, rw_seq2seq_state *st, int site, rw_node *x, double p, bool per_sequence)
{
    if (!x || !dropping(g, p, st->rng))
        return x;
    if (!st->rng)
        return NULL;
    if (!per_sequence)
        return rw_dropout(g, x, p, st->rng);
    rw_node **mask = &st->dropout_masks[site];
    if (!*mask && !(*mask = rw_dropout_mask(g, x->value.shape, p, st->rng)))
        return NULL;
    return rw_mul(g, x, *mask);
}

typedef struct between_ctx {
    const rw_seq2seq_dropout *d;
    rw_seq2seq_state *st;
} between_ctx;

/* Stacked layer k > 0 reads the layer below through the between dropout. */
static rw_node *before_layer(void *ctx, rw_graph *g, const rw_rnn *r, int k, rw_node *x)
{
    (void)r;
    const between_ctx *b = ctx;
    return k ? rwi_s2s_drop_step(g, b->st, RWI_S2S_DROP_BETWEEN + k, x, b->d->between, b->d->per_sequence) : x;
}

static void after_layer(void *ctx, const rw_rnn *r, int k)
{
    (void)ctx, (void)r, (void)k;
}

rw_node *rwi_s2s_decoder_step(rw_graph *g, const rw_rnn *dec, const rw_seq2seq_dropout *d, rw_seq2seq_state *st,
                              rw_node *x)
{
    if (!rw_graph_is_training(g) || (d->recurrent <= 0 && d->between <= 0))
        return rw_rnn_step(g, dec, x, st->rnn);
    int layers = rw_rnn_layers(dec), per = rw_rnn_state_count(dec) / layers;
    for (int k = 0; k < layers; k++) /* h_{t-1} is state 0 of each layer, as the runner drops it */
        if (!(st->rnn[k * per] = rwi_s2s_drop_step(g, st, RWI_S2S_DROP_RECURRENT + k, st->rnn[k * per], d->recurrent,
                                                   d->per_sequence)))
            return NULL;
    between_ctx b = { .d = d, .st = st };
    return rwi_rnn_step_hooked(g, dec, x, st->rnn,
                               &(rwi_rnn_layer_hooks){ .before = before_layer, .after = after_layer, .ctx = &b });
}
