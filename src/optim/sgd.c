/* Mini-batch stochastic gradient descent (docs/optimizers.md):
 * each epoch visits the rows in a fresh seeded shuffle, in batches of
 * batch_size rows (the last batch of an epoch may be smaller), and steps
 * θ ← θ − α_e ∇L_B(θ) with α_e = α / (1 + decay·e) in epoch e = 0, 1, ….
 *
 * A batch's rows are gathered into workspace so the model sees an ordinary
 * contiguous gd_data view of them; a batch whose weights sum to zero carries
 * no information and is skipped. report->iterations counts updates. The
 * stopping rules see the full objective and gradient, evaluated once per
 * epoch (and when max_iter updates are reached mid-epoch); the callback is
 * called there too. A non-finite value anywhere stops with GD_ERR_DIVERGED
 * and θ back at the last such check, whose loss and gradient the report holds. */
#include <math.h>
#include <string.h>

#include "optim/optim.h"

/* The shuffle's stream is offset from the seed so that it is not the one
 * GD_INIT_RANDOM drew θ from. */
#define SGD_STREAM UINT64_C(0x5347445f5348554c)

static size_t batch_rows(const gd_options *options, const gd_data *data)
{
    return options->batch_size < data->n_rows ? options->batch_size : data->n_rows;
}

int gdi_sgd_work_size(const gd_options *options, size_t n_params, const gd_data *data,
                      size_t *doubles, size_t *indices)
{
    size_t vectors, per_row, batch;
    if (!gdi_mul_size(2, n_params, &vectors) || !gdi_add_size(data->n_features, 2, &per_row)
        || !gdi_mul_size(batch_rows(options, data), per_row, &batch)
        || !gdi_add_size(vectors, batch, doubles)) {
        return 0;
    }
    *indices = data->n_rows;
    return 1;
}

/* Uniform in [0, bound) without modulo bias: reject the few draws below
 * 2⁶⁴ mod bound. */
static size_t draw_below(gdi_rng *rng, size_t bound)
{
    const uint64_t limit = (uint64_t)bound;
    const uint64_t threshold = (0 - limit) % limit;
    uint64_t r;
    do {
        r = gdi_rng_next(rng);
    } while (r < threshold);
    return (size_t)(r % limit);
}

static void shuffle(gdi_rng *rng, size_t *order, size_t n)
{
    for (size_t i = n; i > 1; --i) {
        size_t j = draw_below(rng, i);
        size_t swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
}

typedef struct batch_space {
    double *x;
    double *y;
    double *weights;
} batch_space;

/* Copy rows order[0 .. rows) into the batch; returns the batch's weight sum
 * (rows when the data has no weights). */
static double gather(const gd_data *data, const size_t *order, size_t rows,
                     const batch_space *space, gd_data *batch)
{
    const size_t m = data->n_features;
    const size_t ldx = gdi_ldx(data);
    double weight_sum = 0.0;
    for (size_t i = 0; i < rows; ++i) {
        const size_t row = order[i];
        if (m > 0) {
            memcpy(space->x + i * m, data->x + row * ldx, m * sizeof *space->x);
        }
        if (data->y != NULL) {
            space->y[i] = data->y[row];
        }
        if (data->weights != NULL) {
            space->weights[i] = data->weights[row];
            weight_sum += data->weights[row];
        } else {
            weight_sum += 1.0;
        }
    }
    batch->x = m > 0 ? space->x : NULL;
    batch->n_rows = rows;
    batch->n_features = m;
    batch->ldx = m;
    batch->y = data->y != NULL ? space->y : NULL;
    batch->weights = data->weights != NULL ? space->weights : NULL;
    return weight_sum;
}

/* Stop at the θ of the last check: the report still holds its loss and
 * gradient norm. */
static gd_status fall_back(gdi_monitor *monitor, const gdi_problem *problem, double *theta,
                           const double *theta_checked, gd_status status)
{
    gd_report *report = monitor->report;
    memcpy(theta, theta_checked, problem->n_params * sizeof *theta);
    report->evaluations = problem->evaluations;
    report->stop = status != GD_OK ? GD_STOP_ERROR : GD_STOP_DIVERGED;
    return status != GD_OK ? status : GD_ERR_DIVERGED;
}

gd_status gdi_optimize_sgd(gdi_problem *problem, gdi_monitor *monitor, double *theta,
                           double *work, size_t *order)
{
    const size_t n = problem->n_params;
    const gd_options *options = monitor->options;
    const gd_data *data = problem->data;
    const size_t batch_size = batch_rows(options, data);
    double *grad = work;
    double *theta_checked = work + n;
    const batch_space space = {
        .x = work + 2 * n,
        .y = work + 2 * n + batch_size * data->n_features,
        .weights = work + 2 * n + batch_size * (data->n_features + 1),
    };
    gd_report *report = monitor->report;
    double loss;
    int finite;

    gd_status status = gdi_start(problem, monitor, theta, &loss, grad);
    if (status != GD_OK) {
        return status;
    }
    gdi_rng rng;
    gdi_rng_seed(&rng, options->seed ^ SGD_STREAM);
    for (size_t i = 0; i < data->n_rows; ++i) {
        order[i] = i;
    }

    double step = 0.0;
    for (size_t epoch = 0;; ++epoch) {
        gd_stop stop = gdi_monitor_check(monitor, problem, theta, loss, grad, step);
        if (stop == GD_STOP_NONE && options->max_epochs > 0 && epoch >= options->max_epochs) {
            report->stop = GD_STOP_MAX_EPOCHS;
            stop = GD_STOP_MAX_EPOCHS;
        }
        if (stop != GD_STOP_NONE) {
            return GD_OK;
        }
        memcpy(theta_checked, theta, n * sizeof *theta);
        const double rate = options->learning_rate / (1.0 + options->decay * (double)epoch);
        shuffle(&rng, order, data->n_rows);

        /* A model that reads no rows gets one full step per epoch. */
        size_t start = 0;
        do {
            gd_data batch = *data;
            if (data->n_rows > 0) {
                size_t rows = data->n_rows - start;
                rows = rows < batch_size ? rows : batch_size;
                const double weight_sum = gather(data, order + start, rows, &space, &batch);
                start += rows;
                /* A batch of zero weight moves nothing; one of subnormal
                 * weights alone would overflow the objective's 1/S. */
                if (!(weight_sum > 0.0) || !isfinite(1.0 / weight_sum)) {
                    continue;
                }
            }
            double batch_loss;
            status = gdi_eval_on(problem, &batch, theta, &batch_loss, grad, &finite);
            if (status != GD_OK || !finite) {
                return fall_back(monitor, problem, theta, theta_checked, status);
            }
            for (size_t j = 0; j < n; ++j) {
                theta[j] -= rate * grad[j];
            }
            if (!gdi_all_finite(theta, n)) {
                return fall_back(monitor, problem, theta, theta_checked, GD_OK);
            }
            report->iterations += 1;
        } while (start < data->n_rows && report->iterations < options->max_iter);

        step = rate;
        status = gdi_eval(problem, theta, &loss, grad, &finite);
        if (status != GD_OK || !finite) {
            return fall_back(monitor, problem, theta, theta_checked, status);
        }
    }
}
