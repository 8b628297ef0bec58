/* rewind/seq2seq.h - encoder-decoder networks: the bridge from encoder to
 * decoder, a decoder step with attention and input feeding, and teacher
 * forcing / scheduled sampling.
 *
 * An rw_seq2seq owns a (possibly bidirectional, stacked) encoder over source
 * token ids (or over their embedding), a bridge that gives the decoder its
 * initial state, a target embedding, a unidirectional decoder (its own
 * cell, depth and width, or the encoder's), optional attention and an
 * output head. Everything is ops on the tape: rw_backward on the loss trains it.
 *
 *     rw_seq2seq *m = rw_seq2seq_new(P, "s2s", &(rw_seq2seq_opts){
 *         .src_vocab = 14, .tgt_vocab = 14, .embed = 16, .hidden = 64,
 *         .attention = true, .score = RW_ATTN_GENERAL, .bos = 1, .eos = 2 }, &rng);
 *     // src int32 [S, B], src_len int32 [B], tgt int32 [T, B] = y_1 .. y_n </s>, then -1
 *     rw_seq2seq_out o = rw_seq2seq_forward(g, m, src, src_len, tgt, &(rw_seq2seq_train_opts){ 0 });
 *     rw_backward(g, o.loss);
 */
#ifndef REWIND_SEQ2SEQ_H
#define REWIND_SEQ2SEQ_H

#include "rewind/export.h"

#include <stdbool.h>
#include "rewind/attention.h"
#include "rewind/rnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the bridge: decoder initial states from the encoder ------------------ */

typedef enum rw_bridge_source {
    RW_BRIDGE_LAST = 0,   /* each decoder state from the encoder's final state (its last valid step) */
    RW_BRIDGE_MEAN,       /* every decoder state from the mean of the top outputs over the valid steps */
    RW_BRIDGE_ZERO,       /* no bridge: the decoder starts from zeros */
} rw_bridge_source;

typedef enum rw_bridge_merge {
    RW_MERGE_CONCAT = 0,  /* a bidirectional encoder's two directions side by side [fw; bw] */
    RW_MERGE_SUM,         /* fw + bw */
} rw_bridge_merge;

typedef struct rw_bridge_opts {
    rw_bridge_source source;
    rw_bridge_merge merge;
    bool project;         /* a learned tanh(W s + b) even when the widths already agree */
} rw_bridge_opts;

typedef struct rw_bridge rw_bridge;

/* Decoder layer l, state k takes encoder layer min(l, Le - 1), state
 * min(k, ns_enc - 1) (RW_BRIDGE_LAST). When the merged width differs from
 * the decoder state's (or opts.project), a projection "<name>.l<l>.s<k>"
 * maps it: tanh(W s + b). */
RW_API rw_bridge *rw_bridge_new(rw_params *P, const char *name, const rw_rnn *encoder, const rw_rnn *decoder,
                         const rw_bridge_opts *opts, rw_rng *rng);
RW_API void rw_bridge_free(rw_bridge *br);
/* enc: the encoder's run over the batch (RW_OUTPUT_ALL for RW_BRIDGE_MEAN);
 * lengths int32 [B] or NULL. Writes rw_rnn_state_count(decoder) nodes to
 * state. */
RW_API rw_status rw_bridge_apply(rw_graph *g, const rw_bridge *br, const rw_seq *enc, rw_node *lengths, rw_node **state);

/* Several encoders over one source: each one's vector as above (merged
 * alike), side by side in the order given, then projected where the width
 * differs. rw_bridge_new is rw_bridge_new_multi with one encoder.
 *
 *     const rw_rnn *encs[2] = { lstm_enc, gru_enc };
 *     rw_bridge *br = rw_bridge_new_multi(P, "br", encs, 2, dec, &(rw_bridge_opts){ 0 }, &rng);
 *     rw_seq runs[2] = { rw_rnn_run(g, lstm_enc, src, NULL), rw_rnn_run(g, gru_enc, src, NULL) };
 *     rw_bridge_apply_multi(g, br, runs, 2, NULL, state);
 */
#define RW_BRIDGE_MAX_ENCODERS 4
RW_API rw_bridge *rw_bridge_new_multi(rw_params *P, const char *name, const rw_rnn *const *encoders, int n,
                                      const rw_rnn *decoder, const rw_bridge_opts *opts, rw_rng *rng);
RW_API rw_status rw_bridge_apply_multi(rw_graph *g, const rw_bridge *br, const rw_seq *runs, int n, rw_node *lengths,
                                       rw_node **state);

/* ---- teacher forcing and scheduled sampling (Bengio et al. 2015) ---------- */

typedef enum rw_feed_schedule {
    RW_FEED_ALWAYS = 0,       /* teacher forcing: always the true previous token */
    RW_FEED_LINEAR,           /* p_i = max(min, k - c i) */
    RW_FEED_EXPONENTIAL,      /* p_i = max(min, k^i), 0 < k < 1 */
    RW_FEED_INVERSE_SIGMOID,  /* p_i = max(min, k / (k + exp(i / k))), k >= 1 */
} rw_feed_schedule;

typedef struct rw_teacher_forcing {
    rw_feed_schedule schedule;
    double k, c, min;
    bool sample;              /* feed a sample of the model's distribution, not its argmax */
} rw_teacher_forcing;

/* The probability of feeding the true token at training step i (from 0).
 * NaN and an error for parameters outside the ranges above. */
RW_API double rw_teacher_forcing_prob(const rw_teacher_forcing *tf, long step);

/* ---- the model -------------------------------------------------------------- */

/* Dropout of an encoder or of the decoder (inverted dropout, in training
 * mode only: see rewind/ops_dropout.h), the sites of a recurrent layer in
 * a layer list:
 *   input      on the vectors the network reads: an encoder's source
 *              embedding (so it needs src_embed > 0), the decoder's target
 *              embedding (with the fed-back context under input feeding);
 *   between    on each stacked layer's input but the first;
 *   recurrent  on h_{t-1} as each layer's cell reads it;
 *   output     on what the network gives: an encoder's outputs (the
 *              attention keys; the bridge reads the undropped states), the
 *              decoder's top output before attention and the head.
 * per_sequence: one mask per sequence, reused at every step (variational
 * dropout, Gal & Ghahramani), instead of a fresh mask per step. Masks
 * follow the example under rw_graph_set_batch_shard, as every mask does. */
typedef struct rw_seq2seq_dropout {
    double input, between, recurrent, output;   /* each in [0, 1) */
    bool per_sequence;
} rw_seq2seq_dropout;

/* Up to four encoders over the same source run side by side: the first
 * is described by the flat fields of rw_seq2seq_opts, the second by .enc2,
 * the third and fourth by .more[0] and .more[1] (each in order; hidden 0
 * ends the list). The attention keys are their outputs side by side
 * ([S, B, K1 + K2 + ...]) and the bridge starts the decoder from their
 * states side by side (projected to the decoder's width). */
#define RW_SEQ2SEQ_MAX_ENCODERS 4

/* Which table an encoder looks its source tokens up in
 * (rw_seq2seq_opts.share_embedding, rw_seq2seq_encoder_spec.share_embedding):
 * 0, its own "<name>.src_emb<k>" of width src_embed (or, with src_embed 0,
 * its input weights by id); k in 1 .. 4, the source embedding of encoder k
 * (an earlier one, which has src_embed > 0); RW_SHARE_TARGET_EMBEDDING, the
 * target embedding "<name>.emb": one table on both sides, tied, which needs
 * src_vocab == tgt_vocab. A shared table's gradient is the sum of its uses. */
#define RW_SHARE_TARGET_EMBEDDING (-1)

typedef struct rw_seq2seq_encoder_spec {
    const rw_cell_def *cell;      /* NULL -> the first encoder's cell and options */
    const void *cell_opts;
    int hidden;                   /* width per direction; 0: no such encoder */
    int layers;                   /* 0 -> 1 */
    bool bidirectional;
    rw_bridge_merge key_merge;    /* its directions as attention keys */
    int src_embed;                /* > 0: its own source embedding "<name>.src_emb<k>"; 0: ids or a shared one */
    int share_embedding;          /* see RW_SHARE_TARGET_EMBEDDING; 0: none */
    rw_seq2seq_dropout dropout;
} rw_seq2seq_encoder_spec;

typedef struct rw_seq2seq_opts {
    const rw_cell_def *cell;      /* encoder and decoder cell; NULL -> LSTM */
    const void *cell_opts;        /* the cell's options struct (cell->opts_size bytes); NULL: its defaults */
    int src_vocab, tgt_vocab;
    int embed;                    /* target embedding width; 0 -> hidden */
    int hidden;                   /* encoder width (per direction) */
    int dec_hidden;               /* decoder width; 0 -> hidden * directions */
    int layers;                   /* encoder and decoder layers; 0 -> 1 */
    bool bidirectional;           /* encoder */
    rw_bridge_opts bridge;
    bool attention;
    rw_attention_score score;
    int attention_hidden;         /* additive score's hidden width; 0 -> dec_hidden */
    bool input_feeding;           /* the previous step's context is concatenated to the next input */
    int bos, eos;                 /* target ids of <s> (first decoder input) and </s> */
    /* The decoder's own stack, when it differs from the encoder's: NULL / 0
     * -> the encoder's cell (with its options) and layers. The bridge maps
     * the encoder's states onto it (a projection where widths differ). */
    const rw_cell_def *dec_cell;
    const void *dec_cell_opts;    /* dec_cell's options; NULL: its defaults */
    int dec_layers;
    rw_bridge_merge key_merge;    /* a bidirectional encoder's directions as attention keys: side by side or summed */
    int src_embed;                /* > 0: a source embedding "<name>.src_emb" of this width feeds the encoder;
                                   * 0: the encoder looks its input weights up by token id */
    int share_embedding;          /* 0, or RW_SHARE_TARGET_EMBEDDING: the encoder reads the target embedding */
    rw_seq2seq_encoder_spec enc2; /* a second encoder "<name>.enc2" (enc2.hidden 0: none) */
    rw_seq2seq_encoder_spec more[RW_SEQ2SEQ_MAX_ENCODERS - 2]; /* a third "<name>.enc3" and a fourth, after enc2 */
    rw_seq2seq_dropout enc_dropout, dec_dropout;  /* the (first) encoder's and the decoder's */
} rw_seq2seq_opts;

typedef struct rw_seq2seq rw_seq2seq;

RW_API rw_seq2seq *rw_seq2seq_new(rw_params *P, const char *name, const rw_seq2seq_opts *opts, rw_rng *rng);
RW_API void rw_seq2seq_free(rw_seq2seq *m);
RW_API const rw_seq2seq_opts *rw_seq2seq_options(const rw_seq2seq *m);   /* with the defaults filled in */
RW_API const rw_rnn *rw_seq2seq_encoder(const rw_seq2seq *m);
RW_API const rw_rnn *rw_seq2seq_encoder2(const rw_seq2seq *m);  /* NULL without opts.enc2 */
RW_API int rw_seq2seq_encoder_count(const rw_seq2seq *m);       /* 1 to RW_SEQ2SEQ_MAX_ENCODERS */
RW_API const rw_rnn *rw_seq2seq_encoder_at(const rw_seq2seq *m, int i); /* i from 0; NULL outside */
RW_API const rw_rnn *rw_seq2seq_decoder(const rw_seq2seq *m);
RW_API const rw_attention *rw_seq2seq_attention(const rw_seq2seq *m);   /* NULL without attention */

/* The decoder's dropout sites: input, output, then recurrent and between per stacked layer. */
#define RW_SEQ2SEQ_DROPOUT_SITES (2 + 2 * RW_RNN_MAX_LAYERS)

/* The decoder's state between steps. */
typedef struct rw_seq2seq_state {
    rw_node *rnn[RW_RNN_MAX_LAYERS * RW_CELL_MAX_STATES]; /* rw_rnn_state_count(decoder) nodes [B, size] */
    rw_node *context;             /* previous context [B, K] for input feeding (zeros at first), or NULL */
    rw_attention_memory memory;   /* what attention looks at (when the model has attention) */
    rw_node *weights;             /* the last step's attention weights [B, S], or NULL */
    int batch;
    /* Training with dropout: the generator the decoder's masks come from,
     * and its per-sequence masks (drawn at the first step). */
    rw_rng *rng;
    rw_node *dropout_masks[RW_SEQ2SEQ_DROPOUT_SITES];
} rw_seq2seq_state;

/* Runs the encoder over src int32 [S, B] (lengths int32 [B] or NULL) and
 * fills st: bridged initial decoder states, zero context, attention memory.
 * A model with dropout in a training-mode graph needs rw_seq2seq_encode_train. */
RW_API rw_status rw_seq2seq_encode(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *lengths, rw_seq2seq_state *st);
/* The same, drawing the encoder's dropout masks from rng, which st keeps for
 * the decoder steps' masks (rng may be NULL when nothing is dropped:
 * evaluation mode, or a model without dropout; else RW_ERR_ARG). */
RW_API rw_status rw_seq2seq_encode_train(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *lengths,
                                         rw_rng *rng, rw_seq2seq_state *st);

/* One decoder step: tokens int32 [B] -> logits [B, tgt_vocab]; st updated. */
RW_API rw_node *rw_seq2seq_step(rw_graph *g, const rw_seq2seq *m, rw_seq2seq_state *st, rw_node *tokens);

typedef struct rw_seq2seq_train_opts {
    const rw_teacher_forcing *feed;  /* NULL: teacher forcing */
    long step;                       /* training step, for the schedule */
    rw_rng *rng;                     /* required when the schedule can feed model tokens, or for dropout */
} rw_seq2seq_train_opts;

typedef struct rw_seq2seq_out {
    rw_node *loss;        /* mean cross-entropy over the target tokens (-1 = padding) */
    rw_node *logits;      /* [T, B, V] */
    rw_node *attention;   /* [T, B, S]: the weights of every step, or NULL without attention */
} rw_seq2seq_out;

/* The whole forward pass: encode src, decode with tgt [T, B] (each column
 * y_1 .. y_n </s>, padded with -1) fed back by the teacher-forcing setting.
 * A token fed from the model is a value (argmax or sample), never a
 * gradient path. On error loss is NULL. */
RW_API rw_seq2seq_out rw_seq2seq_forward(rw_graph *g, const rw_seq2seq *m, rw_node *src, rw_node *src_lengths, rw_node *tgt,
                                  const rw_seq2seq_train_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
