/* `gdlearn predict`: one CSV row on stdout per input row — the prediction,
 * the class, or with --proba the class probabilities (docs/cli.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_predict_help(void)
{
    fputs("Usage: gdlearn predict [--proba] MODEL DATA.csv\n"
          "\n"
          "Print one CSV row on stdout for every data row of DATA.csv (no header):\n"
          "the prediction (linear), or the class label (logistic, softmax).\n"
          "DATA.csv is in the training layout (the label column, where it was at\n"
          "training, is ignored) or holds the features alone. A model fitted with\n"
          "--standardize standardises the rows with its stored mean and scale.\n"
          "\n"
          "  --proba       print probabilities instead of labels: P(y=1) for\n"
          "                logistic, k columns P(y=0)..P(y=k-1) for softmax\n"
          "  -h, --help    show this help\n"
          "\n"
          "Example: gdlearn predict --proba iris.model iris.csv\n",
          stdout);
}

/* Every prediction, before a single one is printed: a non-finite value
 * (an overflow in a linear model) must not reach stdout as NaN or Inf. */
static int compute(const gd_model_file *file, const cli_dataset *data, int proba,
                   double **values, size_t **labels, size_t *columns)
{
    const gd_model *model = &file->model;
    gd_data view = cli_dataset_view(data);
    view.y = NULL;
    gd_status status;
    *columns = 1;
    if (model->n_classes >= 2 && !proba) {
        *labels = calloc(data->n_rows, sizeof **labels);
        if (*labels == NULL) {
            cli_error("%s: out of memory", data->path);
            return CLI_EXIT_FAILURE;
        }
        status = gd_predict_class(model, file->theta, &view, *labels);
    } else {
        *columns = model->n_outputs;
        if (*columns != 0 && data->n_rows > SIZE_MAX / *columns) {
            cli_error("%s: too many rows", data->path);
            return CLI_EXIT_FAILURE;
        }
        *values = calloc(data->n_rows * *columns, sizeof **values);
        if (*values == NULL) {
            cli_error("%s: out of memory", data->path);
            return CLI_EXIT_FAILURE;
        }
        status = gd_predict(model, file->theta, &view, *values);
    }
    if (status != GD_OK) {
        cli_error("%s: cannot predict: %s", data->path, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    for (size_t i = 0; *values != NULL && i < data->n_rows; ++i) {
        for (size_t j = 0; j < *columns; ++j) {
            if (!isfinite((*values)[i * *columns + j])) {
                cli_error("%s:%zu: the prediction is not finite (the numbers overflow)",
                          data->path, cli_dataset_line(data, i));
                return CLI_EXIT_FAILURE;
            }
        }
    }
    return CLI_EXIT_OK;
}

static void print_rows(const cli_dataset *data, const double *values, const size_t *labels,
                       size_t columns)
{
    for (size_t i = 0; i < data->n_rows; ++i) {
        if (labels != NULL) {
            printf("%zu\n", labels[i]);
            continue;
        }
        for (size_t j = 0; j < columns; ++j) {
            printf(j + 1 < columns ? "%.17g," : "%.17g\n", values[i * columns + j]);
        }
    }
}

int cli_predict(int argc, char **argv)
{
    int proba = 0;
    const char *paths[2] = {NULL, NULL};
    size_t n_paths = 0;
    cli_args args;
    cli_args_init(&args, argc, argv, 2, "predict");
    int kind;
    while ((kind = cli_args_next(&args)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (n_paths == 2) {
                return cli_usage_error("predict", "unexpected argument '%.200s'", args.arg);
            }
            paths[n_paths++] = args.arg;
        } else if (cli_args_is(&args, "--help", "-h")) {
            cli_predict_help();
            return cli_finish_output(CLI_EXIT_OK);
        } else if (cli_args_is(&args, "--proba", NULL)) {
            int status = cli_args_flag(&args);
            if (status != CLI_EXIT_OK) {
                return status;
            }
            proba = 1;
        } else {
            return cli_args_unknown(&args);
        }
    }
    if (n_paths < 2) {
        return cli_usage_error("predict", n_paths == 0 ? "missing MODEL and DATA.csv"
                                                       : "missing DATA.csv");
    }

    gd_model_file file;
    cli_dataset data;
    int status = cli_open_model_and_data(paths[0], paths[1], 0, &file, &data);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (proba && file.model.n_classes < 2) {
        status = cli_usage_error("predict", "--proba needs a logistic or softmax model; "
                                 "'%.200s' is %s", paths[0],
                                 cli_model_kind_name(file.model.kind));
    }
    double *values = NULL;
    size_t *labels = NULL;
    size_t columns = 1;
    if (status == CLI_EXIT_OK) {
        status = compute(&file, &data, proba, &values, &labels, &columns);
    }
    if (status == CLI_EXIT_OK) {
        print_rows(&data, values, labels, columns);
    }
    free(values);
    free(labels);
    cli_dataset_free(&data);
    gd_model_file_free(&file);
    return cli_finish_output(status);
}
