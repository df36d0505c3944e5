/* Messages and JSON: every error is one line on stderr, and stdout never
 * carries a NaN (docs/cli.md). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Long enough for a path of PATH_MAX bytes and a message. */
#define CLI_MESSAGE_CHARS 8192

/* One line, whatever the text holds: a control character (a newline in a
 * file name, say) would split the message or move the cursor. */
static void print_line(const char *prefix, const char *text)
{
    char line[CLI_MESSAGE_CHARS];
    size_t length = 0;
    for (const char *p = text; *p != '\0' && length + 1 < sizeof line; ++p) {
        const unsigned char c = (unsigned char)*p;
        line[length++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    line[length] = '\0';
    fflush(stdout); /* keep the order of stdout and stderr on a terminal */
    fprintf(stderr, "gdlearn: %s%s\n", prefix, line);
    fflush(stderr);
}

void cli_error(const char *format, ...)
{
    char text[CLI_MESSAGE_CHARS];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    print_line("", text);
}

int cli_usage_error(const char *command, const char *format, ...)
{
    char text[CLI_MESSAGE_CHARS];
    char line[CLI_MESSAGE_CHARS + 64];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    if (command != NULL) {
        snprintf(line, sizeof line, "%s: %s (see 'gdlearn %s --help')", command, text, command);
    } else {
        snprintf(line, sizeof line, "%s (see 'gdlearn --help')", text);
    }
    print_line("", line);
    return CLI_EXIT_USAGE;
}

int cli_file_error(const char *path, const gd_error_info *info, gd_status status)
{
    const char *problem = gd_strerror(status);
    char opened[256];
    if (info != NULL && info->message[0] != '\0') {
        problem = info->message;
    }
    /* The library says only that it could not open the file; the system
     * knows why (no such file, permission denied). */
    if (status == GD_ERR_IO && info != NULL && info->line == 0) {
        FILE *probe = fopen(path, "rb");
        if (probe == NULL) {
            snprintf(opened, sizeof opened, "%s: %s", problem, strerror(errno));
            problem = opened;
        } else {
            fclose(probe);
        }
    }
    if (info != NULL && info->line > 0 && info->column > 0) {
        cli_error("%s:%zu:%zu: %s", path, info->line, info->column, problem);
    } else if (info != NULL && info->line > 0) {
        cli_error("%s:%zu: %s", path, info->line, problem);
    } else {
        cli_error("%s: %s", path, problem);
    }
    return CLI_EXIT_FAILURE;
}

void cli_format_number(double value, char text[CLI_NUMBER_CHARS])
{
    /* The shortest of %.15g, %.16g, %.17g that reads back to the same
     * double: exact, and 1e-06 rather than 9.9999999999999995e-07. */
    for (int digits = 15; digits <= 17; ++digits) {
        snprintf(text, CLI_NUMBER_CHARS, "%.*g", digits, value);
        if (strtod(text, NULL) == value) {
            break;
        }
    }
}

void cli_json_number(double value)
{
    if (!isfinite(value)) {
        fputs("null", stdout);
        return;
    }
    char text[CLI_NUMBER_CHARS];
    cli_format_number(value, text);
    fputs(text, stdout);
}

void cli_json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; ++p) {
        if (*p == '"' || *p == '\\') {
            putchar('\\');
            putchar(*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            printf("\\u%04x", (unsigned)*p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

int cli_finish_output(int status)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("stdout: write error: %s", errno != 0 ? strerror(errno) : "unknown error");
        return status != CLI_EXIT_OK ? status : CLI_EXIT_FAILURE;
    }
    return status;
}
