//! `print_clusters(window_ms [, mode])`: the option tape with each print's cluster, streamed.
//!
//! `print_cluster` as a window function must buffer its whole input (DataFusion's window operator
//! concatenates every batch before it evaluates), and with PARTITION BY contract it pays a
//! per-partition cost 400,000 times a day. The lake's files are already sorted by contract and
//! time, so this table function reads them in that order (merging files) and clusters batch by
//! batch, holding back only the rows of the cluster still open at a batch's end. The clusters are
//! the window function's (`udfs/src/print_cluster.rs` computes both).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{DocSection, Documentation, Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{
    EquivalenceProperties, LexOrdering, OrderingRequirements, PhysicalExpr, PhysicalSortExpr,
};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{
    Boundedness, EmissionType, ReplaceChildrenOptions,
};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use futures::StreamExt;
use whalewatch_udfs::print_cluster::{cluster_prints, window_micros, Mode};

/// The columns the clustering reads, and the order the tape must be in.
const ORDER: [&str; 3] = ["contract", "ts", "seq"];
const EXCHANGE: &str = "exchange";
/// The trading date: a cluster never spans two, so a filter on `date` leaves every cluster whole.
const DAY: &str = "date";
/// The columns added to the tape's.
const ADDED: [&str; 3] = ["cluster_id", "cluster_prints", "cluster_exchanges"];

/// For `whalewatch functions`: table functions have no documentation hook in DataFusion.
pub fn documentation() -> Documentation {
    Documentation::builder(
        DocSection {
            include: true,
            label: "Options",
            description: None,
        },
        "The lake's option_trades with each print's cluster added as cluster_id, cluster_prints \
and cluster_exchanges. The clusters are those of print_cluster(ts, exchange, window_ms, mode, \
contract, date), computed while streaming the tape in its files' (contract, ts, seq) order, so \
that it scales to a day's tape (the window function must buffer its whole input). In the default \
'anchored' mode a cluster is a contract's prints within window_ms milliseconds of the cluster's \
first print; in 'gap' mode a print joins the cluster when it is within window_ms of the previous \
print. cluster_id counts clusters across contracts, and a cluster never spans two trading dates, \
so a filter on date prunes whole days before clustering. whalewatch's sweeps are the clusters of \
print_clusters(50) on 2 or more exchanges (see options_flow).",
        "print_clusters(window_ms [, 'anchored' | 'gap'])",
    )
    .with_argument(
        "window_ms",
        "A constant: the window in milliseconds, from 0 to 86,400,000 (fractions allowed).",
    )
    .with_argument(
        "mode",
        "A constant: 'anchored' (default: within the window of the cluster's first print) or 'gap' \
(within the window of the previous print).",
    )
    .with_sql_example(PRINT_CLUSTERS_EXAMPLE)
    .build()
}

/// Checked against the sample lake by the integration tests, as every function's example is.
const PRINT_CLUSTERS_EXAMPLE: &str = r#"```sql
> SELECT cluster_prints, cluster_exchanges, count(DISTINCT cluster_id) AS clusters
  FROM print_clusters(50) WHERE contract = 'IWM210219C00214000' GROUP BY 1, 2 ORDER BY 1, 2;
+----------------+-------------------+----------+
| cluster_prints | cluster_exchanges | clusters |
+----------------+-------------------+----------+
| 1              | 1                 | 12       |
| 2              | 1                 | 1        |
| 2              | 2                 | 2        |
| 3              | 1                 | 2        |
| 4              | 4                 | 1        |
| 5              | 5                 | 2        |
+----------------+-------------------+----------+
```"#;

/// The table function, holding the tape it clusters (the lake's `option_trades`).
#[derive(Debug)]
pub struct PrintClustersFunction {
    pub trades: Arc<dyn TableProvider>,
}

impl TableFunctionImpl for PrintClustersFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        let usage = "print_clusters(window_ms [, 'anchored' | 'gap']): a constant number of \
                     milliseconds from 0 to 86,400,000, and optionally the mode";
        let window_ms = match args.first() {
            Some(Expr::Literal(value, _)) => match value {
                ScalarValue::Int64(Some(ms)) => *ms as f64,
                ScalarValue::Float64(Some(ms)) => *ms,
                ScalarValue::Decimal128(Some(_), _, _) => {
                    match value.cast_to(&DataType::Float64)? {
                        ScalarValue::Float64(Some(ms)) => ms,
                        _ => return plan_err!("{usage}"),
                    }
                }
                _ => return plan_err!("{usage}"),
            },
            _ => return plan_err!("{usage}"),
        };
        let Some(window_us) = window_micros(window_ms) else {
            return plan_err!("{usage}");
        };
        let mode = match args.get(1) {
            None => Mode::Anchored,
            Some(Expr::Literal(ScalarValue::Utf8(Some(text)), _)) => match Mode::parse(text) {
                Some(mode) => mode,
                None => return plan_err!("{usage}"),
            },
            Some(_) => return plan_err!("{usage}"),
        };
        if args.len() > 2 {
            return plan_err!("{usage}");
        }
        let tape = self.trades.schema();
        let mut fields: Vec<Field> = tape.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(ADDED.map(|name| Field::new(name, DataType::Int64, true)));
        Ok(Arc::new(PrintClustersTable {
            trades: Arc::clone(&self.trades),
            schema: Arc::new(Schema::new(fields)),
            window_us,
            mode,
        }))
    }
}

#[derive(Debug)]
struct PrintClustersTable {
    trades: Arc<dyn TableProvider>,
    schema: SchemaRef,
    window_us: i64,
    mode: Mode,
}

/// Whether a filter reads nothing but the partition column: whole days can be left out before
/// clustering without changing a cluster (clusters end with their trading date).
fn only_dates(filter: &Expr) -> bool {
    let columns = filter.column_refs();
    !columns.is_empty() && columns.iter().all(|c| c.name == "date")
}

#[async_trait]
impl TableProvider for PrintClustersTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Inexact: the scan prunes days, and the filter is applied again above.
        Ok(filters
            .iter()
            .map(|f| {
                if only_dates(f) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let tape = self.trades.schema();
        let tape_columns = tape.fields().len();
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let wanted = projection.unwrap_or(&all);
        // The tape's columns to read: those asked for and those the clustering needs.
        let mut read: Vec<usize> = wanted
            .iter()
            .copied()
            .filter(|&i| i < tape_columns)
            .collect();
        for name in ORDER.iter().chain([&EXCHANGE, &DAY]) {
            read.push(tape.index_of(name)?);
        }
        read.sort_unstable();
        read.dedup();
        let date_filters: Vec<Expr> = filters.iter().filter(|f| only_dates(f)).cloned().collect();
        let scan = self
            .trades
            .scan(state, Some(&read), &date_filters, None)
            .await?;
        let input = in_tape_order(scan)?;
        let clustered: Arc<dyn ExecutionPlan> = Arc::new(PrintClustersExec::try_new(
            input,
            self.window_us,
            self.mode,
        )?);
        // Back to the columns asked for, in their order.
        let at = |i: usize| match i < tape_columns {
            true => read.iter().position(|&r| r == i).unwrap_or_default(),
            false => read.len() + (i - tape_columns),
        };
        let schema = clustered.schema();
        let exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = wanted
            .iter()
            .map(|&i| {
                let name = schema.field(at(i)).name().clone();
                (
                    Arc::new(Column::new(&name, at(i))) as Arc<dyn PhysicalExpr>,
                    name,
                )
            })
            .collect();
        Ok(Arc::new(ProjectionExec::try_new(exprs, clustered)?))
    }
}

/// One stream of the tape in (contract, ts, seq) order: the files' own orders merged, or a sort
/// when the scan does not keep them (past the catalog's limit of files scanned one each).
fn in_tape_order(scan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = scan.schema();
    let sort_exprs = ORDER
        .iter()
        .map(|name| {
            Ok(PhysicalSortExpr::new_default(Arc::new(Column::new(
                name,
                schema.index_of(name)?,
            ))))
        })
        .collect::<Result<Vec<_>>>()?;
    let Some(ordering) = LexOrdering::new(sort_exprs.clone()) else {
        return plan_err!("print_clusters: no sort columns");
    };
    let sorted = scan.equivalence_properties().ordering_satisfy(sort_exprs)?;
    let partitions = scan.output_partitioning().partition_count();
    Ok(match (sorted, partitions) {
        (true, 1) => scan,
        (true, _) => Arc::new(SortPreservingMergeExec::new(ordering, scan)),
        (false, 1) => Arc::new(SortExec::new(ordering, scan)),
        (false, _) => Arc::new(SortExec::new(
            ordering,
            Arc::new(CoalescePartitionsExec::new(scan)),
        )),
    })
}

#[derive(Debug)]
struct PrintClustersExec {
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    window_us: i64,
    mode: Mode,
}

impl PrintClustersExec {
    fn try_new(input: Arc<dyn ExecutionPlan>, window_us: i64, mode: Mode) -> Result<Self> {
        let mut fields: Vec<Field> = input
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(ADDED.map(|name| Field::new(name, DataType::Int64, true)));
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Self {
            input,
            schema,
            properties,
            window_us,
            mode,
        })
    }
}

impl DisplayAs for PrintClustersExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "PrintClustersExec: window={} µs, mode={:?}",
            self.window_us, self.mode
        )
    }
}

/// One stream's clustering: what it clusters with, and the rows held back (those of the cluster
/// still open at the end of the last batch).
struct Clusterer {
    input_schema: SchemaRef,
    schema: SchemaRef,
    window_us: i64,
    mode: Mode,
    held: Option<RecordBatch>,
    next_id: i64,
}

impl Clusterer {
    /// Clusters `batch` after the held-back rows; returns the rows whose clusters are closed (all
    /// of them at the end of the input) with their cluster columns.
    fn cluster(&mut self, batch: Option<RecordBatch>) -> Result<Option<RecordBatch>> {
        let input_schema = Arc::clone(&self.input_schema);
        let rows = match (self.held.take(), batch.as_ref()) {
            (Some(held), Some(batch)) => concat_batches(&input_schema, [&held, batch])?,
            (Some(held), None) => held,
            (None, Some(batch)) => batch.clone(),
            (None, None) => return Ok(None),
        };
        if rows.num_rows() == 0 {
            return Ok(None);
        }
        let column = |name: &str| -> Result<ArrayRef> {
            Ok(Arc::clone(rows.column(input_schema.index_of(name)?)))
        };
        let ts = cast(
            &column("ts")?,
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        )?;
        let clusters = cluster_prints(
            &ts,
            &column(EXCHANGE)?,
            Some(&column("contract")?),
            Some(&column(DAY)?),
            self.window_us,
            self.mode,
            self.next_id,
        )?;
        let done = match batch {
            Some(_) => clusters.open_from,
            None => rows.num_rows(),
        };
        if done < rows.num_rows() {
            self.held = Some(rows.slice(done, rows.num_rows() - done));
            self.next_id = clusters.id[done];
        }
        if done == 0 {
            return Ok(None);
        }
        let grouped = clusters.to_struct(0..done)?;
        let mut columns: Vec<ArrayRef> = rows.slice(0, done).columns().to_vec();
        columns.extend(grouped.columns().iter().cloned());
        Ok(Some(RecordBatch::try_new(
            Arc::clone(&self.schema),
            columns,
        )?))
    }
}

impl ExecutionPlan for PrintClustersExec {
    fn name(&self) -> &str {
        "PrintClustersExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(PrintClustersExec::try_new(
            children.swap_remove(0),
            self.window_us,
            self.mode,
        )?))
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(
                datafusion::physical_plan::execution_plan::ChildrenPropertiesMode::Recompute,
            ),
        )
    }

    fn required_input_distribution(&self) -> Vec<datafusion::physical_plan::Distribution> {
        vec![datafusion::physical_plan::Distribution::SinglePartition]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    /// One ordered stream in: splitting a file into byte ranges would only add a merge.
    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    /// Said, so that the optimizer keeps the merge of the files' orders below.
    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        let schema = self.input.schema();
        let ordering = ORDER
            .iter()
            .map(|name| {
                schema
                    .index_of(name)
                    .ok()
                    .map(|index| PhysicalSortExpr::new_default(Arc::new(Column::new(name, index))))
            })
            .collect::<Option<Vec<_>>>()
            .and_then(LexOrdering::new);
        vec![ordering.map(OrderingRequirements::from)]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let clusterer = Clusterer {
            input_schema: self.input.schema(),
            schema: Arc::clone(&self.schema),
            window_us: self.window_us,
            mode: self.mode,
            held: None,
            next_id: 1,
        };
        let stream = futures::stream::unfold(
            (input, clusterer, false),
            |(mut input, mut clusterer, finished)| async move {
                if finished {
                    return None;
                }
                loop {
                    let (result, finished) = match input.next().await {
                        Some(Ok(batch)) => match clusterer.cluster(Some(batch)) {
                            Ok(None) => continue,
                            Ok(Some(out)) => (Ok(out), false),
                            Err(e) => (Err(e), true),
                        },
                        Some(Err(e)) => (Err(e), true),
                        None => match clusterer.cluster(None) {
                            Ok(None) => return None,
                            Ok(Some(out)) => (Ok(out), true),
                            Err(e) => (Err(e), true),
                        },
                    };
                    return Some((result, (input, clusterer, finished)));
                }
            },
        );
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }
}
