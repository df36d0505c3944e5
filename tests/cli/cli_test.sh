#!/usr/bin/env bash
# shellcheck disable=SC2016 # eval strings are expanded when the check runs
# Tests of the gdlearn command (DESIGN §4, docs/cli.md), run by ctest:
#
#   cli_test.sh CASE GDLEARN DATA_DIR [CMAKE BUILD_DIR]
#
# CASE is one of: help, softmax, logistic, linear, diverged, bad_data,
# bad_model, usage, install. Results are checked against oracle.awk, which
# recomputes objectives and predictions from the model file and the CSV.
# Plain bash + awk: no other dependency.
set -u

case_name=$1
gdlearn_binary=$2
data_dir=$3
cmake_command=${4:-}
build_dir=${5:-}
oracle="$(cd "$(dirname "$0")" && pwd)/oracle.awk"

# GDLEARN_CLI_WRAPPER runs every call under a tool, e.g.
#   GDLEARN_CLI_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full
#   --errors-for-leak-kinds=definite,indirect" ctest -L cli
run_gdlearn() {
    # shellcheck disable=SC2086
    ${GDLEARN_CLI_WRAPPER:-} "$gdlearn_binary" "$@"
}
gdlearn=run_gdlearn

work=$(mktemp -d "${TMPDIR:-/tmp}/gdlearn-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
out="$work/stdout"
err="$work/stderr"
failures=0

pass() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: the command must succeed
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# run COMMAND...: stdout to $out, stderr to $err, exit status to $rc.
run() {
    "$@" >"$out" 2>"$err"
    rc=$?
}

# A field of the JSON object on the last line of stdout (numbers and strings).
json_field() {
    tail -n 1 "$out" | sed -n -E "s/.*\"$1\":(\"[^\"]*\"|[^,}]*).*/\\1/p"
}

# |a − b| ≤ tol · max(|a|, |b|) + abs_tol
close_to() {
    awk -v a="$1" -v b="$2" -v tol="$3" -v abs_tol="${4:-0}" 'BEGIN {
        if (a == "" || b == "") exit 1
        d = a - b; if (d < 0) d = -d
        s = a < 0 ? -a : a; t = b < 0 ? -b : b; if (t > s) s = t
        exit !(d <= tol * s + abs_tol)
    }'
}

# Two CSV files of numbers with the same shape, equal to a tolerance.
same_numbers() {
    awk -F, -v tol="$3" '
        FNR == NR { line[FNR] = $0; rows = FNR; next }
        {
            n = split(line[FNR], a, ",")
            if (n != NF) { bad = 1; exit }
            for (i = 1; i <= NF; i++) {
                d = a[i] - $i; if (d < 0) d = -d
                s = a[i] < 0 ? -a[i] : a[i]; t = $i < 0 ? -$i : $i; if (t > s) s = t
                if (d > tol * s + tol) { bad = 1; exit }
            }
            seen = FNR
        }
        END { exit bad || seen != rows }' "$1" "$2"
}

no_nan_on_stdout() { ! grep -qiE 'nan|inf' "$out"; }
stderr_empty() { [ ! -s "$err" ]; }
one_line_on_stderr() {
    [ "$(wc -l <"$err")" -eq 1 ] && head -n 1 "$err" | grep -q '^gdlearn: '
}

# The round trip of DESIGN §4: fit --json, then eval and predict on the
# training file, every number checked against the oracle.
# roundtrip NAME TRAIN k FIT-OPTIONS...
roundtrip() {
    local name=$1 train=$2 k=$3
    shift 3
    local model="$work/$name.model"
    run "$gdlearn" fit "$@" "$train" -o "$model" --json
    check "$name: fit exits 0" [ "$rc" -eq 0 ]
    check "$name: fit prints one line (JSON) on stdout" [ "$(wc -l <"$out")" -eq 1 ]
    check "$name: fit is silent on stderr (no progress through a pipe)" stderr_empty
    check "$name: no NaN on stdout" no_nan_on_stdout
    local key
    for key in model optimizer n m k iterations loss grad_max status fit_seconds load_seconds; do
        check "$name: JSON has \"$key\"" [ -n "$(json_field "$key")" ]
    done
    check "$name: JSON k" [ "$(json_field k)" = "$k" ]
    local status loss
    status=$(json_field status)
    check "$name: JSON status is a documented one" \
        grep -qxE '"(converged|max_iter|diverged|stopped)"' <<<"$status"
    loss=$(json_field loss)
    check "$name: the model file exists" [ -s "$model" ]

    local expected
    expected=$(awk -v mode=objective -f "$oracle" "$model" "$train")
    check "$name: fit's loss is the objective at the saved θ (oracle, 1e-9)" \
        close_to "$loss" "$expected" 1e-9

    run "$gdlearn" eval "$model" "$train" --json
    check "$name: eval exits 0" [ "$rc" -eq 0 ]
    check "$name: eval is silent on stderr" stderr_empty
    check "$name: eval --json loss equals fit --json loss (1e-12 relative)" \
        close_to "$(json_field loss)" "$loss" 1e-12
    check "$name: eval n is the number of rows" \
        [ "$(json_field n)" = "$(($(wc -l <"$train") - 1))" ]
    eval_out="$work/$name.eval"
    cp "$out" "$eval_out"

    run "$gdlearn" predict "$model" "$train"
    check "$name: predict exits 0" [ "$rc" -eq 0 ]
    check "$name: predict prints one row per data row" \
        [ "$(wc -l <"$out")" -eq "$(($(wc -l <"$train") - 1))" ]
    check "$name: no NaN from predict" no_nan_on_stdout
    cp "$out" "$work/$name.predict"
    awk -v mode=targets -f "$oracle" "$model" "$train" >"$work/$name.targets"
    if [ "$k" = 0 ]; then
        awk -v mode=predict -f "$oracle" "$model" "$train" >"$work/$name.oracle"
        check "$name: predictions match the oracle" \
            same_numbers "$work/$name.predict" "$work/$name.oracle" 1e-9
        # R² from the predictions, computed here.
        local r2
        r2=$(awk 'FNR == NR { p[FNR] = $1; next }
                  { y[FNR] = $1; s += $1; n++ }
                  END { mu = s / n
                        for (i = 1; i <= n; i++) {
                            t += (y[i] - mu) ^ 2; r += (p[i] - y[i]) ^ 2
                        }
                        printf "%.17g", 1 - r / t }' \
            "$work/$name.predict" "$work/$name.targets")
        check "$name: eval's r2 matches the predictions" \
            close_to "$(tail -n 1 "$eval_out" | sed -E 's/.*"r2":([^,}]*).*/\1/')" "$r2" 1e-9
    else
        awk -v mode=labels -f "$oracle" "$model" "$train" >"$work/$name.oracle"
        check "$name: predicted classes match the oracle" \
            cmp -s "$work/$name.predict" "$work/$name.oracle"
        local accuracy
        accuracy=$(awk 'FNR == NR { p[FNR] = $1; next }
                        { n++; hit += (p[FNR] == $1) }
                        END { printf "%.17g", hit / n }' \
            "$work/$name.predict" "$work/$name.targets")
        check "$name: eval's accuracy matches the predictions" \
            close_to "$(tail -n 1 "$eval_out" | sed -E 's/.*"accuracy":([^,}]*).*/\1/')" \
            "$accuracy" 1e-15
        run "$gdlearn" predict --proba "$model" "$train"
        check "$name: predict --proba exits 0" [ "$rc" -eq 0 ]
        awk -v mode=predict -f "$oracle" "$model" "$train" >"$work/$name.oracle"
        check "$name: probabilities match the oracle" \
            same_numbers "$out" "$work/$name.oracle" 1e-9
        cp "$out" "$work/$name.proba"
    fi
}

# Labels of iris classes 1 and 2 as 0/1, the label moved to the first column
# (a layout other than the default) under the header name "virginica".
make_two_class_iris() {
    awk -F, -v OFS=, 'NR == 1 { print "virginica", $1, $2, $3, $4; next }
                      $5 != 0 { print $5 - 1, $1, $2, $3, $4 }' "$data_dir/iris.csv" >"$1"
}

case_help() {
    local topic
    for topic in "--help" "-h" "help" "fit --help" "predict --help" "eval -h" "help fit"; do
        # shellcheck disable=SC2086
        run "$gdlearn" $topic
        check "gdlearn $topic: exit 0, usage on stdout, nothing on stderr" \
            eval '[ "$rc" -eq 0 ] && grep -q "^Usage: gdlearn" "$out" && stderr_empty'
    done
    run "$gdlearn" fit --help
    local option
    for option in -t -o --optimizer --line-search --lr --tol --max-iter --batch-size --l2 \
        --standardize --gram --seed --threads --label --classes --json --quiet; do
        check "fit --help documents $option" grep -qe "$option" "$out"
    done
    check "fit --help says what --threads bounds" grep -q "threads per gradient evaluation" "$out"
    check "fit --help names lbfgs as the default optimizer" grep -q "lbfgs (default)" "$out"
    run "$gdlearn" --version
    check "--version exits 0 with 'gdlearn X.Y.Z'" \
        eval '[ "$rc" -eq 0 ] && grep -qE "^gdlearn [0-9]+\.[0-9]+\.[0-9]+" "$out"'
}

case_softmax() {
    roundtrip softmax_lbfgs "$data_dir/iris.csv" 3 -t softmax --optimizer lbfgs
    run "$gdlearn" eval "$work/softmax_lbfgs.model" "$data_dir/iris.csv"
    check "eval without --json: objective and accuracy lines" \
        eval 'grep -q "^objective " "$out" && grep -q "^accuracy " "$out"'
    run "$gdlearn" fit -t softmax --optimizer lbfgs "$data_dir/iris.csv" -o "$work/c.model" --json
    check "softmax lbfgs: status converged, grad_max below --tol" \
        eval '[ "$(json_field status)" = "\"converged\"" ] &&
              close_to 0 "$(json_field grad_max)" 0 1e-6'
    roundtrip softmax_gd "$data_dir/iris.csv" 3 -t softmax --optimizer gd --max-iter 2000 --standardize
    run "$gdlearn" fit -t softmax --optimizer gd --max-iter 2000 "$data_dir/iris.csv" -o "$work/m" \
        --json
    check "softmax gd --max-iter 2000: status max_iter, 2000 iterations" \
        eval '[ "$(json_field status)" = "\"max_iter\"" ] && [ "$(json_field iterations)" = 2000 ]'
    # predict accepts the features alone, with the same result.
    cut -d, -f1-4 "$data_dir/iris.csv" >"$work/features.csv"
    run "$gdlearn" predict --proba "$work/softmax_lbfgs.model" "$work/features.csv"
    check "predict on the features alone gives the same probabilities" \
        eval '[ "$rc" -eq 0 ] && cmp -s "$out" "$work/softmax_lbfgs.proba"'
    run "$gdlearn" eval "$work/softmax_lbfgs.model" "$work/features.csv"
    check "eval on the features alone: exit 1, one line" \
        eval '[ "$rc" -eq 1 ] && one_line_on_stderr && [ ! -s "$out" ]'
    # --classes larger than the labels need: a 4th class that never occurs.
    run "$gdlearn" fit -t softmax --classes 4 --optimizer lbfgs --l2 0.01 "$data_dir/iris.csv" \
        -o "$work/four.model" --json
    check "--classes 4: k = 4" eval '[ "$rc" -eq 0 ] && [ "$(json_field k)" = 4 ]'
    check "--classes 4 --l2 0.01: loss is the oracle's objective" \
        close_to "$(json_field loss)" \
        "$(awk -v mode=objective -f "$oracle" "$work/four.model" "$data_dir/iris.csv")" 1e-9
    # the human summary without --json
    run "$gdlearn" fit -t softmax --optimizer lbfgs "$data_dir/iris.csv" -o "$work/h.model"
    check "summary without --json names the model file" \
        eval '[ "$rc" -eq 0 ] && grep -q "model written to" "$out" && stderr_empty'
    run "$gdlearn" fit -t softmax --optimizer lbfgs --quiet "$data_dir/iris.csv" -o "$work/q.model"
    check "--quiet: nothing on stdout or stderr" \
        eval '[ "$rc" -eq 0 ] && [ ! -s "$out" ] && stderr_empty'
}

case_logistic() {
    local two="$work/two.csv"
    make_two_class_iris "$two"
    roundtrip logistic "$two" 2 -t logistic --optimizer lbfgs --label virginica --l2 0.001
    run "$gdlearn" fit -t logistic --optimizer lbfgs --label 0 --l2 0.001 "$two" \
        -o "$work/by_index.model" --json
    check "--label 0 and --label virginica give the same model file" \
        cmp -s "$work/by_index.model" "$work/logistic.model"
    roundtrip logistic_std "$two" 2 -t logistic --optimizer adam --lr 0.05 --max-iter 3000 \
        --label virginica --standardize
    # the label is in column 0: predict on the features alone
    cut -d, -f2-5 "$two" >"$work/two_features.csv"
    run "$gdlearn" predict "$work/logistic.model" "$work/two_features.csv"
    check "logistic predict on the features alone = on the full rows" \
        eval '[ "$rc" -eq 0 ] && cmp -s "$out" "$work/logistic.predict"'
}

case_linear() {
    local diabetes="$data_dir/diabetes.csv"
    roundtrip linear "$diabetes" 0 -t linear --optimizer lbfgs --tol 1e-7
    local raw_loss
    raw_loss=$(json_field loss)
    run "$gdlearn" fit -t linear --optimizer lbfgs --tol 1e-7 "$diabetes" -o "$work/a.model" --json
    raw_loss=$(json_field loss)
    roundtrip linear_std "$diabetes" 0 -t linear --standardize --optimizer lbfgs --tol 1e-7
    run "$gdlearn" fit -t linear --standardize --optimizer lbfgs --tol 1e-7 "$diabetes" \
        -o "$work/b.model" --json
    # Without a penalty, z-scoring the features does not change the least-squares
    # optimum's objective: both fits reach the same minimum.
    check "linear: the same optimum with and without --standardize (1e-9)" \
        close_to "$(json_field loss)" "$raw_loss" 1e-9
    # The default optimizer is lbfgs: it needs no --lr, even on the raw features.
    run "$gdlearn" fit -t linear --tol 1e-7 "$diabetes" -o "$work/default.model" --json
    check "linear: the default optimizer is lbfgs and converges on the raw features" \
        eval '[ "$rc" -eq 0 ] && [ "$(json_field optimizer)" = "\"lbfgs\"" ] &&
              [ "$(json_field status)" = "\"converged\"" ]'
    check "linear: the default reaches the least-squares optimum (1e-9)" \
        close_to "$(json_field loss)" "$raw_loss" 1e-9
    # R² of ordinary least squares on the whole diabetes set, as scikit-learn's
    # LinearRegression().fit(X, y).score(X, y) gives it: 0.5177484222203499.
    run "$gdlearn" eval "$work/b.model" "$diabetes" --json
    check "linear: R² of the least-squares fit is scikit-learn's (1e-9)" \
        close_to "$(json_field r2)" 0.5177484222203499 1e-9
    # Through XᵀX (--gram): the same optimum, from the same raw features.
    roundtrip linear_gram "$diabetes" 0 -t linear --gram --optimizer lbfgs --tol 1e-7
    run "$gdlearn" fit -t linear --gram --optimizer lbfgs --tol 1e-7 "$diabetes" \
        -o "$work/gram.model" --json
    check "linear --gram: JSON says gram" [ "$(json_field gram)" = true ]
    check "linear --gram: the least-squares optimum (1e-9)" \
        close_to "$(json_field loss)" "$raw_loss" 1e-9
    run "$gdlearn" fit -t linear --gram --standardize --optimizer gd --lr 0.4 --tol 1e-9 \
        "$diabetes" -o "$work/gram_gd.model" --json
    check "linear --gram gd: converged to the least-squares optimum (1e-9)" \
        eval '[ "$rc" -eq 0 ] && [ "$(json_field status)" = "\"converged\"" ] &&
              close_to "$(json_field loss)" "$raw_loss" 1e-9'
    run "$gdlearn" fit -t linear --optimizer lbfgs --tol 1e-7 "$diabetes" -o "$work/c.model" --json
    check "linear without --gram: JSON says gram false" [ "$(json_field gram)" = false ]
    roundtrip linear_gd "$diabetes" 0 -t linear --standardize --optimizer gd --lr 0.1 --max-iter 3000
    roundtrip linear_sgd "$diabetes" 0 -t linear --standardize --optimizer sgd --lr 0.01 \
        --batch-size 16 --seed 7 --max-iter 2000
    roundtrip linear_nesterov "$diabetes" 0 -t linear --standardize --optimizer nesterov \
        --line-search --max-iter 2000 --l2 0.01
}

case_diverged() {
    # The seed's gd with its default α = 0.01 on the raw features (s1 is in the hundreds).
    run "$gdlearn" fit -t linear --optimizer gd "$data_dir/diabetes.csv" -o "$work/d.model" --json
    check "diverged fit: exit 1" [ "$rc" -eq 1 ]
    check "diverged fit: one line on stderr saying so" \
        eval 'one_line_on_stderr && grep -q diverged "$err"'
    check "diverged fit: no model file" [ ! -e "$work/d.model" ]
    check "diverged fit: no temporary file left" \
        eval '[ -z "$(find "$work" -name "d.model*")" ]'
    check "diverged fit: --json says status diverged" [ "$(json_field status)" = '"diverged"' ]
    check "diverged fit: no NaN on stdout" no_nan_on_stdout
}

# expect_failure DESCRIPTION EXIT_STATUS LOCATION COMMAND...: the exit status,
# exactly one line on stderr (containing LOCATION), nothing on stdout, and no
# file in $work/out/.
expect_failure() {
    local description=$1 expected=$2 location=$3
    shift 3
    rm -rf "$work/out"
    mkdir "$work/out"
    run "$@"
    if [ "$rc" -eq "$expected" ] && one_line_on_stderr && [ ! -s "$out" ] \
        && [ -z "$(ls -A "$work/out")" ] && grep -qF -- "$location" "$err"; then
        pass "$description"
    else
        fail "$description (exit $rc, stderr: $(head -c 300 "$err"), out: $(ls -A "$work/out"))"
    fi
}

case_bad_data() {
    local d="$work/data"
    mkdir "$d"
    printf 'a,b,y\n1,2,3\n4,5\n' >"$d/ragged.csv"
    printf 'a,b,y\n1,2,3\n4,x,5\n' >"$d/word.csv"
    printf 'a,b,y\n1,2,3\n4,nan,5\n' >"$d/nan.csv"
    printf 'a,b,y\n1,2,3\n4,-inf,5\n' >"$d/inf.csv"
    printf 'a,b,y\n1,2,3\n4,1e999,5\n' >"$d/huge.csv"
    : >"$d/empty.csv"
    printf 'a,b,y\n' >"$d/header.csv"
    printf 'a,b,y\n1,2,0\n4,5,1\n6,7,2\n' >"$d/three.csv"
    printf 'a,b,y\n1,2,0\n4,5,1.5\n6,7,1\n' >"$d/half.csv"
    printf 'a,b,y\n1,2,0\n4,5,-1\n' >"$d/negative.csv"
    printf 'y\n1\n2\n' >"$d/label_only.csv"
    local o="$work/out/m.model"
    expect_failure "ragged row" 1 "ragged.csv:3:" "$gdlearn" fit -t linear "$d/ragged.csv" -o "$o"
    expect_failure "a field that is not a number" 1 "word.csv:3:2:" \
        "$gdlearn" fit -t linear "$d/word.csv" -o "$o"
    expect_failure "NaN" 1 "nan.csv:3:2:" "$gdlearn" fit -t linear "$d/nan.csv" -o "$o"
    expect_failure "Inf" 1 "inf.csv:3:2:" "$gdlearn" fit -t linear "$d/inf.csv" -o "$o" --json
    expect_failure "a number beyond a double" 1 "huge.csv:3:2:" \
        "$gdlearn" fit -t linear "$d/huge.csv" -o "$o"
    expect_failure "empty file" 1 "empty.csv:" "$gdlearn" fit -t linear "$d/empty.csv" -o "$o"
    expect_failure "header only" 1 "header.csv:1:" "$gdlearn" fit -t linear "$d/header.csv" -o "$o"
    expect_failure "no feature column" 1 "label_only.csv:" \
        "$gdlearn" fit -t linear "$d/label_only.csv" -o "$o"
    expect_failure "logistic label 2 (line 4, column 3)" 1 "three.csv:4:3:" \
        "$gdlearn" fit -t logistic "$d/three.csv" -o "$o"
    expect_failure "softmax label 1.5" 1 "half.csv:3:3:" \
        "$gdlearn" fit -t softmax "$d/half.csv" -o "$o"
    expect_failure "softmax label -1" 1 "negative.csv:3:3:" \
        "$gdlearn" fit -t softmax "$d/negative.csv" -o "$o"
    expect_failure "softmax label beyond --classes" 1 "three.csv:4:3:" \
        "$gdlearn" fit -t softmax --classes 2 "$d/three.csv" -o "$o"
    expect_failure "missing training file" 1 "no-such.csv:" \
        "$gdlearn" fit -t linear "$d/no-such.csv" -o "$o"
    expect_failure "no such label column" 1 "three.csv:1:" \
        "$gdlearn" fit -t linear --label nope "$d/three.csv" -o "$o"
    expect_failure "output directory missing" 1 "no-dir" \
        "$gdlearn" fit -t linear "$d/three.csv" -o "$work/out/no-dir/m.model"
    # A failed fit leaves an existing model file exactly as it was.
    printf 'previous\n' >"$work/keep.model"
    run "$gdlearn" fit -t linear "$d/ragged.csv" -o "$work/keep.model"
    check "a failed fit leaves the existing model file alone" \
        eval '[ "$rc" -eq 1 ] && [ "$(cat "$work/keep.model")" = previous ]'
}

case_bad_model() {
    local iris="$data_dir/iris.csv" model="$work/iris.model" d="$work/models"
    mkdir "$d"
    "$gdlearn" fit -t softmax --optimizer lbfgs "$iris" -o "$model" --quiet || fail "fit"
    sed '$d' "$model" >"$d/no_end.model"               # the 'end' line missing
    head -c 300 "$model" >"$d/cut.model"               # cut inside θ
    sed '1s/.*/gdlearn-model 2/' "$model" >"$d/v2.model"
    sed 's/^kind softmax$/kind tree/' "$model" >"$d/kind.model"
    : >"$d/empty.model"
    expect_failure "model truncated before 'end'" 1 "no_end.model:" \
        "$gdlearn" predict "$d/no_end.model" "$iris"
    expect_failure "model cut inside θ" 1 "cut.model:" "$gdlearn" eval "$d/cut.model" "$iris"
    expect_failure "model from another version" 1 "v2.model:1:" \
        "$gdlearn" predict "$d/v2.model" "$iris"
    expect_failure "model of an unknown kind" 1 "kind.model:2:" \
        "$gdlearn" eval "$d/kind.model" "$iris" --json
    expect_failure "empty model file" 1 "empty.model" "$gdlearn" predict "$d/empty.model" "$iris"
    expect_failure "a CSV given as the model" 1 "iris.csv:1:" "$gdlearn" predict "$iris" "$iris"
    expect_failure "missing model file" 1 "none.model:" "$gdlearn" predict "$d/none.model" "$iris"
    expect_failure "missing data file" 1 "none.csv:" "$gdlearn" eval "$model" "$d/none.csv"
    expect_failure "data with the wrong number of columns" 1 "diabetes.csv:" \
        "$gdlearn" predict "$model" "$data_dir/diabetes.csv"
    awk -F, -v OFS=, 'NR == 5 { $5 = 3 } { print }' "$iris" >"$d/label3.csv"
    expect_failure "eval: a label outside the model's range (line 5, column 5)" 1 \
        "label3.csv:5:5:" "$gdlearn" eval "$model" "$d/label3.csv"
    awk -F, -v OFS=, 'NR == 7 { $2 = "abc" } { print }' "$iris" >"$d/word.csv"
    expect_failure "predict: a field that is not a number" 1 "word.csv:7:2:" \
        "$gdlearn" predict "$model" "$d/word.csv"
    # predict ignores the label column: an out-of-range label is no error there.
    run "$gdlearn" predict "$model" "$d/label3.csv"
    check "predict ignores the label column" \
        eval '[ "$rc" -eq 0 ] && [ "$(wc -l <"$out")" -eq 150 ]'
}

case_usage() {
    local iris="$data_dir/iris.csv" o="$work/out/m.model"
    expect_failure "no command" 2 "gdlearn --help" "$gdlearn"
    expect_failure "unknown command" 2 "frobnicate" "$gdlearn" frobnicate
    expect_failure "unknown option" 2 "--frob" "$gdlearn" fit -t linear --frob "$iris" -o "$o"
    expect_failure "unknown predict option" 2 "--json" "$gdlearn" predict --json "$o" "$iris"
    expect_failure "missing -t" 2 "-t" "$gdlearn" fit "$iris" -o "$o"
    expect_failure "missing -o" 2 "-o" "$gdlearn" fit -t linear "$iris"
    expect_failure "missing TRAIN" 2 "TRAIN" "$gdlearn" fit -t linear -o "$o"
    expect_failure "two training files" 2 "unexpected" \
        "$gdlearn" fit -t linear "$iris" "$iris" -o "$o"
    expect_failure "missing value" 2 "needs a value" "$gdlearn" fit -t linear "$iris" -o "$o" --lr
    expect_failure "a value for a flag" 2 "takes no value" \
        "$gdlearn" fit -t linear --standardize=yes "$iris" -o "$o"
    local bad
    for bad in "-t tree" "--optimizer newton" "--lr abc" "--lr 0" "--lr -1" "--lr 1e999" \
        "--lr 0.1x" "--lr nan" "--lr inf" "--lr= 0.1" "--tol -1e-9" "--max-iter 0" \
        "--max-iter 1.5" "--max-iter -1" "--max-iter 99999999999999999999999" \
        "--batch-size 0" "--l2 -0.5" "--seed -1" "--seed 18446744073709551616" \
        "--threads 1025" "--threads two" "--classes 1" "--label ''"; do
        # shellcheck disable=SC2086
        eval "set -- $bad"
        expect_failure "bad option value: $bad" 2 "${1%%=*}" \
            "$gdlearn" fit -t softmax "$@" "$iris" -o "$o"
    done
    expect_failure "--classes for a linear model" 2 "--classes" \
        "$gdlearn" fit -t linear --classes 3 "$iris" -o "$o"
    expect_failure "--gram for a softmax model" 2 "--gram" \
        "$gdlearn" fit -t softmax --gram "$iris" -o "$o"
    expect_failure "--gram with sgd" 2 "--gram" \
        "$gdlearn" fit -t linear --gram --optimizer sgd "$iris" -o "$o"
    expect_failure "the model file is the training file" 2 "training file" \
        "$gdlearn" fit -t linear "$iris" -o "$iris"
    "$gdlearn" fit -t linear --optimizer lbfgs --standardize "$data_dir/diabetes.csv" \
        -o "$work/linear.model" --quiet || fail "fit"
    expect_failure "--proba on a linear model" 2 "--proba" \
        "$gdlearn" predict --proba "$work/linear.model" "$data_dir/diabetes.csv"
    expect_failure "eval without DATA" 2 "DATA" "$gdlearn" eval "$work/linear.model"
    # Options are accepted in any order and as --name=value.
    run "$gdlearn" fit --threads=2 --seed 0 --max-iter=50 "$iris" -t softmax --lr=0.5 \
        --optimizer=gd --tol 0 -o "$work/order.model" --json
    check "--name=value and options after TRAIN" \
        eval '[ "$rc" -eq 0 ] && [ "$(json_field iterations)" = 50 ]'
}

case_install() {
    local prefix="$work/prefix"
    if ! "$cmake_command" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1; then
        fail "cmake --install into a temporary prefix: $(tail -n 3 "$work/install.log")"
        return
    fi
    local installed="$prefix/bin/gdlearn"
    check "the command is installed in bin/" [ -x "$installed" ]
    run "$installed" --version
    check "installed gdlearn --version runs" \
        eval '[ "$rc" -eq 0 ] && grep -qE "^gdlearn [0-9]+\.[0-9]+\.[0-9]+" "$out"'
    local expected
    expected=$("$gdlearn" --version)
    check "installed --version = built --version" [ "$(cat "$out")" = "$expected" ]
    run "$installed" fit -t softmax --optimizer lbfgs "$data_dir/iris.csv" -o "$work/i.model" --json
    check "installed gdlearn fits" eval '[ "$rc" -eq 0 ] && [ -s "$work/i.model" ]'
    run "$installed" predict "$work/i.model" "$data_dir/iris.csv"
    check "installed gdlearn predicts" eval '[ "$rc" -eq 0 ] && [ "$(wc -l <"$out")" -eq 150 ]'
}

case "$case_name" in
help | softmax | logistic | linear | diverged | bad_data | bad_model | usage | install)
    "case_$case_name"
    ;;
*)
    echo "unknown case '$case_name'" >&2
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
