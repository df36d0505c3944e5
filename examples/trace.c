#include "trace.h"

#include <stdlib.h>

trace trace_alloc(size_t capacity)
{
    trace history = {.capacity = capacity};
    history.loss = malloc(capacity * sizeof *history.loss);
    history.grad_max = malloc(capacity * sizeof *history.grad_max);
    if (history.loss == NULL || history.grad_max == NULL) {
        trace_free(&history);
    }
    return history;
}

void trace_free(trace *history)
{
    free(history->loss);
    free(history->grad_max);
    history->loss = NULL;
    history->grad_max = NULL;
    history->capacity = 0;
    history->count = 0;
}

int trace_record(const gd_progress *progress, void *user)
{
    trace *history = user;
    if (progress->iteration < history->capacity) {
        history->loss[progress->iteration] = progress->loss;
        history->grad_max[progress->iteration] = progress->grad_max;
        history->count = progress->iteration + 1;
    }
    return 0;
}
