/* What the command needs from POSIX: a monotonic clock, whether stderr is a
 * terminal, Ctrl-C during a fit, and checks on the output path. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty, sigaction, stat, access */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_now(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0.0;
    }
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

int cli_stderr_is_terminal(void)
{
    return isatty(STDERR_FILENO);
}

/* The command's one piece of global state: a signal handler can set
 * nothing else. */
static volatile sig_atomic_t interrupt_requested = 0;
static struct sigaction previous_action;
static int handler_installed = 0;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupt_requested = 1;
}

void cli_interrupt_begin(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    /* The second Ctrl-C gets the default action: a fit that does not stop
     * (a slow iteration) can still be killed. */
    action.sa_flags = (int)SA_RESETHAND;
    interrupt_requested = 0;
    handler_installed = 0;
    /* A shell starts background jobs with SIGINT ignored: they stay so. */
    if (sigaction(SIGINT, NULL, &previous_action) != 0
        || previous_action.sa_handler == SIG_IGN) {
        return;
    }
    handler_installed = sigaction(SIGINT, &action, NULL) == 0;
}

void cli_interrupt_end(void)
{
    if (handler_installed) {
        (void)sigaction(SIGINT, &previous_action, NULL);
        handler_installed = 0;
    }
}

int cli_interrupted(void)
{
    return interrupt_requested != 0;
}

int cli_check_output_path(const char *path)
{
    struct stat info;
    if (path[0] == '\0') {
        cli_error("the model file name is empty");
        return CLI_EXIT_FAILURE;
    }
    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
        cli_error("%s: is a directory", path);
        return CLI_EXIT_FAILURE;
    }
    /* The model is written beside its final name and renamed into place
     * (gd_model_save), so the directory must be writable: find out before a
     * long fit rather than after it. */
    const char *slash = strrchr(path, '/');
    char *directory = NULL;
    if (slash == NULL) {
        directory = malloc(2);
        if (directory != NULL) {
            strcpy(directory, ".");
        }
    } else {
        const size_t length = slash == path ? 1 : (size_t)(slash - path);
        directory = malloc(length + 1);
        if (directory != NULL) {
            memcpy(directory, path, length);
            directory[length] = '\0';
        }
    }
    if (directory == NULL) {
        cli_error("%s: out of memory", path);
        return CLI_EXIT_FAILURE;
    }
    int status = CLI_EXIT_OK;
    if (access(directory, W_OK | X_OK) != 0) {
        cli_error("%s: cannot create the model file in '%s': %s", path, directory,
                  strerror(errno));
        status = CLI_EXIT_FAILURE;
    }
    free(directory);
    return status;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat first, second;
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev
           && first.st_ino == second.st_ino;
}
