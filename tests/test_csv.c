/* The CSV reader: the shared data sets against the independent loader,
 * numbers against strtod, header and label handling, every error class with
 * its position, locales, and a failing allocator. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, for files the reader must open */

#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <gdlearn/gdlearn.h>

#include "testsupport.h"

/* ---- helpers ------------------------------------------------------------ */

static gd_status read_text(const char *text, const gd_csv_options *options, gd_table *table,
                           gd_error_info *error)
{
    return gd_csv_read_buffer(text, strlen(text), options, table, error);
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

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Write `size` bytes to a new temporary file; returns its path (static buffer). */
static const char *write_temp(const char *text, size_t size)
{
    static char path[64];
    strcpy(path, "/tmp/gdlearn_test_csv_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* An allocator that counts blocks and fails the k-th allocation (0-based). */
typedef struct counting {
    size_t calls;
    size_t fail_at; /* SIZE_MAX: never */
    long live;
} counting;

static void *counting_alloc(size_t size, void *opaque)
{
    counting *c = opaque;
    if (c->calls++ == c->fail_at) {
        return NULL;
    }
    void *p = malloc(size);
    if (p != NULL) {
        c->live++;
    }
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

/* Deterministic generator of the test's own (xorshift64). */
static uint64_t next_random(uint64_t *state)
{
    uint64_t s = *state;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    *state = s;
    return s;
}

/* ---- the shared data files --------------------------------------------- */

static void check_matches_testsupport(const char *name, size_t n_columns, const char *first,
                                      const char *last)
{
    ts_dataset expected;
    assert_int_equal(ts_load_csv(name, &expected), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GDLEARN_TEST_DATA_DIR, name);
    gd_table table;
    gd_error_info error;
    assert_int_equal(gd_csv_read(path, NULL, &table, &error), GD_OK);
    assert_int_equal(table.n_rows, expected.n_rows);
    assert_int_equal(table.n_features, expected.n_features);
    assert_int_equal(table.n_columns, n_columns);
    assert_int_equal(table.label_column, n_columns - 1);
    assert_memory_equal(table.x, expected.x, expected.n_rows * expected.n_features * sizeof(double));
    assert_memory_equal(table.y, expected.y, expected.n_rows * sizeof(double));
    assert_non_null(table.column_names);
    assert_string_equal(table.column_names[0], first);
    assert_string_equal(table.column_names[n_columns - 1], last);
    gd_table_free(&table);
    assert_true(is_all_zero(&table, sizeof table));
    ts_free_dataset(&expected);
}

static void test_csv__iris_matches_independent_loader(void **state)
{
    (void)state;
    check_matches_testsupport("iris.csv", 5, "sepal_length", "species");
}

static void test_csv__diabetes_matches_independent_loader(void **state)
{
    (void)state;
    check_matches_testsupport("diabetes.csv", 11, "age", "progression");
}

/* ---- numbers ------------------------------------------------------------ */

/* Every spelling is read to the very double strtod gives in the "C" locale
 * (the test runs in it): the reader's fast path must round exactly as strtod. */
static void test_csv__numbers_equal_strtod_bit_for_bit(void **state)
{
    (void)state;
    static const char *fixed[] = {
        "0", "-0", "+0", "0.0", "-0.0", ".5", "5.", "+007.50", "1e0", "1E+2", "1e-2",
        "123456789012345678", "1234567890123456789", "12345678901234567890",
        "9007199254740993", "9007199254740992", "0.1", "0.2", "0.3", "3.141592653589793",
        "2.2250738585072014e-308", "4.9406564584124654e-324", "1.7976931348623157e308",
        "1e22", "1e23", "1e-22", "1e-23", "8.988465674311579e307", "0.000000000000000000001",
        "1.00000000000000000000000000001", "123.456e-5", "1e-400", "0x1p3", "0x1.8p1",
        "-0X10", "4.8598", "93.2", "0.0000000001e10", "100000000000000000000000e-23"};
    const size_t n_fixed = sizeof fixed / sizeof fixed[0];
    const size_t n_random = 20000;
    const size_t n = n_fixed + n_random;
    char *text = malloc(n * 48);
    double *expected = malloc(n * sizeof *expected);
    assert_non_null(text);
    assert_non_null(expected);
    size_t used = 0;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n; ++i) {
        char number[40];
        if (i < n_fixed) {
            snprintf(number, sizeof number, "%s", fixed[i]);
        } else {
            uint64_t bits = next_random(&seed);
            double magnitude = ldexp((double)(bits >> 11), -53) * pow(10.0, (double)(bits % 61) - 30.0);
            int digits = (int)(next_random(&seed) % 21); /* 0..20 significant digits */
            switch (i % 3) {
            case 0: snprintf(number, sizeof number, "%.*g", digits + 1, magnitude); break;
            case 1: snprintf(number, sizeof number, "%.*e", digits, -magnitude); break;
            default: snprintf(number, sizeof number, "%.*f", digits % 12, magnitude * 1e3); break;
            }
        }
        expected[i] = strtod(number, NULL);
        used += (size_t)sprintf(text + used, "%s\n", number);
    }
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.header = 0;
    options.label_index = GD_LABEL_NONE;
    gd_table table;
    gd_error_info error;
    assert_int_equal(gd_csv_read_buffer(text, used, &options, &table, &error), GD_OK);
    assert_int_equal(table.n_rows, n);
    assert_int_equal(table.n_features, 1);
    for (size_t i = 0; i < n; ++i) {
        if (!same_bits(table.x[i], expected[i])) {
            fail_msg("row %zu: read %.17g, strtod gives %.17g", i + 1, table.x[i], expected[i]);
        }
    }
    gd_table_free(&table);
    free(text);
    free(expected);
}

/* ---- header and label --------------------------------------------------- */

static void test_csv__header_detected_when_a_field_is_text(void **state)
{
    (void)state;
    gd_table table;
    assert_int_equal(read_text("a, b ,c\n1,2,3\n4,5,6\n", NULL, &table, NULL), GD_OK);
    assert_int_equal(table.n_rows, 2);
    assert_non_null(table.column_names);
    assert_string_equal(table.column_names[1], "b");
    assert_true(table.y[0] == 3.0 && table.y[1] == 6.0);
    gd_table_free(&table);

    /* One text field among numbers is enough. */
    assert_int_equal(read_text("1,b,3\n1,2,3\n", NULL, &table, NULL), GD_OK);
    assert_int_equal(table.n_rows, 1);
    assert_string_equal(table.column_names[0], "1");
    gd_table_free(&table);
}

static void test_csv__no_header_when_the_first_row_is_numbers(void **state)
{
    (void)state;
    gd_table table;
    assert_int_equal(read_text("1,2,3\n4,5,6\n", NULL, &table, NULL), GD_OK);
    assert_int_equal(table.n_rows, 2);
    assert_null(table.column_names);
    const double x[] = {1, 2, 4, 5};
    assert_memory_equal(table.x, x, sizeof x);
    gd_table_free(&table);
}

static void test_csv__header_option_forces_either_way(void **state)
{
    (void)state;
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.header = 1;
    gd_table table;
    assert_int_equal(read_text("1,2\n3,4\n", &options, &table, NULL), GD_OK);
    assert_int_equal(table.n_rows, 1);
    assert_string_equal(table.column_names[1], "2");
    gd_table_free(&table);

    options.header = 0;
    gd_error_info error;
    assert_int_equal(read_text("a,b\n3,4\n", &options, &table, &error), GD_ERR_PARSE);
    assert_int_equal(error.line, 1);
    assert_int_equal(error.column, 1);

    options.header = 2;
    assert_int_equal(read_text("1,2\n", &options, &table, &error), GD_ERR_OPTION);
}

static void test_csv__label_by_name(void **state)
{
    (void)state;
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_name = "target";
    options.label_index = 0; /* the name wins */
    gd_table table;
    assert_int_equal(read_text("x1,target,x2\n1,2,3\n4,5,6\n", &options, &table, NULL), GD_OK);
    assert_int_equal(table.label_column, 1);
    assert_int_equal(table.n_features, 2);
    assert_int_equal(table.n_columns, 3);
    const double x[] = {1, 3, 4, 6};
    const double y[] = {2, 5};
    assert_memory_equal(table.x, x, sizeof x);
    assert_memory_equal(table.y, y, sizeof y);
    gd_table_free(&table);
}

static void test_csv__label_by_index_first_column(void **state)
{
    (void)state;
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_index = 0;
    gd_table table;
    assert_int_equal(read_text("7,1,2\n8,3,4\n", &options, &table, NULL), GD_OK);
    assert_int_equal(table.label_column, 0);
    const double x[] = {1, 2, 3, 4};
    const double y[] = {7, 8};
    assert_memory_equal(table.x, x, sizeof x);
    assert_memory_equal(table.y, y, sizeof y);
    gd_table_free(&table);
}

static void test_csv__label_none_makes_every_column_a_feature(void **state)
{
    (void)state;
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_index = GD_LABEL_NONE;
    gd_table table;
    assert_int_equal(read_text("a,b\n1,2\n3,4\n", &options, &table, NULL), GD_OK);
    assert_null(table.y);
    assert_int_equal(table.n_features, 2);
    assert_int_equal(table.label_column, SIZE_MAX);
    const double x[] = {1, 2, 3, 4};
    assert_memory_equal(table.x, x, sizeof x);
    gd_table_free(&table);
}

static void test_csv__bad_label_choice_is_an_option_error(void **state)
{
    (void)state;
    gd_csv_options options;
    gd_csv_options_init(&options);
    gd_table table;
    gd_error_info error;

    options.label_name = "missing";
    assert_int_equal(read_text("a,b\n1,2\n", &options, &table, &error), GD_ERR_OPTION);
    assert_non_null(strstr(error.message, "'missing'"));
    assert_true(is_all_zero(&table, sizeof table));
    /* A name needs a header. */
    assert_int_equal(read_text("1,2\n1,2\n", &options, &table, &error), GD_ERR_OPTION);

    options.label_name = NULL;
    options.label_index = 2;
    assert_int_equal(read_text("a,b\n1,2\n", &options, &table, &error), GD_ERR_OPTION);
    assert_non_null(strstr(error.message, "2 columns"));
    options.label_index = -7;
    assert_int_equal(read_text("1,2\n", &options, &table, &error), GD_ERR_OPTION);
}

/* ---- syntax accepted ---------------------------------------------------- */

static void test_csv__accepts_crlf_spaces_bom_and_trailing_blank_lines(void **state)
{
    (void)state;
    const double x[] = {1.5, -2, 3, 4};
    const double y[] = {10, 20};
    static const char *texts[] = {
        "a,b,c\r\n1.5,-2,10\r\n3,4,20\r\n",
        "a,b,c\n1.5,-2,10\n3,4,20",               /* no final newline */
        "a,b,c\r\n 1.5 ,\t-2\t, 10\r\n3 , 4,20 ", /* spaces and tabs */
        ("\xEF\xBB\xBF" "a,b,c\n1.5,-2,10\n3,4,20\n"), /* byte-order mark */
        "a,b,c\n1.5,-2,10\n3,4,20\n\n \r\n\n",    /* blank lines at the end */
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; ++t) {
        gd_table table;
        gd_error_info error;
        gd_status status = read_text(texts[t], NULL, &table, &error);
        if (status != GD_OK) {
            fail_msg("text %zu: %s (line %zu: %s)", t, gd_strerror(status), error.line,
                     error.message);
        }
        assert_int_equal(table.n_rows, 2);
        assert_memory_equal(table.x, x, sizeof x);
        assert_memory_equal(table.y, y, sizeof y);
        assert_string_equal(table.column_names[0], "a");
        gd_table_free(&table);
    }
}

/* ---- errors, with their position ---------------------------------------- */

static void expect_error(const char *text, gd_status status, size_t line, size_t column,
                         const char *in_message)
{
    gd_table table;
    memset(&table, 0xAB, sizeof table); /* must come back zeroed */
    gd_error_info error;
    gd_status got = read_text(text, NULL, &table, &error);
    if (got != status || error.line != line || error.column != column
        || strstr(error.message, in_message) == NULL) {
        fail_msg("input \"%s\": got %s at %zu:%zu \"%s\"; expected %s at %zu:%zu with \"%s\"",
                 text, gd_strerror(got), error.line, error.column, error.message,
                 gd_strerror(status), line, column, in_message);
    }
    assert_true(is_all_zero(&table, sizeof table));
    assert_null(strchr(error.message, '\n'));
}

static void test_csv__ragged_rows_name_expected_and_found(void **state)
{
    (void)state;
    expect_error("a,b,c\n1,2,3\n4,5\n", GD_ERR_PARSE, 3, 3, "expected 3 fields, found 2");
    expect_error("a,b,c\n1,2,3\n4,5,6,7,8\n", GD_ERR_PARSE, 3, 4, "expected 3 fields, found 5");
    expect_error("1,2\n3\n", GD_ERR_PARSE, 2, 2, "expected 2 fields, found 1");
}

static void test_csv__text_field_is_quoted_in_the_error(void **state)
{
    (void)state;
    expect_error("a,b\n1,2\n3,abc\n", GD_ERR_PARSE, 3, 2, "field 'abc' is not a number");
    expect_error("a,b\n1,2\n3,1.5.2\n", GD_ERR_PARSE, 3, 2, "'1.5.2'");
    expect_error("a,b\n1,2\n3,1e\n", GD_ERR_PARSE, 3, 2, "'1e'");
    expect_error("a,b\n1,,2\n", GD_ERR_PARSE, 2, 2, "empty field");
    expect_error("a,b\n\"1\",2\n", GD_ERR_PARSE, 2, 1, "'\"1\"'");
    /* A long field is cut, and the message stays one line. */
    char text[400] = "a,b\n1,";
    memset(text + strlen(text), 'x', 300);
    expect_error(text, GD_ERR_PARSE, 2, 2, "xxx...'");
}

static void test_csv__nan_inf_and_overflow_are_nonfinite(void **state)
{
    (void)state;
    expect_error("a,b\n1,nan\n", GD_ERR_NONFINITE, 2, 2, "'nan'");
    expect_error("a,b\n1,2\ninf,2\n", GD_ERR_NONFINITE, 3, 1, "'inf'");
    expect_error("a,b\n-Infinity,2\n", GD_ERR_NONFINITE, 2, 1, "not a finite number");
    expect_error("a,b\n1,NaN(0x7)\n", GD_ERR_NONFINITE, 2, 2, "NaN(0x7)");
    expect_error("a,b\n1,1e999\n", GD_ERR_NONFINITE, 2, 2, "'1e999'");
    expect_error("a,b\n1,-1.8e308\n", GD_ERR_NONFINITE, 2, 2, "'-1.8e308'");
    /* A first row of NaN is data, not a header. */
    expect_error("nan,1\n", GD_ERR_NONFINITE, 1, 1, "'nan'");
}

static void test_csv__empty_input_and_header_only(void **state)
{
    (void)state;
    expect_error("", GD_ERR_EMPTY, 0, 0, "empty");
    expect_error("\n \r\n\n", GD_ERR_EMPTY, 0, 0, "empty");
    expect_error("a,b,c\n", GD_ERR_EMPTY, 1, 0, "no data rows");
    expect_error("a,b,c\r\n\r\n", GD_ERR_EMPTY, 1, 0, "no data rows");
}

static void test_csv__blank_line_inside_data_is_an_error(void **state)
{
    (void)state;
    expect_error("a,b\n1,2\n\n3,4\n", GD_ERR_PARSE, 3, 0, "blank line");
    expect_error("\na,b\n1,2\n", GD_ERR_PARSE, 1, 0, "blank line");
}

static void test_csv__null_arguments_and_missing_file(void **state)
{
    (void)state;
    gd_table table;
    gd_error_info error;
    assert_int_equal(gd_csv_read(NULL, NULL, &table, &error), GD_ERR_NULL);
    assert_int_equal(gd_csv_read("x.csv", NULL, NULL, &error), GD_ERR_NULL);
    assert_int_equal(gd_csv_read_buffer(NULL, 3, NULL, &table, &error), GD_ERR_NULL);
    assert_int_equal(gd_csv_read("/nonexistent/dir/file.csv", NULL, &table, &error), GD_ERR_IO);
    assert_true(is_all_zero(&table, sizeof table));
    gd_csv_options options;
    memset(&options, 0, sizeof options); /* not initialised */
    assert_int_equal(read_text("1\n", &options, &table, &error), GD_ERR_OPTION);
    gd_table_free(NULL);
    gd_csv_options_init(NULL);
}

/* ---- files: chunk boundaries and long lines ----------------------------- */

/* A file read in chunks gives what the whole text in one buffer gives: lines
 * cut by a chunk boundary, and a line longer than a chunk, are read whole. */
static void test_csv__file_in_chunks_equals_buffer(void **state)
{
    (void)state;
    const size_t rows = 120000; /* ≈ 3.5 MB: several chunks */
    char *text = malloc(rows * 40 + 4000000);
    assert_non_null(text);
    size_t used = (size_t)sprintf(text, "u,v,w\n");
    uint64_t seed = 12345;
    for (size_t i = 0; i < rows; ++i) {
        used += (size_t)sprintf(text + used, "%.9g,%.3f,%u\r\n",
                                (double)(next_random(&seed) >> 11) * 1e-9,
                                (double)(next_random(&seed) % 100000) / 7.0,
                                (unsigned)(next_random(&seed) % 10));
    }
    const char *path = write_temp(text, used);
    gd_table from_file, from_buffer;
    gd_error_info error;
    assert_int_equal(gd_csv_read(path, NULL, &from_file, &error), GD_OK);
    assert_int_equal(gd_csv_read_buffer(text, used, NULL, &from_buffer, &error), GD_OK);
    assert_int_equal(from_file.n_rows, rows);
    assert_memory_equal(from_file.x, from_buffer.x, rows * 2 * sizeof(double));
    assert_memory_equal(from_file.y, from_buffer.y, rows * sizeof(double));
    gd_table_free(&from_file);
    gd_table_free(&from_buffer);
    assert_int_equal(remove(path), 0);

    /* One row of 1.5 M fields, longer than a chunk, without a final newline. */
    const size_t columns = 1500000;
    used = 0;
    for (size_t j = 0; j < columns; ++j) {
        text[used++] = (char)('0' + j % 10);
        text[used++] = ',';
    }
    text[used - 1] = '\n';
    for (size_t j = 0; j < columns; ++j) {
        text[used++] = '1';
        text[used++] = ',';
    }
    used -= 1;
    path = write_temp(text, used);
    assert_int_equal(gd_csv_read(path, NULL, &from_file, &error), GD_OK);
    assert_int_equal(from_file.n_rows, 2);
    assert_int_equal(from_file.n_features, columns - 1);
    assert_true(from_file.x[7] == 7.0 && from_file.x[columns - 1 + 7] == 1.0);
    assert_true(from_file.y[0] == (double)((columns - 1) % 10) && from_file.y[1] == 1.0);
    gd_table_free(&from_file);
    /* An error's line number counts lines across chunks. */
    text[used - 1] = 'z';
    assert_int_equal(remove(path), 0);
    path = write_temp(text, used);
    assert_int_equal(gd_csv_read(path, NULL, &from_file, &error), GD_ERR_PARSE);
    assert_int_equal(error.line, 2);
    assert_int_equal(error.column, columns);
    assert_int_equal(remove(path), 0);
    free(text);
}

/* ---- locale -------------------------------------------------------------- */

/* With a comma-decimal LC_NUMERIC, "1.5" still reads as 1.5 (on both the fast
 * path and strtod's). Skipped where no such locale is installed. */
static void test_csv__reads_c_numbers_under_a_comma_locale(void **state)
{
    (void)state;
    static const char *candidates[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                       "nl_NL.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "ru_RU.UTF-8",
                                       "pt_BR.UTF-8", "de_DE",      "fr_FR"};
    const char *found = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0] && found == NULL; ++i) {
        if (setlocale(LC_NUMERIC, candidates[i]) != NULL
            && strcmp(localeconv()->decimal_point, ",") == 0) {
            found = candidates[i];
        }
    }
    if (found == NULL) {
        setlocale(LC_NUMERIC, "C");
        print_message("no comma-decimal locale installed (tried de_DE.UTF-8 and others): "
                      "locale case skipped\n");
        skip();
        return;
    }
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.label_index = GD_LABEL_NONE;
    gd_table table;
    gd_error_info error;
    const char *text = "a,b,c\n1.5,0.1000000000000000000000001,0x1.8p1\n";
    gd_status status = read_text(text, &options, &table, &error);
    setlocale(LC_NUMERIC, "C");
    assert_int_equal(status, GD_OK);
    assert_true(table.x[0] == 1.5);
    assert_true(same_bits(table.x[1], 0.1));
    assert_true(table.x[2] == 3.0);
    gd_table_free(&table);
}

/* ---- allocation failures ------------------------------------------------- */

static void check_every_allocation_failure(const char *path, const char *text, size_t size)
{
    counting count = {0, SIZE_MAX, 0};
    gd_allocator allocator = {counting_alloc, counting_free, &count};
    gd_csv_options options;
    gd_csv_options_init(&options);
    options.allocator = &allocator;
    gd_table table;
    gd_error_info error;
    gd_status status = path != NULL ? gd_csv_read(path, &options, &table, &error)
                                    : gd_csv_read_buffer(text, size, &options, &table, &error);
    assert_int_equal(status, GD_OK);
    const size_t needed = count.calls;
    assert_true(needed >= 3);
    gd_table_free(&table);
    assert_int_equal(count.live, 0);
    for (size_t k = 0; k < needed; ++k) {
        count.calls = 0;
        count.fail_at = k;
        status = path != NULL ? gd_csv_read(path, &options, &table, &error)
                              : gd_csv_read_buffer(text, size, &options, &table, &error);
        if (status != GD_ERR_NOMEM) {
            fail_msg("failing allocation %zu of %zu gave %s", k, needed, gd_strerror(status));
        }
        assert_int_equal(count.live, 0);
        assert_true(is_all_zero(&table, sizeof table));
    }
}

static void test_csv__every_allocation_failure_is_nomem_without_leaks(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GDLEARN_TEST_DATA_DIR, "diabetes.csv");
    check_every_allocation_failure(path, NULL, 0);

    /* Enough rows that both arrays grow several times from a buffer, and that
     * a file spans more than one chunk (the arrays are then sized from it). */
    const size_t rows = 80000;
    char *text = malloc(rows * 64 + 16);
    assert_non_null(text);
    size_t used = (size_t)sprintf(text, "p,q,r\n");
    for (size_t i = 0; i < rows; ++i) {
        used += (size_t)sprintf(text + used, "%zu.0000000000000001,%zu.25000000000,%zu\n", i,
                                i % 7, i % 3);
    }
    assert_true(used > ((size_t)5 << 19)); /* 2.5 chunks */
    check_every_allocation_failure(NULL, text, used);
    const char *temp = write_temp(text, used);
    check_every_allocation_failure(temp, NULL, 0);
    assert_int_equal(remove(temp), 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv__iris_matches_independent_loader),
        cmocka_unit_test(test_csv__diabetes_matches_independent_loader),
        cmocka_unit_test(test_csv__numbers_equal_strtod_bit_for_bit),
        cmocka_unit_test(test_csv__header_detected_when_a_field_is_text),
        cmocka_unit_test(test_csv__no_header_when_the_first_row_is_numbers),
        cmocka_unit_test(test_csv__header_option_forces_either_way),
        cmocka_unit_test(test_csv__label_by_name),
        cmocka_unit_test(test_csv__label_by_index_first_column),
        cmocka_unit_test(test_csv__label_none_makes_every_column_a_feature),
        cmocka_unit_test(test_csv__bad_label_choice_is_an_option_error),
        cmocka_unit_test(test_csv__accepts_crlf_spaces_bom_and_trailing_blank_lines),
        cmocka_unit_test(test_csv__ragged_rows_name_expected_and_found),
        cmocka_unit_test(test_csv__text_field_is_quoted_in_the_error),
        cmocka_unit_test(test_csv__nan_inf_and_overflow_are_nonfinite),
        cmocka_unit_test(test_csv__empty_input_and_header_only),
        cmocka_unit_test(test_csv__blank_line_inside_data_is_an_error),
        cmocka_unit_test(test_csv__null_arguments_and_missing_file),
        cmocka_unit_test(test_csv__file_in_chunks_equals_buffer),
        cmocka_unit_test(test_csv__reads_c_numbers_under_a_comma_locale),
        cmocka_unit_test(test_csv__every_allocation_failure_is_nomem_without_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
