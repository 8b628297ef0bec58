/* rewind diagnose MODEL.yaml|CHECKPOINT: the vanishing/exploding-gradient
 * picture (F80). For a loss on the last step of random sequences, writes
 * ||dL/dh_t|| of every recurrent layer against t to PREFIX.csv and plots it
 * (log scale) in PREFIX.svg, with the spectral radii of the recurrent
 * matrices and the fraction of each gate's activations that saturated;
 * warns when a gradient vanishes or explodes across the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind.h>
#include "cli.h"
#include "load.h"

static const cli_opt opts[] = {
    { "steps", "N", false, "length of the probe sequences (50)" },
    { "batch", "N", false, "sequences in the probe batch (8)" },
    { "seed", "N", false, "of the random probe tokens (1)" },
    { "out", "PREFIX", false, "write PREFIX.csv and PREFIX.svg (default: diagnose)" },
    { "vanish", "RATIO", false, "warn when ||dL/dh_0|| / ||dL/dh_T-1|| is below this (1e-6)" },
    { "explode", "RATIO", false, "warn when it is above this (1e6)" },
    { "set", "PATH=VALUE", true, "for MODEL.yaml: override a setting of the file" },
};

static const cli_command diagnose_cmd = {
    .name = "diagnose",
    .usage = "MODEL.yaml|CHECKPOINT [--steps N] [--batch N] [--seed N] [--out PREFIX] [--set PATH=VALUE ...]",
    .summary = "Measures how the gradient travels back through time: for a loss on the last step of random\n"
               "token sequences, ||dL/dh_t|| of every recurrent layer and direction at every step t, and the\n"
               "spectral radius of each recurrent matrix (per gate block), and the percentage of each gate's\n"
               "activations that saturated (sigmoid < 0.05 or > 0.95, tanh |g| > 0.95). A MODEL.yaml is measured at its\n"
               "initialization; a checkpoint with its trained parameters. Writes PREFIX.csv (t, one column per\n"
               "layer) and PREFIX.svg (the same on a log scale).",
    .opts = opts, .n_opts = sizeof opts / sizeof opts[0], .min_pos = 1, .max_pos = 1,
};

static rw_status write_csv(const char *path, const rw_model_diagnosis *d)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rw_error(RW_ERR_IO, "cannot write '%s'", path);
    fprintf(f, "t");
    for (int i = 0; i < d->n; i++)
        fprintf(f, ",%s", d->series[i].name);
    fprintf(f, "\n");
    for (int t = 0; t < d->steps; t++) {
        fprintf(f, "%d", t);
        for (int i = 0; i < d->n; i++)
            fprintf(f, ",%.6e", d->series[i].grad_norm[t]);
        fprintf(f, "\n");
    }
    return fclose(f) == 0 ? RW_OK : rw_error(RW_ERR_IO, "cannot write '%s'", path);
}

/* log10 of a norm, clamped so a zero gradient stays on the plot */
static double lg(double v) { return log10(v > 1e-300 ? v : 1e-300); }

static rw_status write_svg(const char *path, const rw_model_diagnosis *d)
{
    static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" };
    enum { W = 640, HT = 400, L = 70, R = 160, TOP = 30, BOT = 50 };
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < d->n; i++)
        for (int t = 0; t < d->steps; t++)
            if (d->series[i].grad_norm[t] > 0) {
                lo = fmin(lo, floor(lg(d->series[i].grad_norm[t])));
                hi = fmax(hi, ceil(lg(d->series[i].grad_norm[t])));
            }
    if (!(lo < hi)) {
        lo = isfinite(lo) ? lo - 1 : -1;
        hi = lo + 2;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return rw_error(RW_ERR_IO, "cannot write '%s'", path);
    double pw = W - L - R, ph = HT - TOP - BOT, tmax = d->steps > 1 ? d->steps - 1 : 1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, HT);
    fprintf(f, "<text x=\"%d\" y=\"18\">||dL/dh_t|| for a loss at t = %d (log scale)</text>\n", L, d->steps - 1);
    for (double e = lo; e <= hi; e++) { /* one grid line per decade */
        double y = TOP + ph * (hi - e) / (hi - lo);
        fprintf(f, "<line x1=\"%d\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>"
                "<text x=\"%d\" y=\"%g\" text-anchor=\"end\">1e%g</text>\n", L, L + pw, y, y, L - 6, y + 4, e);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n", L, TOP, pw, ph);
    fprintf(f, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">t</text>\n", L + pw / 2, HT - 12);
    for (int k = 0; k <= 4; k++)
        fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.0f</text>\n", L + pw * k / 4, TOP + ph + 16,
                tmax * k / 4);
    for (int i = 0; i < d->n; i++) {
        const char *c = colors[i % 6];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", c);
        for (int t = 0; t < d->steps; t++)
            fprintf(f, "%.1f,%.1f ", L + pw * t / tmax, TOP + ph * (hi - lg(d->series[i].grad_norm[t])) / (hi - lo));
        fprintf(f, "\"/>\n<text x=\"%g\" y=\"%d\" fill=\"%s\">%s</text>\n", L + pw + 8, TOP + 14 + 16 * i, c,
                d->series[i].name);
    }
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? RW_OK : rw_error(RW_ERR_IO, "cannot write '%s'", path);
}

/* The summary on stdout; a warning line per vanishing or exploding series. */
static void report(const rw_model_diagnosis *d, double vanish, double explode)
{
    int T = d->steps;
    for (int i = 0; i < d->n; i++) {
        const rw_model_diag_series *s = &d->series[i];
        double ratio = s->grad_norm[T - 1] > 0 ? s->grad_norm[0] / s->grad_norm[T - 1] : 0;
        printf("%s: ||dL/dh_0|| / ||dL/dh_%d|| = %.3g", s->name, T - 1, ratio);
        for (int k = 0; k < s->n_radii; k++)
            printf("%s%.3f", k ? ", " : "  spectral radii of U: ", s->radius[k]);
        for (int k = 0, shown = 0; k < s->gates.n; k++) /* gates the cell lacks have no name */
            if (s->gates.name[k])
                printf("%s%s %.1f%%", shown++ ? ", " : "  gates saturated: ", s->gates.name[k],
                       100 * rw_gate_saturated(&s->gates, k));
        printf("\n");
        size_t len = strlen(s->name);
        if (len > 4 && !strcmp(s->name + len - 4, ".rev")) /* its h_{T-1} is its first step: nothing travels back */
            continue;
        if (ratio < vanish)
            printf("warning: %s: the gradient vanishes over %d steps (ratio %.3g < %g)\n", s->name, T, ratio, vanish);
        else if (ratio > explode)
            printf("warning: %s: the gradient explodes over %d steps (ratio %.3g > %g)\n", s->name, T, ratio, explode);
    }
}

static rw_model *load(const cli_args *a)
{
    const char *path = a->pos[0];
    if (!path_is_checkpoint(path)) {
        int n_sets;
        const char *const *sets = cli_get_all(a, "set", &n_sets);
        return load_yaml(path, sets, n_sets, false);
    }
    rw_checkpoint *ck = rw_checkpoint_open(path);
    rw_model *m = ck ? load_from_checkpoint(ck, path, false) : NULL;
    rw_checkpoint_close(ck);
    return m;
}

int cmd_diagnose(int argc, char **argv)
{
    cli_args a;
    int st = cli_parse(&diagnose_cmd, argc, argv, &a);
    if (st >= 0)
        return st;
    long steps = 50, batch = 8, seed = 1;
    double vanish = 1e-6, explode = 1e6;
    bool ok = true;
    cli_long(&a, "steps", 1, 100000, &steps, &ok);
    cli_long(&a, "batch", 1, 4096, &batch, &ok);
    cli_long(&a, "seed", 0, 1L << 62, &seed, &ok);
    cli_double(&a, "vanish", 0, 1e300, &vanish, &ok);
    cli_double(&a, "explode", 0, 1e300, &explode, &ok);
    if (!ok || (path_is_checkpoint(a.pos[0]) && cli_has(&a, "set"))) {
        if (ok)
            cli_error("diagnose", "--set applies to a MODEL.yaml, not to a checkpoint");
        cli_args_free(&a);
        return EXIT_USAGE;
    }
    const char *prefix = cli_get(&a, "out") ? cli_get(&a, "out") : "diagnose";
    char csv[1024], svg[1024];
    snprintf(csv, sizeof csv, "%s.csv", prefix);
    snprintf(svg, sizeof svg, "%s.svg", prefix);
    rw_model *m = load(&a);
    rw_model_diagnosis d = { 0 };
    st = EXIT_FAIL;
    if (m && rw_model_diagnose(m, &(rw_model_diagnose_opts){ .steps = (int)steps, .batch = (int)batch,
                                                             .seed = (uint64_t)seed }, &d) == RW_OK &&
        path_make_parents(csv) == RW_OK && write_csv(csv, &d) == RW_OK && write_svg(svg, &d) == RW_OK) {
        if (d.n == 0)
            printf("the model has no recurrent layer\n");
        report(&d, vanish, explode);
        printf("wrote %s and %s\n", csv, svg);
        st = EXIT_OK;
    } else {
        cli_error("diagnose", "%s", rw_last_error());
    }
    rw_model_diagnosis_free(&d);
    rw_model_free(m);
    cli_args_free(&a);
    return st;
}
