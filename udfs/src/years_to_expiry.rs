//! `years_to_expiry(ts, expiry)`: the time an option has left, in the years the Black-Scholes
//! functions take.

use std::sync::Arc;

use chrono::TimeZone;
use chrono_tz::America::New_York;
use datafusion::arrow::array::{Array, AsArray, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

#[user_doc(
    doc_section(label = "Options"),
    description = "The years from `ts` to the option's expiry, taken as 16:00 New York time on the \
expiry date (the close, in the zone's daylight-saving time of that day), counted as actual days / 365 \
to the microsecond: the `t` of bs_price, the Greeks and implied_vol. NULL after that moment (the \
option has expired) and for NULL arguments. AM-settled index options (SPX monthlies) stop trading the \
day before: their last day's value here overstates the time left by the hours to 16:00.",
    syntax_example = "years_to_expiry(ts, expiry)",
    sql_example = r#"```sql
> SELECT round(years_to_expiry(TIMESTAMP '2026-03-02T14:30:00Z', DATE '2026-03-20') * 365, 6) AS days,
         round(years_to_expiry(TIMESTAMP '2026-03-20T19:30:00Z', DATE '2026-03-20') * 365 * 24, 6) AS hours_left_on_the_day;
+-----------+-----------------------+
| days      | hours_left_on_the_day |
+-----------+-----------------------+
| 18.229167 | 0.5                   |
+-----------+-----------------------+
```"#,
    argument(
        name = "ts",
        description = "The time of the trade (a timestamp; without a zone it is read as UTC)."
    ),
    argument(name = "expiry", description = "The expiry date.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct YearsToExpiry {
    signature: Signature,
}

impl Default for YearsToExpiry {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const MICROS_PER_YEAR: f64 = 365.0 * 86_400.0 * 1e6;

/// 16:00 New York time on the expiry date (days since 1970-01-01), in µs since the epoch.
fn close_micros(expiry_days: i32) -> Option<i64> {
    let date = datafusion::arrow::temporal_conversions::date32_to_datetime(expiry_days)?.date();
    let close = New_York
        .from_local_datetime(&date.and_hms_opt(16, 0, 0)?)
        .earliest()?;
    Some(close.timestamp_micros())
}

impl ScalarUDFImpl for YearsToExpiry {
    fn name(&self) -> &str {
        "years_to_expiry"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [DataType::Timestamp(..) | DataType::Null, DataType::Date32
            | DataType::Date64
            | DataType::Null
            | DataType::Utf8
            | DataType::Utf8View] => Ok(vec![
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                DataType::Date32,
            ]),
            _ => plan_err!(
                "years_to_expiry(ts, expiry) takes a timestamp and a date, not {arg_types:?}"
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let ts = arrays[0].as_primitive::<TimestampMicrosecondType>();
        let expiry = arrays[1].as_primitive::<Date32Type>();
        let mut out = Float64Builder::with_capacity(ts.len());
        // Rows come grouped by contract: the last expiry's close is usually the one needed.
        let mut last: Option<(i32, Option<i64>)> = None;
        for row in 0..ts.len() {
            if ts.is_null(row) || expiry.is_null(row) {
                out.append_null();
                continue;
            }
            let day = expiry.value(row);
            let close = match last {
                Some((cached, close)) if cached == day => close,
                _ => {
                    let close = close_micros(day);
                    last = Some((day, close));
                    close
                }
            };
            match close.map(|c| c - ts.value(row)) {
                Some(left) if left >= 0 => out.append_value(left as f64 / MICROS_PER_YEAR),
                _ => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    #[tokio::test]
    async fn counts_to_the_new_york_close_in_either_season() {
        let got = query_f64(
            "g, ts, expiry",
            "(1, TIMESTAMP '2026-03-06T20:00:00Z', DATE '2026-03-06'), \
             (2, TIMESTAMP '2026-03-09T19:00:00Z', DATE '2026-03-09'), \
             (3, TIMESTAMP '2026-03-06T21:00:00.000001Z', DATE '2026-03-06'), \
             (4, TIMESTAMP '2026-03-06T21:00:00Z', DATE '2026-03-13'), \
             (5, NULL, DATE '2026-03-13')",
            "SELECT years_to_expiry(ts, expiry) * 365 * 24 FROM v ORDER BY g",
        )
        .await;
        // Winter: 16:00 EST = 21:00Z; after the 2026-03-08 switch: 16:00 EDT = 20:00Z. From
        // Friday 16:00 EST to the next Friday 16:00 EDT is 7 days less the hour the clocks lost.
        let expected = [Some(1.0), Some(1.0), None, Some(7.0 * 24.0 - 1.0), None];
        for (got, expected) in got.iter().zip(expected) {
            match (got, expected) {
                (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{g} vs {e}"),
                _ => assert_eq!(*got, expected),
            }
        }
    }
}
