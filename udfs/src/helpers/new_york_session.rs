//! The New York Stock Exchange's regular session (09:30 to 16:00 America/New_York, 13:00 on early
//! closes) as UTC instants, for the functions that split a trading day (`smart_money_flow`,
//! `smart_money_index`) and for partitioning intraday bars by trading date.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::America::New_York;

/// One New York calendar day and its session's boundaries, in microseconds since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionDay {
    /// The trading date (the New York calendar date).
    pub date: NaiveDate,
    /// New York midnight starting the date, and the next one (23, 24 or 25 hours later).
    pub day_start: i64,
    pub day_end: i64,
    /// 09:30.
    pub open: i64,
    /// 10:00, the end of the first 30 minutes.
    pub first_half_hour_end: i64,
    /// One hour before the close.
    pub last_hour_start: i64,
    /// 16:00, or 13:00 on an early close.
    pub close: i64,
}

impl SessionDay {
    /// The New York day holding `micros` (an instant in UTC).
    pub fn containing(micros: i64) -> Option<SessionDay> {
        let instant = DateTime::from_timestamp_micros(micros)?;
        Self::of(instant.with_timezone(&New_York).date_naive())
    }

    /// The session of New York date `date`.
    pub fn of(date: NaiveDate) -> Option<SessionDay> {
        let at = |day: NaiveDate, hour: u32, minute: u32| -> Option<i64> {
            let local = day.and_time(NaiveTime::from_hms_opt(hour, minute, 0)?);
            // Midnight and the session's hours exist exactly once on every New York day (clocks
            // change at 02:00), so `single` never refuses them.
            Some(
                New_York
                    .from_local_datetime(&local)
                    .single()?
                    .timestamp_micros(),
            )
        };
        let (close_hour, close_minute) = if is_early_close(date) {
            (13, 0)
        } else {
            (16, 0)
        };
        let close = at(date, close_hour, close_minute)?;
        Some(SessionDay {
            date,
            day_start: at(date, 0, 0)?,
            day_end: at(date.succ_opt()?, 0, 0)?,
            open: at(date, 9, 30)?,
            first_half_hour_end: at(date, 10, 0)?,
            last_hour_start: close - Duration::hours(1).num_microseconds()?,
            close,
        })
    }

    pub fn contains(&self, micros: i64) -> bool {
        (self.day_start..self.day_end).contains(&micros)
    }

    pub fn in_session(&self, micros: i64) -> bool {
        (self.open..self.close).contains(&micros)
    }
}

/// Remembers the last day looked up: rows come in time order, so almost every lookup is a hit
/// and costs two comparisons instead of a time-zone conversion.
#[derive(Debug, Default)]
pub struct SessionCalendar {
    last: Option<SessionDay>,
}

impl SessionCalendar {
    pub fn day_of(&mut self, micros: i64) -> Option<SessionDay> {
        match self.last {
            Some(day) if day.contains(micros) => Some(day),
            _ => {
                self.last = SessionDay::containing(micros);
                self.last
            }
        }
    }
}

/// The NYSE's scheduled 13:00 closes: July 3 and December 24 when they fall Monday to Thursday
/// (on a Friday they are the observed holiday), and the day after Thanksgiving (the fourth
/// Thursday of November). Unscheduled closures are not in any rule; their bars are simply absent.
pub fn is_early_close(date: NaiveDate) -> bool {
    let monday_to_thursday = matches!(
        date.weekday(),
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu
    );
    match (date.month(), date.day()) {
        (7, 3) | (12, 24) => monday_to_thursday,
        // The fourth Thursday falls on the 22nd to the 28th.
        (11, day) => date.weekday() == Weekday::Fri && (23..=29).contains(&day),
        _ => false,
    }
}

/// The argument types of the functions over `(ts, price, volume)`: any timestamp becomes
/// microseconds in UTC (a timestamp without a zone is read as UTC), numbers become Float64.
pub(crate) fn coerce_ts_price_volume(
    function: &str,
    arg_types: &[datafusion::arrow::datatypes::DataType],
) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
    use datafusion::arrow::datatypes::{DataType, TimeUnit};
    let number = |t: &DataType| t.is_numeric() || t.is_null();
    match arg_types {
        [DataType::Timestamp(..) | DataType::Null, price, volume]
            if number(price) && number(volume) =>
        {
            Ok(vec![
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                DataType::Float64,
                DataType::Float64,
            ])
        }
        _ => datafusion::common::plan_err!(
            "{function}(ts, price, volume) takes a timestamp and two numbers, not {arg_types:?}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn early_closes_match_the_nyse_published_calendar() {
        // From the NYSE's holiday and hours pages for 2023 to 2026.
        for early in [
            "2023-07-03",
            "2023-11-24",
            "2024-07-03",
            "2024-11-29",
            "2024-12-24",
            "2025-07-03",
            "2025-11-28",
            "2025-12-24",
            "2026-11-27",
            "2026-12-24",
            "2018-12-24",
            "2020-11-27",
        ] {
            assert!(is_early_close(date(early)), "{early}");
        }
        // July 3 2026 and December 24 2021 are Fridays (the observed holiday), Thanksgiving
        // itself is closed, and the Friday a week after it is a normal day.
        for normal in [
            "2026-07-03",
            "2021-12-24",
            "2026-11-26",
            "2026-12-04",
            "2026-11-20",
            "2026-07-02",
        ] {
            assert!(!is_early_close(date(normal)), "{normal}");
        }
    }

    #[test]
    fn boundaries_follow_daylight_saving_time() {
        // 2026-03-09 (EDT, UTC−4): the open is 13:30 UTC. 2026-01-05 (EST, UTC−5): 14:30 UTC.
        let summer = SessionDay::of(date("2026-03-09")).unwrap();
        let winter = SessionDay::of(date("2026-01-05")).unwrap();
        let utc = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_micros()
        };
        assert_eq!(summer.open, utc("2026-03-09T13:30:00Z"));
        assert_eq!(summer.close, utc("2026-03-09T20:00:00Z"));
        assert_eq!(winter.open, utc("2026-01-05T14:30:00Z"));
        assert_eq!(winter.first_half_hour_end, utc("2026-01-05T15:00:00Z"));
        assert_eq!(winter.last_hour_start, utc("2026-01-05T20:00:00Z"));
        // The day clocks moved forward lasts 23 hours.
        let spring = SessionDay::of(date("2026-03-08")).unwrap();
        assert_eq!(spring.day_end - spring.day_start, 23 * 3_600_000_000);
        // 2026-11-27, the day after Thanksgiving, closes at 13:00 EST = 18:00 UTC.
        let half = SessionDay::of(date("2026-11-27")).unwrap();
        assert_eq!(half.close, utc("2026-11-27T18:00:00Z"));
        assert_eq!(half.last_hour_start, utc("2026-11-27T17:00:00Z"));
        // 01:00 UTC on the 6th is still the 5th in New York.
        let late = SessionDay::containing(utc("2026-01-06T01:00:00Z")).unwrap();
        assert_eq!(late.date, date("2026-01-05"));
    }
}
