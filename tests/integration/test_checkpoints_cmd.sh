#!/usr/bin/env bash
# `sangam checkpoints DIR`: lists every checkpoint and savepoint with its time, size,
# per-operator state and verification result; damaged and incomplete ones are listed,
# not fatal. Exit codes: 0 listed, 1 DIR unreadable, 2 usage.
# The checkpoints are made by the store itself (test_ckpt_store --make-sample) at fixed
# times, then damaged here the way a disk or an operator would.
source "$(dirname "$0")/lib.sh" "$1" "$2"
CK="$TMP/ck"
"$BUILD/tests/test_ckpt_store" --make-sample "$CK" || { fail "cannot make sample checkpoints"; finish; exit 1; }
echo "not a checkpoint" >"$CK/notes.txt"

# expect_stdout PATTERN DESCRIPTION: the last command's stdout matches (grep -E).
expect_stdout() {
    checks=$((checks + 1))
    grep -Eq -- "$1" "$TMP/stdout" || fail "$2: stdout lacks /$1/: $(cat "$TMP/stdout")"
}

expect_exit 0 "all intact" -- "$SANGAM" checkpoints "$CK"
expect_stdout '^NAME +KIND +COMPLETED \(UTC\) +BYTES +STATUS$' "header"
expect_stdout '^chk-000001  checkpoint  2023-11-14 22:13:21\.001 +[0-9]+  ok$' "chk-1 ok with time"
expect_stdout '^sp-000001   savepoint   2023-11-14 22:15:00\.000 +[0-9]+  ok$' "savepoint listed"
expect_stdout '^chk-000004  checkpoint  - +-  incomplete$' "incomplete listed"
expect_stdout '^    operator count: 25 bytes$' "state per operator"
[ "$(grep -c ' ok$' "$TMP/stdout")" = 4 ] || fail "four intact: $(cat "$TMP/stdout")"
[ "$(grep -c '^chk-\|^sp-' "$TMP/stdout")" = 5 ] || fail "notes.txt is not listed: $(cat "$TMP/stdout")"
[ -s "$TMP/stderr" ] && fail "nothing on stderr when listing: $(cat "$TMP/stderr")"
# The total size is every file plus _metadata.
want=$(find "$CK/chk-000001" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
expect_stdout "^chk-000001  .* $want  ok$" "total size $want"

# Damage: a bit flip in a RocksDB file, a bit flip in _metadata, a truncated .snap.
printf 'Z' | dd of="$CK/chk-000002/t1-s0-i0/000009.sst" bs=1 seek=2 conv=notrunc status=none
printf 'Z' | dd of="$CK/chk-000003/_metadata" bs=1 seek=30 conv=notrunc status=none
truncate -s 3 "$CK/sp-000001/t0-s0.snap"
expect_exit 0 "damaged ones are listed, not fatal" -- "$SANGAM" checkpoints "$CK/"
expect_stdout '^chk-000001 .* ok$' "chk-1 still ok"
expect_stdout '^chk-000002  checkpoint  2023-11-14 22:13:22\.002 .*corrupt: t1-s0-i0/000009\.sst: checksum mismatch$' "bit flip in data"
expect_stdout '^chk-000003  checkpoint  - +-  corrupt: _metadata: checksum mismatch$' "bit flip in _metadata"
expect_stdout '^sp-000001 .*corrupt: t0-s0\.snap is truncated \(3 of 12 bytes\)$' "truncation"
rm "$CK/chk-000001/t0-s0.snap"
expect_exit 0 "deleted file" -- "$SANGAM" checkpoints "$CK"
expect_stdout '^chk-000001 .*corrupt: t0-s0\.snap is missing$' "deletion"

# One checkpoint directory given directly.
expect_exit 0 "one checkpoint" -- "$SANGAM" checkpoints "$CK/chk-000002"
[ "$(grep -c '^chk-' "$TMP/stdout")" = 1 ] || fail "one checkpoint listed: $(cat "$TMP/stdout")"

mkdir "$TMP/empty"
expect_exit 0 "empty dir" -- "$SANGAM" checkpoints "$TMP/empty"
expect_stdout "^no checkpoints or savepoints in $TMP/empty$" "says it is empty"

expect_exit 1 "missing dir" -- "$SANGAM" checkpoints "$TMP/nope" &&
    expect_stderr "^sangam checkpoints: cannot read checkpoint directory $TMP/nope: No such file" "names it" &&
    expect_one_line "missing dir"
expect_exit 1 "a file, not a dir" -- "$SANGAM" checkpoints "$CK/notes.txt" &&
    expect_stderr 'Not a directory' "says so" && expect_one_line "file"
expect_exit 2 "no dir" -- "$SANGAM" checkpoints && expect_stderr 'no directory given' "says so" &&
    expect_one_line "no dir"
expect_exit 2 "unknown option" -- "$SANGAM" checkpoints --verbose "$CK" &&
    expect_stderr 'unknown option --verbose' "names it" && expect_one_line "unknown option"
expect_exit 2 "two dirs" -- "$SANGAM" checkpoints "$CK" "$TMP" && expect_stderr 'one directory expected' "says so"
expect_exit 0 "help" -- "$SANGAM" checkpoints --help && expect_stdout '^Usage: sangam checkpoints DIR' "usage"
expect_exit 0 "top-level help mentions it" -- "$SANGAM" --help && expect_stdout 'sangam checkpoints DIR' "listed"

finish
