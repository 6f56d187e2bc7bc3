-- q11 user sessions: per bidder, session windows with a 10 s gap (a bid at most 10 s
-- after the previous one, exactly 10 s included, continues the session), the number
-- of bids, SESSION_START (first dateTime) and SESSION_END (last dateTime + 10 s).
--
-- Lateness, as Flink's session windows (and operators/session.c, no allowed
-- lateness): a session [start, end) fires once the watermark reaches end - 1 and is
-- gone. A bid merges with the sessions still open that it touches (start <= ts + 10 s
-- and end >= ts); when it touches none and ts + 10 s - 1 <= wm (the watermark it
-- carries) it is late and dropped. Which sessions are open depends on the order the
-- bids came in, so each bidder's bids are replayed in arrival order (seq) by a
-- recursive query whose state is the bidder's open sessions, a JSON array of
-- [start, end, count]; each step also records the sessions fired before its bid.
.headers on
.mode csv
CREATE TEMP TABLE q11_bids AS
  SELECT bidder, dateTime AS ts, wm, row_number() OVER (PARTITION BY bidder ORDER BY seq) AS k
  FROM bid;
CREATE INDEX temp.q11_bids_k ON q11_bids(bidder, k);
WITH RECURSIVE
st(bidder, k, open, fired) AS (
  SELECT DISTINCT bidder, 0, '[]', '[]' FROM q11_bids
  UNION ALL
  SELECT st.bidder, st.k + 1,
    -- the open sessions it does not touch, then the merged one (unless late)
    (SELECT json_group_array(json(v)) FROM (
       SELECT value AS v FROM json_each(st.open)
       WHERE (b.wm IS NULL OR json_extract(value, '$[1]') - 1 > b.wm)
         AND NOT (json_extract(value, '$[0]') <= b.ts + 10000 AND json_extract(value, '$[1]') >= b.ts)
       UNION ALL
       SELECT json_array(min(b.ts, coalesce(min(s), b.ts)), max(b.ts + 10000, coalesce(max(e), b.ts)),
                         coalesce(sum(c), 0) + 1)
       FROM (SELECT json_extract(value, '$[0]') AS s, json_extract(value, '$[1]') AS e,
                    json_extract(value, '$[2]') AS c
             FROM json_each(st.open)
             WHERE (b.wm IS NULL OR json_extract(value, '$[1]') - 1 > b.wm)
               AND json_extract(value, '$[0]') <= b.ts + 10000 AND json_extract(value, '$[1]') >= b.ts)
       HAVING count(*) > 0 OR b.wm IS NULL OR b.ts + 10000 - 1 > b.wm)),
    -- the sessions the watermark closed before it
    (SELECT json_group_array(json(value)) FROM json_each(st.open)
     WHERE b.wm IS NOT NULL AND json_extract(value, '$[1]') - 1 <= b.wm)
  FROM st JOIN q11_bids b ON b.bidder = st.bidder AND b.k = st.k + 1),
last AS (SELECT bidder, max(k) AS k FROM q11_bids GROUP BY bidder),
sessions AS (
  SELECT st.bidder, j.value AS v FROM st, json_each(st.fired) j
  UNION ALL
  SELECT st.bidder, j.value FROM st JOIN last USING (bidder, k), json_each(st.open) j)
SELECT bidder, json_extract(v, '$[2]') AS bid_count, json_extract(v, '$[0]') AS starttime,
       json_extract(v, '$[1]') AS endtime
FROM sessions;
