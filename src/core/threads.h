/* Threads over contiguous chunks of rows (src/core/threads.c): the runner the
 * kernels split one evaluation with, and gd_fit its scan of X for NaN/Inf.
 * In core so that both may use it (DESIGN §2: core depends on no other
 * layer). Not installed. */
#ifndef GDLEARN_CORE_THREADS_H
#define GDLEARN_CORE_THREADS_H

#include <stddef.h>

#include "gdlearn/gdlearn.h"

/* The most threads an explicit gd_model.n_threads is taken up to. */
#define GDI_MAX_THREADS ((size_t)1024)
/* The default (n_threads = 0) uses the online CPUs, but never more than this:
 * the workspace is sized for it without asking the system. */
#define GDI_DEFAULT_THREADS_MAX ((size_t)8)
/* Multiply-adds of X·W each thread must get: a second thread is started from
 * 2·2¹⁷ (2 MiB of X for one output). Starting and joining a thread costs
 * ~10 µs on an idle machine, but far more when the other core is busy:
 * logistic, m = 16, with a niced process on the other core, 2 threads lost
 * 12% at 2¹⁸ multiply-adds, broke even at 2¹⁹ and won 25–30% from 2²⁰. */
#define GDI_THREAD_MIN_WORK ((size_t)131072)
/* Rows each thread must get: the caller adds the chunks' partial gradients
 * (m·k each; T of them in onepass.c, T − 1 in gram.c) alone, which must stay
 * small against a chunk's own work. */
#define GDI_THREAD_MIN_ROWS ((size_t)64)

/* Threads one evaluation over n_rows rows of `row_work` multiply-adds each
 * will use, for a model asking for `requested` (0: the default). Never more
 * than gdi_threads_bound() with the same arguments, and never decreasing as
 * n_rows grows. 1 for small problems. */
size_t gdi_threads_for(unsigned requested, size_t n_rows, size_t row_work);

/* The largest value gdi_threads_for() can give for these arguments, whatever
 * the machine: what workspace is sized for. */
size_t gdi_threads_bound(unsigned requested, size_t n_rows, size_t row_work);

/* Work on rows [row_begin, row_end) as chunk number `chunk`. */
typedef gd_status (*gdi_chunk_fn)(void *task, size_t chunk, size_t row_begin, size_t row_end);

/* Split rows [0, n_rows) into n_chunks contiguous chunks, as even as possible
 * and fixed by (n_rows, n_chunks) alone, and run fn on each: chunk 0 on the
 * calling thread, the others on threads of their own, all joined before the
 * return. A thread that cannot be started leaves its chunk to the calling
 * thread, so the result is the same. A chunk may be empty (n_chunks >
 * n_rows). Returns the first failing status in chunk order, or GD_OK. */
gd_status gdi_run_chunks(size_t n_chunks, size_t n_rows, gdi_chunk_fn fn, void *task);

#endif /* GDLEARN_CORE_THREADS_H */
