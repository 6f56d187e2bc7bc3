#!/usr/bin/env bash
# Faults in checkpoints: a newest checkpoint damaged by a bit flip, a truncation or a
# deleted file is detected before any of its state is used, reported in one line, and
# restore falls back to the previous one, with output still identical to an
# uninterrupted run. That holds for both kinds of keyed state: cache images (.kv, the
# default cache holds all of trending_words' state) and RocksDB checkpoints (a cache of
# 256 entries: the state spills and checkpoints hold SST files). A checkpoint directory
# that runs out of space never gets a checkpoint marked complete that is not, and the
# run fails with one line, even when the last write fails after the job's end.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/trending_words.so"
ARGS=(--input 'gen:posts?count=200000&rate=200' --window-ms 10000 --slide-ms 5000)

expect_exit 0 "reference run" -- "$SANGAM" run --quiet --parallelism 2 "$JOB" "${ARGS[@]}" \
    --output "file:$TMP/ref.csv"

# A run that dies (_exit(137), a test-only hook) right after its third checkpoint
# completes, before the sink commits it: checkpoints 1-3 are on disk, output staged.
mkdir -p "$TMP/base"
# Paced (the input's 1000 s of event time in about 2 s), so that it cannot end before
# its third checkpoint however fast or loaded the machine is; pacing changes no output.
SANGAM_TEST_STOP_AFTER_CHECKPOINT=3 "$SANGAM" run --quiet --parallelism 2 --pace 500 \
    --checkpoint-dir "$TMP/base/ck" --checkpoint-interval-ms 50 "$JOB" "${ARGS[@]}" \
    --output "file:$TMP/base/out.csv" 2>"$TMP/base.err"
checks=$((checks + 1))
[ -f "$TMP/base/ck/chk-000003/_metadata" ] && [ -f "$TMP/base/ck/chk-000002/_metadata" ] ||
    fail "the killed run left checkpoints 2 and 3: $(ls "$TMP/base/ck") $(cat "$TMP/base.err")"

# damage NAME COMMAND [WHAT]: copies the killed run's world ($BASE: checkpoints and output),
# damages chk-000003 with COMMAND (run in that directory), restores (with the job's
# arguments in D_ARGS, engine options in D_ENGINE), and checks the fallback and that
# the output equals $REF; the report must match WHAT (grep -E) when given.
BASE="$TMP/base" REF="$TMP/ref.csv" D_ARGS=("${ARGS[@]}") D_ENGINE=()
damage() {
    local name=$1 cmd=$2 what=${3:-} w="$TMP/$1"
    cp -a "$BASE" "$w"
    (cd "$w/ck/chk-000003" && eval "$cmd") || { fail "$name: could not damage"; return; }
    expect_exit 0 "$name: restore" -- "$SANGAM" run --no-progress --parallelism 2 \
        "${D_ENGINE[@]}" --checkpoint-dir "$w/ck" --checkpoint-interval-ms 50 --restore latest \
        "$JOB" "${D_ARGS[@]}" --output "file:$w/out.csv" || return
    expect_stderr "checkpoint chk-000003 is corrupt: .*$what.*falling back to chk-000002" \
        "$name: detected and reported with the fallback"
    checks=$((checks + 1))
    [ "$(grep -c 'chk-000003' "$TMP/stderr")" = 1 ] ||
        fail "$name: one line about the damaged checkpoint: $(cat "$TMP/stderr")"
    expect_stderr 'restored checkpoint .*chk-000002' "$name: restored from the previous one"
    expect_same_file "$w/out.csv" "$REF" "$name: output after the fallback"
}

# A bit flip in the middle of a subtask's snapshot file.
damage bitflip 'f=t2-s0.snap; n=$(stat -c %s $f); o=$((n / 2));
    b=$(od -An -tu1 -j$o -N1 $f | tr -d " "); printf "$(printf "\\\\%03o" $((b ^ 4)))" |
    dd of=$f bs=1 seek=$o conv=notrunc status=none'
# A truncated copy of the state cache (the default cache: state never spilled).
damage truncated 'f=$(ls -S t2-s0-i*.kv | head -n 1); truncate -s $(($(stat -c %s $f) / 2)) $f'
# A deleted file.
damage deleted 'rm t0-s0.snap'
# Damaged metadata.
damage metadata 'printf "\377" | dd of=_metadata bs=1 seek=20 conv=notrunc status=none'

# Damaged SST files of a RocksDB checkpoint: a world whose state spilled (a cache of
# 256 entries; a shorter input, as every cache miss reads RocksDB). chk-000003's SST
# files are hard links shared with chk-000002's, so the damaged one is first made a
# file of its own (else the fallback would be damaged too).
SARGS=(--input 'gen:posts?count=40000&rate=200' --window-ms 10000 --slide-ms 5000)
SMALL=(--state-cache-entries 256)
expect_exit 0 "reference run, small cache" -- "$SANGAM" run --quiet --parallelism 2 "${SMALL[@]}" \
    "$JOB" "${SARGS[@]}" --output "file:$TMP/ref_sst.csv"
mkdir -p "$TMP/sst"
SANGAM_TEST_STOP_AFTER_CHECKPOINT=3 "$SANGAM" run --quiet --parallelism 2 "${SMALL[@]}" \
    --pace 100 --checkpoint-dir "$TMP/sst/ck" --checkpoint-interval-ms 50 "$JOB" "${SARGS[@]}" \
    --output "file:$TMP/sst/out.csv" 2>"$TMP/sst.err"
checks=$((checks + 1))
if ls "$TMP"/sst/ck/chk-000003/t*-i*/*.sst >/dev/null 2>&1 &&
    [ -f "$TMP/sst/ck/chk-000002/_metadata" ]; then
    BASE="$TMP/sst" REF="$TMP/ref_sst.csv" D_ARGS=("${SARGS[@]}") D_ENGINE=("${SMALL[@]}")
    OWN='f=$(ls -S t*-i*/*.sst | head -n 1); cp "$f" "$f.own" && mv "$f.own" "$f";'
    damage sst-bitflip "$OWN"' o=$(($(stat -c %s $f) / 2));
        b=$(od -An -tu1 -j$o -N1 $f | tr -d " "); printf "$(printf "\\\\%03o" $((b ^ 16)))" |
        dd of=$f bs=1 seek=$o conv=notrunc status=none' '\.sst: checksum mismatch'
    damage sst-truncated "$OWN"' truncate -s $(($(stat -c %s $f) - 100)) $f' '\.sst (is truncated|has)'
    BASE="$TMP/base" REF="$TMP/ref.csv" D_ARGS=("${ARGS[@]}") D_ENGINE=()
else
    fail "small cache: the killed run left no RocksDB checkpoint in chk-000003: $(ls -R "$TMP/sst/ck" | head -c 400) $(cat "$TMP/sst.err")"
fi

# Every checkpoint damaged: restore fails with a clear line, before touching output.
w="$TMP/all"
cp -a "$TMP/base" "$w"
for d in "$w"/ck/chk-*; do rm -f "$d"/t0-s0.snap; done
expect_exit 1 "no checkpoint verifies" -- "$SANGAM" run --parallelism 2 --checkpoint-dir "$w/ck" \
    --restore latest "$JOB" "${ARGS[@]}" --output "file:$w/out.csv"
expect_stderr 'corrupt|missing' "the last line names the damage"

# A full disk: checkpoints into a 256 KiB tmpfs (a private mount namespace; skipped where
# that is not allowed). The helper thread writes the state cache images (hundreds of KB
# per checkpoint), so the first checkpoint cannot be written: the run fails with one
# line, and no checkpoint is complete that does not verify. The second case fills the
# disk first and slows the helper (SANGAM_TEST_CKPT_WRITE_DELAY_MS) so that the job ends
# before the write fails and no coordinator tick sees it: the failure must still fail
# the run (it used to be dropped, exit 0).
mkdir -p "$TMP/tiny"
if unshare -r -m true 2>/dev/null; then
    # full_disk NAME FILL DELAY ARGS...: a run into the tmpfs, filled first when FILL=1.
    full_disk() {
        local name=$1 fill=$2 delay=$3
        shift 3
        unshare -r -m bash -c "mount -t tmpfs -o size=256k none '$TMP/tiny' &&
            if [ $fill = 1 ]; then dd if=/dev/zero of='$TMP/tiny/fill' bs=4k 2>/dev/null; fi;
            SANGAM_TEST_CKPT_WRITE_DELAY_MS=$delay '$SANGAM' run --quiet --parallelism 2 \
                --checkpoint-dir '$TMP/tiny/ck' --checkpoint-interval-ms 20 '$JOB' ${*@Q} \
                --output 'file:$TMP/$name.csv' 2>'$TMP/$name.err'; echo \$? >'$TMP/$name.rc';
            '$SANGAM' checkpoints '$TMP/tiny/ck' >'$TMP/$name.list' 2>&1"
        checks=$((checks + 1))
        [ "$(cat "$TMP/$name.rc")" = 1 ] && [ "$(wc -l <"$TMP/$name.err")" = 1 ] &&
            grep -Eq 'checkpoint [0-9]+: .*No space left on device' "$TMP/$name.err" ||
            fail "$name: exit $(cat "$TMP/$name.rc"), expected 1 with one line: $(cat "$TMP/$name.err")"
        checks=$((checks + 1))
        if grep -E '^chk-' "$TMP/$name.list" | grep -v incomplete | grep -vq ' ok$'; then
            fail "$name: a checkpoint marked complete does not verify: $(cat "$TMP/$name.list")"
        fi
        echo "$name: exit $(cat "$TMP/$name.rc"); $(grep -c '^chk-' "$TMP/$name.list") checkpoint(s) listed"
    }
    full_disk full-disk 0 0 "${ARGS[@]}"
    full_disk full-disk-after-end 1 300 --input 'gen:posts?count=40000&rate=200' --window-ms 10000 \
        --slide-ms 5000
else
    echo "skipped the full-disk case: no private mount namespace here"
fi
finish
