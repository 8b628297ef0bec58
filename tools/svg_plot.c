/* Standalone SVG line charts with "nice" axis ticks (1, 2, 5 times a power
 * of ten), labels and a legend; nothing but SVG 1.1, so any browser shows it. */
#include <math.h>
#include <string.h>
#include "svg_plot.h"

enum { WIDTH = 720, PANEL_H = 300, LEFT = 70, RIGHT = 150, TOP = 40, BOTTOM = 50, TITLE_H = 30 };

static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                       "#e377c2", "#17becf" };

/* XML text: & < > and " escaped. */
static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* A tick step giving about `want` ticks over [lo, hi]. */
static double tick_step(double lo, double hi, int want)
{
    double raw = (hi - lo) / want, p = pow(10, floor(log10(raw))), r = raw / p;
    return p * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

typedef struct range {
    double lo, hi;
} range;

static range data_range(const plot_panel *p, bool x_axis)
{
    range r = { INFINITY, -INFINITY };
    for (int s = 0; s < p->n_series; s++)
        for (int i = 0; i < p->series[s].n; i++) {
            double v = x_axis ? p->series[s].x[i] : p->series[s].y[i];
            if (isfinite(v) && isfinite(p->series[s].y[i])) {
                r.lo = fmin(r.lo, v);
                r.hi = fmax(r.hi, v);
            }
        }
    if (!(r.lo <= r.hi))
        r = (range){ 0, 1 };
    if (r.hi - r.lo < 1e-12 * fmax(1, fabs(r.hi))) { /* one value: a band around it */
        double pad = fmax(fabs(r.lo) * 0.1, 0.5);
        r.lo -= pad;
        r.hi += pad;
    }
    double step = tick_step(r.lo, r.hi, 5);
    return (range){ floor(r.lo / step) * step, ceil(r.hi / step) * step };
}

static void axes(FILE *f, const plot_panel *p, range xr, range yr, int top)
{
    int h = PANEL_H - BOTTOM, w = WIDTH - LEFT - RIGHT;
    fprintf(f, "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"11\">\n");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", LEFT,
            top, w, h - TOP + 10);
    double xs = tick_step(xr.lo, xr.hi, 6), ys = tick_step(yr.lo, yr.hi, 5);
    int y0 = top + h - TOP + 10;
    for (double v = xr.lo; v <= xr.hi + xs * 1e-9; v += xs) {
        double px = LEFT + (v - xr.lo) / (xr.hi - xr.lo) * w;
        fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>", px, y0, px,
                y0 + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px, y0 + 18, v);
    }
    for (double v = yr.lo; v <= yr.hi + ys * 1e-9; v += ys) {
        double py = y0 - (v - yr.lo) / (yr.hi - yr.lo) * (h - TOP + 10);
        fprintf(f, "<line class=\"tick\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>", LEFT - 5, py,
                LEFT, py);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", LEFT, py, LEFT + w, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", LEFT - 8, py + 4, v);
    }
    fprintf(f, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", LEFT + w / 2, y0 + 36);
    put_text(f, p->x_label);
    fprintf(f, "</text>\n<text class=\"ylabel\" transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">",
            18, top + (h - TOP) / 2);
    put_text(f, p->y_label);
    fprintf(f, "</text>\n<text class=\"title\" x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">", LEFT,
            top - 8);
    put_text(f, p->title);
    fprintf(f, "</text>\n</g>\n");
}

static void series(FILE *f, const plot_series *s, const char *colour, range xr, range yr, int top)
{
    int h = PANEL_H - BOTTOM - TOP + 10, w = WIDTH - LEFT - RIGHT, y0 = top + h, shown = 0;
    for (int i = 0; i < s->n; i++)
        shown += isfinite(s->y[i]) && isfinite(s->x[i]);
    fprintf(f, "<g class=\"series\" data-series=\"");
    put_text(f, s->name);
    fprintf(f, "\">\n<polyline data-series=\"");
    put_text(f, s->name);
    fprintf(f, "\" data-points=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", shown, colour);
    for (int i = 0; i < s->n; i++)
        if (isfinite(s->y[i]) && isfinite(s->x[i]))
            fprintf(f, "%.1f,%.1f ", LEFT + (s->x[i] - xr.lo) / (xr.hi - xr.lo) * w,
                    y0 - (s->y[i] - yr.lo) / (yr.hi - yr.lo) * h);
    fprintf(f, "\"/>\n");
    for (int i = 0; s->dots && i < s->n; i++)
        if (isfinite(s->y[i]) && isfinite(s->x[i]))
            fprintf(f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%g: %g</title>"
                    "</circle>\n", LEFT + (s->x[i] - xr.lo) / (xr.hi - xr.lo) * w,
                    y0 - (s->y[i] - yr.lo) / (yr.hi - yr.lo) * h, colour, s->x[i], s->y[i]);
    fprintf(f, "</g>\n");
}

static void legend(FILE *f, const plot_panel *p, int top)
{
    fprintf(f, "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"11\">\n");
    for (int s = 0; s < p->n_series; s++) {
        int y = top + 10 + 18 * s, x = WIDTH - RIGHT + 12;
        const char *c = colours[s % (int)(sizeof colours / sizeof colours[0])];
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>", x, y, x + 20,
                y, c);
        fprintf(f, "<text x=\"%d\" y=\"%d\">", x + 26, y + 4);
        put_text(f, p->series[s].name);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</g>\n");
}

int svg_plot_write(FILE *f, const char *title, const plot_panel *panels, int n_panels)
{
    int height = TITLE_H + n_panels * PANEL_H;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rewind-plot\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            WIDTH, height, WIDTH, height);
    fprintf(f, "<text x=\"%d\" y=\"20\" font-family=\"sans-serif\" font-size=\"15\" text-anchor=\"middle\">",
            WIDTH / 2);
    put_text(f, title);
    fprintf(f, "</text>\n");
    for (int k = 0; k < n_panels; k++) {
        const plot_panel *p = &panels[k];
        int top = TITLE_H + k * PANEL_H + TOP;
        fprintf(f, "<g class=\"panel\" data-title=\"");
        put_text(f, p->title);
        fprintf(f, "\">\n");
        range xr = data_range(p, true), yr = data_range(p, false);
        axes(f, p, xr, yr, top);
        for (int s = 0; s < p->n_series; s++)
            series(f, &p->series[s], colours[s % (int)(sizeof colours / sizeof colours[0])], xr, yr, top);
        legend(f, p, top);
        fprintf(f, "</g>\n");
    }
    return fprintf(f, "</svg>\n") < 0 || ferror(f) ? -1 : 0;
}
