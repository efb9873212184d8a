//! `holdings_asof('YYYY-MM-DD')`: every manager's latest 13F holdings as they were known at the end
//! of that day (New York time), for queries that simulate the past without peeking.
//!
//! Only filings EDGAR had accepted by then count (a filing without an acceptance time, as the
//! `.nc` form has none, counts from the end of its filing date, the latest it can have been
//! public). For each manager the latest report period known then is taken, and within it:
//! - the latest complete report: the original 13F-HR or a later RESTATEMENT amendment, which
//!   replaces everything before it;
//! - plus every NEW HOLDINGS amendment accepted after that report;
//! - and when the restatement has fewer than half the rows of the report it replaces (a partial
//!   restatement, which would silently empty most of the portfolio), the replaced report's rows
//!   the restatement does not list stay in, marked `kept_after_partial_restatement`.
//!
//! The table function plans its SQL when scanned, with the day's cutoff as a literal.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::America::New_York;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::execution::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;

use crate::lake::datasets::timestamp_utc;

#[derive(Debug)]
pub struct HoldingsAsOfFunction;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("cik", DataType::Utf8, true),
        Field::new("filer_name", DataType::Utf8, true),
        Field::new("report_period", DataType::Date32, true),
        Field::new("accession", DataType::Utf8, true),
        Field::new("form_type", DataType::Utf8, true),
        Field::new("amendment_type", DataType::Utf8, true),
        Field::new("known_at", timestamp_utc(), true),
        Field::new("basis", DataType::Utf8, true),
        Field::new("row", DataType::Int64, true),
        Field::new("issuer", DataType::Utf8, true),
        Field::new("class", DataType::Utf8, true),
        Field::new("cusip", DataType::Utf8, true),
        Field::new("cusip_valid", DataType::Boolean, true),
        Field::new("put_call", DataType::Utf8, true),
        Field::new("amount_type", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("value_usd", DataType::Float64, true),
        Field::new("value_unit", DataType::Utf8, true),
        Field::new("investment_discretion", DataType::Utf8, true),
        Field::new("other_managers", DataType::Utf8, true),
    ]))
}

impl TableFunctionImpl for HoldingsAsOfFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let usage = match args {
            [Expr::Placeholder(p)] => format!(
                "holdings_asof({}): a parameter can stand here only in a query file, written exactly \
                 as holdings_asof(${{name}}) with a date parameter",
                p.id
            ),
            _ => format!(
                "holdings_asof({}): give the day as a constant date, as holdings_asof('2024-12-31')",
                args.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
            ),
        };
        let day = match args {
            [Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)), _)] => {
                NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
            }
            [Expr::Literal(ScalarValue::Date32(Some(days)), _)] => {
                datafusion::arrow::temporal_conversions::date32_to_datetime(*days)
                    .map(|at| at.date())
            }
            _ => None,
        };
        let Some(day) = day else {
            return plan_err!("{usage}");
        };
        // The end of the day in New York: EDGAR accepts filings until 22:00 there.
        let Some(cutoff) = day
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .and_then(|midnight| New_York.from_local_datetime(&midnight).earliest())
        else {
            return plan_err!("{usage}");
        };
        Ok(Arc::new(HoldingsAsOf {
            cutoff_micros: cutoff.timestamp_micros(),
        }))
    }
}

#[derive(Debug)]
struct HoldingsAsOf {
    cutoff_micros: i64,
}

/// The columns of the effective holdings, in the order of [`schema`].
const COLUMNS: &str = "cik, filer_name, report_period, accession, form_type, amendment_type, known_at, \
basis, \"row\", issuer, class, cusip, cusip_valid, put_call, amount_type, amount, value_usd, value_unit, \
investment_discretion, other_managers";

/// The CTEs, ending in `effective`, that give every manager's holdings for every report period
/// as known before `cutoff_micros` (or now): the latest complete report (original or
/// RESTATEMENT), the NEW HOLDINGS amendments filed after it, and, after a partial restatement,
/// the replaced report's rows it does not list. `effective` also carries `filed_date`.
pub fn effective_holdings_ctes(cutoff_micros: Option<i64>) -> String {
    let known = match cutoff_micros {
        Some(micros) => format!(
            "WHERE known_at < arrow_cast({micros}, 'Timestamp(Microsecond, Some(\"UTC\"))')"
        ),
        None => String::new(),
    };
    format!(
        r#"filings AS (
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
    SELECT * FROM filings {known}
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
)"#
    )
}

impl HoldingsAsOf {
    fn sql(&self) -> String {
        format!(
            "WITH {}, latest AS (SELECT cik, max(report_period) AS latest_period FROM chosen GROUP BY cik) \
             SELECT {COLUMNS} FROM (SELECT e.* FROM effective e JOIN latest l \
             ON e.cik = l.cik AND e.report_period = l.latest_period)",
            effective_holdings_ctes(Some(self.cutoff_micros))
        )
    }
}

#[async_trait]
impl TableProvider for HoldingsAsOf {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
            return plan_err!("holdings_asof needs a DataFusion SessionState");
        };
        let plan = state.create_logical_plan(&self.sql()).await?;
        let physical = state.create_physical_plan(&plan).await?;
        let produced = physical.schema();
        let wanted = schema();
        // The columns asked for, cast where the plan's type differs (a view's columns are typed
        // by its schema, whatever the SQL produced).
        let all: Vec<usize> = (0..wanted.fields().len()).collect();
        let exprs = projection
            .unwrap_or(&all)
            .iter()
            .map(|&i| {
                let field = wanted.field(i);
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(field.name(), i));
                let expr: Arc<dyn PhysicalExpr> =
                    if produced.field(i).data_type() == field.data_type() {
                        column
                    } else {
                        Arc::new(datafusion::physical_expr::expressions::CastExpr::new(
                            column,
                            field.data_type().clone(),
                            None,
                        ))
                    };
                (expr, field.name().clone())
            })
            .collect::<Vec<_>>();
        Ok(Arc::new(ProjectionExec::try_new(exprs, physical)?))
    }
}

/// The spec's `institutional_holdings_13f`: one row per manager, report period and position
/// (CUSIP, put/call, shares or principal), with the amendments as filed so far applied; changes
/// against the manager's previous report; a position the previous report had and this one does
/// not appears with 0 shares and `is_closed_position`. Percentages are in percent (12.5 = 12.5 %).
pub fn institutional_holdings_sql() -> String {
    format!(
        r#"WITH {}, positions AS (
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
FROM matched"#,
        effective_holdings_ctes(None)
    )
}

/// The spec's `whale_wallets`: one row per 13F manager. `estimated_aum` is the latest complete
/// report's summary total in dollars; `total_trades` counts position changes between consecutive
/// reports (new, closed, or a different share count); `current_holdings` is a JSON object of the
/// latest report's CUSIPs and shares; `top_positions` its ten largest issuers by value. `win_rate`
/// and `avg_return` need prices and are NULL.
pub fn whale_wallets_sql() -> String {
    format!(
        r#"WITH {}, latest AS (
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
           '{{' || string_agg('"' || h.cusip || coalesce(' ' || h.put_call, '') || '": ' || CAST(CAST(h.shares AS BIGINT) AS VARCHAR), ', ' ORDER BY h.market_value DESC) || '}}'
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
WHERE l.recency = 1"#,
        effective_holdings_ctes(None)
    )
}
