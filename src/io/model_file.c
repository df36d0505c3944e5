/* Model files (docs/model-format.md): the shared names, saving, and freeing.
 * Saving writes a temporary file beside the destination and renames it into
 * place, so a failure never leaves a partial file under the destination name. */
#define _POSIX_C_SOURCE 200809L /* open(O_EXCL), fdopen, fsync, getpid */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "io/io_internal.h"

/* Longest destination path (the temporary name adds a suffix). */
#define MODEL_PATH_MAX ((size_t)4096)
#define MODEL_TEMP_SUFFIX ".tmp.XXXXXX"
#define MODEL_TEMP_ATTEMPTS 100

const char *gdi_model_kind_name(gd_model_kind kind)
{
    switch (kind) {
    case GD_MODEL_LINEAR: return "linear";
    case GD_MODEL_LOGISTIC: return "logistic";
    case GD_MODEL_SOFTMAX: return "softmax";
    case GD_MODEL_CUSTOM: break;
    }
    return NULL;
}

size_t gdi_model_theta_columns(const gd_model *model)
{
    return model->kind == GD_MODEL_SOFTMAX ? model->n_classes : 1;
}
/* What gd_model_save refuses, before any file is touched. */
static gd_status check_for_save(const gd_model_file *file)
{
    const gd_model *model = &file->model;
    if (file->theta == NULL || ((file->mean == NULL) != (file->scale == NULL))) {
        return GD_ERR_NULL;
    }
    if (gdi_model_kind_name(model->kind) == NULL || gd_model_validate(model) != GD_OK
        || model->n_features == 0) {
        return GD_ERR_MODEL;
    }
    size_t expected_classes = model->kind == GD_MODEL_LINEAR     ? 0
                              : model->kind == GD_MODEL_LOGISTIC ? 2
                                                                 : model->n_classes;
    size_t rows = model->n_features + 1; /* no overflow: gd_model_validate bounds m */
    size_t n_params;
    if (model->n_classes != expected_classes
        || (model->kind == GD_MODEL_SOFTMAX && model->n_classes < 2)
        || !gdi_mul_size(rows, gdi_model_theta_columns(model), &n_params) || n_params != model->n_params) {
        return GD_ERR_MODEL;
    }
    if (file->label_column != SIZE_MAX
        && (file->n_columns != model->n_features + 1 || file->label_column >= file->n_columns)) {
        return GD_ERR_MODEL;
    }
    if (file->label_column == SIZE_MAX && file->n_columns != 0
        && file->n_columns != model->n_features) {
        return GD_ERR_MODEL;
    }
    if (!gdi_all_finite(file->theta, n_params)) {
        return GD_ERR_NONFINITE;
    }
    if (file->mean != NULL) {
        for (size_t j = 0; j < model->n_features; ++j) {
            if (!isfinite(file->mean[j]) || !isfinite(file->scale[j]) || !(file->scale[j] > 0.0)) {
                return GD_ERR_NONFINITE;
            }
        }
    }
    return GD_OK;
}

static void write_values(FILE *out, const char *key, const double *values, size_t n,
                         const char *decimal_point)
{
    char number[GDI_FORMAT_CHARS];
    if (key != NULL) {
        fputs(key, out);
    }
    for (size_t j = 0; j < n; ++j) {
        gdi_format_double(values[j], decimal_point, number);
        if (key != NULL || j > 0) {
            fputc(' ', out);
        }
        fputs(number, out);
    }
    fputc('\n', out);
}

/* The whole file; errors are collected by the stream and checked once. */
static void write_model(FILE *out, const gd_model_file *file)
{
    const gd_model *model = &file->model;
    char decimal_point[GDI_DECIMAL_POINT_CHARS];
    gdi_locale_decimal_point(decimal_point);
    fprintf(out, "%s %d\n", GDI_MODEL_MAGIC, GDI_MODEL_VERSION);
    fprintf(out, "kind %s\n", gdi_model_kind_name(model->kind));
    fprintf(out, "n_features %zu\n", model->n_features);
    fprintf(out, "n_classes %zu\n", model->n_classes);
    write_values(out, "l2", &model->l2, 1, decimal_point);
    fprintf(out, "n_columns %zu\n", file->n_columns);
    if (file->label_column == SIZE_MAX) {
        fputs("label_column none\n", out);
    } else {
        fprintf(out, "label_column %zu\n", file->label_column);
    }
    fprintf(out, "standardize %d\n", file->mean != NULL ? 1 : 0);
    if (file->mean != NULL) {
        write_values(out, "mean", file->mean, model->n_features, decimal_point);
        write_values(out, "scale", file->scale, model->n_features, decimal_point);
    }
    const size_t columns = gdi_model_theta_columns(model);
    const size_t rows = model->n_features + 1;
    fprintf(out, "theta %zu %zu\n", rows, columns);
    for (size_t i = 0; i < rows; ++i) {
        write_values(out, NULL, file->theta + i * columns, columns, decimal_point);
    }
    fputs("end\n", out);
}

/* Create `path` + ".tmp.XXXXXX" exclusively (O_EXCL makes the name ours);
 * the mode is 0666 less the umask, as for any new file. */
static int create_temp(const char *path, size_t path_length, char *temp_path)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    struct timespec now = {0, 0};
    (void)timespec_get(&now, TIME_UTC);
    gdi_rng rng;
    /* Different processes and threads get different streams: time, pid and a
     * stack address. O_EXCL, not the randomness, is what guarantees uniqueness. */
    gdi_rng_seed(&rng, (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30)
                           ^ ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&rng);
    memcpy(temp_path, path, path_length);
    memcpy(temp_path + path_length, MODEL_TEMP_SUFFIX, sizeof MODEL_TEMP_SUFFIX);
    char *random_part = temp_path + path_length + sizeof MODEL_TEMP_SUFFIX - 7;
    for (int attempt = 0; attempt < MODEL_TEMP_ATTEMPTS; ++attempt) {
        uint64_t bits = gdi_rng_next(&rng);
        for (int c = 0; c < 6; ++c) {
            random_part[c] = letters[bits % (sizeof letters - 1)];
            bits /= sizeof letters - 1;
        }
        int fd = open(temp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST) {
            return fd;
        }
    }
    return -1;
}

gd_status gd_model_save(const char *path, const gd_model_file *file)
{
    if (path == NULL || file == NULL) {
        return GD_ERR_NULL;
    }
    gd_status status = check_for_save(file);
    if (status != GD_OK) {
        return status;
    }
    size_t path_length = strlen(path);
    if (path_length == 0 || path_length > MODEL_PATH_MAX) {
        return GD_ERR_IO;
    }
    char temp_path[MODEL_PATH_MAX + sizeof MODEL_TEMP_SUFFIX];
    int fd = create_temp(path, path_length, temp_path);
    if (fd < 0) {
        return GD_ERR_IO;
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        close(fd);
        remove(temp_path);
        return GD_ERR_IO;
    }
    write_model(out, file);
    /* fsync before rename: after a crash the name holds the old file or the
     * whole new one, never a partial write. */
    int failed = ferror(out) != 0;
    failed |= fflush(out) != 0;
    failed |= fsync(fileno(out)) != 0;
    failed |= fclose(out) != 0;
    if (failed || rename(temp_path, path) != 0) {
        remove(temp_path);
        return GD_ERR_IO;
    }
    return GD_OK;
}

void gd_model_file_free(gd_model_file *file)
{
    if (file == NULL) {
        return;
    }
    gdi_free(file->allocator, file->theta);
    gdi_free(file->allocator, file->mean);
    gdi_free(file->allocator, file->scale);
    memset(file, 0, sizeof *file);
}
