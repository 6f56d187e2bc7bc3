#!/usr/bin/env bash
# trending_words end to end: a small input with Hindi text, hashtags, out-of-order,
# late and malformed lines, whose output was worked out by hand (see the comments in
# data/posts_small.expected.csv's test below); the same output at every parallelism
# and worker count; bad records reported and dead-lettered.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/trending_words.so"
IN="$SRC/tests/integration/data/posts_small.jsonl"
EXPECTED="$SRC/tests/integration/data/posts_small.expected.csv"
WIN=(--window-ms 10000 --slide-ms 5000 --top 3 --max-delay-ms 2000)

# Windows of 10 s sliding by 5 s, top 3, watermark delay 2 s. Line 7 (ts 4500) is out
# of order but within the delay; line 9 (ts 4000) comes after ts 12000 raised the
# watermark to 9999, so all its windows are closed: late. Line 10 (ts 9000) is late
# for [0,10000) only and counts in [5000,15000). Lines 4, 5, 11, 13, 14 are bad.
for p in 1 2 4; do
    for w in 1 2; do
        out="$TMP/out-p$p-w$w.csv"
        expect_exit 0 "run p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w \
            --dead-letter "$TMP/dead-p$p-w$w.txt" "$JOB" --input "file:$IN" \
            --output "file:$out" "${WIN[@]}" &&
            expect_same_file "$out" "$EXPECTED" "output at parallelism $p, workers $w"
        expect_stderr 'records read +14$' "summary counts read records"
        expect_stderr 'bad records +5$' "summary counts bad records"
        expect_stderr 'late records dropped +1$' "summary counts late records"
        expect_stderr 'output records +12$' "summary counts output records"
        expect_stderr 'posts_small.jsonl:4: invalid JSON' "bad JSON reported with its line"
        expect_stderr 'posts_small.jsonl:13: invalid UTF-8' "invalid UTF-8 reported"
        expect_stderr 'posts_small.jsonl:14: missing field "text"' "missing field reported"
        checks=$((checks + 1))
        [ "$(wc -l <"$TMP/dead-p$p-w$w.txt")" = 5 ] ||
            fail "dead letter holds 5 lines: $(cat "$TMP/dead-p$p-w$w.txt")"
        grep -q $'posts_small.jsonl:11\ttrailing data after the object\t{"ts": 11000' \
            "$TMP/dead-p$p-w$w.txt" || fail "dead letter keeps position, reason and line"
    done
done

# A larger generated input: the same bytes at parallelism 1 and 4, 1 and 2 workers.
expect_exit 0 "generated p1" -- "$SANGAM" run --quiet --parallelism 1 --workers 1 "$JOB" \
    --input 'gen:posts?count=60000&rate=100' --output "file:$TMP/gen1.csv"
expect_exit 0 "generated p4" -- "$SANGAM" run --quiet --parallelism 4 --workers 2 "$JOB" \
    --input 'gen:posts?count=60000&rate=100' --output "file:$TMP/gen4.csv"
expect_same_file "$TMP/gen1.csv" "$TMP/gen4.csv" "generated posts at parallelism 1 and 4"
# With a watermark delay below the generator's disorder some posts are late; which
# ones must not depend on parallelism either.
LATE=(--max-delay-ms 0 --window-ms 2000 --slide-ms 1000 --input 'gen:posts?count=30000&rate=100')
expect_exit 0 "late p1" -- "$SANGAM" run --quiet --parallelism 1 "$JOB" "${LATE[@]}" \
    --output "file:$TMP/late1.csv"
expect_exit 0 "late p4" -- "$SANGAM" run --parallelism 4 --workers 2 "$JOB" "${LATE[@]}" \
    --output "file:$TMP/late4.csv"
checks=$((checks + 1))
grep -Eq 'late records dropped +[1-9]' "$TMP/stderr" || fail "a zero delay makes some posts late"
expect_same_file "$TMP/late1.csv" "$TMP/late4.csv" "late posts at parallelism 1 and 4"

# State that does not fit the cache spills to RocksDB and is read back; the heap
# backend gives the same output.
expect_exit 0 "tiny state cache" -- "$SANGAM" run --quiet --parallelism 2 \
    --state-cache-entries 64 "$JOB" --input 'gen:posts?count=60000&rate=100' \
    --output "file:$TMP/spill.csv"
expect_same_file "$TMP/gen1.csv" "$TMP/spill.csv" "output with state spilled to RocksDB"
expect_exit 0 "heap backend" -- "$SANGAM" run --quiet --state-backend heap "$JOB" \
    --input 'gen:posts?count=60000&rate=100' --output "file:$TMP/heap.csv"
expect_same_file "$TMP/gen1.csv" "$TMP/heap.csv" "output on the heap backend"
checks=$((checks + 1))
[ "$(head -1 "$TMP/gen1.csv")" = "window_start,window_end,rank,word,count" ] &&
    [ "$(wc -l <"$TMP/gen1.csv")" -gt 100 ] || fail "generated output has a header and rows"

# CSV input works too (the decoder reads fields by header name).
printf 'ts,user,lang,text\n1000,u1,en,"Chai, and #chai"\n2000,u2,hi,"आज चाय"\n' >"$TMP/posts.csv"
expect_exit 0 "csv input" -- "$SANGAM" run --quiet "$JOB" --input "file:$TMP/posts.csv" \
    --output "file:$TMP/csv.csv" --window-ms 10000 --slide-ms 10000 --top 5
printf 'window_start,window_end,rank,word,count\n0,10000,1,#chai,1\n0,10000,2,chai,1\n0,10000,3,आज,1\n0,10000,4,चाय,1\n' >"$TMP/csv.expected"
expect_same_file "$TMP/csv.csv" "$TMP/csv.expected" "CSV input"

finish
