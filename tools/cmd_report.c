/* rewind report RUN_DIR: one self-contained HTML page about a training run
 * (no scripts, no links to fetch): its curves, the model's summary and YAML
 * from the checkpoint, a sample or the predictions, and whatever attention
 * maps (*.svg) and gradient diagnostics (diagnostics.svg / .csv) the run
 * directory holds. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"

static const cli_opt opts[] = {
    { "output", "PATH", false, "where to write the page (default: RUN_DIR/report.html)" },
    { "checkpoint", "PATH", false, "the run's checkpoint (default: RUN_DIR/last.rwc, else the first *.rwc)" },
    { "sample-length", "N", false, "characters of the sample a language model writes (default 300)" },
};

static const cli_command report_cmd = {
    .name = "report",
    .usage = "RUN_DIR [--output PATH] [--checkpoint PATH] [--sample-length N]",
    .summary = "Writes one self-contained HTML page about a training run: the curves (curves.svg, which\n"
               "'rewind train' keeps next to the checkpoint), the model's summary and YAML (from the\n"
               "checkpoint), a generated sample (language models) or the run's predictions*/samples* files,\n"
               "attention maps (*.svg from 'rewind translate --attention') and gradient diagnostics\n"
               "(diagnostics.svg, diagnostics.csv) when the directory has them. It needs no network.",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

static void put_html(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++)
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        default: fputc(s[i], f);
        }
}

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

/* An SVG file inline: everything from its <svg element on. */
static bool put_svg(FILE *out, const char *path, const char *heading)
{
    char *text = read_all(path, NULL);
    const char *svg = text ? strstr(text, "<svg") : NULL;
    if (svg) {
        fprintf(out, "<section><h2>");
        put_html(out, heading, strlen(heading));
        fprintf(out, "</h2>\n<div class=\"figure\">%s</div></section>\n", svg);
    }
    free(text);
    return svg != NULL;
}

static void put_pre_file(FILE *out, const char *path, const char *heading, size_t max)
{
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text)
        return;
    fprintf(out, "<section><h2>");
    put_html(out, heading, strlen(heading));
    fprintf(out, "</h2>\n<pre>");
    put_html(out, text, len < max ? len : max);
    fprintf(out, "%s</pre></section>\n", len > max ? "\n..." : "");
    free(text);
}

/* A CSV file as a table (the first `max_rows` rows). */
static void put_csv(FILE *out, const char *path, const char *heading, int max_rows)
{
    char *text = read_all(path, NULL);
    if (!text)
        return;
    fprintf(out, "<section><h2>%s</h2>\n<table>\n", heading);
    int row = 0;
    for (char *line = strtok(text, "\n"); line && row <= max_rows; line = strtok(NULL, "\n"), row++) {
        fprintf(out, "<tr>");
        for (char *cell = line, *end; cell; cell = end ? end + 1 : NULL) {
            end = strchr(cell, ',');
            fprintf(out, row ? "<td>" : "<th>");
            put_html(out, cell, end ? (size_t)(end - cell) : strlen(cell));
            fprintf(out, row ? "</td>" : "</th>");
        }
        fprintf(out, "</tr>\n");
    }
    fprintf(out, "</table></section>\n");
    free(text);
}

/* "a.svg" */
static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The directory's file names, sorted (free each and the array). */
static char **list_dir(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (size_t)(*n + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof *names, cmp_names);
    return names;
}

/* The model's summary, YAML and (for a language model) a sample. */
static void put_model(FILE *out, const char *ck_path, long sample_length)
{
    rw_checkpoint *ck = rw_checkpoint_open(ck_path);
    if (!ck) {
        fprintf(out, "<section><h2>Model</h2><p class=\"missing\">");
        put_html(out, rw_last_error(), strlen(rw_last_error()));
        fprintf(out, "</p></section>\n");
        rw_error_clear();
        return;
    }
    fprintf(out, "<section><h2>Model</h2>\n<p>Checkpoint <code>");
    put_html(out, ck_path, strlen(ck_path));
    fprintf(out, "</code>, step %ld.</p>\n", rw_checkpoint_step(ck));
    rw_model *m = load_from_checkpoint(ck, ck_path, false);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (m && mem) {
        rw_model_print_summary(mem, m);
        fflush(mem);
        fprintf(out, "<pre class=\"summary\">");
        put_html(out, buf, len);
        fprintf(out, "</pre>\n");
    } else if (!m) {
        fprintf(out, "<p class=\"missing\">The model does not rebuild: ");
        put_html(out, rw_last_error(), strlen(rw_last_error()));
        fprintf(out, "</p>\n");
        rw_error_clear();
    }
    const char *yaml = rw_checkpoint_meta(ck, META_MODEL);
    if (yaml) {
        fprintf(out, "<h3>Model file</h3>\n<pre class=\"yaml\">");
        put_html(out, yaml, strlen(yaml));
        fprintf(out, "</pre>\n");
    }
    fprintf(out, "</section>\n");
    if (m && mem && rw_model_classes(m) == 0 && rw_model_data_config_of(m)->kind == RW_DATA_CHARS &&
        sample_length > 0) {
        const rw_model_generate_config *g = rw_model_generate_config_of(m);
        rewind(mem);
        len = 0;
        if (print_generated(mem, m, g->prime, (int)sample_length, g->greedy ? 0 : g->temperature, g->top_k,
                            rw_model_train_config_of(m)->seed) == RW_OK) {
            fflush(mem);
            fprintf(out, "<section><h2>Sample</h2>\n<pre class=\"sample\">");
            put_html(out, buf, len);
            fprintf(out, "</pre></section>\n");
        }
        rw_error_clear();
    }
    if (mem)
        fclose(mem);
    free(buf);
    rw_model_free(m);
    rw_checkpoint_close(ck);
}

static const char style[] =
    "body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
    "pre{background:#f6f6f6;padding:.8em;overflow:auto}table{border-collapse:collapse;font-size:12px}"
    "td,th{border:1px solid #ccc;padding:2px 6px}.missing{color:#a00}";

static int write_report(FILE *out, const char *dir, const char *ck_path, long sample_length)
{
    int n;
    char **names = list_dir(dir, &n);
    char path[4096];
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rewind report: ");
    put_html(out, dir, strlen(dir));
    fprintf(out, "</title><style>%s</style></head><body>\n<h1>Training run <code>", style);
    put_html(out, dir, strlen(dir));
    fprintf(out, "</code></h1>\n");
    snprintf(path, sizeof path, "%s/curves.svg", dir);
    if (!put_svg(out, path, "Curves"))
        fprintf(out, "<section><h2>Curves</h2><p class=\"missing\">No curves.svg in this directory.</p></section>\n");
    if (ck_path)
        put_model(out, ck_path, sample_length);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        const char *name = names[i];
        if (strcmp(name, "curves.svg") == 0)
            continue;
        if (strcmp(name, "diagnostics.svg") == 0)
            put_svg(out, path, "Gradient diagnostics");
        else if (strcmp(name, "diagnostics.csv") == 0)
            put_csv(out, path, "Gradient diagnostics (first rows)", 50);
        else if (has_suffix(name, ".svg"))
            put_svg(out, path, name); /* attention maps and other pictures */
        else if ((!strncmp(name, "predictions", 11) || !strncmp(name, "samples", 7)) &&
                 (has_suffix(name, ".txt") || has_suffix(name, ".tsv")))
            put_pre_file(out, path, name, 8192);
    }
    fprintf(out, "</body></html>\n");
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ferror(out) ? -1 : 0;
}

/* RUN_DIR/last.rwc, else the first *.rwc (malloc'd), or NULL. */
static char *find_checkpoint(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/last.rwc", dir);
    if (path_exists(path))
        return strdup(path);
    int n;
    char **names = list_dir(dir, &n);
    char *found = NULL;
    for (int i = 0; i < n; i++) {
        if (!found && has_suffix(names[i], ".rwc")) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            found = strdup(path);
        }
        free(names[i]);
    }
    free(names);
    return found;
}

int cmd_report(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&report_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    bool ok = true;
    long sample_length = 300;
    cli_long(&a, "sample-length", 0, 100000, &sample_length, &ok);
    const char *dir = a.pos[0];
    if (!ok || !path_is_dir(dir)) {
        if (ok)
            cli_error("report", "'%s' is not a directory (give the run directory, where the checkpoint is)", dir);
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    char *ck = cli_has(&a, "checkpoint") ? strdup(cli_get(&a, "checkpoint")) : find_checkpoint(dir);
    char def[4096];
    snprintf(def, sizeof def, "%s/report.html", dir);
    const char *out_path = cli_has(&a, "output") ? cli_get(&a, "output") : def;
    FILE *out = fopen(out_path, "w");
    int bad = !out || write_report(out, dir, ck, sample_length) != 0;
    if (out && fclose(out) != 0)
        bad = 1;
    if (bad)
        cli_error("report", "cannot write '%s'", out_path);
    else
        fprintf(stderr, "rewind: report written to '%s'\n", out_path);
    free(ck);
    cli_args_free(&a);
    return bad ? EXIT_FAIL : EXIT_OK;
}
