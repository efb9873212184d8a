//! Option chains into `open_interest`, one row per contract per day:
//!
//! - CBOE LiveVol end-of-day summaries (`underlying_symbol, quote_date, root, expiration, strike,
//!   option_type, …, trade_volume, …, underlying_bid_eod, underlying_ask_eod, …, open_interest`,
//!   and the Calcs variant's `implied_volatility_1545`, `gamma_1545`);
//! - CBOE delayed-quote chains saved as CSV (`# spot,7431.46,ts,2026-06-13 15:30:32`, then
//!   `strike,dte,cp,oi,gamma,delta,iv,bid,ask`): no symbols, so the underlying comes from
//!   `--underlying` or the file name (`SPX_2026-06-12.csv`), the date from `--date` or the file
//!   name, and the expiry is the date + dte. Such a file cannot tell SPX from SPXW: two rows with
//!   the same terms both land, under the one root;
//! - any other layout with an OSI symbol or root, expiration, strike and right columns, and an
//!   open interest column, named with `--column target=HEADER` when needed.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};

use crate::collect::fields::parse_date;
use crate::collect::tabular::{self, Fields};
use crate::collect::tapes::option_trades::{parse_right, ContractTerms};
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::{Error, Result};
use crate::lake::datasets::OPEN_INTEREST;
use crate::lake::date_partition;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

#[derive(Debug, Clone, Default)]
pub struct ChainOptions {
    /// The chain's date, for files without a date column or date in their name.
    pub date: Option<NaiveDate>,
    /// The underlying, for files without symbols or an underlying column.
    pub underlying: Option<String>,
    pub column_map: Vec<(String, String)>,
}

const CHAIN_COLUMNS: [(&str, &[&str]); 15] = [
    (
        "contract",
        &[
            "contract",
            "option_symbol",
            "osi_symbol",
            "option",
            "symbol",
            "ticker",
        ],
    ),
    ("underlying", &["underlying_symbol", "underlying"]),
    ("root", &["root"]),
    ("date", &["quote_date", "date", "trade_date"]),
    ("expiry", &["expiration", "expiry", "expiration_date"]),
    ("dte", &["dte", "days_to_expiration"]),
    ("strike", &["strike", "strike_price"]),
    (
        "right",
        &["option_type", "right", "cp", "put_call", "call_put"],
    ),
    ("open_interest", &["open_interest", "oi", "openinterest"]),
    ("volume", &["trade_volume", "volume"]),
    (
        "underlying_price",
        &["underlying_price", "spot", "underlying_close"],
    ),
    (
        "underlying_bid",
        &[
            "underlying_bid_eod",
            "underlying_bid_1545",
            "underlying_bid",
        ],
    ),
    (
        "underlying_ask",
        &[
            "underlying_ask_eod",
            "underlying_ask_1545",
            "underlying_ask",
        ],
    ),
    ("gamma", &["gamma_1545", "gamma"]),
    (
        "implied_vol",
        &["implied_volatility_1545", "implied_volatility", "iv"],
    ),
];

/// One contract's line of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    pub date: NaiveDate,
    pub underlying: String,
    pub terms: ContractTerms,
    pub open_interest: i64,
    pub volume: Option<i64>,
    pub underlying_price: Option<f64>,
    pub gamma: Option<f64>,
    pub implied_vol: Option<f64>,
    pub line: u64,
}

/// The `# spot,…,ts,…` line of a CBOE delayed-quote CSV: the spot price, and the rest of the file.
fn delayed_quote_preamble(bytes: &[u8]) -> Option<(f64, usize)> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&bytes[..end])
        .ok()?
        .trim_end_matches('\r');
    let mut fields = line.split(',').map(str::trim);
    if fields.next()? != "# spot" {
        return None;
    }
    let spot = fields.next()?.parse().ok()?;
    Some((spot, end + 1))
}

/// `SPX_2026-06-12.csv` → (`SPX`, 2026-06-12): what a file name says of its chain. The
/// underlying only from a name of that SYMBOL_DATE form (a root of up to six characters); the
/// date from any part that is one.
fn name_parts(path: &Path) -> (Option<String>, Option<NaiveDate>) {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let parts: Vec<&str> = stem.split(['_', ' ']).collect();
    let date = parts.iter().find_map(|part| parse_date(part).ok());
    let underlying = match parts.as_slice() {
        // An option root has at most six characters (OSI's padded field).
        [symbol, day]
            if parse_date(day).is_ok()
                && (1..=6).contains(&symbol.len())
                && symbol
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.') =>
        {
            Some(symbol.to_ascii_uppercase())
        }
        _ => None,
    };
    (underlying, date)
}

fn optional_number(fields: &Fields, target: &str) -> Result<Option<f64>, Rejected> {
    match fields.text(target) {
        None => Ok(None),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| fields.reject(target, format!("{text:?} is not a number"))),
    }
}

fn count(fields: &Fields, target: &str) -> Result<Option<i64>, Rejected> {
    match optional_number(fields, target)? {
        None => Ok(None),
        Some(v) if v >= 0.0 && v.fract() == 0.0 => Ok(Some(v as i64)),
        Some(v) => Err(fields.reject(target, format!("{v} is not a whole number ≥ 0"))),
    }
}

pub fn parse(
    path: &Path,
    source: &str,
    bytes: Vec<u8>,
    options: &ChainOptions,
) -> Result<(Vec<ChainRow>, Vec<Rejected>)> {
    let preamble = delayed_quote_preamble(&bytes);
    let (table_bytes, spot) = match preamble {
        Some((spot, start)) => (bytes[start..].to_vec(), Some(spot)),
        None => (bytes, None),
    };
    let mut table = tabular::parse(path, table_bytes)?;
    if preamble.is_some() {
        // Line numbers of the file, not of the table after the `# spot` line.
        for record in &mut table.rows {
            record.line += 1;
        }
    }
    let at = table.resolve(&CHAIN_COLUMNS, &options.column_map);
    if at["open_interest"].is_none() {
        return Err(table.missing(source, "open_interest"));
    }
    let (name_underlying, name_date) = name_parts(path);
    let file_date = options.date.or(name_date);
    if at["date"].is_none() && file_date.is_none() {
        return Err(Error::format(
            source,
            Some(1),
            None,
            "no date column and no date in the file name: pass --date YYYY-MM-DD",
        ));
    }
    let by_parts = at["strike"].is_some()
        && at["right"].is_some()
        && (at["expiry"].is_some() || at["dte"].is_some());
    if at["contract"].is_none() && !by_parts {
        return Err(Error::format(
            source,
            Some(1),
            None,
            format!("no option symbol column and no expiration (or dte), strike and option_type columns in header {:?}", table.header),
        ));
    }
    let given_underlying = options.underlying.clone().map(|u| u.to_ascii_uppercase());
    if at["contract"].is_none()
        && at["root"].is_none()
        && at["underlying"].is_none()
        && given_underlying.is_none()
        && name_underlying.is_none()
    {
        return Err(Error::format(
            source,
            Some(1),
            None,
            "no root or underlying column: pass --underlying SYMBOL",
        ));
    }

    let mut rows = Vec::with_capacity(table.rows.len());
    let mut rejected = Vec::new();
    for fields in table.fields(&at, source, &mut rejected) {
        let record = fields.record;
        let row = (|| -> Result<ChainRow, Rejected> {
            let date = match fields.text("date") {
                Some(text) => parse_date(text).map_err(|reason| fields.reject("date", reason))?,
                None => file_date.ok_or_else(|| fields.reject("date", "empty".to_string()))?,
            };
            let underlying_text = fields
                .text("underlying")
                .map(|u| u.trim_start_matches('^').to_ascii_uppercase());
            let terms = match fields.text("contract") {
                Some(symbol) => ContractTerms::from_osi(symbol)
                    .map_err(|reason| fields.reject("contract", reason))?,
                None => {
                    let root = fields
                        .text("root")
                        .map(str::to_string)
                        .or(underlying_text.clone())
                        .or(given_underlying.clone())
                        .or(name_underlying.clone())
                        .unwrap_or_default();
                    let expiry = match fields.text("expiry") {
                        Some(text) => text.to_string(),
                        None => {
                            let dte_text = fields.required("dte")?;
                            let days = dte_text
                                .parse::<i64>()
                                .ok()
                                .filter(|d| (0..=36_600).contains(d))
                                .ok_or_else(|| {
                                    fields.reject(
                                        "dte",
                                        format!("{dte_text:?} is not a number of days"),
                                    )
                                })?;
                            (date + chrono::Duration::days(days))
                                .format("%Y-%m-%d")
                                .to_string()
                        }
                    };
                    let right = fields.required("right")?;
                    parse_right(right).map_err(|reason| fields.reject("right", reason))?;
                    ContractTerms::from_parts(&root, &expiry, right, fields.required("strike")?)
                        .map_err(|(target, reason)| fields.reject(target, reason))?
                }
            };
            if terms.expiry < date {
                return Err(fields.reject(
                    "expiry",
                    format!("expired on {} before the chain's date {date}", terms.expiry),
                ));
            }
            let open_interest = count(&fields, "open_interest")?
                .ok_or_else(|| fields.reject("open_interest", "empty".to_string()))?;
            let underlying_price = match optional_number(&fields, "underlying_price")? {
                Some(price) => Some(price),
                None => match (
                    optional_number(&fields, "underlying_bid")?,
                    optional_number(&fields, "underlying_ask")?,
                ) {
                    (Some(bid), Some(ask)) if bid > 0.0 && ask > 0.0 => Some((bid + ask) / 2.0),
                    _ => spot,
                },
            };
            Ok(ChainRow {
                date,
                underlying: underlying_text
                    .or(given_underlying.clone())
                    .unwrap_or_else(|| terms.root.clone()),
                terms,
                open_interest,
                volume: count(&fields, "volume")?,
                underlying_price,
                gamma: optional_number(&fields, "gamma")?,
                implied_vol: optional_number(&fields, "implied_vol")?,
                line: record.line,
            })
        })();
        match row {
            Ok(row) => rows.push(row),
            Err(refused) => rejected.push(refused),
        }
    }
    Ok((rows, rejected))
}

pub fn ingest_files(
    lake: &Lake,
    paths: &[PathBuf],
    options: &ChainOptions,
) -> Result<IngestReport> {
    crate::collect::fields::distinct_names(paths)?;
    ingest_local_files(
        lake,
        &OPEN_INTEREST,
        paths,
        |path, source, bytes, refused| {
            let (rows, rejected) = parse(path, source, bytes, options)?;
            refused.extend(rejected);
            let now = Utc::now();
            let stem = crate::collect::fields::file_stem(path);
            let mut transaction = Transaction::new(lake);
            for (date, rows) in crate::collect::fields::by_date(&rows, |r| r.date) {
                let batch = BatchBuilder::new(&OPEN_INTEREST, rows.len())
                    .column(
                        "contract",
                        StringArray::from_iter_values(rows.iter().map(|r| r.terms.symbol())),
                    )?
                    .column(
                        "underlying",
                        StringArray::from_iter_values(rows.iter().map(|r| r.underlying.as_str())),
                    )?
                    .columns(crate::collect::tapes::option_trades::term_columns(
                        rows.iter().map(|r| &r.terms),
                    ))?
                    .column(
                        "open_interest",
                        Int64Array::from_iter_values(rows.iter().map(|r| r.open_interest)),
                    )?
                    .column(
                        "volume",
                        Int64Array::from_iter(rows.iter().map(|r| r.volume)),
                    )?
                    .column(
                        "underlying_price",
                        Float64Array::from_iter(rows.iter().map(|r| r.underlying_price)),
                    )?
                    .column(
                        "gamma",
                        Float64Array::from_iter(rows.iter().map(|r| r.gamma)),
                    )?
                    .column(
                        "implied_vol",
                        Float64Array::from_iter(rows.iter().map(|r| r.implied_vol)),
                    )?
                    .provenance(source, rows.iter().map(|r| r.line), now)?
                    .finish()?;
                transaction.replace(&OPEN_INTEREST, Some(&date_partition(date)), &stem, batch)?;
            }
            if !rows.is_empty() {
                transaction.remove_other_partitions_of(&OPEN_INTEREST, &stem, source)?;
            }
            transaction.commit()?;
            Ok(rows.len() as u64)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delayed_quote_csv_takes_underlying_and_date_from_its_name() {
        let text = "# spot,7431.4600,ts,2026-06-13 15:30:32\n\
strike,dte,cp,oi,gamma,delta,iv,bid,ask\n\
7400.00,0,C,1926,0.001200,0.6000,0.1500,40.00,41.00\n\
7400.00,6,P,100,0.000800,-0.4000,0.1600,30.00,31.00\n\
7400.00,6,P,4,0.000790,-0.4000,0.1600,30.00,31.00\n\
7400.00,x,P,4,0.000790,-0.4000,0.1600,30.00,31.00\n";
        let path = Path::new("/chains/SPX_2026-06-12.csv");
        let (rows, rejected) = parse(
            path,
            "s",
            text.as_bytes().to_vec(),
            &ChainOptions::default(),
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].terms.symbol(), "SPX260612C07400000");
        assert_eq!(rows[1].terms.symbol(), "SPX260618P07400000");
        assert_eq!(
            rows[2].terms.symbol(),
            rows[1].terms.symbol(),
            "SPX and SPXW rows both land"
        );
        assert_eq!(
            (
                rows[0].open_interest,
                rows[0].underlying_price,
                rows[0].gamma
            ),
            (1926, Some(7431.46), Some(0.0012))
        );
        assert_eq!(rows[0].line, 3);
        assert_eq!(
            (rejected[0].line, rejected[0].field.as_deref()),
            (Some(6), Some("dte"))
        );
    }

    #[test]
    fn livevol_end_of_day_layout() {
        let text = "underlying_symbol,quote_date,root,expiration,strike,option_type,open,high,low,close,trade_volume,bid_size_1545,bid_1545,ask_size_1545,ask_1545,underlying_bid_1545,underlying_ask_1545,bid_size_eod,bid_eod,ask_size_eod,ask_eod,underlying_bid_eod,underlying_ask_eod,vwap,open_interest,delivery_code\n\
^SPX,2026-03-02,SPXW,2026-03-20,6000.000,P,10.5,12.0,9.0,11.0,1523,10,10.9,12,11.1,6100.10,6100.50,5,10.8,5,11.2,6101.00,6101.40,10.7,20345,\n";
        let (rows, rejected) = parse(
            Path::new("UnderlyingOptionsEODQuotes_2026-03-02.csv"),
            "s",
            text.as_bytes().to_vec(),
            &ChainOptions::default(),
        )
        .unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        let row = &rows[0];
        assert_eq!(
            (row.underlying.as_str(), row.terms.symbol().as_str()),
            ("SPX", "SPXW260320P06000000")
        );
        assert_eq!((row.open_interest, row.volume), (20345, Some(1523)));
        assert_eq!(row.underlying_price, Some(6101.2));
    }
}
