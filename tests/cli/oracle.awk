# An independent oracle for the CLI tests: reads a model file (format of
# docs/model-format.md) and a CSV in its training layout (or the features
# alone), and computes in awk what gdlearn should print, straight from the
# formulas of DESIGN §1 — no code shared with the library.
#
#   awk -v mode=objective -f oracle.awk MODEL DATA.csv   # L(θ), one number
#   awk -v mode=predict   -f oracle.awk MODEL DATA.csv   # ŷ, P(y=1) or k probabilities
#   awk -v mode=labels    -f oracle.awk MODEL DATA.csv   # most probable class
#   awk -v mode=targets   -f oracle.awk MODEL DATA.csv   # the label column's values
function abs(v) { return v < 0 ? -v : v }
function softplus(z) { return (z > 0 ? z : 0) + log(1 + exp(-abs(z))) }

# The model file: "key value…" lines, then θ as R lines of C numbers.
FNR == NR {
    nf = split($0, f, /[ \t]+/)
    if (in_theta && f[1] != "end") {
        for (c = 1; c <= nf; c++) theta[theta_row, c - 1] = f[c] + 0
        theta_row++
    } else if (f[1] == "kind") kind = f[2]
    else if (f[1] == "n_features") m = f[2] + 0
    else if (f[1] == "l2") l2 = f[2] + 0
    else if (f[1] == "label_column") label_column = (f[2] == "none") ? -1 : f[2] + 0
    else if (f[1] == "standardize") standardize = f[2] + 0
    else if (f[1] == "mean") for (j = 2; j <= nf; j++) mean[j - 2] = f[j] + 0
    else if (f[1] == "scale") for (j = 2; j <= nf; j++) scale[j - 2] = f[j] + 0
    else if (f[1] == "theta") { rows = f[2] + 0; cols = f[3] + 0; in_theta = 1; theta_row = 0 }
    else if (f[1] == "end") in_theta = 0
    next
}

# The CSV: a header is a first line that does not start like a number.
FNR == 1 && $0 !~ /^[ \t]*[-+.0-9]/ { next }

{
    nf = split($0, field, ",")
    if (label_column < 0) label_column = m
    j = 0
    has_label = (nf == m + 1)
    for (c = 1; c <= nf; c++) {
        if (has_label && c - 1 == label_column) { y = field[c] + 0; continue }
        x[j] = field[c] + 0
        if (standardize) x[j] = (x[j] - mean[j]) / scale[j]
        j++
    }
    top = -1e308
    for (c = 0; c < cols; c++) {
        z[c] = theta[0, c]
        for (j = 0; j < m; j++) z[c] += x[j] * theta[j + 1, c]
        if (z[c] > top) { top = z[c]; best = c }
    }
    n++
    if (mode == "targets") printf "%.17g\n", y
    if (kind == "linear") {
        loss += 0.5 * (z[0] - y) * (z[0] - y)
        if (mode == "predict") printf "%.17g\n", z[0]
    } else if (kind == "logistic") {
        loss += softplus(z[0]) - y * z[0]
        p = 1 / (1 + exp(-z[0]))
        if (mode == "predict") printf "%.17g\n", p
        if (mode == "labels") print (p > 0.5 ? 1 : 0)
    } else {
        total = 0
        for (c = 0; c < cols; c++) total += exp(z[c] - top)
        loss += top + log(total) - z[y]
        if (mode == "labels") print best
        if (mode == "predict") {
            for (c = 0; c < cols; c++)
                printf "%.17g%s", exp(z[c] - top) / total, (c + 1 < cols ? "," : "\n")
        }
    }
}

END {
    if (mode != "objective") exit
    penalty = 0
    for (r = 1; r < rows; r++)
        for (c = 0; c < cols; c++) penalty += theta[r, c] * theta[r, c]
    printf "%.17g\n", loss / n + 0.5 * l2 * penalty
}
