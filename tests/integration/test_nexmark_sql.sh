#!/usr/bin/env bash
# Nexmark correctness: every query of build/jobs/nexmark.so that has an SQL twin in
# tests/integration/nexmark/qN.sql runs on the same events at parallelism 1 and 2, and
# its CSV rows must equal, as a sorted multiset, what sqlite3 computes from the SQL.
#
# Events: the hand-written edge.jsonl (BETWEEN bounds, ties, out-of-order and late
# events, touching sessions, late bids q7 still joins, a bid late for q11), when
# `sangam gen nexmark` exists two generated files (in order, and in out-of-order
# groups of 1000, which makes thousands of events late), and the file named by
# $NEXMARK_SQL_EVENTS if set (to check any events by hand).
# The harness loads them into sqlite3 tables
#   person(id, name, emailAddress, creditCard, city, state, dateTime, extra, seq, wm)
#   auction(id, itemName, description, initialBid, reserve, dateTime, expires, seller,
#           category, extra, seq, wm)
#   bid(auction, bidder, price, channel, url, dateTime, extra, seq, wm)
# where seq is the event's line number and wm the watermark it carries in the engine
# (docs/architecture.md): the highest dateTime of the events before it, of any type,
# minus the watermark delay (NULL for the first), as Nexmark's DDL `WATERMARK FOR
# dateTime AS dateTime - INTERVAL '4' SECOND` (with a delay of 0 it is max - 1: the
# engine takes no negative delay, see jobs/nexmark/job.c). A windowed aggregate's SQL
# drops the events whose window has fired by then (window end - 1 <= wm), as Flink
# and the job do.
# A qN.sql prints its rows as CSV with a header (.headers on, .mode csv). Both CSVs are
# read back by sqlite3's own CSV reader and compared as values (every one as text), so
# quoting choices do not matter, numbers' formatting does. q12 works in processing
# time, so its job rows are summed per bidder before the comparison (see q12.sql), and
# each of its windows must be 10 s long and aligned to 10 s. An SQL result with no row
# (sqlite3 then prints no header) is compared as no row under the job's header.
source "$(dirname "$0")/lib.sh" "$1" "$2"
JOB="$BUILD/jobs/nexmark.so"
DIR="$SRC/tests/integration/nexmark"
DELAY=${NEXMARK_SQL_DELAY:-4000} # the watermark delay (Nexmark: 4 s); check_events may change it
# 30000 events at 500/s: 60 s of event time, so windows and sessions come and go.
# Sanitizer builds run it several times slower: fewer events there.
GEN_COUNT=30000
grep -qE 'SG_(ASAN|TSAN):BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && GEN_COUNT=12000
GEN_COUNT=${NEXMARK_SQL_GEN_COUNT:-$GEN_COUNT}

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "FAIL: sqlite3 is not installed; the Nexmark correctness check needs it" \
        "(Debian package sqlite3, see scripts/install-deps.sh)" >&2
    exit 1
fi

# load EVENTS DB: the three tables above from a JSON Lines file.
load() {
    local wm_lag=$((DELAY > 0 ? DELAY : 1)) # the job's watermark: max dateTime - wm_lag
    sqlite3 "$2" <<SQL
CREATE TABLE raw(line TEXT);
.mode ascii
.separator "\037" "\n"
.import '$1' raw
CREATE TABLE ev AS
  SELECT rowid AS seq, json_extract(line, '\$.type') AS type,
         json_extract(line, '\$.dateTime') AS dateTime, line
  FROM raw WHERE json_valid(line);
CREATE TABLE evwm AS
  SELECT seq, MAX(dateTime) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING
                                  AND 1 PRECEDING) - $wm_lag AS wm
  FROM ev;
CREATE TABLE person AS
  SELECT json_extract(line, '\$.id') AS id, json_extract(line, '\$.name') AS name,
         json_extract(line, '\$.emailAddress') AS emailAddress,
         json_extract(line, '\$.creditCard') AS creditCard,
         json_extract(line, '\$.city') AS city, json_extract(line, '\$.state') AS state,
         dateTime, json_extract(line, '\$.extra') AS extra, seq, wm
  FROM ev JOIN evwm USING (seq) WHERE type = 'person';
CREATE TABLE auction AS
  SELECT json_extract(line, '\$.id') AS id, json_extract(line, '\$.itemName') AS itemName,
         json_extract(line, '\$.description') AS description,
         json_extract(line, '\$.initialBid') AS initialBid,
         json_extract(line, '\$.reserve') AS reserve, dateTime,
         json_extract(line, '\$.expires') AS expires, json_extract(line, '\$.seller') AS seller,
         json_extract(line, '\$.category') AS category, json_extract(line, '\$.extra') AS extra,
         seq, wm
  FROM ev JOIN evwm USING (seq) WHERE type = 'auction';
CREATE TABLE bid AS
  SELECT json_extract(line, '\$.auction') AS auction, json_extract(line, '\$.bidder') AS bidder,
         json_extract(line, '\$.price') AS price, json_extract(line, '\$.channel') AS channel,
         json_extract(line, '\$.url') AS url, dateTime, json_extract(line, '\$.extra') AS extra,
         seq, wm
  FROM ev JOIN evwm USING (seq) WHERE type = 'bid';
DROP TABLE raw;
SQL
}

# canon CSV [SELECT]: the rows of a CSV file with a header, parsed by sqlite3's CSV
# reader into table t and printed by SELECT (default: every row) as SQL literals, the
# header first, then the rows sorted.
canon() {
    sqlite3 :memory: ".import --csv '$1' t" ".headers on" ".mode quote" \
        "${2:-SELECT * FROM t}" >"$1.canon" || return 1
    head -n 1 "$1.canon"
    tail -n +2 "$1.canon" | LC_ALL=C sort
}

# q12_windows CSV: its windows that are not 10 s long or not aligned to 10 s.
q12_windows() {
    sqlite3 :memory: ".import --csv '$1' t" \
        "SELECT count(*) FROM t WHERE CAST(endtime AS INTEGER) - CAST(starttime AS INTEGER) != 10000
           OR CAST(starttime AS INTEGER) % 10000 != 0"
}

# check_query NAME EVENTS DB QUERY: the job at parallelism 1 and 2 against the SQL.
check_query() {
    local name=$1 events=$2 db=$3 q=$4 rows=""
    local want="$TMP/$name-$q.want"
    [ "$q" = q12 ] &&
        rows="SELECT bidder, CAST(sum(bid_count) AS TEXT) AS bid_count FROM t GROUP BY bidder"
    checks=$((checks + 1))
    if ! sqlite3 -header -csv "$db" <"$DIR/$q.sql" >"$want" 2>"$TMP/sql.err" ||
        [ -s "$TMP/sql.err" ]; then
        fail "$q.sql on $name: $(head -c 400 "$TMP/sql.err")"
        return
    fi
    if [ -s "$want" ]; then
        canon "$want" >"$want.rows" || {
            fail "$q.sql on $name: its output is not CSV"
            return
        }
    else
        : >"$want.rows" # no row: sqlite3 wrote no header either; the job's is taken
    fi
    for p in 1 2; do
        local got="$TMP/$name-$q-p$p.csv"
        expect_exit 0 "$q on $name at parallelism $p" -- "$SANGAM" run --quiet \
            --parallelism $p --workers 2 "$JOB" --query "$q" --input "file:$events" \
            --max-delay-ms $DELAY --output "file:$got" || continue
        checks=$((checks + 1))
        if ! canon "$got" "$rows" >"$got.rows"; then
            fail "$q on $name at parallelism $p: the output is not CSV"
            continue
        fi
        [ -s "$want.rows" ] || head -n 1 "$got.rows" >"$want.rows"
        if [ "$(head -n 1 "$got.rows")" != "$(head -n 1 "$want.rows")" ]; then
            fail "$q on $name at parallelism $p: header $(head -n 1 "$got.rows")," \
                "SQL says $(head -n 1 "$want.rows")"
        elif ! cmp -s "$got.rows" "$want.rows"; then
            fail "$q on $name at parallelism $p: rows differ from the SQL's (< job, > sql):" \
                "$(diff "$got.rows" "$want.rows" | head -20)"
        fi
        if [ "$q" = q12 ]; then
            checks=$((checks + 1))
            local bad
            bad=$(q12_windows "$got")
            [ "$bad" = 0 ] || fail "q12 on $name at parallelism $p: $bad windows are not" \
                "[k * 10 s, k * 10 s + 10 s)"
        fi
    done
    echo "$q on $name: $(($(wc -l <"$want.rows") - 1)) rows"
}

# check_events NAME EVENTS [DELAY]: every query with an SQL twin, on one events file,
# with watermark delay DELAY (default $DELAY; load and check_query see this one).
check_events() {
    local name=$1 events=$2 db="$TMP/$1.db" DELAY=${3:-$DELAY}
    load "$events" "$db" || {
        fail "loading $events into sqlite3"
        return
    }
    for sql in "$DIR"/q*.sql; do
        check_query "$name" "$events" "$db" "$(basename "$sql" .sql)"
    done
}

check_events edge "$DIR/edge.jsonl"

if "$SANGAM" gen nexmark --help >/dev/null 2>&1; then
    expect_exit 0 "sangam gen nexmark" -- "$SANGAM" gen nexmark --count $GEN_COUNT --rate 500 \
        --output "file:$TMP/gen.jsonl" && check_events generated "$TMP/gen.jsonl"
    # Out-of-order groups of 7777 events (15.6 s at 500/s) against a 1 s delay: every
    # windowed query drops thousands of late events (q7 most of its bids, q11 some).
    # Groups of 1000 would make nothing late: they span 2 s, under the delay, and
    # line up with q5's 2 s panes and q7's and q8's 10 s windows.
    expect_exit 0 "sangam gen nexmark --ooo" -- "$SANGAM" gen nexmark --count $GEN_COUNT \
        --rate 500 --seed 7 --ooo 7777 --output "file:$TMP/ooo.jsonl" &&
        check_events out-of-order "$TMP/ooo.jsonl" 1000
else
    echo "NOTE: no 'sangam gen nexmark' in this build: only the edge events are checked" >&2
fi
if [ -n "${NEXMARK_SQL_EVENTS:-}" ]; then
    check_events extra "$NEXMARK_SQL_EVENTS"
fi
finish
