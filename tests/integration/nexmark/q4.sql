-- q4: average closing price per category. AVG of a BIGINT is a BIGINT in Flink: the
-- sum divided by the count, truncated (integer division, as '/' on integers here).
-- The unnamed AVG takes the sink table's column name, final.
.headers on
.mode csv
SELECT Q.category, SUM(Q.final) / COUNT(*) AS final
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
