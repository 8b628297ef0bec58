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
    void *copts;             /* cell->opts_size bytes (rwi_malloc), or NULL */
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
    bool skip_init;                  /* parameters are restored after the build: no initializers */
    rw_train_source valid_src;       /* kept for rw_train_opts.valid */
    const char *meta_keys[2], *meta_values[2];
    char *meta_vocab;
    /* metrics.c: the accumulator of train.metrics, and what the last
     * rw_model_loss scored (for rw_train's observe, on the same graph) */
    rw_metrics *metrics;
    const rw_node *last_logits;
    const rw_tensor *last_want;
};

/* layers_parse.c: the `model:` section. */
rw_status rwi_mparse_model(rw_model *m, const ynode *model);
/* config.c: the `train:`, `data:`, `generate:` and `regularize:` sections. */
rw_status rwi_mparse_train(rw_model *m, const ynode *train);
rw_status rwi_mparse_data(rw_model *m, const ynode *data);
rw_status rwi_mparse_generate(rw_model *m, const ynode *gen);
rw_status rwi_mparse_regularize(rw_model *m, const ynode *reg);
/* plugins_key.c: the top-level `plugins:` paths, each resolved against the
 * base directory, checked to exist and handed to o->load_plugin. */
rw_status rwi_mload_plugins(const rw_model *m, const ynode *root, const rw_model_load_opts *o);
void rwi_mconfig_free(rw_model *m);
/* metrics.c: train.metrics (a list of names); rw_train_opts' metrics. */
rw_status rwi_mparse_metrics(rw_model *m, const ynode *list);
rw_status rwi_mmetrics_train_opts(rw_model *m, rw_train_opts *o);
/* files.c: data paths (file, directory, glob or a list of them) to files. */
rw_status rwi_mresolve_files(const rw_model *m, const ynode *n, const char *what, const ynode *exclude,
                         rw_model_files *out);
/* build.c: parameters and layers. */
rw_status rwi_mbuild(rw_model *m);
void rwi_mlayers_free(rw_model *m);
/* data.c */
rw_status rwi_mdata_load(rw_model *m);
void rwi_mdata_free(mdata *d);
/* data_source.c: batches per epoch of the training split (0 when unknown). */
long rwi_mbatches_per_epoch(rw_model *m);
/* A cell by name (custom, from the file or an include), or NULL. */
ycell *rwi_mfind_cell(const rw_model *m, const char *name);

#endif
