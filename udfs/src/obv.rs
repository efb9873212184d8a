//! `obv(close, volume)`: Granville's On-Balance Volume.

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion_macros::user_doc;

use crate::helpers::running_window::{bar_window_function, Step};

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Granville's On-Balance Volume, as StockCharts ChartSchool computes it: the first bar is 0 \
(it has no earlier close to compare with); after that a close above the previous close adds the bar's \
volume, a close below subtracts it, an equal close leaves it. A bar with a NULL close changes nothing and \
is not used as the previous close; a bar with a close but a NULL volume adds nothing but sets the close \
to compare with (as the sheet's first row does). Use it over one symbol in time order; a frame \
clause (ROWS n PRECEDING) is ignored.",
    syntax_example = "obv(close, volume) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT date, obv(close, volume) OVER (ORDER BY date) AS obv
  FROM bars WHERE symbol = 'IWM' AND timeframe = '1d' ORDER BY date LIMIT 3;
+------------+-------------+
| date       | obv         |
+------------+-------------+
| 2021-01-04 | 0.0         |
| 2021-01-05 | -29052267.0 |
| 2021-01-06 | -7173369.0  |
+------------+-------------+
```"#,
    argument(name = "close", description = "The bar's close."),
    argument(name = "volume", description = "The bar's volume.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Obv {
    signature: Signature,
}

bar_window_function!(Obv, "obv",
    signature: Signature::exact(vec![DataType::Float64; 2], Volatility::Immutable),
    nullable: false, |_args| ObvStep::default());

#[derive(Debug, Default)]
struct ObvStep {
    balance: f64,
    previous_close: Option<f64>,
}

impl Step for ObvStep {
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64> {
        let (close, volume) = (&columns[0], &columns[1]);
        if close.is_valid(row) {
            let today = close.value(row);
            if let (Some(previous), true) = (self.previous_close, volume.is_valid(row)) {
                if today > previous {
                    self.balance += volume.value(row);
                } else if today < previous {
                    self.balance -= volume.value(row);
                }
            }
            self.previous_close = Some(today);
        }
        Some(self.balance)
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, stockcharts_sheet};

    #[tokio::test]
    async fn matches_the_stockcharts_sheet_on_every_row() {
        // cs-obv.csv: Date,Close,Volume,up-down,positive-negative,OBV. The sheet's first row has
        // no volume and no OBV; every later row has both.
        let sheet = stockcharts_sheet("cs-obv.csv");
        let rows: Vec<String> = sheet
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "({i}, {}, {})",
                    r[1],
                    if r[2].is_empty() { "NULL" } else { &r[2] }
                )
            })
            .collect();
        let got = query_f64(
            "g, c, v",
            &rows.join(", "),
            "SELECT obv(c, v) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got.len(), sheet.len());
        let mut compared = 0;
        for (row, expected) in sheet.iter().enumerate().skip(1) {
            let expected: f64 = expected[5].parse().unwrap();
            assert_eq!(got[row], Some(expected), "row {row}");
            compared += 1;
        }
        assert_eq!(compared, 29);
    }

    #[tokio::test]
    async fn first_bar_is_zero_equal_closes_change_nothing_nulls_are_skipped() {
        let rows = "(1, 1, 10, 500), (1, 2, 10, 70), (1, 3, NULL, 80), (1, 4, 9, 30), (1, 5, 11, 5), (2, 1, 3, 9)";
        let got = query_f64(
            "p, g, c, v",
            rows,
            "SELECT obv(c, v) OVER (PARTITION BY p ORDER BY g) FROM v ORDER BY p, g",
        )
        .await;
        // 9 < 10 (the last non-NULL close) subtracts 30; 11 > 9 adds 5; a one-bar partition is 0.
        assert_eq!(
            got,
            vec![
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(-30.0),
                Some(-25.0),
                Some(0.0)
            ]
        );
    }
}
