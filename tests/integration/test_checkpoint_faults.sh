#!/usr/bin/env bash
# Faults in checkpoints: a newest checkpoint damaged by a bit flip, a truncation or a
# deleted file is detected before any of its state is used, reported in one line, and
# restore falls back to the previous one, with output still identical to an
# uninterrupted run; a checkpoint directory that runs out of space never gets a
# checkpoint marked complete that is not, and the job fails cleanly or goes on.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/trending_words.so"
ARGS=(--input 'gen:posts?count=200000&rate=200' --window-ms 10000 --slide-ms 5000)

expect_exit 0 "reference run" -- "$SANGAM" run --quiet --parallelism 2 "$JOB" "${ARGS[@]}" \
    --output "file:$TMP/ref.csv"

# A run that dies (_exit(137), a test-only hook) right after its third checkpoint
# completes, before the sink commits it: checkpoints 1-3 are on disk, output staged.
mkdir -p "$TMP/base"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=3 "$SANGAM" run --quiet --parallelism 2 \
    --checkpoint-dir "$TMP/base/ck" --checkpoint-interval-ms 50 "$JOB" "${ARGS[@]}" \
    --output "file:$TMP/base/out.csv" 2>"$TMP/base.err"
checks=$((checks + 1))
[ -f "$TMP/base/ck/chk-000003/_metadata" ] && [ -f "$TMP/base/ck/chk-000002/_metadata" ] ||
    fail "the killed run left checkpoints 2 and 3: $(ls "$TMP/base/ck") $(cat "$TMP/base.err")"

# damage NAME COMMAND: copies the killed run's world (checkpoints and output), damages
# chk-000003 with COMMAND (run in that directory), restores, and checks the fallback.
damage() {
    local name=$1 cmd=$2 w="$TMP/$1"
    cp -a "$TMP/base" "$w"
    (cd "$w/ck/chk-000003" && eval "$cmd") || { fail "$name: could not damage"; return; }
    expect_exit 0 "$name: restore" -- "$SANGAM" run --no-progress --parallelism 2 \
        --checkpoint-dir "$w/ck" --checkpoint-interval-ms 50 --restore latest "$JOB" \
        "${ARGS[@]}" --output "file:$w/out.csv" || return
    expect_stderr 'checkpoint chk-000003 is corrupt: .*falling back to chk-000002' \
        "$name: detected and reported with the fallback"
    checks=$((checks + 1))
    [ "$(grep -c 'chk-000003' "$TMP/stderr")" = 1 ] ||
        fail "$name: one line about the damaged checkpoint: $(cat "$TMP/stderr")"
    expect_stderr 'restored checkpoint .*chk-000002' "$name: restored from the previous one"
    expect_same_file "$w/out.csv" "$TMP/ref.csv" "$name: output after the fallback"
}

# A bit flip in the middle of a subtask's snapshot file.
damage bitflip 'f=t2-s0.snap; n=$(stat -c %s $f); o=$((n / 2));
    b=$(od -An -tu1 -j$o -N1 $f | tr -d " "); printf "$(printf "\\\\%03o" $((b ^ 4)))" |
    dd of=$f bs=1 seek=$o conv=notrunc status=none'
# A truncated state file: the copy of the state cache (state that never spilled), or
# an SST file of a RocksDB checkpoint (state that did).
damage truncated 'f=$(ls -S t2-s0-i*.kv t2-s0-i*/*.sst 2>/dev/null | head -n 1);
    truncate -s $(($(stat -c %s $f) / 2)) $f'
# A deleted file.
damage deleted 'rm t0-s0.snap'
# Damaged metadata.
damage metadata 'printf "\377" | dd of=_metadata bs=1 seek=20 conv=notrunc status=none'

# Every checkpoint damaged: restore fails with a clear line, before touching output.
w="$TMP/all"
cp -a "$TMP/base" "$w"
for d in "$w"/ck/chk-*; do rm -f "$d"/t0-s0.snap; done
expect_exit 1 "no checkpoint verifies" -- "$SANGAM" run --parallelism 2 --checkpoint-dir "$w/ck" \
    --restore latest "$JOB" "${ARGS[@]}" --output "file:$w/out.csv"
expect_stderr 'corrupt|missing' "the last line names the damage"

# A full disk: checkpoints into a 256 KiB tmpfs (a private mount namespace; skipped where
# that is not allowed). RocksDB cannot hard-link across file systems, so it copies and
# runs out of space. Whatever the run does, no checkpoint is complete that does not
# verify, and if the run succeeds its output is right.
mkdir -p "$TMP/tiny"
if unshare -r -m true 2>/dev/null; then
    unshare -r -m bash -c "mount -t tmpfs -o size=256k none '$TMP/tiny' &&
        '$SANGAM' run --no-progress --parallelism 2 --checkpoint-dir '$TMP/tiny/ck' \
            --checkpoint-interval-ms 20 '$JOB' ${ARGS[*]@Q} --output 'file:$TMP/full.csv' \
            2>'$TMP/full.err'; echo \$? >'$TMP/full.rc';
        '$SANGAM' checkpoints '$TMP/tiny/ck' >'$TMP/full.list' 2>&1; echo \$? >'$TMP/list.rc'"
    rc=$(cat "$TMP/full.rc")
    checks=$((checks + 1))
    case $rc in
    0) cmp -s "$TMP/full.csv" "$TMP/ref.csv" || fail "full disk: the run succeeded with wrong output" ;;
    1) grep -q 'No space left on device' "$TMP/full.err" ||
        fail "full disk: the failure does not say so: $(tail -n 2 "$TMP/full.err")" ;;
    *) fail "full disk: exit $rc: $(tail -n 2 "$TMP/full.err")" ;;
    esac
    checks=$((checks + 1))
    if grep -E '^chk-' "$TMP/full.list" | grep -v incomplete | grep -vq ' ok$'; then
        fail "full disk: a checkpoint marked complete does not verify: $(cat "$TMP/full.list")"
    fi
    echo "full disk: exit $rc; $(grep -c '^chk-' "$TMP/full.list") checkpoint(s) listed"
else
    echo "skipped the full-disk case: no private mount namespace here"
fi
finish
