/* The top-level `plugins:` key: shared objects that register ops and cells,
 * loaded (through the caller's rw_model_load_opts.load_plugin) before any
 * cell or op of the file is looked up. The model library itself never
 * dlopens: the program decides how plugins are loaded. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "yaml/diag.h"
#include "model_internal.h"

static rw_status load_one(const rw_model *m, const ynode *item, const rw_model_load_opts *o)
{
    char rel[Y_TEXT_MAX], path[Y_TEXT_MAX + 512];
    yctx none = { 0 };
    if (rwi_ys_text(&none, item, "plugins", rel, sizeof rel, NULL) != RW_OK)
        return RW_ERR_FORMAT;
    snprintf(path, sizeof path, "%s%s%s", rel[0] == '/' ? "" : m->base_dir, rel[0] == '/' ? "" : "/", rel);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return rwi_ydiag(RW_ERR_IO, item, "plugin '%s' not found (looked for '%s'; relative paths start at the model "
                         "file's directory)", rel, path);
    if (!o->load_plugin)
        return rwi_ydiag(RW_ERR_FORMAT, item, "this program does not load plugins (rw_model_load_opts.load_plugin "
                         "is not set); 'rewind' does");
    rw_error_clear();
    if (o->load_plugin(path, o->plugin_ctx) != RW_OK) {
        char why[600];
        snprintf(why, sizeof why, "%s", rw_last_status() != RW_OK ? rw_last_error() : "it failed");
        return rwi_ydiag(RW_ERR_IO, item, "cannot load plugin '%s': %s", rel, why);
    }
    return RW_OK;
}

rw_status rwi_mload_plugins(const rw_model *m, const ynode *root, const rw_model_load_opts *o)
{
    const ynode *list = root->kind == Y_MAP ? rwi_ymap_get(root, "plugins") : NULL;
    if (!list)
        return RW_OK;
    if (list->kind == Y_SCALAR)
        return load_one(m, list, o);
    if (rwi_ys_expect(list, Y_SEQ, "plugins") != RW_OK)
        return RW_ERR_FORMAT;
    for (int i = 0; i < list->n; i++)
        if (load_one(m, list->vals[i], o) != RW_OK)
            return rw_last_status();
    return RW_OK;
}
