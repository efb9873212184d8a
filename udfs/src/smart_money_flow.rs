//! `smart_money_flow(ts, price, volume)`: the dollars traded after the first 30 minutes of the New
//! York session minus the dollars traded in them.

use std::mem::size_of_val;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Float64Type, TimestampMicrosecondType, UInt64Type,
};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::helpers::new_york_session::{coerce_ts_price_volume, SessionCalendar};

#[user_doc(
    doc_section(label = "Money flow"),
    description = "Smart Money Flow as the spec defines it: (VWAP after the first 30 minutes × the volume then) \
− (VWAP of the first 30 minutes × the volume then), which is Σ price × volume of the bars from 10:00 to \
the close minus Σ price × volume of the bars from 09:30 to 10:00, in dollars. Sessions are New York's \
(America/New_York, daylight saving included): 09:30 to 16:00, 13:00 on the NYSE's early closes (July 3 \
and December 24 from Monday to Thursday, the day after Thanksgiving). A bar counts where its ts (its \
start) falls; pre-market and after-hours bars are left out. Group by symbol and trading date for the \
daily figure (the spec averages those over 20 days); over several days it sums each day's. NULL when \
no bar of the group is in a session. Rows with a NULL argument are skipped.",
    syntax_example = "smart_money_flow(ts, price, volume)",
    sql_example = r#"```sql
> SELECT date, round(smart_money_flow(ts, close, volume), 2) AS smart_money_flow
  FROM bars WHERE symbol = 'IWM' AND timeframe = '1m' GROUP BY date ORDER BY date LIMIT 3;
+------------+------------------+
| date       | smart_money_flow |
+------------+------------------+
| 2021-01-25 | 3923919170.0     |
| 2021-01-26 | 2920934823.22    |
| 2021-01-27 | 2691910897.62    |
+------------+------------------+
```"#,
    argument(
        name = "ts",
        description = "The bar's start (a timestamp; without a zone it is read as UTC)."
    ),
    argument(
        name = "price",
        description = "The bar's price (its close, or its VWAP)."
    ),
    argument(name = "volume", description = "The bar's volume.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SmartMoneyFlow {
    signature: Signature,
}

impl Default for SmartMoneyFlow {
    fn default() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for SmartMoneyFlow {
    fn name(&self) -> &str {
        "smart_money_flow"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_ts_price_volume(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<SmartMoneyFlowAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part, data_type| {
            Arc::new(Field::new(
                format_state_name(args.name, part),
                data_type,
                false,
            ))
        };
        Ok(vec![
            field("after_first_half_hour", DataType::Float64),
            field("first_half_hour", DataType::Float64),
            field("rows", DataType::UInt64),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::<SmartMoneyFlowGroupsAccumulator>::default())
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Dollars traded by one group: after the first half hour, in it, and the session rows counted.
#[derive(Debug, Default, Clone, Copy)]
struct Dollars {
    later: f64,
    first_half_hour: f64,
    rows: u64,
}

impl Dollars {
    fn add(&mut self, in_first_half_hour: bool, dollars: f64, sign: f64) {
        if in_first_half_hour {
            self.first_half_hour += sign * dollars;
        } else {
            self.later += sign * dollars;
        }
        if sign > 0.0 {
            self.rows += 1;
        } else {
            self.rows -= 1;
        }
    }

    fn flow(&self) -> Option<f64> {
        (self.rows > 0).then_some(self.later - self.first_half_hour)
    }
}

/// Calls `f(row, in_first_half_hour, price × volume)` for every row with no NULL argument, passing
/// the FILTER clause, whose ts is inside its day's New York session.
fn for_each_session_row(
    values: &[ArrayRef],
    opt_filter: Option<&BooleanArray>,
    calendar: &mut SessionCalendar,
    mut f: impl FnMut(usize, bool, f64),
) {
    let ts = values[0].as_primitive::<TimestampMicrosecondType>();
    let price = values[1].as_primitive::<Float64Type>();
    let volume = values[2].as_primitive::<Float64Type>();
    for row in 0..ts.len() {
        let passes_filter =
            opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
        if !passes_filter || ts.is_null(row) || price.is_null(row) || volume.is_null(row) {
            continue;
        }
        let at = ts.value(row);
        if let Some(day) = calendar.day_of(at).filter(|day| day.in_session(at)) {
            f(
                row,
                at < day.first_half_hour_end,
                price.value(row) * volume.value(row),
            );
        }
    }
}

/// Row-at-a-time accumulator: a single group, and sliding window frames.
#[derive(Debug, Default)]
struct SmartMoneyFlowAccumulator {
    dollars: Dollars,
    calendar: SessionCalendar,
}

impl SmartMoneyFlowAccumulator {
    fn apply(&mut self, values: &[ArrayRef], sign: f64) {
        let dollars = &mut self.dollars;
        for_each_session_row(values, None, &mut self.calendar, |_, early, amount| {
            dollars.add(early, amount, sign)
        });
    }
}

impl Accumulator for SmartMoneyFlowAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.apply(values, 1.0);
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.apply(values, -1.0);
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let sum = |i: usize| {
            states[i]
                .as_primitive::<Float64Type>()
                .values()
                .iter()
                .sum::<f64>()
        };
        self.dollars.later += sum(0);
        self.dollars.first_half_hour += sum(1);
        self.dollars.rows += states[2]
            .as_primitive::<UInt64Type>()
            .values()
            .iter()
            .sum::<u64>();
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.dollars.later)),
            ScalarValue::Float64(Some(self.dollars.first_half_hour)),
            ScalarValue::UInt64(Some(self.dollars.rows)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.dollars.flow()))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }
}

/// The partial state of `groups`, in the order of `state_fields`.
fn state_arrays(groups: &[Dollars]) -> Vec<ArrayRef> {
    let first_half_hour: Float64Array = groups.iter().map(|g| g.first_half_hour).collect();
    vec![
        Arc::new(groups.iter().map(|g| g.later).collect::<Float64Array>()),
        Arc::new(first_half_hour),
        Arc::new(groups.iter().map(|g| g.rows).collect::<UInt64Array>()),
    ]
}

/// Vectorised accumulator for GROUP BY: one `Dollars` per group, updated in one pass.
#[derive(Debug, Default)]
struct SmartMoneyFlowGroupsAccumulator {
    groups: Vec<Dollars>,
    calendar: SessionCalendar,
}

impl GroupsAccumulator for SmartMoneyFlowGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize(total_num_groups, Dollars::default());
        let groups = &mut self.groups;
        for_each_session_row(
            values,
            opt_filter,
            &mut self.calendar,
            |row, early, amount| groups[group_indices[row]].add(early, amount, 1.0),
        );
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize(total_num_groups, Dollars::default());
        let later = values[0].as_primitive::<Float64Type>().values();
        let first_half_hour = values[1].as_primitive::<Float64Type>().values();
        let rows = values[2].as_primitive::<UInt64Type>().values();
        for (row, &group) in group_indices.iter().enumerate() {
            let dollars = &mut self.groups[group];
            dollars.later += later[row];
            dollars.first_half_hour += first_half_hour[row];
            dollars.rows += rows[row];
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = emit_to.take_needed(&mut self.groups);
        Ok(Arc::new(
            groups.iter().map(Dollars::flow).collect::<Float64Array>(),
        ))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(state_arrays(&emit_to.take_needed(&mut self.groups)))
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each input row becomes its own partial state; rows outside a session contribute nothing.
        let mut groups = vec![Dollars::default(); values[0].len()];
        let mut calendar = SessionCalendar::default();
        for_each_session_row(values, opt_filter, &mut calendar, |row, early, amount| {
            groups[row].add(early, amount, 1.0)
        });
        Ok(state_arrays(&groups))
    }

    fn size(&self) -> usize {
        self.groups.capacity() * size_of::<Dollars>()
    }
}

#[cfg(test)]
mod tests {
    use crate::helpers::test_support::query_f64;

    /// Minute bars of two New York days, one in winter and one on an early close, checked
    /// against sums written out by hand.
    #[tokio::test]
    async fn first_half_hour_against_the_rest_of_the_session() {
        // 2026-01-05 (EST, UTC−5): 14:29 UTC is 09:29 (pre-market, left out), 14:30 is the open,
        // 14:59 is the last first-half-hour minute, 15:00 is 10:00, 20:59 is 15:59 and 21:00
        // (16:00) is after the close. 2026-11-27 closes at 13:00 EST = 18:00 UTC.
        let rows = "\
            (1, TIMESTAMP '2026-01-05T14:29:00Z', 100.0, 1000.0), \
            (1, TIMESTAMP '2026-01-05T14:30:00Z', 101.0, 10.0), \
            (1, TIMESTAMP '2026-01-05T14:59:00Z', 102.0, 20.0), \
            (1, TIMESTAMP '2026-01-05T15:00:00Z', 103.0, 30.0), \
            (1, TIMESTAMP '2026-01-05T20:59:00Z', 104.0, 40.0), \
            (1, TIMESTAMP '2026-01-05T21:00:00Z', 105.0, 5000.0), \
            (2, TIMESTAMP '2026-11-27T14:45:00Z', 50.0, 2.0), \
            (2, TIMESTAMP '2026-11-27T17:59:00Z', 51.0, 3.0), \
            (2, TIMESTAMP '2026-11-27T18:00:00Z', 52.0, 700.0), \
            (3, TIMESTAMP '2026-01-05T22:00:00Z', 9.0, 9.0), \
            (4, NULL, 9.0, 9.0)";
        let got = query_f64(
            "d, ts, p, v",
            rows,
            "SELECT d, smart_money_flow(ts, p, v) FROM v GROUP BY d ORDER BY d",
        )
        .await;
        let day_one = (103.0 * 30.0 + 104.0 * 40.0) - (101.0 * 10.0 + 102.0 * 20.0);
        let day_two = 51.0 * 3.0 - 50.0 * 2.0;
        assert_eq!(got, vec![Some(day_one), Some(day_two), None, None]);
        // Over both days it is the sum of each day's; one group goes through the row accumulator.
        let total = query_f64(
            "d, ts, p, v",
            rows,
            "SELECT smart_money_flow(ts, p, v) FROM v",
        )
        .await;
        assert_eq!(total, vec![Some(day_one + day_two)]);
    }

    #[tokio::test]
    async fn summer_time_and_a_timestamp_without_zone() {
        // 2026-07-06 (EDT, UTC−4): the open is 13:30 UTC, 10:00 is 14:00 UTC.
        let rows = "\
            (TIMESTAMP '2026-07-06 13:29:00', 10.0, 7.0), \
            (TIMESTAMP '2026-07-06 13:30:00', 10.0, 1.0), \
            (TIMESTAMP '2026-07-06 14:00:00', 20.0, 2.0)";
        let got = query_f64("ts, p, v", rows, "SELECT smart_money_flow(ts, p, v) FROM v").await;
        assert_eq!(got, vec![Some(40.0 - 10.0)]);
    }
}
