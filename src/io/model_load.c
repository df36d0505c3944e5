/* Loading a model file (docs/model-format.md): every line is checked in a
 * fixed order, sizes against the kind and the file's length, and the model is
 * rebuilt by its constructor. Any failure frees everything and zeroes the output. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "io/io_internal.h"

/* First read of a file: enough for the magic and a small model. */
#define MODEL_FIRST_READ ((size_t)4096)
#define MODEL_QUOTE_CHARS ((size_t)40)

typedef struct model_reader {
    const char *next;  /* start of the next line */
    const char *end;   /* end of the text */
    size_t line;       /* 1-based number of the current line */
    const char *line_begin;
    const char *line_end;
    const char *cursor; /* within the current line */
    size_t field;       /* 1-based field of the last token read */
    char decimal_point[GDI_DECIMAL_POINT_CHARS];
    gd_error_info *error;
} model_reader;

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Advance to the next line (a final '\r' is dropped: CRLF files load too). */
static int next_line(model_reader *reader)
{
    if (reader->next >= reader->end) {
        return 0;
    }
    const char *begin = reader->next;
    const char *newline = memchr(begin, '\n', (size_t)(reader->end - begin));
    const char *stop = newline != NULL ? newline : reader->end;
    reader->next = newline != NULL ? newline + 1 : reader->end;
    if (stop > begin && stop[-1] == '\r') {
        --stop;
    }
    reader->line += 1;
    reader->line_begin = begin;
    reader->line_end = stop;
    reader->cursor = begin;
    reader->field = 0;
    return 1;
}

/* The next space-separated token of the current line; 0 at its end. */
static int next_token(model_reader *reader, const char **begin, const char **end)
{
    const char *p = reader->cursor;
    while (p < reader->line_end && is_space(*p)) {
        ++p;
    }
    if (p == reader->line_end) {
        reader->cursor = p;
        return 0;
    }
    *begin = p;
    while (p < reader->line_end && !is_space(*p)) {
        ++p;
    }
    *end = p;
    reader->cursor = p;
    reader->field += 1;
    return 1;
}

static int token_is(const char *begin, const char *end, const char *word)
{
    size_t length = strlen(word);
    return (size_t)(end - begin) == length && memcmp(begin, word, length) == 0;
}

static gd_status format_error(model_reader *reader, const char *what)
{
    gdi_set_error(reader->error, reader->line, reader->field, "%s", what);
    return GD_ERR_FORMAT;
}

/* Start the line that must hold `key`. */
static gd_status expect_key(model_reader *reader, const char *key)
{
    if (!next_line(reader)) {
        gdi_set_error(reader->error, reader->line + 1, 0, "truncated file: '%s' line missing",
                      key);
        return GD_ERR_FORMAT;
    }
    const char *begin = NULL, *end = NULL;
    if (!next_token(reader, &begin, &end) || !token_is(begin, end, key)) {
        char quoted[MODEL_QUOTE_CHARS + 8];
        gdi_quote_field(reader->line_begin, reader->line_end, MODEL_QUOTE_CHARS, quoted);
        gdi_set_error(reader->error, reader->line, 1, "expected a '%s' line, found '%s'", key,
                      quoted);
        return GD_ERR_FORMAT;
    }
    return GD_OK;
}

/* No more tokens on the current line. */
static gd_status expect_line_end(model_reader *reader)
{
    const char *begin = NULL, *end = NULL;
    if (next_token(reader, &begin, &end)) {
        char quoted[MODEL_QUOTE_CHARS + 8];
        gdi_quote_field(begin, end, MODEL_QUOTE_CHARS, quoted);
        gdi_set_error(reader->error, reader->line, reader->field, "unexpected '%s' at line end",
                      quoted);
        return GD_ERR_FORMAT;
    }
    return GD_OK;
}

static gd_status read_size_token(model_reader *reader, const char *begin, const char *end,
                                 size_t *out)
{
    size_t value = 0;
    if (begin == end) {
        return format_error(reader, "missing number");
    }
    for (const char *p = begin; p < end; ++p) {
        if (*p < '0' || *p > '9' || !gdi_mul_size(value, 10, &value)
            || !gdi_add_size(value, (size_t)(*p - '0'), &value)) {
            return format_error(reader, "not a valid size");
        }
    }
    *out = value;
    return GD_OK;
}

/* A "key N" line. */
static gd_status read_size_line(model_reader *reader, const char *key, size_t *out)
{
    gd_status status = expect_key(reader, key);
    const char *begin = NULL, *end = NULL;
    if (status == GD_OK && !next_token(reader, &begin, &end)) {
        return format_error(reader, "missing number");
    }
    if (status == GD_OK) {
        status = read_size_token(reader, begin, end, out);
    }
    return status == GD_OK ? expect_line_end(reader) : status;
}

/* Exactly n numbers to the end of the current line. */
static gd_status read_values(model_reader *reader, const char *what, double *out, size_t n)
{
    const char *begin = NULL, *end = NULL;
    size_t found = 0;
    while (next_token(reader, &begin, &end)) {
        double value = 0.0;
        gdi_number kind = gdi_parse_double(begin, end, reader->decimal_point, &value);
        if (kind != GDI_NUMBER_OK) {
            char quoted[MODEL_QUOTE_CHARS + 8];
            gdi_quote_field(begin, end, MODEL_QUOTE_CHARS, quoted);
            gdi_set_error(reader->error, reader->line, reader->field,
                          kind == GDI_NUMBER_NONFINITE ? "%s: '%s' is not a finite number"
                                                       : "%s: '%s' is not a number",
                          what, quoted);
            return kind == GDI_NUMBER_NONFINITE ? GD_ERR_NONFINITE : GD_ERR_FORMAT;
        }
        if (found < n) {
            out[found] = value;
        }
        found += 1;
    }
    if (found != n) {
        gdi_set_error(reader->error, reader->line, 0, "%s: expected %zu values, found %zu", what,
                      n, found);
        return GD_ERR_FORMAT;
    }
    return GD_OK;
}

static gd_status read_header(model_reader *reader)
{
    const char *begin = NULL, *end = NULL;
    if (!next_line(reader) || !next_token(reader, &begin, &end)
        || !token_is(begin, end, GDI_MODEL_MAGIC)) {
        reader->field = 0;
        return format_error(reader, "not a gdlearn model file (no '" GDI_MODEL_MAGIC "' line)");
    }
    size_t version = 0;
    if (!next_token(reader, &begin, &end)) {
        return format_error(reader, "missing format version");
    }
    gd_status status = read_size_token(reader, begin, end, &version);
    if (status != GD_OK) {
        return status;
    }
    if (version != GDI_MODEL_VERSION) {
        gdi_set_error(reader->error, reader->line, reader->field,
                      "format version %zu is not supported (this library reads version %d)",
                      version, GDI_MODEL_VERSION);
        return GD_ERR_VERSION;
    }
    return expect_line_end(reader);
}

static gd_status read_kind(model_reader *reader, gd_model_kind *kind)
{
    gd_status status = expect_key(reader, "kind");
    const char *begin = NULL, *end = NULL;
    if (status == GD_OK && !next_token(reader, &begin, &end)) {
        return format_error(reader, "missing model kind");
    }
    if (status != GD_OK) {
        return status;
    }
    if (token_is(begin, end, "linear")) {
        *kind = GD_MODEL_LINEAR;
    } else if (token_is(begin, end, "logistic")) {
        *kind = GD_MODEL_LOGISTIC;
    } else if (token_is(begin, end, "softmax")) {
        *kind = GD_MODEL_SOFTMAX;
    } else {
        char quoted[MODEL_QUOTE_CHARS + 8];
        gdi_quote_field(begin, end, MODEL_QUOTE_CHARS, quoted);
        gdi_set_error(reader->error, reader->line, reader->field,
                      "unknown model kind '%s' (linear, logistic or softmax)", quoted);
        return GD_ERR_FORMAT;
    }
    return expect_line_end(reader);
}

/* kind, sizes and λ, then the model from its constructor. */
static gd_status read_model(model_reader *reader, gd_model *model)
{
    gd_model_kind kind = GD_MODEL_CUSTOM;
    size_t n_features = 0, n_classes = 0;
    double l2 = 0.0;
    gd_status status = read_kind(reader, &kind);
    if (status == GD_OK) {
        status = read_size_line(reader, "n_features", &n_features);
    }
    if (status == GD_OK && n_features == 0) {
        status = format_error(reader, "n_features must be at least 1");
    }
    if (status == GD_OK) {
        status = read_size_line(reader, "n_classes", &n_classes);
    }
    if (status == GD_OK
        && ((kind == GD_MODEL_LINEAR && n_classes != 0)
            || (kind == GD_MODEL_LOGISTIC && n_classes != 2)
            || (kind == GD_MODEL_SOFTMAX && n_classes < 2))) {
        status = format_error(reader, "n_classes does not fit the model kind "
                                      "(linear 0, logistic 2, softmax at least 2)");
    }
    if (status == GD_OK) {
        status = expect_key(reader, "l2");
    }
    if (status == GD_OK) {
        status = read_values(reader, "l2", &l2, 1);
    }
    if (status == GD_OK && l2 < 0.0) {
        status = format_error(reader, "l2 must not be negative");
    }
    if (status != GD_OK) {
        return status;
    }
    if (kind == GD_MODEL_LINEAR) {
        status = gd_model_linear(model, n_features, l2);
    } else if (kind == GD_MODEL_LOGISTIC) {
        status = gd_model_logistic(model, n_features, l2);
    } else {
        status = gd_model_softmax(model, n_features, n_classes, l2);
    }
    if (status != GD_OK) {
        gdi_set_error(reader->error, reader->line, 0, "the sizes do not make a valid %s model (%s)",
                      gdi_model_kind_name(kind), gd_strerror(status));
        return GD_ERR_FORMAT;
    }
    return GD_OK;
}

static gd_status read_layout(model_reader *reader, gd_model_file *file)
{
    const size_t m = file->model.n_features;
    gd_status status = read_size_line(reader, "n_columns", &file->n_columns);
    if (status == GD_OK) {
        status = expect_key(reader, "label_column");
    }
    const char *begin = NULL, *end = NULL;
    if (status == GD_OK && !next_token(reader, &begin, &end)) {
        status = format_error(reader, "missing label column");
    }
    if (status != GD_OK) {
        return status;
    }
    if (token_is(begin, end, "none")) {
        file->label_column = SIZE_MAX;
    } else {
        status = read_size_token(reader, begin, end, &file->label_column);
        if (status == GD_OK && file->label_column == SIZE_MAX) {
            status = format_error(reader, "not a valid size");
        }
    }
    if (status == GD_OK) {
        status = expect_line_end(reader);
    }
    if (status != GD_OK) {
        return status;
    }
    int consistent = file->label_column == SIZE_MAX
                         ? (file->n_columns == 0 || file->n_columns == m)
                         : (file->n_columns == m + 1 && file->label_column < file->n_columns);
    if (!consistent) {
        reader->field = 0;
        return format_error(reader, "n_columns and label_column do not fit n_features");
    }
    return GD_OK;
}

static double *alloc_doubles(const gd_allocator *allocator, size_t n)
{
    size_t bytes;
    return gdi_mul_size(n, sizeof(double), &bytes) ? gdi_alloc(allocator, bytes) : NULL;
}

static gd_status nomem(model_reader *reader)
{
    gdi_set_error(reader->error, reader->line, 0, "out of memory");
    return GD_ERR_NOMEM;
}

static gd_status read_scaler(model_reader *reader, gd_model_file *file)
{
    const size_t m = file->model.n_features;
    size_t standardize = 0;
    gd_status status = read_size_line(reader, "standardize", &standardize);
    if (status != GD_OK) {
        return status;
    }
    if (standardize > 1) {
        return format_error(reader, "standardize must be 0 or 1");
    }
    if (standardize == 0) {
        return GD_OK;
    }
    /* The mean and scale lines hold 2m values of at least two bytes each: an
     * n_features beyond the text is a lie (no allocation for it), as for theta. */
    if (m > (size_t)(reader->end - reader->next) / 4) {
        gdi_set_error(reader->error, reader->line + 1, 0,
                      "truncated file: mean and scale have fewer values than n_features");
        return GD_ERR_FORMAT;
    }
    file->mean = alloc_doubles(file->allocator, m);
    file->scale = alloc_doubles(file->allocator, m);
    if (file->mean == NULL || file->scale == NULL) {
        return nomem(reader);
    }
    status = expect_key(reader, "mean");
    if (status == GD_OK) {
        status = read_values(reader, "mean", file->mean, m);
    }
    if (status == GD_OK) {
        status = expect_key(reader, "scale");
    }
    if (status == GD_OK) {
        status = read_values(reader, "scale", file->scale, m);
    }
    for (size_t j = 0; status == GD_OK && j < m; ++j) {
        if (!(file->scale[j] > 0.0)) {
            reader->field = j + 2;
            status = format_error(reader, "scale: every value must be positive");
        }
    }
    return status;
}

static gd_status read_theta(model_reader *reader, gd_model_file *file)
{
    const gd_model *model = &file->model;
    const size_t rows = model->n_features + 1;
    const size_t columns = gdi_model_theta_columns(model);
    size_t file_rows = 0, file_columns = 0;
    const char *begin = NULL, *end = NULL;
    gd_status status = expect_key(reader, "theta");
    if (status == GD_OK && !next_token(reader, &begin, &end)) {
        status = format_error(reader, "theta: missing row count");
    }
    if (status == GD_OK) {
        status = read_size_token(reader, begin, end, &file_rows);
    }
    if (status == GD_OK && !next_token(reader, &begin, &end)) {
        status = format_error(reader, "theta: missing column count");
    }
    if (status == GD_OK) {
        status = read_size_token(reader, begin, end, &file_columns);
    }
    if (status == GD_OK) {
        status = expect_line_end(reader);
    }
    if (status != GD_OK) {
        return status;
    }
    if (file_rows != rows || file_columns != columns) {
        gdi_set_error(reader->error, reader->line, 0,
                      "theta: the file says %zu x %zu, the model needs %zu x %zu", file_rows,
                      file_columns, rows, columns);
        return GD_ERR_FORMAT;
    }
    /* Each value takes at least two bytes: a size beyond the text is a lie
     * (no allocation for it). */
    if (model->n_params > (size_t)(reader->end - reader->next) / 2) {
        gdi_set_error(reader->error, reader->line + 1, 0,
                      "truncated file: theta has fewer values than its size");
        return GD_ERR_FORMAT;
    }
    file->theta = alloc_doubles(file->allocator, model->n_params);
    if (file->theta == NULL) {
        return nomem(reader);
    }
    for (size_t i = 0; i < rows; ++i) {
        if (!next_line(reader)) {
            gdi_set_error(reader->error, reader->line + 1, 0,
                          "truncated file: theta row %zu of %zu missing", i + 1, rows);
            return GD_ERR_FORMAT;
        }
        status = read_values(reader, "theta", file->theta + i * columns, columns);
        if (status != GD_OK) {
            return status;
        }
    }
    return GD_OK;
}

static gd_status read_end(model_reader *reader)
{
    gd_status status = expect_key(reader, "end");
    if (status == GD_OK) {
        status = expect_line_end(reader);
    }
    if (status != GD_OK) {
        return status;
    }
    for (const char *p = reader->next; p < reader->end; ++p) {
        if (!is_space(*p) && *p != '\r' && *p != '\n') {
            gdi_set_error(reader->error, reader->line + 1, 0, "trailing data after 'end'");
            return GD_ERR_FORMAT;
        }
    }
    return GD_OK;
}

/* The whole file into one buffer. A file that does not start with the magic
 * is refused after its first block, so a wrong path (a large CSV, say) is not
 * read whole. */
static gd_status read_file(FILE *stream, const gd_allocator *allocator, char **text,
                           size_t *size, gd_error_info *error)
{
    size_t capacity = MODEL_FIRST_READ;
    size_t held = 0;
    char *buffer = gdi_alloc(allocator, capacity);
    if (buffer == NULL) {
        gdi_set_error(error, 0, 0, "out of memory");
        return GD_ERR_NOMEM;
    }
    for (;;) {
        if (held == capacity) {
            size_t grown_capacity;
            char *grown = gdi_mul_size(capacity, 2, &grown_capacity)
                              ? gdi_alloc(allocator, grown_capacity)
                              : NULL;
            if (grown == NULL) {
                gdi_free(allocator, buffer);
                gdi_set_error(error, 0, 0, "out of memory");
                return GD_ERR_NOMEM;
            }
            memcpy(grown, buffer, held);
            gdi_free(allocator, buffer);
            buffer = grown;
            capacity = grown_capacity;
        }
        size_t got = fread(buffer + held, 1, capacity - held, stream);
        held += got;
        if (held >= sizeof GDI_MODEL_MAGIC - 1 || got == 0) {
            if (held < sizeof GDI_MODEL_MAGIC - 1
                || memcmp(buffer, GDI_MODEL_MAGIC, sizeof GDI_MODEL_MAGIC - 1) != 0) {
                gdi_free(allocator, buffer);
                gdi_set_error(error, 1, 0, "not a gdlearn model file (no '" GDI_MODEL_MAGIC "' line)");
                return ferror(stream) ? GD_ERR_IO : GD_ERR_FORMAT;
            }
        }
        if (got == 0) {
            if (ferror(stream)) {
                gdi_free(allocator, buffer);
                gdi_set_error(error, 0, 0, "read error");
                return GD_ERR_IO;
            }
            break;
        }
    }
    *text = buffer;
    *size = held;
    return GD_OK;
}

gd_status gd_model_load(const char *path, const gd_allocator *allocator, gd_model_file *file,
                        gd_error_info *error)
{
    if (error != NULL) {
        memset(error, 0, sizeof *error);
    }
    if (file != NULL) {
        memset(file, 0, sizeof *file);
    }
    if (path == NULL || file == NULL) {
        gdi_set_error(error, 0, 0, "a required pointer argument is NULL");
        return GD_ERR_NULL;
    }
    if (!gdi_allocator_ok(allocator)) {
        gdi_set_error(error, 0, 0, "the allocator must set both alloc and free, or neither");
        return GD_ERR_NULL;
    }
    FILE *stream = fopen(path, "rb");
    if (stream == NULL) {
        gdi_set_error(error, 0, 0, "cannot open the file");
        return GD_ERR_IO;
    }
    char *text = NULL;
    size_t size = 0;
    gd_status status = read_file(stream, allocator, &text, &size, error);
    fclose(stream);
    if (status != GD_OK) {
        return status;
    }

    model_reader reader;
    memset(&reader, 0, sizeof reader);
    reader.next = text;
    reader.end = text + size;
    reader.error = error;
    gdi_locale_decimal_point(reader.decimal_point);
    file->allocator = allocator;
    status = read_header(&reader);
    if (status == GD_OK) {
        status = read_model(&reader, &file->model);
    }
    if (status == GD_OK) {
        status = read_layout(&reader, file);
    }
    if (status == GD_OK) {
        status = read_scaler(&reader, file);
    }
    if (status == GD_OK) {
        status = read_theta(&reader, file);
    }
    if (status == GD_OK) {
        status = read_end(&reader);
    }
    gdi_free(allocator, text);
    if (status != GD_OK) {
        gd_model_file_free(file);
    }
    return status;
}
