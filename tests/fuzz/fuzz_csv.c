/* libFuzzer harness for the CSV reader (gd_csv_read_buffer).
 *
 * The first byte picks the options (header detect/yes/no; label last, by
 * index, by name or none; the allocator; whether an error report is asked
 * for); the rest is the CSV text. On success the table is checked against
 * invariants that follow from the documented syntax (row and column counts
 * recounted independently, every value finite, label shape); on failure the
 * status must be a documented one, the table zeroed and the error report a
 * NUL-terminated message. A counting allocator checks that nothing leaks and
 * that the table frees through the allocator that made it.
 *
 * Build: see tests/fuzz/CMakeLists.txt; run: .ci/fuzz. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdlearn/gdlearn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fail loudly: libFuzzer records the input as a crash. */
#define CHECK(condition)                                                                  \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "fuzz_csv: check failed at line %d: %s\n", __LINE__, #condition); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* A malloc/free allocator that counts live blocks. */
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

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* An independent count of what the reader should see: lines, non-blank lines,
 * and the fields of the first non-blank line. */
typedef struct shape {
    size_t lines;
    size_t nonblank;
    size_t first_fields;
} shape;

static shape count_shape(const uint8_t *text, size_t size)
{
    shape s = {0, 0, 0};
    size_t start = 0;
    while (start < size) {
        size_t stop = start;
        while (stop < size && text[stop] != '\n') {
            ++stop;
        }
        s.lines += 1;
        size_t p = start;
        if (s.lines == 1 && stop - start >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
        }
        size_t first = p;
        while (p < stop && is_blank(text[p])) {
            ++p;
        }
        if (p < stop) {
            if (s.nonblank == 0) {
                s.first_fields = 1;
                for (size_t q = first; q < stop; ++q) {
                    s.first_fields += text[q] == ',';
                }
            }
            s.nonblank += 1;
        }
        start = stop + 1;
    }
    return s;
}

static const char *const label_names[] = {"y", "label", "", "a"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const uint8_t selector = data[0];
    const char *text = (const char *)data + 1;
    const size_t text_size = size - 1;

    counting counter = {0};
    const gd_allocator allocator = {counting_alloc, counting_free, &counter};

    gd_csv_options options;
    gd_csv_options_init(&options);
    static const int headers[] = {-1, 0, 1, -1};
    options.header = headers[selector & 3];
    const int label_mode = (selector >> 2) & 3; /* 0 last, 1 index, 2 name, 3 none */
    const int label_choice = (selector >> 4) & 3;
    if (label_mode == 0) {
        options.label_index = GD_LABEL_LAST;
    } else if (label_mode == 1) {
        options.label_index = label_choice == 3 ? 7 : (long)label_choice;
    } else if (label_mode == 2) {
        options.label_name = label_names[label_choice];
    } else {
        options.label_index = GD_LABEL_NONE;
    }
    const int use_allocator = (selector >> 6) & 1;
    const int want_error = !((selector >> 7) & 1);
    if (use_allocator) {
        options.allocator = &allocator;
    }

    gd_table table;
    gd_error_info error;
    memset(&error, 0x5a, sizeof error); /* must be overwritten */
    gd_status status = gd_csv_read_buffer(text_size > 0 ? text : NULL, text_size, &options,
                                          &table, want_error ? &error : NULL);
    const shape expected = count_shape(data + 1, text_size);

    if (status != GD_OK) {
        CHECK(status == GD_ERR_PARSE || status == GD_ERR_NONFINITE || status == GD_ERR_EMPTY
              || status == GD_ERR_OPTION || status == GD_ERR_NOMEM
              || status == GD_ERR_OVERFLOW);
        static const gd_table zero_table;
        CHECK(memcmp(&table, &zero_table, sizeof table) == 0);
        CHECK(counter.live == 0);
        if (want_error) {
            CHECK(memchr(error.message, '\0', sizeof error.message) != NULL);
            CHECK(error.message[0] != '\0');
            CHECK(error.line <= expected.lines + 1);
        }
        if (status == GD_ERR_EMPTY) {
            CHECK(expected.nonblank <= 1);
        }
        return 0;
    }

    /* Shape. */
    CHECK(table.n_rows >= 1);
    CHECK(table.n_columns == expected.first_fields);
    CHECK(table.allocator == options.allocator);
    const int has_header = table.column_names != NULL;
    CHECK(options.header != 0 || !has_header);
    CHECK(options.header != 1 || has_header);
    CHECK(table.n_rows + (size_t)has_header == expected.nonblank);
    if (table.label_column == SIZE_MAX) {
        CHECK(label_mode == 3);
        CHECK(table.y == NULL);
        CHECK(table.n_features == table.n_columns);
    } else {
        CHECK(label_mode != 3);
        CHECK(table.label_column < table.n_columns);
        CHECK(table.y != NULL);
        CHECK(table.n_features + 1 == table.n_columns);
        if (label_mode == 0) {
            CHECK(table.label_column == table.n_columns - 1);
        } else if (label_mode == 1) {
            CHECK((long)table.label_column == options.label_index);
        } else {
            CHECK(has_header);
            CHECK(strcmp(table.column_names[table.label_column], options.label_name) == 0);
        }
    }
    CHECK((table.x == NULL) == (table.n_features == 0));

    /* Values: every one finite (touching them all also lets ASan check the sizes). */
    for (size_t i = 0; i < table.n_rows * table.n_features; ++i) {
        CHECK(isfinite(table.x[i]));
    }
    for (size_t i = 0; table.y != NULL && i < table.n_rows; ++i) {
        CHECK(isfinite(table.y[i]));
    }
    /* Names: trimmed, comma-free strings (a NUL byte in the text ends a name
     * early, so the end is checked only for NUL-free text). */
    const int text_has_nul = text_size > 0 && memchr(text, '\0', text_size) != NULL;
    for (size_t j = 0; has_header && j < table.n_columns; ++j) {
        const char *name = table.column_names[j];
        size_t length = strlen(name);
        CHECK(memchr(name, ',', length) == NULL);
        CHECK(length == 0 || !is_blank((uint8_t)name[0]));
        CHECK(length == 0 || text_has_nul || !is_blank((uint8_t)name[length - 1]));
    }
    if (want_error) {
        CHECK(error.line == 0 && error.column == 0 && error.message[0] == '\0');
    }

    gd_table_free(&table);
    static const gd_table zero_table;
    CHECK(memcmp(&table, &zero_table, sizeof table) == 0);
    CHECK(counter.live == 0);
    return 0;
}
