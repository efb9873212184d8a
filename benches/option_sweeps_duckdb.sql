-- The window SQL DuckDB needs for benches/option_sweeps.sql: print_cluster(ts, exchange, 50, 'gap')
-- spelled out with lag and a running sum. Within each contract, in (ts, seq) order, a print starts
-- a new cluster when it is the contract's first or more than 50,000 µs after the previous print; a
-- sweep is a cluster with prints on 2 or more distinct exchanges.
WITH starts AS (
    SELECT contract, ts, seq, exchange, size, price,
           CASE WHEN lag(ts) OVER w IS NULL
                  OR epoch_us(ts) - epoch_us(lag(ts) OVER w) > 50000 THEN 1 ELSE 0 END AS starts
    FROM option_trades
    WINDOW w AS (PARTITION BY contract ORDER BY ts, seq)
), clusters AS (
    SELECT contract, exchange, size, price,
           sum(starts) OVER (PARTITION BY contract ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS cluster
    FROM starts
), sweeps AS (
    SELECT count(*) AS prints, sum(size) AS contracts, sum(size * price * 100) AS premium
    FROM clusters
    GROUP BY contract, cluster
    HAVING count(DISTINCT exchange) >= 2
)
SELECT count(*) AS sweeps,
       sum(prints) AS sweep_prints,
       sum(contracts) AS sweep_contracts,
       sum(premium) AS sweep_premium
FROM sweeps;
