/* Softmax regression on the three iris classes from petal length and petal
 * width, standardised, fitted by the seed's fixed-step gradient descent with
 * a small L2 penalty: setosa is separable from the rest, and without a
 * penalty its weights would grow for ever instead of converging.
 *
 * usage: softmax [IRIS.csv [OUT_DIR]]   (defaults: the bundled iris.csv, ".")
 * writes OUT_DIR/softmax_regions.svg (the decision regions as a grid of
 * cells, the points on top) and OUT_DIR/softmax_objective.svg */
#include <stdio.h>
#include <stdlib.h>

#include <gdlearn/gdlearn.h>

#include "plot.h"
#include "trace.h"

#ifndef GDLEARN_EXAMPLES_DATA
#define GDLEARN_EXAMPLES_DATA "examples/data"
#endif

enum { PETAL_LENGTH = 2, PETAL_WIDTH = 3 }; /* 0-based feature columns of iris.csv */
enum { N_CLASSES = 3, GRID_X = 120, GRID_Y = 90 };

static int fail(const char *what, gd_status status)
{
    fprintf(stderr, "softmax: %s: %s\n", what, gd_strerror(status));
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    const char *data_path = argc > 1 ? argv[1] : GDLEARN_EXAMPLES_DATA "/iris.csv";
    const char *out_dir = argc > 2 ? argv[2] : ".";
    static const char *const class_names[N_CLASSES] = {"setosa", "versicolor", "virginica"};

    gd_table table;
    gd_error_info error;
    gd_status status = gd_csv_read(data_path, NULL, &table, &error);
    if (status != GD_OK) {
        if (error.line > 0) {
            fprintf(stderr, "softmax: %s:%zu:%zu: %s\n", data_path, error.line, error.column,
                    error.message);
        } else {
            fprintf(stderr, "softmax: %s: %s\n", data_path, error.message);
        }
        return EXIT_FAILURE;
    }
    if (table.n_features <= PETAL_WIDTH || table.y == NULL) {
        fprintf(stderr, "softmax: %s: expected the iris data\n", data_path);
        gd_table_free(&table);
        return EXIT_FAILURE;
    }
    const size_t n = table.n_rows;

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.5;
    options.tolerance = 1e-6;
    options.max_iter = 100000;
    trace history = trace_alloc(options.max_iter + 1);
    /* x: the two petal columns (n×2), standardised in place; x_raw in cm. */
    double *x = malloc(n * 2 * sizeof *x);
    double *x_raw = malloc(n * 2 * sizeof *x_raw);
    double *grid = malloc(GRID_X * GRID_Y * 2 * sizeof *grid);
    size_t *label = malloc((n > GRID_X * GRID_Y ? n : GRID_X * GRID_Y) * sizeof *label);
    int exit_code = EXIT_FAILURE;
    if (history.loss == NULL || history.grad_max == NULL || x == NULL || x_raw == NULL
        || grid == NULL || label == NULL) {
        fprintf(stderr, "softmax: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        const double *row = table.x + i * table.n_features;
        x_raw[2 * i] = x[2 * i] = row[PETAL_LENGTH];
        x_raw[2 * i + 1] = x[2 * i + 1] = row[PETAL_WIDTH];
    }

    gd_data data;
    gd_data_init(&data, x, n, 2, table.y);
    double mean[2];
    double scale[2];
    status = gd_standardize_fit(&data, mean, scale);
    if (status == GD_OK) {
        status = gd_standardize_apply(x, n, 2, 0, mean, scale);
    }
    if (status != GD_OK) {
        exit_code = fail("standardize", status);
        goto done;
    }

    /* λ = 1/(n·C) with C = 1, scikit-learn's default penalty. */
    const double l2 = 1.0 / (double)n;
    gd_model model;
    gd_report report;
    double theta[3 * N_CLASSES]; /* (m+1)×k row-major: row 0 the intercepts */
    status = gd_model_softmax(&model, 2, N_CLASSES, l2);
    if (status != GD_OK) {
        exit_code = fail("model", status);
        goto done;
    }
    options.callback = trace_record;
    options.callback_user = &history;
    status = gd_fit(&model, &data, &options, theta, &report);
    if (status == GD_OK) {
        status = gd_predict_class(&model, theta, &data, label);
    }
    if (status != GD_OK) {
        exit_code = fail("fit", status);
        goto done;
    }
    size_t correct = 0;
    for (size_t i = 0; i < n; ++i) {
        if ((double)label[i] == table.y[i]) {
            correct += 1;
        }
    }

    printf("data:         %s: %zu rows, %d classes; features petal_length, petal_width\n",
           data_path, n, N_CLASSES);
    printf("%-13s %12s %12s %12s   (standardised features; lambda = %.4g)\n", "theta",
           class_names[0], class_names[1], class_names[2], l2);
    static const char *const row_names[3] = {"intercept", "petal_length", "petal_width"};
    for (size_t r = 0; r < 3; ++r) {
        printf("%-13s %12.6g %12.6g %12.6g\n", row_names[r], theta[r * N_CLASSES],
               theta[r * N_CLASSES + 1], theta[r * N_CLASSES + 2]);
    }
    printf("objective:    %.10g  (mean log loss + penalty); training accuracy %zu/%zu\n",
           report.loss, correct, n);
    printf("iterations:   %zu, stopped: %s (max |dL/dtheta_j| = %.3g, tolerance %.3g)\n",
           report.iterations, gd_stop_name(report.stop), report.grad_max, options.tolerance);
    /* For comparison: L-BFGS, the library's default optimizer (no step size to choose). */
    gd_options lbfgs_options;
    gd_options_init(&lbfgs_options);
    lbfgs_options.tolerance = options.tolerance;
    double theta_lbfgs[3 * N_CLASSES];
    gd_report lbfgs;
    if (gd_fit(&model, &data, &lbfgs_options, theta_lbfgs, &lbfgs) == GD_OK) {
        printf("lbfgs:        objective %.10g after %zu iterations (%s), the default optimizer\n",
               lbfgs.loss, lbfgs.iterations, gd_stop_name(lbfgs.stop));
    }

    double x_min = x_raw[0];
    double x_max = x_raw[0];
    double y_min = x_raw[1];
    double y_max = x_raw[1];
    for (size_t i = 0; i < n; ++i) {
        x_min = x_raw[2 * i] < x_min ? x_raw[2 * i] : x_min;
        x_max = x_raw[2 * i] > x_max ? x_raw[2 * i] : x_max;
        y_min = x_raw[2 * i + 1] < y_min ? x_raw[2 * i + 1] : y_min;
        y_max = x_raw[2 * i + 1] > y_max ? x_raw[2 * i + 1] : y_max;
    }
    double x_pad = 0.08 * (x_max - x_min);
    double y_pad = 0.08 * (y_max - y_min);
    plot_axes axes = {.title = "Iris, three classes: softmax regression decision regions",
                      .x_label = "petal length (cm)", .y_label = "petal width (cm)",
                      .x_min = x_min - x_pad, .x_max = x_max + x_pad,
                      .y_min = y_min - y_pad, .y_max = y_max + y_pad};
    double cell_w = (axes.x_max - axes.x_min) / GRID_X;
    double cell_h = (axes.y_max - axes.y_min) / GRID_Y;

    /* Classify every cell's centre at once, through the same scaler as the data. */
    for (size_t r = 0; r < GRID_Y; ++r) {
        for (size_t c = 0; c < GRID_X; ++c) {
            double *cell = grid + 2 * (r * GRID_X + c);
            cell[0] = axes.x_min + ((double)c + 0.5) * cell_w;
            cell[1] = axes.y_min + ((double)r + 0.5) * cell_h;
        }
    }
    gd_data cells;
    gd_data_init(&cells, grid, GRID_X * GRID_Y, 2, NULL);
    status = gd_standardize_apply(grid, GRID_X * GRID_Y, 2, 0, mean, scale);
    if (status == GD_OK) {
        status = gd_predict_class(&model, theta, &cells, label);
    }
    if (status != GD_OK) {
        exit_code = fail("predict", status);
        goto done;
    }

    char regions_path[1024];
    char objective_path[1024];
    snprintf(regions_path, sizeof regions_path, "%s/softmax_regions.svg", out_dir);
    snprintf(objective_path, sizeof objective_path, "%s/softmax_objective.svg", out_dir);
    plot figure;
    if (plot_open(&figure, regions_path, &axes) != 0) {
        perror(regions_path);
        goto done;
    }
    /* One rectangle per run of equal cells along a grid row keeps the file small. */
    for (size_t r = 0; r < GRID_Y; ++r) {
        const size_t *row = label + r * GRID_X;
        for (size_t c = 0, end; c < GRID_X; c = end) {
            for (end = c + 1; end < GRID_X && row[end] == row[c]; ++end) {
            }
            double bottom = axes.y_min + (double)r * cell_h;
            plot_cell(&figure, axes.x_min + (double)c * cell_w, bottom,
                      axes.x_min + (double)end * cell_w, bottom + cell_h,
                      plot_palette_light[row[c] % PLOT_PALETTE_SIZE]);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        size_t k = (size_t)table.y[i];
        plot_point(&figure, x_raw[2 * i], x_raw[2 * i + 1], plot_palette[k % PLOT_PALETTE_SIZE]);
    }
    for (size_t k = 0; k < N_CLASSES; ++k) {
        plot_legend(&figure, class_names[k], plot_palette[k]);
    }
    if (plot_close(&figure) != 0) {
        perror(regions_path);
        goto done;
    }
    if (plot_convergence(objective_path, "Softmax regression on iris: gradient descent, α = 0.5",
                         history.count, history.loss, history.grad_max, options.tolerance) != 0) {
        perror(objective_path);
        goto done;
    }
    printf("figures:      %s, %s\n", regions_path, objective_path);
    exit_code = EXIT_SUCCESS;

done:
    free(label);
    free(grid);
    free(x_raw);
    free(x);
    trace_free(&history);
    gd_table_free(&table);
    return exit_code;
}
