-- The spec's options_flow, one row per print of option_trades, with whalewatch's definitions:
--   sweep         a cluster of prints (print_clusters, anchored 50 ms window) on 2+ exchanges
--   split         a cluster of 2+ prints on one exchange
--   golden sweep  a sweep whose prints together are worth $1,000,000+ in premium
--   block         a print alone in its cluster of 1,000+ contracts or $200,000+ premium
--   unusual       Unusual Whales' ask-flow preset, with the day's volume up to and including the
--                 print (no look-ahead): volume > open interest, volume >= 500, open interest
--                 <= 5,000, ask-side share of the volume >= 50 %, out of the money, premium >=
--                 $10,000, fill <= $25, single-leg. NULL when the day's open interest or the spot
--                 is unknown.
-- Greeks: Black-Scholes from the implied volatility of the fill, the spot at trade time (the
-- underlying's NBBO midpoint), years_to_expiry, the session's risk_free_rate() (4 % unless
-- configured) and no dividend yield. theta is per
-- day, vega per volatility point.
WITH prints AS (
    SELECT t.*,
           (underlying_bid + underlying_ask) / 2 AS spot,
           years_to_expiry(ts, expiry) AS years_left,
           -- In exact decimals: a float price × 100 is not always a whole number of cents.
           CAST(CAST(price AS DECIMAL(18, 6)) * 100 * size AS DECIMAL(20, 2)) AS total_premium,
           trade_side(price, bid, ask) AS side,
           sum(size) OVER day_so_far AS day_volume,
           sum(CASE WHEN trade_side(price, bid, ask) IN ('ask', 'above_ask') THEN size ELSE 0 END)
               OVER day_so_far AS day_ask_volume
    FROM print_clusters(50) AS t
    WINDOW day_so_far AS (PARTITION BY contract, date ORDER BY ts, seq ROWS UNBOUNDED PRECEDING)
), clustered AS (
    SELECT p.*,
           -- date among the partition keys of every window: a filter on the day reaches the scan.
           sum(total_premium) OVER (PARTITION BY contract, date, cluster_id) AS cluster_premium,
           implied_vol(price, spot, strike, years_left, risk_free_rate(), 0.0, "right") AS implied_volatility,
           (condition IS NULL OR upper(condition) NOT IN ('MLET', 'MLAT', 'MLCT', 'MLFT', 'MESL',
               'MASL', 'MFSL', 'TLAT', 'TLET', 'TLCT', 'TLFT', 'TESL', 'TASL', 'TFSL', 'CBMO'))
               AS is_single_leg,
           CASE WHEN "right" = 'C' THEN strike > (underlying_bid + underlying_ask) / 2
                ELSE strike < (underlying_bid + underlying_ask) / 2 END AS is_out_of_the_money
    FROM prints AS p
)
SELECT c.underlying AS symbol,
       c.strike AS strike_price,
       c.expiry AS expiration_date,
       CASE c."right" WHEN 'C' THEN 'CALL' ELSE 'PUT' END AS option_type,
       c.date AS trade_date,
       CAST(to_local_time(arrow_cast(c.ts, 'Timestamp(Microsecond, Some("America/New_York"))')) AS TIME)
           AS trade_time,
       c.size AS contracts,
       CAST(CAST(c.price AS DECIMAL(18, 6)) * 100 AS DECIMAL(12, 2)) AS premium_per_contract,
       c.total_premium,
       bs_delta(c.spot, c.strike, c.years_left, risk_free_rate(), 0.0, c.implied_volatility, c."right") AS delta,
       bs_gamma(c.spot, c.strike, c.years_left, risk_free_rate(), 0.0, c.implied_volatility, c."right") AS gamma,
       bs_theta(c.spot, c.strike, c.years_left, risk_free_rate(), 0.0, c.implied_volatility, c."right") AS theta,
       bs_vega(c.spot, c.strike, c.years_left, risk_free_rate(), 0.0, c.implied_volatility, c."right") AS vega,
       c.cluster_exchanges >= 2 AS is_sweep,
       c.cluster_prints = 1 AND (c.size >= 1000 OR c.total_premium >= 200000) AS is_block,
       CASE WHEN oi.open_interest IS NULL OR c.spot IS NULL THEN NULL
            ELSE c.day_volume > oi.open_interest AND c.day_volume >= 500
                 AND oi.open_interest <= 5000 AND c.day_ask_volume >= 0.5 * c.day_volume
                 AND c.is_out_of_the_money AND c.total_premium >= 10000 AND c.price <= 25
                 AND c.is_single_leg END AS is_unusual,
       option_sentiment(c."right", c.side) AS sentiment,
       aggressiveness(c.price, c.bid, c.ask) AS aggressiveness_score,
       -- Beyond the spec: what the flags were computed from.
       c.contract,
       c.ts,
       c.seq,
       c.exchange,
       c.price,
       c.bid,
       c.ask,
       c.side,
       c.spot,
       c.implied_volatility,
       c.cluster_id,
       c.cluster_prints,
       c.cluster_exchanges,
       c.cluster_prints >= 2 AND c.cluster_exchanges = 1 AS is_split,
       c.cluster_exchanges >= 2 AND c.cluster_premium >= 1000000 AS is_golden_sweep,
       c.cluster_premium,
       c.day_volume,
       c.day_ask_volume,
       oi.open_interest,
       c.is_out_of_the_money,
       c.is_single_leg,
       c.condition,
       c.source
FROM clustered AS c
-- One open interest per contract and day: two chain files of a day agree, and where they do not
-- (a CBOE chain without symbols holds SPX and SPXW rows of the same terms) it is unknown.
LEFT JOIN (
    SELECT contract, date,
           CASE WHEN min(open_interest) = max(open_interest) THEN min(open_interest) END
               AS open_interest
    FROM open_interest
    GROUP BY contract, date
) AS oi ON oi.contract = c.contract AND oi.date = c.date
