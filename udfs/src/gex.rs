//! `gex(gamma, open_interest, spot, right)`: dealer gamma exposure of an option chain.

use std::mem::size_of_val;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::black_scholes::{coerce_numbers_then_right, Right};

#[user_doc(
    doc_section(label = "Options"),
    description = "Dealer gamma exposure (GEX) of the rows of the group, in dollars per 1 % move of the \
underlying: Σ gamma × open_interest × 100 × spot² × 0.01, calls counted positive and puts negative (the \
usual assumption that dealers are long the calls and short the puts the public trades). Group by strike \
for the profile, or over the whole chain for the total. Rows with a NULL argument are skipped; NULL when \
none is left. A right other than C/call/P/put is an error that names it.",
    syntax_example = "gex(gamma, open_interest, spot, right)",
    sql_example = r#"```sql
> SELECT gex(gamma, open_interest, 5000.0, right) AS gex
  FROM (VALUES (0.002, 1000, 'C'), (0.001, 3000, 'P')) AS chain(gamma, open_interest, right);
+-------------+
| gex         |
+-------------+
| -25000000.0 |
+-------------+
```"#,
    argument(
        name = "gamma",
        description = "The option's gamma (per 1.00 of spot, as bs_gamma gives it)."
    ),
    argument(name = "open_interest", description = "Open contracts."),
    argument(name = "spot", description = "The underlying's price."),
    argument(name = "right", description = "'C' (call) or 'P' (put).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Gex {
    signature: Signature,
}

impl Default for Gex {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Gex {
    fn name(&self) -> &str {
        "gex"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_numbers_then_right(self.name(), 3, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<GexAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format_state_name(args.name, "sum"),
                DataType::Float64,
                false,
            )),
            Arc::new(Field::new(
                format_state_name(args.name, "rows"),
                DataType::UInt64,
                false,
            )),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::<GexGroupsAccumulator>::default())
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Calls `f(row, exposure)` for every row without a NULL that passes the FILTER clause.
fn for_each_exposure(
    values: &[ArrayRef],
    opt_filter: Option<&BooleanArray>,
    mut f: impl FnMut(usize, f64),
) -> Result<()> {
    let [gamma, open_interest, spot] = [0, 1, 2].map(|i| values[i].as_primitive::<Float64Type>());
    let rights = values[3].as_string::<i32>();
    for row in 0..rights.len() {
        let passes = opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
        if !passes
            || rights.is_null(row)
            || gamma.is_null(row)
            || open_interest.is_null(row)
            || spot.is_null(row)
        {
            continue;
        }
        let sign = match Right::parse("gex", rights.value(row))? {
            Right::Call => 1.0,
            Right::Put => -1.0,
        };
        let s = spot.value(row);
        f(
            row,
            sign * gamma.value(row) * open_interest.value(row) * 100.0 * s * s * 0.01,
        );
    }
    Ok(())
}

#[derive(Debug, Default)]
struct GexAccumulator {
    sum: f64,
    rows: u64,
}

impl Accumulator for GexAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_exposure(values, None, |_, exposure| {
            self.sum += exposure;
            self.rows += 1;
        })
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_exposure(values, None, |_, exposure| {
            self.sum -= exposure;
            self.rows -= 1;
        })
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.sum += states[0]
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .sum::<f64>();
        self.rows += states[1]
            .as_primitive::<UInt64Type>()
            .values()
            .iter()
            .sum::<u64>();
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.sum)),
            ScalarValue::UInt64(Some(self.rows)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64((self.rows > 0).then_some(self.sum)))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

#[derive(Debug, Default)]
struct GexGroupsAccumulator {
    sums: Vec<f64>,
    rows: Vec<u64>,
}

impl GroupsAccumulator for GexGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, 0.0);
        self.rows.resize(total_num_groups, 0);
        let (sums, rows) = (&mut self.sums, &mut self.rows);
        for_each_exposure(values, opt_filter, |row, exposure| {
            sums[group_indices[row]] += exposure;
            rows[group_indices[row]] += 1;
        })
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, 0.0);
        self.rows.resize(total_num_groups, 0);
        let sums = values[0].as_primitive::<Float64Type>().values();
        let rows = values[1].as_primitive::<UInt64Type>().values();
        for (row, &group) in group_indices.iter().enumerate() {
            self.sums[group] += sums[row];
            self.rows[group] += rows[row];
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let rows = emit_to.take_needed(&mut self.rows);
        let out: Float64Array = sums
            .iter()
            .zip(&rows)
            .map(|(sum, rows)| (*rows > 0).then_some(*sum))
            .collect();
        Ok(Arc::new(out))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Float64Array::from(emit_to.take_needed(&mut self.sums))),
            Arc::new(UInt64Array::from(emit_to.take_needed(&mut self.rows))),
        ])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own partial state; skipped rows contribute (0, 0).
        let mut sums = vec![0.0; values[0].len()];
        let mut rows = vec![0u64; values[0].len()];
        for_each_exposure(values, opt_filter, |row, exposure| {
            sums[row] = exposure;
            rows[row] = 1;
        })?;
        Ok(vec![
            Arc::new(Float64Array::from(sums)),
            Arc::new(UInt64Array::from(rows)),
        ])
    }

    fn size(&self) -> usize {
        (self.sums.capacity() + self.rows.capacity()) * size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::query_f64;

    /// A generated chain (strikes around the spot, gammas from bs_gamma, open interest varying
    /// with the strike) against the same total written out as plain SQL sums.
    #[tokio::test]
    async fn generated_chain_against_plain_sums() {
        let spot = 5000.0;
        let rows: Vec<String> = (0..200)
            .map(|i| {
                let strike = 4000.0 + 10.0 * f64::from(i);
                let right = if i % 2 == 0 { "C" } else { "P" };
                let open_interest = 100 + (i * 7919) % 5000;
                format!("({strike}, '{right}', {open_interest}, {})", i % 5)
            })
            .collect();
        let sql = |aggregate: &str| {
            format!(
                "SELECT bucket, {aggregate} FROM (SELECT bucket, right, open_interest, \
                 bs_gamma({spot}, strike, 0.1, 0.04, 0.01, 0.18, right) AS gamma FROM v) \
                 GROUP BY bucket ORDER BY bucket"
            )
        };
        let ours = query_f64(
            "strike, right, open_interest, bucket",
            &rows.join(", "),
            &sql(&format!("gex(gamma, open_interest, {spot}, right)")),
        )
        .await;
        let plain = query_f64(
            "strike, right, open_interest, bucket",
            &rows.join(", "),
            &sql(&format!(
                "SUM(CASE WHEN right = 'C' THEN 1 ELSE -1 END * gamma * open_interest) * 100 * {spot} * {spot} / 100"
            )),
        )
        .await;
        assert_eq!(ours.len(), 5);
        for (a, b) in ours.iter().zip(&plain) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} against {b}");
        }
        let empty = query_f64("g, r", "(1.0, NULL)", "SELECT gex(g, 1, 2, r) FROM v").await;
        assert_eq!(empty, vec![None]);
    }
}
