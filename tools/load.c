/* Getting a model for a command: from a YAML file, or rebuilt from the
 * metadata `rewind train` stores in its checkpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "load.h"

rw_model *load_yaml(const char *path, const char *const *sets, int n_sets, bool skip_data)
{
    rw_model_load_opts o = { .skip_data = skip_data, .overrides = sets, .n_overrides = n_sets,
                             .load_plugin = plugins_load_for_model };
    return rw_model_load(path, &o);
}

/* The model's vocabulary differs from `saved`: MODEL.yaml is loaded again with
 * the saved one, which the data then gives as well when only "<unk>" made
 * the difference (a checkpoint from before character vocabularies had it). */
static rw_model *reload_with_vocab(rw_model *m, const char *path, const char *const *sets, int n_sets,
                                   const char *ck_path, const char *saved)
{
    rw_model_free(m);
    rw_model_load_opts o = { .overrides = sets, .n_overrides = n_sets, .vocab = saved,
                             .load_plugin = plugins_load_for_model };
    if (!(m = rw_model_load(path, &o)))
        return NULL;
    char *now = rw_model_vocab_string(m);
    bool same = now && strcmp(now, saved) == 0;
    free(now);
    if (!same) {
        rw_error(RW_ERR_SHAPE, "%s: its data now gives another vocabulary than the one checkpoint '%s' was trained "
                 "with (did the data files change?); 'rewind eval %s --data FILE' scores the checkpoint with its own",
                 path, ck_path, ck_path);
        rw_model_free(m);
        return NULL;
    }
    return m;
}

rw_model *load_yaml_for_checkpoint(rw_model *m, const char *path, const char *const *sets, int n_sets,
                                   const char *ck_path)
{
    rw_checkpoint *ck = path_is_checkpoint(ck_path) ? rw_checkpoint_open(ck_path) : NULL;
    const char *saved = ck ? rw_checkpoint_meta(ck, META_VOCAB) : NULL;
    char *now = saved ? rw_model_vocab_string(m) : NULL;
    if (!ck || !now)
        rw_error_clear(); /* nothing to compare: loading the parameters reports what is wrong */
    if (now && strcmp(now, saved) != 0)
        m = reload_with_vocab(m, path, sets, n_sets, ck_path, saved);
    free(now);
    rw_checkpoint_close(ck);
    return m;
}

const char *model_checkpoint_path(const rw_model *m, const char *given, char *buf, size_t size)
{
    if (given)
        return given;
    const char *configured = rw_model_train_config_of(m)->checkpoint_path;
    if (configured)
        return configured;
    snprintf(buf, size, "runs/%s/last.rwc", rw_model_name(m) ? rw_model_name(m) : "model");
    return buf;
}

char *join_settings(const char *const *sets, int n_sets)
{
    size_t len = 1;
    for (int i = 0; i < n_sets; i++)
        len += strlen(sets[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s) {
        rw_error(RW_ERR_NOMEM, "out of memory joining the settings");
        return NULL;
    }
    for (int i = 0; i < n_sets; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", sets[i]);
    *p = '\0';
    return s;
}

rw_model *load_from_checkpoint(const rw_checkpoint *ck, const char *ck_path, bool with_data)
{
    return rw_model_from_open_checkpoint(ck, ck_path, &(rw_model_checkpoint_opts){
        .with_data = with_data, .load_plugin = plugins_load_for_model });
}
