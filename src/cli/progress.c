/* Live progress of a fit on a terminal: one line on stderr, redrawn at most
 * ~10 times a second so that drawing never costs the fit noticeable time. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_PROGRESS_INTERVAL 0.1 /* seconds between redraws */

void cli_progress_init(cli_progress *progress, int show)
{
    memset(progress, 0, sizeof *progress);
    progress->show = show;
    progress->started = cli_now();
    progress->last_draw = progress->started;
}

static void draw(cli_progress *progress, size_t iteration, double loss, double grad_max,
                 double now)
{
    const double elapsed = now - progress->started;
    const double rate = elapsed > 0.0 ? (double)iteration / elapsed : 0.0;
    /* "\r" returns to the start of the line and "\033[K" clears what a longer
     * previous line left behind. */
    fprintf(stderr, "\riteration %zu  objective %.10g  grad_max %.3e  %.0f it/s\033[K",
            iteration, loss, grad_max, rate);
    fflush(stderr);
    progress->drawn = 1;
    progress->last_draw = now;
}

int cli_progress_callback(const gd_progress *state, void *user)
{
    cli_progress *progress = user;
    progress->latest = *state;
    progress->latest.theta = NULL; /* valid only during this call */
    progress->seen = 1;
    if (progress->show) {
        const double now = cli_now();
        if (now - progress->last_draw >= CLI_PROGRESS_INTERVAL) {
            draw(progress, state->iteration, state->loss, state->grad_max, now);
        }
    }
    return cli_interrupted();
}

void cli_progress_end(cli_progress *progress, const gd_report *report)
{
    if (!progress->show) {
        return;
    }
    if (report != NULL && report->stop != GD_STOP_NONE) {
        draw(progress, report->iterations, report->loss, report->grad_max, cli_now());
    } else if (progress->seen) {
        draw(progress, progress->latest.iteration, progress->latest.loss,
             progress->latest.grad_max, cli_now());
    }
    if (progress->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}
