-- name: option_sweeps
-- description: Every sweep on the tape: one order filled as prints of one contract on 2 or more
-- description: exchanges within window_ms of its first print (print_cluster, anchored), with
-- description: its prints, exchanges, contracts, premium, the share of its contracts bought at or
-- description: above the ask, its direction (calls bought or puts sold: bullish; the reverse:
-- description: bearish; neither side a majority: neutral) and whether it is golden (premium of
-- description: golden_premium or more). Largest premium first.
-- param: from date = 1990-01-01             -- first trading date
-- param: to date = 2100-12-31               -- last trading date
-- param: window_ms float = 50               -- one order's prints arrive within this many ms (1000: a looser reading)
-- param: min_premium float = 0              -- list sweeps of at least this premium ($)
-- param: golden_premium float = 1000000     -- a golden sweep's premium ($)
-- schedule: (reserved)
-- output: (reserved)
WITH clustered AS (
    SELECT date, underlying, contract, expiry, "right", strike, ts, exchange, size, price,
           trade_side(price, bid, ask) AS side,
           print_cluster(ts, exchange, $window_ms, 'anchored', contract, date)
               OVER (ORDER BY contract, ts, seq)
               AS cluster_info
    FROM option_trades
    WHERE date BETWEEN $from AND $to
), sweeps AS (
    SELECT date, underlying, contract, expiry, "right", strike,
           min(ts) AS first_print,
           max(ts) AS last_print,
           count(*) AS prints,
           max(cluster_info['exchanges']) AS exchanges,
           sum(size) AS contracts,
           CAST(sum(CAST(price AS DECIMAL(18, 6)) * 100 * size) AS DECIMAL(20, 2)) AS premium,
           sum(price * size) / sum(size) AS average_price,
           CAST(sum(CASE WHEN side IN ('ask', 'above_ask') THEN size ELSE 0 END) AS DOUBLE)
               / sum(size) AS ask_side_share,
           CAST(sum(CASE WHEN side IN ('bid', 'below_bid') THEN size ELSE 0 END) AS DOUBLE)
               / sum(size) AS bid_side_share
    FROM clustered
    WHERE cluster_info['exchanges'] >= 2
    GROUP BY date, underlying, contract, expiry, "right", strike, cluster_info['id']
)
SELECT date, underlying, contract, expiry,
       CASE "right" WHEN 'C' THEN 'CALL' ELSE 'PUT' END AS option_type,
       strike, first_print, last_print, prints, exchanges, contracts, premium,
       round(average_price, 4) AS average_price,
       round(ask_side_share, 4) AS ask_side_share,
       CASE WHEN ask_side_share > 0.5 THEN option_sentiment("right", 'ask')
            WHEN bid_side_share > 0.5 THEN option_sentiment("right", 'bid')
            ELSE 'neutral' END AS sentiment,
       premium >= $golden_premium AS is_golden
FROM sweeps
WHERE premium >= $min_premium
ORDER BY premium DESC, contract, first_print;
