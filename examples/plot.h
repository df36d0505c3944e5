/* A small, dependency-free SVG writer for the examples: one figure per file,
 * with a frame, ticks, labels, a title and an optional log-scale y axis.
 * Not part of the library. Numbers are written with '.' whatever the locale. */
#ifndef GDLEARN_EXAMPLES_PLOT_H
#define GDLEARN_EXAMPLES_PLOT_H

#include <stddef.h>
#include <stdio.h>

/** The data range and the words around a figure. */
typedef struct plot_axes {
    const char *title;   /**< above the plot area */
    const char *x_label; /**< below the x axis */
    const char *y_label; /**< left of the y axis, rotated */
    double x_min, x_max; /**< data range shown on x */
    double y_min, y_max; /**< data range shown on y; both > 0 when log_y */
    int log_y;           /**< nonzero: logarithmic y axis */
} plot_axes;

/** An open figure. Fields are private to plot.c. */
typedef struct plot {
    FILE *file;
    plot_axes axes;
    size_t n_legend;
} plot;

/** Distinct colours for classes or series, as SVG colour strings. */
extern const char *const plot_palette[];
/** Lighter versions of plot_palette, for region fills. */
extern const char *const plot_palette_light[];
/** Entries in each palette. */
#define PLOT_PALETTE_SIZE 6

/** Open `path` and write the figure's header; 0 on success, -1 (errno set) on failure. */
int plot_open(plot *figure, const char *path, const plot_axes *axes);
/** A filled circle at data point (x, y). */
void plot_point(plot *figure, double x, double y, const char *colour);
/** A straight segment between two data points; dashed if `dashed` is nonzero. */
void plot_line(plot *figure, double x0, double y0, double x1, double y1, const char *colour,
               int dashed);
/** A polyline through n points (x may be NULL: then x = 0, 1, …, n − 1). */
void plot_polyline(plot *figure, size_t n, const double *x, const double *y,
                   const char *colour);
/** A filled rectangle with corners (x0, y0) and (x1, y1) in data units, no outline. */
void plot_cell(plot *figure, double x0, double y0, double x1, double y1, const char *colour);
/** A legend entry (a coloured swatch and a label) in the top-right corner. */
void plot_legend(plot *figure, const char *label, const char *colour);
/** Draw the frame, ticks and labels on top, close the file; 0 on success, -1 on failure. */
int plot_close(plot *figure);

/** A whole figure of a fit's progress on a log y axis: the objective and the
 * gradient's max-norm for iterations 0 … n − 1, and the tolerance ε dashed
 * (the fit stops once the max-norm falls below it). 0 on success, -1 on failure. */
int plot_convergence(const char *path, const char *title, size_t n, const double *loss,
                     const double *grad_max, double tolerance);

#endif /* GDLEARN_EXAMPLES_PLOT_H */
