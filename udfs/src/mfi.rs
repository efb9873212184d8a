//! `mfi(high, low, close, volume [, n])`: the Money Flow Index.

use datafusion::arrow::array::Float64Array;
use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::running_window::{bar_at, bar_window_function, Step};
use crate::helpers::window_arguments::{bar_signature_with_periods, constant_period};

const DEFAULT_PERIOD: usize = 14;

#[user_doc(
    doc_section(label = "Money flow"),
    description = "The Money Flow Index (StockCharts ChartSchool, Achelis): typical price TP = (high + low + \
close) / 3, raw money flow = TP × volume, positive when TP rose from the previous bar, negative when it fell, \
neither when it is equal (to one part in 10^12: the same price reached by different highs, lows and \
closes can differ in the last bits of a float). MFI = 100 × Σ positive / (Σ positive + Σ negative) over the last n flows \
(= 100 − 100 / (1 + money ratio)), so 100 when nothing fell. NULL until n flows exist (the first n bars) \
and when the n flows are all zero. A bar with a NULL argument is NULL and is skipped. n defaults to 14 \
(at most 100,000). A frame clause is ignored: n sets the period.",
    syntax_example = "mfi(high, low, close, volume [, n]) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT count(mfi) AS days, round(min(mfi), 4) AS lowest, round(max(mfi), 4) AS highest FROM (
    SELECT mfi(high, low, close, volume, 14) OVER (ORDER BY date) AS mfi
    FROM bars WHERE symbol = 'VTI' AND timeframe = '1d');
+------+---------+---------+
| days | lowest  | highest |
+------+---------+---------+
| 5    | 48.2917 | 57.8364 |
+------+---------+---------+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close."),
    argument(name = "volume", description = "The bar's volume."),
    argument(
        name = "n",
        description = "How many money flows to sum (a constant, default 14)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Mfi {
    signature: Signature,
}

bar_window_function!(Mfi, "mfi", signature: bar_signature_with_periods(&[1]), nullable: true,
    |args| MfiStep::new(constant_period(&args, 4, DEFAULT_PERIOD, "mfi", "n")?));

#[derive(Debug)]
struct MfiStep {
    period: usize,
    /// The last n positive and negative money flows, in ring buffers; `flows` counts every flow
    /// so far and, once the buffers hold n, `flows % period` is where the next one goes.
    positive: Vec<f64>,
    negative: Vec<f64>,
    flows: usize,
    previous_typical: Option<f64>,
}

impl MfiStep {
    fn new(period: usize) -> Self {
        Self {
            period,
            positive: Vec::new(),
            negative: Vec::new(),
            flows: 0,
            previous_typical: None,
        }
    }
}

/// Whether two typical prices are the same price. (high + low + close) / 3 of different bars can
/// be the same number yet differ in the last bits: (46.41 + 46.36 + 46.40) / 3 and
/// (46.44 + 46.31 + 46.42) / 3 are both 46.39 but differ by 1.4e-14 in floating point. Prices
/// that differ by a real tick differ by far more than one part in 10^12 (a cent in $10 million),
/// rounding by far less. TA-Lib does the same, with about one part in 10^14.
fn same_price(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

impl Step for MfiStep {
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64> {
        let [high, low, close, volume] = bar_at(columns, row)?;
        let typical = (high + low + close) / 3.0;
        let raw = typical * volume;
        if let Some(previous) = self.previous_typical {
            let unchanged = same_price(typical, previous);
            let positive = if typical > previous && !unchanged {
                raw
            } else {
                0.0
            };
            let negative = if typical < previous && !unchanged {
                raw
            } else {
                0.0
            };
            // The buffers grow to n flows (a partition shorter than n never allocates n), then
            // the oldest flow is overwritten.
            if self.positive.len() < self.period {
                self.positive.push(positive);
                self.negative.push(negative);
            } else {
                let slot = self.flows % self.period;
                self.positive[slot] = positive;
                self.negative[slot] = negative;
            }
            self.flows += 1;
        }
        self.previous_typical = Some(typical);
        if self.flows < self.period {
            return None;
        }
        // Summed afresh (n is small): no rounding residue from subtracting old flows, so n
        // flows of 0 give exactly 0 and NULL.
        let positive: f64 = self.positive.iter().sum();
        let negative: f64 = self.negative.iter().sum();
        (positive + negative != 0.0).then(|| 100.0 * positive / (positive + negative))
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, sheet_bars, stockcharts_sheet};

    #[tokio::test]
    async fn matches_the_stockcharts_sheet_on_every_row() {
        // cs-mfi.csv: Date,High,Low,Close,Typical Price,Up or Down,Volume,…,MFI (column 13).
        let sheet = stockcharts_sheet("cs-mfi.csv");
        let rows = sheet_bars(&sheet, 6);
        let got = query_f64(
            "g, h, l, c, v",
            &rows,
            "SELECT mfi(h, l, c, v) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got.len(), 30);
        for (row, expected) in sheet.iter().enumerate() {
            match expected[13].as_str() {
                "" => assert_eq!(got[row], None, "row {row}: the sheet has no MFI yet"),
                text => {
                    let expected: f64 = text.parse().unwrap();
                    let ours = got[row].unwrap();
                    // The sheet shows 5 decimals.
                    assert!(
                        (ours - expected).abs() <= 0.0000051,
                        "row {row}: {ours} against the sheet's {expected}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn the_same_typical_price_from_different_bars_is_equal() {
        // Both typical prices are 46.39; in floating point the second is 1.4e-14 lower. With
        // n = 1 the second bar's single flow is neither positive nor negative: NULL, not 0.
        let got = query_f64(
            "g, h, l, c, v",
            "(1, 46.44, 46.31, 46.42, 100), (2, 46.41, 46.36, 46.40, 100)",
            "SELECT mfi(h, l, c, v, 1) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        assert_eq!(got, vec![None, None]);
    }

    #[tokio::test]
    async fn equal_typical_prices_nothing_fell_and_a_custom_period() {
        // Typical prices 10, 11, 11, 12: flows +33, none, +48 (with volume 3 and 4).
        let rows = "(1, 10, 10, 10, 1), (2, 11, 11, 11, 3), (3, 11, 11, 11, 9), (4, 12, 12, 12, 4), (5, 11, 11, 11, 2)";
        let got = query_f64(
            "g, h, l, c, v",
            rows,
            "SELECT mfi(h, l, c, v, 2) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        // n = 2: bars 3 to 5. Bar 3: +33, 0 → 100. Bar 4: 0, +48 → 100. Bar 5: +48, −22 → 100×48/70.
        assert_eq!(got[..2], [None, None]);
        assert_eq!(got[2], Some(100.0));
        assert_eq!(got[3], Some(100.0));
        assert!((got[4].unwrap() - 100.0 * 48.0 / 70.0).abs() < 1e-12);
    }
}
