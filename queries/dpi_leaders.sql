-- name: dpi_leaders
-- description: The symbols with the highest DPI (short share of FINRA-reported volume) over a
-- description: window of days, among those with enough volume to matter.
-- param: from date = 1990-01-01           -- first day of the window
-- param: to date = 2100-12-31             -- last day of the window
-- param: min_total_volume float = 100000  -- ignore symbols that traded less in the window
-- param: top int = 20                     -- how many symbols to list
-- schedule: (reserved)
-- output: (reserved)
SELECT symbol,
       dpi(short_volume, total_volume) AS dpi,
       sum(short_volume) AS short_volume,
       sum(total_volume) AS total_volume,
       count(*) AS days
FROM short_volume_consolidated
WHERE date BETWEEN $from AND $to
GROUP BY symbol
HAVING sum(total_volume) >= $min_total_volume
ORDER BY dpi DESC, symbol
LIMIT $top;
