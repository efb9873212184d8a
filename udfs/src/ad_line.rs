//! `ad_line(high, low, close, volume)`: Chaikin's Accumulation/Distribution line.

use datafusion::arrow::array::Float64Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::running_window::{bar_at, bar_window_function, Step};

use crate::helpers::money_flow_multiplier::money_flow_multiplier;

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Chaikin's Accumulation/Distribution line (StockCharts ChartSchool): the running sum of \
money flow volume, MFM × volume, where the money flow multiplier MFM = ((close − low) − (high − close)) / \
(high − low), and 0 when high = low. The first bar's value is its own money flow volume. A bar with a NULL \
argument adds nothing (the line carries its value). Use it over one symbol in time order: \
OVER (PARTITION BY symbol ORDER BY ts); a frame clause (ROWS n PRECEDING) is ignored.",
    syntax_example = "ad_line(high, low, close, volume) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT date, round(ad_line(high, low, close, volume) OVER (ORDER BY date), 2) AS ad
  FROM bars WHERE symbol = 'IWM' AND timeframe = '1d' ORDER BY date LIMIT 2;
+------------+-------------+
| date       | ad          |
+------------+-------------+
| 2021-01-04 | 10073099.42 |
| 2021-01-05 | 389010.42   |
+------------+-------------+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close."),
    argument(name = "volume", description = "The bar's volume.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AdLine {
    signature: Signature,
}

bar_window_function!(AdLine, "ad_line",
    signature: Signature::exact(vec![DataType::Float64; 4], Volatility::Immutable),
    nullable: false, |_args| AdLineStep::default());

#[derive(Debug, Default)]
struct AdLineStep {
    line: f64,
}

impl Step for AdLineStep {
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64> {
        if let Some([high, low, close, volume]) = bar_at(columns, row) {
            self.line += money_flow_multiplier(high, low, close) * volume;
        }
        Some(self.line)
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, sheet_bars, stockcharts_sheet};

    #[tokio::test]
    async fn matches_the_stockcharts_sheet_on_every_row() {
        // cs-accum.csv: Date,High,Low,Close,MF Multiplier,Volume,MF Value,ADLine
        let sheet = stockcharts_sheet("cs-accum.csv");
        let rows = sheet_bars(&sheet, 5);
        let got = query_f64(
            "g, h, l, c, v",
            &rows,
            "SELECT ad_line(h, l, c, v) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got.len(), 30);
        for (row, expected) in sheet.iter().enumerate() {
            let expected: f64 = expected[7].parse().unwrap();
            let ours = got[row].unwrap();
            // The sheet shows 4 decimals.
            assert!(
                (ours - expected).abs() <= 0.00051,
                "row {row}: {ours} against the sheet's {expected}"
            );
        }
    }

    #[tokio::test]
    async fn equal_high_and_low_zero_volume_nulls_and_one_bar_partitions() {
        let rows = "(1, 1, 10, 10, 10, 500), (1, 2, 12, 10, 12, 0), (1, 3, NULL, 10, 11, 100), (1, 4, 12, 10, 10, 100), (2, 1, 12, 10, 11, 7)";
        let got = query_f64(
            "p, g, h, l, c, v",
            rows,
            "SELECT ad_line(h, l, c, v) OVER (PARTITION BY p ORDER BY g) FROM v ORDER BY p, g",
        )
        .await;
        // high = low: MFM 0. Zero volume: nothing. NULL: carried. Close at the low: −volume.
        // A one-bar partition whose close is mid-range: 0.
        assert_eq!(
            got,
            vec![Some(0.0), Some(0.0), Some(0.0), Some(-100.0), Some(0.0)]
        );
    }
}
