-- q3: local item suggestion: a regular inner join (no windows, nothing is late).
SELECT CASE WHEN P.name GLOB ('*[",' || char(10, 13) || ']*')
            THEN '"' || replace(P.name, '"', '""') || '"' ELSE P.name END AS name,
       CASE WHEN P.city GLOB ('*[",' || char(10, 13) || ']*')
            THEN '"' || replace(P.city, '"', '""') || '"' ELSE P.city END AS city,
       CASE WHEN P.state GLOB ('*[",' || char(10, 13) || ']*')
            THEN '"' || replace(P.state, '"', '""') || '"' ELSE P.state END AS state,
       A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
