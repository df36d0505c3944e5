/**
 * @file gdlearn.h
 * @brief libgdlearn: fit classic supervised models by gradient-based optimisation.
 *
 * The whole public API. Include it as `#include <gdlearn/gdlearn.h>`.
 *
 * Conventions (see docs/api.md):
 * - Data is borrowed, never copied: a ::gd_data is a view of the caller's arrays.
 * - Parameters θ: intercept(s) first, then weights. For softmax, θ is an
 *   (m+1)×k row-major matrix whose row 0 holds the k intercepts.
 * - Every fallible function returns a ::gd_status; gd_strerror() names it.
 *   On failure, outputs are untouched unless the function's documentation
 *   says they are fully defined.
 *
 * Thread safety: the library keeps no global mutable state and never prints.
 * Every function may be called from several threads at once on different
 * outputs; inputs (data, models, θ) may be shared read-only between threads.
 * The OpenBLAS build that the library links decides whether BLAS itself is
 * re-entrant (Debian's `libopenblas0-pthread` is).
 */
#ifndef GDLEARN_GDLEARN_H
#define GDLEARN_GDLEARN_H

#include <stddef.h>
#include <stdint.h>

#include "gdlearn/export.h"
#include "gdlearn/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Marks a result that must not be ignored (warn_unused_result where
 * the compiler has it, nothing elsewhere). */
#if defined(__GNUC__) || defined(__clang__)
#define GD_NODISCARD __attribute__((warn_unused_result))
#else
#define GD_NODISCARD
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

/**
 * @brief Result of every fallible function. Values are fixed and append-only.
 */
typedef enum gd_status {
    GD_OK = 0,                /**< success */
    GD_ERR_NULL = 1,          /**< a required pointer argument is NULL */
    GD_ERR_SIZE = 2,          /**< a size is zero or sizes are inconsistent */
    GD_ERR_OVERFLOW = 3,      /**< a size product overflows, or exceeds what BLAS takes */
    GD_ERR_NONFINITE = 4,     /**< NaN or Inf in X, y, weights or θ */
    GD_ERR_OPTION = 5,        /**< an option or model parameter is out of range */
    GD_ERR_NOMEM = 6,         /**< memory allocation failed */
    GD_ERR_LABEL = 7,         /**< a label is not a valid class for the model */
    GD_ERR_WEIGHT = 8,        /**< a sample weight is negative, or all are zero */
    GD_ERR_DIVERGED = 9,      /**< the objective or gradient became non-finite, or the
                                   objective stayed above its start for 1000 checks */
    GD_ERR_MODEL = 10,        /**< the model struct is incomplete or inconsistent */
    GD_ERR_LINE_SEARCH = 11,  /**< the line search found no acceptable step */
    GD_ERR_IO = 12,           /**< a file could not be opened, read or written */
    GD_ERR_PARSE = 13,        /**< a text field is not a number, or a row is ragged */
    GD_ERR_FORMAT = 14,       /**< a model file is malformed or truncated */
    GD_ERR_VERSION = 15,      /**< a model file is from another format version */
    GD_ERR_EMPTY = 16,        /**< an input file holds no data rows */
    GD_ERR_CALLBACK = 17      /**< reserved: no function returns it yet (a callback that
                                   stops a fit gives GD_OK with GD_STOP_CALLBACK) */
} gd_status;

/** Number of gd_status values defined by this version (for table checks). */
#define GD_STATUS_COUNT 18

/**
 * @brief A short, static, human-readable description of a status.
 * @param[in] status any value; unknown values give "unknown status".
 * @return a static string; never NULL; never to be freed.
 */
GDLEARN_EXPORT const char *gd_strerror(gd_status status);

/**
 * @brief The library's version as "MAJOR.MINOR.PATCH", as built (compare with
 * GDLEARN_VERSION_STRING, the version of the header you compiled against).
 * @return a static string.
 */
GDLEARN_EXPORT const char *gd_version(void);

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * @brief A per-call allocator (as zstd's customMem). NULL means malloc/free.
 *
 * `alloc` returns NULL on failure; `free(NULL, …)` must be a no-op. Set both
 * `alloc` and `free`, or neither (malloc/free): a half-set allocator is
 * refused (GD_ERR_OPTION from gd_fit and the CSV readers, GD_ERR_NULL from
 * gd_model_load) before anything is allocated.
 */
typedef struct gd_allocator {
    void *(*alloc)(size_t size, void *opaque); /**< allocate `size` bytes */
    void (*free)(void *ptr, void *opaque);     /**< release a block from alloc */
    void *opaque;                              /**< passed back to both */
} gd_allocator;

/* ------------------------------------------------------------------------ */
/* Data                                                                      */
/* ------------------------------------------------------------------------ */

/**
 * @brief A borrowed, read-only view of a data set. Nothing is copied.
 *
 * Row i, feature j is `x[i * ldx + j]`.
 */
typedef struct gd_data {
    const double *x;       /**< n_rows × n_features, row-major; NULL only if n_features is 0 */
    size_t n_rows;         /**< n: number of rows (samples) */
    size_t n_features;     /**< m: number of features per row */
    size_t ldx;            /**< row stride in doubles, ≥ n_features; 0 means n_features */
    const double *y;       /**< n_rows targets, or NULL where none are needed (predict) */
    const double *weights; /**< n_rows sample weights ≥ 0, or NULL for all 1 */
} gd_data;

/**
 * @brief Fill a data view (no weights, ldx = n_features).
 * @param[out] data the view to fill; NULL is ignored.
 * @param[in] x borrowed n_rows × n_features matrix, row-major.
 * @param[in] n_rows number of rows.
 * @param[in] n_features number of features.
 * @param[in] y borrowed targets (n_rows) or NULL.
 */
GDLEARN_EXPORT void gd_data_init(gd_data *data, const double *x, size_t n_rows,
                                 size_t n_features, const double *y);

/**
 * @brief Check a data view: pointers, sizes, strides, finiteness, weights.
 *
 * Every number in X (the first n_features of each row), y (if given) and the
 * weights (if given) must be finite; weights must be ≥ 0 with a positive sum
 * S whose reciprocal 1/S is finite (subnormal weights alone are refused).
 * Padding between n_features and ldx is not data and is not checked.
 *
 * Runs on the calling thread. gd_fit, gd_predict, gd_objective and
 * gd_check_gradient make the same checks with the same statuses, but scan X
 * on up to gd_model.n_threads threads (the count the model's evaluations use).
 *
 * @param[in] data the view.
 * @param[in] need_y nonzero if y is required.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE (n_rows = 0, ldx < n_features),
 *         GD_ERR_OVERFLOW, GD_ERR_NONFINITE or GD_ERR_WEIGHT.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_data_validate(const gd_data *data, int need_y);

/* ------------------------------------------------------------------------ */
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

/** @brief Which model a ::gd_model is. Users' own models are GD_MODEL_CUSTOM. */
typedef enum gd_model_kind {
    GD_MODEL_CUSTOM = 0,   /**< a model written by the user */
    GD_MODEL_LINEAR = 1,   /**< ŷ = wᵀx + b, squared loss */
    GD_MODEL_LOGISTIC = 2, /**< p = σ(wᵀx + b), log loss, y ∈ {0,1} */
    GD_MODEL_SOFTMAX = 3   /**< P = softmax(xᵀW + b), y ∈ {0..k−1} */
} gd_model_kind;

/** @brief A differentiable model; see struct gd_model. */
typedef struct gd_model gd_model;

/**
 * @brief Objective and gradient in one call (GSL's `fdf`).
 *
 * @param[in] self the model (read `self->ctx` for your own state).
 * @param[in] theta self->n_params parameters.
 * @param[in] data the (validated) data; a model that reads none may ignore it.
 * @param[out] loss the objective L(θ).
 * @param[out] grad self->n_params values ∇L(θ), or NULL: then compute the loss only.
 * @param[in,out] work scratch of self->work_size(self, data->n_rows) doubles
 *                (NULL when work_size is NULL), owned by the caller.
 * @return GD_OK, or any status to abort the fit with that status.
 */
typedef gd_status (*gd_loss_grad_fn)(const gd_model *self, const double *theta,
                                     const gd_data *data, double *loss, double *grad,
                                     double *work);

/**
 * @brief Predictions for every row: `out` holds n_rows × self->n_outputs doubles.
 */
typedef gd_status (*gd_predict_fn)(const gd_model *self, const double *theta,
                                   const gd_data *data, double *out);

/** @brief Optional check of the targets (e.g. labels in range) before any work. */
typedef gd_status (*gd_check_fn)(const gd_model *self, const gd_data *data);

/** @brief Optional: doubles of scratch one loss_grad call needs for n_rows rows. */
typedef size_t (*gd_work_size_fn)(const gd_model *self, size_t n_rows);

/**
 * @brief A differentiable model: sizes, function pointers and a user context.
 *
 * Built-in models are made by gd_model_linear() and its kin; a user makes
 * their own with gd_model_custom() and may then set any field. The built-ins
 * use nothing that a user's model cannot: gd_fit() sees every model only
 * through these fields. The struct holds no pointers into itself, so it may
 * be copied freely.
 */
struct gd_model {
    size_t struct_size;        /**< sizeof(gd_model), set by the constructors */
    gd_model_kind kind;        /**< which model */
    size_t n_features;         /**< m: features each row must have (0: reads no data) */
    size_t n_outputs;          /**< values gd_predict writes per row (k for softmax, else 1) */
    size_t n_classes;          /**< k for classifiers (2 for logistic), 0 for regression */
    size_t n_params;           /**< length of θ */
    double l2;                 /**< λ ≥ 0 on the weights (never the intercepts) */
    unsigned n_threads;        /**< at most this many threads per built-in evaluation
                                    (0: the online CPUs, at most 8); fewer for small
                                    problems. Results are bit-identical from run to
                                    run for a given count. Custom models may ignore it. */
    gd_loss_grad_fn loss_grad; /**< required */
    gd_predict_fn predict;     /**< optional (NULL: gd_predict gives GD_ERR_MODEL) */
    gd_check_fn check_data;    /**< optional target check */
    gd_work_size_fn work_size; /**< optional scratch size */
    void *ctx;                 /**< the user's; NULL for the built-ins */
};

/**
 * @brief Linear regression: ŷ = wᵀx + b, L = (1/S)Σ sᵢ ½(ŷᵢ − yᵢ)² + (λ/2)‖w‖².
 * θ = [b, w₁ … w_m] (n_params = m + 1).
 * @param[out] model filled on success; untouched on failure.
 * @param[in] n_features m ≥ 1.
 * @param[in] l2 λ ≥ 0, finite.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE, GD_ERR_OVERFLOW (m beyond BLAS's
 *         int), GD_ERR_OPTION.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_linear(gd_model *model, size_t n_features,
                                                      double l2);

/**
 * @brief Binary logistic regression: p = σ(wᵀx + b), y ∈ {0,1},
 * lᵢ = softplus(z) − y·z (computed stably). θ = [b, w] (n_params = m + 1).
 * gd_predict gives P(y = 1); gd_predict_class gives 0/1.
 * @param[out] model filled on success; untouched on failure.
 * @param[in] n_features m ≥ 1.
 * @param[in] l2 λ ≥ 0, finite.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE, GD_ERR_OVERFLOW (m beyond BLAS's
 *         int), GD_ERR_OPTION.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_logistic(gd_model *model, size_t n_features,
                                                        double l2);

/**
 * @brief Softmax regression: P = softmax(xᵀW + b), y ∈ {0 … k−1},
 * lᵢ = logsumexp(zᵢ) − zᵢ[yᵢ]. θ is (m+1)×k row-major, row 0 the k intercepts
 * (n_params = (m+1)·k). gd_predict gives k probabilities per row.
 * @param[out] model filled on success; untouched on failure.
 * @param[in] n_features m ≥ 1.
 * @param[in] n_classes k ≥ 2.
 * @param[in] l2 λ ≥ 0, finite.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE, GD_ERR_OVERFLOW, GD_ERR_OPTION.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_softmax(gd_model *model, size_t n_features,
                                                       size_t n_classes, double l2);

/**
 * @brief A model of the user's own, fitted by the same gd_fit().
 * Sets struct_size, kind = GD_MODEL_CUSTOM, n_outputs = 1, n_params, loss_grad,
 * predict and ctx; every other field to zero/NULL. Set n_features if the model
 * reads data rows.
 * @param[out] model filled on success.
 * @param[in] n_params length of θ, ≥ 1.
 * @param[in] loss_grad required.
 * @param[in] predict optional (may be NULL).
 * @param[in] ctx the user's pointer, borrowed; passed back as self->ctx.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_custom(gd_model *model, size_t n_params,
                                                      gd_loss_grad_fn loss_grad,
                                                      gd_predict_fn predict, void *ctx);

/**
 * @brief Check a model struct for consistency (pointers, sizes, λ; for a built-in
 * kind, that n_features, n_classes, n_outputs and n_params are those its
 * constructor sets: a built-in whose fields were edited out of step is GD_ERR_MODEL).
 * @param[in] model the model to check.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_MODEL, GD_ERR_OVERFLOW.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_validate(const gd_model *model);

/* ------------------------------------------------------------------------ */
/* Options, progress and report                                              */
/* ------------------------------------------------------------------------ */

/** @brief The optimisation method. */
typedef enum gd_optimizer {
    GD_OPTIMIZER_GD = 0,       /**< fixed-step gradient descent: θ ← θ − α∇L */
    GD_OPTIMIZER_MOMENTUM = 1, /**< heavy ball */
    GD_OPTIMIZER_NESTEROV = 2, /**< Nesterov's accelerated gradient */
    GD_OPTIMIZER_ADAM = 3,     /**< Adam */
    GD_OPTIMIZER_SGD = 4,      /**< mini-batch stochastic gradient descent */
    GD_OPTIMIZER_LBFGS = 5     /**< limited-memory BFGS with a Wolfe line search */
} gd_optimizer;

/** @brief How θ starts. */
typedef enum gd_init {
    GD_INIT_ZERO = 0,   /**< θ = 0 */
    GD_INIT_RANDOM = 1, /**< θⱼ uniform in [−init_scale, init_scale], from `seed` */
    GD_INIT_GIVEN = 2   /**< θ as passed in to gd_fit() */
} gd_init;

/** @brief Why a fit stopped. */
typedef enum gd_stop {
    GD_STOP_NONE = 0,        /**< not run (validation failed) */
    GD_STOP_CONVERGED = 1,   /**< every |∂L/∂θⱼ| < tolerance */
    GD_STOP_MAX_ITER = 2,    /**< max_iter iterations done */
    GD_STOP_DIVERGED = 3,    /**< objective or gradient became non-finite, or the
                                  objective stayed above L(θ₀) + 10⁻³·|L(θ₀)| for 1000
                                  consecutive checks (docs/optimizers.md) */
    GD_STOP_CALLBACK = 4,    /**< the callback asked to stop */
    GD_STOP_LOSS_CHANGE = 5, /**< relative objective change < loss_tolerance */
    GD_STOP_MAX_EPOCHS = 6,  /**< sgd: max_epochs passes over the data */
    GD_STOP_LINE_SEARCH = 7, /**< the line search could not make progress */
    GD_STOP_ERROR = 8        /**< a model function returned an error status */
} gd_stop;

/**
 * @brief A short lower-case name of a stop reason, as the CLI's JSON gives it:
 * "converged", "max_iter", "diverged", "stopped", "loss_change", "max_epochs",
 * "line_search", "error", "none".
 * @param[in] stop any value; unknown values give "unknown".
 * @return a static string; never NULL; never to be freed.
 */
GDLEARN_EXPORT const char *gd_stop_name(gd_stop stop);

/** @brief What the per-iteration callback sees. */
typedef struct gd_progress {
    size_t iteration;   /**< iterations done so far (0 before the first step) */
    size_t evaluations; /**< loss+gradient evaluations so far */
    double loss;        /**< objective at the current θ */
    double grad_max;    /**< max |∂L/∂θⱼ| at the current θ */
    double step;        /**< the step size last taken (0 before the first) */
    const double *theta;/**< the current θ (n_params), read-only, valid during the call */
} gd_progress;

/**
 * @brief Per-iteration callback. Return 0 to go on, nonzero to stop the fit
 * (which then ends with GD_STOP_CALLBACK and status GD_OK).
 */
typedef int (*gd_callback_fn)(const gd_progress *progress, void *user);

/**
 * @brief Fit options. Always start from gd_options_init(), then change fields.
 */
typedef struct gd_options {
    size_t struct_size;        /**< sizeof(gd_options), set by gd_options_init */
    gd_optimizer optimizer;    /**< default GD_OPTIMIZER_LBFGS (no step size to tune;
                                    GD_OPTIMIZER_GD is the seed's method) */
    double learning_rate;      /**< α > 0; default 0.01 (lbfgs ignores it) */
    double tolerance;          /**< ε ≥ 0 on max|∂L/∂θⱼ|; default 1e-6 */
    size_t max_iter;           /**< iteration budget ≥ 1; default 100000 */
    gd_init init;              /**< default GD_INIT_ZERO */
    uint64_t seed;             /**< for GD_INIT_RANDOM and sgd shuffling; default 42 */
    double init_scale;         /**< half-width of random init; default 0.01 */
    int line_search;           /**< nonzero: Armijo backtracking for gd/momentum/nesterov */
    int tolerance_relative;    /**< nonzero: stop when grad_max < ε · grad_max at start */
    double loss_tolerance;     /**< stop when |ΔL| ≤ this·max(|L|,1); 0 = off (default) */
    double momentum;           /**< β for momentum/nesterov; default 0.9 */
    double adam_beta1;         /**< default 0.9 */
    double adam_beta2;         /**< default 0.999 */
    double adam_epsilon;       /**< default 1e-8 */
    size_t batch_size;         /**< sgd mini-batch rows; default 32 */
    size_t max_epochs;         /**< sgd passes over the data; 0 = no limit (default) */
    double decay;              /**< sgd step schedule α_t = α/(1 + decay·epoch); default 0 */
    size_t lbfgs_memory;       /**< L-BFGS history pairs; default 10 */
    gd_callback_fn callback;   /**< optional, called once per iteration (sgd: per epoch) */
    void *callback_user;       /**< passed back to the callback */
    const gd_allocator *allocator; /**< NULL: malloc/free */
    int linear_gram;           /**< nonzero: linear regression through the Gram matrix:
                                    one pass over X forms the centred XᵀX and Xᵀy, then
                                    the optimiser runs on the O(m²) quadratic with no
                                    data (docs/optimizers.md). Only with a built-in
                                    linear model and an optimiser other than sgd
                                    (otherwise GD_ERR_OPTION); default 0 (off) */
} gd_options;

/**
 * @brief Set every field of an options struct to its default.
 * @param[out] options NULL is ignored.
 */
GDLEARN_EXPORT void gd_options_init(gd_options *options);

/** @brief What a fit did. */
typedef struct gd_report {
    size_t struct_size;   /**< sizeof(gd_report), set by gd_fit */
    size_t iterations;    /**< parameter updates made */
    size_t evaluations;   /**< loss+gradient evaluations made */
    double loss;          /**< objective at the returned θ */
    double grad_max;      /**< max |∂L/∂θⱼ| at the returned θ */
    gd_stop stop;         /**< why it stopped */
    double seconds;       /**< wall-clock time of the fit */
} gd_report;

/* ------------------------------------------------------------------------ */
/* Fitting and prediction                                                    */
/* ------------------------------------------------------------------------ */

/**
 * @brief Fit a model: validate, initialise θ, optimise, report.
 *
 * @param[in] model any valid model (built-in or the user's).
 * @param[in] data borrowed; n_features must equal model->n_features, and y
 *            is required, when model->n_features > 0; may be NULL for a
 *            model that reads no data (n_features = 0).
 * @param[in] options NULL for the defaults.
 * @param[in,out] theta model->n_params doubles: the start when init is
 *            GD_INIT_GIVEN; on return, the fitted θ. Untouched when the fit
 *            fails before it starts; on GD_ERR_DIVERGED, the last finite iterate;
 *            on GD_ERR_LINE_SEARCH, the last accepted iterate.
 * @param[out] report NULL, or filled (also on failure: stop says why).
 * @return GD_OK when a usable θ was produced (converged, max_iter, callback
 *         stop, loss change, max epochs: read report->stop), GD_ERR_DIVERGED,
 *         GD_ERR_LINE_SEARCH, or a validation status (GD_ERR_NULL,
 *         GD_ERR_SIZE, GD_ERR_OVERFLOW, GD_ERR_NONFINITE, GD_ERR_WEIGHT,
 *         GD_ERR_LABEL, GD_ERR_OPTION, GD_ERR_MODEL), GD_ERR_NOMEM, or a
 *         status a model function returned.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_fit(const gd_model *model, const gd_data *data,
                                             const gd_options *options, double *theta,
                                             gd_report *report);

/**
 * @brief Predict every row of `data` (y is ignored).
 * @param[in] model with a predict function.
 * @param[in] theta model->n_params finite parameters.
 * @param[in] data rows to predict; n_features must match the model.
 * @param[out] out n_rows × model->n_outputs doubles, row-major: ŷ for linear,
 *             P(y=1) for logistic, k probabilities for softmax. Untouched on failure.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE, GD_ERR_OVERFLOW, GD_ERR_NONFINITE,
 *         GD_ERR_MODEL.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_predict(const gd_model *model, const double *theta,
                                                 const gd_data *data, double *out);

/**
 * @brief The most probable class of every row (classifiers only).
 * @param[in] model a classifier (n_classes ≥ 2) with a predict function.
 * @param[in] theta model->n_params finite parameters.
 * @param[in] data rows to classify (y and weights are ignored).
 * @param[out] labels n_rows class indices in [0, n_classes): the argmax of
 *             the model's n_classes outputs, or for a model with one output
 *             and two classes (logistic), 1 where P(y=1) ≥ 0.5. Rows are
 *             predicted a block at a time (bounded scratch, whatever n_rows).
 *             Untouched on failure, except when the model's own predict
 *             function fails part-way (never for the built-ins): then the
 *             labels of the blocks before it are written.
 * @return as gd_predict; GD_ERR_MODEL for a model with n_classes < 2, or
 *         whose n_outputs is neither n_classes nor 1 (with n_classes = 2);
 *         GD_ERR_NOMEM; or the status the model's predict function returned.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_predict_class(const gd_model *model,
                                                       const double *theta,
                                                       const gd_data *data, size_t *labels);

/**
 * @brief Balanced class weights (as scikit-learn's class_weight="balanced"):
 * weights[i] = n / (k · n_{yᵢ}), so every class carries the same total weight
 * n/k and the weights sum to n. n_c counts the rows of class c; k is the
 * number of classes that occur in y (the model's n_classes when all do: a
 * class with no rows is allowed and, as in scikit-learn, not counted).
 * Multiply them into your own sample weights if you have any.
 * @param[in] model a classifier (n_classes ≥ 2).
 * @param[in] data with valid labels; data->weights is ignored.
 * @param[out] weights n_rows values. Untouched on failure.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_MODEL, GD_ERR_LABEL, GD_ERR_NOMEM, validation statuses.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_class_weights_balanced(const gd_model *model,
                                                                const gd_data *data,
                                                                double *weights);

/**
 * @brief The objective L(θ) of DESIGN §1 on `data` (no gradient).
 * @param[in] model any valid model.
 * @param[in] theta model->n_params finite parameters.
 * @param[in] data as for gd_fit (y required when the model reads data).
 * @param[out] loss untouched on failure.
 * @return as gd_predict, plus GD_ERR_LABEL, GD_ERR_WEIGHT, GD_ERR_NOMEM.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_objective(const gd_model *model, const double *theta,
                                                   const gd_data *data, double *loss);

/**
 * @brief Compare a model's gradient with central differences.
 *
 * For each j: dⱼ = (L(θ + h eⱼ) − L(θ − h eⱼ)) / 2h with h = step·max(1, |θⱼ|);
 * the error is |gⱼ − dⱼ| / max(1, |gⱼ|, |dⱼ|). For people writing their own models.
 *
 * @param[in] model any valid model.
 * @param[in] data as for gd_fit (may have n_rows = 0 only if the model reads no data).
 * @param[in] theta where to check.
 * @param[in] step relative step h > 0 (1e-6 is a good choice); ≤ 0 selects 1e-6.
 * @param[out] max_rel_error the largest error over j.
 * @return GD_OK, validation statuses, GD_ERR_NOMEM, or a model's status.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_check_gradient(const gd_model *model,
                                                        const gd_data *data,
                                                        const double *theta, double step,
                                                        double *max_rel_error);

/* ------------------------------------------------------------------------ */
/* Standardisation                                                           */
/* ------------------------------------------------------------------------ */

/**
 * @brief Column means and scales for z-scoring: scale is the (population)
 * standard deviation, or 1 for a column whose variance is zero, so the
 * transformed column stays finite (all zeros).
 * A constant column's mean is its value exactly, so it becomes exact zeros.
 * @param[in] data validated view (y and weights ignored).
 * @param[out] mean n_features values; @param[out] scale n_features values.
 *             Untouched when validation fails; when a column's sum or
 *             variance overflows (finite values near DBL_MAX), every mean and
 *             scale is NaN, which gd_standardize_apply() and gd_model_save()
 *             refuse.
 * @return GD_OK, or the statuses of gd_data_validate (need_y = 0), or
 *         GD_ERR_NONFINITE when a column's sum or variance overflows.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_standardize_fit(const gd_data *data, double *mean,
                                                         double *scale);

/**
 * @brief In place: x[i·ldx + j] = (x[i·ldx + j] − mean[j]) / scale[j].
 * @param[in,out] x n_rows × n_features, row stride ldx (0 means n_features).
 * @param[in] n_rows rows to transform.
 * @param[in] n_features columns to transform.
 * @param[in] ldx row stride in doubles (0 means n_features).
 * @param[in] mean n_features means, as from gd_standardize_fit().
 * @param[in] scale n_features scales > 0, as from gd_standardize_fit().
 * @return GD_OK, GD_ERR_NULL, GD_ERR_SIZE (n_rows or n_features 0, ldx <
 *         n_features), GD_ERR_OVERFLOW, GD_ERR_NONFINITE (mean/scale not
 *         finite or a scale ≤ 0). x is untouched on any failure.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_standardize_apply(double *x, size_t n_rows,
                                                           size_t n_features, size_t ldx,
                                                           const double *mean,
                                                           const double *scale);

/* ------------------------------------------------------------------------ */
/* CSV input (src/io)                                                        */
/* ------------------------------------------------------------------------ */

/** @brief Where and why reading a file failed. */
typedef struct gd_error_info {
    size_t line;         /**< 1-based line of the problem, 0 if none applies */
    size_t column;       /**< 1-based field of the problem, 0 if none applies */
    char message[200];   /**< the problem in one line, NUL-terminated, without the
                              position (line and column hold it) */
} gd_error_info;

/** @brief Label column selection for gd_csv_read(). */
#define GD_LABEL_LAST ((long)-1) /**< the last column (the default) */
#define GD_LABEL_NONE ((long)-2) /**< every column is a feature */

/** @brief CSV reading options. Start from gd_csv_options_init(). */
typedef struct gd_csv_options {
    size_t struct_size;        /**< sizeof(gd_csv_options) */
    long label_index;          /**< 0-based column, GD_LABEL_LAST or GD_LABEL_NONE */
    const char *label_name;    /**< if non-NULL, the label column by header name (wins) */
    int header;                /**< -1 detect (default), 0 no header, 1 header */
    const gd_allocator *allocator; /**< NULL: malloc/free */
} gd_csv_options;

/**
 * @brief Set every field of the CSV options to its default.
 * @param[out] options NULL is ignored.
 */
GDLEARN_EXPORT void gd_csv_options_init(gd_csv_options *options);

/** @brief A table read from CSV; everything in it is owned by the table. */
typedef struct gd_table {
    double *x;              /**< n_rows × n_features, row-major (stride n_features);
                                 NULL when n_features is 0 */
    double *y;              /**< n_rows labels, or NULL when there is no label column */
    size_t n_rows;          /**< data rows */
    size_t n_features;      /**< feature columns */
    size_t n_columns;       /**< columns in the file (features + label) */
    size_t label_column;    /**< 0-based label column in the file; SIZE_MAX if none */
    char **column_names;    /**< n_columns names from the header, or NULL without one */
    const gd_allocator *allocator; /**< what allocated it (borrowed from the options:
                                        it must outlive the table) */
} gd_table;

/**
 * @brief Read a CSV file: comma-separated, optional header row, numbers as
 * strtod reads them in the "C" locale whatever the process locale.
 *
 * Syntax: LF or CRLF line ends, a last line with or without a newline; spaces
 * and tabs around a field are ignored; a UTF-8 byte-order mark is skipped; no
 * quoting. Numbers are decimal or hexadecimal floating constants of at most
 * 400 characters (longer only when they take the exact fast path); "nan",
 * "inf" and values beyond a double's range are GD_ERR_NONFINITE. Blank lines
 * are allowed only at the end: one followed by more data is GD_ERR_PARSE.
 * With header = -1 the first row is a header if any of its fields is neither
 * empty nor a number (a row of NaNs is data, and is rejected as such).
 * The file is read in chunks; the arrays grow without per-field allocation.
 * Error positions: `line` counts every line of the file from 1, `column` the
 * comma-separated fields from 1 (0 where no one field is at fault).
 *
 * @param[in] path file to read.
 * @param[in] options NULL for defaults.
 * @param[out] table filled on success (free with gd_table_free); zeroed on failure.
 * @param[out] error NULL, or where and why it failed.
 * @return GD_OK, GD_ERR_NULL, GD_ERR_IO, GD_ERR_PARSE (ragged row, not a
 *         number), GD_ERR_NONFINITE (NaN/Inf), GD_ERR_EMPTY (no data rows),
 *         GD_ERR_OPTION (no such label column), GD_ERR_NOMEM, GD_ERR_OVERFLOW.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_csv_read(const char *path,
                                                  const gd_csv_options *options,
                                                  gd_table *table, gd_error_info *error);

/**
 * @brief As gd_csv_read(), from a buffer of `size` bytes (need not be NUL-terminated).
 * @param[in] text the CSV text; borrowed.
 * @param[in] size its length in bytes.
 * @param[in] options NULL for defaults.
 * @param[out] table filled on success (free with gd_table_free); zeroed on failure.
 * @param[out] error NULL, or where and why it failed.
 * @return as gd_csv_read(), except GD_ERR_IO.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_csv_read_buffer(const char *text, size_t size,
                                                         const gd_csv_options *options,
                                                         gd_table *table,
                                                         gd_error_info *error);

/**
 * @brief Release a table's memory and zero it.
 * @param[in,out] table a table from gd_csv_read(); NULL is a no-op.
 */
GDLEARN_EXPORT void gd_table_free(gd_table *table);

/* ------------------------------------------------------------------------ */
/* Model files (src/io)                                                      */
/* ------------------------------------------------------------------------ */

/**
 * @brief A built-in model with its parameters, as saved to a model file.
 * Format: docs/model-format.md.
 */
typedef struct gd_model_file {
    gd_model model;        /**< a built-in model (linear, logistic or softmax) */
    double *theta;         /**< model.n_params parameters */
    double *mean;          /**< n_features standardisation means, or NULL */
    double *scale;         /**< n_features standardisation scales, or NULL */
    size_t n_columns;      /**< columns of the training CSV (0: unknown) */
    size_t label_column;   /**< label's 0-based column there (SIZE_MAX: unknown) */
    const gd_allocator *allocator; /**< for a loaded file: what allocated it */
} gd_model_file;

/**
 * @brief Write a model file: written to a temporary file beside `path`, then
 * renamed into place, so a failed write leaves no broken file behind.
 *
 * The temporary file is `path` + ".tmp." + six random characters, created
 * exclusively with mode 0666 less the umask, flushed and fsync'ed before the
 * rename; on any failure it is removed and an existing file at `path` is left
 * as it was. Numbers are written as "%.17g" with '.' whatever the locale.
 * @param[in] path destination (at most 4096 bytes).
 * @param[in] file model, θ (finite) and optional scaler (mean and scale both
 *            given or both NULL); borrowed. Its allocator is not used.
 * @return GD_OK, GD_ERR_NULL (path, file or θ NULL, or only one of mean and
 *         scale), GD_ERR_MODEL (not a built-in, sizes inconsistent with the
 *         kind, or n_columns/label_column not fitting n_features),
 *         GD_ERR_NONFINITE (θ or mean not finite, a scale not finite or ≤ 0),
 *         GD_ERR_IO.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_save(const char *path,
                                                    const gd_model_file *file);

/**
 * @brief Read a model file written by gd_model_save().
 *
 * The model is rebuilt by its constructor (gd_model_linear() and kin), so its
 * function pointers are the library's own.
 * @param[in] path file to read.
 * @param[in] allocator NULL for malloc/free; borrowed: it must outlive the file.
 * @param[out] file filled on success (free with gd_model_file_free); zeroed on failure.
 * @param[out] error NULL, or where and why it failed (`column` is the
 *            space-separated field of the line, 0 where none applies).
 * @return GD_OK, GD_ERR_NULL, GD_ERR_IO, GD_ERR_FORMAT (not a model file,
 *         truncated, wrong sizes, unknown kind, a scale ≤ 0, trailing
 *         garbage), GD_ERR_VERSION, GD_ERR_NONFINITE (NaN, Inf or an
 *         out-of-range number), GD_ERR_NOMEM.
 */
GDLEARN_EXPORT GD_NODISCARD gd_status gd_model_load(const char *path,
                                                    const gd_allocator *allocator,
                                                    gd_model_file *file,
                                                    gd_error_info *error);

/**
 * @brief Release what gd_model_load() allocated and zero the struct.
 * @param[in,out] file a file from gd_model_load(); NULL is a no-op.
 */
GDLEARN_EXPORT void gd_model_file_free(gd_model_file *file);

#ifdef __cplusplus
}
#endif

#endif /* GDLEARN_GDLEARN_H */
