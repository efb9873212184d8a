//! `smart_money_index(ts, price, volume)`: Don Hays' Smart Money Index over intraday bars.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Float64Type, TimestampMicrosecondType,
};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, Volatility, WindowUDFImpl,
};
use datafusion_macros::user_doc;

use crate::helpers::new_york_session::{coerce_ts_price_volume, SessionCalendar, SessionDay};

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Don Hays' Smart Money Index: SMI(day) = SMI(previous day) − the first 30 minutes' change \
+ the last hour's change, starting from 0. The first 30 minutes' change is the price at 10:00 minus the \
previous session's close (Hays read the Dow at 10:00 against the prior close, so the overnight gap counts \
as the open's emotion; on the partition's first day, with no earlier close, it is measured from that day's \
first price). The last hour's change is the close minus the price one hour before it. Sessions are New \
York's (America/New_York): 09:30 to 16:00, 13:00 on the NYSE's early closes (July 3 and December 24 \
from Monday to Thursday, the day after Thanksgiving), so the last hour of an early close is 12:00 to \
13:00. The price at a time is the close (the price argument) of the last bar of the session that \
started before it, so with 5-minute or hourly bars the 10:00 price is the close of the bar that started \
before 10:00. Missing bars \
are explicit: a session with no bar before 10:00 has its 10:00 price at the previous close (change 0), \
one with no bar in its last hour has no last-hour change, and one whose first bar is in its last hour \
measures that hour from the previous close. Each row gets the index as known at the end \
of its bar, so there is no look-ahead; a session's last bar holds that day's SMI. Bars outside the \
session, with zero volume, or with a NULL argument change nothing (NULL arguments give NULL). The \
rows must be in time order: use it OVER (PARTITION BY symbol ORDER BY ts); a frame clause is ignored.",
    syntax_example = "smart_money_index(ts, price, volume) OVER (PARTITION BY symbol ORDER BY ts)",
    sql_example = r#"```sql
> SELECT date, round(last_value(smi ORDER BY ts), 4) AS smart_money_index FROM (
    SELECT date, ts, smart_money_index(ts, close, volume) OVER (ORDER BY ts) AS smi
    FROM bars WHERE symbol = 'IWM' AND timeframe = '1m')
  GROUP BY date ORDER BY date LIMIT 3;
+------------+-------------------+
| date       | smart_money_index |
+------------+-------------------+
| 2021-01-25 | -1.21             |
| 2021-01-26 | -1.72             |
| 2021-01-27 | -2.52             |
+------------+-------------------+
```"#,
    argument(
        name = "ts",
        description = "The bar's start (a timestamp; without a zone it is read as UTC)."
    ),
    argument(name = "price", description = "The bar's price (its close)."),
    argument(
        name = "volume",
        description = "The bar's volume: a bar that traded nothing sets no price."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SmartMoneyIndex {
    signature: Signature,
}

impl Default for SmartMoneyIndex {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl WindowUDFImpl for SmartMoneyIndex {
    fn name(&self) -> &str {
        "smart_money_index"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_ts_price_volume(self.name(), arg_types)
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(SmartMoneyIndexEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Float64,
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The state of one trading day as its bars arrive.
#[derive(Debug)]
struct Day {
    session: SessionDay,
    /// What the first 30 minutes' change is measured from: the previous close, or the day's first
    /// price when there is none.
    opening_reference: Option<f64>,
    opening_change: f64,
    /// The last session price before the last hour, then the last hour's reference.
    last_hour_reference: Option<f64>,
    last_hour_change: f64,
    last_price: Option<f64>,
}

impl Day {
    fn new(session: SessionDay, previous_close: Option<f64>) -> Day {
        Day {
            session,
            opening_reference: previous_close,
            opening_change: 0.0,
            last_hour_reference: previous_close,
            last_hour_change: 0.0,
            last_price: None,
        }
    }

    /// A bar in the session that traded at `price`, starting at `at`.
    fn trade(&mut self, at: i64, price: f64) {
        if at < self.session.first_half_hour_end {
            let reference = *self.opening_reference.get_or_insert(price);
            self.opening_change = price - reference;
        }
        if at < self.session.last_hour_start {
            self.last_hour_reference = Some(price);
        } else {
            let reference = *self.last_hour_reference.get_or_insert(price);
            self.last_hour_change = price - reference;
        }
        self.last_price = Some(price);
    }

    fn change(&self) -> f64 {
        self.last_hour_change - self.opening_change
    }
}

#[derive(Debug)]
struct SmartMoneyIndexEvaluator;

impl PartitionEvaluator for SmartMoneyIndexEvaluator {
    /// One pass in time order: the index before today, and today's two changes so far.
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let ts = values[0].as_primitive::<TimestampMicrosecondType>();
        let price = values[1].as_primitive::<Float64Type>();
        let volume = values[2].as_primitive::<Float64Type>();
        let mut calendar = SessionCalendar::default();
        let mut before_today = 0.0;
        let mut previous_close: Option<f64> = None;
        let mut today: Option<Day> = None;
        let mut previous_ts = i64::MIN;
        let mut out = Vec::with_capacity(num_rows);
        for row in 0..num_rows {
            if ts.is_null(row) || price.is_null(row) || volume.is_null(row) {
                out.push(None);
                continue;
            }
            let at = ts.value(row);
            if at < previous_ts {
                return exec_err!(
                    "smart_money_index: the rows are not in time order; use OVER (PARTITION BY symbol ORDER BY ts)"
                );
            }
            previous_ts = at;
            let Some(session) = calendar.day_of(at) else {
                return exec_err!("smart_money_index: timestamp {at} µs is out of range");
            };
            if today.as_ref().is_none_or(|day| day.session != session) {
                if let Some(finished) = today.take() {
                    before_today += finished.change();
                    previous_close = finished.last_price.or(previous_close);
                }
                today = Some(Day::new(session, previous_close));
            }
            let Some(day) = today.as_mut() else {
                unreachable!("today was just set")
            };
            if session.in_session(at) && volume.value(row) != 0.0 {
                day.trade(at, price.value(row));
            }
            out.push(Some(before_today + day.change()));
        }
        Ok(Arc::new(Float64Array::from(out)))
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    fn bars(rows: &[(&str, f64, f64)]) -> String {
        rows.iter()
            .enumerate()
            .map(|(i, (ts, p, v))| format!("({i}, TIMESTAMP '{ts}', {p}, {v})"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    async fn index(rows: &[(&str, f64, f64)]) -> Vec<Option<f64>> {
        query_f64(
            "g, ts, p, v",
            &bars(rows),
            "SELECT smart_money_index(ts, p, v) OVER (ORDER BY ts) FROM v ORDER BY g",
        )
        .await
    }

    #[tokio::test]
    async fn three_sessions_by_hand() {
        // Winter (EST, UTC−5): 09:30 = 14:30Z, 10:00 = 15:00Z, 15:00 = 20:00Z, 16:00 = 21:00Z.
        let rows = [
            // 2026-01-05, the first day: no previous close, so the opening is measured from
            // the first price (100). 10:00 price 102 → opening change +2. Price before the last
            // hour 104, close 103 → last hour −1. SMI = 0 − 2 − 1 = −3.
            ("2026-01-05T14:00:00Z", 99.0, 500.0), // pre-market: ignored
            ("2026-01-05T14:30:00Z", 100.0, 10.0),
            ("2026-01-05T14:59:00Z", 102.0, 10.0),
            ("2026-01-05T17:00:00Z", 104.0, 10.0),
            ("2026-01-05T20:30:00Z", 105.0, 10.0),
            ("2026-01-05T20:59:00Z", 103.0, 10.0),
            ("2026-01-05T22:00:00Z", 90.0, 10.0), // after hours: ignored
            // 2026-01-06: the opening is measured from the previous close 103: 10:00 price 101
            // → −2. No bar in the last hour → 0. SMI = −3 + 2 = −1.
            ("2026-01-06T14:45:00Z", 101.0, 10.0),
            ("2026-01-06T18:00:00Z", 110.0, 0.0), // traded nothing: sets no price
            ("2026-01-06T19:00:00Z", 108.0, 10.0),
            // 2026-11-27, the day after Thanksgiving, closes at 13:00 EST (18:00Z); its last
            // hour is 17:00Z to 18:00Z. No bar before 10:00 → opening change 0. The price
            // before the last hour is 120, the close 125 → +5. SMI = −1 + 5 = 4.
            ("2026-11-27T16:00:00Z", 120.0, 10.0),
            ("2026-11-27T17:30:00Z", 125.0, 10.0),
            ("2026-11-27T18:30:00Z", 200.0, 10.0), // after the early close: ignored
        ];
        let got = index(&rows).await;
        let expected = [
            0.0, 0.0, -2.0, -2.0, -1.0, -3.0, -3.0, // day 1: as known at each bar
            -1.0, -1.0, -1.0, // day 2
            -1.0, 4.0, 4.0, // day 3
        ];
        assert_eq!(got, expected.map(Some).to_vec());
    }

    #[tokio::test]
    async fn out_of_order_rows_are_an_error_not_a_wrong_answer() {
        let ctx = datafusion::prelude::SessionContext::new();
        crate::register_all_in_session(&ctx).expect("register");
        let error = ctx
            .sql(
                "SELECT smart_money_index(ts, 1.0, 1.0) OVER (ORDER BY g) FROM (VALUES \
                 (1, TIMESTAMP '2026-01-05T15:00:00Z'), (2, TIMESTAMP '2026-01-05T14:00:00Z')) AS t(g, ts)",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(error.to_string().contains("not in time order"), "{error}");
    }
}
