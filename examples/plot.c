/* SVG figures for the examples; see plot.h. */
#include "plot.h"

#include <locale.h>
#include <math.h>
#include <string.h>

/* Figure layout in SVG pixels: the legend has its own column on the right,
 * so it never hides data. */
#define WIDTH 720.0
#define HEIGHT 480.0
#define LEFT 76.0
#define TOP 44.0
#define AREA_W 484.0
#define AREA_H 378.0

const char *const plot_palette[PLOT_PALETTE_SIZE] = {"#1f77b4", "#d62728", "#2ca02c",
                                                     "#ff7f0e", "#9467bd", "#8c564b"};
const char *const plot_palette_light[PLOT_PALETTE_SIZE] = {"#c6dbef", "#f7c5c5", "#c7e9c0",
                                                           "#fdd9b5", "#dadaeb", "#e0cfc9"};

/* A number as text. C11 keeps a returned struct alive to the end of the full
 * expression, so `num(x).s` can be passed straight to fprintf. */
typedef struct num_text {
    char s[40];
} num_text;

static num_text format_number(const char *format, double value)
{
    num_text text;
    snprintf(text.s, sizeof text.s, format, value);
    /* printf follows LC_NUMERIC; SVG needs '.', so undo any other decimal point. */
    const char *point = localeconv()->decimal_point;
    if (point != NULL && point[0] != '\0' && strcmp(point, ".") != 0) {
        char *at = strstr(text.s, point);
        if (at != NULL) {
            size_t len = strlen(point);
            *at = '.';
            memmove(at + 1, at + len, strlen(at + len) + 1);
        }
    }
    return text;
}

static num_text num(double value) { return format_number("%.2f", value); }

static num_text label(double value) { return format_number("%g", value); }

static void put_escaped(FILE *file, const char *text)
{
    for (const char *c = text != NULL ? text : ""; *c != '\0'; ++c) {
        switch (*c) {
        case '<': fputs("&lt;", file); break;
        case '>': fputs("&gt;", file); break;
        case '&': fputs("&amp;", file); break;
        case '"': fputs("&quot;", file); break;
        default: fputc(*c, file); break;
        }
    }
}

static double transform_y(const plot *figure, double y)
{
    if (!figure->axes.log_y) {
        return y;
    }
    return log10(y > 0.0 ? y : figure->axes.y_min);
}

static double pixel_x(const plot *figure, double x)
{
    const plot_axes *axes = &figure->axes;
    return LEFT + (x - axes->x_min) / (axes->x_max - axes->x_min) * AREA_W;
}

static double pixel_y(const plot *figure, double y)
{
    double low = transform_y(figure, figure->axes.y_min);
    double high = transform_y(figure, figure->axes.y_max);
    return TOP + AREA_H - (transform_y(figure, y) - low) / (high - low) * AREA_H;
}

int plot_open(plot *figure, const char *path, const plot_axes *axes)
{
    memset(figure, 0, sizeof *figure);
    figure->axes = *axes;
    if (!(axes->x_max > axes->x_min)) {
        figure->axes.x_max = axes->x_min + 1.0;
    }
    if (axes->log_y && !(axes->y_min > 0.0)) {
        figure->axes.y_min = axes->y_max > 0.0 ? axes->y_max * 1e-3 : 1.0;
    }
    if (!(figure->axes.y_max > figure->axes.y_min)) {
        figure->axes.y_max = axes->log_y ? figure->axes.y_min * 10.0 : figure->axes.y_min + 1.0;
    }
    figure->file = fopen(path, "w");
    if (figure->file == NULL) {
        return -1;
    }
    FILE *file = figure->file;
    fprintf(file,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" "
            "viewBox=\"0 0 %s %s\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<defs><clipPath id=\"area\"><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>"
            "</clipPath></defs>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            num(WIDTH).s, num(HEIGHT).s, num(WIDTH).s, num(HEIGHT).s, num(LEFT).s, num(TOP).s,
            num(AREA_W).s, num(AREA_H).s);
    return 0;
}

void plot_point(plot *figure, double x, double y, const char *colour)
{
    fprintf(figure->file,
            "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.85\" "
            "stroke=\"white\" stroke-width=\"0.6\"/>\n",
            num(pixel_x(figure, x)).s, num(pixel_y(figure, y)).s, colour);
}

void plot_line(plot *figure, double x0, double y0, double x1, double y1, const char *colour,
               int dashed)
{
    fprintf(figure->file,
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"%s "
            "clip-path=\"url(#area)\"/>\n",
            num(pixel_x(figure, x0)).s, num(pixel_y(figure, y0)).s, num(pixel_x(figure, x1)).s,
            num(pixel_y(figure, y1)).s, colour, dashed ? " stroke-dasharray=\"6 4\"" : "");
}

void plot_polyline(plot *figure, size_t n, const double *x, const double *y,
                   const char *colour)
{
    fprintf(figure->file, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                          "stroke-linejoin=\"round\" clip-path=\"url(#area)\" points=\"",
            colour);
    double last_x = -1e9;
    double last_y = -1e9;
    for (size_t i = 0; i < n; ++i) {
        double px = pixel_x(figure, x != NULL ? x[i] : (double)i);
        double py = pixel_y(figure, y[i]);
        /* Points closer than half a pixel to the last one written add nothing
         * but bytes (a fit may take 10⁵ iterations); the last point always counts. */
        if (fabs(px - last_x) < 0.5 && fabs(py - last_y) < 0.5 && i + 1 < n) {
            continue;
        }
        fprintf(figure->file, "%s%s,%s", i > 0 ? " " : "", num(px).s, num(py).s);
        last_x = px;
        last_y = py;
    }
    fputs("\"/>\n", figure->file);
}

void plot_cell(plot *figure, double x0, double y0, double x1, double y1, const char *colour)
{
    double left = fmin(pixel_x(figure, x0), pixel_x(figure, x1));
    double top = fmin(pixel_y(figure, y0), pixel_y(figure, y1));
    double width = fabs(pixel_x(figure, x1) - pixel_x(figure, x0));
    double height = fabs(pixel_y(figure, y1) - pixel_y(figure, y0));
    fprintf(figure->file,
            "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\" "
            "shape-rendering=\"crispEdges\"/>\n",
            num(left).s, num(top).s, num(width).s, num(height).s, colour);
}

void plot_legend(plot *figure, const char *text, const char *colour)
{
    double x = LEFT + AREA_W + 16.0;
    double y = TOP + 10.0 + 22.0 * (double)figure->n_legend;
    fprintf(figure->file,
            "<rect x=\"%s\" y=\"%s\" width=\"14\" height=\"10\" fill=\"%s\"/>"
            "<text x=\"%s\" y=\"%s\">",
            num(x).s, num(y - 9.0).s, colour, num(x + 20.0).s, num(y).s);
    put_escaped(figure->file, text);
    fputs("</text>\n", figure->file);
    figure->n_legend += 1;
}

static void tick(plot *figure, int vertical, double value)
{
    double px = vertical ? LEFT : pixel_x(figure, value);
    double py = vertical ? pixel_y(figure, value) : TOP + AREA_H;
    fprintf(figure->file,
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"black\"/>"
            "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\">%s</text>\n",
            num(px).s, num(py).s, num(vertical ? px - 5.0 : px).s,
            num(vertical ? py : py + 5.0).s, num(vertical ? px - 8.0 : px).s,
            num(vertical ? py + 4.0 : py + 19.0).s, vertical ? "end" : "middle",
            label(value).s);
}

/* Ticks at 1, 2 or 5 × 10^k, about six of them over the range. */
static void linear_ticks(plot *figure, int vertical, double low, double high)
{
    double raw = (high - low) / 6.0;
    double magnitude = pow(10.0, floor(log10(raw)));
    double ratio = raw / magnitude;
    double step = magnitude * (ratio < 1.5 ? 1.0 : ratio < 3.5 ? 2.0 : ratio < 7.5 ? 5.0 : 10.0);
    for (double k = ceil(low / step - 1e-9); k * step <= high + step * 1e-9; k += 1.0) {
        tick(figure, vertical, fabs(k) < 0.5 ? 0.0 : k * step);
    }
}

/* Ticks at powers of ten, with 2 and 5 between them when the range is short. */
static void log_ticks(plot *figure)
{
    static const double multiples[] = {1.0, 2.0, 5.0};
    double low = log10(figure->axes.y_min);
    double high = log10(figure->axes.y_max);
    size_t n_multiples = high - low <= 2.0 ? 3 : 1;
    double decade_step = high - low > 8.0 ? 2.0 : 1.0;
    for (double decade = floor(low); decade <= ceil(high); decade += decade_step) {
        for (size_t i = 0; i < n_multiples; ++i) {
            double value = multiples[i] * pow(10.0, decade);
            double at = log10(value);
            if (at >= low - 1e-9 && at <= high + 1e-9) {
                tick(figure, 1, value);
            }
        }
    }
}

int plot_close(plot *figure)
{
    FILE *file = figure->file;
    if (file == NULL) {
        return -1;
    }
    const plot_axes *axes = &figure->axes;
    fprintf(file, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" "
                  "stroke=\"black\"/>\n",
            num(LEFT).s, num(TOP).s, num(AREA_W).s, num(AREA_H).s);
    linear_ticks(figure, 0, axes->x_min, axes->x_max);
    if (axes->log_y) {
        log_ticks(figure);
    } else {
        linear_ticks(figure, 1, axes->y_min, axes->y_max);
    }
    fprintf(file, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"13\">",
            num(LEFT + AREA_W / 2.0).s, num(HEIGHT - 12.0).s);
    put_escaped(file, axes->x_label);
    fprintf(file, "</text>\n<text transform=\"translate(%s,%s) rotate(-90)\" "
                  "text-anchor=\"middle\" font-size=\"13\">",
            num(18.0).s, num(TOP + AREA_H / 2.0).s);
    put_escaped(file, axes->y_label);
    fprintf(file, "</text>\n<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"15\" "
                  "font-weight=\"bold\">",
            num(WIDTH / 2.0).s, num(TOP - 18.0).s);
    put_escaped(file, axes->title);
    fputs("</text>\n</svg>\n", file);
    int failed = ferror(file) != 0;
    failed |= fclose(file) != 0;
    figure->file = NULL;
    return failed ? -1 : 0;
}

static void positive_range(size_t n, const double *values, double *low, double *high)
{
    for (size_t i = 0; i < n; ++i) {
        if (values[i] > 0.0 && isfinite(values[i])) {
            *low = fmin(*low, values[i]);
            *high = fmax(*high, values[i]);
        }
    }
}

int plot_convergence(const char *path, const char *title, size_t n, const double *loss,
                     const double *grad_max, double tolerance)
{
    double low = tolerance > 0.0 ? tolerance : HUGE_VAL;
    double high = tolerance > 0.0 ? tolerance : 0.0;
    positive_range(n, loss, &low, &high);
    positive_range(n, grad_max, &low, &high);
    plot_axes axes = {
        .title = title,
        .x_label = "iteration",
        .y_label = "value (log scale)",
        .x_min = 0.0,
        .x_max = n > 1 ? (double)(n - 1) : 1.0,
        .y_min = isfinite(low) ? low / 2.0 : 1.0,
        .y_max = high > 0.0 ? high * 2.0 : 10.0,
        .log_y = 1,
    };
    plot figure;
    if (plot_open(&figure, path, &axes) != 0) {
        return -1;
    }
    plot_polyline(&figure, n, NULL, loss, plot_palette[0]);
    plot_polyline(&figure, n, NULL, grad_max, plot_palette[1]);
    plot_legend(&figure, "objective L(θ)", plot_palette[0]);
    plot_legend(&figure, "max |∂L/∂θⱼ|", plot_palette[1]);
    if (tolerance > 0.0) {
        plot_line(&figure, axes.x_min, tolerance, axes.x_max, tolerance, "#555555", 1);
        plot_legend(&figure, "tolerance ε", "#555555");
    }
    return plot_close(&figure);
}
