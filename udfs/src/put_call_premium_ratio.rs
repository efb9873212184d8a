//! `put_call_premium_ratio(right, contracts, price)`: Σ put premium / Σ call premium.

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, MappedRatioAccumulator, MappedRatioGroupsAccumulator, RatioInputs,
};
use crate::put_call_ratio::{coerce_right_then_numbers, puts_and_calls};

#[user_doc(
    doc_section(label = "Options"),
    description = "The premium-weighted put/call ratio: Σ contracts × price of puts / Σ contracts × price of calls \
(the dollars paid, since the ×100 multiplier cancels). NULL when the group traded no call premium. Rows \
with a NULL argument are skipped; a right other than C/call/P/put is an error that names it.",
    syntax_example = "put_call_premium_ratio(right, contracts, price)",
    sql_example = r#"```sql
> SELECT put_call_premium_ratio(right, contracts, price) AS ratio
  FROM (VALUES ('C', 100, 2.0), ('P', 60, 5.0)) AS trades(right, contracts, price);
+-------+
| ratio |
+-------+
| 1.5   |
+-------+
```"#,
    argument(name = "right", description = "'C' (call) or 'P' (put)."),
    argument(name = "contracts", description = "The trade's size in contracts."),
    argument(
        name = "price",
        description = "The premium per share (the trade's price)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PutCallPremiumRatio {
    signature: Signature,
}

impl Default for PutCallPremiumRatio {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

#[derive(Debug, Default)]
struct PremiumInputs;

impl RatioInputs for PremiumInputs {
    fn ratio_inputs(
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        puts_and_calls("put_call_premium_ratio", values, opt_filter)
    }
}

ratio_of_sums_aggregate!(
    PutCallPremiumRatio,
    "put_call_premium_ratio",
    MappedRatioAccumulator<PremiumInputs>,
    MappedRatioGroupsAccumulator<PremiumInputs>,
    coerce: |types: &[DataType]| coerce_right_then_numbers("put_call_premium_ratio", 2, types)
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    #[tokio::test]
    async fn premium_weighted_against_conditional_sums() {
        let rows =
            "('C', 100, 2.0), ('P', 60, 5.0), ('c', 10, 0.5), ('put', 1, NULL), ('p', NULL, 3.0)";
        let got = query_f64(
            "right, contracts, price",
            rows,
            "SELECT put_call_premium_ratio(right, contracts, price) FROM v",
        )
        .await;
        // Puts: 60 × 5 = 300 (the NULL rows are skipped); calls: 100 × 2 + 10 × 0.5 = 205.
        assert_eq!(got, vec![Some(300.0 / 205.0)]);
    }
}
