-- q2: selection. SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0.
.headers on
.mode csv
SELECT auction, price FROM bid WHERE auction % 123 = 0;
