#include "core/internal.h"

const char *gd_strerror(gd_status status)
{
    switch (status) {
    case GD_OK: return "success";
    case GD_ERR_NULL: return "a required pointer argument is NULL";
    case GD_ERR_SIZE: return "a size is zero or sizes are inconsistent";
    case GD_ERR_OVERFLOW: return "a size is too large (overflow or beyond BLAS's int)";
    case GD_ERR_NONFINITE: return "NaN or Inf in the data or parameters";
    case GD_ERR_OPTION: return "an option or model parameter is out of range";
    case GD_ERR_NOMEM: return "out of memory";
    case GD_ERR_LABEL: return "a label is not a valid class for the model";
    case GD_ERR_WEIGHT: return "a sample weight is negative, or all weights are zero";
    case GD_ERR_DIVERGED: return "the fit diverged (non-finite objective or gradient, or an objective that stayed far above its start)";
    case GD_ERR_MODEL: return "the model is incomplete or inconsistent";
    case GD_ERR_LINE_SEARCH: return "the line search found no acceptable step";
    case GD_ERR_IO: return "a file could not be opened, read or written";
    case GD_ERR_PARSE: return "a field is not a number, or a row is ragged";
    case GD_ERR_FORMAT: return "the model file is malformed or truncated";
    case GD_ERR_VERSION: return "the model file is from another format version";
    case GD_ERR_EMPTY: return "the input holds no data rows";
    case GD_ERR_CALLBACK: return "a user callback reported a failure";
    }
    return "unknown status";
}

const char *gd_stop_name(gd_stop stop)
{
    switch (stop) {
    case GD_STOP_NONE: return "none";
    case GD_STOP_CONVERGED: return "converged";
    case GD_STOP_MAX_ITER: return "max_iter";
    case GD_STOP_DIVERGED: return "diverged";
    case GD_STOP_CALLBACK: return "stopped";
    case GD_STOP_LOSS_CHANGE: return "loss_change";
    case GD_STOP_MAX_EPOCHS: return "max_epochs";
    case GD_STOP_LINE_SEARCH: return "line_search";
    case GD_STOP_ERROR: return "error";
    }
    return "unknown";
}

const char *gd_version(void)
{
    return GDLEARN_VERSION_STRING;
}
