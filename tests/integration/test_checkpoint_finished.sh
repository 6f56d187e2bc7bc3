#!/usr/bin/env bash
# Checkpoints after a source has finished (FLIP-147), on upi_fraud whose logins end long
# before its transactions: checkpoints go on after the logins end and record them as
# finished; a run killed after such a checkpoint restores to exactly the output of an
# uninterrupted run (a fixed kill with SANGAM_TEST_STOP_AFTER_CHECKPOINT, then random
# kills with scripts/kill-verify.sh). Also: a second run on a --checkpoint-dir in use
# fails at once in one line, while `sangam checkpoints` reads it.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/upi_fraud.so"
D=1
grep -q 'SG_ASAN:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && D=4
TSAN=0
grep -q 'SG_TSAN:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && TSAN=1 D=8
n() { echo $(($1 / D)); }

# The logins (a tenth of the transactions' count) end in the first tenth of the run.
ARGS=(--parallelism 2 "$JOB" --input "gen:upi?count=$(n 100000)&rate=200"
    --logins "gen:upi_logins?count=$(n 2000)&rate=200")
expect_exit 0 "reference run" -- "$SANGAM" run --quiet "${ARGS[@]}" --output "file:$TMP/ref.csv"
sort "$TMP/ref.csv" >"$TMP/ref.sorted"

# Killed after its 3rd checkpoint (90 ms or more after the start, well after the logins'
# 2000 lines ended): that checkpoint records the logins source as finished.
CK=(--checkpoint-dir "$TMP/ck" --checkpoint-interval-ms 30)
# Paced (--pace 250: the 500 s of transactions in about 2 s, the logins' 10 s in 40 ms),
# so that the run cannot end before its third checkpoint however fast or loaded the
# machine is; pacing changes no output.
SANGAM_TEST_STOP_AFTER_CHECKPOINT=3 expect_exit 137 "killed after checkpoint 3" -- \
    "$SANGAM" run --quiet --pace 250 "${CK[@]}" "${ARGS[@]}" --output "file:$TMP/out.csv"
expect_exit 0 "list the checkpoints" -- "$SANGAM" checkpoints "$TMP/ck"
checks=$((checks + 1))
sed -n '/^chk-000003 /,/^chk-/p' "$TMP/stdout" | grep -q '^    finished logins\[0\] (t[0-9]*-s0)$' ||
    fail "checkpoint 3, completed after the logins ended, records them as finished: $(cat "$TMP/stdout")"
checks=$((checks + 1))
grep -q '^chk-000003 .* ok$' "$TMP/stdout" || fail "checkpoint 3 verifies: $(cat "$TMP/stdout")"
expect_exit 0 "restore after checkpoint 3" -- "$SANGAM" run "${CK[@]}" --restore latest \
    "${ARGS[@]}" --output "file:$TMP/out.csv"
expect_stderr "restored from checkpoint 3\$" "restored from the checkpoint with a finished source"
checks=$((checks + 1))
! grep -q "no more checkpoints" "$TMP/stderr" || fail "the old 'no more checkpoints' notice is gone"
checks=$((checks + 1))
sort "$TMP/out.csv" | cmp -s - "$TMP/ref.sorted" ||
    fail "output after a restore with a finished source differs from the reference"

# Two runs on one directory: the second fails in one line; listing needs no lock.
"$SANGAM" run --quiet --checkpoint-dir "$TMP/busy" --checkpoint-interval-ms 50 "$JOB" \
    --input 'gen:upi?count=100000000&rate=200' --output "file:$TMP/busy.csv" 2>"$TMP/busy.err" &
busy=$!
for _ in $(seq 200); do
    [ -s "$TMP/busy/.lock" ] && break
    sleep 0.05
done
expect_exit 1 "second run on a directory in use" -- "$SANGAM" run --quiet \
    --checkpoint-dir "$TMP/busy" "$JOB" --input 'gen:upi?count=10' --output "file:$TMP/b2.csv"
expect_stderr "^sangam: error: checkpoint directory $TMP/busy is in use by another run \\(pid $busy\\)" \
    "the lock names the holder"
expect_one_line "directory in use"
checks=$((checks + 1))
[ ! -e "$TMP/b2.csv" ] || fail "the refused run wrote its output"
expect_exit 0 "sangam checkpoints on a directory in use" -- "$SANGAM" checkpoints "$TMP/busy"
kill "$busy"
wait "$busy" 2>/dev/null
# The lock went with the process: a new run on the directory works.
expect_exit 0 "a run after the holder ended" -- "$SANGAM" run --quiet --checkpoint-dir "$TMP/busy" \
    "$JOB" --input 'gen:upi?count=10' --output "file:$TMP/b3.csv"

# Random kills (kill-verify): not under TSan, where runs are many times slower (these
# are processes about files; the threads are covered above).
if [ "$TSAN" = 0 ]; then
    checks=$((checks + 1))
    if bash "$SRC/scripts/kill-verify.sh" --sangam "$SANGAM" --kills 5 --interval-ms 50 \
        --keep "$TMP/kv" -- --parallelism 2 "$JOB" \
        --input "gen:upi?count=$(n 150000)&rate=200" \
        --logins "gen:upi_logins?count=$(n 15000)&rate=200" \
        --output 'file:@OUT@/scores.csv' >"$TMP/kv.out" 2>"$TMP/kv.err"; then
        cat "$TMP/kv.out"
        checks=$((checks + 1))
        "$SANGAM" checkpoints "$TMP/kv/checkpoints" | grep -q '^    finished logins\[0\]' ||
            fail "kill-verify: no checkpoint completed after the logins ended"
    else
        fail "kill-verify on upi_fraud with early logins: $(cat "$TMP/kv.err" "$TMP/kv.out" | head -c 600)"
    fi
fi
finish
