-- name: 13f_consensus
-- description: What 13F managers did with each stock in one quarter, against the quarter before:
-- description: how many hold it, how many started or increased a position, how many cut or left
-- description: it, in how many top-10s it sits and at what average portfolio rank, and
-- description: WhaleWisdom's heat-map score TFI% - TFD% + R% + TOP10% + TF%: each attribute's
-- description: percent change from the previous quarter (R% is the inverse change of the average
-- description: rank: a rank moving up counts positive). Share positions only (no puts, calls or
-- description: principal). The sample is every manager that reported the quarter, or only those of
-- description: manager_type (see manager_types); like WhaleWisdom, only stocks held by at least
-- description: min_holders_pct percent of the sample are listed. A change from a base of 0 has no
-- description: percent: it counts 0 in the score and is named in no_prior_base (as TFI TFD). A manager's first
-- description: report says nothing about increases (is_new_position is NULL there).
-- param: report_period date                    -- the quarter's end, as 2024-09-30
-- param: min_holders_pct float = 5             -- percent of the sampled managers holding the stock
-- param: manager_type text =                   -- only managers of this type (empty: all)
-- schedule: (reserved)
-- output: (reserved)
WITH positions AS (
    -- The view is read once: everything below is one pipeline of windows and one aggregate.
    SELECT h.cik, h.report_period, h.cusip, h.symbol, h.company_name, h.market_value,
           h.shares_change, h.is_new_position, h.is_closed_position,
           h.report_period = CAST($report_period AS DATE) AS is_current,
           -- Each held stock's rank in its manager's portfolio by value (1 = the largest).
           CASE WHEN NOT h.is_closed_position
                THEN rank() OVER (PARTITION BY h.cik, h.report_period, h.is_closed_position
                                  ORDER BY h.market_value DESC) END AS portfolio_rank,
           row_number() OVER (PARTITION BY h.cik, h.report_period ORDER BY h.cusip) = 1
               AS first_of_manager
    FROM institutional_holdings_13f h
    LEFT JOIN manager_types t ON t.cik = h.cik
    -- This quarter and the one before (a filter, not a join: it stays a cheap scan filter).
    WHERE h.report_period IN (CAST($report_period AS DATE),
                              CAST(date_trunc('quarter', CAST($report_period AS DATE))
                                   - INTERVAL '1 day' AS DATE))
      AND h.amount_type = 'SH' AND h.put_call IS NULL
      AND ($manager_type = '' OR lower(t.manager_type) = lower($manager_type))
), sampled AS (
    -- The managers sampled in each quarter: every one with a share position in it.
    SELECT p.*,
           sum(CASE WHEN first_of_manager THEN 1 ELSE 0 END) OVER (PARTITION BY report_period)
               AS managers
    FROM positions p
), attributes AS (
    -- Each stock's attributes in the two quarters side by side (c: current, p: previous).
    SELECT cusip, max(symbol) AS symbol, max(company_name) AS company_name,
           max(CASE WHEN is_current THEN managers END) AS managers,
           count(*) FILTER (WHERE is_current AND NOT is_closed_position) AS c_holders,
           count(*) FILTER (WHERE NOT is_current AND NOT is_closed_position) AS p_holders,
           count(*) FILTER (WHERE is_current AND is_new_position) AS c_new,
           count(*) FILTER (WHERE is_current AND NOT is_new_position AND NOT is_closed_position
                                 AND shares_change > 0) AS c_increased,
           count(*) FILTER (WHERE NOT is_current AND (is_new_position OR (NOT is_closed_position
                                 AND shares_change > 0))) AS p_tfi,
           count(*) FILTER (WHERE is_current AND NOT is_closed_position AND shares_change < 0)
               AS c_decreased,
           count(*) FILTER (WHERE is_current AND is_closed_position) AS c_exited,
           count(*) FILTER (WHERE NOT is_current AND (is_closed_position OR shares_change < 0))
               AS p_tfd,
           count(*) FILTER (WHERE is_current AND portfolio_rank <= 10) AS c_top10,
           count(*) FILTER (WHERE NOT is_current AND portfolio_rank <= 10) AS p_top10,
           avg(CASE WHEN is_current THEN portfolio_rank END) AS c_rank,
           avg(CASE WHEN NOT is_current THEN portfolio_rank END) AS p_rank
    FROM sampled
    GROUP BY cusip
), compared AS (
    SELECT cusip, symbol, company_name, c_holders AS holders, p_holders AS holders_previous,
           100.0 * c_holders / managers AS pct_of_managers, managers AS managers_sampled,
           c_new AS new_positions, c_increased AS increased, c_decreased AS decreased,
           c_exited AS exited, c_new + c_increased AS increasing_or_new,
           c_decreased + c_exited AS decreasing_or_exiting, c_top10 AS in_top10,
           c_rank AS average_rank,
           -- Percent change from the previous quarter; from 0 to 0 is no change, from 0 to more
           -- has no percent.
           CASE WHEN p_tfi = 0 THEN CASE WHEN c_new + c_increased = 0 THEN 0.0 END
                ELSE 100.0 * (c_new + c_increased - p_tfi) / p_tfi END AS tfi_pct,
           CASE WHEN p_tfd = 0 THEN CASE WHEN c_decreased + c_exited = 0 THEN 0.0 END
                ELSE 100.0 * (c_decreased + c_exited - p_tfd) / p_tfd END AS tfd_pct,
           CASE WHEN p_rank > 0 THEN 100.0 * (p_rank - c_rank) / p_rank END AS r_pct,
           CASE WHEN p_top10 = 0 THEN CASE WHEN c_top10 = 0 THEN 0.0 END
                ELSE 100.0 * (c_top10 - p_top10) / p_top10 END AS top10_pct,
           CASE WHEN p_holders = 0 THEN CASE WHEN c_holders = 0 THEN 0.0 END
                ELSE 100.0 * (c_holders - p_holders) / p_holders END AS tf_pct
    FROM attributes
    WHERE managers IS NOT NULL
)
SELECT cusip, symbol, company_name, holders, holders_previous, round(pct_of_managers, 2) AS pct_of_managers,
       managers_sampled, new_positions, increased, decreased, exited, increasing_or_new,
       decreasing_or_exiting, in_top10, round(average_rank, 4) AS average_rank,
       round(tfi_pct, 4) AS tfi_pct, round(tfd_pct, 4) AS tfd_pct, round(r_pct, 4) AS r_pct,
       round(top10_pct, 4) AS top10_pct, round(tf_pct, 4) AS tf_pct,
       round(coalesce(tfi_pct, 0) - coalesce(tfd_pct, 0) + coalesce(r_pct, 0)
             + coalesce(top10_pct, 0) + coalesce(tf_pct, 0), 4) AS heat_map_score,
       concat_ws(' ', CASE WHEN tfi_pct IS NULL THEN 'TFI' END, CASE WHEN tfd_pct IS NULL THEN 'TFD' END,
                 CASE WHEN r_pct IS NULL THEN 'R' END, CASE WHEN top10_pct IS NULL THEN 'TOP10' END,
                 CASE WHEN tf_pct IS NULL THEN 'TF' END) AS no_prior_base
FROM compared
WHERE pct_of_managers >= $min_holders_pct
ORDER BY heat_map_score DESC, holders DESC, cusip;
