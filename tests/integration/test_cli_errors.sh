#!/usr/bin/env bash
# Every failure of `sangam run` is one clear line on stderr and the right exit code:
# 2 for usage (options, job files), 1 for failures at run time.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/trending_words.so"
IN="$SRC/tests/integration/data/posts_small.jsonl"

expect_exit 1 "missing input file" -- "$SANGAM" run "$JOB" --input file:/nonexistent/x.jsonl \
    --output "file:$TMP/o.csv" && expect_stderr 'cannot open input /nonexistent/x.jsonl: No such file' "names the file" && expect_one_line "missing input"
expect_exit 1 "unwritable output" -- "$SANGAM" run "$JOB" --input "file:$IN" \
    --output file:/nonexistent/dir/o.csv && expect_stderr 'cannot open output /nonexistent/dir/o.csv' "names the output" && expect_one_line "unwritable output"
expect_exit 1 "unknown input format" -- "$SANGAM" run "$JOB" --input "file:$TMP/x.txt" \
    --output "file:$TMP/o.csv" && expect_stderr 'unknown format' "explains the format" && expect_one_line "unknown format"

expect_exit 2 "unknown job option" -- "$SANGAM" run "$JOB" --input "file:$IN" --output \
    "file:$TMP/o.csv" --windw-ms 5 && expect_stderr 'unknown option --windw-ms' "names the option" && expect_one_line "unknown option"
expect_exit 2 "missing required option" -- "$SANGAM" run "$JOB" --input "file:$IN" &&
    expect_stderr 'missing required option --output' "names it" && expect_one_line "missing option"
expect_exit 2 "malformed number" -- "$SANGAM" run "$JOB" --input "file:$IN" --output \
    "file:$TMP/o.csv" --top ten && expect_stderr '--top expects an integer' "says what is wrong"
expect_exit 2 "zero window" -- "$SANGAM" run "$JOB" --input "file:$IN" --output \
    "file:$TMP/o.csv" --window-ms 0 && expect_stderr 'at least 1' "gives the bound"
expect_exit 2 "slide above window" -- "$SANGAM" run "$JOB" --input "file:$IN" --output \
    "file:$TMP/o.csv" --slide-ms 600000 && expect_stderr 'slide-ms' "explains"
expect_exit 2 "unknown engine option" -- "$SANGAM" run --paralelism 2 "$JOB" &&
    expect_stderr 'unknown option --paralelism' "names it" && expect_one_line "engine option"
expect_exit 2 "bad engine value" -- "$SANGAM" run --workers 0 "$JOB" &&
    expect_stderr 'at least 1' "gives the bound"
expect_exit 2 "unsupported URI" -- "$SANGAM" run "$JOB" --input "kafka://x/y" --output \
    "file:$TMP/o.csv" && expect_stderr "unsupported URI 'kafka://x/y'" "names the URI" && expect_one_line "bad URI"
expect_exit 2 "unknown generator" -- "$SANGAM" run "$JOB" --input "gen:nope" --output \
    "file:$TMP/o.csv" && expect_stderr 'unknown generator' "says so"
expect_exit 1 "bad generator parameter" -- "$SANGAM" run "$JOB" --input "gen:posts?count=x" \
    --output "file:$TMP/o.csv" && expect_stderr 'count=x' "names the parameter"
expect_exit 2 "missing stopwords" -- "$SANGAM" run "$JOB" --input "file:$IN" --output \
    "file:$TMP/o.csv" --stopwords /nonexistent/stop.txt && expect_stderr 'cannot open stopwords file /nonexistent/stop.txt' "names the file"

expect_exit 2 "no job file" -- "$SANGAM" run && expect_stderr 'no job file' "says so"
expect_exit 2 "job file missing" -- "$SANGAM" run "$TMP/none.so" &&
    expect_stderr 'cannot load job' "says so" && expect_one_line "missing job"
printf 'not an ELF file' >"$TMP/fake.so"
expect_exit 2 "job file not a shared object" -- "$SANGAM" run "$TMP/fake.so" &&
    expect_stderr 'not a loadable shared object' "says so" && expect_one_line "not a .so"
libm=$(ldconfig -p | awk '/libm\.so\.6 / {print $NF; exit}')
expect_exit 2 "shared object without sg_job_main" -- "$SANGAM" run "${libm:-/lib/x86_64-linux-gnu/libm.so.6}" &&
    expect_stderr 'does not export sg_job_main' "says so"
expect_exit 2 "unknown command" -- "$SANGAM" frobnicate && expect_stderr "unknown command" "says so"

# Ctrl-C stops a run with exit 1 and one line; --explain-time then shows where
# event time stood, per subtask and input.
"$SANGAM" run --explain-time 100000 --parallelism 2 "$JOB" --output null: \
    --input 'gen:posts?count=100000000&rate=1000' >"$TMP/stdout" 2>"$TMP/stderr" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
got=$?
checks=$((checks + 1))
[ "$got" = 1 ] || fail "interrupted run exits 1, got $got"
expect_stderr '^sangam: error: interrupted$' "says it was interrupted"
expect_stderr 'word-counts\[1\] in: by-word\[0\] ([0-9]+ \(|none yet)' "shows input watermarks"
expect_stderr '^  posts\[0\] source, watermark out' "shows the source's watermark"

expect_exit 0 "engine help" -- "$SANGAM" run --help
checks=$((checks + 1)); grep -q -- '--parallelism' "$TMP/stdout" || fail "engine help lists options"
expect_exit 0 "job help" -- "$SANGAM" run "$JOB" --help
checks=$((checks + 1)); grep -q -- '--window-ms' "$TMP/stdout" || fail "job help lists options"

finish
