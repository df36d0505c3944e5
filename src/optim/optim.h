/* The optimisers' view of a problem: a model seen only through its function
 * pointers (DESIGN §2: optim never includes a model). Not installed. */
#ifndef GDLEARN_OPTIM_H
#define GDLEARN_OPTIM_H

#include "core/internal.h"

typedef struct gdi_problem {
    const gd_model *model;
    const gd_data *data;  /* never NULL: an empty view for data-free models */
    double *model_work;   /* model->work_size(n_rows) doubles, allocated once */
    size_t n_params;
    size_t evaluations;   /* counted by gdi_eval */
} gdi_problem;

/* Loss and (if grad != NULL) gradient at theta. Returns the model's status.
 * *finite is set to 0 if the loss or the gradient holds NaN/Inf. */
gd_status gdi_eval(gdi_problem *problem, const double *theta, double *loss, double *grad,
                   int *finite);

/* Stopping rules, the callback and the report, shared by every optimiser. */
typedef struct gdi_monitor {
    const gd_options *options;
    gd_report *report;      /* iterations, evaluations, loss, grad_max, stop */
    double tolerance;       /* absolute ε, resolved at the first iterate */
    double previous_loss;
    int started;
} gdi_monitor;

void gdi_monitor_init(gdi_monitor *monitor, const gd_options *options, gd_report *report);

/* Record the current iterate (after report->iterations updates) and decide:
 * GD_STOP_NONE to go on, or the reason to stop. */
gd_stop gdi_monitor_check(gdi_monitor *monitor, const gdi_problem *problem,
                          const double *theta, double loss, const double *grad, double step);

/* Doubles of workspace an optimiser needs for n_params parameters. */
int gdi_optimizer_work_size(const gd_options *options, size_t n_params, size_t *doubles);

/* Run the optimiser chosen in options from theta (in place). work has
 * gdi_optimizer_work_size doubles. Returns GD_OK for a usable θ, or
 * GD_ERR_DIVERGED / GD_ERR_LINE_SEARCH / a model's status. */
gd_status gdi_optimize(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                       double *work);

/* The methods. */
gd_status gdi_optimize_gd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                          double *work);

#endif /* GDLEARN_OPTIM_H */
