-- q12 processing-time windows: which 10 s window of wall-clock time a bid falls in
-- depends on timing, so the check is per bidder: the sum of the job's bid_count
-- (bidder,bid_count,starttime,endtime rows) must equal the bidder's bids. These are
-- the expected sums; the harness sums the job's rows per bidder before comparing.
.headers on
.mode csv
SELECT bidder, count(*) AS bid_count FROM bid GROUP BY bidder;
