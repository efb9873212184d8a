//! `vwap(price, volume)`: the volume-weighted average price, Σ price × volume / Σ volume.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::ratio_of_sums::{
    ratio_of_sums_aggregate, MappedRatioAccumulator, MappedRatioGroupsAccumulator, RatioInputs,
};

#[user_doc(
    doc_section(label = "Money flow"),
    description = "The volume-weighted average price of the rows of the group, Σ price × volume / Σ volume. \
Rows with a NULL argument are skipped; NULL when the group has no volume. As a window function it gives a \
running or rolling VWAP: vwap(typical_price(high, low, close), volume) OVER (ORDER BY ts ROWS 13 PRECEDING).",
    syntax_example = "vwap(price, volume)",
    sql_example = r#"```sql
> SELECT symbol, round(vwap(close, volume), 4) AS vwap
  FROM bars WHERE symbol = 'IWM' AND timeframe = '1d' GROUP BY symbol;
+--------+----------+
| symbol | vwap     |
+--------+----------+
| IWM    | 203.1989 |
+--------+----------+
```"#,
    argument(name = "price", description = "The trade's or bar's price."),
    argument(name = "volume", description = "Its volume, the weight.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Vwap {
    signature: Signature,
}

impl Default for Vwap {
    fn default() -> Self {
        Self {
            signature: Signature::exact(
                vec![DataType::Float64, DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

/// VWAP is the ratio of sums with numerator price·volume and denominator 1·volume: (price, volume)
/// becomes (price, 1, volume) for the shared accumulators.
#[derive(Debug, Default)]
struct VwapInputs;

impl RatioInputs for VwapInputs {
    fn ratio_inputs(values: &[ArrayRef], _: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let ones: ArrayRef = Arc::new(Float64Array::from(vec![1.0; values[0].len()]));
        Ok(vec![Arc::clone(&values[0]), ones, Arc::clone(&values[1])])
    }
}

ratio_of_sums_aggregate!(
    Vwap,
    "vwap",
    MappedRatioAccumulator<VwapInputs>,
    MappedRatioGroupsAccumulator<VwapInputs>
);

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, stockcharts_sheet};

    #[tokio::test]
    async fn rolling_vwap_matches_the_sheet_on_every_row() {
        // cs-vwap.csv: index,Date,High,Low,Close,Typical Price,Volume,vwap — a 14-bar rolling VWAP of
        // the typical price.
        let sheet = stockcharts_sheet("cs-vwap.csv");
        let rows: Vec<String> = sheet
            .iter()
            .map(|r| format!("({}, {}, {}, {}, {})", r[0], r[2], r[3], r[4], r[6]))
            .collect();
        let got = query_f64(
            "g, h, l, c, v",
            &rows.join(", "),
            "SELECT vwap(typical_price(h, l, c), v) OVER (ORDER BY g ROWS BETWEEN 13 PRECEDING AND CURRENT ROW) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got.len(), 30);
        for (row, expected) in sheet.iter().enumerate() {
            let expected: f64 = expected[7].parse().unwrap();
            assert!(
                (got[row].unwrap() - expected).abs() < 1e-9,
                "row {row}: {:?} against {expected}",
                got[row]
            );
        }
    }

    #[tokio::test]
    async fn grouped_with_nulls_and_no_volume() {
        let rows = "(1, 10.0, 100), (1, 11.0, 300), (1, NULL, 50), (2, 5.0, 0)";
        let got = query_f64(
            "g, p, v",
            rows,
            "SELECT g, vwap(p, v) FROM v GROUP BY g ORDER BY g",
        )
        .await;
        // (10×100 + 11×300) / 400 = 10.75; the NULL price is skipped with its volume.
        assert_eq!(got, vec![Some(10.75), None]);
    }
}
