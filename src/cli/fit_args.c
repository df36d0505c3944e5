/* `gdlearn fit`'s command line: every option of DESIGN §4, each value read
 * strictly and checked against its range, with a one-line usage error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* --threads: a bound that any machine's core count stays below. */
#define CLI_MAX_THREADS ((size_t)1024)

static const char *const optimizer_names[] = {"gd", "momentum", "nesterov",
                                              "adam", "sgd", "lbfgs"};

const char *cli_optimizer_name(gd_optimizer optimizer)
{
    return optimizer_names[optimizer];
}

void cli_fit_help(void)
{
    fputs(
        "Usage: gdlearn fit -t linear|logistic|softmax [options] TRAIN.csv -o MODEL\n"
        "\n"
        "Fit a model to TRAIN.csv (comma-separated numbers, an optional header row) and\n"
        "write it to MODEL. The model file is written only if the fit succeeds.\n"
        "\n"
        "  -t, --type KIND       linear, logistic (labels 0/1) or softmax (labels 0..k-1)\n"
        "  -o, --output MODEL    the model file to write\n"
        "  --optimizer NAME      lbfgs (default), gd, momentum, nesterov, adam, sgd\n"
        "  --line-search         Armijo backtracking steps (gd, momentum, nesterov; lbfgs\n"
        "                        always searches, adam and sgd ignore it)\n"
        "  --lr A                learning rate, > 0 (default 0.01; lbfgs ignores it)\n"
        "  --tol E               stop when every |dL/dtheta_j| < E, >= 0 (default 1e-6)\n"
        "  --max-iter N          iteration budget, >= 1 (default 100000)\n"
        "  --batch-size B        mini-batch rows for sgd, >= 1 (default 32)\n"
        "  --l2 LAMBDA           L2 penalty on the weights, >= 0 (default 0)\n"
        "  --standardize         z-score the features (the model file keeps mean/scale)\n"
        "  --gram                linear only: one pass forms the centred X'X and X'y, then\n"
        "                        the optimizer iterates on them at O(m^2) per step without\n"
        "                        the data (not with sgd; see docs/optimizers.md)\n"
        "  --seed S              seed of sgd's shuffling, 0..2^64-1 (default 42)\n"
        "  --threads N           at most N threads per gradient evaluation, 0..1024\n"
        "                        (default 0: the online CPUs, at most 8)\n"
        "  --label COL           the label column: a header name or a 0-based index\n"
        "                        (default: the last column)\n"
        "  --classes K           softmax: number of classes, 2..1000000\n"
        "                        (default: the largest label + 1)\n"
        "  --json                print one JSON object on one line (last on stdout)\n"
        "  --quiet               no summary (unless --json) and no progress\n"
        "  -h, --help            show this help\n"
        "\n"
        "On a terminal, progress goes to stderr. Ctrl-C stops the fit early and keeps\n"
        "the model so far (status \"stopped\"); a second Ctrl-C kills.\n"
        "\n"
        "Example: gdlearn fit -t softmax --standardize iris.csv -o iris.model\n",
        stdout);
}

static int bad_value(const cli_args *args, const char *option, const char *value,
                     const char *expected)
{
    return cli_usage_error(args->command, "%s needs %s, not '%.80s'", option, expected, value);
}

/* --lr, --tol, --l2: a finite number above (or at) a bound. */
static int option_real(cli_args *args, const char *option, double lowest, int inclusive,
                       double *out)
{
    const char *value;
    int status = cli_args_value(args, &value);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    double number;
    if (!cli_parse_double(value, &number) || number < lowest
        || (!inclusive && number == lowest)) {
        return bad_value(args, option, value, inclusive ? "a finite number >= 0"
                                                        : "a finite number > 0");
    }
    *out = number;
    return CLI_EXIT_OK;
}

static int option_count(cli_args *args, const char *option, size_t lowest, size_t highest,
                        size_t *out)
{
    const char *value;
    int status = cli_args_value(args, &value);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    size_t number;
    if (!cli_parse_size(value, &number) || number < lowest || number > highest) {
        char expected[96];
        if (highest == SIZE_MAX) {
            snprintf(expected, sizeof expected, "a whole number >= %zu", lowest);
        } else {
            snprintf(expected, sizeof expected, "a whole number from %zu to %zu", lowest,
                     highest);
        }
        return bad_value(args, option, value, expected);
    }
    *out = number;
    return CLI_EXIT_OK;
}

static int option_type(cli_args *args, gd_model_kind *kind)
{
    const char *value;
    int status = cli_args_value(args, &value);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    static const gd_model_kind kinds[] = {GD_MODEL_LINEAR, GD_MODEL_LOGISTIC,
                                          GD_MODEL_SOFTMAX};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; ++i) {
        if (strcmp(value, cli_model_kind_name(kinds[i])) == 0) {
            *kind = kinds[i];
            return CLI_EXIT_OK;
        }
    }
    return bad_value(args, "-t", value, "linear, logistic or softmax");
}

static int option_optimizer(cli_args *args, gd_optimizer *optimizer)
{
    const char *value;
    int status = cli_args_value(args, &value);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    for (size_t i = 0; i < sizeof optimizer_names / sizeof optimizer_names[0]; ++i) {
        if (strcmp(value, optimizer_names[i]) == 0) {
            *optimizer = (gd_optimizer)i;
            return CLI_EXIT_OK;
        }
    }
    return bad_value(args, "--optimizer", value, "gd, momentum, nesterov, adam, sgd or lbfgs");
}

static int option_label(cli_args *args, cli_fit_args *fit)
{
    const char *value;
    int status = cli_args_value(args, &value);
    if (status != CLI_EXIT_OK) {
        return status;
    }
    uint64_t index;
    if (value[0] == '\0') {
        return bad_value(args, "--label", value, "a column name or a 0-based index");
    }
    /* Digits alone are an index; anything else names a header column. */
    if (strspn(value, "0123456789") == strlen(value)) {
        if (!cli_parse_u64(value, &index) || index > (uint64_t)1 << 40) {
            return bad_value(args, "--label", value, "a column name or a 0-based index");
        }
        fit->label_index = (long)index;
        fit->label_name = NULL;
    } else {
        fit->label_name = value;
    }
    return CLI_EXIT_OK;
}

/* One option; CLI_EXIT_OK, a usage error, or -1 for --help (handled). */
static int parse_option(cli_args *args, cli_fit_args *fit)
{
    gd_options *o = &fit->options;
    int status = CLI_EXIT_OK;
    uint64_t seed;
    const char *value;
    if (cli_args_is(args, "--help", "-h")) {
        cli_fit_help();
        return -1;
    } else if (cli_args_is(args, "--type", "-t")) {
        status = option_type(args, &fit->kind);
    } else if (cli_args_is(args, "--output", "-o")) {
        status = cli_args_value(args, &fit->output);
    } else if (cli_args_is(args, "--optimizer", NULL)) {
        status = option_optimizer(args, &o->optimizer);
    } else if (cli_args_is(args, "--line-search", NULL)) {
        status = cli_args_flag(args);
        o->line_search = 1;
    } else if (cli_args_is(args, "--lr", NULL)) {
        status = option_real(args, "--lr", 0.0, 0, &o->learning_rate);
    } else if (cli_args_is(args, "--tol", NULL)) {
        status = option_real(args, "--tol", 0.0, 1, &o->tolerance);
    } else if (cli_args_is(args, "--l2", NULL)) {
        status = option_real(args, "--l2", 0.0, 1, &fit->l2);
    } else if (cli_args_is(args, "--max-iter", NULL)) {
        status = option_count(args, "--max-iter", 1, SIZE_MAX, &o->max_iter);
    } else if (cli_args_is(args, "--batch-size", NULL)) {
        status = option_count(args, "--batch-size", 1, SIZE_MAX, &o->batch_size);
    } else if (cli_args_is(args, "--threads", NULL)) {
        status = option_count(args, "--threads", 0, CLI_MAX_THREADS, &fit->n_threads);
    } else if (cli_args_is(args, "--classes", NULL)) {
        status = option_count(args, "--classes", 2, CLI_MAX_CLASSES, &fit->n_classes);
    } else if (cli_args_is(args, "--seed", NULL)) {
        status = cli_args_value(args, &value);
        if (status == CLI_EXIT_OK && !cli_parse_u64(value, &seed)) {
            status = bad_value(args, "--seed", value, "a whole number from 0 to 2^64-1");
        }
        if (status == CLI_EXIT_OK) {
            o->seed = seed;
        }
    } else if (cli_args_is(args, "--label", NULL)) {
        status = option_label(args, fit);
    } else if (cli_args_is(args, "--standardize", NULL)) {
        status = cli_args_flag(args);
        fit->standardize = 1;
    } else if (cli_args_is(args, "--gram", NULL)) {
        status = cli_args_flag(args);
        o->linear_gram = 1;
    } else if (cli_args_is(args, "--json", NULL)) {
        status = cli_args_flag(args);
        fit->json = 1;
    } else if (cli_args_is(args, "--quiet", "-q")) {
        status = cli_args_flag(args);
        fit->quiet = 1;
    } else {
        status = cli_args_unknown(args);
    }
    return status;
}

int cli_fit_parse(int argc, char **argv, cli_fit_args *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->kind = GD_MODEL_CUSTOM;
    fit->label_index = GD_LABEL_LAST;
    gd_options_init(&fit->options);
    cli_args args;
    cli_args_init(&args, argc, argv, 2, "fit");
    int kind;
    while ((kind = cli_args_next(&args)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (fit->train != NULL) {
                return cli_usage_error("fit", "unexpected argument '%.200s'", args.arg);
            }
            fit->train = args.arg;
            continue;
        }
        int status = parse_option(&args, fit);
        if (status != CLI_EXIT_OK) {
            return status;
        }
    }
    if (fit->kind == GD_MODEL_CUSTOM) {
        return cli_usage_error("fit", "missing -t linear|logistic|softmax");
    }
    if (fit->train == NULL) {
        return cli_usage_error("fit", "missing the training file TRAIN.csv");
    }
    if (fit->output == NULL) {
        return cli_usage_error("fit", "missing -o MODEL");
    }
    if (fit->n_classes != 0 && fit->kind != GD_MODEL_SOFTMAX) {
        return cli_usage_error("fit", "--classes applies to softmax models only");
    }
    if (fit->options.linear_gram && fit->kind != GD_MODEL_LINEAR) {
        return cli_usage_error("fit", "--gram applies to linear models only");
    }
    if (fit->options.linear_gram && fit->options.optimizer == GD_OPTIMIZER_SGD) {
        return cli_usage_error("fit", "--gram does not work with --optimizer sgd");
    }
    if (cli_same_file(fit->train, fit->output)) {
        return cli_usage_error("fit", "the model file '%.200s' is the training file",
                               fit->output);
    }
    return CLI_EXIT_OK;
}
