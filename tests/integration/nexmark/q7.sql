-- q7 highest bid: the bids whose price is the maximum of a tumbling 10 s window, with
-- dateTime BETWEEN window_end - 10 s AND window_end (both ends included: a bid at a
-- window's end matches it as well as its own window).
.headers on
.mode csv
WITH w AS (
  SELECT max(price) AS maxprice,
         (dateTime - ((dateTime % 10000) + 10000) % 10000) + 10000 AS wend
  FROM bid GROUP BY wend)
SELECT B.auction AS auction, B.bidder AS bidder, B.price AS price, B.dateTime AS dateTime,
       B.extra AS extra
FROM bid B JOIN w ON B.price = w.maxprice
WHERE B.dateTime BETWEEN w.wend - 10000 AND w.wend;
