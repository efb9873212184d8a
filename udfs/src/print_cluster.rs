//! `print_cluster(ts, exchange, window_ms [, mode])`: groups a contract's prints that arrive
//! together (one order filled as several prints) and says how many prints and exchanges each
//! group has, so that sweeps and splits are plain SQL.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, FieldRef, Fields, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, Volatility, WindowUDFImpl,
};
use datafusion::physical_expr::expressions::Literal;
use datafusion_macros::user_doc;

#[user_doc(
    doc_section(label = "Options"),
    description = "Clusters a contract's prints in time order and returns, for each print, the struct \
{id, prints, exchanges}: its cluster's number within the partition (1, 2, …), how many prints the \
cluster has, and on how many distinct exchanges. In the default `'anchored'` mode a cluster is the \
prints within `window_ms` milliseconds (inclusive) of the cluster's first print, and the next print \
starts a new one, so a cluster never lasts longer than the window, however busy the contract. In \
`'gap'` mode a print joins the cluster when it is within `window_ms` of the previous print (a chain \
of prints each closer than the window is one cluster; this is what lag() over the tape computes). \
whalewatch's definitions (see `options_flow`): a **sweep** is a cluster on 2 or more exchanges, a \
**split** a cluster of 2 or more prints on one exchange; 50 ms is the default window, 1 s a looser \
alternative. A print with a NULL time gets a NULL struct; a NULL exchange counts as a print but not as \
an exchange. The whole partition is read at once (it scales with the partition: one contract's day); \
the rows must be in time order: use it OVER (PARTITION BY contract ORDER BY ts, seq); a frame clause \
is ignored. With the contract as a fifth argument, one partition may hold many contracts in (contract, \
ts) order and a cluster never spans two: OVER (ORDER BY contract, ts, seq) gives the same clusters \
without a window partition per contract, which is much faster on a day's tape of 400,000 contracts \
(ids then count across contracts). A sixth argument, the trading date, ends a cluster when the date \
changes (options that trade overnight cross midnight); print_clusters always does so. A NULL contract \
or day gives a NULL struct like a NULL time.",
    syntax_example = "print_cluster(ts, exchange, window_ms [, 'anchored' | 'gap' [, contract [, day]]]) OVER (PARTITION BY contract ORDER BY ts, seq)",
    sql_example = r#"```sql
> SELECT ms, exchange, print_cluster(ts, exchange, 50) OVER (ORDER BY ts) AS cluster
  FROM (SELECT ms, exchange, to_timestamp_millis(1772463600000 + ms) AS ts
        FROM (VALUES (0, 'C'), (20, 'X'), (60, 'C'), (200, 'C'), (230, 'C')) AS t(ms, exchange));
+-----+----------+----------------------------------+
| ms  | exchange | cluster                          |
+-----+----------+----------------------------------+
| 0   | C        | {id: 1, prints: 2, exchanges: 2} |
| 20  | X        | {id: 1, prints: 2, exchanges: 2} |
| 60  | C        | {id: 2, prints: 1, exchanges: 1} |
| 200 | C        | {id: 3, prints: 2, exchanges: 1} |
| 230 | C        | {id: 3, prints: 2, exchanges: 1} |
+-----+----------+----------------------------------+
```"#,
    argument(
        name = "ts",
        description = "The print's time (a timestamp; without a zone it is read as UTC)."
    ),
    argument(
        name = "exchange",
        description = "The exchange code (text or a number)."
    ),
    argument(
        name = "window_ms",
        description = "A constant: the window in milliseconds, from 0 to 86,400,000 (fractions allowed)."
    ),
    argument(
        name = "mode",
        description = "A constant: 'anchored' (default: within the window of the cluster's first print) or 'gap' (within the window of the previous print)."
    ),
    argument(
        name = "contract",
        description = "Optional: the contract, for a window ordered by contract, ts, seq without PARTITION BY."
    ),
    argument(
        name = "day",
        description = "Optional: the trading date; a cluster never spans two."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PrintCluster {
    signature: Signature,
}

impl Default for PrintCluster {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("prints", DataType::Int64, true),
        Field::new("exchanges", DataType::Int64, true),
    ])
}

const MAX_WINDOW_MS: f64 = 86_400_000.0;

/// How a print joins a cluster: within the window of the cluster's first print, or of the
/// previous print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Anchored,
    Gap,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        if text.eq_ignore_ascii_case("anchored") {
            Some(Mode::Anchored)
        } else if text.eq_ignore_ascii_case("gap") {
            Some(Mode::Gap)
        } else {
            None
        }
    }
}

/// The window in whole microseconds, or None when `window_ms` is not from 0 to a day.
pub fn window_micros(window_ms: f64) -> Option<i64> {
    // Rounded down: the timestamps are whole microseconds.
    (0.0..=MAX_WINDOW_MS)
        .contains(&window_ms)
        .then(|| (window_ms * 1000.0).floor() as i64)
}

impl WindowUDFImpl for PrintCluster {
    fn name(&self) -> &str {
        "print_cluster"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let exchange = |t: &DataType| match t {
            t if t.is_integer() => Some(DataType::Int64),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
                Some(DataType::Utf8View)
            }
            DataType::Dictionary(_, value) if value.is_integer() => Some(DataType::Int64),
            DataType::Dictionary(..) => Some(DataType::Utf8View),
            _ => None,
        };
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        match arg_types {
            [DataType::Timestamp(..) | DataType::Null, exchange_type, window, rest @ ..]
                if (window.is_numeric() || window.is_null()) && rest.len() <= 3 =>
            {
                let Some(exchange_type) = exchange(exchange_type) else {
                    return plan_err!(
                        "print_cluster: the exchange must be text or a whole number, not {exchange_type}"
                    );
                };
                let mut types = vec![ts, exchange_type, DataType::Float64];
                if !rest.is_empty() {
                    types.push(DataType::Utf8);
                }
                if let Some(contract_type) = rest.get(1) {
                    let Some(contract_type) = exchange(contract_type) else {
                        return plan_err!(
                            "print_cluster: the contract must be text or a whole number, not {contract_type}"
                        );
                    };
                    types.push(contract_type);
                }
                if let Some(day_type) = rest.get(2) {
                    if !matches!(day_type, DataType::Date32 | DataType::Date64 | DataType::Null) {
                        return plan_err!("print_cluster: the day must be a date, not {day_type}");
                    }
                    types.push(DataType::Date32);
                }
                Ok(types)
            }
            _ => plan_err!(
                "print_cluster(ts, exchange, window_ms [, mode [, contract [, day]]]) takes a \
                 timestamp, an exchange, a number of milliseconds, optionally 'anchored' or 'gap', a \
                 contract and a trading date, not {arg_types:?}"
            ),
        }
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let literal = |index: usize| {
            args.input_exprs()
                .get(index)
                .map(|e| e.downcast_ref::<Literal>().map(|l| l.value().clone()))
        };
        let window_us = match literal(2) {
            Some(Some(ScalarValue::Float64(Some(ms)))) if window_micros(ms).is_some() => {
                window_micros(ms).unwrap_or_default()
            }
            _ => {
                return exec_err!(
                    "print_cluster: window_ms must be a constant number of milliseconds from 0 to {MAX_WINDOW_MS}"
                )
            }
        };
        let mode = match literal(3) {
            None => Mode::Anchored,
            Some(Some(ScalarValue::Utf8(Some(mode)))) if mode.eq_ignore_ascii_case("anchored") => {
                Mode::Anchored
            }
            Some(Some(ScalarValue::Utf8(Some(mode)))) if mode.eq_ignore_ascii_case("gap") => {
                Mode::Gap
            }
            _ => return exec_err!("print_cluster: mode must be the constant 'anchored' or 'gap'"),
        };
        Ok(Box::new(PrintClusterEvaluator { window_us, mode }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Struct(fields()),
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug)]
struct PrintClusterEvaluator {
    window_us: i64,
    mode: Mode,
}

/// How two rows of an exchange or contract column (whole numbers or text) compare.
fn compare_rows(column: &ArrayRef) -> Box<dyn Fn(usize, usize) -> Ordering + '_> {
    match column.data_type() {
        DataType::Int64 => {
            let values = column.as_primitive::<Int64Type>();
            Box::new(move |a, b| values.value(a).cmp(&values.value(b)))
        }
        DataType::Utf8 => {
            let values = column.as_string::<i32>();
            Box::new(move |a, b| values.value(a).cmp(values.value(b)))
        }
        DataType::LargeUtf8 => {
            let values = column.as_string::<i64>();
            Box::new(move |a, b| values.value(a).cmp(values.value(b)))
        }
        _ => {
            let values = column.as_string_view();
            Box::new(move |a, b| values.value(a).cmp(values.value(b)))
        }
    }
}

/// One cluster as it grows: its first and last print's times and its prints.
struct Cluster {
    first_row: usize,
    first_us: i64,
    last_us: i64,
    prints: i64,
}

/// Each row's cluster, for the window function and for streaming operators: `id`, `prints` and
/// `exchanges` per row (rows without a time, or without a contract when one is given, are NULL),
/// numbered from `first_id`, and `open_from`, the first row of the last cluster (which more rows
/// could still join). Rows must be in time order, and in contract order when `contract` is given.
/// With `day` (the trading date of each row), a cluster never spans two days.
pub fn cluster_prints(
    ts: &ArrayRef,
    exchange: &ArrayRef,
    contract: Option<&ArrayRef>,
    day: Option<&ArrayRef>,
    window_us: i64,
    mode: Mode,
    first_id: i64,
) -> Result<Clusters> {
    let num_rows = ts.len();
    let ts = ts.as_primitive::<TimestampMicrosecondType>();
    let exchange_order = compare_rows(exchange);
    let contract_order = contract.map(compare_rows);
    let days = match day {
        Some(day) => match day.as_primitive_opt::<Date32Type>() {
            Some(days) => Some(days),
            None => {
                return exec_err!(
                    "print_cluster: the day must be a Date32, not {}",
                    day.data_type()
                )
            }
        },
        None => None,
    };
    {
        // Each row's cluster number, prints and exchanges, written for a whole cluster when it
        // closes (its rows are consecutive); rows without a time stay NULL.
        let mut id = vec![0_i64; num_rows];
        let mut prints = vec![0_i64; num_rows];
        let mut exchanges = vec![0_i64; num_rows];
        let mut valid = vec![true; num_rows];
        let mut clusters = first_id - 1;
        let mut open_from = num_rows;
        let mut current: Option<Cluster> = None;
        // One row of each distinct exchange of the current cluster: a few dozen exchanges at
        // most, so a list beats a set; kept across clusters to allocate once.
        let mut exchange_rows: Vec<usize> = Vec::new();
        let mut previous_row: Option<usize> = None;
        let mut close = |cluster: Cluster, end: usize, distinct: usize| {
            // Rows without a time in the range are masked by the NULL buffer.
            prints[cluster.first_row..end].fill(cluster.prints);
            exchanges[cluster.first_row..end].fill(distinct as i64);
        };
        for row in 0..num_rows {
            if ts.is_null(row)
                || contract.is_some_and(|c| c.is_null(row))
                || days.is_some_and(|d| d.is_null(row))
            {
                valid[row] = false;
                continue;
            }
            let at = ts.value(row);
            let same_contract = match (&contract_order, previous_row) {
                (Some(order), Some(previous)) => match order(previous, row) {
                    Ordering::Equal => true,
                    Ordering::Less => false,
                    Ordering::Greater => {
                        return exec_err!(
                            "print_cluster: the rows are not in contract order; use OVER (ORDER BY contract, ts, seq) with the contract argument"
                        )
                    }
                },
                _ => true,
            };
            let same_day = match (days, previous_row) {
                (Some(days), Some(previous)) => days.value(previous) == days.value(row),
                _ => true,
            };
            previous_row = Some(row);
            let joins = match &current {
                Some(cluster) if same_contract && same_day => {
                    if at < cluster.last_us {
                        return exec_err!(
                            "print_cluster: the rows are not in time order; use OVER (PARTITION BY contract ORDER BY ts, seq)"
                        );
                    }
                    let since = match mode {
                        Mode::Anchored => cluster.first_us,
                        Mode::Gap => cluster.last_us,
                    };
                    at - since <= window_us
                }
                _ => false,
            };
            if !joins {
                if let Some(done) = current.take() {
                    close(done, row, exchange_rows.len());
                }
                exchange_rows.clear();
                clusters += 1;
                open_from = row;
                current = Some(Cluster {
                    first_row: row,
                    first_us: at,
                    last_us: at,
                    prints: 0,
                });
            }
            let Some(cluster) = current.as_mut() else {
                unreachable!("a cluster was just opened")
            };
            cluster.last_us = at;
            cluster.prints += 1;
            if exchange.is_valid(row)
                && !exchange_rows
                    .iter()
                    .any(|&seen| exchange_order(seen, row) == Ordering::Equal)
            {
                exchange_rows.push(row);
            }
            id[row] = clusters;
        }
        if let Some(done) = current.take() {
            close(done, num_rows, exchange_rows.len());
        }
        Ok(Clusters {
            id,
            prints,
            exchanges,
            valid,
            open_from,
        })
    }
}

/// What [`cluster_prints`] found.
#[derive(Debug)]
pub struct Clusters {
    pub id: Vec<i64>,
    pub prints: Vec<i64>,
    pub exchanges: Vec<i64>,
    pub valid: Vec<bool>,
    pub open_from: usize,
}

impl Clusters {
    /// Rows `range` as the struct {id, prints, exchanges}.
    pub fn to_struct(&self, range: std::ops::Range<usize>) -> Result<StructArray> {
        let valid = &self.valid[range.clone()];
        let nulls = valid
            .contains(&false)
            .then(|| NullBuffer::from(valid.to_vec()));
        let column = |values: &[i64]| -> ArrayRef {
            Arc::new(Int64Array::new(
                values[range.clone()].to_vec().into(),
                nulls.clone(),
            ))
        };
        let columns = vec![
            column(&self.id),
            column(&self.prints),
            column(&self.exchanges),
        ];
        Ok(StructArray::try_new(fields(), columns, nulls)?)
    }
}

impl PartitionEvaluator for PrintClusterEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        // With a contract argument, one partition holds many contracts in (contract, ts) order.
        let clusters = cluster_prints(
            &values[0],
            &values[1],
            values.get(4),
            values.get(5),
            self.window_us,
            self.mode,
            1,
        )?;
        Ok(Arc::new(clusters.to_struct(0..num_rows)?))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::prelude::SessionContext;

    /// (id, prints, exchanges) of each print given as (milliseconds after 15:00Z, exchange), in
    /// the given order, with `call` the function call.
    async fn clusters(prints: &[(f64, &str)], call: &str) -> Vec<Option<(i64, i64, i64)>> {
        let ctx = SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let rows: Vec<String> = prints
            .iter()
            .enumerate()
            .map(|(i, (ms, exchange))| {
                format!(
                    "({i}, to_timestamp_micros(1772463600000000 + {}), '{exchange}')",
                    (ms * 1000.0).round() as i64
                )
            })
            .collect();
        let sql = format!(
            "SELECT c['id'], c['prints'], c['exchanges'] FROM (SELECT g, {call} OVER (ORDER BY ts, g) AS c \
             FROM (VALUES {}) AS t(g, ts, exchange)) ORDER BY g",
            rows.join(", ")
        );
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let mut out = Vec::new();
        for batch in batches {
            let column = |i: usize| batch.column(i).as_primitive::<Int64Type>().clone();
            let (id, prints, exchanges) = (column(0), column(1), column(2));
            for row in 0..batch.num_rows() {
                out.push(
                    id.is_valid(row)
                        .then(|| (id.value(row), prints.value(row), exchanges.value(row))),
                );
            }
        }
        out
    }

    #[tokio::test]
    async fn anchored_clusters_last_at_most_the_window() {
        // Prints every 30 ms: anchored at 50 ms, the first two are one cluster and the third
        // (60 ms after the first) starts the next; 50 ms exactly still joins.
        let prints = [
            (0.0, "A"),
            (30.0, "B"),
            (60.0, "A"),
            (90.0, "A"),
            (110.0, "C"),
            (110.001, "C"),
            (500.0, "B"),
        ];
        let got = clusters(&prints, "print_cluster(ts, exchange, 50)").await;
        let expected = [
            (1, 2, 2),
            (1, 2, 2),
            (2, 3, 2),
            (2, 3, 2),
            (2, 3, 2),
            (3, 1, 1),
            (4, 1, 1),
        ];
        assert_eq!(got, expected.map(Some).to_vec());
    }

    #[tokio::test]
    async fn gap_clusters_chain_while_each_print_is_close_to_the_previous() {
        let prints = [
            (0.0, "A"),
            (30.0, "B"),
            (60.0, "A"),
            (90.0, "A"),
            (140.0, "C"),
            (190.001, "C"),
        ];
        let got = clusters(&prints, "print_cluster(ts, exchange, 50, 'gap')").await;
        let expected = [
            (1, 5, 3),
            (1, 5, 3),
            (1, 5, 3),
            (1, 5, 3),
            (1, 5, 3),
            (2, 1, 1),
        ];
        assert_eq!(got, expected.map(Some).to_vec());
    }

    #[tokio::test]
    async fn one_microsecond_past_the_window_is_a_new_cluster() {
        let got = clusters(
            &[(0.0, "A"), (50.001, "B")],
            "print_cluster(ts, exchange, 50)",
        )
        .await;
        assert_eq!(got, vec![Some((1, 1, 1)), Some((2, 1, 1))]);
        let got = clusters(
            &[(0.0, "A"), (50.0, "B")],
            "print_cluster(ts, exchange, 50)",
        )
        .await;
        assert_eq!(got, vec![Some((1, 2, 2)), Some((1, 2, 2))]);
    }

    #[tokio::test]
    async fn null_times_and_exchanges() {
        let ctx = SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let sql = "SELECT c['prints'], c['exchanges'] FROM (SELECT g, print_cluster(ts, exchange, 50) OVER (ORDER BY g) AS c \
                   FROM (VALUES (1, TIMESTAMP '2026-03-02T15:00:00Z', 'A'), (2, TIMESTAMP '2026-03-02T15:00:00.010Z', NULL), \
                   (3, NULL, 'B')) AS t(g, ts, exchange)) ORDER BY g";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let prints = batches[0].column(0).as_primitive::<Int64Type>();
        let exchanges = batches[0].column(1).as_primitive::<Int64Type>();
        assert_eq!((prints.value(0), exchanges.value(0)), (2, 1));
        assert_eq!((prints.value(1), exchanges.value(1)), (2, 1));
        assert!(prints.is_null(2));
    }

    #[tokio::test]
    async fn wrong_order_window_and_mode_are_errors() {
        let ctx = SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let values = "(VALUES (1, TIMESTAMP '2026-03-02T15:00:01Z', 'A'), (2, TIMESTAMP '2026-03-02T15:00:00Z', 'B')) AS t(g, ts, exchange)";
        for (call, message) in [
            (
                "print_cluster(ts, exchange, 50) OVER (ORDER BY g)",
                "not in time order",
            ),
            (
                "print_cluster(ts, exchange, -1) OVER (ORDER BY ts)",
                "window_ms must be",
            ),
            (
                "print_cluster(ts, exchange, 50, 'nearby') OVER (ORDER BY ts)",
                "mode must be",
            ),
        ] {
            let error = match ctx.sql(&format!("SELECT {call} FROM {values}")).await {
                Ok(frame) => frame.collect().await.unwrap_err().to_string(),
                Err(error) => error.to_string(),
            };
            assert!(error.contains(message), "{call}: {error}");
        }
    }

    /// The anchored clusters of random prints against a plain loop over the same prints, with
    /// integer exchanges.
    #[tokio::test]
    async fn random_tape_matches_a_plain_loop() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut at = 0_i64;
        let mut prints = Vec::new();
        for _ in 0..3000 {
            at += (next() % 80_000) as i64; // 0 to 80 ms apart, in µs
            prints.push((at, (next() % 4) as i64));
        }
        // The reference: a new cluster when more than 50 ms after the cluster's first print.
        let mut expected = Vec::new();
        let (mut start, mut id) = (0, 0);
        while start < prints.len() {
            let mut end = start;
            while end < prints.len() && prints[end].0 - prints[start].0 <= 50_000 {
                end += 1;
            }
            let mut exchanges: Vec<i64> = prints[start..end].iter().map(|p| p.1).collect();
            exchanges.sort();
            exchanges.dedup();
            id += 1;
            for _ in start..end {
                expected.push(Some((id, (end - start) as i64, exchanges.len() as i64)));
            }
            start = end;
        }
        let ctx = SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let rows: Vec<String> = prints
            .iter()
            .enumerate()
            .map(|(i, (us, x))| format!("({i}, to_timestamp_micros(1772463600000000 + {us}), {x})"))
            .collect();
        let sql = format!(
            "SELECT c['id'], c['prints'], c['exchanges'] FROM (SELECT g, print_cluster(ts, exchange, 50) OVER (ORDER BY ts, g) AS c \
             FROM (VALUES {}) AS t(g, ts, exchange)) ORDER BY g",
            rows.join(", ")
        );
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let mut got = Vec::new();
        for batch in batches {
            let column = |i: usize| batch.column(i).as_primitive::<Int64Type>().clone();
            let (id, p, x) = (column(0), column(1), column(2));
            for row in 0..batch.num_rows() {
                got.push(Some((id.value(row), p.value(row), x.value(row))));
            }
        }
        assert_eq!(got, expected);
        assert!(
            got.iter().flatten().any(|c| c.2 >= 3),
            "the tape has multi-exchange clusters"
        );
    }

    /// One partition of many contracts with the contract argument gives the clusters that
    /// PARTITION BY contract gives, and a contract out of order is an error.
    #[tokio::test]
    async fn the_contract_argument_matches_partition_by_contract() {
        let ctx = SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let rows: Vec<String> = (0..2000)
            .map(|i| {
                format!(
                    "({i}, 'C{}', to_timestamp_micros(1772463600000000 + {}), {})",
                    next() % 5,
                    next() % 2_000_000,
                    next() % 3
                )
            })
            .collect();
        let values = format!(
            "(VALUES {}) AS t(g, contract, ts, exchange)",
            rows.join(", ")
        );
        let run = |sql: String| {
            let ctx = ctx.clone();
            async move {
                let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
                let mut out = Vec::new();
                for batch in batches {
                    let column = |i: usize| batch.column(i).as_primitive::<Int64Type>().clone();
                    let (g, id, p, x) = (column(0), column(1), column(2), column(3));
                    for row in 0..batch.num_rows() {
                        out.push((g.value(row), id.value(row), p.value(row), x.value(row)));
                    }
                }
                out
            }
        };
        let by_partition = run(format!(
            "SELECT g, CAST(dense_rank() OVER (ORDER BY contract, c['id']) AS BIGINT), c['prints'], c['exchanges'] FROM \
             (SELECT g, contract, print_cluster(ts, exchange, 50) OVER (PARTITION BY contract ORDER BY ts, g) AS c FROM {values}) ORDER BY g"
        ))
        .await;
        let by_argument = run(format!(
            "SELECT g, CAST(dense_rank() OVER (ORDER BY c['id']) AS BIGINT), c['prints'], c['exchanges'] FROM \
             (SELECT g, print_cluster(ts, exchange, 50, 'anchored', contract) OVER (ORDER BY contract, ts, g) AS c FROM {values}) ORDER BY g"
        ))
        .await;
        assert_eq!(by_partition, by_argument);
        assert!(by_partition.iter().any(|r| r.2 >= 3));
        let error = ctx
            .sql(&format!(
                "SELECT print_cluster(ts, exchange, 50, 'gap', contract) OVER (ORDER BY ts) FROM {values}"
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("not in contract order"),
            "{error}"
        );
    }
}
