/* `gdlearn fit`: read a training CSV, fit a built-in model, write the model
 * file only after a successful fit (DESIGN §4, docs/cli.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The classes the model has, after checking every label against them. */
static int resolve_classes(const cli_fit_args *fit, const cli_dataset *data, size_t *n_classes)
{
    *n_classes = 0;
    if (fit->kind == GD_MODEL_LOGISTIC) {
        *n_classes = 2;
        return cli_dataset_check_labels(data, 2);
    }
    if (fit->kind != GD_MODEL_SOFTMAX) {
        return CLI_EXIT_OK;
    }
    if (fit->n_classes != 0) {
        *n_classes = fit->n_classes;
        return cli_dataset_check_labels(data, fit->n_classes);
    }
    int status = cli_dataset_infer_classes(data, CLI_MAX_CLASSES, n_classes);
    if (status == CLI_EXIT_OK && *n_classes < 2) {
        cli_error("%s: every label is 0, but softmax needs at least 2 classes "
                  "(give --classes K)", data->path);
        status = CLI_EXIT_FAILURE;
    }
    return status;
}

static int build_model(const cli_fit_args *fit, const cli_dataset *data, size_t n_classes,
                       gd_model *model)
{
    gd_status status;
    if (fit->kind == GD_MODEL_LINEAR) {
        status = gd_model_linear(model, data->n_features, fit->l2);
    } else if (fit->kind == GD_MODEL_LOGISTIC) {
        status = gd_model_logistic(model, data->n_features, fit->l2);
    } else {
        status = gd_model_softmax(model, data->n_features, n_classes, fit->l2);
    }
    if (status != GD_OK) {
        cli_error("%s: cannot make a %s model of %zu features: %s", data->path,
                  cli_model_kind_name(fit->kind), data->n_features, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    model->n_threads = (unsigned)fit->n_threads; /* 0: the library chooses */
    return CLI_EXIT_OK;
}

typedef struct fit_result {
    gd_report report;
    double loss;           /* gd_objective at the returned θ */
    double fit_seconds;
    double load_seconds;
} fit_result;

static void print_json(const cli_fit_args *fit, const cli_dataset *data, const gd_model *model,
                       const fit_result *result)
{
    const gd_options *o = &fit->options;
    printf("{\"model\":\"%s\",\"optimizer\":\"%s\",\"n\":%zu,\"m\":%zu,\"k\":%zu,"
           "\"iterations\":%zu,\"evaluations\":%zu,\"loss\":",
           cli_model_kind_name(model->kind), cli_optimizer_name(o->optimizer), data->n_rows,
           data->n_features, model->n_classes, result->report.iterations,
           result->report.evaluations);
    cli_json_number(result->loss);
    fputs(",\"grad_max\":", stdout);
    cli_json_number(result->report.grad_max);
    printf(",\"status\":\"%s\",\"fit_seconds\":", gd_stop_name(result->report.stop));
    cli_json_number(result->fit_seconds);
    fputs(",\"load_seconds\":", stdout);
    cli_json_number(result->load_seconds);
    fputs(",\"learning_rate\":", stdout);
    cli_json_number(o->learning_rate);
    fputs(",\"tolerance\":", stdout);
    cli_json_number(o->tolerance);
    printf(",\"max_iter\":%zu,\"line_search\":%s,\"batch_size\":%zu,\"seed\":%llu,\"l2\":",
           o->max_iter, o->line_search ? "true" : "false", o->batch_size,
           (unsigned long long)o->seed);
    cli_json_number(model->l2);
    printf(",\"standardize\":%s,\"gram\":%s,\"label_column\":%zu,\"train\":",
           fit->standardize ? "true" : "false", o->linear_gram ? "true" : "false",
           data->label_column);
    cli_json_string(fit->train);
    fputs(",\"output\":", stdout);
    cli_json_string(fit->output);
    fputs("}\n", stdout);
}

static void print_summary(const cli_fit_args *fit, const cli_dataset *data, const gd_model *model,
                          const fit_result *result)
{
    printf("%s model: %zu rows, %zu features", cli_model_kind_name(model->kind), data->n_rows,
           data->n_features);
    if (model->n_classes > 0) {
        printf(", %zu classes", model->n_classes);
    }
    printf(" (label: column %zu", data->label_column);
    if (data->table.column_names != NULL) {
        printf(" '%s'", data->table.column_names[data->label_column]);
    }
    printf(")%s\n", fit->standardize ? ", standardised" : "");
    printf("%s: %s after %zu iterations in %.3g s (reading %.3g s)\n",
           cli_optimizer_name(fit->options.optimizer), gd_stop_name(result->report.stop),
           result->report.iterations, result->fit_seconds, result->load_seconds);
    printf("objective %.10g", result->loss);
    if (isfinite(result->report.grad_max)) {
        printf(", gradient max-norm %.3g", result->report.grad_max);
    }
    putchar('\n');
    printf("model written to %s\n", fit->output);
}

/* Run gd_fit with progress and Ctrl-C; then the objective at the result. */
static gd_status run_fit(const cli_fit_args *fit, const gd_model *model, const gd_data *view,
                         double *theta, fit_result *result)
{
    cli_progress progress;
    cli_progress_init(&progress, !fit->quiet && cli_stderr_is_terminal());
    gd_options options = fit->options;
    options.callback = cli_progress_callback;
    options.callback_user = &progress;
    cli_interrupt_begin();
    const double started = cli_now();
    gd_status status = gd_fit(model, view, &options, theta, &result->report);
    result->fit_seconds = cli_now() - started;
    cli_interrupt_end();
    cli_progress_end(&progress, &result->report);
    /* The objective of DESIGN §1 at the θ that is returned, on the data as
     * fitted (standardised or not), computed afresh rather than trusted. */
    result->loss = NAN;
    if (status == GD_OK || status == GD_ERR_DIVERGED || status == GD_ERR_LINE_SEARCH) {
        double loss;
        if (gd_objective(model, theta, view, &loss) == GD_OK) {
            result->loss = loss;
        }
    }
    return status;
}

/* What the fit returned, as an exit status (with the message for failures). */
static int fit_outcome(const cli_fit_args *fit, gd_status status, const fit_result *result)
{
    if (status == GD_ERR_DIVERGED) {
        cli_error("%s: the fit diverged after %zu iterations (%s); no model written: "
                  "try a smaller --lr, "
                  "--standardize, or --optimizer lbfgs", fit->train, result->report.iterations,
                  "the objective or gradient became non-finite, or the objective stayed "
                  "far above its start");
        return CLI_EXIT_FAILURE;
    }
    if (status == GD_ERR_LINE_SEARCH) {
        cli_error("%s: the line search found no acceptable step after %zu iterations "
                  "(gradient max-norm %.3g, --tol %.3g); no model written: try a larger "
                  "--tol", fit->train, result->report.iterations, result->report.grad_max,
                  fit->options.tolerance);
        return CLI_EXIT_FAILURE;
    }
    if (status != GD_OK) {
        cli_error("%s: the fit failed: %s", fit->train, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    if (!isfinite(result->loss)) {
        cli_error("%s: the objective at the fitted parameters is not finite; no model "
                  "written", fit->train);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

static int save_model(const cli_fit_args *fit, const cli_dataset *data, const gd_model *model,
                      double *theta, double *mean, double *scale)
{
    gd_model_file file;
    memset(&file, 0, sizeof file);
    file.model = *model;
    file.theta = theta;
    file.mean = mean;
    file.scale = scale;
    file.n_columns = data->n_columns;
    file.label_column = data->label_column;
    gd_status status = gd_model_save(fit->output, &file);
    if (status != GD_OK) {
        cli_error("%s: cannot write the model file: %s", fit->output, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* Scaler: fit it on the training features and apply it in place. */
static int standardize(cli_dataset *data, double **mean, double **scale)
{
    *mean = calloc(data->n_features, sizeof(double));
    *scale = calloc(data->n_features, sizeof(double));
    if (*mean == NULL || *scale == NULL) {
        cli_error("%s: out of memory", data->path);
        return CLI_EXIT_FAILURE;
    }
    gd_data view = cli_dataset_view(data);
    gd_status status = gd_standardize_fit(&view, *mean, *scale);
    if (status != GD_OK) {
        cli_error("%s: cannot standardise the features: %s", data->path, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    return cli_dataset_standardize(data, *mean, *scale);
}

int cli_fit(int argc, char **argv)
{
    cli_fit_args fit;
    int status = cli_fit_parse(argc, argv, &fit);
    if (status != CLI_EXIT_OK) {
        return status < 0 ? cli_finish_output(CLI_EXIT_OK) : status;
    }
    status = cli_check_output_path(fit.output);
    if (status != CLI_EXIT_OK) {
        return status;
    }

    fit_result result;
    memset(&result, 0, sizeof result);
    cli_dataset data;
    double *mean = NULL, *scale = NULL, *theta = NULL;
    size_t n_classes = 0;
    gd_model model;
    const double load_started = cli_now();
    status = cli_dataset_read_training(&data, fit.train, fit.label_name, fit.label_index);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    status = resolve_classes(&fit, &data, &n_classes);
    if (status == CLI_EXIT_OK && fit.standardize) {
        status = standardize(&data, &mean, &scale);
    }
    result.load_seconds = cli_now() - load_started;
    if (status == CLI_EXIT_OK) {
        status = build_model(&fit, &data, n_classes, &model);
    }
    if (status == CLI_EXIT_OK) {
        theta = calloc(model.n_params, sizeof(double));
        if (theta == NULL) {
            cli_error("%s: out of memory for %zu parameters", fit.train, model.n_params);
            status = CLI_EXIT_FAILURE;
        }
    }
    if (status == CLI_EXIT_OK) {
        gd_data view = cli_dataset_view(&data);
        gd_status fitted = run_fit(&fit, &model, &view, theta, &result);
        status = fit_outcome(&fit, fitted, &result);
        if (status == CLI_EXIT_OK) {
            status = save_model(&fit, &data, &model, theta, mean, scale);
        }
        /* A fit that ran but failed still reports, in JSON, how it ended. */
        const int ran = fitted == GD_ERR_DIVERGED || fitted == GD_ERR_LINE_SEARCH;
        if (fit.json && (status == CLI_EXIT_OK || ran)) {
            print_json(&fit, &data, &model, &result);
        } else if (status == CLI_EXIT_OK && !fit.quiet) {
            print_summary(&fit, &data, &model, &result);
        }
    }
    free(theta);
    free(mean);
    free(scale);
    cli_dataset_free(&data);
    return cli_finish_output(status);
}
