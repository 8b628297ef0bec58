/* Internal: the rw_model struct and the functions the model/ files share. */
#ifndef RW_MODEL_INTERNAL_H
#define RW_MODEL_INTERNAL_H

#include "rewind/cells.h"
#include "rewind/layers.h"
#include "rewind/model.h"
#include "rewind/rnn.h"
#include "rewind/vocab.h"
#include "cells/cell_graph.h"
#include "yaml/schema.h"

#define M_MAX_CELLS 64
#define M_MAX_LAYERS 32
#define M_MAX_INITS 16
/* Limits of what one load reads (docs/model-format.md, "Limits"): a model
 * file or an include is a regular file of at most M_MAX_SOURCE_BYTES, the
 * includes of one load hold at most M_MAX_SOURCE_BYTES together and number
 * at most M_MAX_INCLUDES documents, nested at most M_MAX_INCLUDE_DEPTH deep. */
#define M_MAX_SOURCE_BYTES ((size_t)16 << 20)
#define M_MAX_INCLUDES 64
#define M_MAX_INCLUDE_DEPTH 8
/* The most parameters a model may hold (checked from the sizes before they
 * are allocated): 2^28, 1 GiB in float. */
#define M_MAX_PARAMS ((size_t)1 << 28)

typedef enum mlayer_kind { ML_EMBEDDING, ML_RNN, ML_LINEAR, ML_DROPOUT } mlayer_kind;
typedef enum msize_kind { MS_NUMBER, MS_VOCAB, MS_CLASSES } msize_kind;
typedef enum mtarget { MT_NEXT, MT_LABEL } mtarget;

/* A parameter initializer set from the file ("init: {W: orthogonal}"). */
typedef struct minit {
    char *param;             /* the parameter's short name ("W"), or NULL for the layer's main weight */
    rw_init_kind kind;
    double a, b;
    const ynode *at;
} minit;

typedef struct mlayer {
    mlayer_kind kind;
    char *name;
    const char *type;        /* "embedding", "lstm", ..., or a custom cell's name */
    const ynode *at, *size_at;
    msize_kind size_kind;
    int size;                /* resolved at build time for vocab / classes */
    /* embedding, dropout */
    double p;                /* dropout probability (embedding: of its output) */
    bool per_sequence;       /* dropout layer: one mask per sequence */
    bool token_unit;         /* embedding: drop whole tokens */
    /* linear */
    rw_activation act;
    /* recurrent */
    const rw_cell_def *cell; /* a registered cell, or the file's own (then ycell is set) */
    ycell *ycell;
    void *copts;             /* cell->opts_size bytes (rw_malloc), or NULL */
    rw_rnn_spec ro;          /* name, cell and sizes are filled in when built */
    double in_dropout, out_dropout;
    bool last;               /* output: last (many-to-one) */
    double norm_stabilizer;  /* regularize.norm_stabilizer on this layer */
    int n_inits;
    minit inits[M_MAX_INITS];
    /* built */
    rw_embedding *emb;
    rw_rnn *rnn;
    rw_linear *lin;
    int in_width, out_width;
    bool seq_out;            /* the output has a time axis */
} mlayer;

typedef struct mdata mdata;  /* data.c */

struct rw_model {
    yheap heap;
    char *name, *description;
    const ysrc *src;         /* the main file */
    char *base_dir;
    yctx ctx;
    int n_includes;                  /* documents included so far */
    size_t include_bytes;            /* their bytes together */
    const char *include_chain[M_MAX_INCLUDE_DEPTH + 1]; /* the includes being read, outermost first */
    int n_cells;
    ycell *cells[M_MAX_CELLS];
    yctx cell_ctx[M_MAX_CELLS];
    bool has_layers;
    int n_layers;
    mlayer layers[M_MAX_LAYERS];
    char *out_name;
    mtarget target;
    const ynode *out_at;
    rw_model_train_config train;
    rw_model_data_config data;
    rw_model_generate_config gen;
    const ynode *data_at, *train_at;
    rw_params *P;
    rw_rng rng;
    rw_vocab vocab, labels;
    mdata *d;
    bool skip_data;                  /* data paths are neither resolved nor read */
    rw_train_source valid_src;       /* kept for rw_train_opts.valid */
    const char *meta_keys[2], *meta_values[2];
    char *meta_vocab;
};

/* forward.c: recurrent state carried between batches (state_text.c saves it for checkpoints). */
struct rw_model_state {
    const rw_model *m;
    int batch;
    bool run_fresh, step_fresh;      /* nothing carried yet: start from the initial state */
    rw_carry *carry[M_MAX_LAYERS];    /* per recurrent layer, for runs */
    rw_tensor **step[M_MAX_LAYERS];   /* per recurrent layer, for single steps */
    int n_step[M_MAX_LAYERS];
};

/* source_file.c: the bytes of a regular file of at most max_bytes (NUL-terminated), or NULL with an error. */
char *mread_source_file(const char *path, size_t max_bytes, size_t *len);
/* layers_parse.c: the `model:` section. */
rw_status mparse_model(rw_model *m, const ynode *model);
/* config.c: the `train:`, `data:`, `generate:` and `regularize:` sections. */
rw_status mparse_train(rw_model *m, const ynode *train);
rw_status mparse_data(rw_model *m, const ynode *data);
rw_status mparse_generate(rw_model *m, const ynode *gen);
rw_status mparse_regularize(rw_model *m, const ynode *reg);
void mconfig_free(rw_model *m);
/* files.c: data paths (file, directory, glob or a list of them) to files. */
rw_status mresolve_files(const rw_model *m, const ynode *n, const char *what, const ynode *exclude,
                         rw_model_files *out);
/* build.c: parameters and layers. */
rw_status mbuild(rw_model *m);
void mlayers_free(rw_model *m);
/* data.c */
rw_status mdata_load(rw_model *m);
void mdata_free(mdata *d);
/* data_source.c: batches per epoch of the training split (0 when unknown). */
long mbatches_per_epoch(rw_model *m);
/* A cell by name (custom, from the file or an include), or NULL. */
ycell *mfind_cell(const rw_model *m, const char *name);

#endif
