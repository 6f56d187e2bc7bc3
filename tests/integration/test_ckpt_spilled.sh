#!/usr/bin/env bash
# Both kinds of keyed-state checkpoint: state that fits in the cache is checkpointed as
# a cache image (t*-s*-i*.kv, no RocksDB files), state that spilled (a cache of 256
# entries) as a RocksDB checkpoint whose unchanged SST files are hard links hashed once.
# Each restores to exactly the output of an uninterrupted run after kill -9s
# (scripts/kill-verify.sh, which must restore at least once), and every checkpoint left
# behind verifies. A deterministic case stops a run right after its second checkpoint
# (SANGAM_TEST_STOP_AFTER_CHECKPOINT) and restores its cache image, also into a cache
# too small for it (the image's entries then evict into RocksDB).
source "$(dirname "$0")/lib.sh" "$1" "$2"
J="$BUILD/jobs/trending_words.so"
# Small: with a cache of 256 entries every miss reads RocksDB (about 10x slower).
ARGS=(--input 'gen:posts?count=40000&rate=200' --window-ms 10000 --slide-ms 5000)

# checkpoint_kinds CACHE-ENTRIES: one run with checkpoints every 50 ms into $TMP/ck<N>,
# paced (200 s of event time in about 2 s) so that checkpoints complete on any machine.
checkpoint_kinds() {
    expect_exit 0 "a run with --state-cache-entries $1" -- "$SANGAM" run --quiet --parallelism 2 --pace 100 \
        --state-cache-entries "$1" --checkpoint-dir "$TMP/ck$1" --checkpoint-interval-ms 50 \
        "$J" "${ARGS[@]}" --output "file:$TMP/out$1.csv"
    expect_exit 0 "checkpoints with a cache of $1 verify" -- "$SANGAM" checkpoints "$TMP/ck$1"
    checks=$((checks + 1))
    # The one in flight when the input ended stays incomplete; nothing may be corrupt.
    grep -q ' ok$' "$TMP/stdout" && ! grep -q 'corrupt' "$TMP/stdout" ||
        fail "cache $1: not every checkpoint verifies: $(cat "$TMP/stdout")"
}

expect_exit 0 "reference run" -- "$SANGAM" run --quiet --parallelism 2 "$J" "${ARGS[@]}" \
    --output "file:$TMP/ref.csv"

checkpoint_kinds 1048576
last=$(ls -d "$TMP"/ck1048576/chk-* | tail -n 1)
checks=$((checks + 1))
ls "$last"/t*-i*.kv >/dev/null 2>&1 && ! ls -d "$last"/t*-i*/ >/dev/null 2>&1 ||
    fail "state that fits in the cache: expected images only: $(ls "$last")"

checkpoint_kinds 256
last=$(ls -d "$TMP"/ck256/chk-* | tail -n 1)
checks=$((checks + 1))
ls "$last"/t*-i*/*.sst >/dev/null 2>&1 ||
    fail "state that spilled: expected a RocksDB checkpoint: $(ls -R "$last" | head -c 400)"
checks=$((checks + 1))
cmp -s "$TMP/out256.csv" "$TMP/out1048576.csv" || fail "the two runs' outputs differ"
expect_same_file "$TMP/out1048576.csv" "$TMP/ref.csv" "checkpoints do not change the output"

# Deterministic: stopped (_exit(137)) right after checkpoint 2, which holds images only.
mkdir -p "$TMP/img"
expect_exit 137 "a run stopped after its second checkpoint" -- \
    env SANGAM_TEST_STOP_AFTER_CHECKPOINT=2 "$SANGAM" run --quiet --parallelism 2 --pace 100 \
    --checkpoint-dir "$TMP/img/ck" --checkpoint-interval-ms 50 "$J" "${ARGS[@]}" \
    --output "file:$TMP/img/out.csv"
checks=$((checks + 1))
ls "$TMP"/img/ck/chk-000002/t*-i*.kv >/dev/null 2>&1 &&
    ! ls -d "$TMP"/img/ck/chk-000002/t*-i*/ >/dev/null 2>&1 ||
    fail "checkpoint 2: expected cache images and no RocksDB checkpoint: $(ls "$TMP/img/ck/chk-000002")"
cp -a "$TMP/img" "$TMP/img-small"
# restore_image NAME ENGINE-OPTIONS...: restores $TMP/NAME from chk-000002.
restore_image() {
    local name=$1
    shift
    expect_exit 0 "$name: restore the image" -- "$SANGAM" run --no-progress --parallelism 2 "$@" \
        --checkpoint-dir "$TMP/$name/ck" --checkpoint-interval-ms 50 --restore latest "$J" \
        "${ARGS[@]}" --output "file:$TMP/$name/out.csv"
    expect_stderr 'restored checkpoint .*chk-000002' "$name: restored checkpoint 2"
    expect_same_file "$TMP/$name/out.csv" "$TMP/ref.csv" "$name: output after the restore"
}
restore_image img
restore_image img-small --state-cache-entries 256
# The small cache could not hold the image: it spilled, so the restored run's later
# checkpoints are RocksDB checkpoints.
checks=$((checks + 1))
ls -d "$TMP"/img-small/ck/chk-*/t*-i*/ >/dev/null 2>&1 ||
    fail "img-small: the restored state did not spill into RocksDB: $(ls "$TMP/img-small/ck")"

# Kills 25-35% of a paced run's time (--pace 100: the input's 200 s of event time in
# about 2 s; measured here, as sanitizer builds and load make it longer) after each
# start: every run gets past its first checkpoints (every 50 ms) before its kill, so
# restores happen (kills in the first tenth of the run often landed before any
# checkpoint: restores 0, fresh restarts 3), and three kills cannot finish the job.
KV=(bash "$SRC/scripts/kill-verify.sh" --sangam "$SANGAM" --kills 3 --interval-ms 50)
for entries in 1048576 256; do
    start=$(date +%s.%N)
    "$SANGAM" run --quiet --parallelism 2 --pace 100 --state-cache-entries $entries "$J" \
        "${ARGS[@]}" --output "file:$TMP/paced.csv"
    took=$(echo "$(date +%s.%N) - $start" | bc -l)
    delay=$(printf '%.2f:%.2f' "$(echo "$took * 0.25" | bc -l)" "$(echo "$took * 0.35" | bc -l)")
    checks=$((checks + 1))
    if "${KV[@]}" --delay "$delay" -- --parallelism 2 --pace 100 --state-cache-entries $entries \
        "$J" "${ARGS[@]}" --output 'file:@OUT@/trending.csv' >"$TMP/kv.out" 2>"$TMP/kv.err"; then
        cat "$TMP/kv.out"
        restores=$(sed -n 's/.*, restores \([0-9]*\),.*/\1/p' "$TMP/kv.out")
        checks=$((checks + 1))
        [ "${restores:-0}" -ge 1 ] ||
            fail "kill-verify with a cache of $entries restored nothing (kills $delay s after each start): $(cat "$TMP/kv.out")"
    else
        fail "kill-verify with a cache of $entries: $(cat "$TMP/kv.err" "$TMP/kv.out" | head -c 600)"
    fi
done
finish
