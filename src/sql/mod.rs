//! The SQL front: the session every front end uses, query files with typed parameters, and
//! the output formats.

pub mod guard;
pub mod limits;
pub mod output;
pub mod query_file;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement};
use futures::StreamExt;

use crate::catalog;
use crate::error::{Error, Result};
use crate::lake::Lake;

pub use guard::FileWrites;
pub use limits::MemoryLimit;

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
    /// The memory the session's queries may hold at once (default: half of the machine's).
    pub memory_limit: MemoryLimit,
    /// Where sorts, joins and aggregates spill (default: the system's temporary directory).
    pub spill_directory: Option<PathBuf>,
    /// Which statements may write files (default: any outside the lake).
    pub file_writes: FileWrites,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            threads: None,
            risk_free_rate: DEFAULT_RISK_FREE_RATE,
            block_min_shares: DEFAULT_BLOCK_MIN_SHARES,
            block_min_value: DEFAULT_BLOCK_MIN_VALUE,
            memory_limit: MemoryLimit::default(),
            spill_directory: None,
            file_writes: FileWrites::default(),
        }
    }
}

/// What every statement of a session is checked against, kept in the session's config.
#[derive(Debug)]
struct StatementLimits {
    guard: guard::WriteGuard,
    memory: limits::ResolvedMemoryLimit,
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
        .set_str("datafusion.execution.time_zone", "UTC")
        .set_usize(
            "datafusion.sql_parser.recursion_limit",
            limits::PARSER_RECURSION_LIMIT,
        );
    let memory = settings.memory_limit.resolve();
    let runtime = limits::runtime_env(&memory, settings.spill_directory.as_ref())?;
    let config = config.with_extension(Arc::new(StatementLimits {
        guard: guard::WriteGuard::new(lake.root(), settings.file_writes),
        memory,
    }));
    // `SELECT * FROM 'reports/dix.parquet'` reads any file by path, as in datafusion-cli.
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

/// The result of the last statement of a script, held whole (tests, small results); front ends
/// write results as they come through a [`ResultSink`].
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// What receives the result of a script's last statement, batch by batch.
pub trait ResultSink: Send {
    /// Before the first batch, with the result's schema.
    fn start(&mut self, schema: &SchemaRef) -> Result<()>;
    /// One batch; Ok(false) asks for no more (the reader has gone), which cancels the query.
    fn batch(&mut self, batch: &RecordBatch) -> Result<bool>;
    /// After the last batch (also when the sink asked for no more).
    fn finish(&mut self, schema: &SchemaRef) -> Result<()>;
}

/// A sink that keeps every batch.
#[derive(Default)]
struct Collect {
    batches: Vec<RecordBatch>,
}

impl ResultSink for Collect {
    fn start(&mut self, _: &SchemaRef) -> Result<()> {
        Ok(())
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<bool> {
        self.batches.push(batch.clone());
        Ok(true)
    }

    fn finish(&mut self, _: &SchemaRef) -> Result<()> {
        Ok(())
    }
}

/// What a script's last statement returned.
#[derive(Debug, Clone)]
pub struct ScriptOutcome {
    pub schema: SchemaRef,
    /// Rows the sink received.
    pub rows: usize,
}

/// Runs a query file: loads it, binds `params` (NAME, VALUE text) to its declared parameters as
/// typed values, and runs its statements; the last one's result is returned.
pub async fn run_query_file(
    ctx: &SessionContext,
    path: &std::path::Path,
    params: &[(String, String)],
) -> Result<QueryResult> {
    let mut collect = Collect::default();
    let outcome = run_query_file_into(ctx, path, params, &mut collect).await?;
    Ok(QueryResult {
        schema: outcome.schema,
        batches: collect.batches,
    })
}

/// [`run_query_file`], its last statement's result written to `sink` as it comes.
pub async fn run_query_file_into(
    ctx: &SessionContext,
    path: &std::path::Path,
    params: &[(String, String)],
    sink: &mut dyn ResultSink,
) -> Result<ScriptOutcome> {
    let query = query_file::QueryFile::load(path)?;
    let values = query.bind(params)?;
    // `holdings_asof(…)` takes its dates as literals: the file's date parameters are written in.
    let sql = query.sql_with_table_function_dates(&values);
    run_script_into(ctx, &sql, Some(&values), sink).await
}

/// Splits `sql` into statements (`;`-separated, as datafusion-cli's `-f` does), refusing one
/// nested beyond what can be planned (see [`limits`]).
pub fn parse_statements(sql: &str) -> Result<VecDeque<Statement>> {
    let parsed = DFParserBuilder::new(sql)
        .with_recursion_limit(limits::PARSER_RECURSION_LIMIT)
        .build()
        .and_then(|mut parser| parser.parse_statements());
    let statements = match parsed {
        Ok(statements) => statements,
        Err(e) if limits::is_parser_recursion(&e) => return Err(limits::parser_recursion_error(e)),
        Err(e) => return Err(e.into()),
    };
    statements
        .into_iter()
        .map(limits::check_expression_depth)
        .collect()
}

/// Runs every statement of `sql` in order, binding `params` to `$name` placeholders as typed
/// values, and returns the last statement's result, held whole.
pub async fn run_script(
    ctx: &SessionContext,
    sql: &str,
    params: Option<&ParamValues>,
) -> Result<QueryResult> {
    let mut collect = Collect::default();
    let outcome = run_script_into(ctx, sql, params, &mut collect).await?;
    Ok(QueryResult {
        schema: outcome.schema,
        batches: collect.batches,
    })
}

/// Runs every statement of `sql` in order, binding `params` to `$name` placeholders as typed
/// values; the last statement's result goes to `sink` batch by batch, the others' are read and
/// dropped. Every statement of every front end runs through here: each one is planned, checked
/// (files it would write, see [`guard`]), executed, and its stream consumed before the next.
pub async fn run_script_into(
    ctx: &SessionContext,
    sql: &str,
    params: Option<&ParamValues>,
    sink: &mut dyn ResultSink,
) -> Result<ScriptOutcome> {
    let statements = parse_statements(sql)?;
    if statements.is_empty() {
        return Err(crate::Error::Usage("no SQL statement to run".to_string()));
    }
    let state = ctx.state();
    let limits = state.config().get_extension::<StatementLimits>();
    let store = catalog::lake_store(ctx);
    let count = statements.len();
    let mut outcome = None;
    for (index, statement) in statements.into_iter().enumerate() {
        let last = index + 1 == count;
        // One committed state of the lake from planning to the last batch, whatever ingests
        // publish meanwhile.
        if let Some(store) = &store {
            store.pin_latest()?;
        }
        let ran = async {
            let mut plan = ctx.state().statement_to_plan(statement).await?;
            if let Some(params) = params {
                plan = plan.with_param_values(params.clone())?;
            }
            if let Some(limits) = &limits {
                limits.guard.check(&plan)?;
            }
            let frame = ctx.execute_logical_plan(plan).await?;
            let schema = frame.schema().inner().clone();
            let mut stream = frame.execute_stream().await?;
            let mut rows = 0;
            if last {
                sink.start(&schema)?;
            }
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                if last && !sink.batch(&batch)? {
                    break;
                }
            }
            if last {
                sink.finish(&schema)?;
            }
            Ok::<_, Error>(ScriptOutcome { schema, rows })
        };
        let ran = ran.await;
        if let Some(store) = &store {
            store.release();
        }
        outcome = Some(ran.map_err(|e| query_error(e, limits.as_deref()))?);
    }
    outcome.ok_or_else(|| crate::Error::Usage("no SQL statement to run".to_string()))
}

/// A query's error, said in whalewatch's terms where it is a limit of the session's.
fn query_error(error: Error, limits: Option<&StatementLimits>) -> Error {
    let exhausted = |e: &DataFusionError| limits::is_memory_exhausted(e);
    match error {
        Error::DataFusion(source) if exhausted(&source) => Error::MemoryLimit {
            limit: limits.map_or_else(
                || "the session".to_string(),
                |l| l.memory.description.clone(),
            ),
            source,
        },
        other => other,
    }
}
