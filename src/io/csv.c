/* The CSV reader. Text is parsed line by line straight into two growing
 * arrays (features, labels) with amortised doubling: no allocation per field
 * or per row. A file is read in chunks, so its text is never held whole.
 * The accepted syntax is documented at gd_csv_read() in gdlearn.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "io/io_internal.h"

/* Bytes read from a file at a time (a line longer than this grows the buffer). */
#define CSV_CHUNK_BYTES ((size_t)1 << 20)
/* Capacity of the growing arrays at their first allocation, in doubles. */
#define CSV_FIRST_CAPACITY ((size_t)1024)
/* Characters of a bad field quoted in an error message. */
#define CSV_QUOTE_CHARS ((size_t)40)

void gd_csv_options_init(gd_csv_options *options)
{
    if (options == NULL) {
        return;
    }
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->label_index = GD_LABEL_LAST;
    options->label_name = NULL;
    options->header = -1;
    options->allocator = NULL;
}

/* A growing array of doubles. */
typedef struct csv_array {
    double *values;
    size_t length;
    size_t capacity;
} csv_array;

typedef struct csv_parser {
    gd_csv_options options;
    char decimal_point[GDI_DECIMAL_POINT_CHARS];
    gd_error_info *error;
    size_t line;            /* 1-based number of the line being parsed */
    size_t blank_line;      /* first blank line not yet followed by data, or 0 */
    int seen_first_row;     /* the first non-blank line has been handled */
    int has_header;
    size_t header_line;
    size_t n_columns;
    size_t label_column;    /* SIZE_MAX: none */
    char **column_names;    /* one block: n_columns pointers, then the names */
    csv_array x;
    csv_array y;
    size_t n_rows;
} csv_parser;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **begin, const char **end)
{
    while (*begin < *end && is_blank(**begin)) {
        ++*begin;
    }
    while (*end > *begin && is_blank((*end)[-1])) {
        --*end;
    }
}

static const char *field_end(const char *p, const char *end)
{
    const char *comma = memchr(p, ',', (size_t)(end - p));
    return comma != NULL ? comma : end;
}

static size_t count_fields(const char *begin, const char *end)
{
    size_t fields = 1;
    for (const char *p = begin; (p = memchr(p, ',', (size_t)(end - p))) != NULL; ++p) {
        ++fields;
    }
    return fields;
}

/* Set the capacity (≥ length) through the caller's allocator, which has no
 * realloc: a new block, a copy, the old block freed. */
static gd_status array_resize(csv_parser *parser, csv_array *array, size_t capacity)
{
    size_t bytes;
    if (!gdi_mul_size(capacity, sizeof(double), &bytes)) {
        return GD_ERR_OVERFLOW;
    }
    double *grown = gdi_alloc(parser->options.allocator, bytes);
    if (grown == NULL) {
        return GD_ERR_NOMEM;
    }
    if (array->length > 0) {
        memcpy(grown, array->values, array->length * sizeof(double));
    }
    gdi_free(parser->options.allocator, array->values);
    array->values = grown;
    array->capacity = capacity;
    return GD_OK;
}

/* Make room for `more` values, doubling: amortised O(1) per value. */
static gd_status array_reserve(csv_parser *parser, csv_array *array, size_t more)
{
    size_t needed;
    if (!gdi_add_size(array->length, more, &needed)) {
        return GD_ERR_OVERFLOW;
    }
    if (needed <= array->capacity) {
        return GD_OK;
    }
    size_t capacity = array->capacity == 0 ? CSV_FIRST_CAPACITY : array->capacity;
    while (capacity < needed) {
        if (!gdi_mul_size(capacity, 2, &capacity)) {
            return GD_ERR_OVERFLOW;
        }
    }
    return array_resize(parser, array, capacity);
}

static gd_status report_not_number(csv_parser *parser, gdi_number kind, const char *begin,
                                   const char *end, size_t column)
{
    char quoted[CSV_QUOTE_CHARS + 8];
    if (begin == end) {
        gdi_set_error(parser->error, parser->line, column, "empty field");
        return GD_ERR_PARSE;
    }
    gdi_quote_field(begin, end, CSV_QUOTE_CHARS, quoted);
    if (kind == GDI_NUMBER_NONFINITE) {
        gdi_set_error(parser->error, parser->line, column,
                      "field '%s' is not a finite number", quoted);
        return GD_ERR_NONFINITE;
    }
    gdi_set_error(parser->error, parser->line, column, "field '%s' is not a number", quoted);
    return GD_ERR_PARSE;
}

static gd_status report_ragged(csv_parser *parser, size_t found)
{
    gdi_set_error(parser->error, parser->line,
                  found < parser->n_columns ? found + 1 : parser->n_columns + 1,
                  "expected %zu fields, found %zu", parser->n_columns, found);
    return GD_ERR_PARSE;
}

static gd_status parse_data_row(csv_parser *parser, const char *begin, const char *end)
{
    const size_t n_columns = parser->n_columns;
    const size_t label = parser->label_column;
    const size_t n_features = label == SIZE_MAX ? n_columns : n_columns - 1;
    gd_status status = array_reserve(parser, &parser->x, n_features);
    if (status == GD_OK && label != SIZE_MAX) {
        status = array_reserve(parser, &parser->y, 1);
    }
    if (status != GD_OK) {
        gdi_set_error(parser->error, parser->line, 0,
                      status == GD_ERR_NOMEM ? "out of memory" : "too many values");
        return status;
    }
    double *features = n_features > 0 ? parser->x.values + parser->x.length : NULL;
    const char *p = begin;
    for (size_t column = 0;; ++column) {
        const char *stop = field_end(p, end);
        if (column == n_columns) {
            return report_ragged(parser, column + count_fields(p, end));
        }
        const char *field = p;
        const char *field_stop = stop;
        trim(&field, &field_stop);
        double value;
        gdi_number kind = gdi_parse_double(field, field_stop, parser->decimal_point, &value);
        if (kind != GDI_NUMBER_OK) {
            return report_not_number(parser, kind, field, field_stop, column + 1);
        }
        if (column == label) {
            parser->y.values[parser->y.length] = value;
        } else {
            *features++ = value;
        }
        if (stop == end) {
            if (column + 1 != n_columns) {
                return report_ragged(parser, column + 1);
            }
            break;
        }
        p = stop + 1;
    }
    parser->x.length += n_features;
    if (label != SIZE_MAX) {
        parser->y.length += 1;
    }
    parser->n_rows += 1;
    return GD_OK;
}

/* The first row is a header if any of its fields is neither empty nor a number
 * (NaN and Inf count as numbers here: such a row is data, rejected as such). */
static int looks_like_header(const csv_parser *parser, const char *begin, const char *end)
{
    for (const char *p = begin;;) {
        const char *stop = field_end(p, end);
        const char *field = p;
        const char *field_stop = stop;
        trim(&field, &field_stop);
        double value;
        if (field < field_stop
            && gdi_parse_double(field, field_stop, parser->decimal_point, &value)
                   == GDI_NUMBER_INVALID) {
            return 1;
        }
        if (stop == end) {
            return 0;
        }
        p = stop + 1;
    }
}

/* The names go in one block: the pointer array, then every name NUL-terminated. */
static gd_status store_names(csv_parser *parser, const char *begin, const char *end)
{
    size_t bytes, text_bytes = (size_t)(end - begin) + 1; /* the commas become NULs */
    if (!gdi_mul_size(parser->n_columns, sizeof(char *), &bytes)
        || !gdi_add_size(bytes, text_bytes, &bytes)) {
        gdi_set_error(parser->error, parser->line, 0, "header row too long");
        return GD_ERR_OVERFLOW;
    }
    char **names = gdi_alloc(parser->options.allocator, bytes);
    if (names == NULL) {
        gdi_set_error(parser->error, parser->line, 0, "out of memory");
        return GD_ERR_NOMEM;
    }
    char *text = (char *)(names + parser->n_columns);
    const char *p = begin;
    for (size_t column = 0; column < parser->n_columns; ++column) {
        const char *stop = field_end(p, end);
        const char *name = p;
        const char *name_stop = stop;
        trim(&name, &name_stop);
        size_t length = (size_t)(name_stop - name);
        memcpy(text, name, length);
        text[length] = '\0';
        names[column] = text;
        text += length + 1;
        p = stop + 1;
    }
    parser->column_names = names;
    return GD_OK;
}

static gd_status resolve_label(csv_parser *parser)
{
    const gd_csv_options *options = &parser->options;
    const size_t line = parser->has_header ? parser->header_line : 0;
    if (options->label_name != NULL) {
        char quoted[CSV_QUOTE_CHARS + 8];
        const char *name = options->label_name;
        gdi_quote_field(name, name + strlen(name), CSV_QUOTE_CHARS, quoted);
        if (!parser->has_header) {
            gdi_set_error(parser->error, parser->line, 0,
                          "label column '%s' is given by name, but the file has no header row",
                          quoted);
            return GD_ERR_OPTION;
        }
        for (size_t column = 0; column < parser->n_columns; ++column) {
            if (strcmp(parser->column_names[column], name) == 0) {
                parser->label_column = column;
                return GD_OK;
            }
        }
        gdi_set_error(parser->error, line, 0, "no column named '%s' in the header", quoted);
        return GD_ERR_OPTION;
    }
    long index = options->label_index;
    if (index == GD_LABEL_NONE) {
        parser->label_column = SIZE_MAX;
    } else if (index == GD_LABEL_LAST) {
        parser->label_column = parser->n_columns - 1;
    } else if (index >= 0 && (unsigned long)index < parser->n_columns) {
        parser->label_column = (size_t)index;
    } else {
        gdi_set_error(parser->error, line, 0,
                      "label column %ld is out of range (the file has %zu columns)", index,
                      parser->n_columns);
        return GD_ERR_OPTION;
    }
    return GD_OK;
}

static gd_status parse_first_row(csv_parser *parser, const char *begin, const char *end)
{
    parser->seen_first_row = 1;
    parser->n_columns = count_fields(begin, end);
    if (parser->options.header == 1
        || (parser->options.header == -1 && looks_like_header(parser, begin, end))) {
        parser->has_header = 1;
        parser->header_line = parser->line;
        gd_status status = store_names(parser, begin, end);
        if (status != GD_OK) {
            return status;
        }
        return resolve_label(parser);
    }
    gd_status status = resolve_label(parser);
    if (status != GD_OK) {
        return status;
    }
    return parse_data_row(parser, begin, end);
}

static gd_status parse_line(csv_parser *parser, const char *begin, const char *end)
{
    if (parser->line == 1 && end - begin >= 3 && memcmp(begin, "\xEF\xBB\xBF", 3) == 0) {
        begin += 3; /* a UTF-8 byte-order mark, as spreadsheets write */
    }
    const char *p = begin;
    while (p < end && is_blank(*p)) {
        ++p;
    }
    if (p == end) {
        if (parser->blank_line == 0) {
            parser->blank_line = parser->line;
        }
        return GD_OK;
    }
    if (parser->blank_line != 0) {
        gdi_set_error(parser->error, parser->blank_line, 0,
                      "blank line before more data (blank lines are allowed only at the end)");
        return GD_ERR_PARSE;
    }
    if (!parser->seen_first_row) {
        return parse_first_row(parser, begin, end);
    }
    return parse_data_row(parser, begin, end);
}

/* Parse every complete line of [text, text + size); with `final`, also a last
 * line without a newline. Returns the bytes consumed through *used. */
static gd_status parse_lines(csv_parser *parser, const char *text, size_t size, int final,
                             size_t *used)
{
    const char *p = text;
    const char *end = text + size;
    while (p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        if (newline == NULL && !final) {
            break;
        }
        const char *line_end = newline != NULL ? newline : end;
        parser->line += 1;
        gd_status status = parse_line(parser, p, line_end);
        p = newline != NULL ? newline + 1 : end;
        if (status != GD_OK) {
            *used = (size_t)(p - text);
            return status;
        }
    }
    *used = (size_t)(p - text);
    return GD_OK;
}

static gd_status parser_start(csv_parser *parser, const gd_csv_options *options,
                              gd_table *table, gd_error_info *error)
{
    memset(parser, 0, sizeof *parser);
    parser->error = error;
    gd_csv_options_init(&parser->options);
    parser->label_column = SIZE_MAX;
    gdi_locale_decimal_point(parser->decimal_point);
    if (error != NULL) {
        memset(error, 0, sizeof *error);
    }
    if (table != NULL) {
        memset(table, 0, sizeof *table);
    }
    if (options != NULL) {
        /* An older caller's shorter struct keeps the defaults of the fields it lacks. */
        if (options->struct_size < offsetof(gd_csv_options, label_index) + sizeof(long)
            || options->struct_size > sizeof parser->options) {
            gdi_set_error(error, 0, 0, "CSV options not initialised by gd_csv_options_init");
            return GD_ERR_OPTION;
        }
        memcpy(&parser->options, options, options->struct_size);
        parser->options.struct_size = sizeof parser->options;
    }
    if (parser->options.header < -1 || parser->options.header > 1) {
        gdi_set_error(error, 0, 0, "header option must be -1, 0 or 1");
        return GD_ERR_OPTION;
    }
    if (!gdi_allocator_ok(parser->options.allocator)) {
        gdi_set_error(error, 0, 0, "the allocator must set both alloc and free, or neither");
        return GD_ERR_OPTION;
    }
    return GD_OK;
}

static void parser_release(csv_parser *parser)
{
    const gd_allocator *allocator = parser->options.allocator;
    gdi_free(allocator, parser->x.values);
    gdi_free(allocator, parser->y.values);
    gdi_free(allocator, parser->column_names);
    parser->x.values = NULL;
    parser->y.values = NULL;
    parser->column_names = NULL;
}

/* Hand the arrays over to the table, or report an input with no data. */
static gd_status parser_finish(csv_parser *parser, gd_table *table)
{
    if (!parser->seen_first_row) {
        gdi_set_error(parser->error, 0, 0, "the input is empty");
        return GD_ERR_EMPTY;
    }
    if (parser->n_rows == 0) {
        gdi_set_error(parser->error, parser->header_line, 0,
                      "no data rows after the header");
        return GD_ERR_EMPTY;
    }
    const size_t label = parser->label_column;
    table->x = parser->x.values;
    table->y = label == SIZE_MAX ? NULL : parser->y.values;
    table->n_rows = parser->n_rows;
    table->n_columns = parser->n_columns;
    table->n_features = label == SIZE_MAX ? parser->n_columns : parser->n_columns - 1;
    table->label_column = label;
    table->column_names = parser->column_names;
    table->allocator = parser->options.allocator;
    parser->x.values = NULL;
    parser->y.values = NULL;
    parser->column_names = NULL;
    return GD_OK;
}

gd_status gd_csv_read_buffer(const char *text, size_t size, const gd_csv_options *options,
                             gd_table *table, gd_error_info *error)
{
    csv_parser parser;
    gd_status status = parser_start(&parser, options, table, error);
    if (status != GD_OK) {
        return status;
    }
    if (table == NULL || (text == NULL && size > 0)) {
        gdi_set_error(error, 0, 0, "a required pointer argument is NULL");
        return GD_ERR_NULL;
    }
    size_t used = 0;
    if (size > 0) {
        status = parse_lines(&parser, text, size, 1, &used);
    }
    if (status == GD_OK) {
        status = parser_finish(&parser, table);
    }
    parser_release(&parser);
    return status;
}

/* Once the first chunk is parsed, size the arrays for the whole file from its
 * bytes per row: one allocation instead of a dozen doublings, each of which
 * would copy everything read so far into freshly faulted pages. An estimate
 * that falls short is made good by doubling. */
static gd_status presize_arrays(csv_parser *parser, double file_bytes, double parsed_bytes)
{
    if (parser->n_rows == 0 || !(parsed_bytes > 0.0) || file_bytes <= parsed_bytes) {
        return GD_OK;
    }
    double rows = (double)parser->n_rows * (file_bytes / parsed_bytes) * 1.02 + 16.0;
    double values = rows * (double)parser->n_columns;
    if (!(values < (double)(SIZE_MAX / 16))) {
        return GD_OK; /* absurd: let doubling report the overflow if it is real */
    }
    const size_t n_features = parser->label_column == SIZE_MAX ? parser->n_columns
                                                               : parser->n_columns - 1;
    size_t row_capacity = (size_t)rows;
    gd_status status = GD_OK;
    if (n_features > 0 && row_capacity * n_features > parser->x.capacity) {
        status = array_resize(parser, &parser->x, row_capacity * n_features);
    }
    if (status == GD_OK && parser->label_column != SIZE_MAX
        && row_capacity > parser->y.capacity) {
        status = array_resize(parser, &parser->y, row_capacity);
    }
    if (status != GD_OK) {
        gdi_set_error(parser->error, parser->line, 0, "out of memory");
    }
    return status;
}

/* Bytes in a seekable file (-1 if unknown); the position is left at the start. */
static double stream_bytes(FILE *stream)
{
    double bytes = -1.0;
    if (fseek(stream, 0, SEEK_END) == 0) {
        long end = ftell(stream);
        bytes = end >= 0 ? (double)end : -1.0;
    }
    if (fseek(stream, 0, SEEK_SET) != 0) {
        return -1.0;
    }
    return bytes;
}

/* Read the file a chunk at a time; a partial last line moves to the front of
 * the buffer and waits for the rest. */
static gd_status read_stream(csv_parser *parser, FILE *stream)
{
    const double file_bytes = stream_bytes(stream);
    double parsed_bytes = 0.0;
    int presized = 0;
    const gd_allocator *allocator = parser->options.allocator;
    size_t capacity = CSV_CHUNK_BYTES;
    char *buffer = gdi_alloc(allocator, capacity);
    if (buffer == NULL) {
        gdi_set_error(parser->error, 0, 0, "out of memory");
        return GD_ERR_NOMEM;
    }
    size_t held = 0;
    gd_status status = GD_OK;
    for (;;) {
        if (held == capacity) { /* one line fills the buffer: grow it */
            size_t grown_capacity;
            if (!gdi_mul_size(capacity, 2, &grown_capacity)) {
                gdi_set_error(parser->error, parser->line + 1, 0, "line too long");
                status = GD_ERR_OVERFLOW;
                break;
            }
            char *grown = gdi_alloc(allocator, grown_capacity);
            if (grown == NULL) {
                gdi_set_error(parser->error, parser->line + 1, 0, "out of memory");
                status = GD_ERR_NOMEM;
                break;
            }
            memcpy(grown, buffer, held);
            gdi_free(allocator, buffer);
            buffer = grown;
            capacity = grown_capacity;
        }
        size_t got = fread(buffer + held, 1, capacity - held, stream);
        held += got;
        if (got == 0) {
            if (ferror(stream)) {
                gdi_set_error(parser->error, 0, 0, "read error");
                status = GD_ERR_IO;
                break;
            }
            size_t used;
            status = parse_lines(parser, buffer, held, 1, &used);
            break;
        }
        size_t used;
        status = parse_lines(parser, buffer, held, 0, &used);
        parsed_bytes += (double)used;
        if (status == GD_OK && !presized && parser->n_rows > 0 && file_bytes > 0.0) {
            presized = 1;
            status = presize_arrays(parser, file_bytes, parsed_bytes);
        }
        if (status != GD_OK) {
            break;
        }
        memmove(buffer, buffer + used, held - used);
        held -= used;
    }
    gdi_free(allocator, buffer);
    return status;
}

gd_status gd_csv_read(const char *path, const gd_csv_options *options, gd_table *table,
                      gd_error_info *error)
{
    csv_parser parser;
    gd_status status = parser_start(&parser, options, table, error);
    if (status != GD_OK) {
        return status;
    }
    if (path == NULL || table == NULL) {
        gdi_set_error(error, 0, 0, "a required pointer argument is NULL");
        return GD_ERR_NULL;
    }
    FILE *stream = fopen(path, "rb");
    if (stream == NULL) {
        gdi_set_error(error, 0, 0, "cannot open the file");
        return GD_ERR_IO;
    }
    status = read_stream(&parser, stream);
    fclose(stream);
    if (status == GD_OK) {
        status = parser_finish(&parser, table);
    }
    parser_release(&parser);
    return status;
}

void gd_table_free(gd_table *table)
{
    if (table == NULL) {
        return;
    }
    gdi_free(table->allocator, table->x);
    gdi_free(table->allocator, table->y);
    gdi_free(table->allocator, table->column_names);
    memset(table, 0, sizeof *table);
}
