-- q1: currency conversion. SELECT auction, bidder, 0.908 * price AS price, dateTime,
-- extra FROM bid. The product is a DECIMAL with three places in Flink: computed here
-- in integers (price * 908 thousandths), never in floating point.
.headers on
.mode csv
SELECT auction, bidder,
       printf('%d.%03d', price * 908 / 1000, price * 908 % 1000) AS price, dateTime, extra
FROM bid;
