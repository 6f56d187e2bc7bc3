-- q1: currency conversion. SELECT auction, bidder, 0.908 * price AS price, dateTime,
-- extra FROM bid. The product is a DECIMAL with three places in Flink: computed here
-- in integers (price * 908 thousandths), never in floating point.
SELECT auction, bidder,
       printf('%d.%03d', price * 908 / 1000, price * 908 % 1000) AS price, dateTime,
       CASE WHEN extra GLOB ('*[",' || char(10, 13) || ']*')
            THEN '"' || replace(extra, '"', '""') || '"' ELSE extra END AS extra
FROM bid;
