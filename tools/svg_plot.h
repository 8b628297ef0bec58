/* tools/svg_plot.h - standalone SVG line charts: axes with ticks and
 * labels, a legend, one polyline per series (and a circle per point for
 * sparse series). Used for curves.svg (curves.c) and by `rewind report`. */
#ifndef REWIND_TOOLS_SVG_PLOT_H
#define REWIND_TOOLS_SVG_PLOT_H

#include <stdbool.h>
#include <stdio.h>

typedef struct plot_series {
    const char *name;      /* legend text; also the element's data-series attribute */
    const double *x, *y;   /* n points; non-finite y values are left out */
    int n;
    bool dots;             /* draw a circle at each point as well */
} plot_series;

typedef struct plot_panel {
    const char *title, *x_label, *y_label;
    const plot_series *series;
    int n_series;
} plot_panel;

/* Writes one SVG document with the panels stacked vertically. Each series
 * is a <polyline data-series="NAME" data-points="N"> whose points attribute
 * holds its N plotted points, plus N <circle class="point"> when `dots`. */
int svg_plot_write(FILE *f, const char *title, const plot_panel *panels, int n_panels);

#endif
