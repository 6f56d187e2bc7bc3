#!/usr/bin/env bash
# ysb end to end. The expected counts are worked out independently: the generated
# events are written as JSON Lines (build/bench/baseline_ysb --dump) with the seed's
# campaign table (--dump-campaigns), and awk joins and counts the views per campaign
# and 10 s window. The job must give those rows (as a multiset) from the generator at
# every parallelism and worker count, from the JSON Lines file, and so must the
# baseline. Then bad rows, late events, --max-delay-ms and usage errors.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/ysb.so"
BASE="$BUILD/bench/baseline_ysb"
GEN="count=30000&rate=1000&seed=7" # 30 s of event time: three windows

# The header, then the other lines sorted.
multiset() {
    head -n 1 "$1"
    tail -n +2 "$1" | LC_ALL=C sort
}

expect_same_rows() {
    multiset "$1" >"$1.sorted"
    expect_same_file "$1.sorted" "$TMP/want.sorted" "$2"
}

# Views per (campaign, window) from the JSON Lines, joined with the campaign CSV.
expected_counts() { # EVENTS.jsonl CAMPAIGNS.csv WINDOW_MS
    awk -v W="$3" '
        function field(name,   re) {
            re = "\"" name "\":(\"[^\"]*\"|-?[0-9]+)"
            if (!match($0, re)) return ""
            v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
            gsub(/"/, "", v)
            return v
        }
        FNR == NR { if (FNR > 1) { split($0, p, ","); campaign[p[1]] = p[2] }; next }
        field("event_type") == "view" {
            t = field("event_time") + 0
            start = t - (t % W)
            # printf: awk would write numbers this large as 1.76723e+12
            n[campaign[field("ad_id")] "," sprintf("%.0f,%.0f", start, start + W)]++
        }
        END { for (k in n) print k "," n[k] }' "$2" "$1"
}

expect_exit 0 "dump events" -- "$BASE" --count 30000 --rate 1000 --seed 7 \
    --dump "$TMP/events.jsonl" &&
    expect_exit 0 "dump campaigns" -- "$BASE" --seed 7 --dump-campaigns "$TMP/campaigns.csv"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/events.jsonl")" = 30000 ] && [ "$(wc -l <"$TMP/campaigns.csv")" = 1001 ] ||
    fail "dumps hold 30000 events and 1000 ads"
{
    echo "campaign_id,window_start,window_end,count"
    expected_counts "$TMP/events.jsonl" "$TMP/campaigns.csv" 10000
} >"$TMP/want.csv"
multiset "$TMP/want.csv" >"$TMP/want.sorted"
checks=$((checks + 1))
# 100 campaigns x 3 windows, about 10000 views in all (1 in 3).
total=$(tail -n +2 "$TMP/want.csv" | awk -F, '{ s += $4 } END { print s }')
[ "$(wc -l <"$TMP/want.csv")" = 301 ] && [ "$total" -gt 9500 ] && [ "$total" -lt 10500 ] ||
    fail "expected rows: 300 rows of ~10000 views, got $(wc -l <"$TMP/want.csv") rows, $total views"

for p in 1 2 4; do
    for w in 1 2; do
        out="$TMP/gen-p$p-w$w.csv"
        expect_exit 0 "generator p=$p w=$w" -- "$SANGAM" run --parallelism $p --workers $w \
            "$JOB" --input "gen:ysb?$GEN" --output "file:$out" &&
            expect_same_rows "$out" "generator at parallelism $p, workers $w"
        expect_stderr 'records read +30000$' "summary counts generated events"
        expect_stderr 'output records +300$' "summary counts rows"
        expect_stderr 'late records dropped +0$' "nothing is late from the in-order generator"
    done
done

expect_exit 0 "JSON Lines input" -- "$SANGAM" run --parallelism 2 "$JOB" \
    --input "file:$TMP/events.jsonl" --seed 7 --output "file:$TMP/file.csv" &&
    expect_same_rows "$TMP/file.csv" "JSON Lines input"

expect_exit 0 "heap backend" -- "$SANGAM" run --quiet --state-backend heap --parallelism 2 \
    "$JOB" --input "gen:ysb?$GEN" --output "file:$TMP/heap.csv" &&
    expect_same_rows "$TMP/heap.csv" "heap backend"

expect_exit 0 "baseline" -- "$BASE" --count 30000 --rate 1000 --seed 7 --output "$TMP/base.csv" &&
    expect_same_rows "$TMP/base.csv" "baseline"
expect_stderr '^baseline ysb: events 30000, seconds [0-9.]+, cpu_seconds [0-9.]+, events/s [0-9]+$' "baseline report line"

# Bad rows are rejected and dead-lettered; the good ones still count. The file is the
# first 3 events plus: an unknown ad, an unknown event type, a missing ip, invalid JSON.
ad=$(sed -n 2p "$TMP/campaigns.csv" | cut -d, -f1)
campaign=$(sed -n 2p "$TMP/campaigns.csv" | cut -d, -f2)
ev() { # AD TYPE TIME
    printf '{"user_id":"u1","page_id":"p1","ad_id":"%s","ad_type":"banner","event_type":"%s","event_time":%s,"ip_address":"10.0.0.1"}\n' "$1" "$2" "$3"
}
{
    ev "$ad" view 1767225615000
    ev "00000000-0000-4000-8000-000000000000" view 1767225615001
    ev "$ad" hover 1767225615002
    echo '{"user_id":"u1","page_id":"p1","ad_id":"'"$ad"'","ad_type":"banner","event_type":"view","event_time":1767225615003}'
    echo '{"user_id": oops}'
    ev "$ad" view 1767225605000 # 10 s behind: late with no delay
    ev "$ad" click 1767225616000
} >"$TMP/small.jsonl"
expect_exit 0 "bad rows" -- "$SANGAM" run --dead-letter "$TMP/dead.txt" "$JOB" \
    --input "file:$TMP/small.jsonl" --seed 7 --output "file:$TMP/small.csv"
expect_stderr 'bad records +4$' "four bad rows"
expect_stderr 'late records dropped +1$' "the event 10 s behind is late without a delay"
expect_stderr 'small.jsonl:2: field "ad_id" is not an ad of any campaign' "unknown ad reported"
expect_stderr 'small.jsonl:3: field "event_type" must be view, click or purchase' "bad type reported"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/dead.txt")" = 4 ] && grep -q $'small.jsonl:4\tmissing field "ip_address"' "$TMP/dead.txt" ||
    fail "dead letter holds the 4 bad rows: $(cat "$TMP/dead.txt")"
printf '%s\n' "campaign_id,window_start,window_end,count" \
    "$campaign,1767225610000,1767225620000,1" >"$TMP/want.csv"
multiset "$TMP/want.csv" >"$TMP/want.sorted"
expect_same_rows "$TMP/small.csv" "late view dropped without a delay"

expect_exit 0 "with a delay" -- "$SANGAM" run "$JOB" --input "file:$TMP/small.jsonl" --seed 7 \
    --max-delay-ms 10000 --output "file:$TMP/delay.csv"
expect_stderr 'late records dropped +0$' "a 10 s delay keeps the event"
printf '%s\n' "campaign_id,window_start,window_end,count" \
    "$campaign,1767225600000,1767225610000,1" \
    "$campaign,1767225610000,1767225620000,1" >"$TMP/want.csv"
multiset "$TMP/want.csv" >"$TMP/want.sorted"
expect_same_rows "$TMP/delay.csv" "late view counted with a delay"

# A file of another seed's events: every ad is unknown.
expect_exit 0 "wrong seed" -- "$SANGAM" run "$JOB" --input "file:$TMP/small.jsonl" --seed 8 \
    --output "file:$TMP/wrong.csv"
expect_stderr 'bad records +7$' "another seed's ads are not in the table (and the invalid line)"

expect_exit 2 "seeds disagree" -- "$SANGAM" run "$JOB" --input "gen:ysb?$GEN" --seed 3 \
    --output null:
expect_stderr -- '--seed 3 differs from the generator.s seed=7' "seed conflict reported"
expect_one_line "seed conflict is one line"
expect_exit 1 "bad generator parameter" -- "$SANGAM" run "$JOB" --input "gen:ysb?rate=0" \
    --output null:
expect_stderr 'rate must be in 1..1e9' "bad rate reported"
finish
