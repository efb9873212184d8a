-- The CTEs, ending in `effective`, that give every manager's 13F holdings for every report period
-- as known before a cutoff: the latest complete report (original or RESTATEMENT), the NEW HOLDINGS
-- amendments filed after it, and, after a partial restatement, the replaced report's rows it does
-- not list. `effective` also carries `filed_date`. holdings_asof puts its cutoff at the marker in
-- `known`; the views institutional_holdings_13f.sql and whale_wallets.sql use it without one.
filings AS (
    SELECT accession, cik, filer_name, form_type, report_period, filed_date, is_amendment, rows,
           amendment_no, accepted_at, table_value_total, value_unit,
           upper(coalesce(amendment_type, '')) AS amendment_kind, amendment_type,
           -- Without an acceptance time: 22:00 New York on the filing date (EDGAR's close) at the
           -- latest, written as 27 hours after midnight UTC (22:00 EST; 23:00 EDT).
           coalesce(accepted_at,
                    arrow_cast(arrow_cast(filed_date, 'Timestamp(Microsecond, None)')
                               + INTERVAL '27 hours', 'Timestamp(Microsecond, Some("UTC"))')) AS known_at
    FROM filings_13f
    WHERE form_type LIKE '13F-HR%' OR form_type LIKE '13F-NT%'
), known AS (
    SELECT * FROM filings /* known before the cutoff */
), complete AS (
    -- Reports that stand for the whole period: originals (13F-HR with or without rows, 13F-NT)
    -- and restatements, the latest first: by filing date, an amendment after the report it
    -- amends, then amendment number and acceptance time.
    SELECT *, row_number() OVER (PARTITION BY cik, report_period
                                 ORDER BY filed_date DESC, is_amendment DESC, amendment_no DESC NULLS LAST,
                                          accepted_at DESC NULLS LAST, accession DESC) AS recency
    FROM known
    WHERE NOT is_amendment OR amendment_kind = 'RESTATEMENT'
), chosen AS (
    SELECT * FROM complete WHERE recency = 1
), original AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY cik, report_period
                                     ORDER BY filed_date DESC, accepted_at DESC NULLS LAST, accession DESC) AS n
        FROM complete WHERE NOT is_amendment)
    WHERE n = 1
), additions AS (
    SELECT k.*, k.known_at > c.known_at OR (k.filed_date >= c.filed_date AND NOT c.is_amendment) AS after_chosen
    FROM known k JOIN chosen c ON k.cik = c.cik AND k.report_period = c.report_period
    WHERE k.is_amendment AND k.amendment_kind = 'NEW HOLDINGS'
), baseline AS (
    -- The latest full report before the chosen one: the original, or a restatement with at
    -- least half the original's rows.
    SELECT * FROM (
        SELECT p.*, row_number() OVER (PARTITION BY p.cik, p.report_period ORDER BY p.recency) AS n
        FROM complete p JOIN original o ON o.cik = p.cik AND o.report_period = p.report_period
        WHERE p.recency > 1 AND p.rows * 2 >= o.rows)
    WHERE n = 1
), partial AS (
    -- A restatement with fewer than half the original's rows: the rows of the last full report
    -- and of the NEW HOLDINGS filed after it that the restatement does not list stay visible.
    SELECT c.cik, c.report_period, c.accession AS restatement, b.accession AS baseline,
           b.known_at AS baseline_known_at
    FROM chosen c
    JOIN original o ON o.cik = c.cik AND o.report_period = c.report_period
    JOIN baseline b ON b.cik = c.cik AND b.report_period = c.report_period
    WHERE c.is_amendment AND c.rows * 2 < o.rows
), kept_sources AS (
    SELECT p.restatement, p.baseline AS accession FROM partial p
    UNION ALL
    SELECT p.restatement, a.accession FROM partial p
    JOIN additions a ON a.cik = p.cik AND a.report_period = p.report_period
    WHERE NOT a.after_chosen AND a.known_at > p.baseline_known_at
), effective AS (
    SELECT c.cik, c.filer_name, c.report_period, c.filed_date, c.accession, c.form_type, c.amendment_type,
           c.known_at, CASE WHEN c.is_amendment THEN 'restatement' ELSE 'original' END AS basis,
           h."row", h.issuer, h.class, h.cusip, h.cusip_valid, h.put_call, h.amount_type, h.amount,
           h.value_usd, h.value_unit, h.investment_discretion, h.other_managers
    FROM holdings_13f h JOIN chosen c ON h.accession = c.accession
    UNION ALL
    SELECT a.cik, a.filer_name, a.report_period, a.filed_date, a.accession, a.form_type, a.amendment_type,
           a.known_at, 'new_holdings', h."row", h.issuer, h.class, h.cusip, h.cusip_valid, h.put_call,
           h.amount_type, h.amount, h.value_usd, h.value_unit, h.investment_discretion, h.other_managers
    FROM holdings_13f h JOIN additions a ON h.accession = a.accession
    WHERE a.after_chosen
    UNION ALL
    SELECT f.cik, f.filer_name, f.report_period, f.filed_date, f.accession, f.form_type, f.amendment_type,
           f.known_at, 'kept_after_partial_restatement', h."row", h.issuer, h.class, h.cusip,
           h.cusip_valid, h.put_call, h.amount_type, h.amount, h.value_usd, h.value_unit,
           h.investment_discretion, h.other_managers
    FROM holdings_13f h
    JOIN kept_sources k ON h.accession = k.accession
    JOIN known f ON f.accession = k.accession
    WHERE NOT EXISTS (
        SELECT 1 FROM holdings_13f r
        WHERE r.accession = k.restatement AND r.cusip = h.cusip
          AND coalesce(r.put_call, '') = coalesce(h.put_call, '') AND r.amount_type = h.amount_type)
)
