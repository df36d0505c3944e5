/* libFuzzer harness for the model-file loader (gd_model_load).
 *
 * gd_model_load reads a path, so each input is written to a per-process file
 * in $GDLEARN_FUZZ_TMPDIR, else /dev/shm when there is one (no disk I/O: the
 * save fsyncs), else $TMPDIR or /tmp. The files are removed at exit. On success the loaded model
 * is checked (a built-in kind, sizes that fit the kind, θ and the scaler
 * finite, scales > 0, the layout consistent), saved with gd_model_save,
 * loaded again and compared bit for bit. On failure the status must be a
 * documented one, the struct zeroed, the error report a NUL-terminated
 * message. A counting allocator checks that nothing leaks.
 *
 * Build: see tests/fuzz/CMakeLists.txt; run: .ci/fuzz. */
#define _POSIX_C_SOURCE 200809L /* getpid */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdlearn/gdlearn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(condition)                                                                  \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "fuzz_model_file: check failed at line %d: %s\n", __LINE__,  \
                    #condition);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

typedef struct counting {
    long live;
} counting;

static void *counting_alloc(size_t size, void *opaque)
{
    void *block = malloc(size);
    if (block != NULL) {
        ((counting *)opaque)->live += 1;
    }
    return block;
}

static void counting_free(void *block, void *opaque)
{
    if (block != NULL) {
        ((counting *)opaque)->live -= 1;
        free(block);
    }
}

/* Per-process paths: the input as written, and the re-saved model. */
static char input_path[256];
static char saved_path[256];

static void remove_paths(void)
{
    (void)remove(input_path);
    (void)remove(saved_path);
}

static void make_paths(void)
{
    if (input_path[0] != '\0') {
        return;
    }
    const char *dir = getenv("GDLEARN_FUZZ_TMPDIR"); /* .ci/fuzz's scratch directory */
    if (dir == NULL || dir[0] == '\0') {
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    }
    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }
    long pid = (long)getpid();
    CHECK(snprintf(input_path, sizeof input_path, "%s/gdlearn-fuzz-model-%ld.in", dir, pid)
          < (int)sizeof input_path);
    CHECK(snprintf(saved_path, sizeof saved_path, "%s/gdlearn-fuzz-model-%ld.out", dir, pid)
          < (int)sizeof saved_path);
    CHECK(atexit(remove_paths) == 0);
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *out = fopen(input_path, "wb");
    CHECK(out != NULL);
    CHECK(size == 0 || fwrite(data, 1, size, out) == size);
    CHECK(fclose(out) == 0);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t lines = size > 0 ? 1 : 0;
    for (size_t i = 0; i < size; ++i) {
        lines += data[i] == '\n';
    }
    return lines;
}

static int all_finite(const double *values, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        if (!isfinite(values[i])) {
            return 0;
        }
    }
    return 1;
}

/* Everything a loaded file promises. */
static void check_loaded(const gd_model_file *file, const gd_allocator *allocator)
{
    const gd_model *model = &file->model;
    const size_t m = model->n_features;
    CHECK(file->allocator == allocator);
    CHECK(gd_model_validate(model) == GD_OK);
    CHECK(model->struct_size == sizeof(gd_model));
    CHECK(model->loss_grad != NULL && model->predict != NULL);
    CHECK(m >= 1);
    CHECK(isfinite(model->l2) && model->l2 >= 0.0);
    size_t columns = 1;
    switch (model->kind) {
    case GD_MODEL_LINEAR:
        CHECK(model->n_classes == 0 && model->n_outputs == 1);
        break;
    case GD_MODEL_LOGISTIC:
        CHECK(model->n_classes == 2 && model->n_outputs == 1);
        break;
    case GD_MODEL_SOFTMAX:
        CHECK(model->n_classes >= 2 && model->n_outputs == model->n_classes);
        columns = model->n_classes;
        break;
    case GD_MODEL_CUSTOM:
    default:
        CHECK(model->kind == GD_MODEL_LINEAR); /* a loaded model is a built-in: fails */
    }
    CHECK(model->n_params / columns == m + 1 && model->n_params % columns == 0);
    CHECK(file->theta != NULL && all_finite(file->theta, model->n_params));
    CHECK((file->mean == NULL) == (file->scale == NULL));
    if (file->mean != NULL) {
        CHECK(all_finite(file->mean, m) && all_finite(file->scale, m));
        for (size_t j = 0; j < m; ++j) {
            CHECK(file->scale[j] > 0.0);
        }
    }
    if (file->label_column == SIZE_MAX) {
        CHECK(file->n_columns == 0 || file->n_columns == m);
    } else {
        CHECK(file->n_columns == m + 1 && file->label_column < file->n_columns);
    }
}

static int same_values(const double *a, const double *b, size_t n)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return memcmp(a, b, n * sizeof(double)) == 0;
}

static void check_round_trip(const gd_model_file *file)
{
    CHECK(gd_model_save(saved_path, file) == GD_OK);
    gd_model_file again;
    gd_error_info error;
    gd_status status = gd_model_load(saved_path, NULL, &again, &error);
    if (status != GD_OK) {
        fprintf(stderr, "fuzz_model_file: reload failed: %s (line %zu: %s)\n",
                gd_strerror(status), error.line, error.message);
    }
    CHECK(status == GD_OK);
    const gd_model *a = &file->model, *b = &again.model;
    CHECK(a->kind == b->kind && a->n_features == b->n_features && a->n_outputs == b->n_outputs
          && a->n_classes == b->n_classes && a->n_params == b->n_params);
    CHECK(memcmp(&a->l2, &b->l2, sizeof a->l2) == 0);
    CHECK(a->loss_grad == b->loss_grad && a->predict == b->predict);
    CHECK(file->n_columns == again.n_columns && file->label_column == again.label_column);
    CHECK(same_values(file->theta, again.theta, a->n_params));
    CHECK(same_values(file->mean, again.mean, a->n_features));
    CHECK(same_values(file->scale, again.scale, a->n_features));
    gd_model_file_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_paths();
    write_input(data, size);

    counting counter = {0};
    const gd_allocator allocator = {counting_alloc, counting_free, &counter};
    /* Half the inputs (by their length) load through the counting allocator. */
    const gd_allocator *chosen = (size & 1) ? &allocator : NULL;

    gd_model_file file;
    gd_error_info error;
    memset(&error, 0x5a, sizeof error);
    gd_status status = gd_model_load(input_path, chosen, &file, &error);
    if (status != GD_OK) {
        CHECK(status == GD_ERR_FORMAT || status == GD_ERR_VERSION
              || status == GD_ERR_NONFINITE || status == GD_ERR_NOMEM);
        static const gd_model_file zero_file;
        CHECK(memcmp(&file, &zero_file, sizeof file) == 0);
        CHECK(counter.live == 0);
        CHECK(memchr(error.message, '\0', sizeof error.message) != NULL);
        CHECK(error.message[0] != '\0');
        CHECK(error.line <= count_lines(data, size) + 1);
        return 0;
    }
    check_loaded(&file, chosen);
    check_round_trip(&file);
    gd_model_file_free(&file);
    CHECK(counter.live == 0);
    return 0;
}
