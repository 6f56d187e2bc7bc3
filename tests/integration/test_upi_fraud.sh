#!/usr/bin/env bash
# upi_fraud end to end: small hand-made inputs whose scores were worked out by hand
# (below), with and without logins; the same output at every parallelism and worker
# count (compared as multisets of lines, header first: scores of different payers come
# out in any order); bad records counted and dead-lettered; option errors; and the
# generators giving the same output at parallelism 1 and 4.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/upi_fraud.so"
DATA="$SRC/tests/integration/data"
TXNS="$DATA/upi_txns.jsonl"
LOGINS="$DATA/upi_logins.jsonl"
# A model with round weights, for working the scores out by hand:
#   z = -3 + 0.5 min(v, 10) + 0.5 log10(1 + amount / 100) + new_device + 0.5 new_payee
#       + 2 city_jump + 1.5 no_login, alert when 1 / (1 + e^-z) >= 0.5, i.e. z >= 0.
OPTS=(--model "$DATA/upi_model.json" --threshold 0.5 --max-delay-ms 1000)

# same_lines A B WHAT: the same header, and the same lines after it in any order.
same_lines() {
    checks=$((checks + 1))
    if [ "$(head -1 "$1")" != "$(head -1 "$2")" ] ||
        ! cmp -s <(tail -n +2 "$1" | sort) <(tail -n +2 "$2" | sort); then
        fail "$3: $1 and $2 differ: $(diff <(sort "$1") <(sort "$2") | head -20)"
    fi
}

# The transactions, by payer (features worked out in data/upi_small*.expected.csv):
#  asha:  t01 1000000 Pune; t03 1029500 Mumbai (out of order, within the 1 s delay): a city
#         jump 29.5 s after t01; t02 1030000 Pune: jump back, velocity 3, amount
#         Rs 999 (log 3); t04 1000500 comes after ts 1030000 set the watermark to 1028999:
#         late; t08 1060000: t01 is exactly 60 s earlier, out of velocity (3), all four
#         in amount (100800), z = 0.0019: alerts by a hair.
#  bala:  t05, t06, t07 all at 1100000, scored in input order: velocity 1, 2, 3; t06 a
#         city jump 0 ms after t05; t07 a new device.
#  chitra: t09 2000000; t10 exactly 600000 later in another city: no jump; t11 1 ms
#         later, back in Kochi: a jump; t12 at t09 + 30 days exactly: dC1 and p9 are new
#         again; t13 at the same ts: dC2 and p10 last used at t11, 29.99 days before.
# Six bad lines (missing payer, amount 0, amount a string, broken JSON, fractional ts,
# negative amount).
# Logins: asha's at 999000 on dA covers all of hers (the last, t08, 61 s after); bala's
# at 1100000 on dB covers t05 and t06 (the interval includes t.ts), not t07 on dB2;
# bala's dB2 login at 1000000 comes after ts 2600001 set the logins' watermark to
# 2599000: late, so t07 stays no_login; chitra's at 1400000 on dC1 covers t09 exactly
# 600000 later; hers at 2600001 on dC2 covers t11 but not t10, 1 ms earlier; none covers
# t12 and t13 (30 days later). One login lacks its device: bad.
for p in 1 2 4; do
    for w in 1 2; do
        out="$TMP/logins-p$p-w$w.csv"
        expect_exit 0 "logins p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w \
            --dead-letter "$TMP/dead-p$p-w$w.txt" "$JOB" --input "file:$TXNS" \
            --logins "file:$LOGINS" --output "file:$out" "${OPTS[@]}" &&
            same_lines "$out" "$DATA/upi_small_logins.expected.csv" "with logins, p=$p w=$w"
        expect_stderr 'records read +25$' "summary counts read records"
        expect_stderr 'bad records +7$' "summary counts bad records"
        expect_stderr 'late records dropped +2$' "summary counts the late payment and login"
        expect_stderr 'output records +12$' "summary counts output records"
        # stderr shows the first 5 bad records, whichever input's come first.
        expect_stderr 'bad record at .*upi_(txns|logins).jsonl:[0-9]+: ' "bad records reported"
        checks=$((checks + 1))
        [ "$(wc -l <"$TMP/dead-p$p-w$w.txt")" = 7 ] ||
            fail "dead letter holds 7 lines: $(cat "$TMP/dead-p$p-w$w.txt")"
        grep -q $'upi_txns.jsonl:19\tfield "amount_paise" must be positive\t{"ts": 2594000001' \
            "$TMP/dead-p$p-w$w.txt" || fail "dead letter keeps position, reason and line"
        grep -q $'upi_txns.jsonl:11\tfield "amount_paise" is not an integer' \
            "$TMP/dead-p$p-w$w.txt" || fail "dead letter names a wrong type"
        grep -q $'upi_logins.jsonl:6\tmissing field "device"' "$TMP/dead-p$p-w$w.txt" ||
            fail "dead letter holds the bad login"

        out="$TMP/plain-p$p-w$w.csv"
        expect_exit 0 "no logins p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w "$JOB" \
            --input "file:$TXNS" --output "file:$out" "${OPTS[@]}" &&
            same_lines "$out" "$DATA/upi_small.expected.csv" "without logins, p=$p w=$w"
        expect_stderr 'bad records +6$' "summary counts bad transactions"
        expect_stderr 'late records dropped +1$' "summary counts the late payment"
    done
done

# The heap backend, and a state cache small enough to spill to RocksDB.
expect_exit 0 "heap backend" -- "$SANGAM" run --quiet --state-backend heap --parallelism 2 \
    "$JOB" --input "file:$TXNS" --logins "file:$LOGINS" --output "file:$TMP/heap.csv" "${OPTS[@]}" &&
    same_lines "$TMP/heap.csv" "$DATA/upi_small_logins.expected.csv" "heap backend"

# CSV input: the decoder reads fields by header name.
printf 'ts,txn_id,payer,payee,amount_paise,device,city\n1000,c1,ravi@ybl,shop@ybl,900,d1,Pune\n1001,c2,ravi@ybl,shop@ybl,x,d1,Pune\n' >"$TMP/txns.csv"
expect_exit 0 "csv input" -- "$SANGAM" run "$JOB" --input "file:$TMP/txns.csv" \
    --output "file:$TMP/csv.csv" "${OPTS[@]}"
expect_stderr 'txns.csv:3: field "amount_paise" is not an integer' "CSV bad field reported"
printf '%s\n' "ts,txn_id,payer,velocity_60s,amount_5m_paise,new_device,new_payee,city_jump,no_login,score,alert" \
    "1000,c1,ravi@ybl,1,900,1,1,0,0,0.377541,0" >"$TMP/csv.expected"
expect_same_file "$TMP/csv.csv" "$TMP/csv.expected" "CSV input"

# Generated payments and logins: the same lines at parallelism 1 and 4, 1 and 2 workers,
# on the shipped model found beside the job; some alerts among many rows.
GEN=(--input 'gen:upi?count=30000&rate=200' --logins 'gen:upi_logins?count=30000&rate=200')
expect_exit 0 "generated p1" -- "$SANGAM" run --quiet --parallelism 1 --workers 1 "$JOB" \
    "${GEN[@]}" --output "file:$TMP/gen1.csv"
expect_exit 0 "generated p4" -- "$SANGAM" run --quiet --parallelism 4 --workers 2 "$JOB" \
    "${GEN[@]}" --output "file:$TMP/gen4.csv"
same_lines "$TMP/gen1.csv" "$TMP/gen4.csv" "generated input at parallelism 1 and 4"
checks=$((checks + 1))
rows=$(($(wc -l <"$TMP/gen1.csv") - 1))
alerts=$(awk -F, 'NR > 1 && $11 == 1' "$TMP/gen1.csv" | wc -l)
[ "$rows" = 30000 ] && [ "$alerts" -gt 30 ] && [ "$alerts" -lt 1500 ] ||
    fail "generated output: $rows rows (want 30000), $alerts alerts (want a few percent)"
# A delay below the generators' disorder makes payments and logins late: which ones must
# not depend on parallelism either, nor on a state cache so small that state spills.
LATE=(--max-delay-ms 500 --input 'gen:upi?count=20000&rate=500&disorder=3000&payers=2000'
    --logins 'gen:upi_logins?count=20000&rate=500&disorder=3000&payers=2000')
expect_exit 0 "late p1" -- "$SANGAM" run --parallelism 1 "$JOB" "${LATE[@]}" \
    --output "file:$TMP/late1.csv"
checks=$((checks + 1))
grep -Eq 'late records dropped +[1-9]' "$TMP/stderr" || fail "a short delay makes some late"
expect_exit 0 "late p4 spilling" -- "$SANGAM" run --quiet --parallelism 4 --workers 2 \
    --state-cache-entries 64 "$JOB" "${LATE[@]}" --output "file:$TMP/late4.csv"
same_lines "$TMP/late1.csv" "$TMP/late4.csv" "late records at parallelism 1 and 4"

# Option and model errors: one line each; usage errors exit 2, a bad model 1.
expect_exit 2 "no input" -- "$SANGAM" run "$JOB" --output "file:$TMP/o.csv" &&
    expect_stderr 'missing required option --input' "names it" && expect_one_line "no input"
expect_exit 2 "no output" -- "$SANGAM" run "$JOB" --input "file:$TXNS" &&
    expect_stderr 'missing required option --output' "names it" && expect_one_line "no output"
expect_exit 2 "threshold above 1" -- "$SANGAM" run "$JOB" --input "file:$TXNS" \
    --output "file:$TMP/o.csv" --threshold 1.5 &&
    expect_stderr 'threshold must be in \[0, 1\]' "gives the range" && expect_one_line "threshold"
expect_exit 2 "negative threshold" -- "$SANGAM" run "$JOB" --input "file:$TXNS" \
    --output "file:$TMP/o.csv" --threshold -0.1 && expect_one_line "negative threshold"
expect_exit 2 "negative delay" -- "$SANGAM" run "$JOB" --input "file:$TXNS" \
    --output "file:$TMP/o.csv" --max-delay-ms -1 && expect_one_line "negative delay"
expect_exit 1 "missing model" -- "$SANGAM" run "$JOB" --input "file:$TXNS" \
    --output "file:$TMP/o.csv" --model /nonexistent/model.json &&
    expect_stderr 'cannot open model file /nonexistent/model.json' "names the file" &&
    expect_one_line "missing model"
printf '{"bias": 1, "weights": {"velocity_60s": 1}}' >"$TMP/bad-model.json"
expect_exit 1 "malformed model" -- "$SANGAM" run "$JOB" --input "file:$TXNS" \
    --output "file:$TMP/o.csv" --model "$TMP/bad-model.json" &&
    expect_stderr 'bad-model.json: missing weight "amount_5m_paise"' "says what is missing" &&
    expect_one_line "malformed model"
expect_exit 1 "bad generator parameter" -- "$SANGAM" run "$JOB" --output "file:$TMP/o.csv" \
    --input 'gen:upi?count=10&rate=0' && expect_stderr 'rate in 1..1e6' "gives the range"
expect_exit 1 "unknown generator parameter" -- "$SANGAM" run "$JOB" --output "file:$TMP/o.csv" \
    --input 'gen:upi?count=10' --logins 'gen:upi_logins?cnt=10' && expect_stderr 'cnt' "names it"

finish
