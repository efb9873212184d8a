//! `cmf(high, low, close, volume [, n])`: Chaikin Money Flow.

use std::collections::VecDeque;

use datafusion::arrow::array::Float64Array;
use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::money_flow_multiplier::money_flow_multiplier;
use crate::helpers::running_window::{bar_at, bar_window_function, Step};
use crate::helpers::window_arguments::{bar_signature_with_periods, constant_period};

const DEFAULT_PERIOD: usize = 20;

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Chaikin Money Flow (StockCharts ChartSchool): the sum of money flow volume (MFM × volume, \
MFM as in `mfm`) over the last n bars divided by the sum of their volume, between −1 and +1. NULL for \
the first n − 1 bars and when the n bars traded nothing. A bar with a NULL argument is NULL and is \
skipped (it is not one of the n). n defaults to 20 (at most 100,000). A frame clause is ignored: n \
sets the period.",
    syntax_example = "cmf(high, low, close, volume [, n]) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT date, round(cmf(high, low, close, volume, 5) OVER (ORDER BY date), 4) AS cmf
  FROM bars WHERE symbol = 'XRT' AND timeframe = '1d' ORDER BY date LIMIT 6;
+------------+--------+
| date       | cmf    |
+------------+--------+
| 2021-01-04 |        |
| 2021-01-05 |        |
| 2021-01-06 |        |
| 2021-01-07 |        |
| 2021-01-08 | 0.4265 |
| 2021-01-11 | 0.3479 |
+------------+--------+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close."),
    argument(name = "volume", description = "The bar's volume."),
    argument(
        name = "n",
        description = "How many bars to sum (a constant, default 20)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Cmf {
    signature: Signature,
}

bar_window_function!(Cmf, "cmf", signature: bar_signature_with_periods(&[1]), nullable: true,
    |args| CmfStep::new(constant_period(&args, 4, DEFAULT_PERIOD, "cmf", "n")?));

#[derive(Debug)]
struct CmfStep {
    period: usize,
    /// The last n (money flow volume, volume) pairs.
    window: VecDeque<(f64, f64)>,
}

impl CmfStep {
    fn new(period: usize) -> Self {
        Self {
            period,
            window: VecDeque::new(),
        }
    }
}

impl Step for CmfStep {
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64> {
        let [high, low, close, shares] = bar_at(columns, row)?;
        let multiplier = money_flow_multiplier(high, low, close);
        self.window.push_back((multiplier * shares, shares));
        if self.window.len() > self.period {
            self.window.pop_front();
        }
        // Summed afresh (n is small): no residue from subtracting the bar that left.
        (self.window.len() == self.period)
            .then(|| {
                self.window
                    .iter()
                    .fold((0.0, 0.0), |(f, v), (bf, bv)| (f + bf, v + bv))
            })
            .filter(|(_, shares)| *shares != 0.0)
            .map(|(flow, shares)| flow / shares)
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, sheet_bars, stockcharts_sheet};

    /// Chaikin Money Flow by its definition, from the sheet's own MF Volume and Volume columns.
    #[tokio::test]
    async fn equals_the_sheet_money_flow_volume_summed_over_n_bars() {
        // cs-accum.csv: Date,High,Low,Close,MF Multiplier,Volume,MF Value,ADLine. The sheet
        // rounds MF Value to 4 decimals; CMF(3) from those sums agrees to about 1e-8.
        let sheet = stockcharts_sheet("cs-accum.csv");
        let rows = sheet_bars(&sheet, 5);
        let got = query_f64(
            "g, h, l, c, v",
            &rows,
            "SELECT cmf(h, l, c, v, 3) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got.len(), sheet.len());
        assert_eq!(got[..2], [None, None]);
        for (row, ours) in got.iter().enumerate().skip(2) {
            let column = |c: usize| -> f64 {
                (row - 2..=row)
                    .map(|r| sheet[r][c].parse::<f64>().unwrap())
                    .sum()
            };
            let expected = column(6) / column(5);
            let ours = ours.unwrap();
            assert!(
                (ours - expected).abs() < 1e-7,
                "row {row}: {ours} against {expected}"
            );
        }
    }

    #[tokio::test]
    async fn flat_bars_no_volume_and_nulls() {
        // Bar 1 closes at its high (+1), bar 2 at its low (−1), bar 3 has no range (0), bar 4 is
        // NULL, bar 5 traded nothing.
        let rows = "(1, 10, 8, 10, 100), (2, 10, 8, 8, 300), (3, 9, 9, 9, 50), (4, NULL, 8, 9, 10), (5, 10, 8, 9, 0)";
        let got = query_f64(
            "g, h, l, c, v",
            rows,
            "SELECT cmf(h, l, c, v, 2) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        // (100 − 300) / 400; (−300 + 0) / 350; NULL; bars 3 and 5: 0 / 50.
        assert_eq!(got[0], None);
        assert_eq!(got[1], Some(-0.5));
        assert!((got[2].unwrap() + 300.0 / 350.0).abs() < 1e-15);
        assert_eq!(got[3], None);
        assert_eq!(got[4], Some(0.0));
        let no_volume = query_f64(
            "g, h, l, c, v",
            "(1, 10, 8, 9, 0), (2, 10, 8, 9, 0)",
            "SELECT cmf(h, l, c, v, 2) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(no_volume, vec![None, None]);
    }
}
