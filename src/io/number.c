/* Numbers in text, in the "C" locale whatever the process locale, without
 * setlocale (the library keeps no global state). Reading: an exact fast path
 * for the common short decimals, else strtod on a copy whose '.' is replaced
 * by the locale's decimal point. Writing: "%.17g", then the locale's decimal
 * point replaced by '.'. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

void gdi_locale_decimal_point(char out[GDI_DECIMAL_POINT_CHARS])
{
    /* printf's own rendering of 1.5 names the decimal point that printf and
     * strtod use: unlike localeconv(), this writes no static buffer, so
     * threads reading files at once do not race. */
    char probe[2 * GDI_DECIMAL_POINT_CHARS];
    int written = snprintf(probe, sizeof probe, "%.1f", 1.5);
    if (written < 3 || (size_t)written >= sizeof probe || probe[0] != '1'
        || probe[written - 1] != '5' || (size_t)written - 2 >= GDI_DECIMAL_POINT_CHARS) {
        memcpy(out, ".", 2); /* cannot happen with a sane locale */
        return;
    }
    size_t length = (size_t)written - 2; /* what lies between "1" and "5" */
    memcpy(out, probe + 1, length);
    out[length] = '\0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: does [begin, end) equal `word`? */
static int equals_word(const char *begin, const char *end, const char *word)
{
    size_t length = strlen(word);
    if ((size_t)(end - begin) != length) {
        return 0;
    }
    for (size_t i = 0; i < length; ++i) {
        if (to_lower(begin[i]) != word[i]) {
            return 0;
        }
    }
    return 1;
}

/* strtod's spellings of NaN and infinity: "nan", "nan(chars)", "inf", "infinity". */
static int is_nonfinite_word(const char *begin, const char *end)
{
    if (begin < end && (*begin == '+' || *begin == '-')) {
        ++begin;
    }
    if (equals_word(begin, end, "inf") || equals_word(begin, end, "infinity")
        || equals_word(begin, end, "nan")) {
        return 1;
    }
    return end - begin > 4 && equals_word(begin, begin + 3, "nan") && begin[3] == '('
           && end[-1] == ')';
}

#if FLT_EVAL_METHOD == 0
/* Exactly representable powers of ten. */
static const double exact_powers_of_ten[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Clinger's fast path: a decimal with at most 19 significant digits whose
 * integer significand M ≤ 2^53 and exponent |e| ≤ 22 is M·10^e or M/10^−e,
 * one correctly rounded IEEE operation on two exact operands — the same double
 * strtod gives. Returns 0 when the input is not of that form. */
static int parse_fast(const char *p, const char *end, double *out)
{
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        negative = *p == '-';
        ++p;
    }
    uint64_t significand = 0;
    int kept = 0;      /* significant digits in `significand` */
    long exponent = 0; /* value = significand · 10^exponent, if nothing was dropped */
    int any_digit = 0;
    int inexact = 0;
    for (; p < end && is_digit(*p); ++p) {
        unsigned digit = (unsigned)(*p - '0');
        any_digit = 1;
        if (kept < 19 && (significand != 0 || digit != 0)) {
            significand = significand * 10 + digit;
            kept += significand != 0;
        } else if (significand != 0) {
            exponent += 1;
            inexact |= digit != 0;
        }
    }
    if (p < end && *p == '.') {
        for (++p; p < end && is_digit(*p); ++p) {
            unsigned digit = (unsigned)(*p - '0');
            any_digit = 1;
            if (kept < 19) {
                significand = significand * 10 + digit;
                kept += significand != 0;
                exponent -= 1;
            } else {
                inexact |= digit != 0;
            }
        }
    }
    if (!any_digit) {
        return 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        int exponent_negative = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            exponent_negative = *p == '-';
            ++p;
        }
        if (p == end || !is_digit(*p)) {
            return 0;
        }
        long written = 0;
        for (; p < end && is_digit(*p); ++p) {
            if (written < 100000) { /* beyond this the fast path declines anyway */
                written = written * 10 + (*p - '0');
            }
        }
        exponent += exponent_negative ? -written : written;
    }
    if (p != end || inexact) {
        return 0;
    }
    double value;
    if (significand == 0) {
        value = 0.0;
    } else if (significand <= (UINT64_C(1) << 53) && exponent >= -22 && exponent <= 22) {
        value = (double)significand;
        value = exponent >= 0 ? value * exact_powers_of_ten[exponent]
                              : value / exact_powers_of_ten[-exponent];
    } else {
        return 0;
    }
    *out = negative ? -value : value;
    return 1;
}
#else
/* Extended-precision evaluation would round twice: always ask strtod. */
static int parse_fast(const char *p, const char *end, double *out)
{
    (void)p;
    (void)end;
    (void)out;
    return 0;
}
#endif

/* Characters strtod may take in a decimal or hexadecimal number. */
static int is_number_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x'
           || c == 'X' || c == 'p' || c == 'P' || c == '+' || c == '-' || c == '.';
}

gdi_number gdi_parse_double(const char *begin, const char *end, const char *decimal_point,
                            double *out)
{
    if (begin >= end) {
        return GDI_NUMBER_INVALID;
    }
    if (parse_fast(begin, end, out)) {
        return GDI_NUMBER_OK;
    }
    if (is_nonfinite_word(begin, end)) {
        return GDI_NUMBER_NONFINITE;
    }
    size_t length = (size_t)(end - begin);
    if (length > GDI_NUMBER_MAX_CHARS) {
        return GDI_NUMBER_INVALID;
    }
    /* strtod reads the locale's decimal point: hand it one. A number has at
     * most one point, so a second '.' already makes the field invalid. */
    char copy[GDI_NUMBER_MAX_CHARS + GDI_DECIMAL_POINT_CHARS + 1];
    size_t point_length = strlen(decimal_point);
    size_t used = 0;
    int seen_point = 0;
    for (const char *p = begin; p < end; ++p) {
        if (!is_number_char(*p)) {
            return GDI_NUMBER_INVALID;
        }
        if (*p == '.') {
            if (seen_point) {
                return GDI_NUMBER_INVALID;
            }
            seen_point = 1;
            memcpy(copy + used, decimal_point, point_length);
            used += point_length;
        } else {
            copy[used++] = *p;
        }
    }
    copy[used] = '\0';
    char *stop = NULL;
    double value = strtod(copy, &stop);
    if (stop != copy + used) {
        return GDI_NUMBER_INVALID;
    }
    if (!isfinite(value)) {
        return GDI_NUMBER_NONFINITE; /* overflow, as 1e999 */
    }
    *out = value;
    return GDI_NUMBER_OK;
}

size_t gdi_format_double(double value, const char *decimal_point, char *buffer)
{
    int written = snprintf(buffer, GDI_FORMAT_CHARS, "%.17g", value);
    if (written < 0 || written >= GDI_FORMAT_CHARS) {
        buffer[0] = '\0'; /* cannot happen for a double: at most 24 chars + the point */
        return 0;
    }
    size_t length = (size_t)written;
    size_t point_length = strlen(decimal_point);
    if (point_length == 1 && decimal_point[0] == '.') {
        return length;
    }
    char *point = point_length > 0 ? strstr(buffer, decimal_point) : NULL;
    if (point != NULL) {
        *point = '.';
        memmove(point + 1, point + point_length,
                length - (size_t)(point - buffer) - point_length + 1);
        length -= point_length - 1;
    }
    return length;
}

void gdi_set_error(gd_error_info *error, size_t line, size_t column, const char *format, ...)
{
    if (error == NULL) {
        return;
    }
    error->line = line;
    error->column = column;
    va_list args;
    va_start(args, format);
    int written = vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    if (written < 0) {
        error->message[0] = '\0';
    }
}

void gdi_quote_field(const char *begin, const char *end, size_t limit, char *out)
{
    size_t length = (size_t)(end - begin);
    size_t shown = length < limit ? length : limit;
    for (size_t i = 0; i < shown; ++i) {
        unsigned char c = (unsigned char)begin[i];
        /* Bytes ≥ 0x80 pass: they are UTF-8 text, which stays on one line. */
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (shown < length) {
        memcpy(out + shown, "...", 4);
    } else {
        out[shown] = '\0';
    }
}
