//! The accumulator behind `dpi` and `dix`: a ratio of two sums, Σ a·w / Σ b·w.
//!
//! `dpi` is the unweighted case (w = 1), `dix` weights both sums by price. Summing first and
//! dividing once is the definition (a volume-weighted ratio), not an average of per-row ratios.
//! A row with a NULL in any argument is skipped in both sums, so numerator and denominator
//! always cover the same rows. A group without such rows, or whose denominator is 0, yields NULL;
//! the rows that add to the denominator are counted, so a window frame that all of them have left
//! (every call of a put/call ratio, say) is NULL even when
//! subtracting them left a rounding residue in the sums.

use std::mem::size_of_val;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// State fields shared by every ratio-of-sums aggregate: the two running sums and the number of
/// rows that added a non-zero term to the denominator.
pub(crate) fn state_fields(name: &str) -> Vec<FieldRef> {
    let field =
        |part, data_type| Arc::new(Field::new(format_state_name(name, part), data_type, false));
    vec![
        field("numerator", DataType::Float64),
        field("denominator", DataType::Float64),
        field("rows", DataType::UInt64),
    ]
}

/// What an aggregate makes of its two sums and its row count.
pub(crate) trait Finish: std::fmt::Debug + Default + Send + Sync + 'static {
    fn finish(numerator: f64, denominator: f64, rows: u64) -> Option<f64>;
}

/// numerator / denominator (`dpi`, `dix`, `vwap`, the put/call ratios).
#[derive(Debug, Default)]
pub(crate) struct Ratio;

impl Finish for Ratio {
    fn finish(numerator: f64, denominator: f64, rows: u64) -> Option<f64> {
        (rows > 0 && denominator != 0.0).then(|| numerator / denominator)
    }
}

/// The numerator alone, a plain sum (`gex`, whose denominator counts its rows).
#[derive(Debug, Default)]
pub(crate) struct Numerator;

impl Finish for Numerator {
    fn finish(numerator: f64, _denominator: f64, rows: u64) -> Option<f64> {
        (rows > 0).then_some(numerator)
    }
}

/// Applies `f(row, a·w, b·w)` to every row whose arguments are all non-NULL and that passes the
/// optional FILTER clause. `values` are the function's arguments, already coerced to Float64.
fn for_each_valid_row(
    values: &[ArrayRef],
    opt_filter: Option<&BooleanArray>,
    mut f: impl FnMut(usize, f64, f64),
) {
    let a = values[0].as_primitive::<Float64Type>();
    let b = values[1].as_primitive::<Float64Type>();
    let w = values.get(2).map(|w| w.as_primitive::<Float64Type>());
    let no_nulls = a.null_count() == 0
        && b.null_count() == 0
        && w.is_none_or(|w| w.null_count() == 0)
        && opt_filter.is_none();
    let (a_values, b_values) = (a.values(), b.values());
    if no_nulls {
        // The common case: a tight loop over the raw buffers.
        match w {
            None => {
                for row in 0..a_values.len() {
                    f(row, a_values[row], b_values[row]);
                }
            }
            Some(w) => {
                let w_values = w.values();
                for row in 0..a_values.len() {
                    f(
                        row,
                        a_values[row] * w_values[row],
                        b_values[row] * w_values[row],
                    );
                }
            }
        }
        return;
    }
    for row in 0..a_values.len() {
        let passes_filter =
            opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
        if !passes_filter || a.is_null(row) || b.is_null(row) || w.is_some_and(|w| w.is_null(row)) {
            continue;
        }
        let weight = w.map_or(1.0, |w| w.value(row));
        f(row, a_values[row] * weight, b_values[row] * weight);
    }
}

/// Row-at-a-time accumulator: used for a single group and for sliding window frames.
#[derive(Debug, Default)]
pub(crate) struct RatioOfSumsAccumulator<F: Finish = Ratio> {
    numerator: f64,
    denominator: f64,
    rows: u64,
    finish: std::marker::PhantomData<F>,
}

impl<F: Finish> Accumulator for RatioOfSumsAccumulator<F> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_valid_row(values, None, |_, a, b| {
            self.numerator += a;
            self.denominator += b;
            self.rows += u64::from(b != 0.0);
        });
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_valid_row(values, None, |_, a, b| {
            self.numerator -= a;
            self.denominator -= b;
            self.rows -= u64::from(b != 0.0);
        });
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.numerator += states[0]
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .sum::<f64>();
        self.denominator += states[1]
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .sum::<f64>();
        self.rows += states[2]
            .as_primitive::<UInt64Type>()
            .values()
            .iter()
            .sum::<u64>();
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.numerator)),
            ScalarValue::Float64(Some(self.denominator)),
            ScalarValue::UInt64(Some(self.rows)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(F::finish(
            self.numerator,
            self.denominator,
            self.rows,
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

/// Vectorised accumulator for GROUP BY: two running sums and a row count per group, updated in
/// one pass.
#[derive(Debug, Default)]
pub(crate) struct RatioOfSumsGroupsAccumulator<F: Finish = Ratio> {
    numerators: Vec<f64>,
    denominators: Vec<f64>,
    rows: Vec<u64>,
    finish: std::marker::PhantomData<F>,
}

impl<F: Finish> RatioOfSumsGroupsAccumulator<F> {
    fn resize(&mut self, total_num_groups: usize) {
        self.numerators.resize(total_num_groups, 0.0);
        self.denominators.resize(total_num_groups, 0.0);
        self.rows.resize(total_num_groups, 0);
    }
}

impl<F: Finish> GroupsAccumulator for RatioOfSumsGroupsAccumulator<F> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let (numerators, denominators, rows) =
            (&mut self.numerators, &mut self.denominators, &mut self.rows);
        for_each_valid_row(values, opt_filter, |row, a, b| {
            let group = group_indices[row];
            numerators[group] += a;
            denominators[group] += b;
            rows[group] += u64::from(b != 0.0);
        });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let numerators = values[0].as_primitive::<Float64Type>().values();
        let denominators = values[1].as_primitive::<Float64Type>().values();
        let rows = values[2].as_primitive::<UInt64Type>().values();
        for (row, &group) in group_indices.iter().enumerate() {
            self.numerators[group] += numerators[row];
            self.denominators[group] += denominators[row];
            self.rows[group] += rows[row];
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let numerators = emit_to.take_needed(&mut self.numerators);
        let denominators = emit_to.take_needed(&mut self.denominators);
        let rows = emit_to.take_needed(&mut self.rows);
        let ratios: Float64Array = (0..numerators.len())
            .map(|g| F::finish(numerators[g], denominators[g], rows[g]))
            .collect();
        Ok(Arc::new(ratios))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Float64Array::from(
                emit_to.take_needed(&mut self.numerators),
            )),
            Arc::new(Float64Array::from(
                emit_to.take_needed(&mut self.denominators),
            )),
            Arc::new(UInt64Array::from(emit_to.take_needed(&mut self.rows))),
        ])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own partial state; skipped rows contribute (0, 0, 0).
        let len = values[0].len();
        let mut numerators = vec![0.0; len];
        let mut denominators = vec![0.0; len];
        let mut rows = vec![0u64; len];
        for_each_valid_row(values, opt_filter, |row, a, b| {
            numerators[row] = a;
            denominators[row] = b;
            rows[row] = u64::from(b != 0.0);
        });
        Ok(vec![
            Arc::new(Float64Array::from(numerators)),
            Arc::new(Float64Array::from(denominators)),
            Arc::new(UInt64Array::from(rows)),
        ])
    }

    fn size(&self) -> usize {
        (self.numerators.capacity() + self.denominators.capacity() + self.rows.capacity())
            * size_of::<f64>()
    }
}

/// How an aggregate's arguments become the shared accumulators' (a, b[, w]) arrays: `vwap` turns
/// (price, volume) into (price, 1, volume), `put_call_ratio` turns (right, contracts) into
/// (put contracts, call contracts).
pub(crate) trait RatioInputs: std::fmt::Debug + Default + Send + Sync + 'static {
    /// Rows the FILTER clause drops may be left NULL (they are never read): so a value that only
    /// such rows hold cannot fail the query.
    fn ratio_inputs(
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>>;
}

/// The row accumulator over mapped arguments.
#[derive(Debug, Default)]
pub(crate) struct MappedRatioAccumulator<M: RatioInputs, F: Finish = Ratio>(
    RatioOfSumsAccumulator<F>,
    M,
);

impl<M: RatioInputs, F: Finish> Accumulator for MappedRatioAccumulator<M, F> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.update_batch(&M::ratio_inputs(values, None)?)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.retract_batch(&M::ratio_inputs(values, None)?)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.merge_batch(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.state()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.evaluate()
    }

    fn size(&self) -> usize {
        self.0.size()
    }
}

/// The groups accumulator over mapped arguments.
#[derive(Debug, Default)]
pub(crate) struct MappedRatioGroupsAccumulator<M: RatioInputs, F: Finish = Ratio>(
    RatioOfSumsGroupsAccumulator<F>,
    M,
);

impl<M: RatioInputs, F: Finish> GroupsAccumulator for MappedRatioGroupsAccumulator<M, F> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.update_batch(
            &M::ratio_inputs(values, opt_filter)?,
            group_indices,
            opt_filter,
            total_num_groups,
        )
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.merge_batch(values, group_indices, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.0.evaluate(emit_to)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.0.state(emit_to)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        self.0
            .convert_to_state(&M::ratio_inputs(values, opt_filter)?, opt_filter)
    }

    fn size(&self) -> usize {
        self.0.size()
    }
}

/// The `AggregateUDFImpl` of a ratio-of-sums aggregate (`dpi`, `dix`, `vwap`): they share the
/// state, the Float64 result and the accumulator design; only the name, the signature, the
/// documentation and the accumulator types differ.
macro_rules! ratio_of_sums_aggregate {
    ($function:ty, $name:literal, $accumulator:ty, $groups_accumulator:ty) => {
        $crate::helpers::ratio_of_sums::ratio_of_sums_aggregate!(
            $function,
            $name,
            $accumulator,
            $groups_accumulator,
            coerce: |_types| datafusion::common::not_impl_err!("{} has an exact signature", $name)
        );
    };
    ($function:ty, $name:literal, $accumulator:ty, $groups_accumulator:ty,
     coerce: $coerce:expr) => {
        impl datafusion::logical_expr::AggregateUDFImpl for $function {
            /// Used only with a `user_defined` signature.
            fn coerce_types(
                &self,
                arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
                ($coerce)(arg_types)
            }

            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }

            fn return_type(
                &self,
                _arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
                Ok(datafusion::arrow::datatypes::DataType::Float64)
            }

            fn accumulator(
                &self,
                _args: datafusion::logical_expr::function::AccumulatorArgs,
            ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::Accumulator>> {
                Ok(Box::<$accumulator>::default())
            }

            fn state_fields(
                &self,
                args: datafusion::logical_expr::function::StateFieldsArgs,
            ) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::FieldRef>> {
                Ok($crate::helpers::ratio_of_sums::state_fields(args.name))
            }

            fn groups_accumulator_supported(
                &self,
                _args: datafusion::logical_expr::function::AccumulatorArgs,
            ) -> bool {
                true
            }

            fn create_groups_accumulator(
                &self,
                _args: datafusion::logical_expr::function::AccumulatorArgs,
            ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::GroupsAccumulator>>
            {
                Ok(Box::<$groups_accumulator>::default())
            }

            fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
                self.doc()
            }
        }
    };
}
pub(crate) use ratio_of_sums_aggregate;
