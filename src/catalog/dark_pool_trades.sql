-- The spec's dark_pool_trades: every off-exchange print of equity_trades (reported to FINRA's ADF
-- or a TRF) with its value, its share of the symbol's consolidated volume that day, the TRF, the
-- symbol's DIX that day (from short_volume_consolidated, when FINRA's file for the day is in the
-- lake) and whether it is a block: a regular sale of at least dark_pool_block_min_shares() shares
-- or dark_pool_block_min_value() dollars (FINRA's 10,000 and $200,000 unless configured).
-- Read by src/catalog/mod.rs and by benches/dark_pool_vs_duckdb.py.
WITH daily_volume AS (
    -- Every print of the day, summed at ingest per source (equity_daily_volume).
    SELECT date, symbol, sum(volume) AS consolidated_volume
    FROM equity_daily_volume
    GROUP BY date, symbol
), symbol_dix AS (
    -- One member's DIX: its short volume over its total volume (the price weights cancel).
    -- FINRA writes a class as RDS/A, the tape as RDS.A.
    SELECT date, replace(symbol, '/', '.') AS symbol,
           dix(short_volume, total_volume, 1.0) AS dix_value
    FROM short_volume_consolidated
    GROUP BY date, replace(symbol, '/', '.')
), prints AS (
    SELECT t.*, round(t.size * t.price, 2) AS total_value
    FROM equity_trades t
    WHERE t.off_exchange
)
SELECT p.source || ':' || CAST(p.source_line AS VARCHAR) AS id,
       p.symbol,
       p.date AS trade_date,
       arrow_cast(to_local_time(p.ts AT TIME ZONE 'America/New_York'), 'Time64(Microsecond)')
           AS trade_time,
       p.ts,
       p.size AS shares,
       p.price,
       p.total_value,
       p.trf AS dark_pool_venue,
       d.dix_value,
       p.regular_sale
           AND (p.size >= dark_pool_block_min_shares()
                OR p.total_value >= dark_pool_block_min_value()) AS is_block_trade,
       100.0 * p.size / v.consolidated_volume AS pct_of_daily_volume,
       p.regular_sale,
       p.conditions,
       p.exchange,
       p.seq,
       p.correction,
       p.source,
       p.ingested_at AS created_at
FROM prints p
JOIN daily_volume v ON v.date = p.date AND v.symbol = p.symbol
LEFT JOIN symbol_dix d ON d.date = p.date AND d.symbol = p.symbol
