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

/// A time field: a trading date, or an instant.
pub(crate) enum Time {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

pub(crate) fn parse_time(text: &str) -> Result<Time, String> {
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
    ["%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD, YYYYMMDD or M/D/YYYY)"))
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
