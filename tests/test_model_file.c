/* Model files: bit-exact round trips for each built-in kind, every rejection
 * class through a crafted file, every prefix of a valid file, safe replacement
 * on disk, locales, and a failing allocator. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, opendir */

#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

/* ---- helpers ------------------------------------------------------------ */

static char directory[64];

static int setup_directory(void **state)
{
    (void)state;
    strcpy(directory, "/tmp/gdlearn_test_model_XXXXXX");
    return mkdtemp(directory) != NULL ? 0 : -1;
}

/* Remove every file of the directory, then the directory. */
static int remove_directory(void **state)
{
    (void)state;
    DIR *dir = opendir(directory);
    if (dir == NULL) {
        return -1;
    }
    struct dirent *entry;
    char path[512];
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
            remove(path);
        }
    }
    closedir(dir);
    return rmdir(directory);
}

static const char *path_of(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    return path;
}

/* Files in the test directory whose name contains `part`. */
static size_t count_files(const char *part)
{
    DIR *dir = opendir(directory);
    assert_non_null(dir);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        count += strstr(entry->d_name, part) != NULL;
    }
    closedir(dir);
    return count;
}

static void write_text(const char *path, const char *text, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

/* The whole file, NUL-terminated; caller frees. */
static char *read_text(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = malloc(1 << 20);
    assert_non_null(text);
    *size = fread(text, 1, (1 << 20) - 1, f);
    text[*size] = '\0';
    fclose(f);
    return text;
}

static int is_all_zero(const void *p, size_t size)
{
    const unsigned char *bytes = p;
    for (size_t i = 0; i < size; ++i) {
        if (bytes[i] != 0) {
            return 0;
        }
    }
    return 1;
}

typedef struct counting {
    size_t calls;
    size_t fail_at;
    long live;
} counting;

static void *counting_alloc(size_t size, void *opaque)
{
    counting *c = opaque;
    if (c->calls++ == c->fail_at) {
        return NULL;
    }
    void *p = malloc(size);
    c->live += p != NULL;
    return p;
}

static void counting_free(void *ptr, void *opaque)
{
    counting *c = opaque;
    if (ptr != NULL) {
        c->live--;
        free(ptr);
    }
}

/* Values chosen to break a sloppy writer or reader: not exact in decimal,
 * subnormal, the extremes, negative zero. */
static const double awkward[] = {0.1,     1.0 / 3.0, -0.0,    5e-324, 1.7976931348623157e308,
                                 -2.5e-300, 123456789.123456789, -1e22, 2.0 / 7.0, 1e-5};
#define N_AWKWARD (sizeof awkward / sizeof awkward[0])

/* A model file with θ, and a scaler if `standardize`, from the awkward values. */
typedef struct owned_file {
    gd_model_file file;
    double theta[64];
    double mean[16];
    double scale[16];
} owned_file;

static void make_file(owned_file *owned, gd_model_kind kind, size_t m, size_t k, int standardize)
{
    memset(owned, 0, sizeof *owned);
    gd_model *model = &owned->file.model;
    double l2 = 1.0 / 3.0;
    if (kind == GD_MODEL_LINEAR) {
        assert_int_equal(gd_model_linear(model, m, l2), GD_OK);
    } else if (kind == GD_MODEL_LOGISTIC) {
        assert_int_equal(gd_model_logistic(model, m, l2), GD_OK);
    } else {
        assert_int_equal(gd_model_softmax(model, m, k, l2), GD_OK);
    }
    assert_true(model->n_params <= 64 && m <= 16);
    for (size_t j = 0; j < model->n_params; ++j) {
        owned->theta[j] = awkward[j % N_AWKWARD] * (j % 2 ? -1.0 : 1.0);
    }
    owned->file.theta = owned->theta;
    if (standardize) {
        for (size_t j = 0; j < m; ++j) {
            owned->mean[j] = awkward[(j + 3) % N_AWKWARD];
            owned->scale[j] = fabs(awkward[(j + 1) % N_AWKWARD]) + 0.7;
        }
        owned->file.mean = owned->mean;
        owned->file.scale = owned->scale;
    }
    owned->file.n_columns = m + 1;
    owned->file.label_column = m / 2;
}

static void check_round_trip(gd_model_kind kind, size_t m, size_t k, int standardize)
{
    owned_file saved;
    make_file(&saved, kind, m, k, standardize);
    const char *path = path_of("round_trip.model");
    assert_int_equal(gd_model_save(path, &saved.file), GD_OK);
    gd_model_file loaded;
    gd_error_info error;
    gd_status status = gd_model_load(path, NULL, &loaded, &error);
    if (status != GD_OK) {
        fail_msg("load: %s at %zu:%zu: %s", gd_strerror(status), error.line, error.column,
                 error.message);
    }
    const gd_model *a = &saved.file.model, *b = &loaded.model;
    assert_int_equal(b->kind, a->kind);
    assert_int_equal(b->n_features, a->n_features);
    assert_int_equal(b->n_classes, a->n_classes);
    assert_int_equal(b->n_outputs, a->n_outputs);
    assert_int_equal(b->n_params, a->n_params);
    assert_memory_equal(&b->l2, &a->l2, sizeof(double));
    /* Rebuilt by the constructor: the same functions as the original. */
    assert_true(b->loss_grad == a->loss_grad && b->predict == a->predict);
    assert_int_equal(loaded.n_columns, saved.file.n_columns);
    assert_int_equal(loaded.label_column, saved.file.label_column);
    assert_memory_equal(loaded.theta, saved.theta, a->n_params * sizeof(double));
    if (standardize) {
        assert_memory_equal(loaded.mean, saved.mean, m * sizeof(double));
        assert_memory_equal(loaded.scale, saved.scale, m * sizeof(double));
    } else {
        assert_null(loaded.mean);
        assert_null(loaded.scale);
    }
    gd_model_file_free(&loaded);
    assert_true(is_all_zero(&loaded, sizeof loaded));
    assert_int_equal(count_files(".tmp."), 0);
}

/* ---- round trips --------------------------------------------------------- */

static void test_model_file__linear_round_trip_is_bit_exact(void **state)
{
    (void)state;
    check_round_trip(GD_MODEL_LINEAR, 5, 0, 1);
    check_round_trip(GD_MODEL_LINEAR, 1, 0, 0);
}

static void test_model_file__logistic_round_trip_is_bit_exact(void **state)
{
    (void)state;
    check_round_trip(GD_MODEL_LOGISTIC, 4, 2, 1);
    check_round_trip(GD_MODEL_LOGISTIC, 3, 2, 0);
}

static void test_model_file__softmax_round_trip_is_bit_exact(void **state)
{
    (void)state;
    check_round_trip(GD_MODEL_SOFTMAX, 4, 3, 1);
    check_round_trip(GD_MODEL_SOFTMAX, 2, 7, 0);
}

/* A loaded model predicts exactly as the one saved, and an unknown layout
 * (no label column) survives the trip. */
static void test_model_file__loaded_linear_model_predicts_the_same(void **state)
{
    (void)state;
    ts_dataset d;
    assert_int_equal(ts_load_csv("diabetes.csv", &d), 0);
    owned_file saved;
    make_file(&saved, GD_MODEL_LINEAR, d.n_features, 0, 0);
    saved.file.n_columns = 0;
    saved.file.label_column = SIZE_MAX;
    for (size_t j = 0; j <= d.n_features; ++j) {
        saved.theta[j] = 0.01 * (double)j - 0.05;
    }
    const char *path = path_of("predict.model");
    assert_int_equal(gd_model_save(path, &saved.file), GD_OK);
    gd_model_file loaded;
    assert_int_equal(gd_model_load(path, NULL, &loaded, NULL), GD_OK);
    assert_int_equal(loaded.n_columns, 0);
    assert_int_equal(loaded.label_column, SIZE_MAX);
    gd_data data;
    gd_data_init(&data, d.x, d.n_rows, d.n_features, NULL);
    double *expected = malloc(d.n_rows * sizeof *expected);
    double *actual = malloc(d.n_rows * sizeof *actual);
    assert_non_null(expected);
    assert_non_null(actual);
    assert_int_equal(gd_predict(&saved.file.model, saved.theta, &data, expected), GD_OK);
    assert_int_equal(gd_predict(&loaded.model, loaded.theta, &data, actual), GD_OK);
    assert_memory_equal(actual, expected, d.n_rows * sizeof *actual);
    free(expected);
    free(actual);
    gd_model_file_free(&loaded);
    ts_free_dataset(&d);
}

/* The text is the documented one: %.17g numbers, the fixed key order. */
static void test_model_file__writes_the_documented_text(void **state)
{
    (void)state;
    owned_file saved;
    make_file(&saved, GD_MODEL_LINEAR, 2, 0, 1);
    saved.theta[0] = 0.1;
    saved.theta[1] = -2.0;
    saved.theta[2] = 1e300;
    saved.mean[0] = 0.5;
    saved.mean[1] = -0.0;
    saved.scale[0] = 3.0;
    saved.scale[1] = 0.2;
    saved.file.model.l2 = 0.0;
    saved.file.label_column = 0;
    const char *path = path_of("documented.model");
    assert_int_equal(gd_model_save(path, &saved.file), GD_OK);
    size_t size;
    char *text = read_text(path, &size);
    assert_string_equal(text, "gdlearn-model 1\n"
                              "kind linear\n"
                              "n_features 2\n"
                              "n_classes 0\n"
                              "l2 0\n"
                              "n_columns 3\n"
                              "label_column 0\n"
                              "standardize 1\n"
                              "mean 0.5 -0\n"
                              "scale 3 0.20000000000000001\n"
                              "theta 3 1\n"
                              "0.10000000000000001\n"
                              "-2\n"
                              "1.0000000000000001e+300\n"
                              "end\n");
    free(text);
}

/* ---- rejections on load -------------------------------------------------- */

static const char *valid_text = "gdlearn-model 1\n"
                                "kind softmax\n"
                                "n_features 2\n"
                                "n_classes 3\n"
                                "l2 0.01\n"
                                "n_columns 3\n"
                                "label_column 2\n"
                                "standardize 1\n"
                                "mean 1.5 -2\n"
                                "scale 0.5 4\n"
                                "theta 3 3\n"
                                "0.1 0.2 0.3\n"
                                "1 2 3\n"
                                "-1 -2 -3\n"
                                "end\n";

/* valid_text with line `line` (1-based) replaced by `replacement` (NULL: removed). */
static void load_variant(size_t line, const char *replacement, gd_status expected_status,
                         size_t expected_line, const char *in_message)
{
    char text[2048];
    size_t used = 0;
    const char *p = valid_text;
    for (size_t current = 1; *p != '\0'; ++current) {
        const char *newline = strchr(p, '\n');
        size_t length = (size_t)(newline - p) + 1;
        if (current != line) {
            memcpy(text + used, p, length);
            used += length;
        } else if (replacement != NULL) {
            used += (size_t)sprintf(text + used, "%s", replacement);
        }
        p += length;
    }
    const char *path = path_of("variant.model");
    write_text(path, text, used);
    gd_model_file file;
    memset(&file, 0xAB, sizeof file);
    gd_error_info error;
    gd_status status = gd_model_load(path, NULL, &file, &error);
    if (status != expected_status || error.line != expected_line
        || strstr(error.message, in_message) == NULL) {
        fail_msg("line %zu -> \"%s\": got %s at line %zu \"%s\"; expected %s at line %zu with "
                 "\"%s\"",
                 line, replacement != NULL ? replacement : "(removed)", gd_strerror(status),
                 error.line, error.message, gd_strerror(expected_status), expected_line,
                 in_message);
    }
    if (status == GD_OK) {
        gd_model_file_free(&file);
    }
    assert_true(is_all_zero(&file, sizeof file));
    assert_null(strchr(error.message, '\n'));
}

static void test_model_file__valid_text_loads(void **state)
{
    (void)state;
    const char *path = path_of("valid.model");
    write_text(path, valid_text, strlen(valid_text));
    gd_model_file file;
    assert_int_equal(gd_model_load(path, NULL, &file, NULL), GD_OK);
    assert_int_equal(file.model.kind, GD_MODEL_SOFTMAX);
    assert_int_equal(file.model.n_params, 9);
    assert_true(file.theta[8] == -3.0 && file.theta[0] == 0.1 && file.scale[1] == 4.0);
    assert_true(file.model.l2 == 0.01);
    gd_model_file_free(&file);
    /* CRLF line ends and no final newline load too. */
    char crlf[1024];
    size_t used = 0;
    for (const char *p = valid_text; *p != '\0'; ++p) {
        if (*p == '\n') {
            crlf[used++] = '\r';
        }
        crlf[used++] = *p;
    }
    write_text(path, crlf, used - 2);
    assert_int_equal(gd_model_load(path, NULL, &file, NULL), GD_OK);
    gd_model_file_free(&file);
}

/* Every proper prefix of a valid file is refused: truncation never loads. */
static void test_model_file__every_truncation_is_refused(void **state)
{
    (void)state;
    const char *path = path_of("truncated.model");
    const size_t size = strlen(valid_text);
    for (size_t cut = 0; cut + 1 < size; ++cut) {
        write_text(path, valid_text, cut);
        gd_model_file file;
        gd_error_info error;
        gd_status status = gd_model_load(path, NULL, &file, &error);
        if (status != GD_ERR_FORMAT) {
            fail_msg("prefix of %zu bytes: %s", cut, gd_strerror(status));
        }
        assert_true(is_all_zero(&file, sizeof file));
    }
}

static void test_model_file__wrong_sizes_are_format_errors(void **state)
{
    (void)state;
    load_variant(9, "mean 1.5\n", GD_ERR_FORMAT, 9, "expected 2 values, found 1");
    load_variant(10, "scale 0.5 4 4\n", GD_ERR_FORMAT, 10, "expected 2 values, found 3");
    load_variant(12, "0.1 0.2\n", GD_ERR_FORMAT, 12, "expected 3 values, found 2");
    load_variant(11, "theta 3 2\n", GD_ERR_FORMAT, 11, "the model needs 3 x 3");
    load_variant(14, NULL, GD_ERR_FORMAT, 14, "theta: 'end' is not a number"); /* a row short */
    load_variant(3, "n_features 3\n", GD_ERR_FORMAT, 7, "n_columns and label_column");
    load_variant(3, "n_features 0\n", GD_ERR_FORMAT, 3, "at least 1");
    load_variant(3, "n_features 99999999999999999999999\n", GD_ERR_FORMAT, 3, "valid size");
    load_variant(3, "n_features -2\n", GD_ERR_FORMAT, 3, "valid size");
    /* A size the file cannot hold is refused before any allocation for it. */
    load_variant(3, "n_features 100000000\n", GD_ERR_FORMAT, 7, "n_columns");
    load_variant(4, "n_classes 1\n", GD_ERR_FORMAT, 4, "n_classes");
    load_variant(7, "label_column 3\n", GD_ERR_FORMAT, 7, "n_columns and label_column");
    load_variant(10, "scale 0.5 0\n", GD_ERR_FORMAT, 10, "positive");
    load_variant(5, "l2 -1\n", GD_ERR_FORMAT, 5, "negative");
    load_variant(8, "standardize 2\n", GD_ERR_FORMAT, 8, "0 or 1");
}

static void test_model_file__huge_theta_size_is_refused_without_allocating(void **state)
{
    (void)state;
    const char *text = "gdlearn-model 1\nkind linear\nn_features 2000000000\nn_classes 0\nl2 0\n"
                       "n_columns 0\nlabel_column none\nstandardize 0\n"
                       "theta 2000000001 1\n1\n2\nend\n";
    const char *path = path_of("huge.model");
    write_text(path, text, strlen(text));
    counting count = {0, SIZE_MAX, 0};
    gd_allocator allocator = {counting_alloc, counting_free, &count};
    gd_model_file file;
    gd_error_info error;
    gd_status status = gd_model_load(path, &allocator, &file, &error);
    /* n_features beyond BLAS's int is refused by the constructor; either way
     * no allocation beyond the text buffer. */
    assert_int_equal(status, GD_ERR_FORMAT);
    assert_int_equal(count.calls, 1);
    assert_int_equal(count.live, 0);
    text = "gdlearn-model 1\nkind linear\nn_features 200000000\nn_classes 0\nl2 0\n"
           "n_columns 0\nlabel_column none\nstandardize 0\n"
           "theta 200000001 1\n1\n2\nend\n";
    write_text(path, text, strlen(text));
    count.calls = 0;
    assert_int_equal(gd_model_load(path, &allocator, &file, &error), GD_ERR_FORMAT);
    assert_int_equal(error.line, 10);
    assert_non_null(strstr(error.message, "truncated"));
    assert_int_equal(count.calls, 1);
    assert_int_equal(count.live, 0);
}

/* Found by tests/fuzz/fuzz_model_file (corpus/model/regress_huge_scaler.model):
 * a short file with a huge n_features and "standardize 1" made the loader
 * allocate 2 x 16 GB for the scaler before reading it. */
static void test_model_file__huge_scaler_size_is_refused_without_allocating(void **state)
{
    (void)state;
    const char *text = "gdlearn-model 1\nkind linear\nn_features 2000000000\nn_classes 0\nl2 0\n"
                       "n_columns 0\nlabel_column none\nstandardize 1\nmean 1\n";
    const char *path = path_of("huge_scaler.model");
    write_text(path, text, strlen(text));
    counting count = {0, SIZE_MAX, 0};
    gd_allocator allocator = {counting_alloc, counting_free, &count};
    gd_model_file file;
    gd_error_info error;
    assert_int_equal(gd_model_load(path, &allocator, &file, &error), GD_ERR_FORMAT);
    assert_int_equal(error.line, 9);
    assert_non_null(strstr(error.message, "truncated"));
    assert_int_equal(count.calls, 1); /* the text buffer only */
    assert_int_equal(count.live, 0);
    assert_true(is_all_zero(&file, sizeof file));
    /* The smallest m the text could hold is still read (and refused for its
     * missing values, not for its size). */
    text = "gdlearn-model 1\nkind linear\nn_features 2\nn_classes 0\nl2 0\n"
           "n_columns 0\nlabel_column none\nstandardize 1\nmean 1 2\n";
    write_text(path, text, strlen(text));
    count.calls = 0;
    assert_int_equal(gd_model_load(path, &allocator, &file, &error), GD_ERR_FORMAT);
    assert_int_equal(error.line, 10);
    assert_non_null(strstr(error.message, "'scale' line missing"));
    assert_int_equal(count.live, 0);
}

static void test_model_file__nonfinite_numbers_are_refused(void **state)
{
    (void)state;
    load_variant(12, "0.1 nan 0.3\n", GD_ERR_NONFINITE, 12, "'nan'");
    load_variant(13, "1 2 inf\n", GD_ERR_NONFINITE, 13, "'inf'");
    load_variant(14, "-1 -2 -1e999\n", GD_ERR_NONFINITE, 14, "'-1e999'");
    load_variant(9, "mean NaN -2\n", GD_ERR_NONFINITE, 9, "not a finite number");
    load_variant(10, "scale 0.5 Infinity\n", GD_ERR_NONFINITE, 10, "Infinity");
    load_variant(5, "l2 inf\n", GD_ERR_NONFINITE, 5, "l2");
    load_variant(12, "0.1 0.2 abc\n", GD_ERR_FORMAT, 12, "'abc' is not a number");
    load_variant(12, "0.1 0.2 0,3\n", GD_ERR_FORMAT, 12, "'0,3'");
}

static void test_model_file__trailing_garbage_is_refused(void **state)
{
    (void)state;
    load_variant(15, "end\nmore\n", GD_ERR_FORMAT, 16, "trailing data");
    load_variant(15, "end extra\n", GD_ERR_FORMAT, 15, "'extra'");
    load_variant(3, "n_features 2 2\n", GD_ERR_FORMAT, 3, "unexpected '2'");
    load_variant(1, "gdlearn-model 1 x\n", GD_ERR_FORMAT, 1, "'x'");
    load_variant(15, "end\n\n  \n", GD_OK, 0, ""); /* trailing blank lines are fine */
}

static void test_model_file__unknown_kind_and_keys_are_refused(void **state)
{
    (void)state;
    load_variant(2, "kind tree\n", GD_ERR_FORMAT, 2, "unknown model kind 'tree'");
    load_variant(2, "kind custom\n", GD_ERR_FORMAT, 2, "unknown model kind");
    load_variant(3, "features 2\n", GD_ERR_FORMAT, 3, "expected a 'n_features' line");
    load_variant(1, "gdlearn-modelx 1\n", GD_ERR_FORMAT, 1, "not a gdlearn model file");
    load_variant(1, "sepal_length,sepal_width\n", GD_ERR_FORMAT, 1, "not a gdlearn model file");
}

static void test_model_file__other_versions_are_refused(void **state)
{
    (void)state;
    load_variant(1, "gdlearn-model 2\n", GD_ERR_VERSION, 1, "version 2");
    load_variant(1, "gdlearn-model 0\n", GD_ERR_VERSION, 1, "reads version 1");
    load_variant(1, "gdlearn-model one\n", GD_ERR_FORMAT, 1, "valid size");
}

static void test_model_file__load_arguments_and_missing_file(void **state)
{
    (void)state;
    gd_model_file file;
    gd_error_info error;
    assert_int_equal(gd_model_load(NULL, NULL, &file, &error), GD_ERR_NULL);
    assert_int_equal(gd_model_load(path_of("x"), NULL, NULL, &error), GD_ERR_NULL);
    assert_int_equal(gd_model_load(path_of("missing.model"), NULL, &file, &error), GD_ERR_IO);
    assert_true(is_all_zero(&file, sizeof file));
    gd_model_file_free(NULL);
}

/* ---- saving -------------------------------------------------------------- */

static void test_model_file__save_refusals_leave_the_existing_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s", path_of("kept.model")); /* path_of's buffer is reused */
    write_text(path, "precious", 8);
    owned_file owned;

    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.theta[2] = NAN;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_NONFINITE);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.mean[1] = INFINITY;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_NONFINITE);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.scale[0] = 0.0;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_NONFINITE);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.file.scale = NULL;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_NULL);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.file.theta = NULL;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_NULL);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.file.n_columns = 7; /* does not fit 3 features and a label */
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_MODEL);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    owned.file.model.n_params = 3;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_MODEL);
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    assert_int_equal(gd_model_custom(&owned.file.model, 4, owned.file.model.loss_grad, NULL, NULL),
                     GD_OK);
    owned.file.model.n_features = 3;
    assert_int_equal(gd_model_save(path, &owned.file), GD_ERR_MODEL);
    assert_int_equal(gd_model_save(NULL, &owned.file), GD_ERR_NULL);
    assert_int_equal(gd_model_save(path, NULL), GD_ERR_NULL);

    /* A failure after the temporary file exists: the destination is a
     * directory, so the rename fails; the temporary file goes away. */
    make_file(&owned, GD_MODEL_LINEAR, 3, 0, 1);
    const char *subdirectory = path_of("a_directory");
    assert_int_equal(mkdir(subdirectory, 0700), 0);
    assert_int_equal(gd_model_save(subdirectory, &owned.file), GD_ERR_IO);
    assert_int_equal(gd_model_save(path_of("no/such/dir.model"), &owned.file), GD_ERR_IO);
    assert_int_equal(count_files(".tmp."), 0);

    size_t size;
    char *text = read_text(path, &size);
    assert_string_equal(text, "precious");
    free(text);
}

static void test_model_file__save_replaces_an_existing_file(void **state)
{
    (void)state;
    const char *path = path_of("replaced.model");
    write_text(path, "old contents that are longer than nothing", 41);
    owned_file owned;
    make_file(&owned, GD_MODEL_LINEAR, 2, 0, 0);
    assert_int_equal(gd_model_save(path, &owned.file), GD_OK);
    gd_model_file loaded;
    assert_int_equal(gd_model_load(path, NULL, &loaded, NULL), GD_OK);
    assert_memory_equal(loaded.theta, owned.theta, 3 * sizeof(double));
    gd_model_file_free(&loaded);
    assert_int_equal(count_files(".tmp."), 0);
}

/* ---- locale and allocation ------------------------------------------------ */

static const char *comma_locale(void)
{
    static const char *candidates[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                       "nl_NL.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "ru_RU.UTF-8",
                                       "pt_BR.UTF-8", "de_DE",      "fr_FR"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; ++i) {
        if (setlocale(LC_NUMERIC, candidates[i]) != NULL
            && strcmp(localeconv()->decimal_point, ",") == 0) {
            return candidates[i];
        }
    }
    setlocale(LC_NUMERIC, "C");
    return NULL;
}

/* Under a comma-decimal LC_NUMERIC the file still has '.' and loads back
 * bit-exactly. Skipped where no such locale is installed. */
static void test_model_file__text_is_locale_independent(void **state)
{
    (void)state;
    if (comma_locale() == NULL) {
        print_message("no comma-decimal locale installed (tried de_DE.UTF-8 and others): "
                      "locale case skipped\n");
        skip();
        return;
    }
    owned_file saved;
    make_file(&saved, GD_MODEL_LINEAR, 3, 0, 1);
    const char *path = path_of("locale.model");
    gd_status saved_status = gd_model_save(path, &saved.file);
    gd_model_file loaded;
    gd_status load_status = gd_model_load(path, NULL, &loaded, NULL);
    setlocale(LC_NUMERIC, "C");
    assert_int_equal(saved_status, GD_OK);
    assert_int_equal(load_status, GD_OK);
    size_t size;
    char *text = read_text(path, &size);
    assert_non_null(strstr(text, "l2 0.33333333333333331\n"));
    assert_null(strchr(text, ','));
    free(text);
    assert_memory_equal(loaded.theta, saved.theta, 4 * sizeof(double));
    assert_memory_equal(loaded.mean, saved.mean, 3 * sizeof(double));
    gd_model_file_free(&loaded);
}

static void test_model_file__every_allocation_failure_is_nomem_without_leaks(void **state)
{
    (void)state;
    owned_file saved;
    make_file(&saved, GD_MODEL_SOFTMAX, 3, 4, 1);
    const char *path = path_of("alloc.model");
    assert_int_equal(gd_model_save(path, &saved.file), GD_OK);
    counting count = {0, SIZE_MAX, 0};
    gd_allocator allocator = {counting_alloc, counting_free, &count};
    gd_model_file file;
    gd_error_info error;
    assert_int_equal(gd_model_load(path, &allocator, &file, &error), GD_OK);
    assert_true(file.allocator == &allocator);
    const size_t needed = count.calls;
    assert_int_equal(needed, 4); /* text, mean, scale, θ */
    gd_model_file_free(&file);
    assert_int_equal(count.live, 0);
    for (size_t k = 0; k < needed; ++k) {
        count.calls = 0;
        count.fail_at = k;
        gd_status status = gd_model_load(path, &allocator, &file, &error);
        if (status != GD_ERR_NOMEM) {
            fail_msg("failing allocation %zu gave %s", k, gd_strerror(status));
        }
        assert_int_equal(count.live, 0);
        assert_true(is_all_zero(&file, sizeof file));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_file__linear_round_trip_is_bit_exact),
        cmocka_unit_test(test_model_file__logistic_round_trip_is_bit_exact),
        cmocka_unit_test(test_model_file__softmax_round_trip_is_bit_exact),
        cmocka_unit_test(test_model_file__loaded_linear_model_predicts_the_same),
        cmocka_unit_test(test_model_file__writes_the_documented_text),
        cmocka_unit_test(test_model_file__valid_text_loads),
        cmocka_unit_test(test_model_file__every_truncation_is_refused),
        cmocka_unit_test(test_model_file__wrong_sizes_are_format_errors),
        cmocka_unit_test(test_model_file__huge_theta_size_is_refused_without_allocating),
        cmocka_unit_test(test_model_file__huge_scaler_size_is_refused_without_allocating),
        cmocka_unit_test(test_model_file__nonfinite_numbers_are_refused),
        cmocka_unit_test(test_model_file__trailing_garbage_is_refused),
        cmocka_unit_test(test_model_file__unknown_kind_and_keys_are_refused),
        cmocka_unit_test(test_model_file__other_versions_are_refused),
        cmocka_unit_test(test_model_file__load_arguments_and_missing_file),
        cmocka_unit_test(test_model_file__save_refusals_leave_the_existing_file),
        cmocka_unit_test(test_model_file__save_replaces_an_existing_file),
        cmocka_unit_test(test_model_file__text_is_locale_independent),
        cmocka_unit_test(test_model_file__every_allocation_failure_is_nomem_without_leaks),
    };
    return cmocka_run_group_tests(tests, setup_directory, remove_directory);
}
