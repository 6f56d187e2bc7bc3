#!/usr/bin/env bash
# Savepoints end to end: a run at parallelism 2 that takes a savepoint mid-run and is
# killed right after it (SANGAM_TEST_SAVEPOINT_AT=N makes the N-th checkpoint trigger a
# savepoint; SANGAM_TEST_STOP_AFTER_CHECKPOINT=N then _exit(137)s once it is complete,
# before the sink commits it), restored at parallelism 1, 2 and 4, writes what an
# uninterrupted run writes (key groups move between subtasks). The savepoint is
# self-contained (no hard links), listed as a savepoint, and SIGUSR1 takes one in a
# running job.
source "$(dirname "$0")/lib.sh" "$1" "$2"
TW="$BUILD/jobs/trending_words.so"
EC="$BUILD/jobs/ecommerce_sessions.so"

# savepoint_then_restore JOB INPUT SORT PACE P...: reference at parallelism 2, a run
# killed after savepoint 2, then a restore at each P from a copy of the killed run's
# output (its committed part and pending files). SORT=1 compares as multisets (the
# header first), for jobs whose output order follows parallelism. The killed run is
# paced (--pace PACE: about a second of wall time), so that it cannot end before its
# second checkpoint however fast or loaded the machine is; pacing changes no output.
savepoint_then_restore() {
    local job=$1 input=$2 sort=$3 pace=$4 name
    shift 4
    name=$(basename "$job" .so)
    local d="$TMP/$name"
    mkdir -p "$d/killed"
    expect_exit 0 "$name: reference run" -- "$SANGAM" run --quiet --parallelism 2 --workers 2 \
        "$job" --input "$input" --output "file:$d/ref.csv"
    SANGAM_TEST_SAVEPOINT_AT=2 SANGAM_TEST_STOP_AFTER_CHECKPOINT=2 expect_exit 137 \
        "$name: killed after savepoint 2" -- "$SANGAM" run --quiet --parallelism 2 --workers 2 \
        --pace "$pace" --checkpoint-dir "$d/ck" --checkpoint-interval-ms 20 "$job" --input "$input" \
        --output "file:$d/killed/out.csv"
    expect_stderr "^sangam: savepoint 2 complete: $d/ck/sp-000002\$" "$name: the savepoint is announced"
    local sp="$d/ck/sp-000002"
    [ -f "$sp/_metadata" ] || fail "$name: savepoint 2 is complete on disk"
    for p in "$@"; do
        rm -rf "$d/p$p" && cp -r "$d/killed" "$d/p$p"
        expect_exit 0 "$name: restore at parallelism $p" -- "$SANGAM" run --parallelism "$p" \
            --workers 2 --checkpoint-dir "$d/ck$p" --checkpoint-interval-ms 20 --restore "$sp" \
            "$job" --input "$input" --output "file:$d/p$p/out.csv" || continue
        expect_stderr "restored savepoint $sp in" "$name: restore at $p names the savepoint"
        expect_stderr "restored from savepoint 2\$" "$name: the summary names the savepoint"
        if [ "$sort" = 1 ]; then
            checks=$((checks + 1))
            [ "$(head -1 "$d/p$p/out.csv")" = "$(head -1 "$d/ref.csv")" ] &&
                cmp -s <(tail -n +2 "$d/p$p/out.csv" | LC_ALL=C sort) \
                    <(tail -n +2 "$d/ref.csv" | LC_ALL=C sort) ||
                fail "$name: output restored at parallelism $p differs from the reference"
        else
            expect_same_file "$d/p$p/out.csv" "$d/ref.csv" "$name: output restored at parallelism $p"
        fi
    done
    # Self-contained: every file is its only link (no RocksDB hard links into live state).
    checks=$((checks + 1))
    local linked
    linked=$(find "$sp" -type f -links +1)
    [ -z "$linked" ] || fail "$name: savepoint files with other links: $linked"
    checks=$((checks + 1))
    find "$sp" -mindepth 1 -type d | grep -q . && fail "$name: savepoint has directories"
    expect_exit 0 "$name: sangam checkpoints" -- "$SANGAM" checkpoints "$d/ck"
    checks=$((checks + 1))
    grep -Eq "^sp-000002 +savepoint .* ok\$" "$TMP/stdout" ||
        fail "$name: sangam checkpoints lists the savepoint: $(cat "$TMP/stdout")"
}

# 150 s of posts at 1000/s; 3000 s of clicks at 20/s.
savepoint_then_restore "$TW" 'gen:posts?count=150000' 0 150 1 2 4
savepoint_then_restore "$EC" 'gen:ecommerce?count=60000' 1 3000 1 4

# A parallel source's position cannot be split: gen:clicks (one instance per subtask)
# restores at its own parallelism and is refused at another, in one line.
EX="$BUILD/jobs/examples.so"
CL='gen:clicks?count=200000'
# 200 s of clicks at 1000/s, paced to about a second (see savepoint_then_restore).
SANGAM_TEST_SAVEPOINT_AT=1 SANGAM_TEST_STOP_AFTER_CHECKPOINT=1 expect_exit 137 \
    "examples: killed after savepoint 1" -- "$SANGAM" run --quiet --parallelism 2 --workers 2 \
    --pace 200 --checkpoint-dir "$TMP/ex" --checkpoint-interval-ms 20 "$EX" --input "$CL" \
    --output "file:$TMP/ex.csv"
cp "$TMP/ex.csv" "$TMP/ex3.csv"
expect_exit 1 "examples: a parallel source at another parallelism" -- "$SANGAM" run --quiet \
    --parallelism 3 --restore "$TMP/ex/sp-000001" "$EX" --input "$CL" --output "file:$TMP/ex3.csv"
expect_stderr "cannot change the parallelism of 'clicks' \(2 to 3\): it is not keyed and keeps state of its own" \
    "parallel source refused"
expect_one_line "parallel source refused"
expect_exit 0 "examples: restored at its own parallelism" -- "$SANGAM" run --quiet \
    --parallelism 2 --restore "$TMP/ex/sp-000001" "$EX" --input "$CL" --output "file:$TMP/ex.csv"

# A damaged savepoint is found before any state is read.
cp -r "$TMP/trending_words/ck/sp-000002" "$TMP/sp-bad"
f=$(ls "$TMP/sp-bad"/n*.sp | tail -1)
printf 'X' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null
expect_exit 1 "a damaged savepoint" -- "$SANGAM" run --quiet --parallelism 1 \
    --restore "$TMP/sp-bad" "$TW" --input 'gen:posts?count=150000' --output "file:$TMP/z.csv"
expect_stderr "sp-bad.*$(basename "$f"): checksum mismatch" "damaged savepoint refused"
expect_one_line "damaged savepoint refused"

# A checkpoint (not a savepoint) still refuses another parallelism.
chk=$(ls -d "$TMP/trending_words/ck/chk-"* | head -1)
expect_exit 1 "a checkpoint at another parallelism" -- "$SANGAM" run --quiet --parallelism 1 \
    --restore "$chk" "$TW" --input 'gen:posts?count=150000' --output "file:$TMP/x.csv"
expect_stderr "was taken with a different parallelism.*needs a savepoint" "checkpoint refused"
expect_one_line "checkpoint refused"

# A savepoint of another job is refused in one line.
expect_exit 1 "a savepoint of another job" -- "$SANGAM" run --quiet \
    --restore "$TMP/trending_words/ck/sp-000002" "$EC" --input 'gen:ecommerce?count=10' \
    --output "file:$TMP/y.csv"
expect_stderr "savepoint sp-000002 was taken with a different job graph" "other job refused"
expect_one_line "other job refused"

# SIGUSR1 takes a savepoint in a running job (a long one, killed once it is written).
d="$TMP/signal"
"$SANGAM" run --quiet --parallelism 2 --workers 2 --checkpoint-dir "$d" \
    --checkpoint-interval-ms 100000 "$TW" --input 'gen:posts?count=100000000' \
    --output "file:$TMP/sig.csv" 2>"$TMP/sig.err" &
pid=$!
# The sink creates its output once the handler is installed (SIGUSR1 kills before).
for _ in $(seq 1 100); do [ -f "$TMP/sig.csv" ] && break; sleep 0.1; done
checks=$((checks + 1))
ok=0
for _ in $(seq 1 300); do
    kill -USR1 "$pid" 2>/dev/null
    if grep -q "^sangam: savepoint [0-9]* complete: $d/sp-" "$TMP/sig.err"; then
        ok=1
        break
    fi
    sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ "$ok" = 1 ] || fail "SIGUSR1 takes a savepoint: $(cat "$TMP/sig.err")"
expect_exit 0 "the signalled savepoint verifies" -- "$SANGAM" checkpoints "$d"
checks=$((checks + 1))
grep -Eq "^sp-[0-9]+ +savepoint .* ok\$" "$TMP/stdout" ||
    fail "the signalled savepoint is listed: $(cat "$TMP/stdout")"

# Without --checkpoint-dir a savepoint cannot be taken: said, and the run goes on.
"$SANGAM" run --quiet --dead-letter "$TMP/dl" "$TW" --input 'gen:posts?count=100000000' \
    --output null: 2>"$TMP/nock.err" &
pid=$!
for _ in $(seq 1 100); do [ -f "$TMP/dl" ] && break; sleep 0.1; done
checks=$((checks + 1))
ok=0
for _ in $(seq 1 100); do
    kill -USR1 "$pid" 2>/dev/null
    if grep -q "savepoint not taken: savepoints need --checkpoint-dir" "$TMP/nock.err"; then
        ok=1
        break
    fi
    sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ "$ok" = 1 ] || fail "SIGUSR1 without --checkpoint-dir is explained: $(cat "$TMP/nock.err")"

finish
