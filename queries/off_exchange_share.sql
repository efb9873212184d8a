-- name: off_exchange_share
-- description: Each symbol's off-exchange share of its consolidated volume per day (prints
-- description: reported to FINRA's ADF and TRFs over all prints in equity_trades), split by
-- description: facility, with the count of off-exchange prints and of blocks among them.
-- param: from date = 1900-01-01           -- the first trading date
-- param: to date = 2100-12-31             -- the last trading date
-- param: symbol text =                    -- one symbol (empty: all)
-- schedule: (reserved)
-- output: (reserved)
SELECT date, symbol,
       sum(size) AS consolidated_volume,
       sum(size) FILTER (WHERE off_exchange) AS off_exchange_volume,
       round(100.0 * sum(size) FILTER (WHERE off_exchange) / sum(size), 4) AS off_exchange_share_pct,
       coalesce(sum(size) FILTER (WHERE trf = 'FINRA ADF'), 0) AS adf_volume,
       coalesce(sum(size) FILTER (WHERE trf = 'FINRA/NYSE TRF'), 0) AS nyse_trf_volume,
       coalesce(sum(size) FILTER (WHERE trf = 'FINRA/Nasdaq TRF Carteret'), 0) AS nasdaq_carteret_volume,
       coalesce(sum(size) FILTER (WHERE trf = 'FINRA/Nasdaq TRF Chicago'), 0) AS nasdaq_chicago_volume,
       count(*) FILTER (WHERE off_exchange) AS off_exchange_prints,
       count(*) FILTER (WHERE off_exchange AND regular_sale
                          AND (size >= dark_pool_block_min_shares()
                               OR round(size * price, 2) >= dark_pool_block_min_value()))
           AS block_prints
FROM equity_trades
WHERE date BETWEEN $from AND $to AND ($symbol = '' OR symbol = upper($symbol))
GROUP BY date, symbol
ORDER BY date, symbol;
