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
    expect_stderr '^baseline ysb: events 50000, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+$' \
        "ysb baseline report line"
fi

if workload ecommerce_sessions; then
    # A short gap and delay, so that sessions close while the input runs and some
    # events are late: the baseline's watermark rules are exercised, not only the end.
    expect_exit 0 "ecommerce job" -- "$SANGAM" run --parallelism 2 \
        "$BUILD/jobs/ecommerce_sessions.so" --input "gen:ecommerce?count=30000&seed=4&disorder=20000" \
        --gap-ms 5000 --max-delay-ms 2000 --output "file:$TMP/ec-job.csv"
    job_late=$(grep -E 'late records dropped' "$TMP/stderr" | awk '{ print $NF }')
    expect_exit 0 "ecommerce baseline" -- "$BUILD/bench/baseline_ecommerce_sessions" \
        --count 30000 --seed 4 --disorder 20000 --gap-ms 5000 --max-delay-ms 2000 \
        --output "$TMP/ec-base.csv" &&
        compare ecommerce_sessions "$TMP/ec-job.csv" "$TMP/ec-base.csv"
    expect_stderr "late $job_late, " "ecommerce baseline drops the job's late events ($job_late)"
    checks=$((checks + 1))
    [ "${job_late:-0}" -gt 0 ] || fail "ecommerce: the input should hold late events"
fi
if workload trending_words; then
    # Short windows against posts up to 20 s late: thousands of tokens miss some or all
    # of their windows, so the baseline's lateness rules are checked, not only the end.
    TW_ARGS="--window-ms 10000 --slide-ms 5000 --max-delay-ms 2000 --top 5"
    expect_exit 0 "trending_words job" -- "$SANGAM" run --parallelism 2 \
        "$BUILD/jobs/trending_words.so" --input "gen:posts?count=30000&rate=50&seed=9&disorder=20000" \
        $TW_ARGS --output "file:$TMP/tw-job.csv"
    job_late=$(grep -E 'late records dropped' "$TMP/stderr" | awk '{ print $NF }')
    expect_exit 0 "trending_words baseline" -- "$BUILD/bench/baseline_trending_words" \
        --count 30000 --rate 50 --seed 9 --disorder 20000 $TW_ARGS --output "$TMP/tw-base.csv" &&
        compare trending_words "$TMP/tw-job.csv" "$TMP/tw-base.csv"
    expect_stderr '^baseline trending_words: events 30000, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+$' \
        "trending_words baseline report line"
    expect_stderr "late $job_late, " "trending_words baseline drops the job's late tokens ($job_late)"
    checks=$((checks + 1))
    [ "${job_late:-0}" -gt 0 ] || fail "trending_words: the input should hold late tokens"
fi

if workload nexmark; then
    # Every query at parallelism 2 on 20000 events spread over 40 s of event time (rate
    # 500), so that the windowed queries fire several windows. In order, as gen:nexmark
    # is by default: nothing is late. q12's rows are windows of processing time, so the
    # job's are summed per bidder, which is what its baseline writes.
    NX_GEN="count=20000&rate=500&seed=11"
    for q in q0 q1 q2 q3 q4 q5 q7 q8 q11 q12; do
        expect_exit 0 "nexmark $q job" -- "$SANGAM" run --parallelism 2 "$BUILD/jobs/nexmark.so" \
            --query $q --input "gen:nexmark?$NX_GEN" --output "file:$TMP/nx-$q-job.csv" ||
            continue
        expect_exit 0 "nexmark $q baseline" -- "$BUILD/bench/baseline_nexmark" --query $q \
            --count 20000 --rate 500 --seed 11 --output "$TMP/nx-$q-base.csv" || continue
        expect_stderr "^baseline nexmark_$q: events 20000, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+\$" \
            "nexmark $q baseline report line"
        if [ $q = q12 ]; then
            { echo "bidder,bid_count"; tail -n +2 "$TMP/nx-$q-job.csv" |
                awk -F, '{ n[$1] += $2 } END { for (b in n) print b "," n[b] }'; } >"$TMP/nx-$q-tot.csv"
            mv "$TMP/nx-$q-tot.csv" "$TMP/nx-$q-job.csv"
        fi
        compare "nexmark $q" "$TMP/nx-$q-job.csv" "$TMP/nx-$q-base.csv"
    done

    # Lateness: out-of-order groups of 5000 events (~17 s at rate 300) against a 200 ms
    # delay, at parallelism 1 (one source instance, one watermark, as the baseline's).
    # The windowed queries drop thousands of bids; the rows and the drop counts agree.
    for q in q5 q7 q8 q11; do
        expect_exit 0 "nexmark $q job, out of order" -- "$SANGAM" run --parallelism 1 \
            "$BUILD/jobs/nexmark.so" --query $q --max-delay-ms 200 \
            --input "gen:nexmark?count=20000&rate=300&seed=3&ooo=5000" \
            --output "file:$TMP/nxo-$q-job.csv" || continue
        job_late=$(grep -E 'late records dropped' "$TMP/stderr" | awk '{ print $NF }')
        expect_exit 0 "nexmark $q baseline, out of order" -- "$BUILD/bench/baseline_nexmark" \
            --query $q --count 20000 --rate 300 --seed 3 --ooo 5000 --max-delay-ms 200 \
            --output "$TMP/nxo-$q-base.csv" || continue
        compare "nexmark $q out of order" "$TMP/nxo-$q-job.csv" "$TMP/nxo-$q-base.csv"
        expect_stderr "late $job_late\$" "nexmark $q baseline drops the job's late bids ($job_late)"
        checks=$((checks + 1))
        [ "${job_late:-0}" -gt 0 ] || fail "nexmark $q: the input should hold late events"
    done
fi
if workload irctc_analytics; then
    # As bench/run.sh runs it (the job's defaults, gen:irctc's disorder within the delay),
    # then bookings up to 20 s late against a 2 s delay and 10 s windows: both branches
    # drop late bookings, and windows and occupancy fire while the input runs.
    IR_CAP="$BUILD/jobs/irctc_analytics/capacity.csv"
    for c in "count=20000&seed=7||" \
        "count=30000&rate=20&seed=8&disorder=20000|--window-ms 10000 --max-delay-ms 2000|late"; do
        IFS='|' read -r gen opts want_late <<<"$c"
        expect_exit 0 "irctc job ($gen)" -- "$SANGAM" run --parallelism 2 \
            "$BUILD/jobs/irctc_analytics.so" --input "gen:irctc?$gen" --capacity "$IR_CAP" \
            $opts --output "file:$TMP/ir-job.csv" --alerts "file:$TMP/ir-job-alerts.csv" || continue
        job_late=$(grep -E 'late records dropped' "$TMP/stderr" | awk '{ print $NF }')
        # gen:irctc's parameters as the baseline's options: count=N&seed=S -> --count N --seed S
        base_opts=$(echo "$gen" | tr '&=' '  ' | sed -E 's/(^| )([a-z]+) /\1--\2 /g')
        expect_exit 0 "irctc baseline ($gen)" -- "$BUILD/bench/baseline_irctc_analytics" \
            $base_opts $opts --capacity "$IR_CAP" --output "$TMP/ir-base.csv" \
            --alerts "$TMP/ir-base-alerts.csv" || continue
        expect_stderr '^baseline irctc_analytics: events [0-9]+, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+$' \
            "irctc baseline report line"
        expect_stderr "late ${job_late:-0} " "irctc baseline drops the job's late bookings (${job_late:-0}, $gen)"
        compare "irctc windows ($gen)" "$TMP/ir-job.csv" "$TMP/ir-base.csv"
        compare "irctc alerts ($gen)" "$TMP/ir-job-alerts.csv" "$TMP/ir-base-alerts.csv"
        if [ -n "$want_late" ]; then
            checks=$((checks + 1))
            [ "${job_late:-0}" -gt 0 ] || fail "irctc: the input should hold late bookings"
        fi
    done
fi

if workload upi_fraud; then
    # As bench/run.sh runs it (payments only, the job's defaults), then with logins (the
    # no_login interval join), few payers (so profiles fill: repeat devices and payees,
    # velocity, city jumps) and payments and logins up to 3 s late against a 2 s delay.
    for c in "count=20000&seed=3||" \
        "count=20000&rate=200&seed=4&disorder=3000&payers=500|--max-delay-ms 2000|late"; do
        IFS='|' read -r gen opts want_late <<<"$c"
        logins=()
        [ -n "$want_late" ] && logins=(--logins "gen:upi_logins?$gen")
        expect_exit 0 "upi job ($gen)" -- "$SANGAM" run --parallelism 2 "$BUILD/jobs/upi_fraud.so" \
            --input "gen:upi?$gen" "${logins[@]}" $opts --output "file:$TMP/upi-job.csv" || continue
        job_late=$(grep -E 'late records dropped' "$TMP/stderr" | awk '{ print $NF }')
        base_opts=$(echo "$gen" | tr '&=' '  ' | sed -E 's/(^| )([a-z]+) /\1--\2 /g')
        expect_exit 0 "upi baseline ($gen)" -- "$BUILD/bench/baseline_upi_fraud" $base_opts \
            --logins $([ -n "$want_late" ] && echo 1 || echo 0) $opts --output "$TMP/upi-base.csv" ||
            continue
        expect_stderr '^baseline upi_fraud: events [0-9]+, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+$' \
            "upi baseline report line"
        expect_stderr "late ${job_late:-0}, " "upi baseline drops the job's late records (${job_late:-0}, $gen)"
        compare "upi_fraud ($gen)" "$TMP/upi-job.csv" "$TMP/upi-base.csv"
        if [ -n "$want_late" ]; then
            checks=$((checks + 1))
            [ "${job_late:-0}" -gt 0 ] || fail "upi_fraud: the input should hold late records"
            checks=$((checks + 1))
            awk -F, 'NR > 1 && $9 == 1 { n++ } NR > 1 && $9 == 0 { z++ } END { exit !(n > 0 && z > 0) }' \
                "$TMP/upi-base.csv" || fail "upi_fraud: no_login should be both 0 and 1"
        fi
    done
fi
finish
