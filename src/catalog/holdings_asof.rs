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
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;

use crate::lake::datasets::timestamp_utc;

#[derive(Debug)]
pub struct HoldingsAsOfFunction;

/// For `whalewatch functions`: table functions have no documentation hook in DataFusion.
pub fn documentation() -> Documentation {
    Documentation::builder(
        DocSection {
            include: true,
            label: "13F",
            description: None,
        },
        "Every 13F manager's latest holdings as they were known at the end of `day` (New York time), \
for queries that simulate the past without peeking. Only filings EDGAR had accepted by then count (a \
filing without an acceptance time counts from 22:00 New York on its filing date, EDGAR's close). For \
each manager the latest report period known then is taken (a 13F-NT or an empty 13F-HR counts: it \
ends the holdings before it), and within it the latest complete report (the original, or a later \
RESTATEMENT, which replaces it) plus the NEW HOLDINGS amendments filed after it; `basis` says which \
('original', 'restatement', 'new_holdings'). A restatement with fewer than half the original's rows is \
taken as partial: the replaced rows it does not list stay, as 'kept_after_partial_restatement'. One \
row per holding, with the filing's cik, filer_name, report_period, accession, form_type, \
amendment_type and known_at, and the holding's row, issuer, class, cusip, cusip_valid, put_call, \
amount_type, amount, value_usd, value_unit, investment_discretion and other_managers.",
        "holdings_asof(day)",
    )
    .with_argument(
        "day",
        "A constant date: 'YYYY-MM-DD' text or a DATE; in a query file, a date parameter written \
exactly as holdings_asof($name).",
    )
    .with_sql_example(HOLDINGS_ASOF_EXAMPLE)
    .build()
}

/// Checked against the sample lake by the integration tests, as every function's example is. MetLife's
/// 2021-12-31 report, accepted on 2023-03-23, is not known yet.
const HOLDINGS_ASOF_EXAMPLE: &str = r#"```sql
> SELECT filer_name, report_period, basis, count(*) AS holdings
  FROM holdings_asof('2023-03-22') GROUP BY 1, 2, 3 ORDER BY 1;
+---------------------------+---------------+----------+----------+
| filer_name                | report_period | basis    | holdings |
+---------------------------+---------------+----------+----------+
| ACTIAM N.V.               | 2020-12-31    | original | 5        |
| Bull Street Advisors, LLC | 2022-12-31    | original | 90       |
+---------------------------+---------------+----------+----------+
```"#;

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
/// The views institutional_holdings_13f.sql and whale_wallets.sql hold the `None` text verbatim.
pub fn effective_holdings_ctes(cutoff_micros: Option<i64>) -> String {
    let known = match cutoff_micros {
        Some(micros) => format!(
            " WHERE known_at < arrow_cast({micros}, 'Timestamp(Microsecond, Some(\"UTC\"))')"
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
    SELECT * FROM filings{known}
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

#[cfg(test)]
mod tests {
    use super::effective_holdings_ctes;

    #[test]
    fn the_views_hold_the_same_effective_holdings_as_the_table_function() {
        // The views are plain SQL files; this keeps their copy of the CTEs from drifting.
        let ctes = effective_holdings_ctes(None);
        for (view, sql) in [
            (
                "institutional_holdings_13f",
                include_str!("institutional_holdings_13f.sql"),
            ),
            ("whale_wallets", include_str!("whale_wallets.sql")),
        ] {
            assert!(
                sql.contains(&format!("WITH {ctes}, ")),
                "{view}.sql no longer starts with holdings_asof's CTEs"
            );
        }
        assert!(effective_holdings_ctes(Some(0)).contains("FROM filings WHERE known_at < "));
    }
}
