/* A program outside the project that uses an installed libgdlearn: built by
 * tests/consumer/run.cmake once through find_package(gdlearn) and once through
 * pkg-config. It fits a linear model to data with an exact solution, so the
 * fitted θ can be checked against the coefficients that generated y. */
#include <stdio.h>
#include <string.h>

#include <gdlearn/gdlearn.h>

/* The build system, not the consumer, has to supply the static define (the
 * CMake target's INTERFACE_COMPILE_DEFINITIONS, the .pc's Cflags). */
#if defined(GDLEARN_CONSUMER_EXPECT_STATIC) && !defined(GDLEARN_STATIC_DEFINE)
#error "a static libgdlearn was found but GDLEARN_STATIC_DEFINE is not defined"
#endif
#if !defined(GDLEARN_CONSUMER_EXPECT_STATIC) && defined(GDLEARN_STATIC_DEFINE)
#error "a shared libgdlearn was found but GDLEARN_STATIC_DEFINE is defined"
#endif

#define N_ROWS 8
#define N_FEATURES 2

int main(void)
{
    /* y = 1 + 2·x1 − 3·x2 exactly; the features are not collinear. */
    static const double x[N_ROWS * N_FEATURES] = {
        -1.0, 0.5,  -0.5, -1.0, 0.0, 0.25, 0.5, 1.0,
        1.0,  -0.5, 0.75, 0.0,  -0.25, -0.75, 0.25, 0.5,
    };
    static const double truth[N_FEATURES + 1] = {1.0, 2.0, -3.0};
    double y[N_ROWS];
    for (size_t i = 0; i < N_ROWS; i++) {
        y[i] = truth[0] + truth[1] * x[i * N_FEATURES] + truth[2] * x[i * N_FEATURES + 1];
    }

    if (strcmp(gd_version(), GDLEARN_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s does not match header %s\n", gd_version(),
                GDLEARN_VERSION_STRING);
        return 1;
    }

    gd_data data;
    gd_data_init(&data, x, N_ROWS, N_FEATURES, y);
    gd_model model;
    gd_status st = gd_model_linear(&model, N_FEATURES, 0.0);
    if (st != GD_OK) {
        fprintf(stderr, "gd_model_linear: %s\n", gd_strerror(st));
        return 1;
    }
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_GD;
    options.learning_rate = 0.5;
    options.tolerance = 1e-10;
    double theta[N_FEATURES + 1];
    gd_report report;
    st = gd_fit(&model, &data, &options, theta, &report);
    if (st != GD_OK) {
        fprintf(stderr, "gd_fit: %s\n", gd_strerror(st));
        return 1;
    }
    printf("gdlearn %s: theta = [%.9f, %.9f, %.9f] after %zu iterations (%s)\n", gd_version(),
           theta[0], theta[1], theta[2], report.iterations, gd_stop_name(report.stop));
    if (report.stop != GD_STOP_CONVERGED) {
        fprintf(stderr, "the fit did not converge\n");
        return 1;
    }
    for (size_t j = 0; j <= N_FEATURES; j++) {
        /* No fabs: main.c must not need libm of its own, so that a static
         * link proves the package brings -lm for libgdlearn.a. */
        double err = theta[j] - truth[j];
        err = err < 0.0 ? -err : err;
        if (!(err < 1e-6)) {
            fprintf(stderr, "theta[%zu] = %.12g, expected %.12g\n", j, theta[j], truth[j]);
            return 1;
        }
    }
    return 0;
}
