/* tools/load.h - getting a model for a command: from a YAML file (with
 * --set overrides), or rebuilt from the metadata of a checkpoint written by
 * `rewind train`; and small path helpers. */
#ifndef REWIND_TOOLS_LOAD_H
#define REWIND_TOOLS_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <rewind.h>

/* Checkpoint metadata. rw_model_train_opts stores the first two; `rewind
 * train` adds the others so a checkpoint alone rebuilds the same model. */
#define META_MODEL RW_MODEL_META_TEXT
#define META_VOCAB RW_MODEL_META_VOCAB
#define META_DIR RW_MODEL_META_DIR
#define META_FILE RW_MODEL_META_FILE
#define META_SETS RW_MODEL_META_OVERRIDES
#define META_STATE "rewind.state" /* the carried recurrent state (rw_model_state_save) */

/* Loads MODEL.yaml with `sets` ("path=value") applied; skip_data: neither
 * check nor read the data files. NULL with rw_last_error(). */
rw_model *load_yaml(const char *path, const char *const *sets, int n_sets, bool skip_data);

/* The checkpoint a command uses for model m: `given` (--checkpoint), else
 * train.checkpoint, else runs/NAME/last.rwc written into buf. */
const char *model_checkpoint_path(const rw_model *m, const char *given, char *buf, size_t size);

/* m, loaded from MODEL.yaml `path` with `sets`, about to take the parameters
 * of checkpoint `ck_path`: when its vocabulary is not the one the checkpoint
 * saved, m is freed and MODEL.yaml loaded again with the saved vocabulary
 * (what a checkpoint from before "<unk>" needs), or an error says the data
 * changed. Returns the model to use (m itself when nothing differs or there
 * is nothing to compare), NULL with rw_last_error() (m freed). */
rw_model *load_yaml_for_checkpoint(rw_model *m, const char *path, const char *const *sets, int n_sets,
                                   const char *ck_path);

/* Rebuilds the model a checkpoint was trained from (its text, overrides and
 * vocabulary from the metadata) and restores its parameters. with_data:
 * also read the model's data files (resolved against the model file's
 * original directory), and check the vocabulary they give is the
 * checkpoint's. NULL with rw_last_error(). */
rw_model *load_from_checkpoint(const rw_checkpoint *ck, const char *ck_path, bool with_data);

/* Joins settings with newlines (for META_SETS); malloc'd, "" for none. */
char *join_settings(const char *const *sets, int n_sets);

/* Generates `length` tokens after `prime` (NULL: none) with rw_model_generate
 * from a generator seeded with `seed`, and prints the prime and the text
 * to `out` (cmd_sample.c). temperature <= 0: greedy. */
rw_status print_generated(FILE *out, rw_model *m, const char *prime, int length, double temperature, int top_k,
                          uint64_t seed);

/* ---- paths (paths.c) ---- */

/* The directory part of a path ("." when none); malloc'd. */
char *path_dir(const char *path);
/* The same made absolute when it exists; malloc'd. */
char *path_absolute_dir(const char *path);
bool path_is_dir(const char *path);
bool path_exists(const char *path);
/* Creates the directories leading to a file path (mkdir -p of its dir). */
rw_status path_make_parents(const char *path);
/* True when the file starts with the checkpoint magic. */
bool path_is_checkpoint(const char *path);

/* ---- the checkpoint's directory (checkpoint_dir.c) ---- */
/* Before training: the checkpoint can be created beside `ck_path` (probed with
 * a file created and removed), is not a directory, and about need_bytes are
 * free on its file system. An error naming the path otherwise. */
rw_status checkpoint_dir_ready(const char *ck_path, unsigned long long need_bytes);
/* Removes the temporary files "<ck_path>.tmp-<pid>-<n>" of writers that no
 * longer run (a run killed while saving); returns how many. */
int checkpoint_clean_stale(const char *ck_path);

#endif
