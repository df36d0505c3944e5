/* Throughput of gd_csv_read: writes a rows × columns CSV of random numbers
 * (default 1,000,000 × 50 = 50 million numbers) to /tmp, reads it back, and
 * prints the time. Not a test: run it by hand on a release build, e.g.
 *
 *   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-release -j --target csv_bench
 *   ./build-release/tests/csv_bench [rows] [columns]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gdlearn/gdlearn.h>

static double now_seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    size_t columns = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 50;
    if (rows == 0 || columns < 2) {
        fprintf(stderr, "usage: csv_bench [rows ≥ 1] [columns ≥ 2]\n");
        return 2;
    }
    const char *path = "/tmp/gdlearn_csv_bench.csv";
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    double started = now_seconds();
    for (size_t j = 0; j < columns; ++j) {
        fprintf(f, "c%zu%c", j, j + 1 < columns ? ',' : '\n');
    }
    uint64_t state = 88172645463325252u;
    for (size_t i = 0; i < rows; ++i) {
        for (size_t j = 0; j < columns; ++j) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            /* Like real data: a few significant digits, varied magnitudes. */
            double value = (double)(state >> 40) / 16777216.0 * (j % 3 == 0 ? 1000.0 : 1.0);
            fprintf(f, "%.6g%c", value, j + 1 < columns ? ',' : '\n');
        }
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    double written = now_seconds();

    gd_table table;
    gd_error_info error;
    double read_started = now_seconds();
    gd_status status = gd_csv_read(path, NULL, &table, &error);
    double read_seconds = now_seconds() - read_started;
    if (status != GD_OK) {
        fprintf(stderr, "%s:%zu:%zu: %s\n", path, error.line, error.column, error.message);
        remove(path);
        return 1;
    }
    f = fopen(path, "rb");
    long bytes = 0;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
        bytes = ftell(f);
    }
    if (f != NULL) {
        fclose(f);
    }
    double numbers = (double)rows * (double)columns;
    printf("wrote %zu rows x %zu columns (%.0f MB) in %.2f s\n", rows, columns,
           (double)bytes / 1e6, written - started);
    printf("gd_csv_read: %.3f s, %.1f million numbers/s, %.0f MB/s\n", read_seconds,
           numbers / read_seconds / 1e6, (double)bytes / read_seconds / 1e6);
    gd_table_free(&table);
    remove(path);
    return 0;
}
