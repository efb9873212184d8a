//! The accumulator behind `dpi` and `dix`: a ratio of two sums, Σ a·w / Σ b·w.
//!
//! `dpi` is the unweighted case (w = 1), `dix` weights both sums by price. Summing first and
//! dividing once is the definition (a volume-weighted ratio), not an average of per-row ratios.
//! A row with a NULL in any argument is skipped in both sums, so numerator and denominator
//! always cover the same rows. An empty group, or one whose denominator is 0, yields NULL.

use std::mem::size_of_val;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// State fields shared by every ratio-of-sums aggregate: the two running sums.
pub(crate) fn state_fields(name: &str) -> Vec<FieldRef> {
    vec![
        Arc::new(Field::new(
            format_state_name(name, "numerator"),
            DataType::Float64,
            false,
        )),
        Arc::new(Field::new(
            format_state_name(name, "denominator"),
            DataType::Float64,
            false,
        )),
    ]
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator)
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
pub(crate) struct RatioOfSumsAccumulator {
    numerator: f64,
    denominator: f64,
}

impl Accumulator for RatioOfSumsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_valid_row(values, None, |_, a, b| {
            self.numerator += a;
            self.denominator += b;
        });
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_valid_row(values, None, |_, a, b| {
            self.numerator -= a;
            self.denominator -= b;
        });
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let numerators = states[0].as_primitive::<Float64Type>();
        let denominators = states[1].as_primitive::<Float64Type>();
        self.numerator += numerators.values().iter().sum::<f64>();
        self.denominator += denominators.values().iter().sum::<f64>();
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.numerator)),
            ScalarValue::Float64(Some(self.denominator)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(ratio(
            self.numerator,
            self.denominator,
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

/// Vectorised accumulator for GROUP BY: one pair of sums per group, updated in one pass.
#[derive(Debug, Default)]
pub(crate) struct RatioOfSumsGroupsAccumulator {
    numerators: Vec<f64>,
    denominators: Vec<f64>,
}

impl GroupsAccumulator for RatioOfSumsGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.numerators.resize(total_num_groups, 0.0);
        self.denominators.resize(total_num_groups, 0.0);
        let (numerators, denominators) = (&mut self.numerators, &mut self.denominators);
        for_each_valid_row(values, opt_filter, |row, a, b| {
            let group = group_indices[row];
            numerators[group] += a;
            denominators[group] += b;
        });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.numerators.resize(total_num_groups, 0.0);
        self.denominators.resize(total_num_groups, 0.0);
        let numerators = values[0].as_primitive::<Float64Type>().values();
        let denominators = values[1].as_primitive::<Float64Type>().values();
        for (row, &group) in group_indices.iter().enumerate() {
            self.numerators[group] += numerators[row];
            self.denominators[group] += denominators[row];
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let numerators = emit_to.take_needed(&mut self.numerators);
        let denominators = emit_to.take_needed(&mut self.denominators);
        let ratios: Float64Array = numerators
            .into_iter()
            .zip(denominators)
            .map(|(n, d)| ratio(n, d))
            .collect();
        Ok(Arc::new(ratios))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let numerators = emit_to.take_needed(&mut self.numerators);
        let denominators = emit_to.take_needed(&mut self.denominators);
        Ok(vec![
            Arc::new(Float64Array::from(numerators)),
            Arc::new(Float64Array::from(denominators)),
        ])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own partial state; skipped rows contribute (0, 0).
        let rows = values[0].len();
        let mut numerators = vec![0.0; rows];
        let mut denominators = vec![0.0; rows];
        for_each_valid_row(values, opt_filter, |row, a, b| {
            numerators[row] = a;
            denominators[row] = b;
        });
        Ok(vec![
            Arc::new(Float64Array::from(numerators)),
            Arc::new(Float64Array::from(denominators)),
        ])
    }

    fn size(&self) -> usize {
        (self.numerators.capacity() + self.denominators.capacity()) * size_of::<f64>()
    }
}
