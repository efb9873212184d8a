//! `gex(gamma, open_interest, spot, right)`: dealer gamma exposure of an option chain.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::{coerce_numbers_then_right, Right};
use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, MappedRatioAccumulator, MappedRatioGroupsAccumulator, Numerator,
    RatioInputs,
};

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

/// (gamma, open_interest, spot, right) → (signed exposure, 1): the numerator sums the exposure and
/// the denominator counts the rows, so a group with none is NULL. Rows with a NULL, or that the
/// FILTER clause drops (their right is not read), are NULL in both.
#[derive(Debug, Default)]
struct GexInputs;

impl RatioInputs for GexInputs {
    fn ratio_inputs(
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let [gamma, open_interest, spot] =
            [0, 1, 2].map(|i| values[i].as_primitive::<Float64Type>());
        let rights = values[3].as_string::<i32>();
        let mut exposures = Vec::with_capacity(rights.len());
        for row in 0..rights.len() {
            let passes = opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
            if !passes
                || rights.is_null(row)
                || gamma.is_null(row)
                || open_interest.is_null(row)
                || spot.is_null(row)
            {
                exposures.push(None);
                continue;
            }
            let sign = match Right::parse("gex", rights.value(row))? {
                Right::Call => 1.0,
                Right::Put => -1.0,
            };
            let s = spot.value(row);
            exposures.push(Some(
                sign * gamma.value(row) * open_interest.value(row) * 100.0 * s * s * 0.01,
            ));
        }
        let ones: Float64Array = exposures.iter().map(|e| e.map(|_| 1.0)).collect();
        Ok(vec![
            Arc::new(Float64Array::from(exposures)),
            Arc::new(ones),
        ])
    }
}

ratio_of_sums_aggregate!(
    Gex,
    "gex",
    MappedRatioAccumulator<GexInputs, Numerator>,
    MappedRatioGroupsAccumulator<GexInputs, Numerator>,
    coerce: |types: &[DataType]| coerce_numbers_then_right("gex", 3, types)
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

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
