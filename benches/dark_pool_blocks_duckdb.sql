-- queries/dark_pool_blocks.sql for DuckDB, over the same lake files, for
-- benches/equity_trades_vs_duckdb.py: the view dark_pool_trades (src/catalog/dark_pool_trades.sql)
-- and short_volume_consolidated (src/catalog/short_volume_consolidated.sql) inlined as CTEs, with
--   - `$lake` the lake's root, `$from`, `$to`, `$symbol` and `$top` the query file's parameters
--     (the script substitutes them as literals);
--   - dix(s, t, 1.0) spelled out as Σ s / Σ t (NULL when Σ t is 0: DuckDB's x / 0 is inf);
--   - dark_pool_block_min_shares() and dark_pool_block_min_value() as their defaults, 10,000 and
--     200,000;
--   - trade_time as DuckDB's TIME of the New York wall clock (whalewatch: Time64(Microsecond));
--   - the lake's tables as read_parquet with the Hive partition `date`, NOT MATERIALIZED so that
--     DuckDB scans them where they are used rather than buffering the tape.
WITH equity_trades AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('$lake/equity_trades/*/*.parquet',
                               hive_partitioning = true, hive_types = {'date': DATE})
), equity_daily_volume AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('$lake/equity_daily_volume/*/*.parquet',
                               hive_partitioning = true, hive_types = {'date': DATE})
), short_volume AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('$lake/short_volume/*/*.parquet',
                               hive_partitioning = true, hive_types = {'date': DATE})
), short_volume_consolidated AS (
    SELECT date, symbol, short_volume, short_exempt_volume, total_volume, 'CNMS' AS facilities
    FROM short_volume WHERE facility = 'CNMS'
    UNION ALL
    SELECT f.date, f.symbol, sum(f.short_volume), sum(f.short_exempt_volume), sum(f.total_volume),
           string_agg(f.facility, ',' ORDER BY f.facility)
    FROM short_volume f
    WHERE f.facility <> 'CNMS'
      AND NOT EXISTS (SELECT 1 FROM short_volume c
                      WHERE c.facility = 'CNMS' AND c.date = f.date AND c.symbol = f.symbol)
    GROUP BY f.date, f.symbol
), daily_volume AS (
    SELECT date, symbol, sum(volume) AS consolidated_volume
    FROM equity_daily_volume
    GROUP BY date, symbol
), symbol_dix AS (
    -- FINRA writes a class as RDS/A, the tape as RDS.A.
    SELECT date, replace(symbol, '/', '.') AS symbol,
           sum(short_volume * 1.0) / nullif(sum(total_volume * 1.0), 0) AS dix_value
    FROM short_volume_consolidated
    GROUP BY date, replace(symbol, '/', '.')
), prints AS (
    SELECT t.*, round(t.size * t.price, 2) AS total_value
    FROM equity_trades t
    WHERE t.off_exchange
), dark_pool_trades AS (
    SELECT p.source || ':' || CAST(p.source_line AS VARCHAR) AS id,
           p.symbol,
           p.date AS trade_date,
           CAST(timezone('America/New_York', p.ts) AS TIME) AS trade_time,
           p.ts,
           p.size AS shares,
           p.price,
           p.total_value,
           p.trf AS dark_pool_venue,
           d.dix_value,
           p.regular_sale
               AND (p.size >= 10000.0 OR p.total_value >= 200000.0) AS is_block_trade,
           100.0 * p.size / v.consolidated_volume AS pct_of_daily_volume,
           p.regular_sale,
           p.conditions
    FROM prints p
    JOIN daily_volume v ON v.date = p.date AND v.symbol = p.symbol
    LEFT JOIN symbol_dix d ON d.date = p.date AND d.symbol = p.symbol
)
SELECT rank, trade_date, trade_time, symbol, shares, price, total_value, dark_pool_venue,
       round(pct_of_daily_volume, 4) AS pct_of_daily_volume, round(dix_value, 4) AS dix_value,
       conditions
FROM (
    SELECT *, row_number() OVER (ORDER BY total_value DESC, ts, id) AS rank
    FROM dark_pool_trades
    WHERE is_block_trade
      AND trade_date BETWEEN $from AND $to
      AND ($symbol = '' OR symbol = upper($symbol))
)
WHERE rank <= $top
ORDER BY rank;
