#!/usr/bin/env python3
"""Fit times of gdlearn against its peers, on the same data and the same objective.

For each model (linear, logistic, softmax) this script

1. has gdlearn-bench write a synthetic data set as CSV (and, for LIBLINEAR, the
   same numbers in LIBSVM format);
2. fits it with `gdlearn fit --optimizer lbfgs --json` (reading fit_seconds),
   with scikit-learn (LinearRegression; LogisticRegression, solver lbfgs,
   multinomial for softmax) and with LIBLINEAR's `-s 0` (logistic only;
   through its Python binding, or `liblinear-train` where that is missing),
   each at a range of tolerances, loose to tight;
3. computes every fit's objective itself, with numpy, on the definition of
   DESIGN §1 (mean loss + (λ/2)‖w‖², intercepts unpenalised, λ = 1/(n·C); λ = 0
   for linear regression, as LinearRegression has no penalty), from the
   coefficients each tool returns;
4. takes the best objective any tool reached, and reports for each tool the
   time of its loosest setting that comes within 1e-6 (relative) of it — the
   median of --repeat runs of that setting — and the ratio ours / theirs.

A peer that is not installed is skipped with a message (Debian:
`apt-get install python3-sklearn python3-liblinear`). numpy is required.

Usage:
  python3 tests/bench/peers.py [--build build-bench] [--rows 200000] [--features 50]
                               [--classes 10] [--models linear,logistic,softmax]

Timings: gdlearn's fit_seconds is the wall time of gd_fit() alone (the CLI
also reports the CSV read separately); scikit-learn's is the wall time of
estimator.fit() on arrays already in memory; LIBLINEAR's the wall time of
train() in its Python binding (python3-liblinear), on a problem built in
memory beforehand. Without the binding, it is the wall time of
`liblinear-train` minus the median wall time of the same command with
-e 1e9, which reads the file, evaluates the objective and gradient once and
writes the model without iterating (a slight underestimate: one evaluation
is subtracted); where a run takes no longer than that, noise swamps the fit
and the run is reported as not measurable.
LIBLINEAR's -s 0 objective is ½‖w̃‖² + C Σ log(1 + e^(−y w̃ᵀx̃)), where -B b
appends a constant feature b whose weight is penalised like the others; the
intercept is w_b·b, so its penalty is (1/(2nC))(intercept/b)² in our units.
We use a large b (--liblinear-bias, default 100), which makes that penalty
negligible at the 1e-6 level, and evaluate LIBLINEAR's solution on our
objective (with the intercept unpenalised) like every other.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

try:
    import numpy as np
except ImportError:  # pragma: no cover
    sys.exit("peers.py: numpy is required (Debian: apt-get install python3-numpy)")

try:
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression, LogisticRegression
except ImportError:
    sklearn = None

# LIBLINEAR's own Python binding (Debian: python3-liblinear, module
# liblinearutil; on PyPI, liblinear.liblinearutil): the problem is built in
# memory once and train() alone is timed, as scikit-learn's fit().
try:
    import liblinearutil
except ImportError:
    try:
        from liblinear import liblinearutil
    except ImportError:
        liblinearutil = None
if liblinearutil is not None:
    # Debian's binding (2.3.0) reaches numpy's ctypeslib as scipy.ctypeslib,
    # which SciPy no longer re-exports (1.10 has the other numpy names it
    # uses): give it numpy's.
    try:
        import scipy
        if not hasattr(scipy, "ctypeslib"):
            scipy.ctypeslib = np.ctypeslib
    except ImportError:
        pass

REL_TOL = 1e-6
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The objective of DESIGN §1, from θ laid out as the library lays it out.
# --------------------------------------------------------------------------

def logsumexp_rows(z):
    top = z.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=1, keepdims=True)))[:, 0]


def objective(kind, theta, x, y, l2):
    if kind == "softmax":
        k = theta.size // (x.shape[1] + 1)
        t = theta.reshape(x.shape[1] + 1, k)
        z = x @ t[1:] + t[0]
        rows = np.arange(x.shape[0])
        loss = np.mean(logsumexp_rows(z) - z[rows, y.astype(np.int64)])
        return loss + 0.5 * l2 * float(np.sum(t[1:] ** 2))
    b, w = theta[0], theta[1:]
    z = x @ w + b
    if kind == "linear":
        loss = 0.5 * np.mean((z - y) ** 2)
    else:
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return loss + 0.5 * l2 * float(w @ w)


# --------------------------------------------------------------------------
# The tools. Each run(setting) returns (seconds, θ) or raises RuntimeError.
# --------------------------------------------------------------------------

class Ours:
    name = "gdlearn (lbfgs)"

    def __init__(self, args, kind, csv, workdir, l2, k):
        self.args, self.kind, self.csv, self.l2, self.k = args, kind, csv, l2, k
        self.model = os.path.join(workdir, "ours.model")
        self.settings = [1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9]
        self.threads = "library default" if args.threads is None else str(args.threads)
        self.json_losses = []

    def describe(self, tol):
        return "--tol %g" % tol

    def run(self, tol):
        cmd = [self.args.gdlearn, "fit", "-t", self.kind, "--optimizer", "lbfgs",
               "--tol", repr(tol), "--max-iter", "100000", "--l2", repr(self.l2),
               "--json", "--quiet", self.csv, "-o", self.model]
        if self.kind == "softmax":
            cmd += ["--classes", str(self.k)]
        if self.args.threads is not None:
            cmd += ["--threads", str(self.args.threads)]
        if os.path.exists(self.model):
            os.remove(self.model)
        done = subprocess.run(cmd, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines or not os.path.exists(self.model):
            raise RuntimeError("gdlearn fit failed: %s %s" % (done.stderr.strip(),
                                                             lines[-1] if lines else ""))
        report = json.loads(lines[-1])
        theta = read_gdlearn_theta(self.model)
        self.json_losses.append((report["loss"], theta))
        return float(report["fit_seconds"]), theta


def read_gdlearn_theta(path):
    """θ from a model file (docs/model-format.md): the lines after `theta R C`."""
    with open(path) as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        fields = line.split()
        if fields and fields[0] == "theta":
            rows, cols = int(fields[1]), int(fields[2])
            values = [float(v) for row in lines[i + 1:i + 1 + rows] for v in row.split()]
            if len(values) != rows * cols:
                raise RuntimeError("malformed model file " + path)
            return np.array(values)
    raise RuntimeError("no theta in " + path)


class SklearnLinear:
    name = "scikit-learn LinearRegression"
    threads = "BLAS/LAPACK"

    def __init__(self, x, y):
        self.x, self.y = x, y
        self.settings = [None]

    def describe(self, setting):
        return "(direct: lstsq)"

    def run(self, setting):
        est = LinearRegression()
        started = time.perf_counter()
        est.fit(self.x, self.y)
        seconds = time.perf_counter() - started
        return seconds, np.concatenate([[est.intercept_], est.coef_])


class SklearnLogistic:
    threads = "BLAS"

    def __init__(self, x, y, C, multinomial):
        self.x, self.y, self.C, self.multinomial = x, y, C, multinomial
        self.name = "scikit-learn LogisticRegression (lbfgs%s)" % (
            ", multinomial" if multinomial else "")
        # sklearn's lbfgs objective is C·Σ loss + ½‖w‖² (a sum, not a mean):
        # its gtol is about n·C times tighter than ours, hence the loose start.
        self.settings = [1e3, 1e2, 1e1, 1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]

    def describe(self, tol):
        return "tol=%g" % tol

    def run(self, tol):
        kwargs = dict(C=self.C, solver="lbfgs", tol=tol, max_iter=100000)
        if self.multinomial:
            kwargs["multi_class"] = "multinomial"
        est = LogisticRegression(**kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            started = time.perf_counter()
            est.fit(self.x, self.y)
            seconds = time.perf_counter() - started
        if self.multinomial:
            theta = np.vstack([est.intercept_[None, :], est.coef_.T]).ravel()
        else:
            theta = np.concatenate([est.intercept_, est.coef_[0]])
        return seconds, theta


def liblinear_theta(labels, w, intercept):
    """θ = (intercept, w) in our units from LIBLINEAR's decision function,
    which scores the first label listed; our y = 1 is the positive class."""
    if labels[0] != 1:
        w, intercept = -w, -intercept
    return np.concatenate([[intercept], w])


class LiblinearInProcess:
    """LIBLINEAR through its Python binding: train() on a problem in memory."""
    threads = "1"

    def __init__(self, x, y, C, bias):
        self.C, self.bias = C, bias
        self.name = "LIBLINEAR -s 0 -B %g" % bias
        self.settings = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]
        try:
            from scipy import sparse
            rows = sparse.csr_matrix(x)  # the binding's fast path
        except ImportError:
            rows = x
        self.problem = liblinearutil.problem(np.ascontiguousarray(y, dtype=float), rows,
                                             bias=bias)

    def describe(self, eps):
        return "-e %g" % eps

    def run(self, eps):
        param = liblinearutil.parameter("-s 0 -c %r -e %r -B %r -q" % (self.C, eps, self.bias))
        started = time.perf_counter()
        model = liblinearutil.train(self.problem, param)
        seconds = time.perf_counter() - started
        w, intercept = model.get_decfun(0)  # intercept: w_b·b, LIBLINEAR's own
        return seconds, liblinear_theta(model.get_labels(), np.array(w), intercept)


class Liblinear:
    """LIBLINEAR through liblinear-train, where the binding is not installed."""
    threads = "1"

    def __init__(self, args, svm, workdir, C, bias):
        self.args, self.svm, self.C, self.bias = args, svm, C, bias
        self.model = os.path.join(workdir, "liblinear.model")
        self.name = "LIBLINEAR -s 0 -B %g" % bias
        self.settings = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]
        self.floor = None

    def describe(self, eps):
        return "-e %g" % eps

    def _wall(self, eps):
        cmd = [self.args.liblinear, "-s", "0", "-c", repr(self.C), "-e", repr(eps),
               "-B", repr(self.bias), "-q", self.svm, self.model]
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError("liblinear-train failed: " + done.stderr.strip())
        return seconds

    def run(self, eps):
        if self.floor is None:
            self.floor = statistics.median(self._wall(1e9) for _ in range(3))
            log("  LIBLINEAR read + one evaluation + write (-e 1e9): %.3f s" % self.floor)
        wall = self._wall(eps)
        if wall <= self.floor:
            raise RuntimeError("its wall time (%.3f s) is within the noise of its read "
                               "(%.3f s): not measurable this way; install python3-liblinear"
                               % (wall, self.floor))
        return wall - self.floor, self._theta()

    def _theta(self):
        with open(self.model) as f:
            lines = f.read().split("\n")
        labels, w, in_w = None, [], False
        for line in lines:
            fields = line.split()
            if not fields:
                continue
            if in_w:
                w.append(float(fields[0]))
            elif fields[0] == "label":
                labels = [int(v) for v in fields[1:]]
            elif fields[0] == "w":
                in_w = True
        w = np.array(w)
        return liblinear_theta(labels, w[:-1], w[-1] * self.bias)


# --------------------------------------------------------------------------

def run_model(args, kind, workdir):
    n, m = args.rows, args.features
    k = args.classes if kind == "softmax" else (2 if kind == "logistic" else 0)
    l2 = 0.0 if kind == "linear" else 1.0 / (n * args.C)
    csv = os.path.join(workdir, kind + ".csv")
    svm = os.path.join(workdir, kind + ".svm")
    want_liblinear = (kind == "logistic" and liblinearutil is None
                      and args.liblinear is not None)
    cmd = [args.bench, "--case", kind, "--rows", str(n), "--features", str(m),
           "--seed", str(args.seed), "--write-csv", csv]
    if kind == "softmax":
        cmd += ["--classes", str(args.classes)]
    if want_liblinear:
        cmd += ["--write-libsvm", svm]
    log("%s: writing %d x %d data" % (kind, n, m))
    subprocess.run(cmd, check=True)
    data = np.loadtxt(csv, delimiter=",", skiprows=1)
    x = np.ascontiguousarray(data[:, :-1])
    y = np.ascontiguousarray(data[:, -1])
    del data

    tools = [Ours(args, kind, csv, workdir, l2, k)]
    if sklearn is None:
        log("%s: scikit-learn is not installed: skipped "
            "(Debian: apt-get install python3-sklearn)" % kind)
    elif kind == "linear":
        tools.append(SklearnLinear(x, y))
    else:
        tools.append(SklearnLogistic(x, y, args.C, kind == "softmax"))
    if kind == "logistic":
        if liblinearutil is not None:
            tools.append(LiblinearInProcess(x, y, args.C, args.liblinear_bias))
        elif args.liblinear is None:
            log("logistic: LIBLINEAR is not installed: skipped "
                "(Debian: apt-get install python3-liblinear, or liblinear-tools)")
        else:
            log("logistic: python3-liblinear is not installed: timing liblinear-train "
                "less its read of the file")
            tools.append(Liblinear(args, svm, workdir, args.C, args.liblinear_bias))
    elif liblinearutil is not None or args.liblinear is not None:
        log("%s: LIBLINEAR skipped: %s" % (kind, "its -s 0 is one-vs-rest for k > 2, "
            "not the multinomial objective" if kind == "softmax" else
            "it has no unpenalised least squares (-s 11 penalises w and the bias)"))

    results = {}  # (tool index, setting) -> (seconds, objective)

    def attempt(t, setting):
        tool = tools[t]
        try:
            seconds, theta = tool.run(setting)
        except RuntimeError as error:
            log("  %s %s: %s" % (tool.name, tool.describe(setting), error))
            return None
        value = objective(kind, theta, x, y, l2)
        results.setdefault((t, setting), []).append((seconds, value))
        log("  %-45s %-12s %8.3f s  objective %.12g" % (tool.name, tool.describe(setting),
                                                         seconds, value))
        return seconds, value

    # Phase 1: every tool at its tightest setting that works: the best objective.
    log("%s: each tool at its tightest setting" % kind)
    for t, tool in enumerate(tools):
        for setting in reversed(tool.settings):
            if attempt(t, setting) is not None:
                break
    values = [v for runs in results.values() for _, v in runs]
    if not values:
        raise SystemExit("%s: no tool produced a result" % kind)
    best = min(values)
    target = best + REL_TOL * abs(best)

    # Phase 2: each tool's loosest setting within REL_TOL of the best.
    log("%s: best objective %.15g; looking for each tool's loosest setting within %g"
        % (kind, best, REL_TOL))
    rows = []
    for t, tool in enumerate(tools):
        chosen = None
        found = False
        closest = None
        for setting in tool.settings:
            runs = results.get((t, setting))
            if runs is None:
                if attempt(t, setting) is None:
                    continue
                runs = results[(t, setting)]
            value = runs[0][1]
            closest = value if closest is None else min(closest, value)
            if value <= target:
                chosen, found = setting, True
                break
        if not found:
            rows.append(dict(kind=kind, tool=tool.name, setting="—", seconds=None,
                             objective=closest, gap=None if closest is None else
                             (closest - best) / abs(best), threads=tool.threads))
            continue
        while len(results[(t, chosen)]) < args.repeat:
            if attempt(t, chosen) is None:
                break
        runs = results[(t, chosen)]
        setting = tool.describe(chosen)
        if chosen == tool.settings[0] and len(tool.settings) > 1:
            setting += " (the loosest tried)"
        rows.append(dict(kind=kind, tool=tool.name, setting=setting,
                         seconds=statistics.median(s for s, _ in runs),
                         objective=min(v for _, v in runs),
                         gap=(min(v for _, v in runs) - best) / abs(best),
                         threads=tool.threads, runs=len(runs)))

    # Cross-check: the CLI's own loss against ours computed here.
    worst = 0.0
    for loss, theta in tools[0].json_losses:
        mine = objective(kind, theta, x, y, l2)
        worst = max(worst, abs(loss - mine) / max(abs(mine), 1e-300))
    log("%s: gdlearn's reported loss vs numpy's objective: max relative difference %.2e"
        % (kind, worst))
    ours = rows[0]["seconds"]
    for row in rows:
        row.update(n=n, m=m, k=k, l2=l2, best=best)
        row["ratio"] = (ours / row["seconds"] if ours is not None and row["seconds"]
                        else None)
    return rows


def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"),
                        help="build directory with src/cli/gdlearn and tests/bench/gdlearn-bench")
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--models", default="linear,logistic,softmax")
    parser.add_argument("--C", type=float, default=1.0, help="λ = 1/(n·C) for classifiers")
    parser.add_argument("--threads", type=int, default=None,
                        help="gdlearn fit --threads (default: the library's default)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each tool's chosen setting (median)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--liblinear-bias", type=float, default=100.0)
    parser.add_argument("--workdir", default=None, help="keep the files here")
    parser.add_argument("--json", default=None, help="also write the rows as JSON lines here")
    args = parser.parse_args()

    args.gdlearn = os.path.join(args.build, "src", "cli", "gdlearn")
    args.bench = os.path.join(args.build, "tests", "bench", "gdlearn-bench")
    for path in (args.gdlearn, args.bench):
        if not os.access(path, os.X_OK):
            sys.exit("peers.py: %s not found; build it (see docs/performance.md) "
                     "or pass --build" % path)
    args.liblinear = shutil.which("liblinear-train")

    workdir = args.workdir or tempfile.mkdtemp(prefix="gdlearn-peers-")
    os.makedirs(workdir, exist_ok=True)
    rows = []
    try:
        for kind in args.models.split(","):
            rows += run_model(args, kind.strip(), workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print("| model | n × m (k) | tool | threads | setting reached | fit time (s) | "
          "objective − best (rel.) | ours / tool |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        size = "%d × %d" % (r["n"], r["m"]) + (" (%d)" % r["k"] if r["k"] > 2 else "")
        reached = r["setting"] if r["seconds"] is not None else (
            "not within %g (best %s)" % (REL_TOL, fmt(r["gap"], ".1e")))
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["kind"], size, r["tool"], r["threads"], reached, fmt(r["seconds"], ".3f"),
            fmt(r["gap"], ".1e"), fmt(r["ratio"], ".2f")))
    if args.json:
        with open(args.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
