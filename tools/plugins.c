/* --plugin PATH.so: shared objects loaded at start-up with dlopen, each
 * registering its ops and cells from its entry point
 *     int rewind_plugin_init(void);   // 0 on success
 * The plugin resolves rw_* from this executable, which is linked with
 * -rdynamic and the whole library (tools/CMakeLists.txt): registering into
 * a second copy of the library (a plugin linked to librewind.so) would fill
 * registries the command never reads. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"

#define PLUGIN_ENTRY "rewind_plugin_init"

#define MAX_PLUGINS 64

static void *loaded[MAX_PLUGINS]; /* handles whose entry point has run */
static int n_loaded;

static bool already_loaded(void *h)
{
    for (int i = 0; i < n_loaded; i++)
        if (loaded[i] == h)
            return true;
    return false;
}

/* dlopens `path` and runs its entry point (once per file when `once`);
 * RW_OK, or an error (rw_error) saying what failed. */
static rw_status load_plugin(const char *path, bool once)
{
    /* a bare name would make dlopen search the library path: mean the file */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(buf, RTLD_NOW | RTLD_GLOBAL);
    if (!h)
        return rw_error(RW_ERR_IO, "cannot load it: %s", dlerror());
    if (once && already_loaded(h))
        return RW_OK;
    int (*init)(void);
    *(void **)&init = dlsym(h, PLUGIN_ENTRY);
    if (!init)
        return rw_error(RW_ERR_FORMAT, "no entry point: a rewind plugin defines 'int %s(void)'", PLUGIN_ENTRY);
    if (n_loaded == MAX_PLUGINS)
        return rw_error(RW_ERR_ARG, "more than %d plugins", MAX_PLUGINS);
    rw_error_clear();
    int st = init();
    if (st != 0) {
        char why[600] = "";
        if (rw_last_status() != RW_OK)
            snprintf(why, sizeof why, ": %s", rw_last_error());
        return rw_error(RW_ERR_ARG, "%s() failed (returned %d)%s", PLUGIN_ENTRY, st, why);
    }
    loaded[n_loaded++] = h;
    return RW_OK; /* the handle stays open: the plugin's records live in it */
}

rw_status plugins_load_for_model(const char *path, void *ctx)
{
    (void)ctx;
    return load_plugin(path, true);
}

static int load_one(const char *path)
{
    if (load_plugin(path, false) != RW_OK) {
        cli_error(NULL, "--plugin '%s': %s", path, rw_last_error());
        return -1;
    }
    return 0;
}

int plugins_load_from_args(int *argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *path = NULL;
        if (strcmp(argv[i], "--plugin") == 0) {
            if (i + 1 >= *argc) {
                cli_error(NULL, "--plugin needs a path to a shared object");
                return EXIT_USAGE;
            }
            path = argv[++i];
        } else if (strncmp(argv[i], "--plugin=", 9) == 0) {
            path = argv[i] + 9;
        }
        if (!path)
            argv[out++] = argv[i];
        else if (load_one(path) != 0)
            return EXIT_FAIL;
    }
    *argc = out;
    argv[out] = NULL;
    return -1;
}
