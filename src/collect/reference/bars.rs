//! OHLCV price bars from CSV or Parquet: daily files (date only) and intraday files
//! (timestamps with a UTC offset, or epoch seconds/ms/µs/ns).
//!
//! Bars that cannot be true (low > high, open or close outside [low, high], negative volume)
//! and unreadable fields are refused: counted, kept in `rejected_records`, never dropped in
//! silence. The other bars land.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};

use crate::collect::fields::{self, parse_time, Time};
use chrono_tz::America::New_York;
use datafusion::arrow::array::{Float64Array, StringArray};

use crate::collect::tabular::{self, Table};
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::BARS;
use crate::lake::date_partition;
use crate::lake::ingest_log::timestamps;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

#[derive(Debug, Clone, Default)]
pub struct BarsOptions {
    /// For files without a symbol column (one file per symbol).
    pub symbol: Option<String>,
    /// The bars' timeframe (`1d`, `1m`, `5m`, `1h`, …). Date-only files default to `1d`.
    pub timeframe: Option<String>,
    /// `column=header` pairs naming the file's headers for date, symbol, open, high, low, close, volume.
    pub column_map: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub symbol: String,
    pub ts: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub line: u64,
}

const COLUMN_NAMES: [(&str, &[&str]); 7] = [
    (
        "date",
        &[
            "date",
            "datetime",
            "timestamp",
            "time",
            "ts",
            "t",
            "trade_date",
        ],
    ),
    ("symbol", &["symbol", "ticker", "sym"]),
    ("open", &["open", "o"]),
    ("high", &["high", "h"]),
    ("low", &["low", "l"]),
    ("close", &["close", "c"]),
    ("volume", &["volume", "v", "vol"]),
];

/// Reads a bars file into good bars and refused records. Fails only when the file as a whole
/// cannot be read (no such columns, not CSV, intraday without a timeframe).
pub fn parse(
    table: &Table,
    source: &str,
    options: &BarsOptions,
) -> Result<(Vec<Bar>, String, Vec<Rejected>)> {
    let at = table.resolve(&COLUMN_NAMES, &options.column_map);
    let required = |target: &str| at[target].ok_or_else(|| table.missing(source, target));
    let (time_at, open_at, high_at, low_at, close_at, volume_at) = (
        required("date")?,
        required("open")?,
        required("high")?,
        required("low")?,
        required("close")?,
        required("volume")?,
    );
    let symbol_at = at["symbol"];
    if symbol_at.is_none() && options.symbol.is_none() {
        return Err(Error::format(
            source,
            Some(1),
            None,
            "no symbol column: pass --symbol for a one-symbol file",
        ));
    }

    let mut bars = Vec::with_capacity(table.rows.len());
    let mut rejected = Vec::new();
    let mut intraday = false;
    let mut first_line_of: HashMap<(String, DateTime<Utc>), u64> = HashMap::new();
    for record in &table.rows {
        let reject = |field: &str, reason: String| Rejected {
            source: source.to_string(),
            line: Some(record.line),
            field: Some(
                table
                    .header
                    .get(at[field].unwrap_or(usize::MAX))
                    .cloned()
                    .unwrap_or_else(|| field.to_string()),
            ),
            raw: Some(record.raw.clone()),
            reason,
        };
        let text = |index: usize| record.fields.get(index).and_then(|f| f.as_deref());
        let number = |field: &str, index: usize| -> Result<f64, Rejected> {
            let value = text(index).ok_or_else(|| reject(field, "empty".to_string()))?;
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| reject(field, format!("{value:?} is not a number")))
        };
        if let Some(refused) = table.misfit(record, source) {
            rejected.push(refused);
            continue;
        }
        let bar = (|| -> Result<Bar, Rejected> {
            let time = parse_time(text(time_at).unwrap_or_default())
                .map_err(|reason| reject("date", reason))?;
            let ts = match time {
                Time::Date(date) => date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
                Time::Instant(ts) => {
                    intraday = true;
                    ts
                }
            };
            let symbol = match symbol_at {
                Some(index) => text(index)
                    .ok_or_else(|| reject("symbol", "empty symbol".to_string()))?
                    .to_ascii_uppercase(),
                // Symbols are stored upper-case, as FINRA and the baskets spell them.
                None => options
                    .symbol
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
            };
            let (open, high, low, close) = (
                number("open", open_at)?,
                number("high", high_at)?,
                number("low", low_at)?,
                number("close", close_at)?,
            );
            let volume = number("volume", volume_at)?;
            if low > high {
                return Err(reject("low", format!("low {low} is above high {high}")));
            }
            if !(low..=high).contains(&close) {
                return Err(reject(
                    "close",
                    format!("close {close} is outside [low {low}, high {high}]"),
                ));
            }
            if !(low..=high).contains(&open) {
                return Err(reject(
                    "open",
                    format!("open {open} is outside [low {low}, high {high}]"),
                ));
            }
            if volume < 0.0 {
                return Err(reject("volume", format!("negative volume {volume}")));
            }
            fields::check_count(volume, "shares").map_err(|reason| reject("volume", reason))?;
            // Prices may be negative (oil futures, spreads) but not beyond the bound.
            for (field, price) in [
                ("open", open),
                ("high", high),
                ("low", low),
                ("close", close),
            ] {
                fields::check_price(price.abs()).map_err(|reason| reject(field, reason))?;
            }
            Ok(Bar {
                symbol,
                ts,
                open,
                high,
                low,
                close,
                volume,
                line: record.line,
            })
        })();
        match bar {
            Ok(bar) => match first_line_of.entry((bar.symbol.clone(), bar.ts)) {
                Entry::Occupied(first) => rejected.push(Rejected {
                    source: source.to_string(),
                    line: Some(record.line),
                    field: None,
                    raw: Some(record.raw.clone()),
                    reason: format!(
                        "second bar for {} at {} (the first is line {})",
                        bar.symbol,
                        bar.ts.to_rfc3339(),
                        first.get()
                    ),
                }),
                Entry::Vacant(slot) => {
                    slot.insert(record.line);
                    bars.push(bar);
                }
            },
            Err(refused) => rejected.push(refused),
        }
    }
    if let Some(timeframe) = options.timeframe.as_deref() {
        is_intraday(timeframe)?;
    }
    let timeframe = match (&options.timeframe, intraday) {
        (Some(timeframe), _) => timeframe.clone(),
        (None, false) => "1d".to_string(),
        (None, true) => {
            return Err(Error::format(
                source,
                None,
                None,
                "intraday timestamps: pass --timeframe (1m, 5m, 1h, …)",
            ));
        }
    };
    Ok((bars, timeframe, rejected))
}

/// Whether `timeframe` is shorter than a day (`30s`, `1m`, `5min`, `1h`) or not (`1d`, `1w`, `1M`,
/// `1mo`, `1y`): a number and a unit. `m` is minutes and `M` months, as most vendors write them.
fn is_intraday(timeframe: &str) -> Result<bool> {
    let unit = timeframe.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = &timeframe[..timeframe.len() - unit.len()];
    let intraday = match unit {
        "M" => Some(false),
        _ => match unit.to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" | "m" | "min" | "mins" | "minute"
            | "minutes" | "t" | "h" | "hr" | "hrs" | "hour" | "hours" => Some(true),
            "d" | "day" | "days" | "w" | "wk" | "week" | "weeks" | "mo" | "mon" | "month"
            | "months" | "q" | "y" | "yr" | "year" | "years" => Some(false),
            _ => None,
        },
    };
    match (digits.is_empty(), intraday) {
        (false, Some(intraday)) => Ok(intraday),
        _ => Err(Error::Usage(format!(
            "--timeframe {timeframe:?}: write a number and a unit: 30s, 1m (minutes), 5min, 1h, \
             1d, 1w, 1M or 1mo (months), 1y"
        ))),
    }
}

/// The `date` partition of a bar: for intraday bars the New York trading date, so that a session
/// and its after-hours bars (which run past midnight UTC) stay in one partition; for daily and
/// longer bars the date they are stamped with.
fn trading_date(bar: &Bar, intraday: bool) -> NaiveDate {
    if intraday {
        bar.ts.with_timezone(&New_York).date_naive()
    } else {
        bar.ts.date_naive()
    }
}

fn stage(transaction: &mut Transaction, bars: &[Bar], timeframe: &str, source: &str) -> Result<()> {
    let intraday = is_intraday(timeframe)?;
    let mut by_date: BTreeMap<NaiveDate, Vec<&Bar>> = BTreeMap::new();
    for bar in bars {
        by_date
            .entry(trading_date(bar, intraday))
            .or_default()
            .push(bar);
    }
    let now = Utc::now();
    for (date, rows) in by_date {
        let n = rows.len();
        let column = |f: fn(&Bar) -> f64| Float64Array::from_iter_values(rows.iter().map(|b| f(b)));
        let batch = BatchBuilder::new(&BARS, n)
            .column(
                "symbol",
                StringArray::from_iter_values(rows.iter().map(|b| b.symbol.as_str())),
            )?
            .column("timeframe", StringArray::from(vec![timeframe; n]))?
            .column("ts", timestamps(rows.iter().map(|b| b.ts)))?
            .column("open", column(|b| b.open))?
            .column("high", column(|b| b.high))?
            .column("low", column(|b| b.low))?
            .column("close", column(|b| b.close))?
            .column("volume", column(|b| b.volume))?
            .provenance(source, rows.iter().map(|b| b.line), now)?
            .finish()?;
        transaction.upsert(&BARS, Some(&date_partition(date)), timeframe, batch)?;
    }
    Ok(())
}

pub fn ingest_files(lake: &Lake, paths: &[PathBuf], options: &BarsOptions) -> Result<IngestReport> {
    ingest_local_files(lake, &BARS, paths, |path, source, bytes, refused| {
        let table = tabular::parse(path, bytes)?;
        let (bars, timeframe, rejected) = parse(&table, source, options)?;
        refused.extend(rejected);
        let mut transaction = Transaction::new(lake);
        stage(&mut transaction, &bars, &timeframe, source)?;
        transaction.commit()?;
        Ok(bars.len() as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::is_intraday;

    #[test]
    fn timeframes_are_a_number_and_a_known_unit() {
        for intraday in [
            "30s", "1m", "5min", "15mins", "1minute", "1h", "2hours", "1T",
        ] {
            assert!(is_intraday(intraday).unwrap(), "{intraday}");
        }
        for longer in ["1d", "1D", "1w", "1M", "1mo", "3months", "1q", "1y"] {
            assert!(!is_intraday(longer).unwrap(), "{longer}");
        }
        for wrong in ["", "60", "m", "1 m", "1fortnight", "1d!"] {
            let error = is_intraday(wrong).unwrap_err().to_string();
            assert!(
                error.contains("write a number and a unit"),
                "{wrong}: {error}"
            );
        }
    }
}
