//! Text fields as the feeds write them, read in one place for every collector: dates, instants
//! (with an offset, as epoch numbers, or local to a zone), `Date32` day counts, and the file
//! names sources land under.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// A date as Arrow's `Date32` stores it (days since 1970-01-01), by Arrow's own conversion.
pub(crate) fn days_since_epoch(date: NaiveDate) -> i32 {
    datafusion::arrow::datatypes::Date32Type::from_naive_date(date)
}

/// The date of a `Date32` value (dates the collectors computed themselves, so in range).
pub(crate) fn date_from_days(days: i32) -> NaiveDate {
    datafusion::arrow::temporal_conversions::date32_to_datetime(days)
        .map(|at| at.date())
        .unwrap_or_default()
}

/// The years a date from a feed may have. Market data begins after 1900 and a contract's expiry
/// before 2200; `0000-01-01` or `9999-12-31` is a placeholder or a typo, never a trading day.
pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The largest share, contract or record count a feed's field may hold. A day's volume in one
/// symbol has never reached 1e11 shares; 1e300 is a corrupt number, not a trade.
pub(crate) const MAX_COUNT: f64 = 1e15;

/// The largest price a feed's field may hold (Berkshire A trades near 1e6).
pub(crate) const MAX_PRICE: f64 = 1e9;

/// `date` if its year is in [`YEARS`]; else why not, naming `text`.
pub(crate) fn check_year(date: NaiveDate, text: &str) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!(
            "{:?} is outside the years {}–{}",
            text.trim(),
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A count (shares, contracts, trades): finite, not negative, at most [`MAX_COUNT`].
pub(crate) fn check_count(value: f64, what: &str) -> Result<f64, String> {
    if !value.is_finite() || value < 0.0 {
        Err(format!("{value} is not a non-negative number of {what}"))
    } else if value > MAX_COUNT {
        Err(format!(
            "{value} {what} is beyond the bound of {MAX_COUNT:e}"
        ))
    } else {
        Ok(value)
    }
}

/// A price: finite, not negative, at most [`MAX_PRICE`].
pub(crate) fn check_price(value: f64) -> Result<f64, String> {
    if !value.is_finite() || value < 0.0 {
        Err(format!("{value} is not a non-negative price"))
    } else if value > MAX_PRICE {
        Err(format!(
            "price {value} is beyond the bound of {MAX_PRICE:e}"
        ))
    } else {
        Ok(value)
    }
}

/// A time field: a trading date, or an instant.
pub(crate) enum Time {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

pub(crate) fn parse_time(text: &str) -> Result<Time, String> {
    let time = parse_any_time(text)?;
    let date = match &time {
        Time::Date(date) => *date,
        Time::Instant(at) => at.date_naive(),
    };
    check_year(date, text)?;
    Ok(time)
}

fn parse_any_time(text: &str) -> Result<Time, String> {
    let text = text.trim();
    for format in ["%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Ok(Time::Date(date));
        }
    }
    if text.len() >= 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        let value: i64 = text
            .parse()
            .map_err(|_| format!("{text:?} is out of range"))?;
        // Epoch units told apart by magnitude: seconds have ≤ 11 digits until the year 5138.
        let instant = match text.len() {
            ..=11 => DateTime::from_timestamp(value, 0),
            12..=14 => DateTime::from_timestamp_millis(value),
            15..=17 => DateTime::from_timestamp_micros(value),
            _ => Some(DateTime::from_timestamp_nanos(value)),
        };
        return instant
            .map(Time::Instant)
            .ok_or_else(|| format!("{text:?} is out of range"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Time::Instant(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(Time::Instant(t.with_timezone(&Utc)));
        }
    }
    if NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok()
        || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
    {
        return Err(format!("{text:?} has no UTC offset: give times with an offset (…+00:00, …-05:00) or as epoch numbers"));
    }
    Err(format!(
        "{text:?} is not a date, a timestamp with offset, or an epoch number"
    ))
}

/// A date as feeds write it: `YYYY-MM-DD`, `YYYYMMDD` or `M/D/YYYY`.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let date = ["%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD, YYYYMMDD or M/D/YYYY)"))?;
    check_year(date, text)
}

/// An instant from a field: with a UTC offset, an epoch number (s, ms, µs or ns by magnitude),
/// or a local time in `zone`. Epoch nanoseconds keep microsecond precision.
pub(crate) fn parse_instant(text: &str, zone: Option<Tz>) -> Result<DateTime<Utc>, String> {
    match parse_time(text) {
        Ok(Time::Instant(at)) => Ok(at),
        Ok(Time::Date(_)) => Err(format!("{text:?} is a date without a time of day")),
        Err(reason) => {
            let Some(zone) = zone else {
                return Err(if reason.contains("no UTC offset") {
                    format!("{reason}, or pass --time-zone (America/New_York, UTC, …)")
                } else {
                    reason
                });
            };
            let text = text.trim();
            let local = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .ok_or(reason)?;
            check_year(local.date(), text)?;
            // The earlier of an ambiguous hour: no option trades in the 01:00–02:00 fold.
            zone.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{text:?} does not exist in {zone} (a daylight-saving gap)"))
        }
    }
}

/// The file a source lands under (in each date partition): its file name, extension included,
/// in letters, digits, `-` and `_`. A source is known by its name, not its directory: ingesting a
/// file of the same name again (a re-download, a correction, the repository cloned elsewhere)
/// replaces its rows instead of adding them twice; tapes that differ need different names.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("source")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Rows grouped by their partition date.
pub(crate) fn by_date<T>(
    rows: &[T],
    date: impl Fn(&T) -> NaiveDate,
) -> BTreeMap<NaiveDate, Vec<&T>> {
    let mut by_date: BTreeMap<NaiveDate, Vec<&T>> = BTreeMap::new();
    for row in rows {
        by_date.entry(date(row)).or_default().push(row);
    }
    by_date
}

/// Refuses two sources of one run that share a file name: in the lake one would replace the other.
pub(crate) fn distinct_names(paths: &[PathBuf]) -> Result<()> {
    let mut seen: HashMap<String, &PathBuf> = HashMap::new();
    for path in paths {
        if let Some(first) = seen.insert(file_stem(path), path) {
            return Err(Error::Usage(format!(
                "{} and {} have the same file name: a source is known by its name in the lake, so \
                 one would replace the other; rename one of them",
                first.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_1900_to_2200_are_refused() {
        for bad in ["0000-01-01", "9999-12-31", "18991231", "2201-01-01"] {
            let reason = parse_date(bad).expect_err(bad);
            assert!(reason.contains("outside the years 1900–2200"), "{reason}");
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert!(parse_date("1900-01-01").is_ok() && parse_date("2200-12-31").is_ok());
        // Epoch nanoseconds of 2262 are in i64 but not in the bound.
        assert!(parse_instant("9223372036854775807", None).is_err());
        assert!(parse_instant("9999-12-31 10:00:00", Some(chrono_tz::UTC)).is_err());
    }

    #[test]
    fn counts_and_prices_have_bounds() {
        assert!(check_count(1e300, "shares").is_err());
        assert!(check_count(-1.0, "shares").is_err());
        assert!(check_count(f64::NAN, "shares").is_err());
        assert_eq!(check_count(1e12, "shares"), Ok(1e12));
        assert!(check_price(1e10).is_err() && check_price(721_000.0).is_ok());
    }
}
