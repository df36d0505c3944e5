/* Allocation failure where the caller cannot pass an allocator (issue 6,
 * part 2): gd_objective, gd_check_gradient, gd_predict_class and
 * gd_class_weights_balanced allocate scratch with malloc, as do gd_fit,
 * gd_csv_read* and gd_model_load when given no allocator.
 *
 * This program links the library's object files themselves (not the shared
 * or static library) with the GNU linker's --wrap=malloc --wrap=free, so
 * every malloc the library makes comes here first: while armed, the k-th one
 * is refused (k = 1, 2, … until the call succeeds). Each refused call must
 * give GD_ERR_NOMEM, leave no block live and leave its output untouched
 * (gdlearn.h: "untouched on failure"); the successful call must equal the
 * unwrapped result. Calls from libc and OpenBLAS are not wrapped. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdlearn/gdlearn.h>

/* ---- the wrapped malloc/free ---- */

void *__real_malloc(size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void __wrap_free(void *ptr);

#define MAX_LIVE 64

static struct {
    int armed;
    size_t fail_at; /* 1-based; 0: never */
    size_t calls;
    size_t refused;
    void *live[MAX_LIVE]; /* blocks handed out while armed, not yet freed */
    size_t n_live;
    size_t untracked; /* armed blocks beyond MAX_LIVE (a test failure) */
} wrap;

void *__wrap_malloc(size_t size)
{
    if (!wrap.armed) {
        return __real_malloc(size);
    }
    wrap.calls += 1;
    if (wrap.calls == wrap.fail_at) {
        wrap.refused += 1;
        return NULL;
    }
    void *p = __real_malloc(size);
    if (p != NULL) {
        if (wrap.n_live < MAX_LIVE) {
            wrap.live[wrap.n_live++] = p;
        } else {
            wrap.untracked += 1;
        }
    }
    return p;
}

void __wrap_free(void *ptr)
{
    for (size_t i = 0; i < wrap.n_live; ++i) {
        if (wrap.live[i] == ptr) {
            wrap.live[i] = wrap.live[--wrap.n_live];
            break;
        }
    }
    __real_free(ptr);
}

static void arm(size_t fail_at)
{
    memset(&wrap, 0, sizeof wrap);
    wrap.fail_at = fail_at;
    wrap.armed = 1;
}

static void disarm(void)
{
    wrap.armed = 0;
}

/* ---- the calls under test ---- */

#define N_ROWS 300 /* more than one block of gd_predict_class's scratch */
#define N_FEATURES 2
#define N_CLASSES 3
#define MAX_PARAMS ((N_FEATURES + 1) * N_CLASSES)
#define MAX_OUT (N_ROWS * sizeof(double))
#define SENTINEL 0x5B

typedef struct fixture {
    double x[N_ROWS * N_FEATURES];
    double y_binary[N_ROWS];
    double y_class[N_ROWS];
    double theta[MAX_PARAMS];
    gd_model linear, logistic, softmax;
    gd_data data_linear, data_binary, data_class;
    char csv_path[64];
    char model_path[80];
} fixture;

static fixture fx;

/* A call: writes its output (out_bytes of it) into `out`. */
typedef gd_status (*call_fn)(unsigned char *out);

static gd_status call_objective_linear(unsigned char *out)
{
    return gd_objective(&fx.linear, fx.theta, &fx.data_linear, (double *)(void *)out);
}

static gd_status call_objective_softmax(unsigned char *out)
{
    return gd_objective(&fx.softmax, fx.theta, &fx.data_class, (double *)(void *)out);
}

static gd_status call_check_gradient(unsigned char *out)
{
    return gd_check_gradient(&fx.logistic, &fx.data_binary, fx.theta, 1e-6,
                             (double *)(void *)out);
}

static gd_status call_predict_class_logistic(unsigned char *out)
{
    return gd_predict_class(&fx.logistic, fx.theta, &fx.data_binary, (size_t *)(void *)out);
}

static gd_status call_predict_class_softmax(unsigned char *out)
{
    return gd_predict_class(&fx.softmax, fx.theta, &fx.data_class, (size_t *)(void *)out);
}

static gd_status call_balanced(unsigned char *out)
{
    return gd_class_weights_balanced(&fx.softmax, &fx.data_class, (double *)(void *)out);
}

static gd_status call_fit(unsigned char *out)
{
    gd_options options;
    gd_options_init(&options);
    options.max_iter = 20;
    return gd_fit(&fx.softmax, &fx.data_class, &options, (double *)(void *)out, NULL);
}

/* The table and file structs hold pointers: compare what they read instead. */
static gd_status call_csv(unsigned char *out)
{
    gd_table table;
    gd_status status = gd_csv_read(fx.csv_path, NULL, &table, NULL);
    double *sums = (double *)(void *)out;
    if (status == GD_OK) {
        sums[0] = (double)table.n_rows;
        sums[1] = 0.0;
        for (size_t i = 0; i < table.n_rows * table.n_features; ++i) {
            sums[1] += table.x[i];
        }
        sums[2] = table.column_names != NULL ? (double)strlen(table.column_names[0]) : -1.0;
        gd_table_free(&table);
    } else {
        for (size_t i = 0; i < sizeof table; ++i) {
            if (((unsigned char *)&table)[i] != 0) {
                fail_msg("gd_csv_read: table not zeroed on %s", gd_strerror(status));
            }
        }
    }
    return status;
}

static gd_status call_model_load(unsigned char *out)
{
    gd_model_file file;
    gd_status status = gd_model_load(fx.model_path, NULL, &file, NULL);
    if (status == GD_OK) {
        memcpy(out, file.theta, file.model.n_params * sizeof(double));
        gd_model_file_free(&file);
    }
    return status;
}

typedef struct call_case {
    const char *name;
    call_fn call;
    size_t out_bytes;
} call_case;

static const call_case cases[] = {
    {"gd_objective (linear)", call_objective_linear, sizeof(double)},
    {"gd_objective (softmax)", call_objective_softmax, sizeof(double)},
    {"gd_check_gradient", call_check_gradient, sizeof(double)},
    {"gd_predict_class (logistic)", call_predict_class_logistic, N_ROWS * sizeof(size_t)},
    {"gd_predict_class (softmax)", call_predict_class_softmax, N_ROWS * sizeof(size_t)},
    {"gd_class_weights_balanced", call_balanced, N_ROWS * sizeof(double)},
    {"gd_fit, no allocator", call_fit, MAX_PARAMS * sizeof(double)},
    {"gd_csv_read, no allocator", call_csv, 3 * sizeof(double)},
    {"gd_model_load, no allocator", call_model_load, MAX_PARAMS * sizeof(double)},
};

static int fixture_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS; ++i) {
        const double a = (double)(i % 17) / 4.0 - 2.0;
        const double b = (double)((i * 7) % 13) / 3.0 - 2.0;
        fx.x[i * N_FEATURES] = a;
        fx.x[i * N_FEATURES + 1] = b;
        fx.y_binary[i] = a - 0.5 * b + 0.1 * (double)(i % 3) > 0.0 ? 1.0 : 0.0;
        fx.y_class[i] = (double)((i % 5 == 0) ? 2 : (a > 0.0 ? 1 : 0));
    }
    for (size_t j = 0; j < MAX_PARAMS; ++j) {
        fx.theta[j] = 0.1 * (double)j - 0.2;
    }
    if (gd_model_linear(&fx.linear, N_FEATURES, 0.0) != GD_OK
        || gd_model_logistic(&fx.logistic, N_FEATURES, 0.1) != GD_OK
        || gd_model_softmax(&fx.softmax, N_FEATURES, N_CLASSES, 0.1) != GD_OK) {
        return -1;
    }
    gd_data_init(&fx.data_linear, fx.x, N_ROWS, N_FEATURES, fx.y_binary);
    gd_data_init(&fx.data_binary, fx.x, N_ROWS, N_FEATURES, fx.y_binary);
    gd_data_init(&fx.data_class, fx.x, N_ROWS, N_FEATURES, fx.y_class);

    snprintf(fx.csv_path, sizeof fx.csv_path, "/tmp/gdlearn_robust_malloc_XXXXXX");
    int fd = mkstemp(fx.csv_path);
    if (fd < 0) {
        return -1;
    }
    FILE *stream = fdopen(fd, "w");
    if (stream == NULL) {
        return -1;
    }
    fprintf(stream, "first,second,label\n");
    for (size_t i = 0; i < N_ROWS; ++i) {
        fprintf(stream, "%.17g,%.17g,%g\n", fx.x[i * 2], fx.x[i * 2 + 1], fx.y_class[i]);
    }
    if (fclose(stream) != 0) {
        return -1;
    }
    snprintf(fx.model_path, sizeof fx.model_path, "%s.model", fx.csv_path);
    gd_model_file file;
    memset(&file, 0, sizeof file);
    file.model = fx.softmax;
    file.theta = fx.theta;
    file.n_columns = N_FEATURES + 1;
    file.label_column = N_FEATURES;
    return gd_model_save(fx.model_path, &file) == GD_OK ? 0 : -1;
}

static int fixture_teardown(void **state)
{
    (void)state;
    return remove(fx.csv_path) == 0 && remove(fx.model_path) == 0 ? 0 : -1;
}

static void test_robust_malloc__every_malloc_failure_is_nomem_and_leaves_the_output(void **state)
{
    (void)state;
    static unsigned char expected[MAX_OUT], out[MAX_OUT];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        const call_case *cc = &cases[c];
        memset(expected, 0, sizeof expected);
        assert_int_equal(cc->call(expected), GD_OK);
        size_t k = 1;
        for (; k <= 100; ++k) {
            memset(out, SENTINEL, sizeof out);
            arm(k);
            const gd_status status = cc->call(out);
            disarm();
            if (wrap.n_live != 0 || wrap.untracked != 0) {
                fail_msg("%s: malloc %zu refused: %zu blocks live", cc->name, k,
                         wrap.n_live + wrap.untracked);
            }
            if (wrap.refused == 0) {
                if (status != GD_OK) {
                    fail_msg("%s: every malloc granted gave %s", cc->name, gd_strerror(status));
                }
                assert_memory_equal(out, expected, cc->out_bytes);
                break;
            }
            if (status != GD_ERR_NOMEM) {
                fail_msg("%s: malloc %zu refused gave %s", cc->name, k, gd_strerror(status));
            }
            for (size_t i = 0; i < cc->out_bytes; ++i) {
                if (out[i] != SENTINEL) {
                    fail_msg("%s: malloc %zu refused wrote byte %zu of the output", cc->name, k,
                             i);
                }
            }
        }
        /* Each allocates something (else the wrap saw nothing of it). */
        assert_true(k >= 2 && k <= 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_malloc__every_malloc_failure_is_nomem_and_leaves_the_output),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
