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
    let text = include_str!("effective_holdings.sql");
    // The file's own comment lines go; the CTEs start at `filings AS (`.
    let ctes = text
        .lines()
        .skip_while(|line| line.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    ctes.replace(" /* known before the cutoff */", &known)
}

/// A view's SQL with the marker `/* effective_holdings.sql */` replaced by the CTEs without a
/// cutoff: institutional_holdings_13f and whale_wallets start from the same holdings as
/// holdings_asof, written once.
pub fn with_effective_holdings(view_sql: &str) -> String {
    view_sql.replace(
        "/* effective_holdings.sql */",
        &effective_holdings_ctes(None),
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
    use super::{effective_holdings_ctes, with_effective_holdings};

    #[test]
    fn the_views_start_from_the_table_function_s_effective_holdings() {
        let ctes = effective_holdings_ctes(None);
        assert!(ctes.starts_with("filings AS ("), "{ctes}");
        assert!(ctes.contains("SELECT * FROM filings\n"));
        for sql in [
            include_str!("institutional_holdings_13f.sql"),
            include_str!("whale_wallets.sql"),
        ] {
            assert!(with_effective_holdings(sql).contains(&format!("WITH {ctes}, ")));
        }
        assert!(effective_holdings_ctes(Some(0)).contains("FROM filings WHERE known_at < "));
    }
}
