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

/* Splits META_SETS back into settings: *buf owns the text, the returned
 * array (malloc'd) points into it. */
static const char **split_settings(const char *joined, char **buf, int *n)
{
    *n = 0;
    *buf = NULL;
    if (!joined || !*joined)
        return NULL;
    *buf = strdup(joined);
    size_t lines = 1;
    for (const char *p = joined; *p; p++)
        lines += *p == '\n';
    const char **v = malloc(lines * sizeof *v);
    if (!*buf || !v) {
        free(*buf);
        free(v);
        *buf = NULL;
        rw_error(RW_ERR_NOMEM, "out of memory reading the settings");
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

static bool vocab_matches(rw_model *m, const char *saved)
{
    char *now = rw_model_vocab_string(m);
    if (!now) {
        rw_error_clear();
        return saved == NULL;
    }
    bool same = saved && strcmp(now, saved) == 0;
    free(now);
    return same;
}

rw_model *load_from_checkpoint(const rw_checkpoint *ck, const char *ck_path, bool with_data)
{
    const char *text = rw_checkpoint_meta(ck, META_MODEL);
    if (!text) {
        rw_error(RW_ERR_FORMAT, "checkpoint '%s' holds no model definition (metadata '%s'); it was not written by "
                 "'rewind train' or rw_model_train_opts", ck_path, META_MODEL);
        return NULL;
    }
    const char *vocab = rw_checkpoint_meta(ck, META_VOCAB);
    const char *file = rw_checkpoint_meta(ck, META_FILE);
    const char *dir = rw_checkpoint_meta(ck, META_DIR);
    char *ck_dir = NULL;
    if (!dir || !path_is_dir(dir))
        dir = ck_dir = path_absolute_dir(ck_path);
    char *buf;
    int n_sets;
    const char **sets = split_settings(rw_checkpoint_meta(ck, META_SETS), &buf, &n_sets);
    char name[512];
    snprintf(name, sizeof name, "%s", file ? file : "rewind.model");
    /* every parameter is restored below, so none is initialized first */
    rw_model_load_opts o = { .base_dir = dir, .skip_data = !with_data, .vocab = with_data ? NULL : vocab,
                             .overrides = sets, .n_overrides = n_sets, .skip_init = true,
                             .load_plugin = plugins_load_for_model };
    rw_model *m = rw_model_load_string(text, name, &o);
    if (m && with_data && !vocab_matches(m, vocab)) {
        rw_error(RW_ERR_SHAPE, "checkpoint '%s': the data of model '%s' now gives another vocabulary than the one "
                 "the checkpoint was trained with (did the data files change?)", ck_path, name);
        rw_model_free(m);
        m = NULL;
    }
    if (m && rw_checkpoint_restore(ck, rw_model_params(m), NULL, NULL, NULL) != RW_OK) {
        rw_model_free(m);
        m = NULL;
    }
    free(sets);
    free(buf);
    free(ck_dir);
    return m;
}
