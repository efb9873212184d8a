//! Option trade tapes from CSV or Parquet, in the layouts vendors ship:
//!
//! - CBOE LiveVol time and sales (`underlying_symbol, quote_datetime, sequence_number, root,
//!   expiration, strike, option_type, exchange_id, trade_size, trade_price, trade_condition_id,
//!   …, best_bid, best_ask, underlying_bid, underlying_ask, …`), the NBBO at trade time on every
//!   row and times in New York local time;
//! - Polygon flat files (`ticker, conditions, correction, exchange, price, sip_timestamp, size`),
//!   OSI tickers with the `O:` prefix and nanosecond SIP times, with the NBBO from an as-of join
//!   to a quotes file (`ticker, ask_exchange, ask_price, ask_size, bid_exchange, bid_price,
//!   bid_size, sequence_number, sip_timestamp`);
//! - any other layout, its headers named with `--column target=HEADER`.
//!
//! Every print is checked (a contract that parses, a positive whole size and a positive price,
//! a time of day, not after its expiry); a refused print is counted and kept in
//! `rejected_records`. Each source lands as one file per trading date, replaced whole when the
//! source is ingested again.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};

use crate::collect::fields::days_since_epoch;
use crate::collect::fields::{self, by_date, distinct_names, file_stem, parse_date, parse_instant};
use crate::collect::tabular::{self, Fields, Table};
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::{OPTION_QUOTES, OPTION_TRADES};
use crate::lake::date_partition;
use crate::lake::ingest_log::timestamps;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

#[derive(Debug, Clone, Default)]
pub struct OptionTradesOptions {
    /// Quote files (Polygon style) for the NBBO of prints that come without one.
    pub quotes: Vec<PathBuf>,
    /// `target=HEADER` pairs for layouts whose headers are not recognised.
    pub column_map: Vec<(String, String)>,
    /// The zone of times written without a UTC offset. LiveVol's `quote_datetime` is New York
    /// time, and is read so without this; other layouts must give an offset or this.
    pub time_zone: Option<Tz>,
}

/// The headers an OSI symbol goes by, in tapes and quote files.
const CONTRACT_NAMES: &[&str] = &[
    "contract",
    "ticker",
    "option_symbol",
    "osi_symbol",
    "symbol",
];

const TRADE_COLUMNS: [(&str, &[&str]); 16] = [
    ("contract", CONTRACT_NAMES),
    ("underlying", &["underlying_symbol", "underlying"]),
    ("root", &["root"]),
    (
        "expiry",
        &["expiration", "expiry", "expiration_date", "expire_date"],
    ),
    ("strike", &["strike", "strike_price"]),
    (
        "right",
        &["option_type", "right", "put_call", "call_put", "cp"],
    ),
    (
        "ts",
        &[
            "quote_datetime",
            "sip_timestamp",
            "timestamp",
            "ts",
            "datetime",
            "trade_time",
            "time",
        ],
    ),
    (
        "seq",
        &["sequence_number", "seq", "sequence", "sequence_id"],
    ),
    ("exchange", &["exchange_id", "exchange", "exch", "venue"]),
    (
        "size",
        &["trade_size", "size", "contracts", "quantity", "qty"],
    ),
    ("price", &["trade_price", "price"]),
    (
        "condition",
        &[
            "trade_condition_id",
            "conditions",
            "condition",
            "trade_condition",
        ],
    ),
    (
        "bid",
        &["best_bid", "bid", "bid_price", "bid_price_at_execution"],
    ),
    (
        "ask",
        &["best_ask", "ask", "ask_price", "ask_price_at_execution"],
    ),
    ("underlying_bid", &["underlying_bid"]),
    ("underlying_ask", &["underlying_ask"]),
];

const QUOTE_COLUMNS: [(&str, &[&str]); 9] = [
    ("contract", CONTRACT_NAMES),
    (
        "ts",
        &["sip_timestamp", "quote_datetime", "timestamp", "ts", "time"],
    ),
    ("seq", &["sequence_number", "seq", "sequence"]),
    ("bid", &["bid_price", "bid", "best_bid"]),
    ("ask", &["ask_price", "ask", "best_ask"]),
    ("bid_size", &["bid_size"]),
    ("ask_size", &["ask_size"]),
    ("bid_exchange", &["bid_exchange"]),
    ("ask_exchange", &["ask_exchange"]),
];

/// An option contract: its root and terms, and its OSI symbol without padding.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractTerms {
    pub root: String,
    pub expiry: NaiveDate,
    pub right: &'static str,
    pub strike: f64,
}

impl ContractTerms {
    /// `AAPL240119C00190000`: root, YYMMDD, C or P, strike × 1000 in 8 digits.
    pub fn symbol(&self) -> String {
        format!(
            "{}{}{}{:08}",
            self.root,
            self.expiry.format("%y%m%d"),
            self.right,
            (self.strike * 1000.0).round() as u64
        )
    }

    pub fn from_osi(text: &str) -> Result<ContractTerms, String> {
        whalewatch_udfs::parse_osi::parse(text)
            .map(|(root, expiry, right, strike)| ContractTerms {
                root: root.to_ascii_uppercase(),
                expiry,
                right,
                strike,
            })
            .ok_or_else(|| {
                format!("{text:?} is not an OSI option symbol (ROOT + YYMMDD + C/P + strike×1000 in 8 digits)")
            })
    }

    /// The terms from separate fields; an error names the field at fault (root, expiry, right
    /// or strike).
    pub fn from_parts(
        root: &str,
        expiry: &str,
        right: &str,
        strike: &str,
    ) -> Result<ContractTerms, (&'static str, String)> {
        let root = root.trim().trim_start_matches('^').to_ascii_uppercase();
        if root.is_empty() || !root.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
            return Err(("root", format!("{root:?} is not an option root")));
        }
        let expiry = parse_date(expiry).map_err(|e| ("expiry", e))?;
        let right = parse_right(right).map_err(|e| ("right", e))?;
        let strike: f64 = strike
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s > 0.0)
            .ok_or_else(|| {
                (
                    "strike",
                    format!("strike {strike:?} is not a positive number"),
                )
            })?;
        let thousandths = strike * 1000.0;
        if (thousandths - thousandths.round()).abs() > 1e-6 || thousandths >= 1e8 {
            return Err((
                "strike",
                format!("strike {strike} does not fit OSI's 5 digits and 3 decimals"),
            ));
        }
        Ok(ContractTerms {
            root,
            expiry,
            right,
            strike,
        })
    }
}

pub(crate) fn parse_right(text: &str) -> Result<&'static str, String> {
    match text.trim().to_ascii_uppercase().as_str() {
        "C" | "CALL" | "CALLS" => Ok("C"),
        "P" | "PUT" | "PUTS" => Ok("P"),
        _ => Err(format!("{text:?} is neither a call (C) nor a put (P)")),
    }
}

fn positive_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= fields::MAX_COUNT)
}

fn whole_number(text: &str) -> Option<i64> {
    let value = text.trim().parse::<f64>().ok()?;
    (value.is_finite() && value.fract() == 0.0 && value.abs() < 9e15).then_some(value as i64)
}

/// One print as it lands.
#[derive(Debug, Clone, PartialEq)]
pub struct Print {
    pub underlying: String,
    pub contract: String,
    pub terms: ContractTerms,
    pub ts: DateTime<Utc>,
    pub seq: i64,
    pub exchange: String,
    pub size: i64,
    pub price: f64,
    pub condition: Option<String>,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub underlying_bid: Option<f64>,
    pub underlying_ask: Option<f64>,
    pub line: u64,
}

/// One NBBO quote of a contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub contract: String,
    pub ts: DateTime<Utc>,
    pub seq: i64,
    pub bid: f64,
    pub ask: f64,
    pub bid_size: Option<i64>,
    pub ask_size: Option<i64>,
    pub bid_exchange: Option<String>,
    pub ask_exchange: Option<String>,
    pub line: u64,
}

/// What the option collectors read of a record besides text: prices and times.
trait OptionFields {
    fn quote_price(&self, target: &str) -> Result<Option<f64>, Rejected>;
    fn instant(&self, zone: Option<Tz>) -> Result<DateTime<Utc>, Rejected>;
}

impl OptionFields for Fields<'_> {
    /// An optional quote price: absent, or a number ≥ 0.
    fn quote_price(&self, target: &str) -> Result<Option<f64>, Rejected> {
        match self.text(target) {
            None => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(Some)
                .ok_or_else(|| self.reject(target, format!("{text:?} is not a price"))),
        }
    }

    fn instant(&self, zone: Option<Tz>) -> Result<DateTime<Utc>, Rejected> {
        parse_instant(self.required("ts")?, zone).map_err(|reason| self.reject("ts", reason))
    }
}

/// The zone of local times: the user's, or New York for LiveVol's `quote_datetime`.
fn zone_for(
    table: &Table,
    at: &BTreeMap<&str, Option<usize>>,
    options: &OptionTradesOptions,
) -> Option<Tz> {
    let livevol = at["ts"]
        .and_then(|i| table.header.get(i))
        .is_some_and(|h| h.trim().eq_ignore_ascii_case("quote_datetime"));
    options.time_zone.or(livevol.then_some(New_York))
}

/// Reads a tape into prints and refused records. Fails only when the file as a whole cannot be
/// read (no such columns, not CSV).
pub fn parse_trades(
    table: &Table,
    source: &str,
    options: &OptionTradesOptions,
) -> Result<(Vec<Print>, Vec<Rejected>)> {
    let at = table.resolve(&TRADE_COLUMNS, &options.column_map);
    for target in ["ts", "exchange", "size", "price"] {
        if at[target].is_none() {
            return Err(table.missing(source, target));
        }
    }
    let by_parts = ["expiry", "strike", "right"]
        .iter()
        .all(|t| at[t].is_some())
        && (at["root"].is_some() || at["underlying"].is_some());
    if at["contract"].is_none() && !by_parts {
        return Err(Error::format(
            source,
            Some(1),
            None,
            format!(
                "no contract column (an OSI symbol) and no root, expiration, strike and option_type \
                 columns in header {:?}; name them with --column contract=HEADER or --column root=…, \
                 expiry=…, strike=…, right=…",
                table.header
            ),
        ));
    }
    let zone = zone_for(table, &at, options);
    let mut prints = Vec::with_capacity(table.rows.len());
    let mut rejected = Vec::new();
    // A sequence number may repeat on another exchange or another day.
    let mut first_line_of: HashMap<(NaiveDate, String, i64), u64> = HashMap::new();
    for fields in table.fields(&at, source, &mut rejected) {
        let record = fields.record;
        let print = (|| -> Result<Print, Rejected> {
            let terms = match fields.text("contract") {
                Some(symbol) => ContractTerms::from_osi(symbol)
                    .map_err(|reason| fields.reject("contract", reason))?,
                None if by_parts => {
                    let root_target = if at["root"].is_some() {
                        "root"
                    } else {
                        "underlying"
                    };
                    ContractTerms::from_parts(
                        fields.required(root_target)?,
                        fields.required("expiry")?,
                        fields.required("right")?,
                        fields.required("strike")?,
                    )
                    .map_err(|(target, reason)| {
                        fields.reject(
                            if target == "root" {
                                root_target
                            } else {
                                target
                            },
                            reason,
                        )
                    })?
                }
                None => return Err(fields.reject("contract", "empty".to_string())),
            };
            let underlying = match fields.text("underlying") {
                Some(u) => u.trim_start_matches('^').to_ascii_uppercase(),
                None => terms.root.clone(),
            };
            let ts = fields.instant(zone)?;
            let trade_date = trading_date(ts);
            if terms.expiry < trade_date {
                return Err(fields.reject(
                    "ts",
                    format!(
                        "traded on {trade_date}, after the contract expired on {}",
                        terms.expiry
                    ),
                ));
            }
            let size_text = fields.required("size")?;
            let size = whole_number(size_text).filter(|s| *s > 0).ok_or_else(|| {
                fields.reject(
                    "size",
                    format!("{size_text:?} is not a positive whole number of contracts"),
                )
            })?;
            let price_text = fields.required("price")?;
            let price = positive_number(price_text).ok_or_else(|| {
                fields.reject("price", format!("{price_text:?} is not a positive price"))
            })?;
            let seq = match fields.text("seq") {
                Some(text) => whole_number(text).ok_or_else(|| {
                    fields.reject("seq", format!("{text:?} is not a whole number"))
                })?,
                // Polygon's option trades have no sequence number: the line keeps them apart.
                None => record.line as i64,
            };
            let (mut bid, mut ask) = (fields.quote_price("bid")?, fields.quote_price("ask")?);
            // LiveVol writes 0/0 when there was no market: no quote, not a free option.
            if bid == Some(0.0) && ask == Some(0.0) {
                (bid, ask) = (None, None);
            }
            let (mut underlying_bid, mut underlying_ask) = (
                fields.quote_price("underlying_bid")?,
                fields.quote_price("underlying_ask")?,
            );
            if underlying_bid == Some(0.0) && underlying_ask == Some(0.0) {
                (underlying_bid, underlying_ask) = (None, None);
            }
            let condition = fields
                .text("condition")
                .map(|c| c.trim_matches(['[', ']', ' ']).to_string())
                .filter(|c| !c.is_empty());
            Ok(Print {
                underlying,
                contract: terms.symbol(),
                terms,
                ts,
                seq,
                exchange: fields.required("exchange")?.to_string(),
                size,
                price,
                condition,
                bid,
                ask,
                underlying_bid,
                underlying_ask,
                line: record.line,
            })
        })();
        match print {
            Ok(print) => match first_line_of.entry((
                trading_date(print.ts),
                print.exchange.clone(),
                print.seq,
            )) {
                Entry::Occupied(first) => rejected.push(Rejected {
                    source: source.to_string(),
                    line: Some(record.line),
                    field: None,
                    raw: Some(record.raw.clone()),
                    reason: format!(
                        "second print with sequence number {} on exchange {} that day (the first is line {})",
                        print.seq,
                        print.exchange,
                        first.get()
                    ),
                }),
                Entry::Vacant(slot) => {
                    slot.insert(record.line);
                    prints.push(print);
                }
            },
            Err(refused) => rejected.push(refused),
        }
    }
    Ok((prints, rejected))
}

/// Reads a quotes file into quotes and refused records.
pub fn parse_quotes(
    table: &Table,
    source: &str,
    options: &OptionTradesOptions,
) -> Result<(Vec<Quote>, Vec<Rejected>)> {
    // The --column mappings are the tape's; a quotes file keeps its own headers where it lacks
    // the mapped ones.
    let column_map: Vec<(String, String)> = options
        .column_map
        .iter()
        .filter(|(_, header)| table.column(&[header.as_str()]).is_some())
        .cloned()
        .collect();
    let at = table.resolve(&QUOTE_COLUMNS, &column_map);
    for target in ["contract", "ts", "bid", "ask"] {
        if at[target].is_none() {
            return Err(table.missing(source, target));
        }
    }
    let zone = zone_for(table, &at, options);
    let mut quotes = Vec::with_capacity(table.rows.len());
    let mut rejected = Vec::new();
    for fields in table.fields(&at, source, &mut rejected) {
        let record = fields.record;
        let quote = (|| -> Result<Quote, Rejected> {
            let terms = ContractTerms::from_osi(fields.required("contract")?)
                .map_err(|reason| fields.reject("contract", reason))?;
            let ts = fields.instant(zone)?;
            let price = |target: &str| -> Result<f64, Rejected> {
                fields
                    .quote_price(target)?
                    .ok_or_else(|| fields.reject(target, "empty".to_string()))
            };
            let (bid, ask) = (price("bid")?, price("ask")?);
            let size = |target: &str| -> Result<Option<i64>, Rejected> {
                fields
                    .text(target)
                    .map(|t| {
                        whole_number(t)
                            .filter(|s| *s >= 0)
                            .ok_or_else(|| fields.reject(target, format!("{t:?} is not a size")))
                    })
                    .transpose()
            };
            Ok(Quote {
                contract: terms.symbol(),
                ts,
                seq: match fields.text("seq") {
                    Some(text) => whole_number(text).ok_or_else(|| {
                        fields.reject("seq", format!("{text:?} is not a whole number"))
                    })?,
                    None => record.line as i64,
                },
                bid,
                ask,
                bid_size: size("bid_size")?,
                ask_size: size("ask_size")?,
                bid_exchange: fields.text("bid_exchange").map(str::to_string),
                ask_exchange: fields.text("ask_exchange").map(str::to_string),
                line: record.line,
            })
        })();
        match quote {
            Ok(quote) => quotes.push(quote),
            Err(refused) => rejected.push(refused),
        }
    }
    Ok((quotes, rejected))
}

/// Each contract's quotes in time order, for the as-of join.
#[derive(Default)]
pub struct QuoteBook {
    /// Per contract: (SIP time, sequence, bid, ask) in time order. The times keep their
    /// nanoseconds: an as-of join cut to microseconds would let a quote from later in the same
    /// microsecond price a print.
    by_contract: HashMap<String, Vec<(DateTime<Utc>, i64, f64, f64)>>,
}

impl QuoteBook {
    pub fn add(&mut self, quotes: &[Quote]) {
        for quote in quotes {
            self.by_contract
                .entry(quote.contract.clone())
                .or_default()
                .push((quote.ts, quote.seq, quote.bid, quote.ask));
        }
    }

    fn sort(&mut self) {
        for quotes in self.by_contract.values_mut() {
            quotes.sort_by_key(|quote| (quote.0, quote.1));
        }
    }

    /// The NBBO in force at `ts`: the last quote of the same trading day at or before it, to the
    /// nanosecond (a quote stamped in the same nanosecond as the print counts).
    pub fn at(&self, contract: &str, ts: DateTime<Utc>) -> Option<(f64, f64)> {
        let quotes = self.by_contract.get(contract)?;
        let after = quotes.partition_point(|q| q.0 <= ts);
        let quote = quotes.get(after.checked_sub(1)?)?;
        (trading_date(quote.0) == trading_date(ts)).then_some((quote.2, quote.3))
    }

    pub fn is_empty(&self) -> bool {
        self.by_contract.is_empty()
    }
}

/// The expiry, right and strike columns of contracts, by name.
pub(crate) fn term_columns<'a>(
    terms: impl Iterator<Item = &'a ContractTerms>,
) -> [(&'static str, ArrayRef); 3] {
    let (mut expiry, mut right, mut strike) = (Vec::new(), Vec::new(), Vec::new());
    for t in terms {
        expiry.push(days_since_epoch(t.expiry));
        right.push(t.right);
        strike.push(t.strike);
    }
    [
        ("expiry", Arc::new(Date32Array::from(expiry))),
        ("right", Arc::new(StringArray::from(right))),
        ("strike", Arc::new(Float64Array::from(strike))),
    ]
}

/// The New York trading date of an instant: a print's partition.
fn trading_date(ts: DateTime<Utc>) -> NaiveDate {
    ts.with_timezone(&New_York).date_naive()
}

fn floats(values: impl Iterator<Item = Option<f64>>) -> Float64Array {
    Float64Array::from_iter(values)
}

fn stage_trades(
    transaction: &mut Transaction,
    prints: &[Print],
    source: &str,
    stem: &str,
) -> Result<()> {
    let now = Utc::now();
    for (date, rows) in by_date(prints, |p| trading_date(p.ts)) {
        let batch = BatchBuilder::new(&OPTION_TRADES, rows.len())
            .column(
                "underlying",
                StringArray::from_iter_values(rows.iter().map(|p| p.underlying.as_str())),
            )?
            .column(
                "contract",
                StringArray::from_iter_values(rows.iter().map(|p| p.contract.as_str())),
            )?
            .columns(term_columns(rows.iter().map(|p| &p.terms)))?
            .column("ts", timestamps(rows.iter().map(|p| p.ts)))?
            .column(
                "seq",
                Int64Array::from_iter_values(rows.iter().map(|p| p.seq)),
            )?
            .column(
                "exchange",
                StringArray::from_iter_values(rows.iter().map(|p| p.exchange.as_str())),
            )?
            .column(
                "size",
                Int64Array::from_iter_values(rows.iter().map(|p| p.size)),
            )?
            .column(
                "price",
                Float64Array::from_iter_values(rows.iter().map(|p| p.price)),
            )?
            .column(
                "condition",
                StringArray::from_iter(rows.iter().map(|p| p.condition.as_deref())),
            )?
            .column("bid", floats(rows.iter().map(|p| p.bid)))?
            .column("ask", floats(rows.iter().map(|p| p.ask)))?
            .column(
                "underlying_bid",
                floats(rows.iter().map(|p| p.underlying_bid)),
            )?
            .column(
                "underlying_ask",
                floats(rows.iter().map(|p| p.underlying_ask)),
            )?
            .provenance(source, rows.iter().map(|p| p.line), now)?
            .finish()?;
        transaction.replace(&OPTION_TRADES, Some(&date_partition(date)), stem, batch)?;
    }
    Ok(())
}

fn stage_quotes(
    transaction: &mut Transaction,
    quotes: &[Quote],
    source: &str,
    stem: &str,
) -> Result<()> {
    let now = Utc::now();
    for (date, rows) in by_date(quotes, |q| trading_date(q.ts)) {
        let batch = BatchBuilder::new(&OPTION_QUOTES, rows.len())
            .column(
                "contract",
                StringArray::from_iter_values(rows.iter().map(|q| q.contract.as_str())),
            )?
            .column("ts", timestamps(rows.iter().map(|q| q.ts)))?
            .column(
                "seq",
                Int64Array::from_iter_values(rows.iter().map(|q| q.seq)),
            )?
            .column(
                "bid",
                Float64Array::from_iter_values(rows.iter().map(|q| q.bid)),
            )?
            .column(
                "ask",
                Float64Array::from_iter_values(rows.iter().map(|q| q.ask)),
            )?
            .column(
                "bid_size",
                Int64Array::from_iter(rows.iter().map(|q| q.bid_size)),
            )?
            .column(
                "ask_size",
                Int64Array::from_iter(rows.iter().map(|q| q.ask_size)),
            )?
            .column(
                "bid_exchange",
                StringArray::from_iter(rows.iter().map(|q| q.bid_exchange.as_deref())),
            )?
            .column(
                "ask_exchange",
                StringArray::from_iter(rows.iter().map(|q| q.ask_exchange.as_deref())),
            )?
            .provenance(source, rows.iter().map(|q| q.line), now)?
            .finish()?;
        transaction.replace(&OPTION_QUOTES, Some(&date_partition(date)), stem, batch)?;
    }
    Ok(())
}

/// What `whalewatch ingest option-trades` did: the quote files' run (when given) and the tapes'.
#[derive(Debug)]
pub struct OptionTradesReport {
    pub quotes: Option<IngestReport>,
    pub trades: IngestReport,
}

/// Lands the quote files (when given) into `option_quotes`, then the tapes into `option_trades`,
/// filling each print's missing NBBO from the quotes by an as-of join.
pub fn ingest_files(
    lake: &Lake,
    paths: &[PathBuf],
    options: &OptionTradesOptions,
) -> Result<OptionTradesReport> {
    distinct_names(paths)?;
    distinct_names(&options.quotes)?;
    let mut book = QuoteBook::default();
    let quotes = if options.quotes.is_empty() {
        None
    } else {
        Some(ingest_local_files(
            lake,
            &OPTION_QUOTES,
            &options.quotes,
            |path, source, bytes, refused| {
                let table = tabular::parse(path, bytes)?;
                let (quotes, rejected) = parse_quotes(&table, source, options)?;
                refused.extend(rejected);
                let mut transaction = Transaction::new(lake);
                stage_quotes(&mut transaction, &quotes, source, &file_stem(path))?;
                // A source whose every row is refused keeps its earlier days.
                if !quotes.is_empty() {
                    transaction.remove_other_partitions_of(
                        &OPTION_QUOTES,
                        &file_stem(path),
                        source,
                    )?;
                }
                transaction.commit()?;
                book.add(&quotes);
                Ok(quotes.len() as u64)
            },
        )?)
    };
    book.sort();
    let trades = ingest_local_files(
        lake,
        &OPTION_TRADES,
        paths,
        |path, source, bytes, refused| {
            let table = tabular::parse(path, bytes)?;
            let (mut prints, rejected) = parse_trades(&table, source, options)?;
            refused.extend(rejected);
            if !book.is_empty() {
                for print in prints
                    .iter_mut()
                    .filter(|p| p.bid.is_none() && p.ask.is_none())
                {
                    if let Some((bid, ask)) = book.at(&print.contract, print.ts) {
                        (print.bid, print.ask) = (Some(bid), Some(ask));
                    }
                }
            }
            let mut transaction = Transaction::new(lake);
            stage_trades(&mut transaction, &prints, source, &file_stem(path))?;
            // A source whose every row is refused keeps its earlier days.
            if !prints.is_empty() {
                transaction.remove_other_partitions_of(&OPTION_TRADES, &file_stem(path), source)?;
            }
            transaction.commit()?;
            Ok(prints.len() as u64)
        },
    )?;
    Ok(OptionTradesReport { quotes, trades })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts_from_osi_and_from_parts_agree() {
        let osi = ContractTerms::from_osi("O:AAPL240119C00190000").unwrap();
        let parts = ContractTerms::from_parts("AAPL", "2024-01-19", "call", "190.00").unwrap();
        assert_eq!(osi, parts);
        assert_eq!(osi.symbol(), "AAPL240119C00190000");
        let padded = ContractTerms::from_osi("SPXW  260612P07400000").unwrap();
        assert_eq!(padded.symbol(), "SPXW260612P07400000");
        assert_eq!(
            ContractTerms::from_parts("^SPX", "06/12/2026", "P", "7400")
                .unwrap()
                .root,
            "SPX"
        );
        assert!(ContractTerms::from_parts("AAPL", "2024-01-19", "X", "190").is_err());
        assert!(ContractTerms::from_parts("AAPL", "2024-01-19", "C", "190.0005").is_err());
    }

    #[test]
    fn local_times_need_a_zone() {
        let at = parse_instant("2026-03-02 09:30:00.125", Some(New_York)).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-02T14:30:00.125+00:00");
        assert!(parse_instant("2026-03-02 09:30:00.125", None)
            .unwrap_err()
            .contains("no UTC offset"));
        // Polygon's nanoseconds.
        let at = parse_instant("1772461800123456789", None).unwrap();
        assert_eq!(at.timestamp_micros(), 1772461800123456);
        assert!(parse_instant("2026-03-02", None)
            .unwrap_err()
            .contains("without a time"));
    }

    #[test]
    fn the_quote_in_force_is_the_last_at_or_before_the_print() {
        let quote = |ms: i64, bid: f64| Quote {
            contract: "AAPL240119C00190000".into(),
            ts: DateTime::from_timestamp_millis(ms).unwrap(),
            seq: ms,
            bid,
            ask: bid + 0.1,
            bid_size: None,
            ask_size: None,
            bid_exchange: None,
            ask_exchange: None,
            line: 0,
        };
        let mut book = QuoteBook::default();
        book.add(&[quote(30, 3.0), quote(10, 1.0), quote(20, 2.0)]);
        book.sort();
        let at = |ms| {
            book.at(
                "AAPL240119C00190000",
                DateTime::from_timestamp_millis(ms).unwrap(),
            )
        };
        assert_eq!(at(5), None);
        assert_eq!(at(10).map(|q| q.0), Some(1.0));
        assert_eq!(at(19).map(|q| q.0), Some(1.0));
        assert_eq!(at(25).map(|q| q.0), Some(2.0));
        assert_eq!(at(99).map(|q| q.0), Some(3.0));
        assert_eq!(
            book.at(
                "MSFT240119C00190000",
                DateTime::from_timestamp_millis(99).unwrap()
            ),
            None
        );
    }
}
