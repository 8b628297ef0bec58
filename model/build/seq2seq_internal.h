/* Internal: a model.graph encoder-decoder, parsed (graph_parse.c) and
 * mapped onto rw_seq2seq (seq2seq_model.c). */
#ifndef RW_MODEL_SEQ2SEQ_INTERNAL_H
#define RW_MODEL_SEQ2SEQ_INTERNAL_H

#include "rewind/seq2seq.h"
#include "model_internal.h"

#define G_MAX_NODES 16
#define G_MAX_IN RW_SEQ2SEQ_MAX_ENCODERS   /* a concat node's inputs */

typedef enum gkind { G_INPUT, G_EMBEDDING, G_RNN, G_LINEAR, G_CONCAT } gkind;

/* One named node of model.graph (the inputs 'source' and 'target' are nodes 0 and 1). */
typedef struct gnode {
    char name[64];
    gkind kind;
    char type[64];           /* "embedding", "lstm", "linear", "source", ... */
    const ynode *at;         /* the node's item in the graph list */
    const ynode *layer_at;   /* its layer: mapping */
    int n_in;
    int in[G_MAX_IN];
    const ynode *in_at[G_MAX_IN];
    int size;                /* width; 0 with size_vocab */
    bool size_vocab;
    int stack;               /* recurrent: layers */
    bool bidirectional;
    rw_bridge_merge dir_merge;  /* an encoder's bidirectional: {merge: concat|sum} */
    bool last_only;          /* recurrent: output: last (one vector per sequence) */
    const rw_cell_def *cell;
    /* a decoder's initial_state and attention */
    int init_from;           /* node index, or -1 (zeros) */
    const ynode *init_at;
    rw_bridge_opts bridge;
    bool merge_given;        /* initial_state has 'merge' (else the encoder's) */
    const ynode *att_at;
    int att_keys;            /* node index, or -1 without attention */
    rw_attention_score score;
    int att_hidden;
    bool input_feeding;
    rw_seq2seq_dropout dropout;  /* a recurrent node's dropout: {input, between, recurrent, output, mask} */
    const ynode *dropout_at;
} gnode;

struct ms2s {
    bool graph;              /* model.graph was given (not only train.teacher_forcing) */
    int n;
    gnode nodes[G_MAX_NODES];
    int enc, tgt_emb, dec, head;  /* enc: what the decoder reads from (an encoder, or a concat of 2 to 4) */
    int n_enc;
    int encs[G_MAX_IN];           /* the recurrent encoders */
    int src_embs[G_MAX_IN];       /* the embedding node each one reads, or -1 (it reads 'source' itself) */
    int shares[G_MAX_IN];         /* each one's rw_seq2seq_encoder_spec.share_embedding */
    rw_teacher_forcing tf;
    const ynode *tf_at;
    rw_seq2seq_opts o;       /* vocabularies, bos and eos filled in at build */
    rw_seq2seq *net;
    long step;               /* training batches seen: the teacher-forcing schedule's clock */
};

#endif
