/* Internal helpers of the I/O layer (CSV reader, model files). Not installed. */
#ifndef GDLEARN_IO_INTERNAL_H
#define GDLEARN_IO_INTERNAL_H

#include <stddef.h>

#include "gdlearn/gdlearn.h"

/* What gdi_parse_double found. */
typedef enum gdi_number {
    GDI_NUMBER_OK = 0,        /* a finite number */
    GDI_NUMBER_INVALID = 1,   /* not a number (or empty) */
    GDI_NUMBER_NONFINITE = 2  /* NaN, Inf, or a value that overflows a double */
} gdi_number;

/* The longest field gdi_parse_double hands to strtod; longer fields that the
 * fast path cannot take are reported as not a number. */
#define GDI_NUMBER_MAX_CHARS 400

/* Parse [begin, end) — no surrounding spaces, need not be NUL-terminated —
 * as C's strtod reads a number in the "C" locale, whatever the process locale,
 * and only if the whole range is the number. `decimal_point` is the current
 * locale's (from gdi_locale_decimal_point). The result is the correctly
 * rounded double, bit-identical to strtod in the "C" locale. */
gdi_number gdi_parse_double(const char *begin, const char *end, const char *decimal_point,
                            double *out);

/* The current locale's decimal point string, as printf writes it (read once
 * per call of a public function, never cached: the caller may change the
 * locale between calls). */
#define GDI_DECIMAL_POINT_CHARS 8
void gdi_locale_decimal_point(char out[GDI_DECIMAL_POINT_CHARS]);

/* "%.17g" of a finite value with '.' as the decimal point whatever the process
 * locale: enough digits for an exact round trip. `buffer` holds at least
 * GDI_FORMAT_CHARS bytes. Returns the length written. */
#define GDI_FORMAT_CHARS 48
size_t gdi_format_double(double value, const char *decimal_point, char *buffer);

/* Fill an error report (error may be NULL): the position and a one-line
 * message, printf-style. */
void gdi_set_error(gd_error_info *error, size_t line, size_t column, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Quote at most `limit` bytes of [begin, end) into `out` (size ≥ limit + 8) for an
 * error message: non-printable bytes become '?', a longer field ends in "...". */
void gdi_quote_field(const char *begin, const char *end, size_t limit, char *out);

/* Model files (docs/model-format.md): the first line is magic + version. */
#define GDI_MODEL_MAGIC "gdlearn-model"
#define GDI_MODEL_VERSION 1

/* "linear", "logistic", "softmax"; NULL for a custom model. */
const char *gdi_model_kind_name(gd_model_kind kind);

/* θ is stored as an (m+1) × columns matrix: k columns for softmax, else 1. */
size_t gdi_model_theta_columns(const gd_model *model);

#endif /* GDLEARN_IO_INTERNAL_H */
