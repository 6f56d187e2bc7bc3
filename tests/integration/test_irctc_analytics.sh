#!/usr/bin/env bash
# irctc_analytics end to end: a small hand-made input whose two outputs were worked out
# by hand (below), the same at every parallelism and worker count; bad records counted
# and dead-lettered; late bookings dropped; the capacity file's errors at start; every
# required option; the generator at parallelism 1 and 4; the heap state backend.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/irctc_analytics.so"
DATA="$SRC/tests/integration/data"
IN="$DATA/irctc_bookings.csv"
CAP="$DATA/irctc_capacity.csv"
SHIPPED="$BUILD/jobs/irctc_analytics/capacity.csv"
OPTS=(--window-ms 10000 --max-delay-ms 2000)

# A CSV output as a multiset: the header, then the other lines sorted bytewise.
sorted() {
    head -n 1 "$1"
    tail -n +2 "$1" | LC_ALL=C sort
}

expect_same_multiset() {
    sorted "$1" >"$1.sorted"
    expect_same_file "$1.sorted" "$2" "$3"
}

# ---- The hand-made input -----------------------------------------------------------
# Capacity: 12951 3A 10, 12951 1A 4, 12002 CC 8, 12565 SL 20. Windows of 10 s, watermark
# = max ts - 2000 - 1. Line numbers are the file's (line 1 is the header).
#
# Output 1 (irctc_bookings.expected.csv):
#   [0,10000) 12951: booked lines 2, 4, 6, 8 (2+3+2+1 seats, 630000+945000+1080000+540000
#     paise), cancelled lines 3 and 7 (2+1 seats, 630000+540000), waitlisted line 9:
#     net 8-3 = 5 seats, revenue 3195000-1170000 = 2025000. Line 11 (ts 5000) comes
#     after line 10 (ts 12000) raised the watermark to 9999 = end - 1: late, not counted.
#   [10000,20000) 12002: lines 12 and 13 (1+2 seats). Line 13 (ts 11000) is below the
#     watermark 11999 but its window is still open: counted here, late for the alerts.
#   [10000,20000) 12565: 5 booked (6+6+6+2+1 = 21 seats) and 1 cancelled (3): 18 seats,
#     1250000 - 180000 = 1070000 paise; line 29 is waitlisted (its PNR "P-1" and its
#     stations, from = to, are not checked: the issue sets no format for them).
#   Lines 14-22 are bad records and count nowhere.
#
# Output 2 (irctc_bookings.alerts.expected.csv), per (train, class) in event time:
#   12951 3A: 1000 +2 (20 %), 1500 +3 (50 %: alert at 1500 although line 4 arrived after
#     the cancellation at 2000; in arrival order the occupancy would never reach 50 %),
#     2000 -2 (30 %), 2500 waitlisted (no change), 12000 +4 (70 %: 50 again), line 11
#     late, 25000 +3 (100 %: 75, 90 and 100 at once).
#   12951 1A: three bookings at ts 3000, applied in input order: +2 (50 %: alert), -1
#     (25 %), +1 (50 % again: a second, identical alert line).
#   12002 CC: 1800 +4 (50 %: alert), 14000 +1 (62 %, already past 50), line 13 late (it
#     would have made 87 % and alerted 75).
#   12565 SL: 30 %, 60 % (50), 90 % (75 and 90), 100 % (100), 85 % after a cancellation,
#     90 % again at 18000 (90 re-crossed).
for p in 1 2 4; do
    for w in 1 2; do
        out="$TMP/out-p$p-w$w.csv" alerts="$TMP/alerts-p$p-w$w.csv" dead="$TMP/dead-p$p-w$w.txt"
        expect_exit 0 "run p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w \
            --dead-letter "$dead" "$JOB" --input "file:$IN" --output "file:$out" \
            --alerts "file:$alerts" --capacity "$CAP" "${OPTS[@]}" &&
            expect_same_multiset "$out" "$DATA/irctc_bookings.expected.csv" \
                "window counts at parallelism $p, workers $w" &&
            expect_same_multiset "$alerts" "$DATA/irctc_bookings.alerts.expected.csv" \
                "alerts at parallelism $p, workers $w"
        expect_stderr 'records read +29$' "summary counts read records"
        expect_stderr 'bad records +9$' "summary counts bad records"
        # Line 11 is dropped by both branches, line 13 by the alerts only.
        expect_stderr 'late records dropped +3$' "summary counts late records"
        expect_stderr 'output records +19$' "summary counts both outputs"
        expect_stderr 'irctc_bookings.csv:14: class must be SL, 3A, 2A, 1A, CC or 2S' \
            "bad class reported with its line"
        expect_stderr 'irctc_bookings.csv:17: train 12002 class 2S is not in the capacity file' \
            "missing capacity row reported"
        checks=$((checks + 1))
        [ "$(wc -l <"$dead")" = 9 ] || fail "dead letter holds 9 lines: $(cat "$dead")"
        checks=$((checks + 1))
        cut -f 2 "$dead" >"$TMP/reasons"
        diff - "$TMP/reasons" >/dev/null <<'EOF' || fail "dead-letter reasons: $(cat "$TMP/reasons")"
class must be SL, 3A, 2A, 1A, CC or 2S
seats must be an integer in 1..6
status must be BOOKED, CANCELLED or WAITLISTED
train 12002 class 2S is not in the capacity file
train 22439 class CC is not in the capacity file
fare_paise must be an integer in 0..1000000000
seats must be an integer in 1..6
ts must be an integer (epoch ms) within +-4000000000000000000
status must be BOOKED, CANCELLED or WAITLISTED
EOF
        grep -q $'irctc_bookings.csv:22\tstatus must be BOOKED, CANCELLED or WAITLISTED\t13000,2401000019,12951' "$dead" ||
            fail "dead letter keeps position, reason and line"
    done
done

# The same bookings as JSON Lines (PNR and train as numbers, fields in another order)
# give the same output: fields are read by name.
awk -F, 'NR > 1 && $1 ~ /^[0-9]+$/ && $7 ~ /^[1-6]$/ && $8 != "" && $6 != "3AC" {
    printf "{\"status\": \"%s\", \"ts\": %s, \"pnr\": %s, \"train\": %s, \"from\": \"%s\", \"to\": \"%s\", \"class\": \"%s\", \"seats\": %s, \"fare_paise\": %s}\n",
        $9, $1, ($2 ~ /^[0-9]+$/ ? $2 : "\"" $2 "\""), $3, $4, $5, $6, $7, $8 }' "$IN" \
    >"$TMP/bookings.jsonl"
expect_exit 0 "JSON Lines input" -- "$SANGAM" run --quiet --parallelism 2 "$JOB" \
    --input "file:$TMP/bookings.jsonl" --output "file:$TMP/json-out.csv" \
    --alerts "file:$TMP/json-alerts.csv" --capacity "$CAP" "${OPTS[@]}" &&
    expect_same_multiset "$TMP/json-out.csv" "$DATA/irctc_bookings.expected.csv" \
        "window counts from JSON Lines" &&
    expect_same_multiset "$TMP/json-alerts.csv" "$DATA/irctc_bookings.alerts.expected.csv" \
        "alerts from JSON Lines"

# Default options: one 60 s window holds every booking (12951: lines 2-11 and 30, 20
# seats booked and 3 cancelled, 6975000 - 1170000 paise; 12565: lines 23-29, the last
# one waitlisted), and with the 5 s delay only
# line 11 is late (ts 5000 after 12000: 5000 <= 6999), for the alerts only.
expect_exit 0 "default window and delay" -- "$SANGAM" run "$JOB" --input "file:$IN" \
    --output "file:$TMP/def.csv" --alerts "file:$TMP/def-alerts.csv" --capacity "$CAP" &&
    expect_stderr 'late records dropped +1$' "one booking late with the default delay"
printf '%s\n' "window_start,window_end,train,booked,cancelled,waitlisted,net_seats,revenue_paise" \
    "0,60000,12002,3,0,0,7,1000000" "0,60000,12565,5,1,1,18,1070000" \
    "0,60000,12951,7,2,1,17,5805000" >"$TMP/def.expected"
expect_same_multiset "$TMP/def.csv" "$TMP/def.expected" "default 60 s windows"

# ---- Errors at start -------------------------------------------------------------------
ARGS=(--input "file:$IN" --output "file:$TMP/o.csv" --alerts "file:$TMP/a.csv" --capacity "$CAP")
for i in 0 2 4 6; do
    name=${ARGS[$i]}
    rest=("${ARGS[@]:0:$i}" "${ARGS[@]:$((i + 2))}")
    expect_exit 2 "missing $name" -- "$SANGAM" run "$JOB" "${rest[@]}" &&
        expect_stderr "missing required option $name" "names $name" &&
        expect_one_line "missing $name"
done
expect_exit 1 "missing capacity file" -- "$SANGAM" run "$JOB" "${ARGS[@]:0:6}" \
    --capacity /nonexistent/capacity.csv &&
    expect_stderr 'capacity file /nonexistent/capacity.csv: No such file or directory' \
        "names the file" && expect_one_line "missing capacity file"
bad_capacity() { # CONTENT STDERR-PATTERN DESCRIPTION
    printf '%b' "$1" >"$TMP/cap.csv"
    expect_exit 1 "$3" -- "$SANGAM" run "$JOB" "${ARGS[@]:0:6}" --capacity "$TMP/cap.csv" &&
        expect_stderr "capacity file $TMP/cap.csv:$2" "$3 named with its line" &&
        expect_one_line "$3"
}
bad_capacity 'train,class,seats\n12951,3A,10\n' '1: bad header' "bad capacity header"
bad_capacity 'train,class,capacity\n12951,3A,1O\n' '2: bad capacity "1O"' "bad capacity number"
bad_capacity 'train,class,capacity\n12951,3A,10\n12951,EC,56\n' '3: unknown class "EC"' \
    "unknown capacity class"
bad_capacity 'train,class,capacity\n12951,3A,10\n12002,CC,8\n12951,3A,12\n' \
    '4: duplicate row for train 12951 class 3A \(first on line 2\)' "duplicate capacity row"
expect_exit 1 "unknown generator parameter" -- "$SANGAM" run "$JOB" --input 'gen:irctc?cnt=5' \
    "${ARGS[@]:2}" && expect_stderr "unknown parameter 'cnt'" "names the parameter" &&
    expect_one_line "unknown generator parameter"

# ---- The generator --------------------------------------------------------------------
# The same multiset at parallelism 1 and 4, on 1 and 2 workers; with a disorder beyond
# the delay some bookings are late, the same ones at every parallelism.
GEN=(--input 'gen:irctc?count=40000&rate=20&disorder=8000' --capacity "$SHIPPED")
expect_exit 0 "generator p1" -- "$SANGAM" run --parallelism 1 --workers 1 "$JOB" "${GEN[@]}" \
    --output "file:$TMP/gen1.csv" --alerts "file:$TMP/gen1-alerts.csv"
grep -E 'late records dropped +[1-9]' "$TMP/stderr" >"$TMP/late1" ||
    fail "a disorder beyond the delay makes some bookings late"
grep -E 'bad records +[1-9]' "$TMP/stderr" >"$TMP/bad1" || fail "the generator makes bad records"
checks=$((checks + 2))
sorted "$TMP/gen1.csv" >"$TMP/gen1.sorted"
sorted "$TMP/gen1-alerts.csv" >"$TMP/gen1-alerts.sorted"
expect_exit 0 "generator p4" -- "$SANGAM" run --parallelism 4 --workers 2 "$JOB" "${GEN[@]}" \
    --output "file:$TMP/gen4.csv" --alerts "file:$TMP/gen4-alerts.csv" &&
    expect_same_multiset "$TMP/gen4.csv" "$TMP/gen1.sorted" "generated counts at p1 and p4" &&
    expect_same_multiset "$TMP/gen4-alerts.csv" "$TMP/gen1-alerts.sorted" \
        "generated alerts at p1 and p4"
checks=$((checks + 1))
grep -qF "$(cat "$TMP/late1")" "$TMP/stderr" || fail "the same late count at p1 and p4"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/gen1.csv")" -gt 100 ] && [ "$(wc -l <"$TMP/gen1-alerts.csv")" -gt 50 ] ||
    fail "generated outputs have rows"
expect_exit 0 "heap backend" -- "$SANGAM" run --quiet --parallelism 2 --state-backend heap \
    "$JOB" "${GEN[@]}" --output "file:$TMP/heap.csv" --alerts "file:$TMP/heap-alerts.csv" &&
    expect_same_multiset "$TMP/heap.csv" "$TMP/gen1.sorted" "counts on the heap backend" &&
    expect_same_multiset "$TMP/heap-alerts.csv" "$TMP/gen1-alerts.sorted" \
        "alerts on the heap backend"

finish
