/* `gdlearn eval`: the objective of DESIGN §1 at the model's θ on a labelled
 * CSV, and the accuracy (classifiers) or R² (linear). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_eval_help(void)
{
    fputs("Usage: gdlearn eval MODEL DATA.csv [--json]\n"
          "\n"
          "Evaluate MODEL on DATA.csv, which must be in the training layout (the label\n"
          "column where it was at training). Prints the objective of the fit (mean loss\n"
          "plus the L2 penalty, in the standardised space for a standardised model) and\n"
          "the accuracy (logistic, softmax) or the coefficient of determination R^2\n"
          "(linear; null when the labels are all equal).\n"
          "\n"
          "  --json        print one JSON object on one line\n"
          "  -h, --help    show this help\n"
          "\n"
          "Example: gdlearn eval --json iris.model iris.csv\n",
          stdout);
}

typedef struct eval_result {
    double loss;
    double score;          /* accuracy or R² */
    const char *score_name;
} eval_result;

static double accuracy_of(const cli_dataset *data, const size_t *labels)
{
    size_t correct = 0;
    for (size_t i = 0; i < data->n_rows; ++i) {
        correct += (double)labels[i] == data->y[i];
    }
    return (double)correct / (double)data->n_rows;
}

/* R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)²; NaN (printed as null) for constant y. */
static double r2_of(const cli_dataset *data, const double *predictions)
{
    const size_t n = data->n_rows;
    double mean = 0.0;
    for (size_t i = 0; i < n; ++i) {
        mean += data->y[i];
    }
    mean /= (double)n;
    double total = 0.0, residual = 0.0;
    for (size_t i = 0; i < n; ++i) {
        total += (data->y[i] - mean) * (data->y[i] - mean);
        residual += (predictions[i] - data->y[i]) * (predictions[i] - data->y[i]);
    }
    return total > 0.0 ? 1.0 - residual / total : NAN;
}

static int evaluate(const gd_model_file *file, const cli_dataset *data, eval_result *result)
{
    const gd_model *model = &file->model;
    gd_data view = cli_dataset_view(data);
    gd_status status = gd_objective(model, file->theta, &view, &result->loss);
    if (status != GD_OK) {
        cli_error("%s: cannot evaluate the objective: %s", data->path, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    if (model->n_classes >= 2) {
        result->score_name = "accuracy";
        size_t *labels = calloc(data->n_rows, sizeof *labels);
        status = labels == NULL ? GD_ERR_NOMEM
                                : gd_predict_class(model, file->theta, &view, labels);
        if (status == GD_OK) {
            result->score = accuracy_of(data, labels);
        }
        free(labels);
    } else {
        result->score_name = "r2";
        double *predictions = calloc(data->n_rows, sizeof *predictions);
        status = predictions == NULL ? GD_ERR_NOMEM
                                     : gd_predict(model, file->theta, &view, predictions);
        if (status == GD_OK) {
            result->score = r2_of(data, predictions);
        }
        free(predictions);
    }
    if (status != GD_OK) {
        cli_error("%s: cannot predict: %s", data->path, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    if (!isfinite(result->loss)) {
        cli_error("%s: the objective is not finite (the numbers overflow)", data->path);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

static void print_result(const gd_model_file *file, const cli_dataset *data,
                         const eval_result *result, int json)
{
    const gd_model *model = &file->model;
    if (json) {
        printf("{\"model\":\"%s\",\"n\":%zu,\"m\":%zu,\"k\":%zu,\"loss\":",
               cli_model_kind_name(model->kind), data->n_rows, data->n_features,
               model->n_classes);
        cli_json_number(result->loss);
        printf(",\"%s\":", result->score_name);
        cli_json_number(result->score);
        fputs("}\n", stdout);
        return;
    }
    char number[CLI_NUMBER_CHARS];
    cli_format_number(result->loss, number);
    printf("rows %zu\nobjective %s\n", data->n_rows, number);
    if (isfinite(result->score)) {
        cli_format_number(result->score, number);
        printf("%s %s\n", result->score_name, number);
    } else {
        printf("%s undefined (the labels are all equal)\n", result->score_name);
    }
}

int cli_eval(int argc, char **argv)
{
    int json = 0;
    const char *paths[2] = {NULL, NULL};
    size_t n_paths = 0;
    cli_args args;
    cli_args_init(&args, argc, argv, 2, "eval");
    int kind;
    while ((kind = cli_args_next(&args)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (n_paths == 2) {
                return cli_usage_error("eval", "unexpected argument '%.200s'", args.arg);
            }
            paths[n_paths++] = args.arg;
        } else if (cli_args_is(&args, "--help", "-h")) {
            cli_eval_help();
            return cli_finish_output(CLI_EXIT_OK);
        } else if (cli_args_is(&args, "--json", NULL)) {
            int status = cli_args_flag(&args);
            if (status != CLI_EXIT_OK) {
                return status;
            }
            json = 1;
        } else {
            return cli_args_unknown(&args);
        }
    }
    if (n_paths < 2) {
        return cli_usage_error("eval", n_paths == 0 ? "missing MODEL and DATA.csv"
                                                    : "missing DATA.csv");
    }

    gd_model_file file;
    cli_dataset data;
    int status = cli_open_model_and_data(paths[0], paths[1], 1, &file, &data);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (file.model.n_classes >= 2) {
        status = cli_dataset_check_labels(&data, file.model.n_classes);
    }
    eval_result result;
    memset(&result, 0, sizeof result);
    if (status == CLI_EXIT_OK) {
        status = evaluate(&file, &data, &result);
    }
    if (status == CLI_EXIT_OK) {
        print_result(&file, &data, &result, json);
    }
    cli_dataset_free(&data);
    gd_model_file_free(&file);
    return cli_finish_output(status);
}
