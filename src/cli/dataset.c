/* Reading the command's CSV files: the training file, and files in the
 * layout a model was trained on (DESIGN §4), with messages that name the
 * file, the line and the column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_model_kind_name(gd_model_kind kind)
{
    switch (kind) {
    case GD_MODEL_LINEAR: return "linear";
    case GD_MODEL_LOGISTIC: return "logistic";
    case GD_MODEL_SOFTMAX: return "softmax";
    case GD_MODEL_CUSTOM: break;
    }
    return "custom";
}

static int read_table(cli_dataset *data, const char *path, const gd_csv_options *options)
{
    gd_error_info info;
    memset(data, 0, sizeof *data);
    data->path = path;
    data->label_column = SIZE_MAX;
    gd_status status = gd_csv_read(path, options, &data->table, &info);
    if (status != GD_OK) {
        return cli_file_error(path, &info, status);
    }
    data->x = data->table.x;
    data->y = data->table.y;
    data->n_rows = data->table.n_rows;
    data->n_features = data->table.n_features;
    data->n_columns = data->table.n_columns;
    data->label_column = data->table.label_column;
    data->has_header = data->table.column_names != NULL;
    return CLI_EXIT_OK;
}

int cli_dataset_read_training(cli_dataset *data, const char *path, const char *label_name,
                              long label_index)
{
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_name = label_name;
    options.label_index = label_index;
    int status = read_table(data, path, &options);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    if (data->n_features == 0) {
        cli_error("%s: no feature columns: the file has only the label column", path);
        cli_dataset_free(data);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* Take the label out of each row and close the gap, in place: row i's
 * features move to x[i·m …], never past where they were (memmove). */
static int split_label(cli_dataset *data, size_t label_column)
{
    const size_t n = data->n_rows;
    const size_t columns = data->n_columns;
    const size_t m = columns - 1;
    if (n > SIZE_MAX / sizeof(double)) {
        cli_error("%s: too many rows", data->path);
        return CLI_EXIT_FAILURE;
    }
    data->y_owned = malloc(n * sizeof(double));
    if (data->y_owned == NULL) {
        cli_error("%s: out of memory", data->path);
        return CLI_EXIT_FAILURE;
    }
    double *x = data->table.x;
    for (size_t i = 0; i < n; ++i) {
        const double *source = x + i * columns;
        double *target = x + i * m;
        const double label = source[label_column];
        memmove(target, source, label_column * sizeof(double));
        memmove(target + label_column, source + label_column + 1,
                (m - label_column) * sizeof(double));
        data->y_owned[i] = label;
    }
    data->y = data->y_owned;
    data->n_features = m;
    data->label_column = label_column;
    return CLI_EXIT_OK;
}

int cli_dataset_read_for_model(cli_dataset *data, const char *path, const gd_model_file *file,
                               int need_label)
{
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_index = GD_LABEL_NONE; /* the model says where the label is */
    int status = read_table(data, path, &options);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    const size_t m = file->model.n_features;
    /* A model file without the training layout (written by a program, not
     * by `gdlearn fit`) is taken to have had its label last. */
    const size_t label_column = file->label_column != SIZE_MAX ? file->label_column : m;
    const size_t with_label = m + 1;
    if (data->n_columns == with_label) {
        status = split_label(data, label_column);
        if (status != CLI_EXIT_OK) {
            cli_dataset_free(data);
        }
        return status;
    }
    if (data->n_columns == m && !need_label) {
        return CLI_EXIT_OK;
    }
    if (data->n_columns == m) {
        cli_error("%s: %zu columns: the features alone, but eval needs the label too "
                  "(%zu columns, the label in column %zu, as at training)",
                  path, data->n_columns, with_label, label_column);
    } else if (need_label) {
        cli_error("%s: %zu columns, but the model was trained on %zu "
                  "(%zu features and the label in column %zu)",
                  path, data->n_columns, with_label, m, label_column);
    } else {
        cli_error("%s: %zu columns, but the model takes %zu features: give %zu columns "
                  "(the label in column %zu, as at training; it is ignored) or the %zu "
                  "features alone",
                  path, data->n_columns, m, with_label, label_column, m);
    }
    cli_dataset_free(data);
    return CLI_EXIT_FAILURE;
}

void cli_dataset_free(cli_dataset *data)
{
    if (data == NULL) {
        return;
    }
    gd_table_free(&data->table);
    free(data->y_owned);
    memset(data, 0, sizeof *data);
}

size_t cli_dataset_line(const cli_dataset *data, size_t row)
{
    /* The reader allows blank lines only at the end, so data rows follow the
     * header (if any) line by line. */
    return row + 1 + (data->has_header ? 1u : 0u);
}

/* The library's rule (gd_model_logistic/softmax): a label is a class index
 * stored in a double, an integer in [0, n_classes). */
static int is_class(double label, size_t n_classes)
{
    return label >= 0.0 && label < (double)n_classes && label == (double)(size_t)label;
}

static int label_error(const cli_dataset *data, size_t row, const char *expected)
{
    cli_error("%s:%zu:%zu: %s: %.17g (%s)", data->path, cli_dataset_line(data, row),
              data->label_column + 1, gd_strerror(GD_ERR_LABEL), data->y[row], expected);
    return CLI_EXIT_FAILURE;
}

int cli_dataset_check_labels(const cli_dataset *data, size_t n_classes)
{
    for (size_t i = 0; i < data->n_rows; ++i) {
        if (!is_class(data->y[i], n_classes)) {
            char expected[96];
            if (n_classes == 2) {
                snprintf(expected, sizeof expected, "expected 0 or 1");
            } else {
                snprintf(expected, sizeof expected, "expected an integer from 0 to %zu",
                         n_classes - 1);
            }
            return label_error(data, i, expected);
        }
    }
    return CLI_EXIT_OK;
}

int cli_dataset_infer_classes(const cli_dataset *data, size_t max_classes, size_t *n_classes)
{
    double largest = 0.0;
    for (size_t i = 0; i < data->n_rows; ++i) {
        if (!is_class(data->y[i], max_classes)) {
            char expected[96];
            snprintf(expected, sizeof expected, "expected a class index: an integer from 0 "
                     "to %zu", max_classes - 1);
            return label_error(data, i, expected);
        }
        if (data->y[i] > largest) {
            largest = data->y[i];
        }
    }
    *n_classes = (size_t)largest + 1;
    return CLI_EXIT_OK;
}

int cli_dataset_standardize(cli_dataset *data, const double *mean, const double *scale)
{
    gd_status status =
        gd_standardize_apply(data->x, data->n_rows, data->n_features, 0, mean, scale);
    if (status != GD_OK) {
        cli_error("%s: cannot standardise the features: %s", data->path, gd_strerror(status));
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

gd_data cli_dataset_view(const cli_dataset *data)
{
    gd_data view;
    gd_data_init(&view, data->x, data->n_rows, data->n_features, data->y);
    return view;
}

int cli_model_load(const char *path, gd_model_file *file)
{
    gd_error_info info;
    gd_status status = gd_model_load(path, NULL, file, &info);
    if (status != GD_OK) {
        return cli_file_error(path, &info, status);
    }
    return CLI_EXIT_OK;
}

int cli_open_model_and_data(const char *model_path, const char *data_path, int need_label,
                            gd_model_file *file, cli_dataset *data)
{
    memset(data, 0, sizeof *data);
    int status = cli_model_load(model_path, file);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    status = cli_dataset_read_for_model(data, data_path, file, need_label);
    if (status == CLI_EXIT_OK && file->mean != NULL) {
        status = cli_dataset_standardize(data, file->mean, file->scale);
    }
    if (status != CLI_EXIT_OK) {
        cli_dataset_free(data);
        gd_model_file_free(file);
    }
    return status;
}
