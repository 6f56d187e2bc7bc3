#!/usr/bin/env bash
# Both kinds of keyed-state checkpoint: state that fits in the cache is checkpointed as
# a cache image (t*-s*-i*.kv, no RocksDB files), state that spilled (a cache of 256
# entries) as a RocksDB checkpoint whose unchanged SST files are hard links hashed once.
# Each restores to exactly the output of an uninterrupted run after kill -9s
# (scripts/kill-verify.sh), and every checkpoint left behind verifies.
source "$(dirname "$0")/lib.sh" "$1" "$2"
J="$BUILD/jobs/trending_words.so"
# Small: with a cache of 256 entries every miss reads RocksDB (about 10x slower).
ARGS=(--input 'gen:posts?count=40000&rate=200' --window-ms 10000 --slide-ms 5000)

# checkpoint_kinds CACHE-ENTRIES: one run with checkpoints every 50 ms into $TMP/ck<N>.
checkpoint_kinds() {
    expect_exit 0 "a run with --state-cache-entries $1" -- "$SANGAM" run --quiet --parallelism 2 \
        --state-cache-entries "$1" --checkpoint-dir "$TMP/ck$1" --checkpoint-interval-ms 50 \
        "$J" "${ARGS[@]}" --output "file:$TMP/out$1.csv"
    expect_exit 0 "checkpoints with a cache of $1 verify" -- "$SANGAM" checkpoints "$TMP/ck$1"
    checks=$((checks + 1))
    # The one in flight when the input ended stays incomplete; nothing may be corrupt.
    grep -q ' ok$' "$TMP/stdout" && ! grep -q 'corrupt' "$TMP/stdout" ||
        fail "cache $1: not every checkpoint verifies: $(cat "$TMP/stdout")"
}

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

KV=(bash "$SRC/scripts/kill-verify.sh" --sangam "$SANGAM" --kills 3 --interval-ms 50)
for entries in 1048576 256; do
    checks=$((checks + 1))
    if "${KV[@]}" -- --parallelism 2 --state-cache-entries $entries "$J" "${ARGS[@]}" \
        --output 'file:@OUT@/trending.csv' >"$TMP/kv.out" 2>"$TMP/kv.err"; then
        cat "$TMP/kv.out"
    else
        fail "kill-verify with a cache of $entries: $(cat "$TMP/kv.err" "$TMP/kv.out" | head -c 600)"
    fi
done
finish
