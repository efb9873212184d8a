-- The window SQL DuckDB needs for benches/money_flow.sql: the A/D line, OBV and MFI(14) spelled
-- out with lag and running sums, with the same definitions: multiplier 0 when high = low, first
-- OBV 0, equal typical prices (to one part in 10^12, as mfi compares them) neither flow, MFI NULL
-- until 14 flows and when they are all 0.
WITH prepared AS (
    SELECT symbol, ts, close, volume,
           (high + low + close) / 3 AS typical,
           CASE WHEN high = low THEN 0 ELSE ((close - low) - (high - close)) / (high - low) END
               * volume AS money_flow_volume,
           lag(close) OVER w AS previous_close,
           lag((high + low + close) / 3) OVER w AS previous_typical,
           row_number() OVER w AS bar
    FROM bars
    WHERE timeframe = '1m'
    WINDOW w AS (PARTITION BY symbol ORDER BY ts)
), flows AS (
    SELECT bar,
           sum(money_flow_volume) OVER running AS ad,
           sum(CASE WHEN close > previous_close THEN volume
                    WHEN close < previous_close THEN -volume ELSE 0 END) OVER running AS obv,
           sum(CASE WHEN NOT same_price AND typical > previous_typical THEN typical * volume ELSE 0 END)
               OVER last14 AS positive,
           sum(CASE WHEN NOT same_price AND typical < previous_typical THEN typical * volume ELSE 0 END)
               OVER last14 AS negative
    FROM (SELECT *,
                 abs(typical - previous_typical) <= 1e-12 * greatest(abs(typical), abs(previous_typical))
                     AS same_price
          FROM prepared) AS prepared
    WINDOW running AS (PARTITION BY symbol ORDER BY ts ROWS UNBOUNDED PRECEDING),
           last14 AS (PARTITION BY symbol ORDER BY ts ROWS 13 PRECEDING)
), indicators AS (
    SELECT ad, obv,
           CASE WHEN bar >= 15 AND positive + negative <> 0
                THEN 100 * positive / (positive + negative) END AS mfi
    FROM flows
)
SELECT count(*) AS bars, sum(ad) AS ad, sum(obv) AS obv, sum(mfi) AS mfi, count(mfi) AS mfi_bars
FROM indicators;
