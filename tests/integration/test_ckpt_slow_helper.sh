#!/usr/bin/env bash
# A checkpoint helper slower than --checkpoint-timeout-ms (docs/checkpoints.md, "Abort";
# engine/ckpt_async.h rule 6). SANGAM_TEST_CKPT_WRITE_DELAY_MS makes the helper wait
# before each job (a slow disk), SANGAM_TEST_CKPT_COUNTERS prints what it did. Every
# checkpoint then times out; the aborted ones' jobs must be dropped and no checkpoint
# may start while the helper still has jobs, so at most one checkpoint's jobs (one per
# subtask) are ever pending, instead of a queue of image copies that grows with the
# run. With the timeout raised, the same slow helper completes checkpoints that restore.
# Nothing here depends on timing except that the paced run (--pace: at least 2 s of
# wall time) outlasts one slow checkpoint (6 jobs x 50 ms).
source "$(dirname "$0")/lib.sh" "$1" "$2"
J="$BUILD/jobs/trending_words.so"
ARGS=(--input 'gen:posts?count=40000&rate=200' --window-ms 10000 --slide-ms 5000)
RUN=("$SANGAM" run --quiet --parallelism 2 --checkpoint-interval-ms 20)

expect_exit 0 "reference run" -- "$SANGAM" run --quiet --parallelism 2 "$J" "${ARGS[@]}" \
    --output "file:$TMP/ref.csv"

# counters FILE: "PENDING SUBTASKS WRITTEN DROPPED COMPLETED ABORTED" from the hook's line.
counters() {
    sed -nE 's/.*at most ([0-9]+) jobs pending \(([0-9]+) subtasks\), ([0-9]+) written, ([0-9]+) dropped; checkpoints ([0-9]+) completed, ([0-9]+) aborted.*/\1 \2 \3 \4 \5 \6/p' "$1"
}

# 1. Every checkpoint times out (a 30 ms timeout, jobs that wait 100 ms each).
expect_exit 0 "a run whose helper is slower than the timeout" -- \
    env SANGAM_TEST_CKPT_WRITE_DELAY_MS=100 SANGAM_TEST_CKPT_COUNTERS=1 "${RUN[@]}" --pace 100 \
    --checkpoint-dir "$TMP/ck1" --checkpoint-timeout-ms 30 "$J" "${ARGS[@]}" \
    --output "file:$TMP/out1.csv"
cp "$TMP/stderr" "$TMP/run1.err"
expect_same_file "$TMP/out1.csv" "$TMP/ref.csv" "slow helper, tiny timeout: output"
read -r pending subtasks written dropped completed aborted < <(counters "$TMP/run1.err")
echo "tiny timeout: at most $pending of $subtasks jobs pending; $written written, $dropped" \
    "dropped; $completed completed, $aborted aborted"
checks=$((checks + 1))
[ -n "$pending" ] || fail "no counters line: $(cat "$TMP/run1.err")"
checks=$((checks + 1))
[ "${pending:-99}" -le "${subtasks:-0}" ] ||
    fail "the helper's queue grew past one checkpoint's jobs: $pending > $subtasks"
checks=$((checks + 1))
[ "${aborted:-0}" -ge 1 ] && [ "${dropped:-0}" -ge 1 ] ||
    fail "expected aborted checkpoints whose jobs were dropped: $(cat "$TMP/run1.err")"
expect_exit 0 "the aborted checkpoints are listed" -- "$SANGAM" checkpoints "$TMP/ck1"
checks=$((checks + 1))
! grep -q 'corrupt' "$TMP/stdout" || fail "tiny timeout: $(cat "$TMP/stdout")"

# 2. The same slow helper with the default timeout: checkpoints complete (the run is
# stopped right after the first one, SANGAM_TEST_STOP_AFTER_CHECKPOINT), and restore.
expect_exit 137 "a slow helper with the default timeout completes a checkpoint" -- \
    env SANGAM_TEST_CKPT_WRITE_DELAY_MS=50 SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 "${RUN[@]}" \
    --pace 100 --checkpoint-dir "$TMP/ck2" "$J" "${ARGS[@]}" --output "file:$TMP/out2.csv"
expect_exit 0 "restore from the slow helper's checkpoint" -- "$SANGAM" run --no-progress \
    --parallelism 2 --checkpoint-interval-ms 20 --checkpoint-dir "$TMP/ck2" --restore latest "$J" "${ARGS[@]}" --output "file:$TMP/out2.csv"
expect_stderr 'restored checkpoint .*chk-000001' "restored the completed checkpoint"
expect_same_file "$TMP/out2.csv" "$TMP/ref.csv" "slow helper, restored: output"
finish
