/* gdlearn-bench: how close one loss+gradient evaluation of the built-in models
 * comes to the memory limit — the time to stream a buffer as large as X once
 * with the same number of threads (the faster of two ways of reading it,
 * bench_sys.h) — measured in the same run, on synthetic
 * data made in memory. Not a test (ctest does not run it); run it by hand on
 * a Release build:
 *
 *   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-release -j --target gdlearn_bench
 *   ./build-release/tests/bench/gdlearn-bench [--threads N] [--case NAME] [--reps N]
 *
 * Output: one JSON line describing the machine and OpenBLAS, then one JSON
 * line per case (docs/performance.md explains every field). Each case runs
 * in its own child process so that its peak RSS is its own. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdlearn/gdlearn.h>

#include "bench_data.h"
#include "bench_sys.h"

typedef struct bench_case {
    const char *name;
    gd_model_kind kind;
    size_t n_rows;
    size_t n_features;
    size_t n_classes;
} bench_case;

static const bench_case cases[] = {
    {"linear-1e6x50", GD_MODEL_LINEAR, 1000000, 50, 0},
    {"linear-2e5x500", GD_MODEL_LINEAR, 200000, 500, 0},
    {"logistic-1e6x50", GD_MODEL_LOGISTIC, 1000000, 50, 2},
    {"logistic-2e5x500", GD_MODEL_LOGISTIC, 200000, 500, 2},
    {"softmax-2e5x100x10", GD_MODEL_SOFTMAX, 200000, 100, 10},
};
#define N_CASES (sizeof cases / sizeof cases[0])

#define MAX_SELECTED 16

typedef struct bench_settings {
    const char *selected[MAX_SELECTED]; /* --case values (names or prefixes) */
    size_t n_selected;
    unsigned threads;
    size_t reps;
    size_t rows;      /* 0: the case's own */
    size_t features;  /* 0: the case's own */
    size_t classes;   /* 0: the case's own */
    double l2;        /* < 0: 0 for linear, 1/n for classifiers */
    int fit;
    int gram;         /* --gram: the fit of linear cases through XᵀX */
    double fit_tol;
    unsigned long long seed;
    int fork_cases;
    double pause_ms;  /* idle time before each memory-limit read and each evaluation */
    const char *write_csv;
    const char *write_libsvm;
} bench_settings;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gdlearn-bench [options]\n"
            "  --case NAME      run the case NAME, or every case whose name starts with NAME\n"
            "                   (repeatable; default: all; --list names them)\n"
            "  --threads N      threads of the evaluation (gd_model.n_threads) and of the\n"
            "                   memory-limit read (default: CPUs online)\n"
            "  --reps N         timed repetitions of each; medians are reported (default 11)\n"
            "  --rows N, --features M, --classes K   override the case's sizes\n"
            "  --l2 LAMBDA      λ (default 0 for linear, 1/n for classifiers)\n"
            "  --no-fit         skip the gd_fit (lbfgs) timing\n"
            "  --fit-tol E      gradient max-norm tolerance of that fit (default 1e-6)\n"
            "  --gram           that fit through XᵀX for the linear cases (linear_gram)\n"
            "  --seed S         data seed (default 42)\n"
            "  --pause-ms T     idle time before each memory-limit read and before each\n"
            "                   evaluation (default 0: both measured warm, back to back)\n"
            "  --no-fork        run every case in this process (peak RSS then accumulates)\n"
            "  --limit-loads L  the memory-limit reads in loads no wider than L (avx512,\n"
            "                   avx2 or c), as a CPU without the wider ones would read X\n"
            "  --write-csv PATH, --write-libsvm PATH   write one case's data and exit\n"
            "  --list           print the case names\n");
}

static int parse_size(const char *text, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > SIZE_MAX) {
        return -1;
    }
    *out = (size_t)value;
    return 0;
}

static int parse_double(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(value == value)) {
        return -1;
    }
    *out = value;
    return 0;
}

static int takes_value(const char *arg)
{
    static const char *const names[] = {"--case", "--threads", "--reps", "--rows",
                                        "--features", "--classes", "--l2", "--pause-ms",
                                        "--fit-tol", "--seed", "--write-csv", "--write-libsvm",
                                        "--limit-loads"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
        if (strcmp(arg, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int parse_args(int argc, char **argv, bench_settings *s)
{
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        size_t size = 0;
        int bad = 0;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(arg, "--list") == 0) {
            for (size_t c = 0; c < N_CASES; ++c) {
                printf("%s\n", cases[c].name);
            }
            exit(0);
        } else if (strcmp(arg, "--gram") == 0) {
            s->gram = 1;
            continue;
        } else if (strcmp(arg, "--no-fit") == 0) {
            s->fit = 0;
            continue;
        } else if (strcmp(arg, "--no-fork") == 0) {
            s->fork_cases = 0;
            continue;
        } else if (!takes_value(arg)) {
            fprintf(stderr, "gdlearn-bench: unknown option '%s'\n", arg);
            usage(stderr);
            return -1;
        } else if (value == NULL) {
            bad = 1;
        } else if (strcmp(arg, "--case") == 0) {
            if (s->n_selected == MAX_SELECTED) {
                bad = 1;
            } else {
                s->selected[s->n_selected++] = value;
            }
        } else if (strcmp(arg, "--threads") == 0) {
            bad = parse_size(value, &size) != 0 || size == 0 || size > 1024;
            s->threads = (unsigned)size;
        } else if (strcmp(arg, "--reps") == 0) {
            bad = parse_size(value, &s->reps) != 0 || s->reps == 0;
        } else if (strcmp(arg, "--rows") == 0) {
            bad = parse_size(value, &s->rows) != 0 || s->rows == 0;
        } else if (strcmp(arg, "--features") == 0) {
            bad = parse_size(value, &s->features) != 0 || s->features == 0;
        } else if (strcmp(arg, "--classes") == 0) {
            bad = parse_size(value, &s->classes) != 0 || s->classes < 2;
        } else if (strcmp(arg, "--l2") == 0) {
            bad = parse_double(value, &s->l2) != 0 || s->l2 < 0.0;
        } else if (strcmp(arg, "--pause-ms") == 0) {
            bad = parse_double(value, &s->pause_ms) != 0 || s->pause_ms < 0.0 ||
                  s->pause_ms > 1e5;
        } else if (strcmp(arg, "--fit-tol") == 0) {
            bad = parse_double(value, &s->fit_tol) != 0 || s->fit_tol < 0.0;
        } else if (strcmp(arg, "--seed") == 0) {
            bad = parse_size(value, &size) != 0;
            s->seed = size;
        } else if (strcmp(arg, "--write-csv") == 0) {
            s->write_csv = value;
        } else if (strcmp(arg, "--write-libsvm") == 0) {
            s->write_libsvm = value;
        } else if (strcmp(arg, "--limit-loads") == 0) {
            bad = bench_limit_read_loads(value) != 0;
        }
        if (bad) {
            fprintf(stderr, "gdlearn-bench: bad or missing value for %s\n", arg);
            return -1;
        }
        ++i;
    }
    return 0;
}

static int case_selected(const bench_settings *s, const bench_case *c)
{
    if (s->n_selected == 0) {
        return 1;
    }
    for (size_t i = 0; i < s->n_selected; ++i) {
        if (strncmp(c->name, s->selected[i], strlen(s->selected[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *kind_name(gd_model_kind kind)
{
    return kind == GD_MODEL_LINEAR ? "linear" : kind == GD_MODEL_LOGISTIC ? "logistic" : "softmax";
}

/* The case with the settings' size overrides applied; a case whose sizes
 * were changed is named after them ("linear-20000x50"), in `name`. */
static bench_case case_sized(const bench_settings *s, const bench_case *c, char *name,
                             size_t name_size)
{
    bench_case sized = *c;
    if (s->rows != 0) {
        sized.n_rows = s->rows;
    }
    if (s->features != 0) {
        sized.n_features = s->features;
    }
    if (s->classes != 0 && c->kind == GD_MODEL_SOFTMAX) {
        sized.n_classes = s->classes;
    }
    if (sized.n_rows != c->n_rows || sized.n_features != c->n_features ||
        sized.n_classes != c->n_classes) {
        if (sized.kind == GD_MODEL_SOFTMAX) {
            snprintf(name, name_size, "%s-%zux%zux%zu", kind_name(sized.kind), sized.n_rows,
                     sized.n_features, sized.n_classes);
        } else {
            snprintf(name, name_size, "%s-%zux%zu", kind_name(sized.kind), sized.n_rows,
                     sized.n_features);
        }
        sized.name = name;
    }
    return sized;
}

static double case_l2(const bench_settings *s, const bench_case *c)
{
    if (s->l2 >= 0.0) {
        return s->l2;
    }
    return c->kind == GD_MODEL_LINEAR ? 0.0 : 1.0 / (double)c->n_rows;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void print_json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; ++p) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static gd_status make_model(const bench_case *c, double l2, gd_model *model)
{
    switch (c->kind) {
    case GD_MODEL_LINEAR:
        return gd_model_linear(model, c->n_features, l2);
    case GD_MODEL_LOGISTIC:
        return gd_model_logistic(model, c->n_features, l2);
    default:
        return gd_model_softmax(model, c->n_features, c->n_classes, l2);
    }
}

typedef struct fit_result {
    int done;
    gd_status status;
    gd_report report;
} fit_result;

static void run_fit(const gd_model *model, const gd_data *data, double tolerance, int gram,
                    fit_result *result)
{
    result->done = 0;
    double *theta = calloc(model->n_params, sizeof *theta);
    if (theta == NULL) {
        return;
    }
    gd_options options;
    gd_options_init(&options);
    options.optimizer = GD_OPTIMIZER_LBFGS;
    options.tolerance = tolerance;
    options.max_iter = 10000;
    options.linear_gram = gram && model->kind == GD_MODEL_LINEAR;
    result->status = gd_fit(model, data, &options, theta, &result->report);
    result->done = 1;
    free(theta);
}

/* Time one case and print its JSON line. Returns 0 or 1. */
static int run_case(const bench_settings *s, const bench_case *c)
{
    double load_before = bench_load1();
    double started = bench_now();
    bench_data generated;
    if (bench_data_make(&generated, c->kind, c->n_rows, c->n_features, c->n_classes,
                        s->seed) != 0) {
        fprintf(stderr, "gdlearn-bench: %s: out of memory making the data\n", c->name);
        return 1;
    }
    fprintf(stderr, "gdlearn-bench: %s: data made in %.2f s\n", c->name, bench_now() - started);

    const double l2 = case_l2(s, c);
    gd_model model;
    gd_status status = make_model(c, l2, &model);
    gd_data data;
    gd_data_init(&data, generated.x, c->n_rows, c->n_features, generated.y);
    if (status == GD_OK) {
        status = gd_data_validate(&data, 1);
    }
    if (status != GD_OK) {
        fprintf(stderr, "gdlearn-bench: %s: %s\n", c->name, gd_strerror(status));
        bench_data_free(&generated);
        return 1;
    }
    model.n_threads = s->threads;

    size_t work_doubles = model.work_size != NULL ? model.work_size(&model, c->n_rows) : 0;
    double *work = malloc((work_doubles > 0 ? work_doubles : 1) * sizeof *work);
    double *theta = malloc(model.n_params * sizeof *theta);
    double *grad = malloc(model.n_params * sizeof *grad);
    double *eval_seconds = malloc(s->reps * sizeof *eval_seconds);
    double *limit_seconds = malloc(s->reps * sizeof *limit_seconds);
    double *rows_seconds = malloc(s->reps * sizeof *rows_seconds);
    double *scalar_seconds = malloc(s->reps * sizeof *scalar_seconds);
    int failed = work == NULL || theta == NULL || grad == NULL || eval_seconds == NULL ||
                 limit_seconds == NULL || rows_seconds == NULL || scalar_seconds == NULL;
    double loss = 0.0;
    const size_t x_doubles = c->n_rows * c->n_features;
    if (!failed) {
        /* Half-way between 0 and the generating θ: a typical iterate. */
        for (size_t j = 0; j < model.n_params; ++j) {
            theta[j] = 0.5 * generated.theta_true[j];
        }
        /* One untimed round of each (thread start-up, first touch of buffers). */
        bench_sleep(1e-3 * s->pause_ms);
        failed = bench_stream_read(generated.x, x_doubles, s->threads) < 0.0 ||
                 bench_stream_read_rows(generated.x, c->n_rows, c->n_features, s->threads) < 0.0 ||
                 bench_stream_read_scalar(generated.x, x_doubles, s->threads) < 0.0 ||
                 model.loss_grad(&model, theta, &data, &loss, grad, work) != GD_OK;
    }
    /* Interleaved, so that both see the same machine, and each after the
     * same idle time (none by default). An idle pause before the read only
     * made the read slow and bimodal on a 2-vCPU VM (1e6×50: 21 or 27 ms
     * instead of a steady 19–20 ms warm) while the evaluation, straight
     * after it, ran warm: a flattering ratio. */
    for (size_t r = 0; r < s->reps && !failed; ++r) {
        bench_sleep(1e-3 * s->pause_ms);
        limit_seconds[r] = bench_stream_read(generated.x, x_doubles, s->threads);
        bench_sleep(1e-3 * s->pause_ms);
        rows_seconds[r] =
            bench_stream_read_rows(generated.x, c->n_rows, c->n_features, s->threads);
        bench_sleep(1e-3 * s->pause_ms);
        scalar_seconds[r] = bench_stream_read_scalar(generated.x, x_doubles, s->threads);
        bench_sleep(1e-3 * s->pause_ms);
        double t0 = bench_now();
        status = model.loss_grad(&model, theta, &data, &loss, grad, work);
        eval_seconds[r] = bench_now() - t0;
        failed = limit_seconds[r] < 0.0 || rows_seconds[r] < 0.0 || scalar_seconds[r] < 0.0 ||
                 status != GD_OK;
    }
    if (failed) {
        fprintf(stderr, "gdlearn-bench: %s: the timing failed (%s)\n", c->name,
                status != GD_OK ? gd_strerror(status) : "memory or threads");
        free(work);
        free(theta);
        free(grad);
        free(eval_seconds);
        free(limit_seconds);
        free(rows_seconds);
        free(scalar_seconds);
        bench_data_free(&generated);
        return 1;
    }
    const double eval_min_ms = 1e3 * bench_min(eval_seconds, s->reps);
    /* The limit is the faster of two reads of X in the widest loads this CPU
     * has: one stream per thread, and 8 rows side by side (bench_sys.h), by
     * median. The plain-C one-stream read (one of the two reads of the limit
     * before 27 Nov 2026, 13:00 UTC) is reported
     * beside it, not used. */
    const double stream_ms = 1e3 * bench_median(limit_seconds, s->reps);
    const double rows8_ms = 1e3 * bench_median(rows_seconds, s->reps);
    const int rows8_faster = rows8_ms < stream_ms;
    const double limit_min_ms =
        1e3 * bench_min(rows8_faster ? rows_seconds : limit_seconds, s->reps);
    const double ms_per_eval = 1e3 * bench_median(eval_seconds, s->reps);
    const double limit_ms = rows8_faster ? rows8_ms : stream_ms;
    const double x_mb = (double)x_doubles * sizeof(double) / (1024.0 * 1024.0);

    fit_result fit = {0, GD_OK, {0}};
    if (s->fit) {
        fprintf(stderr, "gdlearn-bench: %s: fitting (lbfgs)\n", c->name);
        run_fit(&model, &data, s->fit_tol, s->gram, &fit);
    }
    const double peak_rss_mb = bench_peak_rss_mb();

    printf("{\"case\":");
    print_json_string(c->name);
    printf(",\"n\":%zu,\"m\":%zu,\"k\":%zu,\"ms_per_eval\":%.4f,\"limit_ms\":%.4f,"
           "\"ratio\":%.3f,\"peak_rss_mb\":%.1f",
           c->n_rows, c->n_features, generated.n_classes, ms_per_eval, limit_ms,
           ms_per_eval / limit_ms, peak_rss_mb);
    printf(",\"model\":\"%s\",\"threads\":%u,\"reps\":%zu,\"eval_min_ms\":%.4f,"
           "\"limit_min_ms\":%.4f,\"x_mb\":%.1f,\"limit_gb_per_s\":%.2f,\"l2\":%.17g,"
           "\"pause_ms\":%g,\"load1\":%.2f,\"limit_stream_ms\":%.4f,\"limit_rows8_ms\":%.4f,"
           "\"limit_loads\":\"%s\",\"read_scalar_ms\":%.4f",
           kind_name(c->kind), s->threads, s->reps, eval_min_ms, limit_min_ms, x_mb,
           (double)x_doubles * sizeof(double) / (limit_ms * 1e6), l2, s->pause_ms,
           load_before, stream_ms, rows8_ms, bench_read_loads(),
           1e3 * bench_median(scalar_seconds, s->reps));
    if (fit.done) {
        printf(",\"fit_gram\":%s", s->gram && c->kind == GD_MODEL_LINEAR ? "true" : "false");
        printf(",\"fit_optimizer\":\"lbfgs\",\"fit_tol\":%.3g,\"fit_ms\":%.1f,"
               "\"fit_iterations\":%zu,\"fit_evaluations\":%zu,\"fit_ms_per_evaluation\":%.4f,"
               "\"fit_loss\":%.17g,\"fit_grad_max\":%.3g,\"fit_stop\":\"%s\",\"fit_status\":",
               s->fit_tol, 1e3 * fit.report.seconds, fit.report.iterations,
               fit.report.evaluations,
               fit.report.evaluations > 0
                   ? 1e3 * fit.report.seconds / (double)fit.report.evaluations
                   : 0.0,
               fit.report.loss, fit.report.grad_max, gd_stop_name(fit.report.stop));
        print_json_string(gd_strerror(fit.status));
    }
    printf("}\n");
    fflush(stdout);

    free(work);
    free(theta);
    free(grad);
    free(eval_seconds);
    free(limit_seconds);
    free(rows_seconds);
    free(scalar_seconds);
    bench_data_free(&generated);
    return fit.done || !s->fit ? 0 : 1;
}

/* Run a case in a child process (its own peak RSS), or here with --no-fork. */
static int run_case_isolated(const bench_settings *s, const bench_case *c)
{
    if (!s->fork_cases) {
        return run_case(s, c);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        perror("gdlearn-bench: fork");
        return run_case(s, c);
    }
    if (child == 0) {
        int result = run_case(s, c);
        fflush(stdout);
        fflush(stderr);
        _exit(result);
    }
    int wstatus = 0;
    if (waitpid(child, &wstatus, 0) != child) {
        perror("gdlearn-bench: waitpid");
        return 1;
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fprintf(stderr, "gdlearn-bench: %s: the case failed\n", c->name);
        return 1;
    }
    return 0;
}

static void print_info(const bench_settings *s)
{
    char cpu[256];
    bench_cpu_model(cpu, sizeof cpu);
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    const char *blas_threads = getenv("OPENBLAS_NUM_THREADS");
    printf("{\"info\":\"gdlearn-bench\",\"gdlearn\":");
    print_json_string(gd_version());
    printf(",\"cpu\":");
    print_json_string(cpu);
    printf(",\"cpus_online\":%u,\"threads\":%u,\"reps\":%zu,\"openblas_core\":",
           bench_cpus_online(), s->threads, s->reps);
    print_json_string(bench_blas_core());
    printf(",\"openblas_config\":");
    print_json_string(bench_blas_config());
    printf(",\"openblas_threads\":%d,\"OPENBLAS_CORETYPE\":", bench_blas_threads());
    if (coretype != NULL) {
        print_json_string(coretype);
    } else {
        printf("null");
    }
    printf(",\"OPENBLAS_NUM_THREADS\":");
    if (blas_threads != NULL) {
        print_json_string(blas_threads);
    } else {
        printf("null");
    }
    printf(",\"load1\":%.2f}\n", bench_load1());
    fflush(stdout);
}

/* --write-csv / --write-libsvm: one case's data to files, no timing. */
static int write_data(const bench_settings *s)
{
    const bench_case *chosen = NULL;
    for (size_t i = 0; i < N_CASES; ++i) {
        if (case_selected(s, &cases[i])) {
            chosen = &cases[i];
            break;
        }
    }
    if (chosen == NULL) {
        fprintf(stderr, "gdlearn-bench: no such case (see --list)\n");
        return 2;
    }
    char name[96];
    bench_case c = case_sized(s, chosen, name, sizeof name);
    bench_data generated;
    if (bench_data_make(&generated, c.kind, c.n_rows, c.n_features, c.n_classes, s->seed) != 0) {
        fprintf(stderr, "gdlearn-bench: out of memory\n");
        return 1;
    }
    int result = 0;
    if (s->write_csv != NULL && bench_data_write_csv(&generated, s->write_csv) != 0) {
        fprintf(stderr, "gdlearn-bench: cannot write %s\n", s->write_csv);
        result = 1;
    }
    if (s->write_libsvm != NULL && bench_data_write_libsvm(&generated, s->write_libsvm) != 0) {
        fprintf(stderr, "gdlearn-bench: cannot write %s\n", s->write_libsvm);
        result = 1;
    }
    bench_data_free(&generated);
    return result;
}

int main(int argc, char **argv)
{
    bench_settings s;
    memset(&s, 0, sizeof s);
    s.threads = bench_cpus_online();
    s.reps = 11;
    s.l2 = -1.0;
    s.fit = 1;
    s.fit_tol = 1e-6;
    s.seed = 42;
    s.fork_cases = 1;
    s.pause_ms = 0.0;
    if (parse_args(argc, argv, &s) != 0) {
        return 2;
    }
    if (s.write_csv != NULL || s.write_libsvm != NULL) {
        return write_data(&s);
    }
    if (s.reps < 10) {
        fprintf(stderr, "gdlearn-bench: note: --reps %zu < 10; medians are less reliable\n",
                s.reps);
    }
    int any = 0;
    for (size_t i = 0; i < N_CASES; ++i) {
        any |= case_selected(&s, &cases[i]);
    }
    if (!any) {
        fprintf(stderr, "gdlearn-bench: no such case (see --list)\n");
        return 2;
    }
    print_info(&s);
    int failures = 0;
    for (size_t i = 0; i < N_CASES; ++i) {
        if (!case_selected(&s, &cases[i])) {
            continue;
        }
        char name[96];
        bench_case c = case_sized(&s, &cases[i], name, sizeof name);
        failures += run_case_isolated(&s, &c);
    }
    return failures == 0 ? 0 : 1;
}
