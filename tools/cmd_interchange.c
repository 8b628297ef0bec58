/* rewind export / rewind import: a model's parameters to and from
 * safetensors files, under rewind's names or as a PyTorch state dict
 * (rewind/model_safetensors.h, docs/interchange.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"

static const cli_opt export_opts[] = {
    { "safetensors", "FILE", false, "the file to write (required)" },
    { "torch", NULL, false, "PyTorch state-dict names and layouts (torch.nn.LSTM/GRU/RNN/Linear/Embedding)" },
    { "dtype", "f32|f64", false, "the element type written (default: the build's, which keeps every bit)" },
    { "map", NULL, false, "print the rewind -> torch name map (with --torch) instead of writing" },
    { "set", "PATH=VALUE", true, "for MODEL.yaml: override a setting of the file" },
};

static const cli_command export_cmd = {
    .name = "export",
    .usage = "CHECKPOINT|MODEL.yaml --safetensors FILE [--torch] [--dtype f32|f64]",
    .summary = "Writes the parameters of a checkpoint (or of a model file, freshly initialized from its seed)\n"
               "as a safetensors file: under rewind's own names, or with --torch as the state dict of a\n"
               "PyTorch module with one attribute per layer (nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.Linear;\n"
               "the map is in docs/interchange.md). Layers without an exact PyTorch equivalent are refused.",
    .opts = export_opts, .n_opts = sizeof export_opts / sizeof export_opts[0], .min_pos = 1, .max_pos = 1,
};

static const cli_opt import_opts[] = {
    { "safetensors", "FILE", false, "the file to read (required)" },
    { "out", "CHECKPOINT", false, "the checkpoint to write (required)" },
    { "torch", NULL, false, "the file is a PyTorch state dict (see rewind export --torch)" },
    { "set", "PATH=VALUE", true, "for MODEL.yaml: override a setting of the file" },
};

static const cli_command import_cmd = {
    .name = "import",
    .usage = "MODEL.yaml|CHECKPOINT --safetensors FILE --out CHECKPOINT [--torch] [--set PATH=VALUE ...]",
    .summary = "Builds the model of a model file (reading its data for the vocabulary) or of a checkpoint,\n"
               "sets every parameter from a safetensors file (each must be there with its shape, nothing may be\n"
               "left over) and writes a checkpoint that eval, predict, sample and export accept.",
    .opts = import_opts, .n_opts = sizeof import_opts / sizeof import_opts[0], .min_pos = 1, .max_pos = 1,
};

/* The model and, for import, the checkpoint metadata that rebuilds it. */
typedef struct source {
    rw_model *m;
    const char *keys[8], *values[8];
    int n_meta;
    char *dir, *sets_text, *vocab;
} source;

static void source_free(source *s)
{
    rw_model_free(s->m);
    free(s->dir);
    free(s->sets_text);
    free(s->vocab);
}

static void meta(source *s, const char *key, const char *value)
{
    if (value && s->n_meta < 8) {
        s->keys[s->n_meta] = key;
        s->values[s->n_meta++] = value;
    }
}

/* From a checkpoint: its model and metadata (but the carried state); from a
 * model file: the model and what `rewind train` would store. */
static rw_status open_source(const cli_args *a, source *s)
{
    const char *path = a->pos[0];
    int n_sets = 0;
    const char *const *sets = cli_get_all(a, "set", &n_sets);
    if (path_is_checkpoint(path)) {
        if (n_sets)
            return rw_error(RW_ERR_ARG, "--set applies to a MODEL.yaml, not to a checkpoint");
        rw_checkpoint *ck = rw_checkpoint_open(path);
        s->m = ck ? load_from_checkpoint(ck, path, false) : NULL;
        const char *keys[] = { META_MODEL, META_VOCAB, META_DIR, META_FILE, META_SETS };
        for (int i = 0; s->m && i < 5; i++) {
            const char *v = rw_checkpoint_meta(ck, keys[i]);
            if (v && !(v = strdup(v)))
                break;
            meta(s, keys[i], v);
        }
        /* the values above are copies: the checkpoint closes now */
        rw_checkpoint_close(ck);
        return s->m ? RW_OK : rw_last_status();
    }
    if (!(s->m = load_yaml(path, sets, n_sets, false)))
        return rw_last_status();
    if (!(s->dir = path_absolute_dir(path)) || !(s->sets_text = join_settings(sets, n_sets)))
        return rw_error(RW_ERR_NOMEM, "out of memory");
    s->vocab = rw_model_vocab_string(s->m);
    meta(s, META_MODEL, rw_model_text(s->m));
    meta(s, META_VOCAB, s->vocab);
    meta(s, META_DIR, s->dir);
    meta(s, META_FILE, path);
    if (n_sets)
        meta(s, META_SETS, s->sets_text);
    return RW_OK;
}

/* The metadata strings a checkpoint source copied (owned by the source). */
static void free_copied_meta(source *s, const cli_args *a)
{
    if (!path_is_checkpoint(a->pos[0]))
        return;
    for (int i = 0; i < s->n_meta; i++)
        free((char *)s->values[i]);
}

static int finish(const char *cmd, int st, source *s, cli_args *a)
{
    if (st == EXIT_FAIL)
        cli_error(cmd, "%s", rw_last_error());
    free_copied_meta(s, a);
    source_free(s);
    cli_args_free(a);
    return st;
}

int cmd_export(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&export_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    const char *out = cli_get(&a, "safetensors"), *dtype_name = cli_get(&a, "dtype");
    bool torch = cli_has(&a, "torch"), print_map = cli_has(&a, "map");
    rw_st_dtype dtype = sizeof(rw_real) == 8 ? RW_ST_F64 : RW_ST_F32;
    if (dtype_name && strcmp(dtype_name, "f32") && strcmp(dtype_name, "f64")) {
        cli_error("export", "--dtype is f32 or f64, not '%s'", dtype_name);
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    if (dtype_name)
        dtype = !strcmp(dtype_name, "f64") ? RW_ST_F64 : RW_ST_F32;
    if (!out == !print_map || (print_map && !torch)) {
        cli_error("export", "give --safetensors FILE (or --map with --torch to print the name map)");
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    source s = { 0 };
    st = open_source(&a, &s) == RW_OK ? EXIT_OK : EXIT_FAIL;
    if (st == EXIT_OK && print_map) {
        char *map = rw_model_torch_map(s.m);
        st = map ? EXIT_OK : EXIT_FAIL;
        if (map)
            fputs(map, stdout);
        free(map);
    } else if (st == EXIT_OK) {
        st = rw_model_save_safetensors(s.m, out, torch ? RW_NAMES_TORCH : RW_NAMES_REWIND, dtype) == RW_OK ? EXIT_OK : EXIT_FAIL;
        if (st == EXIT_OK)
            fprintf(stderr, "wrote %s: %d parameters of '%s' (%s names, %s)\n", out, rw_params_count(rw_model_params(s.m)),
                    rw_model_name(s.m) ? rw_model_name(s.m) : "model", torch ? "PyTorch" : "rewind",
                    rw_safetensors_dtype_name(dtype));
    }
    return finish("export", st, &s, &a);
}

int cmd_import(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&import_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    const char *in = cli_get(&a, "safetensors"), *out = cli_get(&a, "out");
    if (!in || !out) {
        cli_error("import", "give --safetensors FILE and --out CHECKPOINT");
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    source s = { 0 };
    st = open_source(&a, &s) == RW_OK &&
                 rw_model_load_safetensors(s.m, in, cli_has(&a, "torch") ? RW_NAMES_TORCH : RW_NAMES_REWIND) == RW_OK &&
                 path_make_parents(out) == RW_OK &&
                 rw_checkpoint_save_ex(out, rw_model_params(s.m), NULL, NULL, 0, s.keys, s.values, s.n_meta) == RW_OK
             ? EXIT_OK
             : EXIT_FAIL;
    if (st == EXIT_OK)
        fprintf(stderr, "wrote %s: the parameters of '%s' from %s\n", out, rw_model_name(s.m) ? rw_model_name(s.m) : "model", in);
    return finish("import", st, &s, &a);
}
