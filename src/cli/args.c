/* Command-line parsing: options in any order, "--name value" or
 * "--name=value", and numbers read strictly (the whole string, finite, in
 * range) so that a typo is an error rather than a silent default. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_args_init(cli_args *args, int argc, char **argv, int first, const char *command)
{
    memset(args, 0, sizeof *args);
    args->argc = argc;
    args->argv = argv;
    args->next = first;
    args->command = command;
}

int cli_args_next(cli_args *args)
{
    while (args->next < args->argc) {
        const char *arg = args->argv[args->next++];
        args->arg = arg;
        args->inline_value = NULL;
        args->name_length = 0;
        /* "-" alone is a positional argument (a file named so). */
        if (args->positional_only || arg[0] != '-' || arg[1] == '\0') {
            return CLI_ARG_POSITIONAL;
        }
        if (strcmp(arg, "--") == 0) {
            args->positional_only = 1;
            continue;
        }
        const char *equals = arg[1] == '-' ? strchr(arg, '=') : NULL;
        args->name_length = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
        args->inline_value = equals != NULL ? equals + 1 : NULL;
        return CLI_ARG_OPTION;
    }
    args->arg = NULL;
    return CLI_ARG_END;
}

static int name_is(const cli_args *args, const char *name)
{
    return name != NULL && strlen(name) == args->name_length
           && strncmp(args->arg, name, args->name_length) == 0;
}

int cli_args_is(const cli_args *args, const char *long_name, const char *short_name)
{
    return name_is(args, long_name) || name_is(args, short_name);
}

/* The option's name as typed, for messages (at most 64 characters). */
static void option_name(const cli_args *args, char out[72])
{
    size_t length = args->name_length < 64 ? args->name_length : 64;
    memcpy(out, args->arg, length);
    out[length] = '\0';
}

int cli_args_value(cli_args *args, const char **value)
{
    if (args->inline_value != NULL) {
        *value = args->inline_value;
        return CLI_EXIT_OK;
    }
    if (args->next >= args->argc) {
        char name[72];
        option_name(args, name);
        return cli_usage_error(args->command, "option '%s' needs a value", name);
    }
    *value = args->argv[args->next++];
    return CLI_EXIT_OK;
}

int cli_args_flag(const cli_args *args)
{
    if (args->inline_value != NULL) {
        char name[72];
        option_name(args, name);
        return cli_usage_error(args->command, "option '%s' takes no value", name);
    }
    return CLI_EXIT_OK;
}

int cli_args_unknown(const cli_args *args)
{
    char name[72];
    option_name(args, name);
    return cli_usage_error(args->command, "unknown option '%s'", name);
}

int cli_parse_double(const char *text, double *out)
{
    /* strtod would skip leading spaces and stop at trailing garbage. */
    if (text[0] == '\0' || text[0] == ' ' || text[0] == '\t' || text[0] == '\n'
        || text[0] == '\v' || text[0] == '\f' || text[0] == '\r') {
        return 0;
    }
    char *end = NULL;
    errno = 0;
    const double value = strtod(text, &end);
    /* ERANGE: beyond a double, or so small that it lost its precision. */
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value)) {
        return 0;
    }
    *out = value;
    return 1;
}

int cli_parse_u64(const char *text, uint64_t *out)
{
    if (text[0] == '\0') {
        return 0;
    }
    uint64_t value = 0;
    for (const char *p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
        const uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return 0;
        }
        value = value * 10 + digit;
    }
    *out = value;
    return 1;
}

int cli_parse_size(const char *text, size_t *out)
{
    uint64_t value;
    if (!cli_parse_u64(text, &value) || value > (uint64_t)SIZE_MAX) {
        return 0;
    }
    *out = (size_t)value;
    return 1;
}
