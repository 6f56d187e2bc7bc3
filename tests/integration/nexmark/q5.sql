-- q5 hot items: per HOP window (slide 2 s, size 10 s) the auctions whose bid count is
-- the window's maximum, ties included. A bid at t is in the 5 windows starting at
-- floor(t / 2 s) * 2 s - k * 2 s, k = 0..4. A window that has fired when the bid arrives
-- (its end - 1 <= the watermark the bid carries, wm) does not count it, as in Flink.
.headers on
.mode csv
WITH k(k) AS (VALUES (0), (1), (2), (3), (4)),
hop0 AS (
  SELECT b.auction, b.wm, (b.dateTime - ((b.dateTime % 2000) + 2000) % 2000) - k.k * 2000 AS ws
  FROM bid b, k),
hop AS (SELECT auction, ws FROM hop0 WHERE wm IS NULL OR ws + 10000 - 1 > wm),
cnt AS (SELECT auction, ws, count(*) AS num FROM hop GROUP BY auction, ws),
mx AS (SELECT ws, max(num) AS maxn FROM cnt GROUP BY ws)
SELECT c.auction AS auction, c.num AS num
FROM cnt c JOIN mx m ON c.ws = m.ws AND c.num >= m.maxn;
