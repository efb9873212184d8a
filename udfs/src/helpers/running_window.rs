//! What the window functions over bars share: the `WindowUDFImpl` of those with only Float64
//! arguments and a value on every row (`ad_line`, `obv`), and `Stepping`, the evaluator of all of
//! them (`ad_line`, `obv`, `mfi`, `cmf`, `chaikin_osc`): one step per row, in window order, run
//! over a whole partition or streaming.

/// `Default` and `WindowUDFImpl` of a window function over bars evaluated by `Stepping`:
/// `signature` builds its signature, `nullable` says whether the result can be NULL, and
/// `|args| step` makes the `Step` of one partition from its `PartitionEvaluatorArgs` (`?` allowed).
macro_rules! bar_window_function {
    ($function:ty, $name:literal, signature: $signature:expr, nullable: $nullable:literal,
     |$args:ident| $step:expr) => {
        impl Default for $function {
            fn default() -> Self {
                Self {
                    signature: $signature,
                }
            }
        }

        impl datafusion::logical_expr::WindowUDFImpl for $function {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }

            fn partition_evaluator(
                &self,
                $args: datafusion::logical_expr::function::PartitionEvaluatorArgs,
            ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::PartitionEvaluator>>
            {
                Ok(Box::new($crate::helpers::running_window::Stepping::new(
                    $step,
                )))
            }

            fn field(
                &self,
                field_args: datafusion::logical_expr::function::WindowUDFFieldArgs,
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::FieldRef> {
                Ok(std::sync::Arc::new(
                    datafusion::arrow::datatypes::Field::new(
                        field_args.name(),
                        datafusion::arrow::datatypes::DataType::Float64,
                        $nullable,
                    ),
                ))
            }

            fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
                self.doc()
            }
        }
    };
}
pub(crate) use bar_window_function;

use std::fmt::Debug;
use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::PartitionEvaluator;

/// A window function over bars that computes each row from the rows before it, one row at a time,
/// in window order. `Stepping` turns it into a `PartitionEvaluator` both ways DataFusion runs one:
/// over a whole partition (`evaluate_all`, a tight loop), and streaming (`evaluate`, row by row,
/// which lets DataFusion use its bounded window operator: it emits each symbol's rows as soon as
/// the symbol ends instead of buffering the whole input).
pub(crate) trait Step: Debug + Send + 'static {
    /// The result of row `row` of the Float64 arguments `columns`, given every earlier row.
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64>;
}

#[derive(Debug)]
pub(crate) struct Stepping<S: Step> {
    step: S,
    /// The argument arrays last seen, and their Float64 views. On the streaming path `evaluate`
    /// is called once per row with the same arrays until the next batch: comparing pointers
    /// beats downcasting every argument of every row.
    seen: Vec<ArrayRef>,
    columns: Vec<Float64Array>,
}

impl<S: Step> Stepping<S> {
    pub(crate) fn new(step: S) -> Self {
        Self {
            step,
            seen: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Views the Float64 arguments (prices and volume come first; constant Int64 periods follow
    /// and are left out).
    fn see(&mut self, values: &[ArrayRef]) {
        let same =
            !self.seen.is_empty() && self.seen.iter().zip(values).all(|(a, b)| Arc::ptr_eq(a, b));
        if !same {
            self.columns = values
                .iter()
                .map_while(|v| v.as_primitive_opt::<Float64Type>().cloned())
                .collect();
            self.seen = values[..self.columns.len()].to_vec();
        }
    }
}

impl<S: Step> PartitionEvaluator for Stepping<S> {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        self.see(values);
        let out: Float64Array = (0..num_rows)
            .map(|row| self.step.step(&self.columns, row))
            .collect();
        Ok(Arc::new(out))
    }

    fn supports_bounded_execution(&self) -> bool {
        true
    }

    /// A row's result needs no later row.
    fn is_causal(&self) -> bool {
        true
    }

    /// Called once per row, in order; `range` is that row alone (the default `get_range`), so
    /// DataFusion may drop the rows before it.
    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> Result<ScalarValue> {
        self.see(values);
        Ok(ScalarValue::Float64(
            self.step.step(&self.columns, range.start),
        ))
    }
}

/// High, low, close and volume of row `row` of the first four columns, or None if one is NULL.
pub(crate) fn bar_at(columns: &[Float64Array], row: usize) -> Option<[f64; 4]> {
    let [high, low, close, volume] = [&columns[0], &columns[1], &columns[2], &columns[3]];
    (high.is_valid(row) && low.is_valid(row) && close.is_valid(row) && volume.is_valid(row)).then(
        || {
            [
                high.value(row),
                low.value(row),
                close.value(row),
                volume.value(row),
            ]
        },
    )
}
