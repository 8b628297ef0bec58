/* rewind/model.h - models defined in YAML files (format `rewind/1`).
 *
 * A model file names its layers, its custom recurrent cells (graphs of
 * registered ops), its data and its training; docs/model-format.md lists
 * every key, type and default. Loading validates everything and builds real
 * rewind objects: a parameter store, the layers, an optimizer on demand.
 *
 *     rw_model *m = rw_model_load("models/char_lstm.yaml", NULL);
 *     if (!m) { fprintf(stderr, "%s\n", rw_last_error()); return 1; }
 *     // rw_last_error(): "char_lstm.yaml:38:9: error: unknown key 'forget_bais' in 'lstm'
 *     //                   (did you mean 'forget_bias'?)" and the offending line with a caret
 *     rw_optim *opt = rw_model_optim_new(m);
 *     rw_train_opts o;
 *     rw_model_train_opts(m, &o);
 *     rw_train_source train = rw_model_source(m, RW_SPLIT_TRAIN, NULL);
 *     rw_train(rw_model_params(m), opt, train, rw_model_loss_fn, m, &o, NULL);
 *
 * The files are pure data: explicit YAML tags are errors, anchors and
 * aliases are allowed up to an expansion cap, duplicate keys are errors,
 * `format: rewind/1` is required, and `${name}` refers to `hyper:` values.
 * Ops registered from C (rw_op_register) before loading can be used by name
 * in cells. Every error message starts "file:line:col: error: ...".
 */
#ifndef REWIND_MODEL_H
#define REWIND_MODEL_H

#include "rewind/export.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "rewind/batch.h"
#include "rewind/corpus.h"
#include "rewind/decode.h"
#include "rewind/cell.h"
#include "rewind/checkpoint.h"
#include "rewind/graph.h"
#include "rewind/metrics.h"
#include "rewind/optim.h"
#include "rewind/param.h"
#include "rewind/rng.h"
#include "rewind/schedule.h"
#include "rewind/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_model rw_model;

/* ---- loading ------------------------------------------------------------ */

typedef struct rw_model_load_opts {
    /* Relative paths (data files, include:) resolve against this directory;
     * NULL: the model file's directory (the current directory for strings). */
    const char *base_dir;
    /* Neither check nor read the data files. The vocabulary then comes from
     * `vocab` (as saved by rw_model_vocab_string, e.g. in a checkpoint) or,
     * failing that, `vocab_size` opaque token ids and `classes` classes.
     * When the data is read, `vocab` (may be NULL) only matters when it is a
     * byte vocabulary without "<unk>" (saved before character vocabularies
     * had one): the data's character vocabulary then gets none either, so
     * that an old checkpoint's parameters still fit. */
    bool skip_data;
    const char *vocab;
    int vocab_size;
    int classes;
    /* Settings applied before validation, as `rewind --set`: "path=value"
     * with a dotted path ("train.optimizer.lr=1e-3", "hyper.hidden=64");
     * the value is YAML. Errors in them are reported as <command line>:1:col. */
    const char *const *overrides;
    int n_overrides;
    /* Leave the parameters at zero instead of initializing them, because the
     * caller restores them next (rw_params_set_skip_init): how a model is
     * rebuilt from a checkpoint. */
    bool skip_init;
    /* The most nodes a document may expand to through aliases (0: 100000). */
    size_t max_alias_nodes;
    /* Called with each path of the file's top-level `plugins:` (a path or a
     * list; resolved against base_dir, checked to exist) before any cell or
     * op of the file is looked up; returns RW_OK, or an error (rw_error)
     * that is reported at the entry's position. NULL: a file with
     * `plugins:` is an error. The rewind command dlopens the path and calls
     * its rewind_plugin_init. */
    rw_status (*load_plugin)(const char *path, void *ctx);
    void *plugin_ctx;
} rw_model_load_opts;

/* Loads, validates and builds a model. NULL with rw_last_error() on any
 * problem (RW_ERR_FORMAT for the definition, RW_ERR_IO for a missing or
 * unreadable file, RW_ERR_SHAPE for shapes that cannot connect). opts may
 * be NULL. A file without a `model:` section is a cell library: it loads,
 * its cells are available through rw_model_cell, and it has no layers. */
RW_API rw_model *rw_model_load(const char *path, const rw_model_load_opts *opts);
/* The same from a string; name_for_errors (e.g. "model.yaml") starts every
 * message. */
RW_API rw_model *rw_model_load_string(const char *text, const char *name_for_errors, const rw_model_load_opts *opts);
RW_API void rw_model_free(rw_model *m);

/* ---- from a checkpoint ---------------------------------------------------- */

/* Checkpoint metadata. rw_model_train_opts saves the model text and the
 * vocabulary; `rewind train` adds the others, so that the checkpoint alone
 * rebuilds the same model. */
#define RW_MODEL_META_TEXT "rewind.model"           /* the model file's text */
#define RW_MODEL_META_VOCAB "rewind.vocab"          /* rw_model_vocab_string */
#define RW_MODEL_META_DIR "rewind.model_dir"        /* the model file's absolute directory */
#define RW_MODEL_META_FILE "rewind.model_file"      /* the model file's path as given (for messages) */
#define RW_MODEL_META_OVERRIDES "rewind.overrides"  /* the --set settings, one per line */

typedef struct rw_model_checkpoint_opts {
    /* Also read the model's data files (resolved against base_dir) and
     * check they give the checkpoint's vocabulary; needed to train on or
     * to use rw_model_source. Default: the saved vocabulary, no data. */
    bool with_data;
    /* Where relative data paths and include: files resolve (NULL: the
     * directory saved in the checkpoint if it still exists, else the
     * checkpoint's own directory). */
    const char *base_dir;
    /* As in rw_model_load_opts: how the model file's `plugins:` are loaded
     * (NULL: a file with `plugins:` is an error). */
    rw_status (*load_plugin)(const char *path, void *ctx);
    void *plugin_ctx;
} rw_model_checkpoint_opts;

/* Rebuilds the model a checkpoint was trained from and restores its
 * parameters (not the optimizer). opts may be NULL. NULL with
 * rw_last_error() for a missing, corrupt or foreign checkpoint.
 *
 *     // the model's outputs (probabilities, or values) for a batch of your inputs
 *     static int predict(const char *checkpoint, const rw_model_batch *batch)
 *     {
 *         rw_model *m = rw_model_from_checkpoint(checkpoint, NULL);
 *         if (!m) {
 *             fprintf(stderr, "%s\n", rw_last_error());
 *             return 1;
 *         }
 *         rw_graph *g = rw_graph_new();
 *         rw_graph_set_training(g, false);
 *         rw_node *y = rw_model_outputs(g, m, batch);
 *         if (y)
 *             printf("first output %g\n", (double)rw_node_value(y)->data[0]);
 *         rw_graph_free(g);
 *         rw_model_free(m);
 *         return y ? 0 : 1;
 *     }
 */
RW_API rw_model *rw_model_from_checkpoint(const char *path, const rw_model_checkpoint_opts *opts);
/* The same from an open checkpoint; path only names it in messages and,
 * failing a saved directory, gives the base directory. */
RW_API rw_model *rw_model_from_open_checkpoint(const rw_checkpoint *ck, const char *path,
                                        const rw_model_checkpoint_opts *opts);

/* ---- configuration (train:, data:, generate:) --------------------------- */

typedef enum rw_data_kind {
    RW_DATA_NONE = 0,        /* no data: section */
    RW_DATA_CHARS,           /* text files; tokens are bytes; the target is the next byte */
    RW_DATA_TSV_CLASSIFY,    /* one example per line: label<TAB>text */
    RW_DATA_TSV_SEQ2SEQ,     /* one example per line: source<TAB>target */
    RW_DATA_TSV_VECTORS,     /* one example per line: real features per step<TAB>target (docs/model-format.md) */
    RW_DATA_TSV_TAGGING,     /* one example per line: tokens<TAB>one tag per token */
    RW_DATA_LINES            /* text files; each line is one sequence from a fresh state, targets the next token */
} rw_data_kind;

typedef enum rw_token_kind { RW_TOKENS_CHARS = 0, RW_TOKENS_WORDS } rw_token_kind;

/* Resolved, existing, regular files, in order (directories and globs are
 * expanded and sorted): an rw_file_list of rewind/corpus.h. */
typedef rw_file_list rw_model_files;

typedef struct rw_model_data_config {
    rw_data_kind kind;
    rw_model_files train, valid, test;
    double valid_fraction;   /* without valid files: the share of the training data held out (0) */
    rw_token_kind tokens;    /* tsv kinds: chars (default) or whitespace-separated words */
    bool lowercase;          /* false */
    int min_count;           /* words seen fewer times become <unk> (1) */
    int max_length;          /* tsv kinds: longer sequences are cut (0: no limit) */
    int vocab_size;          /* tokens: words: at most this many ids, <unk> included (0: no cap) */
} rw_model_data_config;

typedef enum rw_optim_kind {
    RW_OPTIM_SGD = 0, RW_OPTIM_MOMENTUM, RW_OPTIM_ADAGRAD, RW_OPTIM_RMSPROP, RW_OPTIM_ADAM, RW_OPTIM_ADAMW
} rw_optim_kind;

/* Fields left 0 take the optimizer's defaults (rewind/optim.h). */
typedef struct rw_model_optim_config {
    rw_optim_kind kind;      /* adam */
    double lr;               /* 1e-3 (sgd and momentum: 0.1, adagrad and rmsprop: 1e-2) */
    double momentum;         /* momentum (0.9 for type momentum), rmsprop */
    bool nesterov;
    double beta1, beta2, eps;
    double alpha;            /* rmsprop */
    double weight_decay;
} rw_model_optim_config;

/* An interval written "N steps" or "N epochs" (a bare number: steps). */
typedef struct rw_model_interval {
    long count;              /* 0: never */
    bool epochs;
} rw_model_interval;

/* train.diagnostics: every `every` steps of training, the gradient
 * diagnosis of rw_model_diagnose (a loss on the last step of a random probe
 * of `steps` x `batch` token ids) goes into extra columns of the log, with a
 * warning on stderr when a layer's ||dL/dh_0|| / ||dL/dh_T-1|| is below
 * vanish_below or above explode_above (docs/diagnostics.md). */
typedef struct rw_model_diagnostics_config {
    long every;              /* 0: off */
    int steps;               /* probe length (50) */
    int batch;               /* probe sequences (8) */
    double vanish_below;     /* 1e-6 */
    double explode_above;    /* 1e6 */
} rw_model_diagnostics_config;

typedef struct rw_model_train_config {
    uint64_t seed;           /* 1: every random choice (init, dropout, batches) */
    int epochs;              /* 0: not set */
    long steps;              /* 0: not set; with neither set, 1 epoch */
    int batch_size;          /* 32 */
    int bptt;                /* chars: steps per window (64) */
    bool carry_state;        /* chars: the state flows from window to window (true) */
    rw_batch_order order;    /* tsv kinds: bucket.by (shuffle) */
    bool shuffle_batches;    /* tsv kinds (true) */
    bool drop_last;          /* false */
    rw_model_optim_config optimizer;
    double clip_norm;        /* clip.global_norm (0: off) */
    double clip_value;       /* clip.value (0: off) */
    rw_schedule schedule;    /* constant */
    rw_model_interval schedule_every; /* for type step when written in epochs */
    rw_model_interval valid_every;    /* 0: at the end of every epoch */
    int patience;            /* early_stop.patience (0: never stop early) */
    double min_delta;
    bool restore_best;       /* early_stop.restore_best (true) */
    char *checkpoint_path;   /* checkpoint.path (NULL: none) */
    rw_model_interval checkpoint_every; /* 0: only when training ends */
    char *log_path;          /* log: CSV file (NULL: none) */
    bool check_finite;       /* true */
    int n_metrics;           /* metrics: [accuracy, top5, ...] computed at each validation (0: none) */
    rw_metric metrics[16];
    rw_model_diagnostics_config diagnostics; /* diagnostics: {every, steps, batch, vanish_below, explode_above} */
    int replicas;            /* data-parallel copies trained at once in threads (1; rw_train_opts.replicas) */
} rw_model_train_config;

typedef struct rw_model_generate_config {
    bool greedy;             /* method: greedy | sample | beam (sample) */
    bool beam;               /* method: beam */
    double temperature;      /* 1.0 */
    int top_k;               /* 0: all tokens */
    int max_length;          /* 200 */
    char *prime;             /* NULL: none */
    char *stop_at;           /* a token (seq2seq: default </s>) or text (char LM) that ends generation; NULL: none */
    int beam_width;          /* beam search width (4) */
    double length_norm;      /* beam search: score = log p / length^length_norm (0) */
} rw_model_generate_config;

RW_API const rw_model_train_config *rw_model_train_config_of(const rw_model *m);
RW_API const rw_model_data_config *rw_model_data_config_of(const rw_model *m);
RW_API const rw_model_generate_config *rw_model_generate_config_of(const rw_model *m);

/* ---- the model ------------------------------------------------------------ */

RW_API const char *rw_model_name(const rw_model *m);
/* The text of the model file as loaded (e.g. for checkpoint metadata). */
RW_API const char *rw_model_text(const rw_model *m);
RW_API rw_params *rw_model_params(const rw_model *m);
/* The generator dropout draws from; seeded from train.seed. */
RW_API rw_rng *rw_model_rng(rw_model *m);
RW_API bool rw_model_has_layers(const rw_model *m);
/* Layers, parameter shapes and the total count (for `rewind check`). */
RW_API void rw_model_print_summary(FILE *f, const rw_model *m);

/* Tokens the model reads and, for a classifier, the classes it predicts. */
RW_API int rw_model_vocab_size(const rw_model *m);
RW_API int rw_model_classes(const rw_model *m);          /* 0 when the model predicts tokens */
/* The text of token / class `id`, or NULL (out of range, or an opaque vocabulary). */
RW_API const char *rw_model_token(const rw_model *m, int id);
/* What goes between two tokens when they are written out as text: "" for a
 * character vocabulary (its tokens are the text's bytes), " " for words
 * (rw_model_generate joins them so).
 *
 *     for (int t = 0; t < n; t++)
 *         printf("%s%s", t ? rw_model_token_separator(m) : "", rw_model_token(m, ids[t]));
 */
RW_API const char *rw_model_token_separator(const rw_model *m);
RW_API const char *rw_model_label(const rw_model *m, int id);
/* The id of the vocabulary's "<unk>" (what rw_model_encode gives a token
 * the vocabulary lacks), or -1 when it has none. Character vocabularies
 * built from data have it as their last id; word vocabularies as id 0. */
RW_API int rw_model_unk_id(const rw_model *m);
/* Encodes text as token ids into ids[0..max): returns the number of tokens
 * (possibly more than max: only max are written), or -1 with an error for
 * a character the vocabulary lacks when it has no <unk>. */
RW_API int rw_model_encode(const rw_model *m, const char *text, int32_t *ids, int max);
/* The vocabulary and class names as text (for rw_model_load_opts.vocab);
 * free() it. NULL with an error when the vocabulary is opaque. */
RW_API char *rw_model_vocab_string(const rw_model *m);

/* What the output is trained against (the output's `target:`). */
typedef enum rw_model_target {
    RW_TARGET_NEXT = 0,      /* the next token, per step */
    RW_TARGET_LABEL,         /* one class per sequence */
    RW_TARGET_TAGS,          /* one class per step */
    RW_TARGET_ALIGNED,       /* the target sequence's token at each step (equal lengths) */
    RW_TARGET_VALUE,         /* real values per sequence (mse, bce) */
    RW_TARGET_VALUES         /* real values per step (mse, bce) */
} rw_model_target;

RW_API rw_model_target rw_model_target_kind(const rw_model *m);
/* Classes of a label or tags output (0 for the others); K of real targets (0 for class and token outputs). */
RW_API int rw_model_tag_classes(const rw_model *m);
RW_API int rw_model_value_width(const rw_model *m);

/* Examples of data files in the model's format (data kinds lines,
 * tsv_tagging, tsv_vectors), read with its vocabulary and classes: for
 * scoring and prediction. Unknown classes and, without <unk>, unknown
 * tokens are errors naming file:line. rw_seqdata_free it. */
RW_API rw_seqdata *rw_model_read_examples(rw_model *m, const char *const *paths, int n);

/* ---- running it ------------------------------------------------------------ */

/* Recurrent state carried from one batch to the next (truncated BPTT) or
 * from one generation step to the next. Starts at the initial state. */
typedef struct rw_model_state rw_model_state;
RW_API rw_model_state *rw_model_state_new(const rw_model *m, int batch);
RW_API void rw_model_state_reset(rw_model_state *s);
RW_API void rw_model_state_free(rw_model_state *s);
/* The state the training batches carry (NULL without carry_state or data),
 * and that state as text (malloc'd; "" when nothing is carried yet) and
 * back, bit for bit, for a checkpoint's metadata: `rewind train` saves it
 * as "rewind.state" and --resume restores it, so a resumed run equals an
 * uninterrupted one. Loading checks the layers, batch and precision; on
 * error the state is reset. Unidirectional layers only. */
RW_API rw_model_state *rw_model_train_state(rw_model *m);
RW_API char *rw_model_state_save(const rw_model_state *s);
RW_API rw_status rw_model_state_load(rw_model_state *s, const char *text);

typedef struct rw_model_batch {
    const rw_tensor *inputs;   /* int32 [T, B] token ids, RW_PAD (-1) past each sequence's end */
    const rw_tensor *lengths;  /* int32 [B] valid steps, or NULL: found from the padding in inputs */
    const rw_tensor *targets;  /* int32 [T, B] the next tokens (RW_PAD: no target), for token outputs */
    const rw_tensor *labels;   /* int32 [B] the classes, for classification outputs */
    const rw_tensor *features; /* real [T, B, F] for models with real inputs (inputs then only marks the
                                  steps: 0, RW_PAD past each end) */
    const rw_tensor *values;   /* real [B, K] or [T, B, K] targets, for mse and bce outputs */
    rw_model_state *state;     /* NULL, or state to start from and to keep the final values in */
} rw_model_batch;
/* The model's view of a batcher's batch (pointers into x), e.g. of
 * rw_model_read_examples' examples. */
RW_API rw_model_batch rw_model_batch_of(const rw_batch *x);

/* Records the forward pass on g and returns the output's logits: [T, B, C]
 * for token outputs, [B, C] for a classifier. Dropout follows
 * rw_graph_is_training(g) and draws from rw_model_rng(m). */
RW_API rw_node *rw_model_logits(rw_graph *g, rw_model *m, const rw_model_batch *b);
/* The forward pass and the loss (as the output's `loss:` says: the mean
 * cross-entropy over the non-padding targets, mse or bce over the real
 * targets, padding steps left out), plus any `regularize:` terms in
 * training mode. */
RW_API rw_node *rw_model_loss(rw_graph *g, rw_model *m, const rw_model_batch *b);
/* The forward pass as predictions: softmax probabilities for a
 * cross-entropy output ([B, C] or [T, B, C]), the K sigmoids of a bce
 * output, the activated values of an mse output. */
RW_API rw_node *rw_model_outputs(rw_graph *g, rw_model *m, const rw_model_batch *b);
/* rw_model_loss as an rw_loss_fn: batch is a `const rw_model_batch *`
 * (what rw_model_source yields), ctx the model. */
RW_API rw_node *rw_model_loss_fn(rw_graph *g, void *batch, void *ctx);

/* One step of generation: ids [B] (one token per sequence of s's batch)
 * in, logits [B, C] for the next token out; s advances. Needs a model whose
 * recurrent layers are unidirectional and return every step. */
RW_API rw_node *rw_model_step(rw_graph *g, rw_model *m, rw_model_state *s, const int32_t *ids);
/* Samples token ids from logits [B, C] row `row`: greedy when temperature
 * <= 0, else from softmax(logits / temperature) restricted to the top_k
 * largest (top_k <= 0: all). */
RW_API int rw_model_sample(const rw_node *logits, int row, double temperature, int top_k, rw_rng *rng);
/* Text from a token model: feeds `prime` (may be NULL or "") and samples
 * `length` more tokens. Returns the generated text without the prime
 * (free() it), NULL with an error. "<unk>" is never generated (its logit
 * is masked each step); a byte of the prime that a byte vocabulary lacks
 * is fed as "<unk>", or left out when the vocabulary has none. */
RW_API char *rw_model_generate(rw_model *m, const char *prime, int length, double temperature, int top_k, rw_rng *rng);
/* The language model as an rw_step_model (rewind/decode.h), for greedy
 * decoding, sampling and beam search: one row, primed with all tokens of
 * `prime` (as rw_model_generate reads it; NULL or "" starts from the start
 * marker or a newline) but the last, which goes to *start: feed it first
 * (rw_decode_opts.start). m must outlive it; rw_step_model_free it. NULL
 * with an error for a model that is not a language model or cannot step.
 *
 *     int32_t start;
 *     rw_step_model *dm = rw_model_step_model_new(m, "Q: ", &start);
 *     rw_hypothesis best[2];
 *     int n = 0;
 *     if (dm && rw_beam_search(dm, &(rw_decode_opts){ .start = start, .end = -1, .max_length = 40,
 *                                                     .beam = 4 }, best, 2, &n) == RW_OK)
 *         for (int t = 0; t < best[0].length; t++)
 *             fputs(rw_model_token(m, best[0].tokens[t]), stdout);
 *     rw_hypotheses_free(best, n);
 *     rw_step_model_free(dm);
 */
RW_API rw_step_model *rw_model_step_model_new(rw_model *m, const char *prime, int32_t *start);
/* Like rw_model_step_model_new, with Monte-Carlo dropout (F65): each
 * step's log-probabilities are the log of the mean probabilities of
 * `passes` (2 .. RW_MODEL_MC_MAX_PASSES) passes with every dropout the
 * model trains with on (token, embedding and `dropout` layers, a recurrent
 * layer's input, recurrent, between-layer and output dropout, and dropout
 * inside a YAML cell, stacked or not), run as passes rows of one batch.
 * Pass k keeps its per-sequence masks (variational dropout, `mask:
 * per_sequence`, also inside a YAML cell) for the whole text, prime
 * included; per-step masks are drawn afresh at each step. Masks come from
 * a generator seeded with `seed` (docs/regularization.md). NULL with an
 * error for a model without dropout (its passes would all agree).
 *
 *     rw_step_model *dm = rw_model_mc_step_model_new(m, "Q: ", 8, 42, &start);
 *     rw_rng rng = rw_rng_seed(7);
 *     int32_t out[40];
 *     int n = 0;
 *     if (dm && rw_decode_sample(dm, &(rw_decode_opts){ .start = start, .end = -1, .max_length = 40,
 *                                                       .temperature = 0.8, .rng = &rng }, out, &n) == RW_OK)
 *         for (int t = 0; t < n; t++)
 *             fputs(rw_model_token(m, out[t]), stdout);
 *     rw_step_model_free(dm);
 */
#define RW_MODEL_MC_MAX_PASSES 1000
RW_API rw_step_model *rw_model_mc_step_model_new(rw_model *m, const char *prime, int passes, uint64_t seed,
                                                 int32_t *start);

/* ---- training ----------------------------------------------------------------- */

/* An optimizer over rw_model_params(m) as train.optimizer says. */
RW_API rw_optim *rw_model_optim_new(const rw_model *m);

typedef enum rw_model_split { RW_SPLIT_TRAIN = 0, RW_SPLIT_VALID } rw_model_split;
/* Batches (`const rw_model_batch *`) of the loaded data, per train.batch.
 * For kind chars the text is cut into batch_size streams read in windows
 * of bptt steps whose state is carried when carry_state is set. *available
 * (may be NULL) is false when there is no such split; next then fails. The
 * source stays valid while m lives. */
RW_API rw_train_source rw_model_source(rw_model *m, rw_model_split split, bool *available);
/* The loaded examples of a split (data kinds other than chars), or NULL. */
RW_API const rw_seqdata *rw_model_examples(const rw_model *m, rw_model_split split);
/* Fills *o from the train: section: length, clipping, schedule, validation
 * on the valid split when there is one, early stopping, checkpoints (with
 * the model text and vocabulary as metadata), the log and the finite check.
 * The caller may then add progress, stop and resume fields. */
RW_API rw_status rw_model_train_opts(rw_model *m, rw_train_opts *o);
/* Sets train.replicas (1 to 64; `rewind train --replicas N`) before
 * rw_model_train_opts: with N > 1 that call builds N - 1 copies of the model
 * (from its text, on stores sharing its values; freed with m) and sets
 * o->replicas and o->replica_list, so that rw_train trains the N copies at
 * once in threads, each on 1/N of every batch (rw_set_threads(N) lets them
 * run side by side). */
RW_API rw_status rw_model_set_replicas(rw_model *m, int n);

/* Monte-Carlo dropout (F65): `passes` >= 1 forward passes of the batch with
 * dropout active (as in training; no penalties, no gradient), their softmax
 * probabilities averaged: a constant node on g, [T * B, V] for a token
 * model, [B, C] for a classifier. With b->state every pass starts from the
 * same carried state, and the state afterwards is the last pass's. Pass k
 * draws its masks from the k-th generator split from rw_model_rng(m), as
 * pass k of rw_model_mc_step_model_new does from its seed. The graph's mode
 * is restored. Score with rw_model_mc_loss.
 *
 *     rw_node *p = rw_model_mc_probs(g, m, &batch, 20);
 */
RW_API rw_node *rw_model_mc_probs(rw_graph *g, rw_model *m, const rw_model_batch *b, int passes);
/* The mean of -log p[target] over the batch's scored targets (labels for a
 * classifier; padding targets skipped) of probabilities from
 * rw_model_mc_probs; *count (may be NULL) gets how many were scored and,
 * when `correct` is not NULL, how many had the largest probability. */
RW_API double rw_model_mc_loss(const rw_node *probs, const rw_model_batch *b, long *count, long *correct);

/* ---- cells from YAML, for C code ------------------------------------------- */

/* Values of a YAML cell's own dims, in the order of its `dims:` list after
 * X and H (which come from the input width and the hidden size). */
typedef struct rw_model_cell_opts {
    int dims[6];
} rw_model_cell_opts;

/* The cell `name` of the file's `cells:` section (or an included file), to
 * use with rw_rnn_new or rw_cell_new (opts: an rw_model_cell_opts when the
 * cell has dims of its own, else NULL) while m lives. NULL if unknown. */
RW_API const rw_cell_def *rw_model_cell(const rw_model *m, const char *name);

#ifdef __cplusplus
}
#endif
#endif
