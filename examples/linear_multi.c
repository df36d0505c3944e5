/* Linear regression on all ten diabetes features, standardised, fitted by
 * the seed's fixed-step gradient descent; θ is mapped back to raw units.
 *
 * usage: linear_multi [DATA.csv [OUT_DIR]]   (defaults: the bundled diabetes.csv, ".")
 * writes OUT_DIR/linear_multi_fit.svg (predicted against actual; in 10-D there
 * is no single line to draw) and OUT_DIR/linear_multi_objective.svg */
#include <stdio.h>
#include <stdlib.h>

#include <gdlearn/gdlearn.h>

#include "plot.h"
#include "trace.h"

#ifndef GDLEARN_EXAMPLES_DATA
#define GDLEARN_EXAMPLES_DATA "examples/data"
#endif

static int fail(const char *what, gd_status status)
{
    fprintf(stderr, "linear_multi: %s: %s\n", what, gd_strerror(status));
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
            fprintf(stderr, "linear_multi: %s:%zu:%zu: %s\n", data_path, error.line, error.column,
                    error.message);
        } else {
            fprintf(stderr, "linear_multi: %s: %s\n", data_path, error.message);
        }
        return EXIT_FAILURE;
    }
    const size_t n = table.n_rows;
    const size_t m = table.n_features;
    const char *target = table.column_names ? table.column_names[table.label_column] : "y";

    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.1;
    options.tolerance = 1e-8;
    options.max_iter = 100000;
    trace history = trace_alloc(options.max_iter + 1);
    double *mean = malloc(m * sizeof *mean);
    double *scale = malloc(m * sizeof *scale);
    double *theta = malloc((m + 1) * sizeof *theta);
    double *theta_lbfgs = malloc((m + 1) * sizeof *theta_lbfgs);
    double *predicted = malloc(n * sizeof *predicted);
    int exit_code = EXIT_FAILURE;
    if (history.loss == NULL || history.grad_max == NULL || mean == NULL || scale == NULL
        || theta == NULL || theta_lbfgs == NULL || predicted == NULL || table.y == NULL) {
        fprintf(stderr, "linear_multi: out of memory, or no label column\n");
        goto done;
    }

    /* The table owns its x: standardise it in place (every column onto one
     * scale, so that one fixed step size suits every weight). */
    gd_data data;
    gd_data_init(&data, table.x, n, m, table.y);
    status = gd_standardize_fit(&data, mean, scale);
    if (status == GD_OK) {
        status = gd_standardize_apply(table.x, n, m, 0, mean, scale);
    }
    if (status != GD_OK) {
        exit_code = fail("standardize", status);
        goto done;
    }

    gd_model model;
    gd_report report;
    status = gd_model_linear(&model, m, 0.0);
    if (status != GD_OK) {
        exit_code = fail("model", status);
        goto done;
    }
    options.callback = trace_record;
    options.callback_user = &history;
    status = gd_fit(&model, &data, &options, theta, &report);
    if (status == GD_OK) {
        status = gd_predict(&model, theta, &data, predicted);
    }
    if (status != GD_OK) {
        exit_code = fail("fit", status);
        goto done;
    }

    printf("data:        %s: %zu rows, %zu features; target %s\n", data_path, n, m, target);
    printf("%-12s %14s %14s\n", "parameter", "raw units", "standardised");
    double b_raw = theta[0];
    for (size_t j = 0; j < m; ++j) {
        b_raw -= theta[j + 1] * mean[j] / scale[j];
    }
    printf("%-12s %14.6g %14.6g\n", "intercept", b_raw, theta[0]);
    for (size_t j = 0; j < m; ++j) {
        printf("%-12s %14.6g %14.6g\n", table.column_names ? table.column_names[j] : "x",
               theta[j + 1] / scale[j], theta[j + 1]);
    }
    double y_mean = 0.0;
    for (size_t i = 0; i < n; ++i) {
        y_mean += table.y[i] / (double)n;
    }
    double residual_ss = 0.0;
    double total_ss = 0.0;
    for (size_t i = 0; i < n; ++i) {
        residual_ss += (predicted[i] - table.y[i]) * (predicted[i] - table.y[i]);
        total_ss += (table.y[i] - y_mean) * (table.y[i] - y_mean);
    }
    printf("objective:   %.10g  (half the mean squared error); R^2 = %.4f\n", report.loss,
           1.0 - residual_ss / total_ss);
    printf("iterations:  %zu, stopped: %s (max |dL/dtheta_j| = %.3g, tolerance %.3g)\n",
           report.iterations, gd_stop_name(report.stop), report.grad_max, options.tolerance);
    /* For comparison: L-BFGS, the library's default optimizer (no step size to choose). */
    gd_options lbfgs_options;
    gd_options_init(&lbfgs_options);
    lbfgs_options.tolerance = options.tolerance;
    gd_report lbfgs;
    if (gd_fit(&model, &data, &lbfgs_options, theta_lbfgs, &lbfgs) == GD_OK) {
        printf("lbfgs:       objective %.10g after %zu iterations (%s), the default optimizer\n",
               lbfgs.loss, lbfgs.iterations, gd_stop_name(lbfgs.stop));
    }

    double low = table.y[0];
    double high = table.y[0];
    for (size_t i = 0; i < n; ++i) {
        low = predicted[i] < low ? predicted[i] : low;
        low = table.y[i] < low ? table.y[i] : low;
        high = predicted[i] > high ? predicted[i] : high;
        high = table.y[i] > high ? table.y[i] : high;
    }
    double pad = 0.05 * (high - low);
    plot_axes axes = {.title = "Diabetes, 10 features: predicted against actual "
                               "(no single line to draw in 10-D)",
                      .x_label = "actual progression", .y_label = "predicted progression",
                      .x_min = low - pad, .x_max = high + pad,
                      .y_min = low - pad, .y_max = high + pad};
    char fit_path[1024];
    char objective_path[1024];
    snprintf(fit_path, sizeof fit_path, "%s/linear_multi_fit.svg", out_dir);
    snprintf(objective_path, sizeof objective_path, "%s/linear_multi_objective.svg", out_dir);
    plot figure;
    if (plot_open(&figure, fit_path, &axes) != 0) {
        perror(fit_path);
        goto done;
    }
    plot_line(&figure, axes.x_min, axes.x_min, axes.x_max, axes.x_max, "#555555", 1);
    for (size_t i = 0; i < n; ++i) {
        plot_point(&figure, table.y[i], predicted[i], plot_palette[0]);
    }
    plot_legend(&figure, "patients", plot_palette[0]);
    plot_legend(&figure, "y = x (perfect)", "#555555");
    if (plot_close(&figure) != 0) {
        perror(fit_path);
        goto done;
    }
    if (plot_convergence(objective_path, "Linear regression on 10 features: gradient descent, "
                                         "α = 0.1",
                         history.count, history.loss, history.grad_max, options.tolerance) != 0) {
        perror(objective_path);
        goto done;
    }
    printf("figures:     %s, %s\n", fit_path, objective_path);
    exit_code = EXIT_SUCCESS;

done:
    free(predicted);
    free(theta_lbfgs);
    free(theta);
    free(scale);
    free(mean);
    trace_free(&history);
    gd_table_free(&table);
    return exit_code;
}
