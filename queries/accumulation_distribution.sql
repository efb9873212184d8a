-- name: accumulation_distribution
-- description: Which symbols are under accumulation or distribution, in the spec's
-- description: accumulation_distribution columns. Over each symbol's last N daily bars up to
-- description: as_of: the A/D line's regression slope (in average daily volumes per day) together
-- description: with the price change gives the pattern (accumulation when both rise past the
-- description: thresholds, distribution when both fall, neutral otherwise). Confidence is half the
-- description: A/D line's R² plus a quarter for each of OBV and MFI agreeing with the pattern (for
-- description: neutral: 1 − R²). smart_money_flow is the average daily Smart Money Flow of the
-- description: same days' 1-minute bars (NULL without intraday bars). The 13F columns
-- description: (institutional_ownership_change, major_buyers, major_sellers) are NULL: the lake
-- description: holds no 13F holdings yet. detection_date is each symbol's own last daily bar on or
-- description: before as_of: a symbol whose bars stopped earlier shows its earlier date.
-- param: as_of date = 2100-12-31       -- detect on the last trading day on or before this date
-- param: days int = 20                 -- N: the trading days in the regression (the spec uses 20 to 30)
-- param: min_slope float = 0.02        -- |A/D slope| in average daily volumes per day to call a trend
-- param: min_price_change float = 0.0  -- |price change| over the N days to call a trend (0.05 = 5 %)
-- schedule: (reserved)
-- output: (reserved)
WITH indicators AS (
    SELECT symbol, date, close, volume,
           ad_line(high, low, close, volume) OVER by_day AS ad,
           obv(close, volume) OVER by_day AS obv,
           mfi(high, low, close, volume) OVER by_day AS mfi,
           row_number() OVER (PARTITION BY symbol ORDER BY date DESC) - 1 AS days_back
    FROM bars
    WHERE timeframe = '1d' AND date <= $as_of
    WINDOW by_day AS (PARTITION BY symbol ORDER BY ts)
), trend AS (
    -- A/D and OBV start wherever the history starts; a constant offset leaves their slopes alone.
    SELECT symbol,
           min(date) AS first_date,
           max(date) AS detection_date,
           regr_slope(ad, -CAST(days_back AS DOUBLE)) / avg(volume) AS ad_slope,
           regr_r2(ad, -CAST(days_back AS DOUBLE)) AS ad_r2,
           regr_slope(obv, -CAST(days_back AS DOUBLE)) / avg(volume) AS obv_slope,
           last_value(close ORDER BY date) / first_value(close ORDER BY date) - 1 AS price_change,
           last_value(mfi ORDER BY date) AS mfi
    FROM indicators
    WHERE days_back < $days
    GROUP BY symbol
    HAVING count(*) >= 2
), intraday AS (
    SELECT daily.symbol, avg(daily.flow) AS smart_money_flow
    FROM (
        SELECT symbol, date, smart_money_flow(ts, close, volume) AS flow
        FROM bars
        WHERE timeframe = '1m' AND date <= $as_of
        GROUP BY symbol, date
    ) AS daily
    JOIN trend ON trend.symbol = daily.symbol
              AND daily.date BETWEEN trend.first_date AND trend.detection_date
    GROUP BY daily.symbol
), classified AS (
    SELECT trend.*,
           CASE WHEN ad_slope >= $min_slope AND price_change > $min_price_change THEN 'accumulation'
                WHEN ad_slope <= -$min_slope AND price_change < -$min_price_change THEN 'distribution'
                ELSE 'neutral' END AS pattern_type,
           CASE WHEN obv_slope >= $min_slope THEN 'rising'
                WHEN obv_slope <= -$min_slope THEN 'falling'
                ELSE 'flat' END AS obv_trend
    FROM trend
)
SELECT classified.symbol,
       detection_date,
       pattern_type,
       round(CASE pattern_type
                 WHEN 'accumulation' THEN 0.5 * coalesce(ad_r2, 0)
                     + CASE WHEN obv_trend = 'rising' THEN 0.25 ELSE 0 END
                     + CASE WHEN mfi > 50 THEN 0.25 ELSE 0 END
                 WHEN 'distribution' THEN 0.5 * coalesce(ad_r2, 0)
                     + CASE WHEN obv_trend = 'falling' THEN 0.25 ELSE 0 END
                     + CASE WHEN mfi < 50 THEN 0.25 ELSE 0 END
                 ELSE 1 - coalesce(ad_r2, 0) END, 2) AS confidence,
       CAST(NULL AS DOUBLE) AS institutional_ownership_change,
       round(intraday.smart_money_flow, 2) AS smart_money_flow,
       obv_trend,
       round(mfi, 2) AS money_flow_index,
       round(ad_slope, 4) AS accumulation_line_slope,
       CAST(NULL AS VARCHAR[]) AS major_buyers,
       CAST(NULL AS VARCHAR[]) AS major_sellers
FROM classified
LEFT JOIN intraday ON intraday.symbol = classified.symbol
ORDER BY pattern_type, confidence DESC, symbol;
