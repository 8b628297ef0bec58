/* --plugin PATH.so: shared objects loaded at start-up with dlopen, each
 * registering its ops and cells from its entry point
 *     int rewind_plugin_init(void);   // 0 on success
 * The plugin resolves rw_* from this executable, which is linked with
 * -rdynamic and the whole library (tools/CMakeLists.txt): registering into
 * a second copy of the library (a plugin linked to librewind.so) would fill
 * registries the command never reads. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"

#define PLUGIN_ENTRY "rewind_plugin_init"

static int load_one(const char *path)
{
    /* a bare name would make dlopen search the library path: mean the file */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(buf, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        cli_error(NULL, "--plugin '%s': cannot load it: %s", path, dlerror());
        return -1;
    }
    int (*init)(void);
    *(void **)&init = dlsym(h, PLUGIN_ENTRY);
    if (!init) {
        cli_error(NULL, "--plugin '%s': no entry point: a rewind plugin defines 'int %s(void)'", path, PLUGIN_ENTRY);
        return -1;
    }
    rw_error_clear();
    int st = init();
    if (st != 0) {
        cli_error(NULL, "--plugin '%s': %s() failed (returned %d)%s%s", path, PLUGIN_ENTRY, st,
                  rw_last_status() != RW_OK ? ": " : "", rw_last_status() != RW_OK ? rw_last_error() : "");
        return -1;
    }
    return 0; /* the handle stays open: the plugin's records live in it */
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
