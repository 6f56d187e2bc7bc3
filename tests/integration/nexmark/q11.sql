-- q11 user sessions: per bidder, session windows with a 10 s gap (a bid at most 10 s
-- after the previous one, exactly 10 s included, continues the session), the number
-- of bids, SESSION_START (first dateTime) and SESSION_END (last dateTime + 10 s).
.headers on
.mode csv
WITH o AS (
  SELECT bidder, dateTime,
         CASE WHEN dateTime - lag(dateTime) OVER (PARTITION BY bidder ORDER BY dateTime) <= 10000
              THEN 0 ELSE 1 END AS starts
  FROM bid),
s AS (
  SELECT bidder, dateTime,
         sum(starts) OVER (PARTITION BY bidder ORDER BY dateTime ROWS UNBOUNDED PRECEDING) AS sid
  FROM o)
SELECT bidder, count(*) AS bid_count, min(dateTime) AS starttime, max(dateTime) + 10000 AS endtime
FROM s GROUP BY bidder, sid;
