#!/usr/bin/env bash
# Kill -9 at random moments and restore: every shipped job, on a small generated input,
# killed at least 5 times with checkpoints every 50 ms (runs of 1-3 s), gives exactly the output of an
# uninterrupted run (scripts/kill-verify.sh); at-least-once mode loses nothing. The kill
# times are random; the seed is printed so a failure can be replayed.
source "$(dirname "$0")/lib.sh" "$1" "$2"
KV=(bash "$SRC/scripts/kill-verify.sh" --sangam "$SANGAM" --kills 5 --interval-ms 50)
J="$BUILD/jobs"
# Sanitizer builds run about 4x slower: a quarter of the input keeps runs of 1-3 s.
D=1
grep -q 'SG_ASAN:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && D=4
n() { echo $(($1 / D)); }

# kill_verify DESCRIPTION [KILL-VERIFY OPTIONS] -- JOB ARGS: runs it and checks it
# passed with at least 5 kills.
kill_verify() {
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "${KV[@]}" "$@" >"$TMP/kv.out" 2>"$TMP/kv.err"; then
        fail "$what: $(cat "$TMP/kv.err" "$TMP/kv.out" | head -c 600)"
        return
    fi
    cat "$TMP/kv.out"
    checks=$((checks + 1))
    grep -Eq 'kills [5-9]' "$TMP/kv.out" || fail "$what: fewer than 5 kills: $(cat "$TMP/kv.out")"
    # Most restarts should find a checkpoint to restore (the first may come before one).
    checks=$((checks + 1))
    grep -Eq 'restores [2-9]' "$TMP/kv.out" || fail "$what: fewer than 2 restores: $(cat "$TMP/kv.out")"
}

kill_verify "trending_words" -- --parallelism 2 "$J/trending_words.so" \
    --input "gen:posts?count=$(n 600000)&rate=200" --output 'file:@OUT@/trending.csv' \
    --window-ms 10000 --slide-ms 5000
kill_verify "ecommerce_sessions" -- --parallelism 2 "$J/ecommerce_sessions.so" \
    --input "gen:ecommerce?count=$(n 1200000)&rate=50" --output 'file:@OUT@/sessions.csv' \
    --gap-ms 60000
kill_verify "irctc_analytics" -- --parallelism 2 "$J/irctc_analytics.so" \
    --input "gen:irctc?count=$(n 1500000)&rate=100" --capacity "$J/irctc_analytics/capacity.csv" \
    --output 'file:@OUT@/windows.csv' --alerts 'file:@OUT@/alerts.csv'
kill_verify "upi_fraud" -- --parallelism 2 "$J/upi_fraud.so" \
    --input "gen:upi?count=$(n 250000)&rate=200" --logins "gen:upi_logins?count=$(n 250000)&rate=200" \
    --output 'file:@OUT@/scores.csv'
# The example's alert carries the time of the click that crossed the threshold, which
# depends on how the parallel click generator's instances interleave (docs/operators.md,
# "What depends on arrival order"): at parallelism 1 the job is deterministic.
kill_verify "examples" -- --parallelism 1 "$J/examples.so" \
    --input "gen:clicks?count=$(n 4000000)" --output 'file:@OUT@/alerts.csv'
kill_verify "trending_words at-least-once" --mode at-least-once -- "$J/trending_words.so" \
    --input "gen:posts?count=$(n 400000)&rate=200" --output 'file:@OUT@/trending.csv' \
    --window-ms 10000 --slide-ms 5000
finish
