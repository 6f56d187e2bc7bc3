#!/usr/bin/env bash
# `sangam gen nexmark`: the same bytes for the same arguments, Nexmark's event mix and
# field names, its exit codes (2 usage, 1 I/O, with one line on stderr), and, when the
# nexmark job can read JSON Lines (sg_nx_decode), gen:nexmark through the job gives
# the same result as the file the command wrote.
source "$(dirname "$0")/lib.sh" "$1" "$2"

gen() { "$SANGAM" gen nexmark "$@"; }

expect_exit 0 "gen to a file" -- gen --count 1000 --output "file:$TMP/a.jsonl"
expect_exit 0 "gen again" -- gen --count 1000 --output "file:$TMP/b.jsonl"
expect_same_file "$TMP/a.jsonl" "$TMP/b.jsonl" "same arguments, same bytes"
expect_exit 0 "gen to stdout" -- gen --count 1000
expect_same_file "$TMP/stdout" "$TMP/a.jsonl" "stdout and file:PATH hold the same bytes"
expect_exit 0 "gen to -" -- gen --count 1000 --output -
expect_same_file "$TMP/stdout" "$TMP/a.jsonl" "--output - is stdout"

checks=$((checks + 1))
[ "$(wc -l <"$TMP/a.jsonl")" = 1000 ] || fail "1000 lines, got $(wc -l <"$TMP/a.jsonl")"
# Nexmark's mix, 1:3:46, in its order: person, 3 auctions, 46 bids, again.
checks=$((checks + 1))
mix=$(sed -E 's/^\{"type":"([a-z]+)".*/\1/' "$TMP/a.jsonl" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
[ "$mix" = "auction=60 bid=920 person=20 " ] || fail "event mix: $mix"
checks=$((checks + 1))
order=$(head -5 "$TMP/a.jsonl" | sed -E 's/^\{"type":"([a-z]+)".*/\1/' | tr '\n' ' ')
[ "$order" = "person auction auction auction bid " ] || fail "event order: $order"
# Field names and order per type; every line one flat object.
checks=$((checks + 1))
bad=$(awk '
    /^\{"type":"person","id":[0-9]+,"name":"[^"]*","emailAddress":"[^"]*@[^"]*\.com","creditCard":"[0-9][0-9][0-9][0-9] [0-9][0-9][0-9][0-9] [0-9][0-9][0-9][0-9] [0-9][0-9][0-9][0-9]","city":"[^"]*","state":"[A-Z][A-Z]","dateTime":[0-9]+,"extra":".*"\}$/ { next }
    /^\{"type":"auction","id":[0-9]+,"itemName":"[^"]*","description":"[^"]*","initialBid":[0-9]+,"reserve":[0-9]+,"dateTime":[0-9]+,"expires":[0-9]+,"seller":[0-9]+,"category":1[0-4],"extra":".*"\}$/ { next }
    /^\{"type":"bid","auction":[0-9]+,"bidder":[0-9]+,"price":[0-9]+,"channel":"[^"]+","url":"https:\/\/www\.nexmark\.com\/[^"]*","dateTime":[0-9]+,"extra":".*"\}$/ { next }
    { print NR": "$0; exit }' "$TMP/a.jsonl")
[ -z "$bad" ] || fail "malformed line: ${bad:0:300}"
# The first event: Nexmark's (seed 0), at the default base time.
checks=$((checks + 1))
head -1 "$TMP/a.jsonl" | grep -q '^{"type":"person","id":1000,"name":"Peter Jones","emailAddress":"nhd@xcat.com","creditCard":"7241 7320 9143 4888","city":"Portland","state":"WY","dateTime":1767225600000,' ||
    fail "first event: $(head -c 300 "$TMP/a.jsonl")"
# rate 10000/s: event 999 is 99 ms after the base; --rate and --base move it.
checks=$((checks + 1))
grep -q '"dateTime":1767225600099,' <(tail -1 "$TMP/a.jsonl") || fail "last dateTime: $(tail -1 "$TMP/a.jsonl" | head -c 300)"
expect_exit 0 "gen --rate --base" -- gen --count 1000 --rate 1000 --base 5000
checks=$((checks + 1))
grep -q '"dateTime":5999,' <(tail -1 "$TMP/stdout") || fail "--rate 1000 --base 5000: $(tail -1 "$TMP/stdout" | head -c 300)"
# A seed changes the values, not the count or the mix.
expect_exit 0 "gen --seed" -- gen --count 1000 --seed 7 --output "file:$TMP/s.jsonl"
checks=$((checks + 1))
cmp -s "$TMP/s.jsonl" "$TMP/a.jsonl" && fail "--seed 7 gave the seed 0 events"
checks=$((checks + 1))
[ "$(grep -c '"type":"bid"' "$TMP/s.jsonl")" = 920 ] || fail "--seed 7 changed the mix"

# Help and usage errors: exit 2 with one line.
expect_exit 0 "gen --help" -- "$SANGAM" gen --help
expect_exit 0 "gen nexmark --help" -- gen --help
checks=$((checks + 1))
grep -q -- '--count' "$TMP/stdout" || fail "gen nexmark --help lists --count"
expect_exit 0 "sangam --help" -- "$SANGAM" --help
checks=$((checks + 1))
grep -q 'sangam gen nexmark' "$TMP/stdout" || fail "sangam --help names gen"
for args in "" "nexmark" "nexmark --count" "nexmark --count x" "nexmark --count -1" \
    "nexmark --count 5 --output /tmp/x" "nexmark --count 5 --rate 0" "nexmark --count 5 --bogus 1" \
    "nexmark --count 5 extra" "ysb --count 5"; do
    # shellcheck disable=SC2086
    expect_exit 2 "gen $args" -- "$SANGAM" gen $args && expect_one_line "gen $args"
done
# I/O errors: exit 1 with one line (a missing directory; a full disk when /dev/full exists).
expect_exit 1 "unwritable output" -- gen --count 5 --output "file:$TMP/no/such/dir/x.jsonl" &&
    expect_one_line "unwritable output"
if [ -w /dev/full ]; then
    expect_exit 1 "full disk" -- gen --count 20000 --output file:/dev/full &&
        expect_one_line "full disk"
fi

# gen:nexmark through the job equals the file path, once the job can decode files
# and has a query to run.
JOB="$BUILD/jobs/nexmark.so"
if nm -D "$SANGAM" 2>/dev/null | grep -q ' T sg_nx_decode$' && [ -f "$JOB" ] &&
    "$SANGAM" run "$JOB" --help 2>&1 | grep -q 'q0'; then
    for p in 1 2; do
        expect_exit 0 "q0 on gen:nexmark p=$p" -- "$SANGAM" run --parallelism $p "$JOB" --query q0 \
            --input 'gen:nexmark?count=1000' --output "file:$TMP/gen-p$p.csv"
        expect_exit 0 "q0 on the file p=$p" -- "$SANGAM" run --parallelism $p "$JOB" --query q0 \
            --input "file:$TMP/a.jsonl" --output "file:$TMP/file-p$p.csv"
        sort "$TMP/gen-p$p.csv" >"$TMP/gen-p$p.sorted"
        sort "$TMP/file-p$p.csv" >"$TMP/file-p$p.sorted"
        expect_same_file "$TMP/gen-p$p.sorted" "$TMP/file-p$p.sorted" "gen:nexmark = file, p=$p"
    done
else
    echo "skip: gen:nexmark through the job (no sg_nx_decode or no q0 yet)"
fi
finish
