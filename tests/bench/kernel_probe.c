/* Probe of the one-pass loss+gradient kernels (not a test: run it by hand on
 * a release build). For an n × m problem (default 1M × 50) it prints the best
 * of R runs, in ms per evaluation, of:
 *   - a streaming read of X (the sum of all elements) on 1 and 2 threads: the
 *     memory-bound floor of one pass;
 *   - two full passes through OpenBLAS (Z = Xw, then Xᵀr), as before one pass;
 *   - loss+gradient of linear and logistic regression (and softmax, k = 3)
 *     with gd_model.n_threads = 1, 2 and 0 (the default).
 * Usage: kernel_probe [n [m [R]]] */
#define _POSIX_C_SOURCE 200809L

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdlearn/gdlearn.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile double sink;

typedef struct stream_part {
    const double *x;
    size_t n;
    double sum;
} stream_part;

static void *stream_part_run(void *arg)
{
    stream_part *part = arg;
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= part->n; i += 8) {
        for (size_t a = 0; a < 8; ++a) {
            acc[a] += part->x[i + a];
        }
    }
    for (; i < part->n; ++i) {
        acc[0] += part->x[i];
    }
    part->sum = acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7];
    return NULL;
}

static double stream_read(const double *x, size_t n, int threads)
{
    stream_part parts[2] = {{x, threads == 2 ? n / 2 : n, 0.0},
                            {x + n / 2, n - n / 2, 0.0}};
    pthread_t thread;
    const double start = now();
    if (threads == 2 && pthread_create(&thread, NULL, stream_part_run, &parts[1]) != 0) {
        return -1.0;
    }
    stream_part_run(&parts[0]);
    if (threads == 2) {
        pthread_join(thread, NULL);
    }
    const double elapsed = now() - start;
    sink = sink + parts[0].sum + parts[1].sum;
    return elapsed;
}

static double two_passes(const double *x, const double *y, size_t n, size_t m, const double *w,
                         double *z, double *g)
{
    const double start = now();
    for (size_t i = 0; i < n; ++i) {
        z[i] = 0.1;
    }
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)m, 1.0, x, (int)m, w, 1, 1.0, z, 1);
    for (size_t i = 0; i < n; ++i) {
        z[i] -= y[i];
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)m, 1.0, x, (int)m, z, 1, 0.0, g, 1);
    return now() - start;
}

static double evaluate(const gd_model *model, const gd_data *data, const double *theta,
                       double *grad, double *work)
{
    double loss;
    const double start = now();
    if (model->loss_grad(model, theta, data, &loss, grad, work) != GD_OK) {
        return -1.0;
    }
    const double elapsed = now() - start;
    sink = sink + loss;
    return elapsed;
}

static void report(const char *label, double best)
{
    printf("%-44s %9.2f ms\n", label, best * 1e3);
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    const size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 50;
    const int repeats = argc > 3 ? atoi(argv[3]) : 7;
    const size_t k = 3;
    double *x = malloc(n * m * sizeof *x);
    double *y = malloc(n * sizeof *y);
    double *labels = malloc(n * sizeof *labels);
    double *classes = malloc(n * sizeof *classes);
    double *z = malloc(n * sizeof *z);
    double *theta = calloc((m + 1) * k, sizeof *theta);
    double *grad = calloc((m + 1) * k, sizeof *grad);
    if (x == NULL || y == NULL || labels == NULL || classes == NULL || z == NULL
        || theta == NULL || grad == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    srand(1);
    for (size_t i = 0; i < n * m; ++i) {
        x[i] = (double)rand() / RAND_MAX - 0.5;
    }
    for (size_t i = 0; i < n; ++i) {
        y[i] = (double)rand() / RAND_MAX;
        labels[i] = y[i] > 0.5 ? 1.0 : 0.0;
        classes[i] = (double)(i % k);
    }
    for (size_t j = 0; j < (m + 1) * k; ++j) {
        theta[j] = 0.01 * (double)(j % 7);
    }
    printf("n = %zu, m = %zu, best of %d\n", n, m, repeats);

    for (int threads = 1; threads <= 2; ++threads) {
        double best = 1e30;
        for (int r = 0; r < repeats; ++r) {
            const double t = stream_read(x, n * m, threads);
            best = t < best ? t : best;
        }
        char label[64];
        snprintf(label, sizeof label, "stream read of X, %d thread%s", threads,
                 threads > 1 ? "s" : "");
        report(label, best);
    }
    {
        double best = 1e30;
        for (int r = 0; r < repeats; ++r) {
            const double t = two_passes(x, y, n, m, theta + 1, z, grad);
            best = t < best ? t : best;
        }
        report("two full dgemv passes (OpenBLAS threads)", best);
    }

    const char *names[3] = {"linear", "logistic", "softmax k=3"};
    const double *targets[3] = {y, labels, classes};
    for (int which = 0; which < 3; ++which) {
        gd_model model;
        gd_status status = which == 0   ? gd_model_linear(&model, m, 0.0)
                           : which == 1 ? gd_model_logistic(&model, m, 0.0)
                                        : gd_model_softmax(&model, m, k, 0.0);
        if (status != GD_OK) {
            return 1;
        }
        gd_data data;
        gd_data_init(&data, x, n, m, targets[which]);
        const unsigned settings[3] = {1, 2, 0};
        for (int s = 0; s < 3; ++s) {
            model.n_threads = settings[s];
            double *work = malloc((model.work_size(&model, n) + 1) * sizeof *work);
            if (work == NULL) {
                return 1;
            }
            double best = 1e30;
            for (int r = 0; r < repeats; ++r) {
                const double t = evaluate(&model, &data, theta, grad, work);
                best = t < best ? t : best;
            }
            free(work);
            char label[64];
            snprintf(label, sizeof label, "%s loss+grad, n_threads = %u", names[which],
                     settings[s]);
            report(label, best);
        }
    }
    free(x);
    free(y);
    free(labels);
    free(classes);
    free(z);
    free(theta);
    free(grad);
    return 0;
}
