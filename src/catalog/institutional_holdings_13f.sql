-- The spec's institutional_holdings_13f: one row per manager, report period and position (CUSIP,
-- put/call, shares or principal), with the amendments as filed so far applied; changes against the
-- manager's previous report; a position the previous report had and this one does not appears with
-- 0 shares and is_closed_position. Percentages are in percent (12.5 = 12.5 %).
-- The CTEs from `filings` to `effective` are holdings_asof's, without its cutoff: the marker after
-- WITH is replaced by src/catalog/effective_holdings.sql.
-- Read by src/catalog/mod.rs.
WITH /* effective_holdings.sql */, positions AS (
    SELECT cik, report_period, cusip, coalesce(put_call, '') AS put_call_key, amount_type,
           max(put_call) AS put_call, max(issuer) AS company_name,
           sum(amount) AS shares, sum(value_usd) AS market_value, count(*) AS filed_rows
    FROM effective
    GROUP BY cik, report_period, cusip, coalesce(put_call, ''), amount_type
), periods AS (
    SELECT cik, report_period, filer_name, filing_date,
           lag(report_period) OVER (PARTITION BY cik ORDER BY report_period) AS previous_period,
           lead(report_period) OVER (PARTITION BY cik ORDER BY report_period) AS next_period
    -- Every period the manager reported, holdings or not (a 13F-NT, an empty 13F-HR): what it
    -- held before and not then is closed.
    FROM (SELECT cik, report_period, filer_name, filed_date AS filing_date FROM chosen)
), keyed AS (
    -- Each position beside the row before and after it in (cusip, put/call, SH/PRN, period)
    -- order within its manager: the same position's previous and next appearance when the key
    -- matches. The positions are aggregated once (no self-joins, which DataFusion would plan as
    -- separate aggregations), and the window has one partition a manager (one a position key
    -- would mean millions of one-row partitions).
    SELECT c.*, pr.filer_name, pr.filing_date, pr.previous_period, pr.next_period,
           n.filer_name AS next_filer_name, n.filing_date AS next_filing_date,
           CASE WHEN lag(c.cusip) OVER manager_order = c.cusip
                 AND lag(c.put_call_key) OVER manager_order = c.put_call_key
                 AND lag(c.amount_type) OVER manager_order = c.amount_type
                THEN lag(c.report_period) OVER manager_order END AS key_previous_period,
           lag(c.shares) OVER manager_order AS key_previous_shares,
           CASE WHEN lead(c.cusip) OVER manager_order = c.cusip
                 AND lead(c.put_call_key) OVER manager_order = c.put_call_key
                 AND lead(c.amount_type) OVER manager_order = c.amount_type
                THEN lead(c.report_period) OVER manager_order END AS key_next_period
    FROM positions c
    JOIN periods pr ON pr.cik = c.cik AND pr.report_period = c.report_period
    LEFT JOIN periods n ON n.cik = c.cik AND n.report_period = pr.next_period
    WINDOW manager_order AS (PARTITION BY c.cik
                             ORDER BY c.cusip, c.put_call_key, c.amount_type, c.report_period)
), compared AS (
    SELECT k.*,
           CASE WHEN key_previous_period = previous_period THEN key_previous_shares END
               AS previous_shares,
           -- Held in this report, and not in the manager's next one: closed there.
           unnest(CASE WHEN next_period IS NOT NULL AND key_next_period IS DISTINCT FROM next_period
                       THEN make_array(false, true) ELSE make_array(false) END) AS closed
    FROM keyed k
), all_rows AS (
    -- Every position as held, and a second copy, in the next report, of each one closed there.
    SELECT c.cik,
           CASE WHEN c.closed THEN c.next_filer_name ELSE c.filer_name END AS filer_name,
           CASE WHEN c.closed THEN c.next_period ELSE c.report_period END AS report_period,
           CASE WHEN c.closed THEN c.next_filing_date ELSE c.filing_date END AS filing_date,
           c.cusip, c.put_call, c.amount_type, c.company_name,
           CASE WHEN c.closed THEN 0.0 ELSE c.shares END AS shares,
           CASE WHEN c.closed THEN 0.0 ELSE c.market_value END AS market_value,
           CASE WHEN c.closed THEN CAST(0 AS BIGINT) ELSE c.filed_rows END AS filed_rows,
           CASE WHEN c.closed THEN -c.shares
                WHEN c.previous_period IS NOT NULL THEN c.shares - coalesce(c.previous_shares, 0.0)
           END AS shares_change,
           CASE WHEN c.closed THEN -100.0
                WHEN c.previous_shares > 0
                THEN 100.0 * (c.shares - c.previous_shares) / c.previous_shares END AS shares_change_pct,
           CASE WHEN c.closed THEN false
                WHEN c.previous_period IS NOT NULL THEN c.previous_shares IS NULL END AS is_new_position,
           c.closed AS is_closed_position
    FROM compared c
), master AS (
    -- One master row per CUSIP and report period: the latest valid_from that holds at the
    -- period's end (picked among the master's rows, not the holdings').
    SELECT cusip, report_period, symbol, name, shares_outstanding FROM (
        SELECT s.cusip, p.report_period, s.symbol, s.name, s.shares_outstanding,
               row_number() OVER (PARTITION BY s.cusip, p.report_period
                                  ORDER BY s.valid_from DESC NULLS LAST, s.source DESC) AS pick
        FROM securities s
        JOIN (SELECT DISTINCT report_period FROM periods) p
          ON (s.valid_from IS NULL OR s.valid_from <= p.report_period)
         AND (s.valid_to IS NULL OR s.valid_to >= p.report_period))
    WHERE pick = 1
), matched AS (
    SELECT r.*, m.symbol, m.name AS master_name, m.shares_outstanding
    FROM all_rows r
    LEFT JOIN master m ON m.cusip = r.cusip AND m.report_period = r.report_period
)
SELECT cik, filer_name, report_period, filing_date, symbol,
       coalesce(master_name, company_name) AS company_name, shares, market_value, shares_change,
       shares_change_pct,
       100.0 * market_value / sum(market_value) OVER (PARTITION BY cik, report_period)
           AS pct_of_portfolio,
       CASE WHEN amount_type = 'SH' AND put_call IS NULL
            THEN 100.0 * shares / shares_outstanding END AS pct_of_shares_outstanding,
       is_new_position, is_closed_position, cusip, put_call, amount_type, filed_rows
FROM matched
