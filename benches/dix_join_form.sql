-- name: dix_join_form
-- description: The first formulation of queries/dix.sql (three-way join), kept to compare plans.
-- description: Daily DIX (dollar-weighted dark pool short share, SqueezeMetrics) of a basket,
-- description: with its 20-day moving average and the number of members priced that day.
-- param: basket text = sample        -- a basket name from the baskets table
-- param: from date = 1990-01-01      -- first day
-- param: to date = 2100-12-31        -- last day
-- schedule: (reserved)
-- output: (reserved)
SELECT date,
       dix,
       avg(dix) OVER (ORDER BY date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS dix_20d,
       members
FROM (
    SELECT s.date,
           dix(s.short_volume, s.total_volume, b.close) AS dix,
           count(*) AS members
    FROM short_volume_consolidated s
    JOIN baskets k ON k.symbol = s.symbol
    JOIN bars b ON b.date = s.date AND b.symbol = s.symbol AND b.timeframe = '1d'
    WHERE k.basket = $basket
      AND s.date BETWEEN $from AND $to
    GROUP BY s.date
) daily
ORDER BY date;
