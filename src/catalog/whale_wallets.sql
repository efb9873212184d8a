-- The spec's whale_wallets: one row per 13F manager. estimated_aum is the latest complete report's
-- summary total in dollars; total_trades counts position changes between consecutive reports (new,
-- closed, or a different share count, from institutional_holdings_13f); current_holdings is a JSON
-- object of the latest report's CUSIPs and shares; top_positions its ten largest issuers by value.
-- win_rate and avg_return need prices and are NULL.
-- The CTEs from `filings` to `effective` are holdings_asof's, without its cutoff: the marker after
-- WITH is replaced by src/catalog/effective_holdings.sql.
-- Read by src/catalog/mod.rs.
WITH /* effective_holdings.sql */, latest AS (
    -- Each manager's latest report, as effective_holdings_ctes chose it for its period.
    SELECT cik, report_period, filer_name, table_value_total, value_unit,
           row_number() OVER (PARTITION BY cik ORDER BY report_period DESC) AS recency
    FROM chosen
), activity AS (
    SELECT cik, min(filed_date) AS first_seen, max(filed_date) AS last_activity
    FROM filings_13f GROUP BY cik
), changes AS (
    SELECT cik, count(*) AS total_trades
    FROM institutional_holdings_13f
    WHERE is_new_position OR is_closed_position OR shares_change <> 0
    GROUP BY cik
), holdings AS (
    SELECT h.cik,
           '{' || string_agg('"' || h.cusip || coalesce(' ' || h.put_call, '') || '": ' || CAST(CAST(h.shares AS BIGINT) AS VARCHAR), ', ' ORDER BY h.market_value DESC) || '}'
               AS current_holdings,
           array_agg(h.company_name ORDER BY h.market_value DESC) AS by_value
    FROM institutional_holdings_13f h
    JOIN latest l ON l.cik = h.cik AND l.report_period = h.report_period AND l.recency = 1
    WHERE NOT h.is_closed_position
    GROUP BY h.cik
)
SELECT l.cik AS wallet_identifier,
       coalesce(m.name, l.filer_name) AS name,
       coalesce(m.manager_type, 'unclassified') AS wallet_type,
       l.table_value_total * CASE l.value_unit WHEN 'thousands' THEN 1000 ELSE 1 END AS estimated_aum,
       a.first_seen, a.last_activity,
       coalesce(c.total_trades, 0) AS total_trades,
       CAST(NULL AS DOUBLE) AS win_rate,
       CAST(NULL AS DOUBLE) AS avg_return,
       h.current_holdings,
       array_slice(h.by_value, 1, 10) AS top_positions,
       l.report_period AS latest_report_period
FROM latest l
JOIN activity a ON a.cik = l.cik
LEFT JOIN changes c ON c.cik = l.cik
LEFT JOIN holdings h ON h.cik = l.cik
LEFT JOIN manager_types m ON m.cik = l.cik
WHERE l.recency = 1
