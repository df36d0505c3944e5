/* Linear regression on one feature, the seed's case: diabetes `bmi` → disease
 * progression, fitted by fixed-step gradient descent on the standardised
 * feature, then mapped back to bmi units.
 *
 * usage: linear_1d [DATA.csv [OUT_DIR]]   (defaults: the bundled diabetes.csv, ".")
 * writes OUT_DIR/linear_1d_fit.svg and OUT_DIR/linear_1d_objective.svg */
#include <stdio.h>
#include <stdlib.h>

#include <gdlearn/gdlearn.h>

#include "plot.h"
#include "trace.h"

#ifndef GDLEARN_EXAMPLES_DATA
#define GDLEARN_EXAMPLES_DATA "examples/data"
#endif

enum { BMI_COLUMN = 2 }; /* 0-based feature column of bmi in diabetes.csv */

static int fail(const char *what, gd_status status)
{
    fprintf(stderr, "linear_1d: %s: %s\n", what, gd_strerror(status));
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    const char *data_path = argc > 1 ? argv[1] : GDLEARN_EXAMPLES_DATA "/diabetes.csv";
    const char *out_dir = argc > 2 ? argv[2] : ".";

    gd_table table;
    gd_error_info error;
    gd_status status = gd_csv_read(data_path, NULL, &table, &error);
    if (status != GD_OK) {
        if (error.line > 0) {
            fprintf(stderr, "linear_1d: %s:%zu:%zu: %s\n", data_path, error.line, error.column,
                    error.message);
        } else {
            fprintf(stderr, "linear_1d: %s: %s\n", data_path, error.message);
        }
        return EXIT_FAILURE;
    }
    if (table.n_features <= BMI_COLUMN || table.y == NULL) {
        fprintf(stderr, "linear_1d: %s: expected the diabetes data (bmi in column %d)\n",
                data_path, BMI_COLUMN);
        gd_table_free(&table);
        return EXIT_FAILURE;
    }
    const size_t n = table.n_rows;
    const char *feature = table.column_names ? table.column_names[BMI_COLUMN] : "bmi";
    const char *target = table.column_names ? table.column_names[table.label_column] : "y";

    /* Column bmi as an n×1 matrix; x is standardised in place, x_raw kept to plot. */
    double *x = malloc(n * sizeof *x);
    double *x_raw = malloc(n * sizeof *x_raw);
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.1;
    options.tolerance = 1e-8;
    options.max_iter = 10000;
    trace history = trace_alloc(options.max_iter + 1);
    int exit_code = EXIT_FAILURE;
    if (x == NULL || x_raw == NULL || history.loss == NULL || history.grad_max == NULL) {
        fprintf(stderr, "linear_1d: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        x_raw[i] = x[i] = table.x[i * table.n_features + BMI_COLUMN];
    }

    gd_data data;
    gd_data_init(&data, x, n, 1, table.y);
    double mean;
    double scale;
    status = gd_standardize_fit(&data, &mean, &scale);
    if (status == GD_OK) {
        status = gd_standardize_apply(x, n, 1, 0, &mean, &scale);
    }
    if (status != GD_OK) {
        exit_code = fail("standardize", status);
        goto done;
    }

    gd_model model;
    status = gd_model_linear(&model, 1, 0.0);
    if (status != GD_OK) {
        exit_code = fail("model", status);
        goto done;
    }
    options.callback = trace_record;
    options.callback_user = &history;
    double theta[2]; /* [b, w] on the standardised feature */
    gd_report report;
    status = gd_fit(&model, &data, &options, theta, &report);
    if (status != GD_OK) {
        exit_code = fail("fit", status);
        goto done;
    }

    /* ŷ = b + w (x − mean)/scale = (b − w·mean/scale) + (w/scale)·x */
    double w_raw = theta[1] / scale;
    double b_raw = theta[0] - theta[1] * mean / scale;
    printf("data:         %s: %zu rows; feature %s, target %s\n", data_path, n, feature, target);
    printf("fit:          %s = %.6g + %.6g * %s\n", target, b_raw, w_raw, feature);
    printf("standardised: theta = [%.6g, %.6g]  (%s mean %.6g, scale %.6g)\n", theta[0],
           theta[1], feature, mean, scale);
    printf("objective:    %.10g  (half the mean squared error)\n", report.loss);
    /* The one-feature least-squares line in closed form, w = cov(x, y)/var(x),
     * as a check that gradient descent found the minimum. */
    double x_mean = 0.0;
    double y_mean = 0.0;
    for (size_t i = 0; i < n; ++i) {
        x_mean += x_raw[i] / (double)n;
        y_mean += table.y[i] / (double)n;
    }
    double covariance = 0.0;
    double variance = 0.0;
    for (size_t i = 0; i < n; ++i) {
        covariance += (x_raw[i] - x_mean) * (table.y[i] - y_mean);
        variance += (x_raw[i] - x_mean) * (x_raw[i] - x_mean);
    }
    printf("closed form:  %s = %.6g + %.6g * %s\n", target,
           y_mean - covariance / variance * x_mean, covariance / variance, feature);
    printf("iterations:   %zu, stopped: %s (max |dL/dtheta_j| = %.3g, tolerance %.3g)\n",
           report.iterations, gd_stop_name(report.stop), report.grad_max, options.tolerance);

    double x_min = x_raw[0];
    double x_max = x_raw[0];
    double y_min = table.y[0];
    double y_max = table.y[0];
    for (size_t i = 1; i < n; ++i) {
        x_min = x_raw[i] < x_min ? x_raw[i] : x_min;
        x_max = x_raw[i] > x_max ? x_raw[i] : x_max;
        y_min = table.y[i] < y_min ? table.y[i] : y_min;
        y_max = table.y[i] > y_max ? table.y[i] : y_max;
    }
    double x_pad = 0.05 * (x_max - x_min);
    double y_pad = 0.05 * (y_max - y_min);
    char title[160];
    snprintf(title, sizeof title, "Diabetes: %s against %s, fitted by gradient descent", target,
             feature);
    plot_axes axes = {.title = title, .x_label = feature, .y_label = target,
                      .x_min = x_min - x_pad, .x_max = x_max + x_pad,
                      .y_min = y_min - y_pad, .y_max = y_max + y_pad};
    char fit_path[1024];
    char objective_path[1024];
    snprintf(fit_path, sizeof fit_path, "%s/linear_1d_fit.svg", out_dir);
    snprintf(objective_path, sizeof objective_path, "%s/linear_1d_objective.svg", out_dir);
    plot figure;
    if (plot_open(&figure, fit_path, &axes) != 0) {
        perror(fit_path);
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        plot_point(&figure, x_raw[i], table.y[i], plot_palette[0]);
    }
    plot_line(&figure, axes.x_min, b_raw + w_raw * axes.x_min, axes.x_max,
              b_raw + w_raw * axes.x_max, plot_palette[1], 0);
    plot_legend(&figure, "patients", plot_palette[0]);
    plot_legend(&figure, "fitted line", plot_palette[1]);
    if (plot_close(&figure) != 0) {
        perror(fit_path);
        goto done;
    }
    if (plot_convergence(objective_path, "Linear regression on bmi: gradient descent, α = 0.1",
                         history.count, history.loss, history.grad_max, options.tolerance) != 0) {
        perror(objective_path);
        goto done;
    }
    printf("figures:      %s, %s\n", fit_path, objective_path);
    exit_code = EXIT_SUCCESS;

done:
    trace_free(&history);
    free(x_raw);
    free(x);
    gd_table_free(&table);
    return exit_code;
}
