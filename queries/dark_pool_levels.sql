-- name: dark_pool_levels
-- description: Price levels where off-exchange notional clusters over a symbol's last N trading
-- description: days (the "dark pool levels" flow vendors chart): regular off-exchange prints
-- description: summed by price level (prices rounded to the nearest tick), each level's share of
-- description: the symbol's off-exchange notional, and its rank.
-- param: symbol text =                    -- one symbol (empty: every symbol)
-- param: to date = 2100-12-31             -- the last trading date
-- param: days int = 20                    -- how many trading days back from it
-- param: tick float = 0.01                -- the width of a level in dollars
-- param: top int = 10                     -- how many levels per symbol
-- schedule: (reserved)
-- output: (reserved)
WITH days AS (
    SELECT date, row_number() OVER (ORDER BY date DESC) AS days_back
    FROM (SELECT DISTINCT date FROM equity_trades WHERE date <= $to)
), levels AS (
    SELECT p.symbol,
           round(round(p.price / $tick) * $tick, 6) AS level,
           round(sum(p.total_value), 2) AS notional,
           sum(p.shares) AS shares,
           count(*) AS prints,
           count(*) FILTER (WHERE p.is_block_trade) AS block_prints,
           count(DISTINCT p.trade_date) AS days,
           min(p.trade_date) AS first_date,
           max(p.trade_date) AS last_date
    FROM dark_pool_trades p
    JOIN days d ON d.date = p.trade_date AND d.days_back <= $days
    WHERE p.regular_sale AND ($symbol = '' OR p.symbol = upper($symbol))
    GROUP BY 1, 2
), ranked AS (
    SELECT *,
           round(100.0 * notional / sum(notional) OVER (PARTITION BY symbol), 4)
               AS share_of_notional_pct,
           row_number() OVER (PARTITION BY symbol ORDER BY notional DESC, level) AS rank
    FROM levels
)
SELECT * FROM ranked WHERE rank <= $top ORDER BY symbol, rank;
