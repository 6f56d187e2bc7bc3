#!/usr/bin/env bash
# Every baseline (build/bench/baseline_<name>) computes the same rows as its job on the
# same small generated input, compared as a multiset (the baselines write their rows in
# hash-table order), and prints its report line. A workload whose baseline is not built
# is skipped (and listed), so that the test grows with bench/baseline/.
source "$(dirname "$0")/lib.sh" "$1" "$2"

multiset() {
    head -n 1 "$1"
    tail -n +2 "$1" | LC_ALL=C sort
}

# compare NAME JOB_OUT BASELINE_OUT
compare() {
    multiset "$2" >"$2.sorted"
    multiset "$3" >"$3.sorted"
    expect_same_file "$2.sorted" "$3.sorted" "$1: job and baseline rows"
    checks=$((checks + 1))
    [ "$(wc -l <"$2")" -gt 1 ] || fail "$1: the job wrote no rows, the comparison is empty"
}

# workload NAME: true when its baseline exists.
workload() {
    [ -x "$BUILD/bench/baseline_$1" ] && return 0
    echo "skipped: no baseline_$1"
    return 1
}

if workload ysb; then
    expect_exit 0 "ysb job" -- "$SANGAM" run --parallelism 2 "$BUILD/jobs/ysb.so" \
        --input "gen:ysb?count=50000&rate=2000&seed=5" --output "file:$TMP/ysb-job.csv" &&
        expect_exit 0 "ysb baseline" -- "$BUILD/bench/baseline_ysb" --count 50000 --rate 2000 \
            --seed 5 --output "$TMP/ysb-base.csv" &&
        compare ysb "$TMP/ysb-job.csv" "$TMP/ysb-base.csv"
    expect_stderr '^baseline ysb: events 50000, seconds [0-9.]+, events/s [0-9]+$' \
        "ysb baseline report line"
fi
finish
