//! `chaikin_osc(high, low, close, volume [, fast, slow])`: the Chaikin Oscillator.

use datafusion::arrow::array::Float64Array;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::Signature;
use datafusion_macros::user_doc;

use crate::helpers::money_flow_multiplier::money_flow_multiplier;
use crate::helpers::running_window::{bar_at, bar_window_function, Step};
use crate::helpers::window_arguments::{bar_signature_with_periods, constant_period};

#[user_doc(
    doc_section(label = "Money flow"),
    description = "The Chaikin Oscillator: the fast EMA of the A/D line (`ad_line`) minus its slow EMA, \
each EMA with weight 2 / (period + 1). As in TA-Lib's ADOSC, both EMAs start at the first bar's A/D \
value and the result is NULL for the first slow − 1 bars (the EMAs' warm-up). StockCharts seeds its EMAs \
with a simple average instead, so its first values differ and the two converge. A bar with a NULL \
argument is NULL and is skipped. fast and slow default to 3 and 10. A frame clause is ignored.",
    syntax_example = "chaikin_osc(high, low, close, volume [, fast, slow]) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT date, round(chaikin_osc(high, low, close, volume) OVER (ORDER BY date), 2) AS oscillator
  FROM bars WHERE symbol = 'XRT' AND timeframe = '1d' ORDER BY date LIMIT 3 OFFSET 8;
+------------+------------+
| date       | oscillator |
+------------+------------+
| 2021-01-14 |            |
| 2021-01-15 | 9485848.83 |
| 2021-01-19 | 9848931.63 |
+------------+------------+
```"#,
    argument(name = "high", description = "The bar's high."),
    argument(name = "low", description = "The bar's low."),
    argument(name = "close", description = "The bar's close."),
    argument(name = "volume", description = "The bar's volume."),
    argument(
        name = "fast",
        description = "The fast EMA's period (a constant, default 3)."
    ),
    argument(
        name = "slow",
        description = "The slow EMA's period (a constant, default 10, more than fast)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ChaikinOsc {
    signature: Signature,
}

bar_window_function!(ChaikinOsc, "chaikin_osc", signature: bar_signature_with_periods(&[2]),
    nullable: true, |args| ChaikinOscStep::new(
        constant_period(&args, 4, 3, "chaikin_osc", "fast")?,
        constant_period(&args, 5, 10, "chaikin_osc", "slow")?,
    )?);

#[derive(Debug)]
struct ChaikinOscStep {
    fast_weight: f64,
    slow_weight: f64,
    slow: usize,
    line: f64,
    /// The fast and slow EMAs, from the first bar on.
    emas: Option<(f64, f64)>,
    bars: usize,
}

impl ChaikinOscStep {
    fn new(fast: usize, slow: usize) -> Result<Self> {
        if fast >= slow {
            return exec_err!("chaikin_osc: fast ({fast}) must be less than slow ({slow})");
        }
        Ok(Self {
            fast_weight: 2.0 / (fast as f64 + 1.0),
            slow_weight: 2.0 / (slow as f64 + 1.0),
            slow,
            line: 0.0,
            emas: None,
            bars: 0,
        })
    }
}

impl Step for ChaikinOscStep {
    fn step(&mut self, columns: &[Float64Array], row: usize) -> Option<f64> {
        let [high, low, close, volume] = bar_at(columns, row)?;
        self.line += money_flow_multiplier(high, low, close) * volume;
        let line = self.line;
        let (fast, slow) = match self.emas {
            None => (line, line),
            Some((fast, slow)) => (
                fast + self.fast_weight * (line - fast),
                slow + self.slow_weight * (line - slow),
            ),
        };
        self.emas = Some((fast, slow));
        self.bars += 1;
        (self.bars >= self.slow).then_some(fast - slow)
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::{query_f64, sheet_bars, stockcharts_sheet};

    /// The oscillator recomputed from the sheet's ADLine column with textbook EMAs.
    #[tokio::test]
    async fn equals_the_emas_of_the_sheet_ad_line() {
        let sheet = stockcharts_sheet("cs-accum.csv");
        let rows = sheet_bars(&sheet, 5);
        let got = query_f64(
            "g, h, l, c, v",
            &rows,
            "SELECT chaikin_osc(h, l, c, v) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        let line: Vec<f64> = sheet.iter().map(|r| r[7].parse().unwrap()).collect();
        let ema = |period: f64| -> Vec<f64> {
            let k = 2.0 / (period + 1.0);
            let mut values = vec![line[0]];
            for today in &line[1..] {
                let yesterday = *values.last().unwrap();
                values.push(today * k + yesterday * (1.0 - k));
            }
            values
        };
        let (fast, slow) = (ema(3.0), ema(10.0));
        assert!(got[..9].iter().all(Option::is_none));
        for row in 9..line.len() {
            let expected = fast[row] - slow[row];
            let ours = got[row].unwrap();
            // The sheet's A/D line carries 4 decimals.
            assert!(
                (ours - expected).abs() < 1e-3,
                "row {row}: {ours} against {expected}"
            );
        }
    }

    #[tokio::test]
    async fn periods_are_checked_and_nulls_skipped() {
        let rows =
            "(1, 10, 8, 10, 100), (2, NULL, 8, 8, 300), (3, 10, 8, 8, 100), (4, 10, 8, 9, 7)";
        let got = query_f64(
            "g, h, l, c, v",
            rows,
            "SELECT chaikin_osc(h, l, c, v, 1, 2) OVER (ORDER BY g) FROM v ORDER BY g",
        )
        .await;
        // A/D: 100, (NULL), 0, 0. Fast EMA (period 1) is the line itself; slow (k = 2/3):
        // 100 → 100/3 → 100/9.
        assert_eq!(got[0], None);
        assert_eq!(got[1], None);
        assert!((got[2].unwrap() - (0.0 - 100.0 / 3.0)).abs() < 1e-12);
        assert!((got[3].unwrap() - (0.0 - 100.0 / 9.0)).abs() < 1e-12);

        let ctx = datafusion::prelude::SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let error = ctx
            .sql("SELECT chaikin_osc(2.0, 1.0, 1.5, 10.0, 10, 3) OVER ()")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("fast (10) must be less than slow (3)"));
    }
}
