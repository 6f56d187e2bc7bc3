-- q0: pass-through. SELECT auction, bidder, price, dateTime, extra FROM bid.
-- A string column is quoted as the job's CSV quotes it (RFC 4180): only when it holds
-- a comma, a quote, CR or LF, with quotes doubled.
SELECT auction, bidder, price, dateTime,
       CASE WHEN extra GLOB ('*[",' || char(10, 13) || ']*')
            THEN '"' || replace(extra, '"', '""') || '"' ELSE extra END AS extra
FROM bid;
