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

rw_model *load_from_checkpoint(const rw_checkpoint *ck, const char *ck_path, bool with_data)
{
    return rw_model_from_open_checkpoint(ck, ck_path, &(rw_model_checkpoint_opts){
        .with_data = with_data, .load_plugin = plugins_load_for_model });
}
