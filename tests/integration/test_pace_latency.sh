#!/usr/bin/env bash
# --pace, --flush-ms and the latency: sink, end to end on the keycount bench job:
# pacing holds the input to the generator's event-time rate (a loose lower bound on the
# wall time only: the machine may be slow, never fast), latency: prints its summary
# line, --flush-ms changes timing but not results, and bad values are usage errors.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh" "$1" "$2"
KC="$BUILD/bench/keycount.so"
RUN=("$SANGAM" run --no-progress --workers 2 --parallelism 2)

# 1500 events at 1000 events/s of event time take at least ~1.5 s when paced.
t0=$(date +%s%N)
expect_exit 0 "paced run" -- "${RUN[@]}" --pace 1 "$KC" --count 1500 --rate 1000 --keys 10 \
    --window-ms 100 --output latency:
t1=$(date +%s%N)
checks=$((checks + 1))
elapsed_ms=$(((t1 - t0) / 1000000))
[ "$elapsed_ms" -ge 1200 ] || fail "--pace 1: 1500 events at 1000/s took only $elapsed_ms ms"
expect_stderr '^  latency +p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms, [0-9]+ records$' \
    "latency: prints its line"
expect_stderr '^  records read +1500$' "paced run reads everything"

# Twice real time: the same input in about half the time (lower bound again).
t0=$(date +%s%N)
expect_exit 0 "paced run at speed 2" -- "${RUN[@]}" --pace 2 "$KC" --count 1500 --rate 1000 \
    --keys 10 --window-ms 100 --output latency:
t1=$(date +%s%N)
checks=$((checks + 1))
elapsed_ms=$(((t1 - t0) / 1000000))
[ "$elapsed_ms" -ge 550 ] || fail "--pace 2: 1500 events at 2000/s took only $elapsed_ms ms"

# Without --pace the line is there, marked as not meaningful.
expect_exit 0 "latency: without --pace" -- "${RUN[@]}" "$KC" --count 20000 --keys 10 \
    --output latency:
expect_stderr 'latency +p50 .*without --pace' "latency: without --pace says so"

# A job that gives its sink an encoder (trending_words) runs into latency: too.
expect_exit 0 "trending_words into latency:" -- "${RUN[@]}" --pace 50 \
    "$BUILD/jobs/trending_words.so" --input 'gen:posts?count=300&rate=200' --output latency:
expect_stderr '^  latency +p50' "trending_words' latency line"

# --flush-ms holds batches and watermarks back, never records: the same counts.
for f in 0 7; do
    expect_exit 0 "--flush-ms $f" -- "${RUN[@]}" --flush-ms "$f" "$KC" --count 30000 --keys 50 \
        --rate 10000 --window-ms 500 --output "file:$TMP/f$f.csv"
    sort "$TMP/f$f.csv" >"$TMP/f$f.sorted"
done
expect_same_file "$TMP/f0.sorted" "$TMP/f7.sorted" "--flush-ms 7 gives the same windows"

for bad in abc -1 1e9 ""; do
    expect_exit 2 "--pace '$bad'" -- "${RUN[@]}" --pace "$bad" "$KC" --count 10
    expect_one_line "--pace '$bad' is one line"
    expect_stderr '^sangam run: .*pace' "--pace '$bad' names the option"
done
expect_exit 2 "--flush-ms -1" -- "${RUN[@]}" --flush-ms -1 "$KC" --count 10
expect_stderr '^sangam run: .*flush-ms' "--flush-ms -1 names the option"
expect_exit 2 "unknown sink" -- "${RUN[@]}" "$KC" --count 10 --output latency:x
finish
