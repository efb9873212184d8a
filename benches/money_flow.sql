-- name: money_flow_benchmark
-- description: A/D line, OBV and MFI(14) of every symbol's 1-minute bars, summed so that every
-- description: value is computed and nothing is printed (benches/money_flow_vs_duckdb.py).
SELECT count(*) AS bars,
       sum(ad) AS ad,
       sum(obv) AS obv,
       sum(mfi) AS mfi,
       count(mfi) AS mfi_bars
FROM (
    SELECT ad_line(high, low, close, volume) OVER w AS ad,
           obv(close, volume) OVER w AS obv,
           mfi(high, low, close, volume, 14) OVER w AS mfi
    FROM bars
    WHERE timeframe = '1m'
    WINDOW w AS (PARTITION BY symbol ORDER BY ts)
);
