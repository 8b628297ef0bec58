/* A model rebuilt from a checkpoint that rw_model_train_opts (and so
 * `rewind train`) wrote: the model file's text, its --set overrides and
 * its vocabulary come from the checkpoint's metadata, then the parameters
 * are restored. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rewind_internal/alloc.h"
#include "model_internal.h"

/* The absolute directory of a file path (as given when realpath fails); rwi_free it. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1, slash ? path : ".");
    char *abs = realpath(dir, NULL), *out = rwi_strdup(abs ? abs : dir, "a directory");
    free(abs);
    return out;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The overrides saved one per line: *buf owns the text, the array points into it. */
static const char **split_lines(const char *joined, char **buf, int *n)
{
    *n = 0;
    *buf = NULL;
    if (!joined || !*joined)
        return NULL;
    size_t lines = 1;
    for (const char *p = joined; *p; p++)
        lines += *p == '\n';
    const char **v = rwi_malloc(lines * sizeof *v, "saved settings");
    if (!v || !(*buf = rwi_strdup(joined, "saved settings"))) {
        rwi_free(v);
        return NULL;
    }
    for (char *p = *buf; p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        v[(*n)++] = p;
        p = nl ? nl + 1 : NULL;
    }
    return v;
}

static bool same_vocab(rw_model *m, const char *saved)
{
    char *now = rw_model_vocab_string(m);
    if (!now) {
        rw_error_clear();
        return saved == NULL;
    }
    bool same = saved && strcmp(now, saved) == 0;
    rwi_free(now);
    return same;
}

rw_model *rw_model_from_open_checkpoint(const rw_checkpoint *ck, const char *path,
                                        const rw_model_checkpoint_opts *opts)
{
    rw_model_checkpoint_opts none = { 0 };
    const rw_model_checkpoint_opts *o = opts ? opts : &none;
    const char *name = path ? path : "checkpoint";
    const char *text = ck ? rw_checkpoint_meta(ck, RW_MODEL_META_TEXT) : NULL;
    if (!text) {
        rw_error(ck ? RW_ERR_FORMAT : RW_ERR_ARG, "checkpoint '%s' holds no model definition (metadata '%s'); it was "
                 "not written by 'rewind train' or rw_model_train_opts", name, RW_MODEL_META_TEXT);
        return NULL;
    }
    const char *vocab = rw_checkpoint_meta(ck, RW_MODEL_META_VOCAB);
    const char *file = rw_checkpoint_meta(ck, RW_MODEL_META_FILE);
    const char *dir = o->base_dir ? o->base_dir : rw_checkpoint_meta(ck, RW_MODEL_META_DIR);
    char *ck_dir = NULL, *buf = NULL;
    if (!dir || !is_dir(dir))
        dir = ck_dir = directory_of(name);
    int n_sets = 0;
    const char **sets = split_lines(rw_checkpoint_meta(ck, RW_MODEL_META_OVERRIDES), &buf, &n_sets);
    rw_model_load_opts lo = { .base_dir = dir, .skip_data = !o->with_data, .vocab = vocab,
                              .overrides = sets, .n_overrides = n_sets,
                              .skip_init = true, /* every parameter is restored below */
                              .load_plugin = o->load_plugin, .plugin_ctx = o->plugin_ctx };
    rw_model *m = dir ? rw_model_load_string(text, file ? file : "rewind.model", &lo) : NULL;
    if (m && o->with_data && !same_vocab(m, vocab)) {
        rw_error(RW_ERR_SHAPE, "checkpoint '%s': the data of model '%s' now gives another vocabulary than the one the "
                 "checkpoint was trained with (did the data files change?)", name, file ? file : rw_model_name(m));
        rw_model_free(m);
        m = NULL;
    }
    if (m && rw_checkpoint_restore(ck, rw_model_params(m), NULL, NULL, NULL) != RW_OK) {
        rw_model_free(m);
        m = NULL;
    }
    rwi_free(sets);
    rwi_free(buf);
    rwi_free(ck_dir);
    return m;
}

rw_model *rw_model_from_checkpoint(const char *path, const rw_model_checkpoint_opts *opts)
{
    if (!path) {
        rw_error(RW_ERR_ARG, "rw_model_from_checkpoint: NULL path");
        return NULL;
    }
    rw_checkpoint *ck = rw_checkpoint_open(path);
    rw_model *m = ck ? rw_model_from_open_checkpoint(ck, path, opts) : NULL;
    rw_checkpoint_close(ck);
    return m;
}
