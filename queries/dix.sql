-- name: dix
-- description: Daily DIX (dollar-weighted dark pool short share, SqueezeMetrics) of a basket,
-- description: with its 20-day moving average and the number of members priced that day.
-- param: basket text = sample        -- a basket name from the baskets table
-- param: from date = 1990-01-01      -- first day
-- param: to date = 2100-12-31        -- last day
-- schedule: (reserved)
-- output: (reserved)

-- Each big table is cut down to the basket's members before the two are joined: a hash table of a
-- few hundred symbols is probed cheaply, and the scans drop non-members before the prices join.
-- Days are read from 45 calendar days before `from` (more than 19 trading days, holidays included)
-- so that the first day's 20-day average has its 20 days; the output starts at `from`.
WITH members AS (
    SELECT symbol FROM baskets WHERE basket = $basket
),
volume AS (
    SELECT date, symbol, short_volume, total_volume
    FROM short_volume_consolidated
    WHERE symbol IN (SELECT symbol FROM members) AND date BETWEEN CAST($from AS DATE) - INTERVAL '45 days' AND $to
),
price AS (
    SELECT date, symbol, close
    FROM bars
    WHERE timeframe = '1d' AND symbol IN (SELECT symbol FROM members)
      AND date BETWEEN CAST($from AS DATE) - INTERVAL '45 days' AND $to
),
daily AS (
    SELECT v.date, dix(v.short_volume, v.total_volume, p.close) AS dix, count(*) AS members
    FROM volume v
    JOIN price p ON p.date = v.date AND p.symbol = v.symbol
    GROUP BY v.date
)
SELECT date, dix, dix_20d, members
FROM (
    SELECT date,
           dix,
           avg(dix) OVER (ORDER BY date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS dix_20d,
           members
    FROM daily
) averaged
WHERE date >= $from
ORDER BY date;
