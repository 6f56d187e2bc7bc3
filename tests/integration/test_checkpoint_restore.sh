#!/usr/bin/env bash
# Checkpoints end to end: a run killed right after its N-th checkpoint completed
# (before its sinks committed it: SANGAM_TEST_STOP_AFTER_CHECKPOINT=N, a test-only hook
# that makes the process _exit(137) there) and restored with --restore latest writes exactly the
# output of an uninterrupted run; plans that do not match are refused; at-least-once
# loses nothing; usage errors are one line.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/trending_words.so"
WIN=(--window-ms 10000 --slide-ms 5000 --top 3 --max-delay-ms 2000)
IN="$TMP/posts.jsonl"

# 200000 posts, mostly in order with some disorder, some late: deterministic (awk's
# srand with a seed).
awk 'BEGIN {
    srand(7); split("alpha beta gamma delta #sangam #flink stream batch window state river sky", w, " ");
    ts = 0;
    for (i = 0; i < 200000; i++) {
        ts += int(rand() * 20); t = ts - int(rand() * 2500); if (t < 0) t = 0;
        n = 1 + int(rand() * 6); text = "";
        for (k = 0; k < n; k++) text = text (k ? " " : "") w[1 + int(rand() * 12)];
        printf("{\"ts\": %d, \"user\": \"u%d\", \"text\": \"%s\"}\n", t, int(rand() * 50), text);
    }
}' >"$IN"

expect_exit 0 "reference run" -- "$SANGAM" run --quiet --parallelism 2 --workers 2 "$JOB" \
    --input "file:$IN" --output "file:$TMP/ref.csv" "${WIN[@]}"

# run_ck DIR OUT [ENGINE OPTIONS...]: the job with checkpoints every 20 ms.
run_ck() {
    local dir=$1 out=$2
    shift 2
    "$SANGAM" run --parallelism 2 --workers 2 --checkpoint-dir "$dir" \
        --checkpoint-interval-ms 20 "$@" "$JOB" --input "file:$IN" --output "file:$out" "${WIN[@]}"
}

# Runs that must be killed by the hook are paced (--pace: the input's ~2000 s of event
# time in about 2 s), so that they cannot end before their N-th checkpoint however fast
# or loaded the machine is; pacing changes no output.
PACE=(--pace 1000)

# Killed after checkpoint N, restored: the same bytes as the uninterrupted run.
for n in 1 2; do
    d="$TMP/ck$n"
    SANGAM_TEST_STOP_AFTER_CHECKPOINT=$n expect_exit 137 "killed after checkpoint $n" -- \
        run_ck "$d" "$TMP/out$n.csv" "${PACE[@]}"
    [ -f "$d/chk-$(printf %06d $n)/_metadata" ] || fail "checkpoint $n is complete on disk"
    expect_exit 0 "restore after checkpoint $n" -- run_ck "$d" "$TMP/out$n.csv" --restore latest &&
        expect_same_file "$TMP/out$n.csv" "$TMP/ref.csv" "output after a kill at checkpoint $n"
    expect_stderr "restored from checkpoint $n\$" "the summary names the restored checkpoint"
    expect_stderr "sink 'output' \\(file\\) is exactly-once" "the sink's guarantee is stated"
done

# Two kills in a row: numbering continues after the restored checkpoint.
d="$TMP/ck-twice"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 expect_exit 137 "first kill" -- run_ck "$d" "$TMP/tw.csv" \
    "${PACE[@]}"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 expect_exit 137 "second kill, after a restore" -- \
    run_ck "$d" "$TMP/tw.csv" --restore latest "${PACE[@]}"
last=$(ls "$d" | sed -n 's/^chk-0*//p' | sort -n | tail -1)
expect_exit 0 "second restore" -- run_ck "$d" "$TMP/tw.csv" --restore latest &&
    expect_same_file "$TMP/tw.csv" "$TMP/ref.csv" "output after two kills"
checks=$((checks + 1))
grep -Eq "restored from checkpoint ([2-9]|[1-9][0-9]+)\$" "$TMP/stderr" ||
    fail "the second restore continues the numbering (ids up to $last): $(cat "$TMP/stderr")"

# A generator source replays its sequence from the checkpoint: gen:posts the same.
G=(--input 'gen:posts?count=150000')
expect_exit 0 "generated reference" -- "$SANGAM" run --quiet --parallelism 2 --workers 2 "$JOB" \
    "${G[@]}" --output "file:$TMP/gref.csv"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 expect_exit 137 "gen:posts killed" -- "$SANGAM" run \
    --parallelism 2 --workers 2 --pace 150 --checkpoint-dir "$TMP/ckg" --checkpoint-interval-ms 20 "$JOB" \
    "${G[@]}" --output "file:$TMP/gout.csv"
expect_exit 0 "gen:posts restored" -- "$SANGAM" run --parallelism 2 --workers 2 \
    --checkpoint-dir "$TMP/ckg" --checkpoint-interval-ms 20 --restore latest "$JOB" "${G[@]}" \
    --output "file:$TMP/gout.csv" &&
    expect_same_file "$TMP/gout.csv" "$TMP/gref.csv" "gen:posts output after a kill"
expect_stderr "restored from checkpoint 1\$" "gen:posts restored from checkpoint 1"

# A checkpoint of another plan is refused, in one line, before anything runs.
expect_exit 1 "different parallelism" -- "$SANGAM" run --quiet --parallelism 1 \
    --checkpoint-dir "$TMP/ck1" --restore latest "$JOB" --input "file:$IN" \
    --output "file:$TMP/p1.csv" "${WIN[@]}"
expect_stderr "was taken with a different parallelism.*needs a savepoint" "parallelism refused"
expect_one_line "parallelism refused"
expect_exit 1 "different job" -- "$SANGAM" run --quiet --checkpoint-dir "$TMP/ck1" \
    --restore latest "$BUILD/jobs/ecommerce_sessions.so" --input "file:$IN" \
    --output "file:$TMP/e.csv"
expect_stderr "checkpoint chk-[0-9]+ was taken with a different job graph" "other job refused"
expect_one_line "other job refused"
expect_exit 1 "restore from a directory that is no checkpoint" -- "$SANGAM" run --quiet \
    --restore "$TMP" "$JOB" --input "file:$IN" --output "file:$TMP/x.csv" "${WIN[@]}"
expect_one_line "not a checkpoint"

# Nothing to restore: a notice, then a fresh start.
expect_exit 0 "restore latest with no checkpoint" -- run_ck "$TMP/empty" "$TMP/fresh.csv" \
    --restore latest && expect_same_file "$TMP/fresh.csv" "$TMP/ref.csv" "fresh start output"
expect_stderr "no complete checkpoint in .*starting from the beginning" "fresh start notice"

# At-least-once: nothing lost. Replayed records count twice in a window, so compare
# what was output (every window and rank of the reference), not the counts.
d="$TMP/ck-alo"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 expect_exit 137 "at-least-once kill" -- \
    run_ck "$d" "$TMP/alo.csv" --checkpoint-mode at-least-once "${PACE[@]}"
expect_exit 0 "at-least-once restore" -- run_ck "$d" "$TMP/alo.csv" --restore latest \
    --checkpoint-mode at-least-once
expect_stderr "sink 'output' \\(file\\) is at-least-once" "at-least-once stated"
checks=$((checks + 1))
missing=$(cut -d, -f1-3 "$TMP/ref.csv" | sort -u | comm -23 - <(cut -d, -f1-3 "$TMP/alo.csv" | sort -u) | head -5)
[ -z "$missing" ] || fail "at-least-once lost lines: $missing"

# Retention: at most --retain complete checkpoints stay.
expect_exit 0 "retain 2" -- run_ck "$TMP/ck-ret" "$TMP/ret.csv" --retain 2
checks=$((checks + 1))
[ "$(ls -d "$TMP"/ck-ret/chk-*/_metadata 2>/dev/null | wc -l)" -le 2 ] ||
    fail "more than 2 checkpoints kept: $(ls "$TMP/ck-ret")"

# Usage errors: exit 2, one line.
expect_exit 2 "restore latest without a directory" -- "$SANGAM" run --restore latest "$JOB"
expect_one_line "restore latest without a directory"
expect_exit 2 "bad mode" -- "$SANGAM" run --checkpoint-dir "$TMP/u" --checkpoint-mode maybe "$JOB"
expect_one_line "bad mode"
expect_exit 2 "heap backend" -- "$SANGAM" run --checkpoint-dir "$TMP/u" --state-backend heap "$JOB"
expect_one_line "heap backend"

finish
