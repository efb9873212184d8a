//! Equity trade tapes (every print of the consolidated tape, exchanges and off-exchange alike)
//! from CSV, gzip'd CSV or Parquet, in the layouts they are sold in:
//!
//! - NYSE TAQ as WRDS and NYSE's CSV extracts write it: `DATE, TIME_M, EX, SYM_ROOT, SYM_SUFFIX,
//!   TR_SCOND, SIZE, PRICE, TR_STOP_IND, TR_CORR, TR_SEQNUM, TR_ID, TR_SOURCE, TR_RF, …`, New York
//!   times to the nanosecond, exchange `D` for FINRA's ADF and TRFs and `TR_RF` naming the TRF;
//! - NYSE Daily TAQ trade files (`EQY_US_ALL_TRADE_YYYYMMDD`, pipe-delimited): `Time|Exchange|
//!   Symbol|Sale Condition|Trade Volume|Trade Price|…|Trade Correction Indicator|Sequence Number|
//!   …|Trade Reporting Facility|…`, times as `HHMMSS` + nanoseconds, the date in the file name
//!   (or `--date`), symbols as `BRK A`, an `END` trailer;
//! - Polygon flat files (`us_stocks_sip/trades_v1`): `ticker, conditions, correction, exchange,
//!   id, participant_timestamp, price, sequence_number, sip_timestamp, size, tape, trf_id, …`,
//!   nanosecond UTC times, Polygon's numeric exchange ids (4 = FINRA) and condition ids;
//! - any other layout, its headers named with `--column target=HEADER`.
//!
//! Corrections and cancels are applied as the tapes mark them (see [`correction_effect`]): the
//! prints they void do not land, and are kept in `rejected_records` with the reason. Each print
//! is checked (a symbol, a time, a positive whole size, a positive price); a refused one is kept
//! there too. Each source lands as one file per trading date, replaced whole when it is ingested
//! again.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    StringBuilder, TimestampMicrosecondArray, UInt32Array,
};
use datafusion::arrow::compute::{concat_batches, take_record_batch};

use crate::collect::fields::{self, distinct_names, file_stem, parse_date, parse_instant};
use crate::collect::fields::{date_from_days, days_since_epoch};
use crate::collect::tabular;
use crate::collect::{ingest_local_paths, HashingReader, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::{EQUITY_DAILY_VOLUME, EQUITY_TRADES};
use crate::lake::date_partition;
use crate::lake::repeated_text;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

#[derive(Debug, Clone, Default)]
pub struct EquityTradesOptions {
    /// `target=HEADER` pairs for layouts whose headers are not recognised.
    pub column_map: Vec<(String, String)>,
    /// The zone of times written without a UTC offset: TAQ's are New York time, and read so
    /// without this.
    pub time_zone: Option<Tz>,
    /// The trading date of files whose rows carry only a time of day and whose name has no date.
    pub date: Option<NaiveDate>,
    /// Exchange codes that mark an off-exchange print in a mapped layout, besides the usual ones
    /// ([`OFF_EXCHANGE_CODES`]).
    pub off_exchange_codes: Vec<String>,
}

/// Exchange codes that mean FINRA (its ADF or a TRF) in mapped layouts: the CTA/UTP participant
/// id, names, and the MICs of the ADF and the three TRFs.
pub const OFF_EXCHANGE_CODES: &[&str] =
    &["D", "FINRA", "ADF", "TRF", "XADF", "FINN", "FINY", "FINC"];

// The targets' places in COLUMNS.
const SYMBOL: usize = 0;
const SUFFIX: usize = 1;
const DATE: usize = 2;
const TIME: usize = 3;
const TS: usize = 4;
const EXCHANGE: usize = 5;
const SIZE: usize = 6;
const PRICE: usize = 7;
const CONDITIONS: usize = 8;
const CORRECTION: usize = 9;
const SEQ: usize = 10;
const TRF: usize = 11;

const COLUMNS: [(&str, &[&str]); 12] = [
    ("symbol", &["SYM_ROOT", "ticker", "symbol", "sym", "Symbol"]),
    ("suffix", &["SYM_SUFFIX"]),
    ("date", &["DATE", "trade_date", "date"]),
    ("time", &["TIME_M", "Time", "trade_time", "time_of_day"]),
    ("ts", &["sip_timestamp", "timestamp", "ts", "datetime"]),
    (
        "exchange",
        &["EX", "exchange", "exchange_id", "exch", "venue"],
    ),
    (
        "size",
        &["SIZE", "Trade Volume", "size", "shares", "quantity", "qty"],
    ),
    ("price", &["PRICE", "Trade Price", "price"]),
    (
        "conditions",
        &[
            "TR_SCOND",
            "Sale Condition",
            "conditions",
            "sale_condition",
            "condition",
        ],
    ),
    (
        "correction",
        &["TR_CORR", "Trade Correction Indicator", "correction"],
    ),
    (
        "seq",
        &[
            "TR_SEQNUM",
            "Sequence Number",
            "sequence_number",
            "seq",
            "sequence",
        ],
    ),
    (
        "trf",
        &["TR_RF", "Trade Reporting Facility", "trf_id", "trf"],
    ),
];

/// How a tape writes what varies between vendors: times, symbols, exchange ids and conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// NYSE TAQ: WRDS's and NYSE's CSV extracts, and the Daily TAQ pipe files.
    Taq,
    /// Polygon's flat files.
    Polygon,
    /// Headers named with `--column`.
    Mapped,
}

impl Layout {
    fn detect(header: &[String], slots: &[Option<usize>; 12]) -> Layout {
        let has = |name: &str| {
            header
                .iter()
                .any(|h| tabular::normal_header(h) == tabular::normal_header(name))
        };
        if has("SYM_ROOT") || (has("Symbol") && has("Trade Correction Indicator")) {
            Layout::Taq
        } else if has("ticker") && has("sip_timestamp") && slots[EXCHANGE].is_some() {
            Layout::Polygon
        } else {
            Layout::Mapped
        }
    }
}

/// What a print's correction indicator does to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionEffect {
    /// The print stands as it is (`00`, or `01`: a corrected trade carrying its corrected data).
    Stands,
    /// The print is void: cancelled, in error, or the superseded data of a correction.
    Void(&'static str),
}

/// The TAQ correction indicators (NYSE Daily TAQ client specification, "Trade Correction
/// Indicator"), which the SIPs' and Polygon's `correction` codes follow. A TAQ file is
/// final: the original of a cancelled trade is marked `08` and followed by its `10` cancel
/// record, so both go; a corrected trade keeps its `01` row, which holds the corrected data, and
/// its `12` row, which holds the original incorrect data, goes.
pub fn correction_effect(code: u32) -> Option<CorrectionEffect> {
    use CorrectionEffect::*;
    Some(match code {
        0 | 1 => Stands,
        2 => Void("a symbol correction: the record is cancelled"),
        7 => Void("an original trade later marked erroneous"),
        8 => Void("an original trade later cancelled"),
        10 => Void("a cancel record"),
        11 => Void("an error record"),
        12 => Void("a correction record, holding the original incorrect data"),
        _ => return None,
    })
}

/// Sale conditions that make a print non-regular for the block logic: its price or time is not
/// that of one trade made then at the market (CTA/UTP letters, as TAQ writes them).
pub const NON_REGULAR_TAQ_CONDITIONS: &[(char, &str)] = &[
    ('W', "average price trade"),
    (
        'B',
        "average price trade (CTA) or bunched trade (UTP): several executions reported as one",
    ),
    ('L', "sold last (reported late)"),
    ('Z', "sold out of sequence"),
    ('U', "extended hours, sold out of sequence"),
    ('P', "prior reference price"),
    ('4', "derivatively priced"),
    ('N', "next day settlement"),
    ('C', "cash settlement"),
    ('R', "seller's option"),
    ('V', "contingent trade"),
    ('7', "qualified contingent trade"),
    ('M', "market center official close (a summary, not a trade)"),
    ('Q', "market center official open (a summary, not a trade)"),
    ('9', "corrected consolidated close (a summary, not a trade)"),
];

/// The same conditions by Polygon's condition ids (its glossary of stock conditions).
pub const NON_REGULAR_POLYGON_CONDITIONS: &[(u32, &str)] = &[
    (2, "average price trade"),
    (4, "bunched trade"),
    (5, "bunched sold trade"),
    (30, "sold last (reported late)"),
    (31, "sold last and stopped stock"),
    (32, "sold out of sequence"),
    (33, "sold out of sequence"),
    (13, "extended hours, sold out of sequence"),
    (22, "prior reference price"),
    (10, "derivatively priced"),
    (20, "next day settlement"),
    (7, "cash settlement"),
    (29, "seller's option"),
    (52, "contingent trade"),
    (53, "qualified contingent trade"),
    (15, "market center official close (a summary, not a trade)"),
    (16, "market center official open (a summary, not a trade)"),
    (38, "corrected consolidated close (a summary, not a trade)"),
];

/// Whether a print's conditions leave it regular: `ids` when they are Polygon's numeric ids
/// (`12,37`), otherwise CTA/UTP letters (`@ TI`, `@F`).
pub fn is_regular_sale(conditions: &str, ids: bool) -> bool {
    if ids {
        conditions
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|id| id.parse::<u32>().ok())
            .all(|id| !NON_REGULAR_POLYGON_CONDITIONS.iter().any(|(n, _)| *n == id))
    } else {
        conditions
            .chars()
            .all(|c| !NON_REGULAR_TAQ_CONDITIONS.iter().any(|(n, _)| *n == c))
    }
}

/// Whether a layout writes conditions as Polygon ids; a mapped layout's are ids when they are
/// numbers of more than one character or lists (a lone `4` is CTA's derivatively priced).
fn conditions_are_ids(layout: Layout, conditions: &str) -> bool {
    match layout {
        Layout::Polygon => true,
        Layout::Taq => false,
        Layout::Mapped => {
            conditions.bytes().any(|b| b.is_ascii_digit())
                && conditions
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b',' | b' ' | b'[' | b']'))
                && conditions.len() > 1
        }
    }
}

/// The facility of an off-exchange print, by TAQ's `TR_RF` letter (N, T or Q, B), Polygon's
/// `trf_id` (201 to 203) or a MIC.
pub fn trf_name(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "N" | "201" | "FINY" => "FINRA/NYSE TRF",
        "T" | "Q" | "202" | "FINN" => "FINRA/Nasdaq TRF Carteret",
        "B" | "203" | "FINC" => "FINRA/Nasdaq TRF Chicago",
        "XADF" | "ADF" => "FINRA ADF",
        _ => return None,
    })
}

/// The trading date in a Daily TAQ file name (`EQY_US_ALL_TRADE_20240102.gz`).
fn date_in_name(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(7)).find_map(|i| {
        let digits = &bytes[i..i + 8];
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_digit())
            && bytes.get(i + 8).is_none_or(|b| !b.is_ascii_digit());
        (bounded && digits.iter().all(u8::is_ascii_digit))
            .then(|| NaiveDate::parse_from_str(std::str::from_utf8(digits).ok()?, "%Y%m%d").ok())
            .flatten()
    })
}

/// A time of day in nanoseconds: `HH:MM:SS[.fffffffff]` (hours of one or two digits), or TAQ's
/// digits `HHMMSS` followed by 0, 3, 6 or 9 digits of fraction.
pub fn parse_time_of_day(text: &str) -> Option<i64> {
    let text = text.trim();
    let (h, m, s, fraction) = if text.contains(':') {
        let mut parts = text.splitn(3, ':');
        let h = parts.next()?;
        let m = parts.next()?;
        let rest = parts.next()?;
        let (s, fraction) = rest.split_once('.').unwrap_or((rest, ""));
        if h.is_empty() || h.len() > 2 || m.len() != 2 || s.len() != 2 {
            return None;
        }
        (h, m, s, fraction)
    } else {
        if !matches!(text.len(), 6 | 9 | 12 | 15) {
            return None;
        }
        (&text[0..2], &text[2..4], &text[4..6], &text[6..])
    };
    let number = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (h, m, s) = (number(h)?, number(m)?, number(s)?);
    if h > 23 || m > 59 || s > 60 || fraction.len() > 9 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        number(fraction)? * 10_i64.pow(9 - fraction.len() as u32)
    };
    Some(((h * 60 + m) * 60 + s) * 1_000_000_000 + nanos)
}

/// The columns of the prints read so far.
#[derive(Default)]
struct Prints {
    symbol: Vec<u8>,
    symbol_offsets: Vec<i32>,
    date: Vec<i32>,
    ts: Vec<i64>,
    seq: Vec<i64>,
    exchange: StringBuilder,
    off_exchange: Vec<bool>,
    trf: StringBuilder,
    size: Vec<i64>,
    price: Vec<f64>,
    conditions: StringBuilder,
    regular_sale: Vec<bool>,
    correction: StringBuilder,
    line: Vec<i64>,
    /// Whether the rows arrived in (date, symbol, ts) order.
    sorted: bool,
}

impl Prints {
    fn new() -> Self {
        Prints::with_capacity(0)
    }

    /// Room for `rows` prints without growing (a tape's pieces know their line counts).
    fn with_capacity(rows: usize) -> Self {
        let mut symbol_offsets = Vec::with_capacity(rows + 1);
        symbol_offsets.push(0);
        Prints {
            symbol: Vec::with_capacity(rows * 4),
            symbol_offsets,
            date: Vec::with_capacity(rows),
            ts: Vec::with_capacity(rows),
            seq: Vec::with_capacity(rows),
            exchange: StringBuilder::with_capacity(rows, rows),
            off_exchange: Vec::with_capacity(rows),
            trf: StringBuilder::with_capacity(rows, rows * 8),
            size: Vec::with_capacity(rows),
            price: Vec::with_capacity(rows),
            conditions: StringBuilder::with_capacity(rows, rows * 2),
            regular_sale: Vec::with_capacity(rows),
            correction: StringBuilder::with_capacity(rows, rows * 2),
            line: Vec::with_capacity(rows),
            sorted: true,
        }
    }

    fn len(&self) -> usize {
        self.ts.len()
    }

    fn symbol(&self, row: usize) -> &[u8] {
        &self.symbol[self.symbol_offsets[row] as usize..self.symbol_offsets[row + 1] as usize]
    }

    fn key(&self, row: usize) -> (i32, &[u8], i64) {
        (self.date[row], self.symbol(row), self.ts[row])
    }
}

/// One print's fields before they are appended.
struct Print<'a> {
    symbol: &'a str,
    suffix: Option<&'a str>,
    date: i32,
    ts: i64,
    seq: i64,
    exchange: &'a str,
    off_exchange: bool,
    trf: Option<&'a str>,
    size: i64,
    price: f64,
    conditions: Option<&'a str>,
    regular_sale: bool,
    correction: Option<&'a str>,
    line: u64,
}

impl Prints {
    fn push(&mut self, print: Print) {
        self.symbol.extend(print.symbol.bytes().map(|b| match b {
            // Daily TAQ writes a suffix after a space (`BRK A`); the tape's convention is a dot.
            b' ' => b'.',
            b => b.to_ascii_uppercase(),
        }));
        if let Some(suffix) = print.suffix {
            self.symbol.push(b'.');
            self.symbol
                .extend(suffix.bytes().map(|b| b.to_ascii_uppercase()));
        }
        self.symbol_offsets.push(self.symbol.len() as i32);
        self.date.push(print.date);
        self.ts.push(print.ts);
        let row = self.len() - 1;
        if self.sorted && row > 0 && self.key(row - 1) > self.key(row) {
            self.sorted = false;
        }
        self.seq.push(print.seq);
        self.exchange.append_value(print.exchange);
        self.off_exchange.push(print.off_exchange);
        self.trf.append_option(print.trf);
        self.size.push(print.size);
        self.price.push(print.price);
        self.conditions.append_option(print.conditions);
        self.regular_sale.push(print.regular_sale);
        self.correction.append_option(print.correction);
        self.line.push(print.line as i64);
    }

    /// The prints as a batch of the dataset's file schema, and their dates.
    fn finish(mut self, source: &str, now: i64) -> Result<(RecordBatch, Vec<i32>)> {
        let n = self.len();
        let symbols = StringArray::try_new(
            datafusion::arrow::buffer::OffsetBuffer::new(self.symbol_offsets.into()),
            self.symbol.into(),
            None,
        )?;
        let batch = BatchBuilder::new(&EQUITY_TRADES, n)
            .column("symbol", symbols)?
            .column(
                "ts",
                TimestampMicrosecondArray::from(self.ts).with_timezone("UTC"),
            )?
            .column("seq", Int64Array::from(self.seq))?
            .column("exchange", self.exchange.finish())?
            .column("off_exchange", BooleanArray::from(self.off_exchange))?
            .column("trf", self.trf.finish())?
            .column("size", Int64Array::from(self.size))?
            .column("price", Float64Array::from(self.price))?
            .column("conditions", self.conditions.finish())?
            .column("regular_sale", BooleanArray::from(self.regular_sale))?
            .column("correction", self.correction.finish())?
            // The provenance as built here: the lines are kept as i64 already, the time as
            // microseconds.
            .column("source", repeated_text(source, n))?
            .column("source_line", Int64Array::from(self.line))?
            .column(
                "ingested_at",
                TimestampMicrosecondArray::from(vec![now; n]).with_timezone("UTC"),
            )?
            .finish()?;
        Ok((batch, self.date))
    }
}

/// Where each target column is, and what the file's layout implies.
struct Reading<'a> {
    header: &'a [String],
    /// Where each target of COLUMNS is in the header.
    slots: [Option<usize>; 12],
    layout: Layout,
    /// The zone of dates and times of day, and of timestamps without an offset.
    zone: Option<Tz>,
    /// The date of rows that carry only a time of day.
    date: Option<NaiveDate>,
    off_exchange_codes: Vec<String>,
    source: &'a str,
}

impl<'a> Reading<'a> {
    fn new(
        header: &'a [String],
        path: &Path,
        source: &'a str,
        options: &EquityTradesOptions,
    ) -> Result<Self> {
        let column = |names: &[&str]| -> Option<usize> {
            names.iter().find_map(|name| {
                header
                    .iter()
                    .position(|h| tabular::normal_header(h) == tabular::normal_header(name))
            })
        };
        let slots: [Option<usize>; 12] = COLUMNS.map(|(target, defaults)| {
            match options.column_map.iter().find(|(t, _)| t == target) {
                Some((_, mapped)) => column(&[mapped.as_str()]),
                None => column(defaults),
            }
        });
        let missing = |target: &str| {
            Error::format(
                source,
                Some(1),
                None,
                format!(
                    "no {target} column in header {header:?}; name it with --column {target}=HEADER"
                ),
            )
        };
        for target in [SYMBOL, EXCHANGE, SIZE, PRICE] {
            if slots[target].is_none() {
                return Err(missing(COLUMNS[target].0));
            }
        }
        let layout = Layout::detect(header, &slots);
        let date = options.date.or_else(|| date_in_name(path));
        if slots[TS].is_none() && slots[TIME].is_none() {
            return Err(missing("ts"));
        }
        if slots[TS].is_none() && slots[DATE].is_none() && date.is_none() {
            return Err(Error::format(
                source,
                Some(1),
                None,
                "the rows carry a time of day but no date, and the file name has none: pass \
                 --date YYYY-MM-DD"
                    .to_string(),
            ));
        }
        let zone = options
            .time_zone
            .or((layout == Layout::Taq).then_some(New_York));
        if slots[TS].is_none() && zone.is_none() {
            return Err(Error::format(
                source,
                Some(1),
                None,
                "dates and times of day need their zone: pass --time-zone America/New_York (or \
                 the tape's zone)"
                    .to_string(),
            ));
        }
        let mut off_exchange_codes: Vec<String> =
            OFF_EXCHANGE_CODES.iter().map(|c| c.to_string()).collect();
        off_exchange_codes.extend(
            options
                .off_exchange_codes
                .iter()
                .map(|c| c.trim().to_string()),
        );
        Ok(Reading {
            header,
            slots,
            layout,
            zone,
            date,
            off_exchange_codes,
            source,
        })
    }

    fn header_of(&self, target: usize) -> String {
        self.slots[target]
            .and_then(|i| self.header.get(i).cloned())
            .unwrap_or_else(|| COLUMNS[target].0.to_string())
    }

    fn is_off_exchange(&self, exchange: &str, trf: Option<&str>) -> bool {
        match self.layout {
            Layout::Taq => exchange == "D",
            Layout::Polygon => exchange == "4" || trf.is_some(),
            Layout::Mapped => {
                trf.is_some()
                    || self
                        .off_exchange_codes
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(exchange))
            }
        }
    }
}

/// Caches the UTC offset of the reading's zone for each date.
struct Clock {
    zone: Option<Tz>,
    /// (date, its offset from UTC in seconds at noon).
    noon_offset: Option<(NaiveDate, i64)>,
    /// (UTC hour, New York date in days): the local date is constant within a UTC hour.
    ny_hour: Option<(i64, i32)>,
    /// The last date field read and its date: a tape's rows mostly repeat one.
    last_date: Option<(String, NaiveDate)>,
}

impl Clock {
    fn new(zone: Option<Tz>) -> Self {
        Clock {
            zone,
            noon_offset: None,
            ny_hour: None,
            last_date: None,
        }
    }

    fn date(&mut self, text: &str) -> Result<NaiveDate, String> {
        match &self.last_date {
            Some((last, date)) if last == text => Ok(*date),
            _ => {
                let date = parse_date(text)?;
                self.last_date = Some((text.to_string(), date));
                Ok(date)
            }
        }
    }

    /// Microseconds since the epoch of a date and a time of day in the zone.
    fn local(&mut self, date: NaiveDate, nanos: i64) -> Option<i64> {
        let zone = self.zone?;
        // Daylight saving changes at 02:00 on a Sunday; times before 03:00 take the slow path.
        let offset = if nanos >= 3 * 3600 * 1_000_000_000 {
            match self.noon_offset {
                Some((d, offset)) if d == date => offset,
                _ => {
                    let noon = date.and_hms_opt(12, 0, 0)?;
                    let offset = zone
                        .from_local_datetime(&noon)
                        .earliest()?
                        .offset()
                        .fix()
                        .local_minus_utc() as i64;
                    self.noon_offset = Some((date, offset));
                    offset
                }
            }
        } else {
            let local = date.and_hms_opt(0, 0, 0)? + chrono::Duration::nanoseconds(nanos);
            zone.from_local_datetime(&local)
                .earliest()?
                .offset()
                .fix()
                .local_minus_utc() as i64
        };
        let midnight = days_since_epoch(date) as i64 * 86_400;
        Some((midnight - offset) * 1_000_000 + nanos.div_euclid(1000))
    }

    /// The New York trading date of an instant, in days since the epoch.
    fn new_york_date(&mut self, micros: i64) -> i32 {
        let hour = micros.div_euclid(3_600_000_000);
        match self.ny_hour {
            Some((h, date)) if h == hour => date,
            _ => {
                let date = chrono::DateTime::from_timestamp_micros(micros)
                    .map(|t| days_since_epoch(t.with_timezone(&New_York).date_naive()))
                    .unwrap_or_default();
                self.ny_hour = Some((hour, date));
                date
            }
        }
    }
}

/// Reads the fields of one record; `Err` refuses it, naming the header at fault.
fn read_print<'r>(
    reading: &Reading,
    clock: &mut Clock,
    field: &dyn Fn(usize) -> Option<&'r str>,
    line: u64,
) -> Result<Print<'r>, (String, String)> {
    let refuse = |target: usize, reason: String| (reading.header_of(target), reason);
    let required = |target: usize| field(target).ok_or_else(|| refuse(target, "empty".into()));
    let symbol = required(SYMBOL)?;
    if !symbol
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b' ' | b'-' | b'/' | b'+' | b'='))
    {
        return Err(refuse(SYMBOL, format!("{symbol:?} is not a ticker")));
    }
    let (date, ts) = match field(TS) {
        Some(text) => {
            let micros = if text.len() >= 9 && text.bytes().all(|b| b.is_ascii_digit()) {
                // Epoch numbers by magnitude; Polygon's are nanoseconds.
                let value: i64 = text
                    .parse()
                    .map_err(|_| refuse(TS, format!("{text:?} is out of range")))?;
                match text.len() {
                    ..=11 => value * 1_000_000,
                    12..=14 => value * 1_000,
                    15..=17 => value,
                    _ => value.div_euclid(1_000),
                }
            } else {
                parse_instant(text, reading.zone)
                    .map_err(|reason| refuse(TS, reason))?
                    .timestamp_micros()
            };
            (clock.new_york_date(micros), micros)
        }
        _ => {
            let date = match field(DATE) {
                Some(text) => clock.date(text).map_err(|reason| refuse(DATE, reason))?,
                None => reading
                    .date
                    .ok_or_else(|| refuse(DATE, "empty".to_string()))?,
            };
            let time = required(TIME)?;
            let nanos = parse_time_of_day(time).ok_or_else(|| {
                refuse(
                    TIME,
                    format!(
                        "{time:?} is not a time of day (HH:MM:SS.fffffffff or HHMMSSfffffffff)"
                    ),
                )
            })?;
            let micros = clock.local(date, nanos).ok_or_else(|| {
                refuse(
                    TIME,
                    format!("{time:?} does not exist on {date} (a daylight-saving gap)"),
                )
            })?;
            (days_since_epoch(date), micros)
        }
    };
    let size_text = required(SIZE)?;
    let size = size_text
        .parse::<i64>()
        .ok()
        .or_else(|| {
            size_text
                .parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && v.abs() < 9e15)
                .map(|v| v as i64)
        })
        .filter(|s| *s > 0 && *s as f64 <= fields::MAX_COUNT)
        .ok_or_else(|| {
            refuse(
                SIZE,
                format!(
                    "{size_text:?} is not a positive whole number of shares (at most {:e})",
                    fields::MAX_COUNT
                ),
            )
        })?;
    let price_text = required(PRICE)?;
    let price = price_text
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0)
        .ok_or_else(|| refuse(PRICE, format!("{price_text:?} is not a positive price")))
        .and_then(|p| fields::check_price(p).map_err(|reason| refuse(PRICE, reason)))?;
    let seq = match field(SEQ) {
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| refuse(SEQ, format!("{text:?} is not a whole number")))?,
        // Without sequence numbers the line keeps prints of the same time apart.
        None => line as i64,
    };
    let exchange = required(EXCHANGE)?;
    // Polygon writes trf_id 0 for a print no TRF reported.
    let trf = field(TRF).filter(|t| *t != "0");
    let conditions = field(CONDITIONS).map(|c| c.trim_matches(['[', ']', ' ', '"']));
    let regular_sale =
        conditions.is_none_or(|c| is_regular_sale(c, conditions_are_ids(reading.layout, c)));
    Ok(Print {
        symbol,
        suffix: field(SUFFIX),
        date,
        ts,
        seq,
        exchange,
        off_exchange: reading.is_off_exchange(exchange, trf),
        trf,
        size,
        price,
        conditions,
        regular_sale,
        correction: field(CORRECTION),
        line,
    })
}

/// What became of the records of one file.
struct Parsed {
    prints: Prints,
    rejected: Vec<Rejected>,
    voided: u64,
}

impl Parsed {
    fn new() -> Self {
        Parsed {
            prints: Prints::new(),
            rejected: Vec::new(),
            voided: 0,
        }
    }

    /// Takes one record: lands it, voids it, or refuses it.
    fn take<'r>(
        &mut self,
        reading: &Reading,
        clock: &mut Clock,
        field: &dyn Fn(usize) -> Option<&'r str>,
        line: u64,
        raw: &dyn Fn() -> String,
    ) {
        let refused = |field: Option<String>, reason: String| Rejected {
            source: reading.source.to_string(),
            line: Some(line),
            field,
            raw: Some(raw()),
            reason,
        };
        let print = match read_print(reading, clock, field, line) {
            Ok(print) => print,
            Err((header, reason)) => {
                self.rejected.push(refused(Some(header), reason));
                return;
            }
        };
        if let Some(code) = print.correction {
            let effect = code.trim().parse::<u32>().ok().and_then(correction_effect);
            match effect {
                Some(CorrectionEffect::Stands) => {}
                Some(CorrectionEffect::Void(what)) => {
                    self.voided += 1;
                    self.rejected.push(refused(
                        Some(reading.header_of(CORRECTION)),
                        format!("voided: correction {code} marks {what}"),
                    ));
                    return;
                }
                None => {
                    self.rejected.push(refused(
                        Some(reading.header_of(CORRECTION)),
                        format!(
                            "{code:?} is not a correction indicator (00, 01, 02, 07, 08, 10, 11, 12)"
                        ),
                    ));
                    return;
                }
            }
        }
        let named = print.trf.and_then(trf_name);
        let trf = match (print.off_exchange, named, print.trf) {
            (_, Some(name), _) => Some(name),
            (true, None, Some(code)) => Some(code),
            // Reported to FINRA with no TRF named: its ADF (TAQ's D, Polygon's 4), or the
            // facility a mapped tape's exchange code names.
            (true, None, None) => match reading.layout {
                Layout::Taq | Layout::Polygon => Some("FINRA ADF"),
                Layout::Mapped => trf_name(print.exchange),
            },
            (false, _, _) => None,
        };
        self.prints.push(Print { trf, ..print });
    }
}

/// Splits `text` (after the header) into up to `parts` pieces that end at line ends: (start,
/// end, the line number it starts on, its line count).
fn split_lines(
    text: &[u8],
    start: usize,
    first_line: u64,
    parts: usize,
) -> Vec<(usize, usize, u64, u64)> {
    let mut pieces = Vec::new();
    let mut from = start;
    let mut line = first_line;
    let step = (text.len() - start).div_ceil(parts.max(1)).max(1);
    while from < text.len() {
        let mut to = (from + step).min(text.len());
        if to < text.len() {
            to = memchr::memchr(b'\n', &text[to..]).map_or(text.len(), |i| to + i + 1);
        }
        let lines = memchr::memchr_iter(b'\n', &text[from..to]).count() as u64;
        pieces.push((from, to, line, lines));
        line += lines;
        from = to;
    }
    pieces
}

/// A delimited tape is read this much at a time, never whole.
const BLOCK_BYTES: usize = 64 << 20;

/// A line may grow the read buffer this far past a block (a longer one is no tape's line: one
/// record is refused past [`tabular::MAX_RECORD_BYTES`] anyway); past it the file fails whole
/// instead of holding gigabytes of one line in memory.
const LONGEST_LINE: usize = 64 << 20;

/// Fails a read that has `held` bytes of one line.
fn check_line_length(held: usize, block_bytes: usize) -> std::io::Result<()> {
    if held > block_bytes + LONGEST_LINE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "a line of more than {} MiB: not a delimited text tape",
                LONGEST_LINE >> 20
            ),
        ));
    }
    Ok(())
}

/// Reads from `input` until `buffer` holds `want` bytes or the input ends; true at its end.
fn fill(input: &mut dyn Read, buffer: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let missing = want.saturating_sub(buffer.len());
    let read = input.take(missing as u64).read_to_end(buffer)?;
    Ok(read < missing)
}

/// The fuzz targets' entry (fuzz/): reads a delimited tape's bytes (named `path`, whose name may
/// carry the date) a block of `block_bytes` at a time, as an ingest does, up to the batches it
/// would land. Returns the prints read and the rows refused.
#[doc(hidden)]
pub fn read_for_fuzzing(
    path: &Path,
    mut bytes: &[u8],
    options: &EquityTradesOptions,
    block_bytes: usize,
) -> Result<(usize, usize)> {
    let pieces = parse_delimited(path, "fuzz", &mut bytes, options, block_bytes)?;
    let (mut prints, mut refused) = (0, 0);
    for piece in pieces {
        refused += piece.rejected.len();
        if piece.prints.len() > 0 {
            prints += piece.prints.finish("fuzz", 0)?.0.num_rows();
        }
    }
    Ok((prints, refused))
}

/// Reads a delimited tape from `input` a block of lines at a time, each block parsed on every
/// core when it is large: memory holds one block of text besides the parsed columns.
fn parse_delimited(
    path: &Path,
    source: &str,
    input: &mut dyn Read,
    options: &EquityTradesOptions,
    block_bytes: usize,
) -> Result<Vec<Parsed>> {
    let io = |e| Error::io(path, e);
    let mut buffer = Vec::with_capacity(block_bytes + (1 << 20));
    let mut eof = fill(input, &mut buffer, block_bytes).map_err(io)?;
    while !eof && memchr::memchr(b'\n', &buffer).is_none() {
        check_line_length(buffer.len(), block_bytes).map_err(io)?;
        let want = buffer.len() + block_bytes;
        eof = fill(input, &mut buffer, want).map_err(io)?;
    }
    let header_end = memchr::memchr(b'\n', &buffer).map_or(buffer.len(), |i| i + 1);
    let first_line = &buffer[..header_end];
    let delimiter = tabular::sniff_delimiter(first_line);
    let header: Vec<String> = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(first_line)
        .records()
        .next()
        .transpose()
        .map_err(|e| {
            Error::format(
                source,
                Some(1),
                None,
                format!("cannot read the header: {e}"),
            )
        })?
        .map(|r| {
            r.iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect()
        })
        .unwrap_or_default();
    let reading = Reading::new(&header, path, source, options)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut parsed = Vec::new();
    let (mut start, mut next_line) = (header_end, 2);
    loop {
        // The block's whole lines (at the end of the input, all that is left).
        let end = if eof {
            buffer.len()
        } else {
            memchr::memrchr(b'\n', &buffer[start..]).map_or(start, |i| start + i + 1)
        };
        let parts = if end - start > 1 << 22 { threads } else { 1 };
        let pieces = split_lines(&buffer[..end], start, next_line, parts);
        next_line += pieces.iter().map(|piece| piece.3).sum::<u64>();
        // While the block is parsed, the next one is read (and hashed, and gunzipped) beside it,
        // starting with the line the block cut.
        let mut next = Vec::with_capacity(block_bytes + (1 << 20));
        next.extend_from_slice(&buffer[end..]);
        let (block, next_eof) =
            parse_pieces(&reading, delimiter, &buffer[..end], pieces, source, || {
                if eof {
                    return Ok(true);
                }
                let want = if next.len() >= block_bytes && memchr::memchr(b'\n', &next).is_none() {
                    check_line_length(next.len(), block_bytes)?;
                    next.len() + block_bytes
                } else {
                    block_bytes
                };
                fill(input, &mut next, want)
            });
        parsed.extend(block?);
        if eof {
            return Ok(parsed);
        }
        eof = next_eof.map_err(io)?;
        (buffer, start) = (next, 0);
    }
}

/// Parses pieces of `text` (whole lines each) on one thread each, running `meanwhile` on this
/// thread as they work.
fn parse_pieces<T>(
    reading: &Reading,
    delimiter: u8,
    text: &[u8],
    pieces: Vec<(usize, usize, u64, u64)>,
    source: &str,
    meanwhile: impl FnOnce() -> T,
) -> (Result<Vec<Parsed>>, T) {
    let header = reading.header;
    let parse_piece = |(from, to, line, lines): (usize, usize, u64, u64)| -> Result<Parsed> {
        let mut parsed = Parsed {
            prints: Prints::with_capacity(lines as usize + 1),
            rejected: Vec::new(),
            voided: 0,
        };
        let mut clock = Clock::new(reading.zone);
        // Bounded records: an unclosed quote is refused with its line and the next line is read.
        let mut split = tabular::Split::new(&text[from..to], delimiter, line);
        split.expect_width(header.len());
        let mut record = tabular::RecordBuf::default();
        let width = header.len();
        let slots = reading.slots;
        while let Some(next) = split.next_into(&mut record) {
            let (record_line, start, end) = match next {
                tabular::Next::Record { line, start, end } => (line, from + start, from + end),
                tabular::Next::Refused { line, raw, reason } => {
                    parsed.rejected.push(Rejected {
                        source: source.to_string(),
                        line: Some(line),
                        field: None,
                        raw: Some(raw),
                        reason,
                    });
                    continue;
                }
            };
            let raw = || tabular::raw_text(&text[start..end]);
            if record.len() == 1
                && record
                    .get(0)
                    .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            // Daily TAQ's trailer: `END|date|record count|…`.
            if reading.layout == Layout::Taq && record.get(0) == Some(b"END") {
                continue;
            }
            if record.len() != width {
                parsed.rejected.push(Rejected {
                    source: source.to_string(),
                    line: Some(record_line),
                    field: None,
                    raw: Some(raw()),
                    reason: format!("{} fields where the header has {width}", record.len()),
                });
                continue;
            }
            // Each field must be UTF-8 on its own, not only the fields' bytes run together.
            let Some(fields) = std::str::from_utf8(record.as_slice()).ok().filter(|text| {
                (0..record.len()).all(|i| {
                    record.range(i).is_some_and(|r| {
                        text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
                    })
                })
            }) else {
                parsed.rejected.push(Rejected {
                    source: source.to_string(),
                    line: Some(record_line),
                    field: None,
                    raw: Some(raw()),
                    reason: "not UTF-8 text".to_string(),
                });
                continue;
            };
            if let Some(at) = memchr::memchr(0, record.as_slice()) {
                let index =
                    (0..record.len()).find(|&i| record.range(i).is_some_and(|r| r.contains(&at)));
                parsed.rejected.push(Rejected {
                    source: source.to_string(),
                    line: Some(record_line),
                    field: index.and_then(|i| header.get(i).cloned()),
                    raw: Some(raw()),
                    reason: "a NUL byte in the field".to_string(),
                });
                continue;
            }
            let field = |target: usize| -> Option<&str> {
                let index = slots[target]?;
                let range = record.range(index)?;
                let value = fields.get(range)?.trim();
                (!value.is_empty()).then_some(value)
            };
            parsed.take(reading, &mut clock, &field, record_line, &raw);
        }
        Ok(parsed)
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .into_iter()
            .map(|piece| scope.spawn(move || parse_piece(piece)))
            .collect();
        let other = meanwhile();
        let parsed = handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::format(
                        source,
                        None,
                        None,
                        "a parser thread panicked".to_string(),
                    ))
                })
            })
            .collect();
        (parsed, other)
    })
}

/// Reads a Parquet tape: its columns are read as text and checked as a CSV's would be.
fn parse_parquet(
    path: &Path,
    source: &str,
    bytes: Vec<u8>,
    options: &EquityTradesOptions,
) -> Result<Vec<Parsed>> {
    let (header, batches) = tabular::parquet_as_text(path, bytes)?;
    let reading = Reading::new(&header, path, source, options)?;
    let mut clock = Clock::new(reading.zone);
    let slots = reading.slots;
    let mut parsed = Parsed::new();
    let mut line = 0u64;
    for columns in batches {
        let columns = columns?;
        let num_rows = columns.first().map_or(0, |c| c.len());
        let columns: Vec<&StringArray> = columns.iter().map(|c| c.as_string::<i32>()).collect();
        for row in 0..num_rows {
            line += 1;
            let field = |target: usize| -> Option<&str> {
                let column = columns.get(slots[target]?)?;
                let value = column.is_valid(row).then(|| column.value(row).trim())?;
                (!value.is_empty()).then_some(value)
            };
            let raw = || {
                columns
                    .iter()
                    .map(|c| if c.is_valid(row) { c.value(row) } else { "" })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            parsed.take(&reading, &mut clock, &field, line, &raw);
        }
    }
    Ok(vec![parsed])
}

/// One tape read: its prints by trading date (consecutive batches each), whether they came in
/// the dataset's order, the records refused and how many of those corrections voided.
struct Tape {
    by_date: Vec<(i32, Vec<RecordBatch>)>,
    sorted: bool,
    rejected: Vec<Rejected>,
    voided: u64,
}

/// Reads one tape, setting `sha256` to the file's checksum once it has been read.
fn read_tape(
    path: &Path,
    source: &str,
    options: &EquityTradesOptions,
    sha256: &mut Option<String>,
) -> Result<Tape> {
    let pieces = if tabular::has_extension(path, "parquet") {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        *sha256 = Some(crate::collect::sha256_hex(&bytes));
        parse_parquet(path, source, bytes, options)?
    } else {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut file = HashingReader::new(std::io::BufReader::with_capacity(1 << 20, file));
        let pieces = if tabular::has_extension(path, "gz") {
            let mut text = flate2::read::MultiGzDecoder::new(&mut file);
            parse_delimited(path, source, &mut text, options, BLOCK_BYTES)
        } else {
            parse_delimited(path, source, &mut file, options, BLOCK_BYTES)
        };
        *sha256 = Some(file.finish().map_err(|e| Error::io(path, e))?);
        pieces?
    };
    let mut sorted = pieces.iter().all(|p| p.prints.sorted);
    for pair in pieces.windows(2) {
        let (a, b) = (&pair[0].prints, &pair[1].prints);
        if a.len() > 0 && b.len() > 0 && a.key(a.len() - 1) > b.key(0) {
            sorted = false;
        }
    }
    let now = Utc::now().timestamp_micros();
    let (mut batches, mut dates, mut rejected, mut voided) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for piece in pieces {
        rejected.extend(piece.rejected);
        voided += piece.voided;
        if piece.prints.len() > 0 {
            let (batch, piece_dates) = piece.prints.finish(source, now)?;
            batches.push(batch);
            dates.extend(piece_dates);
        }
    }
    let by_date = if dates.windows(2).all(|w| w[0] == w[1]) {
        // A day's tape, the usual case: its pieces are written as they are.
        dates
            .first()
            .map(|d| vec![(*d, batches)])
            .unwrap_or_default()
    } else {
        let batch = concat_batches(&EQUITY_TRADES.file_schema(), &batches)?;
        let mut rows_of: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for (row, date) in dates.iter().enumerate() {
            rows_of.entry(*date).or_default().push(row as u32);
        }
        rows_of
            .into_iter()
            .map(|(date, rows)| {
                Ok((
                    date,
                    vec![take_record_batch(&batch, &UInt32Array::from(rows))?],
                ))
            })
            .collect::<Result<Vec<_>>>()?
    };
    Ok(Tape {
        by_date,
        sorted,
        rejected,
        voided,
    })
}

/// Each symbol's prints and volume, in all and off the exchanges, over one date's batches of
/// `equity_trades`, as a batch of `equity_daily_volume` (sorted by symbol).
fn daily_volume(batches: &[RecordBatch], source: &str, now: i64) -> Result<RecordBatch> {
    // (prints, volume, off-exchange prints, off-exchange volume)
    let mut by_symbol: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
    let schema = EQUITY_TRADES.file_schema();
    let (symbol_at, size_at, off_at) = (
        schema.index_of("symbol")?,
        schema.index_of("size")?,
        schema.index_of("off_exchange")?,
    );
    for batch in batches {
        let symbols = batch.column(symbol_at).as_string::<i32>();
        let sizes = batch
            .column(size_at)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let off = batch.column(off_at).as_boolean();
        // A tape is sorted by symbol: add to the last symbol's sums until it changes.
        let mut last: Option<(&str, [i64; 4])> = None;
        for row in 0..batch.num_rows() {
            let symbol = symbols.value(row);
            let (size, off_exchange) = (sizes.value(row), off.value(row));
            let sums = match &mut last {
                Some((s, sums)) if *s == symbol => sums,
                _ => {
                    if let Some((s, sums)) = last.take() {
                        add(by_symbol.entry(s).or_default(), &sums);
                    }
                    &mut last.insert((symbol, [0; 4])).1
                }
            };
            add(
                sums,
                &[
                    1,
                    size,
                    off_exchange as i64,
                    if off_exchange { size } else { 0 },
                ],
            );
        }
        if let Some((s, sums)) = last {
            add(by_symbol.entry(s).or_default(), &sums);
        }
    }
    fn add(into: &mut [i64; 4], sums: &[i64; 4]) {
        for (a, b) in into.iter_mut().zip(sums) {
            *a += b;
        }
    }
    let column = |i: usize| Int64Array::from_iter_values(by_symbol.values().map(|v| v[i]));
    let n = by_symbol.len();
    // One row per symbol, from no one line of the source: source_line stays NULL.
    BatchBuilder::new(&EQUITY_DAILY_VOLUME, n)
        .column("symbol", StringArray::from_iter_values(by_symbol.keys()))?
        .column("prints", column(0))?
        .column("volume", column(1))?
        .column("off_exchange_prints", column(2))?
        .column("off_exchange_volume", column(3))?
        .column("source", repeated_text(source, n))?
        .column(
            "ingested_at",
            TimestampMicrosecondArray::from(vec![now; n]).with_timezone("UTC"),
        )?
        .finish()
}

/// What `whalewatch ingest equity-trades` did.
#[derive(Debug)]
pub struct EquityTradesReport {
    pub report: IngestReport,
    /// Prints voided by corrections and cancels (kept in `rejected_records`, reason `voided: …`).
    pub voided: u64,
}

/// Lands each tape into `equity_trades`, one file per source and trading date, replacing what
/// the same source landed before.
pub fn ingest_files(
    lake: &Lake,
    paths: &[PathBuf],
    options: &EquityTradesOptions,
) -> Result<EquityTradesReport> {
    distinct_names(paths)?;
    let mut voided = 0;
    let report = ingest_local_paths(
        lake,
        &EQUITY_TRADES,
        paths,
        |path, source, refused, content| {
            let tape = read_tape(path, source, options, &mut content.sha256)?;
            content.check_new()?;
            refused.extend(tape.rejected);
            voided += tape.voided;
            let stem = file_stem(path);
            let mut transaction = Transaction::new(lake);
            let mut rows = 0;
            let now = Utc::now().timestamp_micros();
            for (date, batches) in tape.by_date {
                rows += batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
                let date = date_partition(date_from_days(date));
                transaction.replace(
                    &EQUITY_DAILY_VOLUME,
                    Some(&date),
                    &stem,
                    daily_volume(&batches, source, now)?,
                )?;
                if tape.sorted {
                    transaction.replace_sorted(&EQUITY_TRADES, Some(&date), &stem, batches)?;
                } else {
                    let batch = concat_batches(&EQUITY_TRADES.file_schema(), &batches)?;
                    transaction.replace(&EQUITY_TRADES, Some(&date), &stem, batch)?;
                }
            }
            // A source whose every row is refused keeps its earlier days.
            if rows > 0 {
                transaction.remove_other_partitions_of(&EQUITY_TRADES, &stem, source)?;
                transaction.remove_other_partitions_of(&EQUITY_DAILY_VOLUME, &stem, source)?;
            }
            transaction.commit()?;
            Ok(rows)
        },
    )?;
    Ok(EquityTradesReport { report, voided })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_by_a_delimiter_is_refused_not_read_as_empty_fields() {
        // `\xd1` ends the conditions and `\x94` begins the correction: run together they are
        // UTF-8 (`є`), but neither field is; the row is refused, not landed without them.
        let header = b"ticker,conditions,correction,exchange,id,participant_timestamp,price,\
sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n";
        let good = b"AAPL,,0,12,1,1741185000000000400,235.1,2001,1741185000000000500,100,3,0,0\n";
        let cut =
            b"AAPL,\xd1,\x940,12,2,1741185000000000400,235.1,2002,1741185000000000500,100,3,0,0\n";
        let tape = [&header[..], good, cut].concat();
        let path = Path::new("polygon_2025-03-05.csv");
        let options = EquityTradesOptions::default();
        assert_eq!(
            read_for_fuzzing(path, &tape, &options, BLOCK_BYTES).unwrap(),
            (1, 1)
        );
    }

    #[test]
    fn times_of_day_in_taq_and_daily_taq_forms() {
        let at = |h: i64, m: i64, s: i64, ns: i64| ((h * 60 + m) * 60 + s) * 1_000_000_000 + ns;
        assert_eq!(
            parse_time_of_day("4:06:02.246831104"),
            Some(at(4, 6, 2, 246_831_104))
        );
        assert_eq!(parse_time_of_day("09:30:00"), Some(at(9, 30, 0, 0)));
        assert_eq!(
            parse_time_of_day("9:30:00.5"),
            Some(at(9, 30, 0, 500_000_000))
        );
        assert_eq!(
            parse_time_of_day("093000123456789"),
            Some(at(9, 30, 0, 123_456_789))
        );
        assert_eq!(
            parse_time_of_day("160000123"),
            Some(at(16, 0, 0, 123_000_000))
        );
        for bad in [
            "25:00:00",
            "9:61:00",
            "9:30",
            "93000",
            "9:30:00.1234567890",
            "ab:cd:ef",
            "",
        ] {
            assert_eq!(parse_time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_york_local_times_across_daylight_saving() {
        let mut clock = Clock::new(Some(New_York));
        let nine_thirty = 9 * 3600 + 1800;
        let mut utc = |date: NaiveDate| {
            let micros = clock.local(date, nine_thirty * 1_000_000_000).unwrap();
            chrono::DateTime::from_timestamp_micros(micros)
                .unwrap()
                .to_rfc3339()
        };
        // EST before 2025-03-09, EDT after.
        assert_eq!(
            utc(NaiveDate::from_ymd_opt(2025, 3, 7).unwrap()),
            "2025-03-07T14:30:00+00:00"
        );
        assert_eq!(
            utc(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap()),
            "2025-03-10T13:30:00+00:00"
        );
        // An after-hours print past midnight UTC keeps its New York date.
        let evening = chrono::DateTime::parse_from_rfc3339("2025-03-11T00:30:00Z").unwrap();
        let date = clock.new_york_date(evening.timestamp_micros());
        assert_eq!(
            date,
            days_since_epoch(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap())
        );
    }

    #[test]
    fn regular_sales_by_letters_and_by_polygon_ids() {
        assert!(is_regular_sale("@ TI", false));
        assert!(is_regular_sale("@F", false));
        assert!(!is_regular_sale("@ W", false));
        assert!(!is_regular_sale("L", false));
        assert!(!is_regular_sale("@  4", false));
        assert!(is_regular_sale("12,37", true));
        assert!(is_regular_sale("14, 41", true));
        assert!(!is_regular_sale("2", true));
        assert!(!is_regular_sale("12,30", true));
        // A lone 4 is CTA's derivatively priced in a mapped tape, not Polygon's id 4.
        assert!(!conditions_are_ids(Layout::Mapped, "4"));
        assert!(conditions_are_ids(Layout::Mapped, "12,37"));
        assert!(!conditions_are_ids(Layout::Mapped, "@ W"));
    }

    #[test]
    fn facilities_and_corrections() {
        assert_eq!(trf_name("N"), Some("FINRA/NYSE TRF"));
        assert_eq!(trf_name("T"), trf_name("Q"));
        assert_eq!(trf_name("202"), Some("FINRA/Nasdaq TRF Carteret"));
        assert_eq!(trf_name("FINC"), Some("FINRA/Nasdaq TRF Chicago"));
        assert_eq!(trf_name("12"), None);
        assert_eq!(correction_effect(1), Some(CorrectionEffect::Stands));
        assert!(matches!(
            correction_effect(8),
            Some(CorrectionEffect::Void(_))
        ));
        assert_eq!(correction_effect(5), None);
    }

    #[test]
    fn dates_in_daily_taq_file_names() {
        let date = |name: &str| date_in_name(Path::new(name));
        assert_eq!(
            date("EQY_US_ALL_TRADE_20250304.gz"),
            NaiveDate::from_ymd_opt(2025, 3, 4)
        );
        assert_eq!(
            date("/x/EQY_US_ALL_TRADE_20250304"),
            NaiveDate::from_ymd_opt(2025, 3, 4)
        );
        assert_eq!(date("trades_120250304.csv"), None);
        assert_eq!(date("trades.csv"), None);
    }

    #[test]
    fn pieces_end_at_line_ends_and_know_their_first_line() {
        let text = b"h\na,1\nb,2\nc,3\nd,4\n";
        let pieces = split_lines(text, 2, 2, 3);
        let joined: Vec<u8> = pieces
            .iter()
            .flat_map(|&(f, t, _, _)| text[f..t].to_vec())
            .collect();
        assert_eq!(joined, text[2..].to_vec());
        for &(from, to, line, lines) in &pieces {
            assert!(text[to - 1] == b'\n');
            let before = text[..from].iter().filter(|b| **b == b'\n').count() as u64;
            assert_eq!(line, before + 1);
            let count = text[from..to].iter().filter(|b| **b == b'\n').count() as u64;
            assert_eq!(lines, count);
        }
    }

    /// A line without end (a corrupt or hostile file) fails the tape once it passes
    /// [`LONGEST_LINE`] instead of growing the buffer until memory runs out.
    #[test]
    fn an_endless_line_fails_the_tape_without_holding_it() {
        let header = "DATE,TIME_M,EX,SYM_ROOT,SIZE,PRICE\n2025-03-03,";
        let mut input = header
            .as_bytes()
            .chain(std::io::repeat(b'x').take((LONGEST_LINE + (4 << 20)) as u64));
        let error = parse_delimited(
            Path::new("tape.csv"),
            "tape.csv",
            &mut input,
            &EquityTradesOptions::default(),
            1 << 20,
        )
        .err()
        .expect("refused")
        .to_string();
        assert!(error.contains("a line of more than 64 MiB"), "{error}");
    }

    /// A tape read a few bytes at a time (blocks cut lines, lines longer than a block) gives
    /// the prints, refusals and line numbers of the tape read whole.
    #[test]
    fn blocks_of_any_size_read_as_the_whole() {
        let path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
            .join("tests/fixtures/equity_trades/taq_trades_2025-03-03.csv");
        let path = path.as_path();
        let text = std::fs::read(path).unwrap();
        let summary = |block: usize| {
            let pieces = parse_delimited(
                path,
                "tape",
                &mut &text[..],
                &EquityTradesOptions::default(),
                block,
            )
            .unwrap();
            let prints: Vec<(Vec<u8>, i64, i64)> = pieces
                .iter()
                .flat_map(|p| {
                    (0..p.prints.len()).map(|r| {
                        (
                            p.prints.symbol(r).to_vec(),
                            p.prints.ts[r],
                            p.prints.line[r],
                        )
                    })
                })
                .collect();
            let refused: Vec<(Option<u64>, String)> = pieces
                .iter()
                .flat_map(|p| p.rejected.iter().map(|r| (r.line, r.reason.clone())))
                .collect();
            (prints, refused)
        };
        let whole = summary(BLOCK_BYTES);
        assert_eq!((whole.0.len(), whole.1.len()), (16, 9));
        for block in [1, 7, 50, 64, 100, 333, 1000] {
            assert_eq!(summary(block), whole, "block of {block} bytes");
        }
    }
}
