-- name: unusual_options
-- description: Contracts with unusual activity, by Unusual Whales' public ask-flow preset, each
-- description: print judged on what was known when it printed (the day's volume up to it): day
-- description: volume above open interest, volume >= min_volume, open interest <= max_open_interest,
-- description: at least min_ask_share of the day's contracts at or above the ask, out of the money
-- description: (the underlying's NBBO midpoint at the print), premium >= min_premium, fill <=
-- description: max_fill, single-leg. One row per contract and day with the prints that qualified.
-- description: Needs open_interest for the day (whalewatch ingest open-interest).
-- param: from date = 1990-01-01             -- first trading date
-- param: to date = 2100-12-31               -- last trading date
-- param: min_premium float = 10000          -- premium of one print ($)
-- param: min_volume int = 500               -- day volume so far (contracts)
-- param: max_open_interest int = 5000       -- open interest at the open (contracts)
-- param: min_ask_share float = 0.5          -- share of the day's contracts at or above the ask
-- param: max_fill float = 25                -- price per share of the print ($)
-- schedule: (reserved)
-- output: (reserved)
SELECT trade_date, symbol, contract, option_type, strike_price, expiration_date,
       count(*) AS alerts,
       sum(contracts) AS contracts,
       sum(total_premium) AS premium,
       min(ts) AS first_alert,
       max(day_volume) AS day_volume,
       max(open_interest) AS open_interest,
       round(CAST(max(day_volume) AS DOUBLE) / max(open_interest), 2) AS volume_to_open_interest,
       round(CAST(max(day_ask_volume) AS DOUBLE) / max(day_volume), 4) AS ask_side_share,
       round(avg(spot), 4) AS spot,
       sum(CASE WHEN is_sweep THEN 1 ELSE 0 END) AS sweep_prints
FROM options_flow
WHERE trade_date BETWEEN $from AND $to
  AND day_volume > open_interest
  AND day_volume >= $min_volume
  AND open_interest <= $max_open_interest
  AND day_ask_volume >= $min_ask_share * day_volume
  AND is_out_of_the_money
  AND total_premium >= $min_premium
  AND price <= $max_fill
  AND is_single_leg
GROUP BY trade_date, symbol, contract, option_type, strike_price, expiration_date
ORDER BY premium DESC, contract;
