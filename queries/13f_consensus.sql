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
WITH quarters AS (
    SELECT CAST($report_period AS DATE) AS current_period,
           CAST(date_trunc('quarter', CAST($report_period AS DATE)) - INTERVAL '1 day' AS DATE)
               AS previous_period
), positions AS (
    SELECT h.*
    FROM institutional_holdings_13f h
    CROSS JOIN quarters q
    LEFT JOIN manager_types t ON t.cik = h.cik
    WHERE h.report_period IN (q.current_period, q.previous_period)
      AND h.amount_type = 'SH' AND h.put_call IS NULL
      AND ($manager_type = '' OR lower(t.manager_type) = lower($manager_type))
), sample AS (
    SELECT report_period, count(DISTINCT cik) AS managers FROM positions GROUP BY report_period
), ranked AS (
    -- Each held stock's rank in its manager's portfolio by value (1 = the largest).
    SELECT p.*,
           CASE WHEN NOT is_closed_position
                THEN rank() OVER (PARTITION BY cik, report_period, is_closed_position
                                  ORDER BY market_value DESC) END AS portfolio_rank
    FROM positions p
), attributes AS (
    SELECT report_period, cusip, max(symbol) AS symbol, max(company_name) AS company_name,
           count(*) FILTER (WHERE NOT is_closed_position) AS holders,
           count(*) FILTER (WHERE is_new_position) AS new_positions,
           count(*) FILTER (WHERE NOT is_new_position AND NOT is_closed_position AND shares_change > 0)
               AS increased,
           count(*) FILTER (WHERE NOT is_closed_position AND shares_change < 0) AS decreased,
           count(*) FILTER (WHERE is_closed_position) AS exited,
           count(*) FILTER (WHERE portfolio_rank <= 10) AS in_top10,
           avg(portfolio_rank) AS average_rank
    FROM ranked
    GROUP BY report_period, cusip
), compared AS (
    SELECT c.cusip, c.symbol, c.company_name, c.holders, coalesce(p.holders, 0) AS holders_previous,
           100.0 * c.holders / s.managers AS pct_of_managers, s.managers AS managers_sampled,
           c.new_positions, c.increased, c.decreased, c.exited,
           c.new_positions + c.increased AS increasing_or_new,
           c.decreased + c.exited AS decreasing_or_exiting,
           c.in_top10, c.average_rank,
           -- Percent change from the previous quarter; from 0 to 0 is no change, from 0 to more
           -- has no percent.
           CASE WHEN coalesce(p.new_positions + p.increased, 0) = 0
                THEN CASE WHEN c.new_positions + c.increased = 0 THEN 0.0 END
                ELSE 100.0 * ((c.new_positions + c.increased) - (p.new_positions + p.increased))
                     / (p.new_positions + p.increased) END AS tfi_pct,
           CASE WHEN coalesce(p.decreased + p.exited, 0) = 0
                THEN CASE WHEN c.decreased + c.exited = 0 THEN 0.0 END
                ELSE 100.0 * ((c.decreased + c.exited) - (p.decreased + p.exited))
                     / (p.decreased + p.exited) END AS tfd_pct,
           CASE WHEN p.average_rank > 0
                THEN 100.0 * (p.average_rank - c.average_rank) / p.average_rank END AS r_pct,
           CASE WHEN coalesce(p.in_top10, 0) = 0
                THEN CASE WHEN c.in_top10 = 0 THEN 0.0 END
                ELSE 100.0 * (c.in_top10 - p.in_top10) / p.in_top10 END AS top10_pct,
           CASE WHEN coalesce(p.holders, 0) = 0
                THEN CASE WHEN c.holders = 0 THEN 0.0 END
                ELSE 100.0 * (c.holders - p.holders) / p.holders END AS tf_pct
    FROM attributes c
    CROSS JOIN quarters q
    JOIN sample s ON s.report_period = c.report_period
    LEFT JOIN attributes p ON p.cusip = c.cusip AND p.report_period = q.previous_period
    WHERE c.report_period = q.current_period
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
