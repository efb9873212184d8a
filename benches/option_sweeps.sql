-- name: option_sweeps_benchmark
-- description: Sweeps on the options tape (benches/option_sweeps_vs_duckdb.py): within each
-- description: contract, in (ts, seq) order, a print starts a new cluster when it is the contract's
-- description: first or comes more than 50 ms after the previous print (print_cluster's 'gap'
-- description: mode); a sweep is a cluster with prints on 2 or more exchanges. One row: the sweeps,
-- description: their prints, contracts and premium (size x price x 100), so that every cluster is
-- description: computed and nothing is printed.
SELECT count(*) AS sweeps,
       sum(prints) AS sweep_prints,
       sum(contracts) AS sweep_contracts,
       sum(premium) AS sweep_premium
FROM (
    SELECT contract, cluster_id,
           count(*) AS prints,
           sum(size) AS contracts,
           sum(size * price * 100) AS premium
    FROM print_clusters(50, 'gap')
    WHERE cluster_exchanges >= 2
    GROUP BY contract, cluster_id
);
