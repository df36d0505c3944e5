/* The examples' record of a fit: the objective and the gradient max-norm at
 * each iteration, kept by a gd_fit callback in arrays sized before the fit. */
#ifndef GDLEARN_EXAMPLES_TRACE_H
#define GDLEARN_EXAMPLES_TRACE_H

#include <stddef.h>

#include <gdlearn/gdlearn.h>

typedef struct trace {
    double *loss;     /* capacity values; NULL if the allocation failed */
    double *grad_max; /* capacity values; NULL if the allocation failed */
    size_t capacity;
    size_t count;     /* iterations recorded: 0 … count − 1 */
} trace;

/* Arrays for iterations 0 … capacity − 1 (gd_fit calls back at 0 … max_iter,
 * so pass max_iter + 1). On failure loss and grad_max are NULL. */
trace trace_alloc(size_t capacity);

/* Release the arrays; safe on a failed trace_alloc. */
void trace_free(trace *history);

/* A gd_callback_fn: user is the trace. Never stops the fit. */
int trace_record(const gd_progress *progress, void *user);

#endif /* GDLEARN_EXAMPLES_TRACE_H */
