/* Binary logistic regression on two iris classes — versicolor (1) against
 * virginica (2), relabelled 0/1 — from petal length and petal width,
 * standardised, fitted by the seed's fixed-step gradient descent.
 *
 * usage: logistic [IRIS.csv [OUT_DIR]]   (defaults: the bundled iris.csv, ".")
 * writes OUT_DIR/logistic_boundary.svg (the points and the p = 0.5 line)
 * and OUT_DIR/logistic_objective.svg */
#include <stdio.h>
#include <stdlib.h>

#include <gdlearn/gdlearn.h>

#include "plot.h"
#include "trace.h"

#ifndef GDLEARN_EXAMPLES_DATA
#define GDLEARN_EXAMPLES_DATA "examples/data"
#endif

enum { PETAL_LENGTH = 2, PETAL_WIDTH = 3 }; /* 0-based feature columns of iris.csv */

static int fail(const char *what, gd_status status)
{
    fprintf(stderr, "logistic: %s: %s\n", what, gd_strerror(status));
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    const char *data_path = argc > 1 ? argv[1] : GDLEARN_EXAMPLES_DATA "/iris.csv";
    const char *out_dir = argc > 2 ? argv[2] : ".";
    static const char *const class_names[2] = {"versicolor", "virginica"};

    gd_table table;
    gd_error_info error;
    gd_status status = gd_csv_read(data_path, NULL, &table, &error);
    if (status != GD_OK) {
        if (error.line > 0) {
            fprintf(stderr, "logistic: %s:%zu:%zu: %s\n", data_path, error.line, error.column,
                    error.message);
        } else {
            fprintf(stderr, "logistic: %s: %s\n", data_path, error.message);
        }
        return EXIT_FAILURE;
    }
    if (table.n_features <= PETAL_WIDTH || table.y == NULL) {
        fprintf(stderr, "logistic: %s: expected the iris data\n", data_path);
        gd_table_free(&table);
        return EXIT_FAILURE;
    }

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.5;
    options.tolerance = 1e-6;
    options.max_iter = 100000;
    trace history = trace_alloc(options.max_iter + 1);
    /* x: the two petal columns of the versicolor and virginica rows (n×2),
     * standardised in place; x_raw keeps them in cm for the figure. */
    double *x = malloc(table.n_rows * 2 * sizeof *x);
    double *x_raw = malloc(table.n_rows * 2 * sizeof *x_raw);
    double *y = malloc(table.n_rows * sizeof *y);
    size_t *label = malloc(table.n_rows * sizeof *label);
    int exit_code = EXIT_FAILURE;
    if (history.loss == NULL || history.grad_max == NULL || x == NULL || x_raw == NULL
        || y == NULL || label == NULL) {
        fprintf(stderr, "logistic: out of memory\n");
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < table.n_rows; ++i) {
        if (table.y[i] == 1.0 || table.y[i] == 2.0) {
            const double *row = table.x + i * table.n_features;
            x_raw[2 * n] = x[2 * n] = row[PETAL_LENGTH];
            x_raw[2 * n + 1] = x[2 * n + 1] = row[PETAL_WIDTH];
            y[n] = table.y[i] - 1.0;
            n += 1;
        }
    }

    if (n == 0) {
        fprintf(stderr, "logistic: %s: no rows of class 1 or 2\n", data_path);
        goto done;
    }

    gd_data data;
    gd_data_init(&data, x, n, 2, y);
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

    gd_model model;
    gd_report report;
    double theta[3]; /* [b, w_length, w_width] on the standardised features */
    status = gd_model_logistic(&model, 2, 0.0);
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
        if ((double)label[i] == y[i]) {
            correct += 1;
        }
    }

    /* z = b + Σ w_j (x_j − mean_j)/scale_j = b_raw + Σ (w_j/scale_j) x_j */
    double w_raw[2] = {theta[1] / scale[0], theta[2] / scale[1]};
    double b_raw = theta[0] - w_raw[0] * mean[0] - w_raw[1] * mean[1];
    printf("data:         %s: %zu rows of classes 1 (versicolor) and 2 (virginica), as 0/1\n",
           data_path, n);
    printf("fit:          P(virginica) = sigmoid(%.6g + %.6g * petal_length + %.6g * "
           "petal_width)\n", b_raw, w_raw[0], w_raw[1]);
    printf("standardised: theta = [%.6g, %.6g, %.6g]\n", theta[0], theta[1], theta[2]);
    printf("objective:    %.10g  (mean log loss); training accuracy %zu/%zu\n", report.loss,
           correct, n);
    printf("iterations:   %zu, stopped: %s (max |dL/dtheta_j| = %.3g, tolerance %.3g)\n",
           report.iterations, gd_stop_name(report.stop), report.grad_max, options.tolerance);

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
    plot_axes axes = {.title = "Iris, versicolor against virginica: logistic regression",
                      .x_label = "petal length (cm)", .y_label = "petal width (cm)",
                      .x_min = x_min - x_pad, .x_max = x_max + x_pad,
                      .y_min = y_min - y_pad, .y_max = y_max + y_pad};
    char boundary_path[1024];
    char objective_path[1024];
    snprintf(boundary_path, sizeof boundary_path, "%s/logistic_boundary.svg", out_dir);
    snprintf(objective_path, sizeof objective_path, "%s/logistic_objective.svg", out_dir);
    plot figure;
    if (plot_open(&figure, boundary_path, &axes) != 0) {
        perror(boundary_path);
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        plot_point(&figure, x_raw[2 * i], x_raw[2 * i + 1], plot_palette[y[i] != 0.0]);
    }
    /* p = 0.5 where z = 0: petal_width = −(b_raw + w_length · petal_length)/w_width. */
    if (w_raw[1] != 0.0) {
        plot_line(&figure, axes.x_min, -(b_raw + w_raw[0] * axes.x_min) / w_raw[1], axes.x_max,
                  -(b_raw + w_raw[0] * axes.x_max) / w_raw[1], "black", 0);
    } else if (w_raw[0] != 0.0) {
        plot_line(&figure, -b_raw / w_raw[0], axes.y_min, -b_raw / w_raw[0], axes.y_max, "black",
                  0);
    }
    plot_legend(&figure, class_names[0], plot_palette[0]);
    plot_legend(&figure, class_names[1], plot_palette[1]);
    plot_legend(&figure, "p = 0.5 boundary", "black");
    if (plot_close(&figure) != 0) {
        perror(boundary_path);
        goto done;
    }
    if (plot_convergence(objective_path, "Logistic regression on iris: gradient descent, α = 0.5",
                         history.count, history.loss, history.grad_max, options.tolerance) != 0) {
        perror(objective_path);
        goto done;
    }
    printf("figures:      %s, %s\n", boundary_path, objective_path);
    exit_code = EXIT_SUCCESS;

done:
    free(label);
    free(y);
    free(x_raw);
    free(x);
    trace_free(&history);
    gd_table_free(&table);
    return exit_code;
}
