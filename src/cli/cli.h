/* The `gdlearn` command's internal interface (DESIGN §4, docs/cli.md).
 * The command uses the library's public API only. Every function here that
 * can fail prints its own one-line message on stderr and returns the exit
 * status to use, so that a command's code reads as a straight sequence. */
#ifndef GDLEARN_CLI_H
#define GDLEARN_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <gdlearn/gdlearn.h>

/* Exit statuses (docs/cli.md): data, model-file and fit failures are 1,
 * misuse of the command line is 2. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(format_index, first_arg) \
    __attribute__((format(printf, format_index, first_arg)))
#else
#define CLI_PRINTF(format_index, first_arg)
#endif

/* ---- messages (report.c) ---------------------------------------------- */

/* "gdlearn: <message>" on one line of stderr: any control character in the
 * formatted text (a newline in a path, say) is shown as '?'. */
void cli_error(const char *format, ...) CLI_PRINTF(1, 2);

/* A usage error: "gdlearn: <command>: <message> (see 'gdlearn <command>
 * --help')" on one line; returns CLI_EXIT_USAGE. `command` may be NULL. */
int cli_usage_error(const char *command, const char *format, ...) CLI_PRINTF(2, 3);

/* A failure reading `path`: "gdlearn: PATH:LINE:COL: problem" with as much of
 * the position as `info` knows, the problem being info's message or, when it
 * has none, gd_strerror(status). Returns CLI_EXIT_FAILURE. */
int cli_file_error(const char *path, const gd_error_info *info, gd_status status);

/* A finite double in as few digits as read back to the same value. */
#define CLI_NUMBER_CHARS 40
void cli_format_number(double value, char text[CLI_NUMBER_CHARS]);

/* JSON output: a value as JSON (a non-finite number becomes null, so that
 * no NaN ever reaches stdout), a string with the escapes JSON needs. */
void cli_json_number(double value);
void cli_json_string(const char *text);

/* Flush stdout and report a failed write (a full disk, a closed pipe) as
 * the failure it is. Returns the exit status to use. */
int cli_finish_output(int status);

/* ---- command-line parsing (args.c) ----------------------------------- */

/* Walks a subcommand's arguments: options "-x", "--name", "--name=value",
 * "--" to end them, and positional arguments in any order. */
typedef struct cli_args {
    int argc;
    char **argv;
    int next;                 /* the next argv index to read */
    int positional_only;      /* after "--" */
    const char *command;      /* "fit", "predict", "eval": for messages */
    const char *arg;          /* the current argument */
    size_t name_length;       /* the option name's length (before any '=') */
    const char *inline_value; /* the text after '=', or NULL */
} cli_args;

enum { CLI_ARG_END = 0, CLI_ARG_OPTION = 1, CLI_ARG_POSITIONAL = 2 };

void cli_args_init(cli_args *args, int argc, char **argv, int first, const char *command);

/* The kind of the next argument (CLI_ARG_*), now in args->arg. */
int cli_args_next(cli_args *args);

/* Nonzero if the current option is `long_name` (or `short_name`, which may be NULL). */
int cli_args_is(const cli_args *args, const char *long_name, const char *short_name);

/* The current option's value ("--name=value" or the next argument).
 * Returns CLI_EXIT_OK, or prints a usage error and returns CLI_EXIT_USAGE. */
int cli_args_value(cli_args *args, const char **value);

/* For a flag: CLI_EXIT_OK, or a usage error if a value was given with '='. */
int cli_args_flag(const cli_args *args);

/* The usage error for an option nobody claimed. */
int cli_args_unknown(const cli_args *args);

/* Strict numbers: the whole string, no spaces, finite, no overflow.
 * Return 1 on success and leave *out untouched on failure. */
int cli_parse_double(const char *text, double *out);
int cli_parse_size(const char *text, size_t *out);   /* decimal digits only */
int cli_parse_u64(const char *text, uint64_t *out);  /* decimal digits only */

/* ---- terminal, clock, signals, files (system.c: the POSIX part) ------ */

double cli_now(void); /* monotonic seconds */
int cli_stderr_is_terminal(void);

/* Ctrl-C during a fit asks it to stop (the model so far is kept); a second
 * Ctrl-C kills as usual. */
void cli_interrupt_begin(void);
void cli_interrupt_end(void);
int cli_interrupted(void);

/* Can a file be created at `path` (its directory exists and is writable,
 * and `path` is not a directory)? Returns CLI_EXIT_OK or prints why not. */
int cli_check_output_path(const char *path);

/* Nonzero if both paths name one existing file. */
int cli_same_file(const char *a, const char *b);

/* ---- progress (progress.c) ------------------------------------------- */

typedef struct cli_progress {
    int show;               /* draw on stderr */
    double started;         /* cli_now() at the start of the fit */
    double last_draw;       /* when it last drew */
    int drawn;              /* something is on the line */
    gd_progress latest;     /* the last progress seen (theta not kept) */
    int seen;
} cli_progress;

void cli_progress_init(cli_progress *progress, int show);

/* The gd_options callback: draws at most ~10 times a second, and stops the
 * fit on Ctrl-C. `user` is a cli_progress. */
int cli_progress_callback(const gd_progress *progress, void *user);

/* Draw the final state and end the line (if anything was drawn). */
void cli_progress_end(cli_progress *progress, const gd_report *report);

/* ---- data sets (dataset.c) -------------------------------------------- */

/* A CSV read for a command: row-major features (stride n_features) and,
 * when there is a label column, the labels. */
typedef struct cli_dataset {
    gd_table table;         /* owns the numbers */
    const char *path;       /* borrowed, for messages */
    double *x;              /* n_rows × n_features (inside table) */
    double *y;              /* n_rows labels, or NULL */
    double *y_owned;        /* y when this struct allocated it */
    size_t n_rows;
    size_t n_features;
    size_t n_columns;       /* columns in the file */
    size_t label_column;    /* the label's 0-based column, or SIZE_MAX */
    int has_header;
} cli_dataset;

/* Read a training CSV; label_name wins over label_index (GD_LABEL_LAST...). */
int cli_dataset_read_training(cli_dataset *data, const char *path, const char *label_name,
                              long label_index);

/* Read a CSV in the layout a model was trained on. need_label: eval (the
 * label column must be there); otherwise predict (the features alone are
 * accepted too, and a label column is ignored). */
int cli_dataset_read_for_model(cli_dataset *data, const char *path, const gd_model_file *file,
                               int need_label);

void cli_dataset_free(cli_dataset *data);

/* The file's line number of data row `row` (header counted). */
size_t cli_dataset_line(const cli_dataset *data, size_t row);

/* Every label a class of a model with n_classes classes (the library's
 * rule); else a message naming the first bad row. */
int cli_dataset_check_labels(const cli_dataset *data, size_t n_classes);

/* k for softmax when --classes is not given: the largest label + 1, every
 * label a class index no larger than max_classes - 1. */
int cli_dataset_infer_classes(const cli_dataset *data, size_t max_classes, size_t *n_classes);

/* z-score the features in place with a model's mean and scale. */
int cli_dataset_standardize(cli_dataset *data, const double *mean, const double *scale);

/* A gd_data view of it. */
gd_data cli_dataset_view(const cli_dataset *data);

/* Read a model file, or print why not. */
int cli_model_load(const char *path, gd_model_file *file);

/* Read a model file, then DATA in its training layout, standardised with
 * the model's scaler if it has one. On failure both are released. */
int cli_open_model_and_data(const char *model_path, const char *data_path, int need_label,
                            gd_model_file *file, cli_dataset *data);

/* "linear", "logistic", "softmax". */
const char *cli_model_kind_name(gd_model_kind kind);

/* ---- the commands ---------------------------------------------------- */

/* What `gdlearn fit`'s command line asks for (fit_args.c). */
typedef struct cli_fit_args {
    gd_model_kind kind;    /* GD_MODEL_CUSTOM: not given */
    const char *train;
    const char *output;
    const char *label_name;
    long label_index;
    size_t n_classes;      /* 0: the largest label + 1 */
    size_t n_threads;      /* gd_model.n_threads (docs/cli.md) */
    double l2;
    int standardize;
    int json;
    int quiet;
    gd_options options;
} cli_fit_args;

/* The largest --classes (and the largest label taken as a class). */
#define CLI_MAX_CLASSES ((size_t)1000000)

/* Parse fit's arguments. Returns CLI_EXIT_OK, a usage error (printed), or
 * -1 after printing the help that --help asked for. */
int cli_fit_parse(int argc, char **argv, cli_fit_args *fit);

/* "gd", "momentum", …, as --optimizer takes them. */
const char *cli_optimizer_name(gd_optimizer optimizer);

int cli_fit(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_eval(int argc, char **argv);

void cli_fit_help(void);
void cli_predict_help(void);
void cli_eval_help(void);

#endif /* GDLEARN_CLI_H */
