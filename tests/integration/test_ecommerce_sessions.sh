#!/usr/bin/env bash
# ecommerce_sessions end to end: small hand-made inputs whose sessions were worked out
# by hand (below), the same multiset of lines at every parallelism and worker count,
# bad and late records counted, bad ones dead-lettered, usage errors, and the
# generator giving the same sessions at parallelism 1 and 4.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/ecommerce_sessions.so"
DATA="$SRC/tests/integration/data"
IN="$DATA/ecommerce_small.jsonl"
EXPECTED="$DATA/ecommerce_small.expected.csv"

# The header, then the other lines sorted: lines are compared as a multiset.
multiset() {
    head -n 1 "$1"
    tail -n +2 "$1" | LC_ALL=C sort
}

# expect_same_sessions GOT WANT DESCRIPTION
expect_same_sessions() {
    multiset "$1" >"$1.sorted"
    multiset "$2" >"$TMP/want.sorted"
    expect_same_file "$1.sorted" "$TMP/want.sorted" "$3"
}

# ecommerce_small.jsonl with --gap-ms 1000 --max-delay-ms 2000. An event carries the
# watermark max ts before it - 2000 - 1, and a session [first ts, last ts + 1000)
# closes when the watermark reaches its end - 1.
#  - priya: 1000 and 3000 open [1000,2000) and [3000,4000); 2000, out of order, opens
#    [2000,3000), which touches both: one session [1000,4000), revenue 50000 (the cart's
#    amount is not revenue).
#  - amit: two events at the same ts 1500, [1500,2500).
#  - zoya's 6000 raises the watermark to 3999: amit's (end - 1 = 2499) and priya's
#    (3999) sessions close. amit's 2200 then is late: its own [2200,3200) has closed
#    and it has no open session to join. priya's 3500 opens a new session [3500,4500)
#    beside the closed one (Flink's rule); its amount -1 is ignored on a view.
#  - zoya: 6000, 5500, 6500, 7000 merge into [5500,8000); two purchases, 150000.
#  - "rahul, s" has a comma, so the CSV quotes it; amount "n/a" is ignored on a view.
#  - neha: two purchases of INT64_MAX paise, 18446744073709551614 exactly, and a cart
#    at 10500 that extends the session to 11500.
# Bad (8): line 10 type wishlist, 11 a purchase of 0, 12 no amount_paise, 13 invalid
# JSON, 20 fractional ts, 21 no user, 22 two objects, 23 a ts whose session would end
# past int64 (rejected before it can move the watermark). Line 14 is blank: skipped.
for p in 1 2 4; do
    for w in 1 2; do
        out="$TMP/out-p$p-w$w.csv"
        dead="$TMP/dead-p$p-w$w.txt"
        expect_exit 0 "run p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w \
            --dead-letter "$dead" "$JOB" --input "file:$IN" --output "file:$out" \
            --gap-ms 1000 --max-delay-ms 2000 &&
            expect_same_sessions "$out" "$EXPECTED" "sessions at parallelism $p, workers $w"
        expect_stderr 'records read +23$' "summary counts read records"
        expect_stderr 'bad records +8$' "summary counts bad records"
        expect_stderr 'late records dropped +1$' "summary counts the late event"
        expect_stderr 'output records +6$' "summary counts sessions"
        expect_stderr 'ecommerce_small.jsonl:10: type must be view, cart or purchase' \
            "unknown type reported with its line"
        expect_stderr 'ecommerce_small.jsonl:11: field "amount_paise" must be a positive integer on a purchase' \
            "zero purchase reported"
        expect_stderr 'ecommerce_small.jsonl:12: missing field "amount_paise"' "missing field reported"
        checks=$((checks + 1))
        [ "$(wc -l <"$dead")" = 8 ] || fail "dead letter holds 8 lines: $(cat "$dead")"
        checks=$((checks + 1))
        grep -q $'ecommerce_small.jsonl:21\tmissing field "user"\t{"ts": 10001, "type"' "$dead" &&
            grep -q $'ecommerce_small.jsonl:23\tfield "ts" is too close to the int64 limit' "$dead" ||
            fail "dead letter keeps position, reason and line: $(cat "$dead")"
    done
done
expect_exit 0 "heap backend" -- "$SANGAM" run --quiet --state-backend heap --parallelism 2 \
    "$JOB" --input "file:$IN" --output "file:$TMP/heap.csv" --gap-ms 1000 --max-delay-ms 2000 &&
    expect_same_sessions "$TMP/heap.csv" "$EXPECTED" "sessions on the heap backend"

# CSV input and the default options (gap 30 min, delay 5 s); all times 2026-10-20 IST.
# arjun: +10000, +15000 and +9999 ms (out of order, within the delay) make one session.
# priya: +0 comes 15 s behind arjun's +15000 but her session is still open (late
# means a closed session, not a late ts); +0 and +30 min touch, one session; +60 min
# + 1 ms is past its end, a second one, whose empty amount_paise on a view is
# present (empty text) and ignored.
printf '%s\n' "user,session_start,session_end,events,views,carts,purchases,revenue_paise,converted" \
    "priya.sharma.7,1792434600000,1792438200000,2,1,1,0,0,0" \
    "priya.sharma.7,1792438200001,1792440000001,1,1,0,0,0,0" \
    "arjun.iyer.3,1792434609999,1792436415000,3,2,0,1,1699900,1" >"$TMP/defaults.expected"
expect_exit 0 "csv input, default options" -- "$SANGAM" run --quiet --parallelism 2 "$JOB" \
    --input "file:$DATA/ecommerce_defaults.csv" --output "file:$TMP/defaults.csv" &&
    expect_same_sessions "$TMP/defaults.csv" "$TMP/defaults.expected" "CSV input, default gap"

# Usage errors: one line on stderr, exit code 2.
expect_exit 2 "missing --input" -- "$SANGAM" run "$JOB" --output "file:$TMP/o.csv" &&
    expect_stderr 'missing required option --input' "names it" && expect_one_line "missing --input"
expect_exit 2 "missing --output" -- "$SANGAM" run "$JOB" --input "file:$IN" &&
    expect_stderr 'missing required option --output' "names it" && expect_one_line "missing --output"
expect_exit 2 "no options" -- "$SANGAM" run "$JOB" && expect_stderr 'missing required option' \
    "names one" && expect_one_line "no options"
expect_exit 2 "zero gap" -- "$SANGAM" run "$JOB" --input "file:$IN" --output "file:$TMP/o.csv" \
    --gap-ms 0 && expect_stderr 'gap-ms' "names the option" && expect_one_line "zero gap"
expect_exit 2 "negative delay" -- "$SANGAM" run "$JOB" --input "file:$IN" \
    --output "file:$TMP/o.csv" --max-delay-ms -1 && expect_one_line "negative delay"
expect_exit 1 "unknown generator parameter" -- "$SANGAM" run "$JOB" \
    --input "gen:ecommerce?count=10&speed=3" --output "file:$TMP/o.csv" &&
    expect_stderr 'speed' "names the parameter" && expect_one_line "bad generator parameter"

# The generator: the same sessions at parallelism 1 and 4, on 1 and 2 workers.
GEN='gen:ecommerce?count=40000&rate=50&users=3000'
expect_exit 0 "generated p1" -- "$SANGAM" run --parallelism 1 --workers 1 "$JOB" \
    --input "$GEN" --output "file:$TMP/gen1.csv"
checks=$((checks + 1))
grep -Eq 'bad records +[1-9]' "$TMP/stderr" || fail "the generator plants a few bad records"
expect_exit 0 "generated p4" -- "$SANGAM" run --quiet --parallelism 4 --workers 2 "$JOB" \
    --input "$GEN" --output "file:$TMP/gen4.csv" &&
    expect_same_sessions "$TMP/gen4.csv" "$TMP/gen1.csv" "generated sessions at parallelism 1 and 4"
checks=$((checks + 1))
[ "$(head -1 "$TMP/gen1.csv")" = "user,session_start,session_end,events,views,carts,purchases,revenue_paise,converted" ] &&
    [ "$(wc -l <"$TMP/gen1.csv")" -gt 1000 ] && grep -q ',1$' "$TMP/gen1.csv" &&
    grep -q '^bot-crawler-' "$TMP/gen1.csv" || fail "generated output has a header, sessions, conversions and bots"
# With a watermark delay below the generator's disorder some events are late; which
# ones must not depend on parallelism either. An event is late only when its session
# has closed, so the gap must be below the disorder (3 s) for any to be.
LATE=(--max-delay-ms 0 --gap-ms 500 --input "$GEN")
expect_exit 0 "late p1" -- "$SANGAM" run --quiet --parallelism 1 "$JOB" "${LATE[@]}" \
    --output "file:$TMP/late1.csv"
expect_exit 0 "late p4" -- "$SANGAM" run --parallelism 4 --workers 2 "$JOB" "${LATE[@]}" \
    --output "file:$TMP/late4.csv" &&
    expect_same_sessions "$TMP/late4.csv" "$TMP/late1.csv" "late events at parallelism 1 and 4"
checks=$((checks + 1))
grep -Eq 'late records dropped +[1-9]' "$TMP/stderr" || fail "a zero delay makes some events late"
# State that does not fit the cache spills to RocksDB and is read back.
expect_exit 0 "tiny state cache" -- "$SANGAM" run --quiet --parallelism 2 \
    --state-cache-entries 64 "$JOB" --input "$GEN" --output "file:$TMP/spill.csv" &&
    expect_same_sessions "$TMP/spill.csv" "$TMP/gen1.csv" "sessions with state spilled to RocksDB"

finish
