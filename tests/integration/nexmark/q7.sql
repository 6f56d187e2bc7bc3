-- q7 highest bid: the bids whose price is the maximum of a tumbling 10 s window, with
-- dateTime BETWEEN window_end - 10 s AND window_end (both ends included: a bid at a
-- window's end matches it as well as its own window).
-- Lateness, as the job (and Flink's window aggregate): a bid whose own window has fired
-- when it arrives (own end - 1 <= wm, the watermark it carries) is dropped; a bid at a
-- window's end is matched with that window only while it is not complete (wm < end).
.headers on
.mode csv
WITH own AS (
  SELECT *, (dateTime - ((dateTime % 10000) + 10000) % 10000) + 10000 AS wend FROM bid),
ok AS (SELECT * FROM own WHERE wm IS NULL OR wend - 1 > wm),
w AS (SELECT max(price) AS maxprice, wend FROM ok GROUP BY wend)
SELECT B.auction AS auction, B.bidder AS bidder, B.price AS price, B.dateTime AS dateTime,
       B.extra AS extra
FROM ok B JOIN w ON B.price = w.maxprice
WHERE B.wend = w.wend
   OR (B.dateTime = w.wend AND (B.wm IS NULL OR B.wm < B.dateTime));
