//! The security master from CSV: `cusip,symbol,name,shares_outstanding[,valid_from,valid_to]`.
//! A CUSIP's row holds from `valid_from` (default: always) to `valid_to` (default: still), so a
//! ticker change or a new share count is a new row. Loading a file replaces what that file
//! loaded before.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{Date32Array, Float64Array, StringArray};

use crate::collect::fields::days_since_epoch;
use crate::collect::fields::{file_stem, parse_date};
use crate::collect::sec_13f::cusip_valid;
use crate::collect::tabular::{self, Fields};
use crate::collect::{ingest_local_files, IngestReport};
use crate::error::Result;
use crate::lake::datasets::SECURITIES;
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

const COLUMNS: [(&str, &[&str]); 6] = [
    ("cusip", &["cusip"]),
    ("symbol", &["symbol", "ticker"]),
    ("name", &["name", "issuer", "company_name", "security_name"]),
    (
        "shares_outstanding",
        &["shares_outstanding", "shares", "outstanding"],
    ),
    ("valid_from", &["valid_from", "from", "start_date"]),
    ("valid_to", &["valid_to", "to", "end_date"]),
];

struct Security {
    cusip: String,
    symbol: Option<String>,
    name: Option<String>,
    shares_outstanding: Option<f64>,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    line: u64,
}

fn parse(fields: &Fields) -> std::result::Result<Security, Rejected> {
    let cusip = fields.required("cusip")?.to_ascii_uppercase();
    if !cusip_valid(&cusip) {
        return Err(fields.reject("cusip", format!("{cusip:?} fails the CUSIP check digit")));
    }
    let date = |target: &str| -> std::result::Result<Option<NaiveDate>, Rejected> {
        fields
            .text(target)
            .map(|t| parse_date(t).map_err(|reason| fields.reject(target, reason)))
            .transpose()
    };
    let shares_outstanding = match fields.text("shares_outstanding") {
        None => None,
        Some(text) => Some(
            text.replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    fields.reject(
                        "shares_outstanding",
                        format!("{text:?} is not a positive number"),
                    )
                })?,
        ),
    };
    let (valid_from, valid_to) = (date("valid_from")?, date("valid_to")?);
    if let (Some(from), Some(to)) = (valid_from, valid_to) {
        if to < from {
            return Err(fields.reject("valid_to", format!("{to} is before valid_from {from}")));
        }
    }
    Ok(Security {
        cusip,
        symbol: fields.text("symbol").map(|s| s.to_ascii_uppercase()),
        name: fields.text("name").map(str::to_string),
        shares_outstanding,
        valid_from,
        valid_to,
        line: fields.record.line,
    })
}

pub fn ingest_files(lake: &Lake, paths: &[PathBuf]) -> Result<IngestReport> {
    ingest_local_files(lake, &SECURITIES, paths, |path, source, bytes, refused| {
        let table = tabular::parse(path, bytes)?;
        let at = table.resolve(&COLUMNS, &[]);
        if at["cusip"].is_none() {
            return Err(table.missing(source, "cusip"));
        }
        let mut rows = Vec::new();
        let mut first_line_of: HashMap<(String, Option<NaiveDate>), u64> = HashMap::new();
        for fields in table.fields(&at, source, refused) {
            match parse(&fields) {
                Ok(security) => {
                    let key = (security.cusip.clone(), security.valid_from);
                    if let Some(first) = first_line_of.insert(key, security.line) {
                        refused.push(Rejected {
                            source: source.to_string(),
                            line: Some(security.line),
                            field: None,
                            raw: Some(fields.record.raw.clone()),
                            reason: format!(
                                "second row for {} from the same valid_from (the first is line {first})",
                                security.cusip
                            ),
                        });
                    } else {
                        rows.push(security);
                    }
                }
                Err(rejected) => refused.push(rejected),
            }
        }
        let batch = BatchBuilder::new(&SECURITIES, rows.len())
            .column(
                "cusip",
                StringArray::from_iter_values(rows.iter().map(|s| s.cusip.as_str())),
            )?
            .column(
                "symbol",
                StringArray::from_iter(rows.iter().map(|s| s.symbol.as_deref())),
            )?
            .column(
                "name",
                StringArray::from_iter(rows.iter().map(|s| s.name.as_deref())),
            )?
            .column(
                "shares_outstanding",
                Float64Array::from_iter(rows.iter().map(|s| s.shares_outstanding)),
            )?
            .column(
                "valid_from",
                Date32Array::from_iter(rows.iter().map(|s| s.valid_from.map(days_since_epoch))),
            )?
            .column(
                "valid_to",
                Date32Array::from_iter(rows.iter().map(|s| s.valid_to.map(days_since_epoch))),
            )?
            .provenance(source, rows.iter().map(|s| s.line), Utc::now())?
            .finish()?;
        let mut transaction = Transaction::new(lake);
        transaction.replace(&SECURITIES, None, &file_stem(path), batch)?;
        transaction.commit()?;
        Ok(rows.len() as u64)
    })
}
