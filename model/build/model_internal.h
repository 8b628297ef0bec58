/* Internal: the rw_model struct and the functions the model/ files share. */
#ifndef RW_MODEL_INTERNAL_H
#define RW_MODEL_INTERNAL_H

#include "rewind/cells.h"
#include "rewind/layers.h"
#include "rewind/model.h"
#include "rewind/ops_hsm.h"
#include "rewind/rnn.h"
#include "rewind/diagnostics.h"
#include "rewind/regularize.h"
#include "rewind/vocab.h"
#include "cells/cell_graph.h"
#include "yaml/schema.h"

#define M_MAX_CELLS 64
#define M_MAX_LAYERS 32
#define M_MAX_REPLICAS 64   /* train.replicas */
/* gate saturation counts per recurrent model layer: one per stacked layer and direction */
#define M_DIAG_GATES (2 * RW_RNN_MAX_LAYERS)
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
/* next: the following token; label: one class per sequence; tags: one class
 * per step; aligned: the target column's token at each step (tsv_seq2seq of
 * equal lengths); value / values: real targets per sequence / per step. */
typedef enum mtarget { MT_NEXT, MT_LABEL, MT_TAGS, MT_ALIGNED, MT_VALUE, MT_VALUES } mtarget;
typedef enum mloss_kind { MLOSS_CROSS_ENTROPY, MLOSS_MSE, MLOSS_BCE } mloss_kind;

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
    bool last;               /* output: last (many-to-one), or pooled */
    rw_pool pool;            /* output: mean, max or sum over the valid steps */
    double norm_stabilizer;  /* regularize.norm_stabilizer on this layer */
    double hidden_l2, hidden_diff_l2; /* regularize.hidden_l2 / hidden_diff_l2 on this layer */
    int recompute_every;     /* rw_run_opts.recompute_every: segments recomputed during backward (0: off) */
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

/* hsm_output.c: an output's `softmax: {kind: hierarchical, classes}` (F40). */
typedef struct mhsm {
    bool on;
    int classes;                     /* as written; 0: about sqrt(vocabulary) */
    const ynode *at, *classes_at;
    char *saved;                     /* the classes saved with a checkpoint's vocabulary, or NULL */
    rw_hsm_classes cls;
    rw_param *cw, *cb;               /* <head>.class_W [C, H], <head>.class_b [C] */
    bool exact_sampling;             /* sampling: exact (always from hsm_log_probs) */
} mhsm;
typedef struct ms2s ms2s;    /* seq2seq_model.c: a model.graph encoder-decoder */

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
    mloss_kind loss;
    rw_activation out_act;           /* mse: applied to the last layer's output (none) */
    bool real_input;                 /* inputs: {type: real, width: F} */
    int input_width;                 /* F */
    int value_width;                 /* K of real targets (from the data, else the last layer) */
    char *bos, *eos;                 /* data kind lines: tokens put around each line (NULL: none) */
    const ynode *bos_at, *eos_at;
    const ynode *out_at;
    mhsm hsm;                        /* softmax: hierarchical */
    rw_model_train_config train;
    rw_model_data_config data;
    rw_model_generate_config gen;
    rw_param_penalty_opts param_penalty; /* regularize: l1 and weight_decay */
    rw_seq *diag_runs;               /* diagnose.c: while set, each layer's run keeps dL/dh_t and lands here */
    struct mdiag_train *diag_train;  /* train_diagnostics.c: train.diagnostics' columns, while set up */
    rw_gate_saturation *diag_gates;  /* diagnose.c: with diag_runs, layer i's gates count into
                                        diag_gates[i * M_DIAG_GATES ...] */
    const ynode *data_at, *train_at;
    rw_params *P;
    rw_rng rng;
    rw_vocab vocab, labels;
    mdata *d;
    bool skip_data;                  /* data paths are neither resolved nor read */
    bool skip_init;                  /* parameters are restored after the build: no initializers */
    bool bytes_without_unk;          /* the data's character vocabulary gets no <unk> (an old checkpoint's) */
    rw_train_source valid_src;       /* kept for rw_train_opts.valid */
    bool gen_method_given;           /* generate.method was written (encoder-decoders default to greedy) */
    ms2s *s2s;                       /* model.graph (or train.teacher_forcing) given, else NULL */
    const char *meta_keys[2], *meta_values[2];
    char *meta_vocab;
    /* metrics.c: the accumulator of train.metrics, and what the last
     * rw_model_loss scored (for rw_train's observe, on the same graph) */
    rw_metrics *metrics;
    const rw_node *last_logits;
    const rw_tensor *last_want;
    /* ... and for real outputs (mse, bce) in evaluation: the predictions, targets and inputs (for the padding) */
    const rw_node *last_values;
    const rw_tensor *last_values_want, *last_inputs;
    const ynode *metric_at[16]; /* each train.metrics item, for errors */
    /* replicas.c: train.replicas' copies of this model (built again from
     * its text on stores sharing its values), or the model this one copies */
    char **overrides;                /* the load options' --set settings, kept for the copies */
    int n_overrides;
    rw_model *replica_of;
    const ynode *replicas_at;        /* train.replicas, for errors */
    rw_model **replicas;
    rw_train_replica *replica_list;
    int n_replicas;                  /* copies made (train.replicas - 1) */
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

/* replicas.c: the copies of the model that train.replicas asks for (made
 * once), handed to o; RW_ERR_ARG for a model that cannot be copied. */
rw_status rwi_mreplicas_train_opts(rw_model *m, rw_train_opts *o);
void rwi_mreplicas_free(rw_model *m);
/* replicas.c: keeps the load options' overrides for the copies. */
rw_status rwi_mreplicas_keep_overrides(rw_model *m, const rw_model_load_opts *o);

/* source_file.c: the bytes of a regular file of at most max_bytes (NUL-terminated), or NULL with an error. */
char *rwi_mread_source_file(const char *path, size_t max_bytes, size_t *len);
/* layers_parse.c: the `model:` section. */
rw_status rwi_mparse_model(rw_model *m, const ynode *model);
/* config.c: the `train:`, `data:` and `generate:` sections; regularize_parse.c: `regularize:`. */
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
/* Once the output is known: regression metrics need a real output, class metrics a class output. */
rw_status rwi_mcheck_metrics(const rw_model *m);
/* train_diagnostics.c: train.diagnostics as extra log columns of o (none when it is off). */
typedef struct mdiag_train mdiag_train;
rw_status rwi_mdiag_train_opts(rw_model *m, rw_train_opts *o);
void rwi_mdiag_train_free(rw_model *m);
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
/* outputs_parse.c: an output's loss, activation and target (o: its map). */
rw_status rwi_mparse_output_kind(rw_model *m, const yctx *c, const ynode *o);
/* hsm_output.c: the output's `softmax:` (after its target and loss); the
 * class parameters and classes once the layers are built; the ops on the
 * head's input h; the classes appended to a saved vocabulary (takes and
 * returns vocab) and split off a saved one (*vocab_only NULL when it has none). */
rw_status rwi_mparse_softmax(rw_model *m, const yctx *c, const ynode *n);
/* A graph model's (sequence-to-sequence) outputs with a `softmax` key: an error at it, saying why. */
rw_status rwi_mhsm_refuse_in_graph(const ynode *model);
rw_status rwi_mhsm_build(rw_model *m);
void rwi_mhsm_free(rw_model *m);
rw_node *rwi_mhsm_log_probs(rw_graph *g, const rw_model *m, rw_node *h);
rw_node *rwi_mhsm_loss(rw_graph *g, rw_model *m, rw_node *h, rw_node *targets);
char *rwi_mhsm_vocab_string(const rw_model *m, char *vocab);
rw_status rwi_mhsm_split_saved(rw_model *m, const char *saved, char **vocab_only);
/* Whether sampling at this temperature and top_k draws the class, then the
 * word (rwi_mhsm_sample on the head's input, rwi_model_step_hidden), and
 * that draw for row `row` of h, <unk> never drawn (-1 with an error). */
bool rwi_mhsm_fast_sampling(const rw_model *m, double temperature, int top_k);
int rwi_mhsm_sample(const rw_model *m, const rw_node *h, int row, rw_rng *rng);
/* The same with `exclude` (a word id, or -1) never drawn instead of <unk>. */
int rwi_mhsm_sample_excluding(const rw_model *m, const rw_node *h, int row, int exclude, rw_rng *rng);
/* outputs_parse.c: the `inputs:` entry of a layer list. */
rw_status rwi_mparse_input(rw_model *m, const yctx *c, const ynode *inputs);
/* data_kinds.c: kinds tsv_vectors, tsv_tagging, lines (and tsv_seq2seq aligned). */
rw_status rwi_mparse_line_markers(rw_model *m, const ynode *data);
/* The id of the bos marker of kind lines, or -1. */
int rwi_mbos_token(const rw_model *m);
bool rwi_mdata_is_example_kind(const rw_model *m);
/* vocab.c: m's character vocabulary from the bytes with present[b] set,
 * with "<unk>" as its last id (for bytes the training data lacks). */
rw_status rwi_mvocab_from_bytes(rw_model *m, const unsigned char present[256]);
/* vocab.c: true when `saved` (rw_vocab_to_text) is a byte vocabulary
 * without "<unk>", as saved before character vocabularies had one. */
bool rwi_mvocab_saved_without_unk(const char *saved);
rw_status rwi_mdata_load_examples(rw_model *m, mdata *d);
/* Examples of files in the model's data format, read with its vocabulary
 * and classes (for scoring and prediction); NULL with an error. */
rw_seqdata *rwi_mdata_read_files(rw_model *m, const char *const *paths, int n);
/* data.c: the same for kind tsv_classify: "label<TAB>text" lines in file
 * order; an empty label ("<TAB>text") is -1, one the model lacks an error. */
rw_seqdata *rwi_mdata_read_classified(rw_model *m, const char *const *paths, int n);
/* losses.c: the loss of an output against a batch's targets; the output as
 * predictions (probabilities, activated values). */
/* How much a batch counts in a mean over batches: its examples for
 * per-sequence targets, else its target steps. */
double rwi_mbatch_weight(const rw_model *m, const rw_batch *x);
rw_node *rwi_mloss_apply(rw_graph *g, rw_model *m, const rw_model_batch *b, rw_node *out);
/* The features of a batch for a model with real inputs (checked against the width and the steps). */
rw_node *rwi_mreal_features(rw_graph *g, const rw_model *m, const rw_model_batch *b);
/* forward.c: an activation as ops (none: x itself). */
rw_node *rwi_mactivate(rw_graph *g, rw_node *x, rw_activation a);
/* The summary's output line: the loss and what it is against. */
void rwi_mprint_output(FILE *f, const rw_model *m);
rw_node *rwi_moutput_activate(rw_graph *g, const rw_model *m, rw_node *out);
/* graph_parse.c, seq2seq_model.c: model.graph, mapped onto rw_seq2seq. */
rw_status rwi_ms2s_parse(rw_model *m, const ynode *model);
/* graph_chain.c: whether model.graph is a chain of layers (no node reads
 * 'source' or 'target', data not tsv_seq2seq), and that chain rewritten as
 * a layer list (NULL with a positioned error). */
bool rwi_mgraph_is_chain(const rw_model *m, const ynode *graph);
ynode *rwi_mgraph_chain_layers(rw_model *m, const ynode *model, const ynode *graph);
rw_status rwi_ms2s_parse_teacher_forcing(rw_model *m, const ynode *tf);
rw_status rwi_ms2s_build(rw_model *m);
rw_node *rwi_ms2s_forward(rw_graph *g, rw_model *m, const rw_model_batch *b, bool logits);
void rwi_ms2s_print(FILE *f, const rw_model *m);
void rwi_ms2s_free(ms2s *s);
/* The teacher-forcing schedule runs on rw_train's step (set before each
 * step through the learning-rate callback, train_setup.c), so a resumed run
 * continues it; between calls each training forward advances it by one. */
bool rwi_ms2s_has_schedule(const rw_model *m);
/* Greedy decoding of each source of a batch: how many equal their targets, of how many. */
rw_status rwi_ms2s_batch_matches(rw_model *m, const rw_model_batch *b, long *right, long *count);
void rwi_ms2s_set_clock(rw_model *m, long step);
/* forward.c: the token ids of a generation prime (strlen(prime) + 1 room in
 * ids): a byte the vocabulary lacks is <unk> (left out without one), and an empty prime is the
 * start marker (kind lines), else a newline, else token 0. -1 with an error. */
int rwi_mprime_ids(const rw_model *m, const char *prime, int32_t *ids, int n);
/* Dropout during single steps (Monte-Carlo sampling, lm_step_model.c):
 * where rw_model_step meets a dropout of the model, it multiplies the value
 * [rows, width] by mask(ctx, ...), which returns a constant mask node of
 * that shape. `sub` is the stacked layer of a recurrent site; per_sequence
 * asks for one mask per row for the whole text, whole_rows for rows that
 * are all 0 or all 1/(1-p) (token dropout). Cells that draw inside
 * (dropout in a YAML cell) get `rng` for each step, and their per-sequence
 * masks from mask (site MSTEP_CELL). */
typedef enum mstep_site {
    MSTEP_EMBEDDING, MSTEP_DROPOUT, MSTEP_INPUT, MSTEP_RECURRENT, MSTEP_BETWEEN, MSTEP_OUTPUT,
    MSTEP_CELL /* a per-sequence mask inside a YAML cell: sub = node * RW_RNN_MAX_LAYERS + stacked layer */
} mstep_site;
typedef struct rwi_mstep_dropout {
    rw_node *(*mask)(void *ctx, rw_graph *g, int layer, mstep_site site, int sub, rw_shape shape, double p,
                     bool per_sequence, bool whole_rows);
    void *ctx;
    rw_rng *rng;
} rwi_mstep_dropout;
/* forward.c: rw_model_step with the model's dropouts drawn by d (NULL: as rw_model_step, none when
 * not training); whether the model has any dropout that d would draw. */
rw_node *rwi_model_step_dropout(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                                const rwi_mstep_dropout *d);
bool rwi_model_step_has_dropout(const rw_model *m);
/* mc_dropout.c: the generator of the next Monte-Carlo pass, split from *base
 * (pass k: the k-th call). rw_model_mc_probs and the Monte-Carlo step model
 * both draw pass k's dropout masks from it, so that with one dropout site a
 * pass's masks agree step by step whether its steps run as one sequence or
 * one at a time among the other passes. */
rw_rng rwi_mc_pass_rng(rw_rng *base);
/* forward.c: rw_model_step stopping before a hierarchical softmax: its input h [batch, H]. */
rw_node *rwi_model_step_hidden(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids);
/* The same through the dropout sites of d (Monte-Carlo passes), as rwi_model_step_dropout. */
rw_node *rwi_model_step_hidden_dropout(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids,
                                       const rwi_mstep_dropout *d);
/* A cell by name (custom, from the file or an include), or NULL. */
ycell *rwi_mfind_cell(const rw_model *m, const char *name);

/* forward.c: a new state holding src's carried run state, and copying
 * that run state (not the stepping state) into dst of the same batch. */
rw_model_state *rwi_model_state_clone(const rw_model_state *src);
rw_status rwi_model_state_copy(rw_model_state *dst, const rw_model_state *src);
/* The carried states of sequences [src_first, + count) of src into [dst_first, ...) of dst (for a share of a
 * batch: its columns and back), and whether anything is carried yet. */
rw_status rwi_model_state_copy_sequences(rw_model_state *dst, int dst_first, const rw_model_state *src,
                                         int src_first, int count);

#endif
