//! SEC Form 13F filings from EDGAR's full submissions: the `ACCESSION.txt` file (an SGML header of
//! `KEY:<tab>value` lines with `<ACCEPTANCE-DATETIME>`, then one `<DOCUMENT>` per part) and the
//! one-line `.nc` form (`<ACCESSION-NUMBER>…<TYPE>…<PERIOD>…` tags). The cover page is the
//! `edgarSubmission` XML, the holdings the `informationTable` XML, in the default namespace or
//! with `ns1:` prefixes: elements are matched by local name.
//!
//! What 13F tools get wrong and this module decides per filing, saying why:
//! - **the value unit.** Filers were told to report thousands until 2022 and dollars after, but
//!   filings keep coming in the other unit on both sides of the change. The unit is the one under
//!   which more of the filing's share rows price between $1 and $10,000 a share; only when that
//!   says nothing (no share rows, or a tie) does the filing date decide;
//! - **reconciliation.** The row count against `tableEntryTotal` and the raw value sum against
//!   `tableValueTotal`: a filing that does not reconcile is flagged, never dropped;
//! - **CUSIPs.** The check digit is verified and a wrong one flagged; the row is kept.

pub mod bulk;
pub mod edgar_index;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch,
    StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;

use crate::collect::fields::days_since_epoch;
use crate::collect::http::{Fetched, HttpClient};
use crate::collect::{
    ingest_local_files, land_remote_sources, sha256_hex, IngestReport, Progress, RemoteSource,
};
use crate::error::{Error, Result};
use crate::lake::datasets::{FILINGS_13F, HOLDINGS_13F, OTHER_MANAGERS_13F};
use crate::lake::date_partition;
use crate::lake::ingest_log::timestamps;
use crate::lake::ingest_log::{IngestRun, SourceOutcome, SourceStatus};
use crate::lake::{BatchBuilder, Lake, Rejected, Transaction};

/// The unit a filing's `value` column is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueUnit {
    Thousands,
    Dollars,
}

impl ValueUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueUnit::Thousands => "thousands",
            ValueUnit::Dollars => "dollars",
        }
    }

    pub(crate) fn factor(self) -> f64 {
        match self {
            ValueUnit::Thousands => 1000.0,
            ValueUnit::Dollars => 1.0,
        }
    }
}

/// One row of an information table, as filed.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    /// 1-based position in the information table.
    pub row: i64,
    pub issuer: String,
    pub class: Option<String>,
    pub cusip: String,
    pub cusip_valid: bool,
    pub figi: Option<String>,
    pub value_raw: f64,
    /// Shares (SH) or principal amount (PRN); for a put or call row, the underlying's shares.
    pub amount: f64,
    pub amount_type: String,
    pub put_call: Option<String>,
    pub investment_discretion: Option<String>,
    pub other_managers: Option<String>,
    pub voting_sole: Option<f64>,
    pub voting_shared: Option<f64>,
    pub voting_none: Option<f64>,
}

/// Another manager a report includes (a combination report's summary page), by sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherManager {
    pub sequence_number: i64,
    pub cik: Option<String>,
    pub form13f_file_number: Option<String>,
    pub crd_number: Option<String>,
    pub sec_file_number: Option<String>,
    pub name: Option<String>,
}

/// The `other_managers_13f` file rows of `(accession, filer CIK, manager, line)`.
pub(crate) fn other_managers_batch(
    rows: &[(&str, &str, &OtherManager, u64)],
    source: &str,
    now: DateTime<Utc>,
) -> Result<RecordBatch> {
    let strings =
        |f: fn(&OtherManager) -> Option<&str>| StringArray::from_iter(rows.iter().map(|r| f(r.2)));
    BatchBuilder::new(&OTHER_MANAGERS_13F, rows.len())
        .column(
            "accession",
            StringArray::from_iter_values(rows.iter().map(|r| r.0)),
        )?
        .column(
            "cik",
            StringArray::from_iter_values(rows.iter().map(|r| r.1)),
        )?
        .column(
            "sequence_number",
            Int64Array::from_iter_values(rows.iter().map(|r| r.2.sequence_number)),
        )?
        .column("manager_cik", strings(|m| m.cik.as_deref()))?
        .column(
            "form13f_file_number",
            strings(|m| m.form13f_file_number.as_deref()),
        )?
        .column("crd_number", strings(|m| m.crd_number.as_deref()))?
        .column("sec_file_number", strings(|m| m.sec_file_number.as_deref()))?
        .column("name", strings(|m| m.name.as_deref()))?
        .provenance(source, rows.iter().map(|r| r.3), now)?
        .finish()
}

/// One filing: its `filings_13f` row (cover and summary pages, unit, reconciliation), its
/// report period, the other managers it includes and its information table.
#[derive(Debug, Clone)]
pub struct Filing {
    pub row: FilingRow,
    pub report_period: NaiveDate,
    pub other_managers: Vec<OtherManager>,
    pub holdings: Vec<Holding>,
}

/// The CUSIP check digit rule: letters count 10–35, `*` 36, `@` 37, `#` 38; every second
/// character's value is doubled; the digits of all the values are summed.
pub fn cusip_valid(cusip: &str) -> bool {
    let bytes = cusip.as_bytes();
    if bytes.len() != 9 || !bytes[8].is_ascii_digit() {
        return false;
    }
    let mut sum = 0;
    for (i, &b) in bytes[..8].iter().enumerate() {
        let mut value = match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'A'..=b'Z' => (b - b'A') as u32 + 10,
            b'a'..=b'z' => (b - b'a') as u32 + 10,
            b'*' => 36,
            b'@' => 37,
            b'#' => 38,
            _ => return false,
        };
        if i % 2 == 1 {
            value *= 2;
        }
        sum += value / 10 + value % 10;
    }
    (10 - sum % 10) % 10 == (bytes[8] - b'0') as u32
}

/// A CIK as EDGAR's documents write it, ten digits with leading zeros: the SEC's data sets drop
/// the zeros, and one manager must have one key whichever way its filings came in.
pub fn normalize_cik(cik: &str) -> String {
    let cik = cik.trim();
    if !cik.is_empty() && cik.len() < 10 && cik.bytes().all(|b| b.is_ascii_digit()) {
        format!("{cik:0>10}")
    } else {
        cik.to_string()
    }
}

/// The value-weighted median of `(price, weight)` pairs.
fn weighted_median(mut points: Vec<(f64, f64)>) -> Option<f64> {
    points.retain(|(p, w)| p.is_finite() && *w > 0.0);
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = points.iter().map(|(_, w)| w).sum();
    let mut running = 0.0;
    for (price, weight) in points {
        running += weight;
        if running * 2.0 >= total {
            return Some(price);
        }
    }
    None
}

/// Decides the unit of a filing's values. Read as dollars and as thousands, the value-weighted
/// median price a share of its share rows (put and call rows too: their value and amount are the
/// underlying's) is either plausible, $0.50 to $5,000, or not; with no share rows, the median
/// price of its principal rows as a fraction of par (0.05 to 2). When exactly one reading is
/// plausible it wins; otherwise (both, as for prices of $1 to $5, or neither, or no rows) the
/// filing date decides: dollars from 2023-01-03, the SEC's rule.
pub fn decide_unit(holdings: &[Holding], filed: Option<NaiveDate>) -> (ValueUnit, String) {
    decide_unit_from(
        holdings
            .iter()
            .map(|h| (h.value_raw, h.amount, h.amount_type.as_str())),
        filed,
    )
}

/// [`decide_unit`] over `(value_raw, amount, amount_type)` rows, for callers that hold their rows
/// in columns (the SEC's bulk data sets).
pub fn decide_unit_from<'a>(
    rows: impl Iterator<Item = (f64, f64, &'a str)>,
    filed: Option<NaiveDate>,
) -> (ValueUnit, String) {
    let (mut shares, mut principal) = (Vec::new(), Vec::new());
    for (value_raw, amount, amount_type) in rows {
        if amount <= 0.0 {
            continue;
        }
        if amount_type.eq_ignore_ascii_case("SH") {
            shares.push((value_raw / amount, value_raw));
        } else if amount_type.eq_ignore_ascii_case("PRN") {
            principal.push((value_raw / amount, value_raw));
        }
    }
    let (median, what, plausible): (Option<f64>, &str, fn(f64) -> bool) = if !shares.is_empty() {
        (weighted_median(shares), "a share", |price| {
            (0.5..=5_000.0).contains(&price)
        })
    } else {
        (weighted_median(principal), "of par", |fraction| {
            (0.05..=2.0).contains(&fraction)
        })
    };
    let reading = match median {
        Some(m) => {
            let (as_dollars, as_thousands) = (plausible(m), plausible(m * 1000.0));
            let summary = format!(
                "value-weighted median {} {what} read as dollars, {} read as thousands",
                round_sig(m),
                round_sig(m * 1000.0)
            );
            match (as_dollars, as_thousands) {
                (true, false) => {
                    return (
                        ValueUnit::Dollars,
                        format!("{summary}: only dollars is plausible"),
                    )
                }
                (false, true) => {
                    return (
                        ValueUnit::Thousands,
                        format!("{summary}: only thousands is plausible"),
                    )
                }
                (true, true) => format!("{summary}: both plausible"),
                (false, false) => format!("{summary}: neither plausible"),
            }
        }
        None => "no share or principal rows".to_string(),
    };
    let cutover = NaiveDate::from_ymd_opt(2023, 1, 3).unwrap_or_default();
    match filed {
        Some(date) if date >= cutover => (
            ValueUnit::Dollars,
            format!("{reading}, so by the filing date {date} (on or after 2023-01-03)"),
        ),
        Some(date) => (
            ValueUnit::Thousands,
            format!("{reading}, so by the filing date {date} (before 2023-01-03)"),
        ),
        None => (
            ValueUnit::Dollars,
            format!("{reading} and no filing date, so dollars (the current rule)"),
        ),
    }
}

/// Four significant digits, for the reason text.
fn round_sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("${x:.digits$}")
}

/// The value of a `KEY:<tabs>value` line of an SGML header.
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    header.lines().find_map(|line| {
        let line = line.trim();
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    })
}

/// EDGAR's accession number: ten digits (the filer agent's CIK), two (the year), six (the
/// sequence), joined by dashes.
pub fn is_accession_number(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [a, b, c]
        if a.len() == 10 && b.len() == 2 && c.len() == 6
            && [a, b, c].iter().all(|p| p.bytes().all(|d| d.is_ascii_digit())))
}

/// The text after `<TAG>` up to the next `<` (the `.nc` form and `<ACCEPTANCE-DATETIME>`).
fn tag_value<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
    let rest = &text[start..];
    let end = rest.find(['<', '\n', '\r']).unwrap_or(rest.len());
    Some(rest[..end].trim()).filter(|v| !v.is_empty())
}

/// Every `<XML>…</XML>` block of a submission.
fn xml_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<XML>") {
        let after = &rest[start + 5..];
        let Some(end) = after.find("</XML>") else {
            break;
        };
        blocks.push(after[..end].trim());
        rest = &after[end + 6..];
    }
    blocks
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    ["%m-%d-%Y", "%Y%m%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

/// The first descendant of `node` with local name `name`, its text trimmed.
fn text_of<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn number(text: Option<&str>) -> Option<f64> {
    text.and_then(|t| t.replace(',', "").trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && v.abs() <= crate::collect::fields::MAX_COUNT)
}

/// Parses a full submission (`.txt` or `.nc`). Information-table rows that cannot be read are
/// refused into `rejected` with their row number; a submission without a cover page is an error.
pub fn parse_submission(text: &str, source: &str) -> Result<(Filing, Vec<Rejected>)> {
    let error = |message: String| Error::format(source, None, None, message);
    let header_end = text.find("<DOCUMENT>").unwrap_or(text.len());
    let header = &text[..header_end];
    let accession = header_value(header, "ACCESSION NUMBER")
        .or_else(|| tag_value(header, "ACCESSION-NUMBER"))
        .ok_or_else(|| {
            error("no ACCESSION NUMBER: not an EDGAR full submission (.txt or .nc)".into())
        })?
        .to_string();
    // The accession names the filing's files in the lake: only EDGAR's own form may.
    if !is_accession_number(&accession) {
        return Err(error(format!(
            "ACCESSION NUMBER {accession:?} is not EDGAR's 0000000000-00-000000"
        )));
    }
    let accepted_at = tag_value(header, "ACCEPTANCE-DATETIME")
        .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").ok())
        .and_then(|local| New_York.from_local_datetime(&local).earliest())
        .map(|t| t.with_timezone(&Utc));
    let filed_date = header_value(header, "FILED AS OF DATE")
        .or_else(|| tag_value(header, "FILING-DATE"))
        .and_then(parse_date);
    let header_period = header_value(header, "CONFORMED PERIOD OF REPORT")
        .or_else(|| tag_value(header, "PERIOD"))
        .and_then(parse_date);
    let header_form =
        header_value(header, "CONFORMED SUBMISSION TYPE").or_else(|| tag_value(header, "TYPE"));

    let mut cover = None;
    let mut table = None;
    for block in xml_blocks(text) {
        let document = roxmltree::Document::parse(block)
            .map_err(|e| error(format!("an XML document does not parse: {e}")))?;
        match document.root_element().tag_name().name() {
            "edgarSubmission" => cover = Some(block),
            "informationTable" => table = Some(block),
            _ => {}
        }
    }
    let cover_text = cover.ok_or_else(|| error("no edgarSubmission cover page".into()))?;
    let cover = roxmltree::Document::parse(cover_text)
        .map_err(|e| error(format!("the cover page does not parse: {e}")))?;
    let root = cover.root_element();
    let report_period = text_of(root, "periodOfReport")
        .or_else(|| text_of(root, "reportCalendarOrQuarter"))
        .and_then(parse_date)
        .or(header_period)
        .ok_or_else(|| error("no period of report on the cover page or in the header".into()))?;
    let cik = text_of(root, "cik")
        .map(str::to_string)
        .or_else(|| header_value(header, "CENTRAL INDEX KEY").map(str::to_string))
        .or_else(|| tag_value(header, "CIK").map(str::to_string))
        .map(|cik| normalize_cik(&cik))
        .ok_or_else(|| error("no CIK".into()))?;
    let filer_name = root
        .descendants()
        .find(|n| n.tag_name().name() == "filingManager")
        .and_then(|manager| text_of(manager, "name"))
        .or_else(|| header_value(header, "COMPANY CONFORMED NAME"))
        .or_else(|| tag_value(header, "CONFORMED-NAME"))
        .map(str::to_string);

    let mut rejected = Vec::new();
    let mut holdings = Vec::new();
    if let Some(table_text) = table {
        let table_offset = table_text.as_ptr() as usize - text.as_ptr() as usize;
        let table = roxmltree::Document::parse(table_text)
            .map_err(|e| error(format!("the information table does not parse: {e}")))?;
        let rows = table
            .root_element()
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "infoTable");
        // The file's line of each row, counted on from the previous row's (rows come in file
        // order): a count from the file's start for each refusal was quadratic in the refusals.
        let (mut counted_to, mut line) = (0usize, 1u64);
        for (i, node) in rows.enumerate() {
            let row = i as i64 + 1;
            let start = table_offset + node.range().start;
            line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..start]).count() as u64;
            counted_to = start;
            let reject = |field: &str, reason: String| Rejected {
                source: source.to_string(),
                line: Some(line),
                field: Some(field.to_string()),
                raw: Some(
                    table_text[node.range()]
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                reason: format!("information table row {row}: {reason}"),
            };
            let holding = (|| -> std::result::Result<Holding, Rejected> {
                let cusip = text_of(node, "cusip")
                    .ok_or_else(|| reject("cusip", "no CUSIP".into()))?
                    .to_ascii_uppercase();
                let value_raw = number(text_of(node, "value"))
                    .ok_or_else(|| reject("value", "no number".into()))?;
                let amount = number(text_of(node, "sshPrnamt"))
                    .ok_or_else(|| reject("sshPrnamt", "no number".into()))?;
                Ok(Holding {
                    row,
                    issuer: text_of(node, "nameOfIssuer")
                        .unwrap_or_default()
                        .to_string(),
                    class: text_of(node, "titleOfClass").map(str::to_string),
                    cusip_valid: cusip_valid(&cusip),
                    cusip,
                    figi: text_of(node, "figi").map(str::to_string),
                    value_raw,
                    amount,
                    amount_type: text_of(node, "sshPrnamtType")
                        .unwrap_or("SH")
                        .to_ascii_uppercase(),
                    put_call: text_of(node, "putCall").map(|p| p.to_ascii_uppercase()),
                    investment_discretion: text_of(node, "investmentDiscretion")
                        .map(str::to_string),
                    other_managers: text_of(node, "otherManager").map(str::to_string),
                    voting_sole: number(text_of(node, "Sole")),
                    voting_shared: number(text_of(node, "Shared")),
                    voting_none: number(text_of(node, "None")),
                })
            })();
            match holding {
                Ok(h) => holdings.push(h),
                Err(refused) => rejected.push(refused),
            }
        }
    }
    let (value_unit, value_unit_reason) = decide_unit(&holdings, filed_date);
    let filing = Filing {
        row: FilingRow {
            holdings_file: accession.clone(),
            accession,
            cik,
            filer_name,
            form_type: text_of(root, "submissionType")
                .or(header_form)
                .unwrap_or_default()
                .to_string(),
            filed_date,
            accepted_at,
            schema_version: text_of(root, "schemaVersion").map(str::to_string),
            report_type: text_of(root, "reportType").map(str::to_string),
            is_amendment: text_of(root, "isAmendment")
                .is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "Y"),
            amendment_no: number(text_of(root, "amendmentNo")).map(|n| n as i64),
            amendment_type: text_of(root, "amendmentType").map(str::to_string),
            other_managers_count: number(text_of(root, "otherIncludedManagersCount"))
                .map(|n| n as i64),
            table_entry_total: number(text_of(root, "tableEntryTotal")).map(|n| n as i64),
            table_value_total: number(text_of(root, "tableValueTotal")),
            rows: holdings.len() as i64,
            value_sum_raw: holdings.iter().map(|h| h.value_raw).sum(),
            value_unit,
            value_unit_reason,
            source: source.to_string(),
            line: 1,
        },
        report_period,
        other_managers: root
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "otherManager2")
            .filter_map(|node| {
                let text = |name: &str| text_of(node, name).map(str::to_string);
                Some(OtherManager {
                    sequence_number: number(text_of(node, "sequenceNumber"))? as i64,
                    cik: text("cik").map(|cik| normalize_cik(&cik)),
                    form13f_file_number: text("form13FFileNumber"),
                    crd_number: text("crdNumber"),
                    sec_file_number: text("secFileNumber"),
                    name: text("name"),
                })
            })
            .collect(),
        holdings,
    };
    Ok((filing, rejected))
}

/// One row of `filings_13f`: a filing's cover and summary pages, what its information table held
/// and which `holdings_13f` file holds its rows (its accession, or a bulk data set's file).
#[derive(Debug, Clone)]
pub struct FilingRow {
    pub accession: String,
    pub cik: String,
    pub filer_name: Option<String>,
    pub form_type: String,
    pub filed_date: Option<NaiveDate>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub schema_version: Option<String>,
    pub report_type: Option<String>,
    pub is_amendment: bool,
    pub amendment_no: Option<i64>,
    pub amendment_type: Option<String>,
    pub other_managers_count: Option<i64>,
    pub table_entry_total: Option<i64>,
    pub table_value_total: Option<f64>,
    pub rows: i64,
    pub value_sum_raw: f64,
    pub value_unit: ValueUnit,
    pub value_unit_reason: String,
    pub holdings_file: String,
    /// The file and line the filing was read from.
    pub source: String,
    pub line: u64,
}

impl FilingRow {
    pub fn rows_match_total(&self) -> Option<bool> {
        self.table_entry_total.map(|total| total == self.rows)
    }

    /// Whether the raw values add up to the summary page's total, to the unit (filers round).
    pub fn value_matches_total(&self) -> Option<bool> {
        self.table_value_total
            .map(|total| (total - self.value_sum_raw).abs() <= 1.0)
    }
}

/// The `filings_13f` file rows of `rows`.
pub(crate) fn filings_batch(rows: &[FilingRow], now: DateTime<Utc>) -> Result<RecordBatch> {
    let strings = |f: fn(&FilingRow) -> Option<&str>| StringArray::from_iter(rows.iter().map(f));
    let integers = |f: fn(&FilingRow) -> Option<i64>| Int64Array::from_iter(rows.iter().map(f));
    let floats = |f: fn(&FilingRow) -> Option<f64>| Float64Array::from_iter(rows.iter().map(f));
    let booleans = |f: fn(&FilingRow) -> Option<bool>| BooleanArray::from_iter(rows.iter().map(f));
    let accepted_at = match rows.iter().any(|r| r.accepted_at.is_some()) {
        true => datafusion::arrow::array::TimestampMicrosecondArray::from_iter(
            rows.iter()
                .map(|r| r.accepted_at.map(|t| t.timestamp_micros())),
        )
        .with_timezone("UTC"),
        false => timestamps_opt_n(None, rows.len()),
    };
    BatchBuilder::new(&FILINGS_13F, rows.len())
        .column("accession", strings(|r| Some(r.accession.as_str())))?
        .column("cik", strings(|r| Some(r.cik.as_str())))?
        .column("filer_name", strings(|r| r.filer_name.as_deref()))?
        .column("form_type", strings(|r| Some(r.form_type.as_str())))?
        .column(
            "filed_date",
            Date32Array::from_iter(rows.iter().map(|r| r.filed_date.map(days_since_epoch))),
        )?
        .column("accepted_at", accepted_at)?
        .column("schema_version", strings(|r| r.schema_version.as_deref()))?
        .column("report_type", strings(|r| r.report_type.as_deref()))?
        .column("is_amendment", booleans(|r| Some(r.is_amendment)))?
        .column("amendment_no", integers(|r| r.amendment_no))?
        .column("amendment_type", strings(|r| r.amendment_type.as_deref()))?
        .column("other_managers_count", integers(|r| r.other_managers_count))?
        .column("table_entry_total", integers(|r| r.table_entry_total))?
        .column("table_value_total", floats(|r| r.table_value_total))?
        .column("rows", integers(|r| Some(r.rows)))?
        .column("value_sum_raw", floats(|r| Some(r.value_sum_raw)))?
        .column("value_unit", strings(|r| Some(r.value_unit.as_str())))?
        .column(
            "value_unit_reason",
            strings(|r| Some(r.value_unit_reason.as_str())),
        )?
        .column("rows_match_total", booleans(FilingRow::rows_match_total))?
        .column(
            "value_matches_total",
            booleans(FilingRow::value_matches_total),
        )?
        .column("holdings_file", strings(|r| Some(r.holdings_file.as_str())))?
        // The provenance columns, row by row: a bulk data set's filings come from one file's lines.
        .column("source", strings(|r| Some(r.source.as_str())))?
        .column("source_line", integers(|r| Some(r.line as i64)))?
        .column(
            "ingested_at",
            timestamps(std::iter::repeat_n(now, rows.len())),
        )?
        .finish()
}

/// The columns of a `holdings_13f` file, by name: built from a filing's parsed rows (EDGAR) or
/// taken from a data set's columns (the SEC's Form 13F data sets). [`holdings_batch`] makes
/// them a batch.
pub(crate) struct HoldingsColumns {
    pub accession: ArrayRef,
    pub cik: ArrayRef,
    pub row: ArrayRef,
    pub issuer: ArrayRef,
    pub class: ArrayRef,
    pub cusip: ArrayRef,
    pub cusip_valid: ArrayRef,
    pub figi: ArrayRef,
    pub value_raw: ArrayRef,
    pub value_usd: ArrayRef,
    pub value_unit: ArrayRef,
    pub amount: ArrayRef,
    pub amount_type: ArrayRef,
    pub put_call: ArrayRef,
    pub investment_discretion: ArrayRef,
    pub other_managers: ArrayRef,
    pub voting_sole: ArrayRef,
    pub voting_shared: ArrayRef,
    pub voting_none: ArrayRef,
    pub accepted_at: ArrayRef,
}

/// The `holdings_13f` file rows of `columns`, read from `source` at `lines`.
pub(crate) fn holdings_batch(
    columns: HoldingsColumns,
    source: &str,
    lines: impl Iterator<Item = u64>,
    now: DateTime<Utc>,
) -> Result<RecordBatch> {
    let HoldingsColumns {
        accession,
        cik,
        row,
        issuer,
        class,
        cusip,
        cusip_valid,
        figi,
        value_raw,
        value_usd,
        value_unit,
        amount,
        amount_type,
        put_call,
        investment_discretion,
        other_managers,
        voting_sole,
        voting_shared,
        voting_none,
        accepted_at,
    } = columns;
    BatchBuilder::new(&HOLDINGS_13F, accession.len())
        .column("accession", accession)?
        .column("cik", cik)?
        .column("row", row)?
        .column("issuer", issuer)?
        .column("class", class)?
        .column("cusip", cusip)?
        .column("cusip_valid", cusip_valid)?
        .column("figi", figi)?
        .column("value_raw", value_raw)?
        .column("value_usd", value_usd)?
        .column("value_unit", value_unit)?
        .column("amount", amount)?
        .column("amount_type", amount_type)?
        .column("put_call", put_call)?
        .column("investment_discretion", investment_discretion)?
        .column("other_managers", other_managers)?
        .column("voting_sole", voting_sole)?
        .column("voting_shared", voting_shared)?
        .column("voting_none", voting_none)?
        .column("accepted_at", accepted_at)?
        .provenance(source, lines, now)?
        .finish()
}

/// Stages one filing. `landed` is [`landed_filings`] from before the run.
fn stage(
    transaction: &mut Transaction,
    filing: &Filing,
    source: &str,
    landed: &HashMap<String, String>,
) -> Result<()> {
    // One filing, one place: a filing a bulk data set landed stays there.
    if let Some(file) = landed
        .get(&filing.row.accession)
        .filter(|file| **file != filing.row.accession)
    {
        return Err(Error::format(
            source,
            None,
            None,
            format!(
                "filing {} is in the lake already, from the SEC data set in holdings_13f file {file}.parquet; \
                 its rows are not landed twice",
                filing.row.accession
            ),
        ));
    }
    let now = Utc::now();
    let period = date_partition(filing.report_period);
    // The row names the file it was parsed from (`source`, line 1) already.
    let row = filing.row.clone();
    transaction.upsert(
        &FILINGS_13F,
        Some(&period),
        FILINGS_FILE,
        filings_batch(&[row], now)?,
    )?;

    let h = &filing.holdings;
    let n = h.len();
    let strings = |f: fn(&Holding) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(h.iter().map(f)))
    };
    let floats = |f: fn(&Holding) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(h.iter().map(f)))
    };
    let factor = filing.row.value_unit.factor();
    let columns = HoldingsColumns {
        accession: Arc::new(StringArray::from(vec![filing.row.accession.as_str(); n])),
        cik: Arc::new(StringArray::from(vec![filing.row.cik.as_str(); n])),
        row: Arc::new(Int64Array::from_iter_values(h.iter().map(|h| h.row))),
        issuer: strings(|h| Some(h.issuer.as_str())),
        class: strings(|h| h.class.as_deref()),
        cusip: strings(|h| Some(h.cusip.as_str())),
        cusip_valid: Arc::new(BooleanArray::from_iter(
            h.iter().map(|h| Some(h.cusip_valid)),
        )),
        figi: strings(|h| h.figi.as_deref()),
        value_raw: floats(|h| Some(h.value_raw)),
        value_usd: Arc::new(Float64Array::from_iter_values(
            h.iter().map(|h| h.value_raw * factor),
        )),
        value_unit: Arc::new(StringArray::from(vec![filing.row.value_unit.as_str(); n])),
        amount: floats(|h| Some(h.amount)),
        amount_type: strings(|h| Some(h.amount_type.as_str())),
        put_call: strings(|h| h.put_call.as_deref()),
        investment_discretion: strings(|h| h.investment_discretion.as_deref()),
        other_managers: strings(|h| h.other_managers.as_deref()),
        voting_sole: floats(|h| h.voting_sole),
        voting_shared: floats(|h| h.voting_shared),
        voting_none: floats(|h| h.voting_none),
        accepted_at: Arc::new(timestamps_opt_n(filing.row.accepted_at, n)),
    };
    let batch = holdings_batch(columns, source, h.iter().map(|h| h.row as u64), now)?;
    transaction.replace(&HOLDINGS_13F, Some(&period), &filing.row.accession, batch)?;
    if !filing.other_managers.is_empty() {
        let rows: Vec<_> = filing
            .other_managers
            .iter()
            .map(|m| (filing.row.accession.as_str(), filing.row.cik.as_str(), m, 1))
            .collect();
        let batch = other_managers_batch(&rows, source, now)?;
        transaction.replace(
            &OTHER_MANAGERS_13F,
            Some(&period),
            &filing.row.accession,
            batch,
        )?;
    }
    transaction.remove_from_other_partitions(&OTHER_MANAGERS_13F, &filing.row.accession)?;
    // A filing ingested again with another report period (a corrected file) leaves nothing
    // under the old one: its holdings file goes, and its row leaves that period's filings.
    let accession = HashSet::from([filing.row.accession.as_str()]);
    for old_period in
        transaction.remove_from_other_partitions(&HOLDINGS_13F, &filing.row.accession)?
    {
        transaction.delete_rows(
            &FILINGS_13F,
            Some(&old_period),
            FILINGS_FILE,
            "accession",
            &accession,
        )?;
    }
    Ok(())
}

pub(crate) fn timestamps_opt_n(
    at: Option<DateTime<Utc>>,
    n: usize,
) -> datafusion::arrow::array::TimestampMicrosecondArray {
    match at {
        Some(at) => timestamps(std::iter::repeat_n(at, n)),
        None => datafusion::arrow::array::TimestampMicrosecondArray::from(vec![None; n])
            .with_timezone("UTC"),
    }
}

/// What part of EDGAR's form index to read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IndexSpan {
    /// `full-index/YYYY/QTRn/form.idx`: every filing of a calendar quarter.
    Quarter(i32, u32),
    /// `daily-index/YYYY/QTRn/form.YYYYMMDD.idx`: one day's filings.
    Day(NaiveDate),
}

impl IndexSpan {
    /// `2024Q4` (or `2024q4`).
    pub fn parse_quarter(text: &str) -> Result<IndexSpan> {
        let usage = || {
            Error::Usage(format!(
                "--quarter {text:?}: write the year and the quarter, as 2024Q4"
            ))
        };
        let (year, quarter) = text
            .to_ascii_uppercase()
            .split_once('Q')
            .map(|(y, q)| (y.parse::<i32>(), q.parse::<u32>()))
            .ok_or_else(usage)?;
        match (year, quarter) {
            (Ok(year), Ok(quarter))
                if (1993..=2100).contains(&year) && (1..=4).contains(&quarter) =>
            {
                Ok(IndexSpan::Quarter(year, quarter))
            }
            _ => Err(usage()),
        }
    }

    /// The daily indexes of every weekday from `since` through `until` (EDGAR posts none on
    /// weekends; a holiday's is answered as not published).
    pub fn weekdays_since(since: NaiveDate, until: NaiveDate) -> Vec<IndexSpan> {
        use chrono::{Datelike, Weekday};
        since
            .iter_days()
            .take_while(|day| *day <= until)
            .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
            .map(IndexSpan::Day)
            .collect()
    }

    pub fn url(self, base_url: &str) -> String {
        let base = base_url.trim_end_matches('/');
        match self {
            IndexSpan::Quarter(year, quarter) => {
                format!("{base}/Archives/edgar/full-index/{year}/QTR{quarter}/form.idx")
            }
            IndexSpan::Day(day) => {
                use chrono::Datelike;
                format!(
                    "{base}/Archives/edgar/daily-index/{}/QTR{}/form.{}.idx",
                    day.year(),
                    day.month0() / 3 + 1,
                    day.format("%Y%m%d")
                )
            }
        }
    }
}

/// The one file per report period that lists its filings in `filings_13f`.
pub(crate) const FILINGS_FILE: &str = "filings";

/// EDGAR's host.
pub const EDGAR_BASE_URL: &str = "https://www.sec.gov";

/// Every filing in the lake: accession → the `holdings_13f` file holding its rows (the accession
/// itself, or `bulk-<data set>`).
pub(crate) fn landed_filings(lake: &Lake) -> Result<HashMap<String, String>> {
    let mut landed = HashMap::new();
    for (_, filings) in lake.read_partition_files(&FILINGS_13F, FILINGS_FILE)? {
        let column = |name: &str| -> Result<ArrayRef> {
            Ok(cast(
                filings.column(filings.schema().index_of(name)?),
                &DataType::Utf8,
            )?)
        };
        let accessions = column("accession")?;
        let files = column("holdings_file")?;
        for (accession, file) in accessions
            .as_string::<i32>()
            .iter()
            .zip(files.as_string::<i32>().iter())
        {
            if let (Some(accession), Some(file)) = (accession, file) {
                landed.insert(accession.to_string(), file.to_string());
            }
        }
    }
    Ok(landed)
}

/// The SEC asks for a User-Agent that names the requester with a contact.
pub fn check_user_agent(user_agent: &str) -> Result<()> {
    if user_agent.contains('@') {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "SEC EDGAR requires a User-Agent with a contact, and whalewatch's is {user_agent:?}: set \
             user_agent under [http] in whalewatch.toml or WHALEWATCH_USER_AGENT, e.g. \
             \"Example Capital research jane@example.com\""
        )))
    }
}

/// Reads EDGAR's form index for each span, then fetches and lands every 13F filing in it (of
/// `ciks` only, when given) that the lake does not hold yet. Stops, saying when to run again,
/// when the SEC refuses requests (403/429 after the client's retries): it blocks for about ten
/// minutes, and the filings landed so far are skipped on the next run.
pub async fn ingest_edgar(
    lake: &Lake,
    http: &HttpClient,
    base_url: &str,
    spans: &[IndexSpan],
    ciks: &[String],
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let _lock = lake.lock()?;
    let mut run = IngestRun::new(&HOLDINGS_13F);
    let wanted_cik = |cik: &str| {
        ciks.is_empty()
            || ciks
                .iter()
                .any(|c| c.trim_start_matches('0') == cik.trim_start_matches('0'))
    };
    let landed = landed_filings(lake)?;
    let mut blocked = None;
    for &span in spans {
        let index_url = span.url(base_url);
        let started_at = Utc::now();
        let bytes = match http.get(&index_url).await {
            Ok(Fetched::Body(bytes)) => bytes,
            Ok(Fetched::NotFound) => {
                run.record(
                    lake,
                    SourceOutcome::not_published(
                        &index_url,
                        "EDGAR has no form index there (a weekend or holiday, or not yet posted)"
                            .into(),
                        started_at,
                    ),
                )?;
                continue;
            }
            Err(error) => {
                let refused = error.ends_the_run();
                run.record(
                    lake,
                    SourceOutcome::failed(&index_url, error.to_string(), started_at),
                )?;
                if refused {
                    blocked = Some(error);
                    break;
                }
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let (entries, refused_lines) = edgar_index::parse(&text, &index_url)?;
        if !refused_lines.is_empty() {
            let rejected = refused_lines
                .into_iter()
                .map(|(line, raw, reason)| Rejected {
                    source: index_url.clone(),
                    line: Some(line),
                    field: None,
                    raw: Some(raw),
                    reason,
                })
                .collect();
            run.record(
                lake,
                SourceOutcome {
                    source: index_url.clone(),
                    sha256: Some(sha256_hex(&bytes)),
                    status: SourceStatus::Landed,
                    rows_written: 0,
                    rejected,
                    message: Some("index lines that could not be read".into()),
                    started_at,
                },
            )?;
        }
        let filings: Vec<_> = entries
            .into_iter()
            .filter(|e| {
                edgar_index::FORMS_13F.contains(&e.form_type.as_str()) && wanted_cik(&e.cik)
            })
            .filter(|e| !landed.contains_key(e.accession()))
            .collect();
        progress.add_work(filings.len() as u64);
        let sources = filings.into_iter().map(|entry| RemoteSource {
            url: format!(
                "{}/Archives/{}",
                base_url.trim_end_matches('/'),
                entry.file_name
            ),
            label: format!("{} {}", entry.form_type, entry.company),
            when_absent: (
                SourceStatus::NotPublished,
                "listed in the index but not on EDGAR".into(),
            ),
            item: (),
        });
        let landed_now = land_remote_sources(
            lake,
            &mut run,
            http,
            sources,
            progress,
            |source, bytes, refused| {
                let text = String::from_utf8_lossy(bytes);
                let (filing, rejected) = parse_submission(&text, &source.url)?;
                refused.extend(rejected);
                let mut transaction = Transaction::new(lake);
                stage(&mut transaction, &filing, &source.url, &landed)?;
                transaction.commit()?;
                Ok((filing.holdings.len() as u64, None))
            },
        )
        .await;
        if let Err(error) = landed_now {
            blocked = Some(error);
            break;
        }
    }
    if let Some(error) = blocked {
        if !error.is_refusal() {
            return Err(error);
        }
        return Err(Error::http(
            base_url,
            format!(
                "the SEC is refusing requests ({error}); it blocks for about ten minutes: wait, then run \
                 the same command again ({} filings landed in this run, and every filing in the lake, \
                 will be skipped)",
                run.count(SourceStatus::Landed)
            ),
        ));
    }
    Ok(IngestReport::of(&run))
}

/// Lands EDGAR full submissions (`.txt`, `.nc`) from local files.
pub fn ingest_files(lake: &Lake, paths: &[PathBuf]) -> Result<IngestReport> {
    let mut landed = None;
    ingest_local_files(
        lake,
        &HOLDINGS_13F,
        paths,
        |_path: &Path, source, bytes, refused| {
            let text = String::from_utf8_lossy(&bytes);
            let (filing, rejected) = parse_submission(&text, source)?;
            refused.extend(rejected);
            let landed = match &mut landed {
                Some(landed) => landed,
                None => landed.insert(landed_filings(lake)?),
            };
            let mut transaction = Transaction::new(lake);
            stage(&mut transaction, &filing, source, landed)?;
            transaction.commit()?;
            Ok(filing.holdings.len() as u64)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_edgar_s_accession_form_may_name_a_file() {
        assert!(is_accession_number("0001140361-23-013281"));
        for bad in [
            "../../short_volume/date=2021-08-02/CNMS",
            "0001140361-23-01328",
            "0001140361-23-0132811",
            "000114036a-23-013281",
            "0001140361_23_013281",
            "",
        ] {
            assert!(!is_accession_number(bad), "{bad}");
        }
        let filing = "ACCESSION NUMBER:\t../../../../elsewhere/x\nCONFORMED SUBMISSION TYPE:\t13F-HR\n<DOCUMENT>\n";
        let error = parse_submission(filing, "evil.txt")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("is not EDGAR's 0000000000-00-000000"),
            "{error}"
        );
    }

    fn holding(value_raw: f64, amount: f64, amount_type: &str) -> Holding {
        Holding {
            row: 1,
            issuer: "X".into(),
            class: None,
            cusip: "037833100".into(),
            cusip_valid: true,
            figi: None,
            value_raw,
            amount,
            amount_type: amount_type.into(),
            put_call: None,
            investment_discretion: None,
            other_managers: None,
            voting_sole: None,
            voting_shared: None,
            voting_none: None,
        }
    }

    #[test]
    fn the_unit_follows_the_prices_and_the_date_only_breaks_ties() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        // Dollars, 2023: SPAC shares at $10.30 carry the value; warrants under $1 do not decide.
        let spac = [
            holding(10_300_000.0, 1_000_000.0, "SH"),
            holding(5_000.0, 10_000.0, "SH"),
        ];
        assert_eq!(decide_unit(&spac, day("2023-05-15")).0, ValueUnit::Dollars);
        // Thousands filed in 2023 (Bull Street's mistake): $0.12 a share read as dollars.
        let late = [holding(287.0, 2_397.0, "SH")];
        assert_eq!(
            decide_unit(&late, day("2023-02-28")).0,
            ValueUnit::Thousands
        );
        // Only bonds, in thousands: 980 for 1,000,000 of principal is 98 % of par read as thousands.
        let bonds = [holding(980.0, 1_000_000.0, "PRN")];
        let (unit, reason) = decide_unit(&bonds, day("2023-02-10"));
        assert_eq!(unit, ValueUnit::Thousands, "{reason}");
        // $2 a share or $2,000: both plausible, so the date decides.
        let cheap = [holding(2_000.0, 1_000.0, "SH")];
        let (unit, reason) = decide_unit(&cheap, day("2022-11-14"));
        assert_eq!(unit, ValueUnit::Thousands);
        assert!(
            reason.contains("both plausible, so by the filing date"),
            "{reason}"
        );
        assert_eq!(decide_unit(&[], day("2024-02-14")).0, ValueUnit::Dollars);
    }

    #[test]
    fn cusip_check_digits() {
        for valid in [
            "037833100",
            "88579Y101",
            "G0403H108",
            "02079K305",
            "594918104",
        ] {
            assert!(cusip_valid(valid), "{valid}");
        }
        for invalid in ["037833101", "88579Y10", "0378331OO", "G0403H10X"] {
            assert!(!cusip_valid(invalid), "{invalid}");
        }
    }
}

#[cfg(test)]
mod refusal_lines {
    use super::*;

    /// A real submission with `bad` information-table rows (no CUSIP) inserted before its first
    /// row, one line each.
    fn submission_with_bad_rows(bad: usize) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sec13f/0001140361-23-013281.txt");
        let text = std::fs::read_to_string(path).expect("fixture");
        let at = text.find("<infoTable>").expect("an information table");
        let mut rows = String::new();
        for i in 0..bad {
            rows.push_str(&format!(
                "<infoTable><nameOfIssuer>BAD {i}</nameOfIssuer><value>1</value></infoTable>\n"
            ));
        }
        format!("{}{rows}{}", &text[..at], &text[at..])
    }

    #[test]
    fn refused_rows_carry_their_file_lines() {
        let text = submission_with_bad_rows(3);
        let first = text[..text.find("<infoTable>").expect("rows")]
            .matches('\n')
            .count() as u64
            + 1;
        let (_, rejected) = parse_submission(&text, "s.txt").expect("parses");
        let lines: Vec<Option<u64>> = rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![Some(first), Some(first + 1), Some(first + 2)]);
    }

    /// Run with `--ignored` to check that refusing rows stays linear (issue 14: line numbers were
    /// recounted from the file's start for each refusal, quadratic in the refusals: 40 times the
    /// cost per row at 40,000 rows as at 1,000). Timing, so not in the default run.
    #[test]
    #[ignore]
    fn refusing_many_rows_stays_linear() {
        let per_row = |bad: usize| {
            let text = submission_with_bad_rows(bad);
            let started = std::time::Instant::now();
            let (_, rejected) = parse_submission(&text, "s.txt").expect("parses");
            assert_eq!(rejected.len(), bad);
            started.elapsed().as_secs_f64() / bad as f64
        };
        let (small, large) = (per_row(1_000), per_row(40_000));
        assert!(
            large < small * 10.0,
            "{small:e} s/row at 1,000, {large:e} at 40,000"
        );
    }
}
