-- q8: monitor new users: persons and sellers grouped per 10 s tumbling window, joined
-- on id = seller and the same window. An event whose window had fired when it
-- arrived (window end - 1 <= the watermark it carries, wm) is late and dropped.
.headers on
.mode csv
WITH P AS (
    SELECT DISTINCT id, name, dateTime - dateTime % 10000 AS starttime
    FROM person WHERE wm IS NULL OR dateTime - dateTime % 10000 + 10000 - 1 > wm
), A AS (
    SELECT DISTINCT seller, dateTime - dateTime % 10000 AS starttime
    FROM auction WHERE wm IS NULL OR dateTime - dateTime % 10000 + 10000 - 1 > wm
)
SELECT P.id, P.name, P.starttime
FROM P JOIN A ON P.id = A.seller AND P.starttime = A.starttime;
