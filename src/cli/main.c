/* The `gdlearn` command: fit, predict and evaluate models from CSV files
 * (DESIGN §4; the contract and examples are in docs/cli.md). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_help(void)
{
    fputs("Usage: gdlearn COMMAND [options] ...\n"
          "\n"
          "Fit linear, logistic and softmax regression by gradient-based optimisation.\n"
          "\n"
          "Commands:\n"
          "  fit -t linear|logistic|softmax [options] TRAIN.csv -o MODEL\n"
          "                              fit a model, write it to MODEL\n"
          "  predict [--proba] MODEL DATA.csv\n"
          "                              one CSV row of predictions per data row\n"
          "  eval MODEL DATA.csv [--json]\n"
          "                              objective, and accuracy or R^2\n"
          "\n"
          "Options:\n"
          "  -h, --help       show this help ('gdlearn COMMAND --help' for a command's)\n"
          "  --version        show the version\n"
          "\n"
          "Exit status: 0 success, 1 bad data, model file or failed fit, 2 bad usage.\n",
          stdout);
}

static int print_version(void)
{
    printf("gdlearn %s (libgdlearn %s)\n", GDLEARN_VERSION_STRING, gd_version());
    return cli_finish_output(CLI_EXIT_OK);
}

int main(int argc, char **argv)
{
    /* A full buffer: predict may print millions of rows. */
    static char output_buffer[1 << 16];
    setvbuf(stdout, output_buffer, _IOFBF, sizeof output_buffer);
    if (argc < 2) {
        return cli_usage_error(NULL, "missing command: fit, predict or eval");
    }
    const char *command = argv[1];
    if (strcmp(command, "fit") == 0) {
        return cli_fit(argc, argv);
    }
    if (strcmp(command, "predict") == 0) {
        return cli_predict(argc, argv);
    }
    if (strcmp(command, "eval") == 0) {
        return cli_eval(argc, argv);
    }
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0
        || strcmp(command, "help") == 0) {
        if (argc > 2) {
            const char *topic = argv[2];
            if (strcmp(topic, "fit") == 0) {
                cli_fit_help();
            } else if (strcmp(topic, "predict") == 0) {
                cli_predict_help();
            } else if (strcmp(topic, "eval") == 0) {
                cli_eval_help();
            } else {
                return cli_usage_error(NULL, "no help on '%.80s'", topic);
            }
        } else {
            print_help();
        }
        return cli_finish_output(CLI_EXIT_OK);
    }
    if (strcmp(command, "--version") == 0) {
        return print_version();
    }
    if (command[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%.80s'", command);
    }
    return cli_usage_error(NULL, "unknown command '%.80s'", command);
}
