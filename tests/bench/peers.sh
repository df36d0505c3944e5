#!/bin/sh
# Fit times of gdlearn against scikit-learn and LIBLINEAR on the same data and
# objective: runs peers.py (see its header and docs/performance.md) with a
# Python that has numpy — Debian's /usr/bin/python3 first, since a python3
# earlier in PATH (pyenv, a venv) may lack the Debian packages
# python3-sklearn/python3-numpy. Arguments are passed on, e.g.
#   tests/bench/peers.sh --build build-release --rows 200000 --features 50
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
for py in "${PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$py" ] || continue
    if "$py" -c "import numpy" >/dev/null 2>&1; then
        exec "$py" "$here/peers.py" "$@"
    fi
done
echo "peers.sh: no python3 with numpy found (Debian: apt-get install python3-numpy," \
     "or set PYTHON=/path/to/python3)" >&2
exit 1
