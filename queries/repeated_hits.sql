-- name: repeated_hits
-- description: Repeated hits: one contract filled min_fills or more times within window_ms of the
-- description: first fill (an anchored print_cluster window), on any exchanges. One row per burst:
-- description: the fills, exchanges, contracts, premium, whether every fill had the same size (an
-- description: algorithm slicing one order), the share of contracts at or above the ask and the
-- description: direction. Largest premium first.
-- param: from date = 1990-01-01             -- first trading date
-- param: to date = 2100-12-31               -- last trading date
-- param: window_ms float = 100              -- the fills fall within this many ms of the first
-- param: min_fills int = 3                  -- "several": at least this many fills
-- schedule: (reserved)
-- output: (reserved)
WITH clustered AS (
    SELECT date, underlying, contract, "right", strike, expiry, ts, exchange, size, price,
           trade_side(price, bid, ask) AS side,
           -- One window partition for all contracts: the tape is in (contract, ts, seq) order.
           print_cluster(ts, exchange, $window_ms, 'anchored', contract, date)
               OVER (ORDER BY contract, ts, seq) AS cluster_info
    FROM option_trades
    WHERE date BETWEEN $from AND $to
), bursts AS (
    SELECT date, underlying, contract, "right", strike, expiry,
           min(ts) AS first_fill,
           max(ts) AS last_fill,
           count(*) AS fills,
           max(cluster_info['exchanges']) AS exchanges,
           sum(size) AS contracts,
           min(size) = max(size) AS same_size,
           CAST(sum(CAST(price AS DECIMAL(18, 6)) * 100 * size) AS DECIMAL(20, 2)) AS premium,
           CAST(sum(CASE WHEN side IN ('ask', 'above_ask') THEN size ELSE 0 END) AS DOUBLE)
               / sum(size) AS ask_side_share,
           CAST(sum(CASE WHEN side IN ('bid', 'below_bid') THEN size ELSE 0 END) AS DOUBLE)
               / sum(size) AS bid_side_share
    FROM clustered
    WHERE cluster_info['prints'] >= $min_fills
    GROUP BY date, underlying, contract, "right", strike, expiry, cluster_info['id']
)
SELECT date, underlying, contract,
       CASE "right" WHEN 'C' THEN 'CALL' ELSE 'PUT' END AS option_type,
       strike, expiry, first_fill, last_fill, fills, exchanges, contracts, same_size, premium,
       round(ask_side_share, 4) AS ask_side_share,
       CASE WHEN ask_side_share > 0.5 THEN option_sentiment("right", 'ask')
            WHEN bid_side_share > 0.5 THEN option_sentiment("right", 'bid')
            ELSE 'neutral' END AS sentiment
FROM bursts
ORDER BY premium DESC, contract, first_fill;
