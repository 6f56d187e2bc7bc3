-- q7 highest bid, as nexmark's q7.sql:
--   SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid B
--   JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
--         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
--         GROUP BY window_start, window_end) B1
--   ON B.price = B1.maxprice
--   WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
-- window_end is not a time attribute, so this is a regular join: side B is every bid,
-- late or not, whenever it comes. Only the MAX is a window aggregate, which leaves out
-- a bid whose window has fired when it arrives (window end - 1 <= wm, the watermark
-- it carries). BETWEEN includes both ends: a bid at a window's end matches it too.
.headers on
.mode csv
WITH B1 AS (
  SELECT max(price) AS maxprice, wend AS dateTime
  FROM (SELECT price, wm, (dateTime - ((dateTime % 10000) + 10000) % 10000) + 10000 AS wend
        FROM bid)
  WHERE wm IS NULL OR wend - 1 > wm
  GROUP BY wend)
SELECT B.auction AS auction, B.price AS price, B.bidder AS bidder, B.dateTime AS dateTime,
       B.extra AS extra
FROM bid B JOIN B1 ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - 10000 AND B1.dateTime;
