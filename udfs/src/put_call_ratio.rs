//! `put_call_ratio(right, contracts)`: Σ put contracts / Σ call contracts.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::black_scholes::Right;
use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, MappedRatioAccumulator, MappedRatioGroupsAccumulator, RatioInputs,
};

#[user_doc(
    doc_section(label = "Options"),
    description = "The put/call ratio of the rows of the group: Σ contracts of puts / Σ contracts of calls, as \
CBOE computes its daily ratios from volume. NULL when the group traded no calls. Rows with a NULL \
argument are skipped; a right other than C/call/P/put is an error that names it. Vectorised for GROUP BY, \
and a sliding window function too. put_call_premium_ratio weighs each trade by its premium instead.",
    syntax_example = "put_call_ratio(right, contracts)",
    sql_example = r#"```sql
> SELECT put_call_ratio(right, contracts) AS ratio
  FROM (VALUES ('C', 100), ('P', 60), ('call', 20), ('put', 30)) AS trades(right, contracts);
+-------+
| ratio |
+-------+
| 0.75  |
+-------+
```"#,
    argument(name = "right", description = "'C' (call) or 'P' (put)."),
    argument(
        name = "contracts",
        description = "The trade's size in contracts (or any volume)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PutCallRatio {
    signature: Signature,
}

impl Default for PutCallRatio {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The right as Utf8 and the numbers as Float64, for `(right, number, …)` aggregates.
pub(crate) fn coerce_right_then_numbers(
    function: &str,
    numbers: usize,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    let string = matches!(
        arg_types.first(),
        Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null)
    );
    let numeric = arg_types
        .iter()
        .skip(1)
        .all(|t| t.is_numeric() || t.is_null());
    if string && numeric && arg_types.len() == numbers + 1 {
        let mut types = vec![DataType::Utf8];
        types.extend(std::iter::repeat_n(DataType::Float64, numbers));
        Ok(types)
    } else {
        plan_err!(
            "{function} takes the right ('C' or 'P') and {numbers} number(s), not {arg_types:?}"
        )
    }
}

/// (right, contracts[, weight]) → (put contracts, call contracts[, weight]); NULL where the right
/// or the contracts are NULL, so the row is skipped in both sums, and where the FILTER clause drops
/// the row (its right is not even read).
pub(crate) fn puts_and_calls(
    function: &str,
    values: &[ArrayRef],
    opt_filter: Option<&BooleanArray>,
) -> Result<Vec<ArrayRef>> {
    let rights = values[0].as_string::<i32>();
    let contracts = values[1].as_primitive::<Float64Type>();
    let mut puts = Vec::with_capacity(rights.len());
    let mut calls = Vec::with_capacity(rights.len());
    for row in 0..rights.len() {
        let passes = opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
        if !passes || rights.is_null(row) || contracts.is_null(row) {
            puts.push(None);
            calls.push(None);
            continue;
        }
        let size = contracts.value(row);
        match Right::parse(function, rights.value(row))? {
            Right::Put => {
                puts.push(Some(size));
                calls.push(Some(0.0));
            }
            Right::Call => {
                puts.push(Some(0.0));
                calls.push(Some(size));
            }
        }
    }
    let mut out: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(puts)),
        Arc::new(Float64Array::from(calls)),
    ];
    out.extend(values.get(2).cloned());
    Ok(out)
}

#[derive(Debug, Default)]
struct ContractInputs;

impl RatioInputs for ContractInputs {
    fn ratio_inputs(
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        puts_and_calls("put_call_ratio", values, opt_filter)
    }
}

ratio_of_sums_aggregate!(
    PutCallRatio,
    "put_call_ratio",
    MappedRatioAccumulator<ContractInputs>,
    MappedRatioGroupsAccumulator<ContractInputs>,
    coerce: |types: &[DataType]| coerce_right_then_numbers("put_call_ratio", 1, types)
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    /// Grouped, single-group and sliding-window paths against plain conditional sums.
    #[tokio::test]
    async fn every_path_agrees_with_conditional_sums() {
        let rows: Vec<String> = (0..400)
            .map(|i| {
                let right = ["C", "P", "call", "put", "c"][i % 5];
                let contracts = if i % 37 == 0 {
                    "NULL".to_string()
                } else {
                    ((i * 7919) % 97 + 1).to_string()
                };
                format!("({}, {i}, '{right}', {contracts})", i % 4)
            })
            .collect();
        let rows = rows.join(", ");
        let expected = |sql: &str| {
            let sql = sql.to_string();
            let rows = rows.clone();
            async move { query_f64("g, i, right, contracts", &rows, &sql).await }
        };
        let plain = |over: &str| {
            format!(
                "SUM(CASE WHEN lower(right) IN ('p', 'put') THEN CAST(contracts AS DOUBLE) END){over} / \
                 SUM(CASE WHEN lower(right) IN ('c', 'call') THEN contracts END){over}"
            )
        };
        let window = " OVER (ORDER BY i ROWS 9 PRECEDING)";
        for (ours, theirs) in [
            (
                "SELECT g, put_call_ratio(right, contracts) FROM v GROUP BY g ORDER BY g"
                    .to_string(),
                format!("SELECT g, {} FROM v GROUP BY g ORDER BY g", plain("")),
            ),
            (
                "SELECT put_call_ratio(right, contracts) FROM v".to_string(),
                format!("SELECT {} FROM v", plain("")),
            ),
            (
                format!("SELECT put_call_ratio(right, contracts){window} FROM v ORDER BY i"),
                format!("SELECT {} FROM v ORDER BY i", plain(window)),
            ),
        ] {
            let (a, b) = (expected(&ours).await, expected(&theirs).await);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                match (x, y) {
                    (Some(x), Some(y)) => assert!((x - y).abs() < 1e-12, "{ours}: {x} against {y}"),
                    _ => assert_eq!(x, y, "{ours}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn a_filtered_out_bad_right_is_not_read_and_a_frame_without_calls_is_null() {
        let got = query_f64(
            "g, r, n",
            "(1, 'C', 4), (1, 'P', 2), (1, 'X', 5), (2, 'P', 1)",
            "SELECT g, put_call_ratio(r, n) FILTER (WHERE r <> 'X') FROM v GROUP BY g ORDER BY g",
        )
        .await;
        assert_eq!(got, vec![Some(0.5), None]);
        // Once both calls have left the frame, 0.1 + 0.2 − 0.1 − 0.2 leaves 2.8e-17, not 0.
        let sliding = query_f64(
            "i, r, n",
            "(1, 'C', 0.1), (2, 'C', 0.2), (3, 'P', 1.0), (4, 'P', 1.0)",
            "SELECT put_call_ratio(r, n) OVER (ORDER BY i ROWS 1 PRECEDING) FROM v ORDER BY i",
        )
        .await;
        assert_eq!(sliding[3], None, "{sliding:?}");
    }

    #[tokio::test]
    async fn no_calls_is_null() {
        let got = query_f64(
            "right, contracts",
            "('P', 5), ('P', NULL)",
            "SELECT put_call_ratio(right, contracts) FROM v",
        )
        .await;
        assert_eq!(got, vec![None]);
    }
}
