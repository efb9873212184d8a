-- name: put_call_daily
-- description: The daily put/call volume ratio computed from the option tape beside CBOE's
-- description: published ratio for a product (put_call_cboe), and their difference. The tape's
-- description: ratio counts every print ingested (all exchanges, the underlyings you brought);
-- description: CBOE's counts CBOE's own volume in that product, so expect the two to track, not
-- description: to match. premium_ratio weighs contracts by premium (put_call_premium_ratio).
-- param: from date = 1990-01-01             -- first date
-- param: to date = 2100-12-31               -- last date
-- param: product text = TOTAL               -- CBOE product: TOTAL, EQUITY, INDEX, VIX or ETP
-- schedule: (reserved)
-- output: (reserved)
WITH computed AS (
    SELECT date,
           sum(CASE WHEN "right" = 'C' THEN size ELSE 0 END) AS calls,
           sum(CASE WHEN "right" = 'P' THEN size ELSE 0 END) AS puts,
           put_call_ratio("right", size) AS put_call_ratio,
           put_call_premium_ratio("right", size, price) AS premium_ratio
    FROM option_trades
    WHERE date BETWEEN $from AND $to
    GROUP BY date
), published AS (
    SELECT date, calls, puts, put_call_ratio
    FROM put_call_cboe
    WHERE product = upper($product) AND date BETWEEN $from AND $to
)
SELECT coalesce(c.date, p.date) AS date,
       c.calls, c.puts,
       round(c.put_call_ratio, 4) AS put_call_ratio,
       round(c.premium_ratio, 4) AS premium_ratio,
       p.calls AS cboe_calls, p.puts AS cboe_puts,
       p.put_call_ratio AS cboe_put_call_ratio,
       round(c.put_call_ratio - p.put_call_ratio, 4) AS difference
FROM computed AS c
FULL JOIN published AS p ON p.date = c.date
ORDER BY date;
