//! The SQL front: the session every front end uses, query files with typed parameters, and
//! the output formats.

pub mod output;
pub mod query_file;

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};

use crate::catalog;
use crate::error::Result;
use crate::lake::Lake;

/// What a session is opened with.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    /// DataFusion's parallelism (default: every core).
    pub threads: Option<usize>,
    /// The rate `options_flow` prices its Greeks and implied volatilities with, continuously
    /// compounded (0.04 = 4 %); SQL reads it as `risk_free_rate()`.
    pub risk_free_rate: f64,
    /// `dark_pool_trades` calls a regular off-exchange print of this many shares a block…
    pub block_min_shares: f64,
    /// …or of this many dollars (FINRA's definition: 10,000 shares or $200,000).
    pub block_min_value: f64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            threads: None,
            risk_free_rate: DEFAULT_RISK_FREE_RATE,
            block_min_shares: DEFAULT_BLOCK_MIN_SHARES,
            block_min_value: DEFAULT_BLOCK_MIN_VALUE,
        }
    }
}

pub const DEFAULT_RISK_FREE_RATE: f64 = 0.04;
pub const DEFAULT_BLOCK_MIN_SHARES: f64 = 10_000.0;
pub const DEFAULT_BLOCK_MIN_VALUE: f64 = 200_000.0;

/// A session over `lake` with every whalewatch function and every dataset and view registered.
pub async fn open_session(lake: &Lake, settings: &SessionSettings) -> Result<SessionContext> {
    let threads = settings
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(threads.max(1))
        // Lake files are sorted: merge their orders rather than sort again (see catalog).
        .set_bool("datafusion.optimizer.prefer_existing_sort", true)
        // Timestamps are stored in UTC; make the session say so rather than rely on a default.
        .set_str("datafusion.execution.time_zone", "UTC");
    // `SELECT * FROM 'reports/dix.parquet'` reads any file by path, as in datafusion-cli.
    // No cached file listings: the lake's files change between statements, and each statement
    // lists the snapshot it pinned (see catalog and lake::LakeStore).
    let runtime = RuntimeEnvBuilder::new()
        .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
        .build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime).enable_url_table();
    whalewatch_udfs::register_all_in_session(&ctx)?;
    // Before the views: a view keeps the functions it was planned with.
    ctx.register_udf(session_constant("risk_free_rate", settings.risk_free_rate));
    ctx.register_udf(session_constant(
        "dark_pool_block_min_shares",
        settings.block_min_shares,
    ));
    ctx.register_udf(session_constant(
        "dark_pool_block_min_value",
        settings.block_min_value,
    ));
    catalog::register_lake(&ctx, lake).await?;
    Ok(ctx)
}

/// A setting of the session as a function without arguments (`risk_free_rate()`), a constant
/// the planner folds.
fn session_constant(name: &str, value: f64) -> ScalarUDF {
    create_udf(
        name,
        vec![],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(move |_args: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(value))))
        }),
    )
}

/// The result of the last statement of a script.
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Runs a query file: loads it, binds `params` (NAME, VALUE text) to its declared parameters as
/// typed values, and runs its statements; the last one's result is returned.
pub async fn run_query_file(
    ctx: &SessionContext,
    path: &std::path::Path,
    params: &[(String, String)],
) -> Result<QueryResult> {
    let query = query_file::QueryFile::load(path)?;
    let values = query.bind(params)?;
    // `holdings_asof(…)` takes its dates as literals: the file's date parameters are written in.
    let sql = query.sql_with_table_function_dates(&values);
    run_script(ctx, &sql, Some(&values)).await
}

/// Splits `sql` into statements (`;`-separated, as datafusion-cli's `-f` does).
pub fn parse_statements(sql: &str) -> Result<VecDeque<Statement>> {
    Ok(DFParser::parse_sql(sql)?)
}

/// Runs every statement of `sql` in order, binding `params` to `$name` placeholders as typed
/// values, and returns the last statement's result.
pub async fn run_script(
    ctx: &SessionContext,
    sql: &str,
    params: Option<&ParamValues>,
) -> Result<QueryResult> {
    let statements = parse_statements(sql)?;
    if statements.is_empty() {
        return Err(crate::Error::Usage("no SQL statement to run".to_string()));
    }
    let store = catalog::lake_store(ctx);
    let mut last = None;
    for statement in statements {
        // One committed state of the lake from planning to the last batch, whatever ingests
        // publish meanwhile.
        if let Some(store) = &store {
            store.pin_latest()?;
        }
        let result = run_statement(ctx, statement, params).await;
        if let Some(store) = &store {
            store.release();
        }
        last = Some(result?);
    }
    Ok(last.expect("at least one statement ran"))
}

async fn run_statement(
    ctx: &SessionContext,
    statement: Statement,
    params: Option<&ParamValues>,
) -> Result<QueryResult> {
    let mut plan = ctx.state().statement_to_plan(statement).await?;
    if let Some(params) = params {
        plan = plan.with_param_values(params.clone())?;
    }
    let frame = ctx.execute_logical_plan(plan).await?;
    let schema = frame.schema().inner().clone();
    let batches = frame.collect().await?;
    Ok(QueryResult { schema, batches })
}
