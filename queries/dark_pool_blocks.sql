-- name: dark_pool_blocks
-- description: The largest off-exchange block prints of a day or a range of days, ranked by
-- description: value: regular sales reported to FINRA's ADF or a TRF of 10,000+ shares or
-- description: $200,000+ (the session's thresholds, [dark_pool] in the config), with the TRF, the
-- description: print's percent of the symbol's consolidated volume that day and its DIX.
-- param: from date = 1900-01-01           -- the first trading date
-- param: to date = 2100-12-31             -- the last trading date
-- param: symbol text =                    -- one symbol (empty: all)
-- param: top int = 100                    -- how many prints to list
-- schedule: (reserved)
-- output: (reserved)
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
