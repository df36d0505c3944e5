/* The README's usage example: softmax regression on iris, read from CSV. */
#include <gdlearn/gdlearn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    gd_table t; /* header row, label in the last column; numbers read in the "C" locale */
    gd_status s = gd_csv_read(argc > 1 ? argv[1] : "iris.csv", NULL, &t, NULL);
    if (s != GD_OK) { fprintf(stderr, "read: %s\n", gd_strerror(s)); return 1; }

    gd_data data; /* a borrowed view of X and y: nothing is copied */
    gd_data_init(&data, t.x, t.n_rows, t.n_features, t.y);
    gd_model model; gd_options opt; gd_report rep;
    gd_options_init(&opt); /* every default: L-BFGS, stop when max|∂L/∂θj| < 1e-6 */
    double *theta = NULL;  /* (m+1)×k: row 0 the intercepts, then the weights */
    if ((s = gd_model_softmax(&model, t.n_features, 3, 1e-3)) == GD_OK &&
        (s = (theta = malloc(model.n_params * sizeof *theta)) ? GD_OK : GD_ERR_NOMEM) == GD_OK &&
        (s = gd_fit(&model, &data, &opt, theta, &rep)) == GD_OK)
        printf("L = %.6f after %zu iterations (%s)\n", rep.loss, rep.iterations,
               gd_stop_name(rep.stop));
    else
        fprintf(stderr, "fit: %s\n", gd_strerror(s));
    free(theta);
    gd_table_free(&t);
    return s == GD_OK ? 0 : 1;
}
