/* curves.svg: what rw_train reported, drawn with svg_plot. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "curves.h"
#include "load.h"
#include "svg_plot.h"

/* Seconds between rewrites when no validation triggers one. */
#define CURVES_EVERY 10.0

rw_status curves_init(curves *c, const char *checkpoint_path, const char *title, progress *prog)
{
    memset(c, 0, sizeof *c);
    char *dir = path_dir(checkpoint_path);
    if (!dir)
        return rw_error(RW_ERR_NOMEM, "out of memory");
    size_t len = strlen(dir) + sizeof "/curves.svg";
    c->path = malloc(len);
    if (c->path)
        snprintf(c->path, len, "%s/curves.svg", dir);
    free(dir);
    c->title = title;
    c->prog = prog;
    return c->path ? RW_OK : rw_error(RW_ERR_NOMEM, "out of memory");
}

static bool push(curve *k, double x, double y)
{
    if (k->n == k->cap) {
        long cap = k->cap ? 2 * k->cap : 256;
        double *nx = realloc(k->x, (size_t)cap * sizeof *nx);
        if (nx)
            k->x = nx;
        double *ny = nx ? realloc(k->y, (size_t)cap * sizeof *ny) : NULL;
        if (!ny)
            return false;
        k->y = ny;
        k->cap = cap;
    }
    k->x[k->n] = x;
    k->y[k->n++] = y;
    return true;
}

void curves_progress(const rw_train_progress *tp, void *ctx)
{
    curves *c = ctx;
    progress_update(tp, c->prog);
    bool ok = true;
    if (tp->validated) {
        ok = push(&c->valid, (double)tp->step, tp->valid_loss);
        c->n_metrics = tp->metric_count;
        c->metric_list = tp->metric_list;
        for (int i = 0; i < tp->metric_count && ok; i++)
            ok = push(&c->metric[i], (double)tp->step, tp->metric_values[i]);
    } else {
        ok = push(&c->train, (double)tp->step, tp->loss);
    }
    if (!ok && !c->failed) {
        fprintf(stderr, "rewind: warning: out of memory for the curves; '%s' stops here\n", c->path);
        c->failed = true;
    }
    if (tp->validated || tp->seconds - c->last_write >= CURVES_EVERY) {
        c->last_write = tp->seconds;
        if (curves_write(c) != RW_OK && !c->failed) {
            fprintf(stderr, "rewind: warning: %s (training goes on)\n", rw_last_error());
            rw_error_clear();
            c->failed = true;
        }
    }
}

/* At most CURVES_MAX_POINTS points: means over equal runs of steps. */
static curve thin(const curve *k, double *x, double *y)
{
    if (k->n <= CURVES_MAX_POINTS)
        return *k;
    curve out = { .x = x, .y = y };
    for (int b = 0; b < CURVES_MAX_POINTS; b++) {
        long from = k->n * b / CURVES_MAX_POINTS, to = k->n * (b + 1) / CURVES_MAX_POINTS;
        double sx = 0, sy = 0;
        for (long i = from; i < to; i++) {
            sx += k->x[i];
            sy += k->y[i];
        }
        x[out.n] = sx / (double)(to - from);
        y[out.n++] = sy / (double)(to - from);
    }
    return out;
}

rw_status curves_write(curves *c)
{
    static double tx[CURVES_MAX_POINTS], ty[CURVES_MAX_POINTS];
    curve train = thin(&c->train, tx, ty);
    plot_series loss[2] = {
        { .name = "train loss", .x = train.x, .y = train.y, .n = (int)train.n, .dots = false },
        { .name = "validation loss", .x = c->valid.x, .y = c->valid.y, .n = (int)c->valid.n, .dots = true },
    };
    plot_series metrics[RW_TRAIN_MAX_METRICS];
    char names[RW_TRAIN_MAX_METRICS][32];
    for (int i = 0; i < c->n_metrics; i++)
        metrics[i] = (plot_series){ .name = rw_metric_name(c->metric_list[i], names[i], sizeof names[i]),
                                    .x = c->metric[i].x, .y = c->metric[i].y, .n = (int)c->metric[i].n,
                                    .dots = true };
    plot_panel panels[2] = {
        { .title = "loss", .x_label = "step", .y_label = "loss", .series = loss, .n_series = c->valid.n ? 2 : 1 },
        { .title = "validation metrics", .x_label = "step", .y_label = "value", .series = metrics,
          .n_series = c->n_metrics },
    };
    size_t len = strlen(c->path) + 8;
    char *tmp = malloc(len);
    if (!tmp)
        return rw_error(RW_ERR_NOMEM, "out of memory");
    snprintf(tmp, len, "%s.tmp", c->path);
    FILE *f = fopen(tmp, "w");
    int bad = !f || svg_plot_write(f, c->title, panels, c->n_metrics ? 2 : 1) != 0;
    if (f && fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, c->path) != 0) {
        rw_status s = rw_error(RW_ERR_IO, "cannot write the curves '%s': %s", c->path, strerror(errno));
        remove(tmp);
        free(tmp);
        return s;
    }
    free(tmp);
    return RW_OK;
}

void curves_free(curves *c)
{
    free(c->train.x);
    free(c->train.y);
    free(c->valid.x);
    free(c->valid.y);
    for (int i = 0; i < RW_TRAIN_MAX_METRICS; i++) {
        free(c->metric[i].x);
        free(c->metric[i].y);
    }
    free(c->path);
}
