//! The SEC's Form 13F data sets: every 13F filing of a period as a ZIP of tab-separated files,
//! `SUBMISSION.tsv` (accession, filing date, form, CIK, period), `COVERPAGE.tsv` (filer, report
//! type, amendment), `SUMMARYPAGE.tsv` (tableEntryTotal, tableValueTotal, other managers),
//! `INFOTABLE.tsv` (the information-table rows) and `OTHERMANAGER2.tsv`. The layout is the SEC's
//! CSVW schema (`FORM13F_metadata.json`): a header line, tab-delimited, no quoting, dates as
//! `DD-MON-YYYY`. Quarterly sets are named `2024q3_form13f.zip`, the rolling three-month sets
//! since 2024 `01sep2024-30nov2024_form13f.zip`.
//!
//! A data set lands as one `holdings_13f` file per report period, `bulk-<data set>.parquet`, and
//! its filings join `filings_13f` with `holdings_file` naming that file. The rules of the EDGAR
//! collector hold here too: the value unit is decided per filing from its own prices, row counts
//! and value sums are reconciled against the summary page, CUSIPs are checked. A filing the lake
//! already holds from elsewhere (EDGAR, or another data set: the rolling sets overlap the
//! quarterly ones) is skipped, so no filing lands twice; ingesting the same data set again
//! replaces what it landed before.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, StringBuilder,
    UInt32Array,
};
use datafusion::arrow::compute::take;

use crate::collect::http::HttpClient;
use crate::collect::sec_13f::{
    cusip_valid, decide_unit_from, filings_batch, holdings_batch, landed_filings, normalize_cik,
    other_managers_batch, timestamps_opt_n, FilingRow, HoldingsColumns, OtherManager, ValueUnit,
    FILINGS_FILE,
};
use crate::collect::tabular;
use crate::collect::{
    ingest_local_files, land_remote_sources, IngestReport, Progress, RemoteSource,
};
use crate::error::{Error, Result};
use crate::lake::datasets::{FILINGS_13F, HOLDINGS_13F, OTHER_MANAGERS_13F};
use crate::lake::date_partition;
use crate::lake::ingest_log::{IngestRun, SourceStatus};
use crate::lake::{Lake, Rejected, Transaction};

/// Where EDGAR keeps the data sets, under its host.
const DATA_SETS_PATH: &str = "files/structureddata/data/form-13f-data-sets";

/// A data set's name from what a user types: `2024q3`, `2024Q3`, `01sep2024-30nov2024`, or a file
/// name such as `2024q3_form13f.zip`.
pub fn data_set_name(text: &str) -> Result<String> {
    let file_name = Path::new(text.trim())
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name = file_name.trim_end_matches(".zip");
    let name = name.strip_suffix("_form13f").unwrap_or(name);
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Usage(format!(
            "{text:?} is not a Form 13F data set name: write it as the SEC names it, 2024q3 or \
             01sep2024-30nov2024"
        )));
    }
    Ok(name.to_string())
}

/// The data set's URL on EDGAR.
pub fn data_set_url(base_url: &str, name: &str) -> String {
    format!(
        "{}/{DATA_SETS_PATH}/{name}_form13f.zip",
        base_url.trim_end_matches('/')
    )
}

/// The `holdings_13f` file (in each report period's partition) that holds a data set's rows.
fn holdings_file(name: &str) -> String {
    format!("bulk-{name}")
}

/// A TSV file's header: which position each wanted column is at.
struct Header {
    /// Per wanted column, its position in the line (None: an optional column the file lacks).
    positions: Vec<Option<usize>>,
    width: usize,
}

impl Header {
    /// `wanted` names the columns; a leading `?` marks one that older data sets lack.
    fn parse(line: &str, wanted: &[&str], source: &str) -> Result<Header> {
        let names: Vec<&str> = line.split('\t').map(str::trim).collect();
        let positions = wanted
            .iter()
            .map(|want| {
                let (name, optional) = match want.strip_prefix('?') {
                    Some(name) => (name, true),
                    None => (*want, false),
                };
                let position = names.iter().position(|n| n.eq_ignore_ascii_case(name));
                match (position, optional) {
                    (None, false) => Err(Error::format(
                        source,
                        Some(1),
                        Some(name),
                        format!(
                            "the header has no {name} column (it has {}): not the SEC's Form 13F \
                             data set layout",
                            names.join(", ")
                        ),
                    )),
                    _ => Ok(position),
                }
            })
            .collect::<Result<_>>()?;
        Ok(Header {
            positions,
            width: names.len(),
        })
    }
}

/// One line of a TSV file, its fields addressed by the wanted columns' order.
struct Row<'a> {
    line: &'a str,
    ranges: &'a [(usize, usize)],
    header: &'a Header,
}

impl<'a> Row<'a> {
    /// The wanted column `i`, trimmed ("" when the file lacks that optional column).
    fn get(&self, i: usize) -> &'a str {
        match self.header.positions[i] {
            Some(p) => self.line[self.ranges[p].0..self.ranges[p].1].trim(),
            None => "",
        }
    }

    fn opt(&self, i: usize) -> Option<&'a str> {
        Some(self.get(i)).filter(|v| !v.is_empty())
    }
}

/// Reads a data set's TSV member line by line, calling `visit(line_number, row)`, which returns
/// the row's refusal if it has one. A line whose field count differs from the header's is
/// refused too. Everything refused goes to `rejected`.
fn read_tsv(
    reader: impl Read,
    source: &str,
    wanted: &[&str],
    rejected: &mut Vec<Rejected>,
    mut visit: impl FnMut(u64, &Row) -> Option<Rejected>,
) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut bytes = Vec::with_capacity(4096);
    let mut ranges = Vec::with_capacity(32);
    let mut header: Option<Header> = None;
    let mut number = 0u64;
    loop {
        bytes.clear();
        // A line is held up to a bound: a ZIP of a few MB can inflate to one line of gigabytes.
        let read = tabular::read_line_bounded(&mut reader, &mut bytes, tabular::MAX_RECORD_BYTES)
            .map_err(|e| Error::format(source, Some(number + 1), None, e.to_string()))?
            .ok_or_else(|| {
                Error::format(
                    source,
                    Some(number + 1),
                    None,
                    format!(
                        "a line longer than {} KiB: not the SEC's Form 13F data set layout",
                        tabular::MAX_RECORD_BYTES >> 10
                    ),
                )
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        // The SEC's files are UTF-8; a stray byte of another encoding is kept as U+FFFD, not fatal.
        let owned;
        let line = match std::str::from_utf8(&bytes) {
            Ok(line) => line,
            Err(_) => {
                owned = String::from_utf8_lossy(&bytes).into_owned();
                owned.as_str()
            }
        };
        let Some(header) = &header else {
            header = Some(Header::parse(
                line.trim_start_matches('\u{feff}'),
                wanted,
                source,
            )?);
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        ranges.clear();
        let mut start = 0;
        for (i, b) in line.bytes().enumerate() {
            if b == b'\t' {
                ranges.push((start, i));
                start = i + 1;
            }
        }
        ranges.push((start, line.len()));
        if ranges.len() != header.width {
            rejected.push(Rejected {
                source: source.to_string(),
                line: Some(number),
                field: None,
                raw: Some(line.to_string()),
                reason: format!(
                    "{} fields where the header has {}",
                    ranges.len(),
                    header.width
                ),
            });
            continue;
        }
        let row = Row {
            line,
            ranges: &ranges,
            header,
        };
        rejected.extend(visit(number, &row));
    }
    if header.is_none() {
        return Err(Error::format(source, None, None, "the file is empty"));
    }
    Ok(())
}

/// `31-DEC-2024`, the data sets' date format.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%d-%b-%Y").ok()
}

fn parse_number(text: &str) -> Option<f64> {
    // Shares and dollars past the count bound are corrupt numbers (1e300), not holdings.
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= crate::collect::fields::MAX_COUNT)
}

fn refuse(row: &Row, number: u64, source: &str, field: &str, reason: String) -> Rejected {
    Rejected {
        source: source.to_string(),
        line: Some(number),
        field: Some(field.to_string()),
        raw: Some(row.line.to_string()),
        reason,
    }
}

/// One filing of the data set, from SUBMISSION, COVERPAGE and SUMMARYPAGE.
struct BulkFiling {
    row: FilingRow,
    period: NaiveDate,
    /// The filing's rows in the information-table columns.
    holdings: Vec<u32>,
    /// Its OTHERMANAGER2 rows, with their lines.
    other_managers: Vec<(OtherManager, u64)>,
}

/// The information-table rows of the landed filings, column by column.
struct InfoTable {
    filing: Vec<u32>,
    surrogate_key: Vec<i64>,
    line: Vec<u64>,
    issuer: StringBuilder,
    class: StringBuilder,
    cusip: StringBuilder,
    figi: StringBuilder,
    value_raw: Vec<f64>,
    amount: Vec<f64>,
    amount_type: StringBuilder,
    put_call: StringBuilder,
    investment_discretion: StringBuilder,
    other_managers: StringBuilder,
    voting_sole: Vec<Option<f64>>,
    voting_shared: Vec<Option<f64>>,
    voting_none: Vec<Option<f64>>,
}

impl InfoTable {
    /// Room for about `rows` rows, so that 5 M rows are not copied at every doubling.
    fn with_capacity(rows: usize) -> Self {
        let strings = |bytes_a_row: usize| StringBuilder::with_capacity(rows, rows * bytes_a_row);
        InfoTable {
            filing: Vec::with_capacity(rows),
            surrogate_key: Vec::with_capacity(rows),
            line: Vec::with_capacity(rows),
            issuer: strings(24),
            class: strings(6),
            cusip: strings(9),
            figi: strings(1),
            value_raw: Vec::with_capacity(rows),
            amount: Vec::with_capacity(rows),
            amount_type: strings(2),
            put_call: strings(1),
            investment_discretion: strings(4),
            other_managers: strings(1),
            voting_sole: Vec::with_capacity(rows),
            voting_shared: Vec::with_capacity(rows),
            voting_none: Vec::with_capacity(rows),
        }
    }
}

const INFOTABLE_COLUMNS: [&str; 15] = [
    "ACCESSION_NUMBER",
    "INFOTABLE_SK",
    "NAMEOFISSUER",
    "TITLEOFCLASS",
    "CUSIP",
    "?FIGI",
    "VALUE",
    "SSHPRNAMT",
    "SSHPRNAMTTYPE",
    "PUTCALL",
    "INVESTMENTDISCRETION",
    "OTHERMANAGER",
    "VOTING_AUTH_SOLE",
    "VOTING_AUTH_SHARED",
    "VOTING_AUTH_NONE",
];

/// A data set read from its ZIP: the filings to land and their rows.
struct DataSet {
    filings: Vec<BulkFiling>,
    table: InfoTable,
    /// Filings the lake holds from elsewhere, left there.
    skipped: usize,
}

/// The full name of the ZIP member whose file name is `name` (in any folder, in any case).
fn member_name<R: Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
    name: &str,
) -> Option<String> {
    archive
        .file_names()
        .filter_map(|n| n.ok())
        .find(|n| {
            n.rsplit('/')
                .next()
                .is_some_and(|f| f.eq_ignore_ascii_case(name))
        })
        .map(|n| n.into_owned())
}

/// The ZIP member whose file name is `name`.
fn member<'a, R: Read + std::io::Seek>(
    archive: &'a mut zip::ZipArchive<R>,
    name: &str,
    source: &str,
) -> Result<zip::read::ZipFile<'a, R>> {
    let error = |message: String| Error::format(source, None, None, message);
    let full_name = member_name(archive, name).ok_or_else(|| {
        error(format!(
            "the ZIP has no {name}: not a complete SEC Form 13F data set"
        ))
    })?;
    let file = archive
        .by_name(&full_name)
        .map_err(|e| error(format!("{name} cannot be read from the ZIP: {e}")))?;
    // The largest INFOTABLE.tsv so far inflates to about 1 GiB; far more is a ZIP bomb.
    if file.size() > MAX_MEMBER_BYTES {
        return Err(error(format!(
            "{name} inflates to {} bytes, more than the {} GiB a data set's file may have",
            file.size(),
            MAX_MEMBER_BYTES >> 30
        )));
    }
    Ok(file)
}

/// The most bytes a data set's TSV member may inflate to.
const MAX_MEMBER_BYTES: u64 = 16 << 30;

/// The fuzz targets' entry (fuzz/): reads a data set's ZIP as an ingest into an empty lake does,
/// up to the rows it would land. Returns the filings and holdings read and the rows refused.
#[doc(hidden)]
pub fn read_for_fuzzing(bytes: &[u8]) -> Result<(usize, usize, usize)> {
    let mut rejected = Vec::new();
    let set = read_data_set(bytes, "fuzz", "fuzz", &HashMap::new(), &mut rejected)?;
    Ok((set.filings.len(), set.table.filing.len(), rejected.len()))
}

/// Reads a data set's ZIP. `landed` is the lake's filings (accession → holdings file); those held
/// in another file than `file_stem` are skipped.
fn read_data_set(
    bytes: &[u8],
    source: &str,
    file_stem: &str,
    landed: &HashMap<String, String>,
    rejected: &mut Vec<Rejected>,
) -> Result<DataSet> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        Error::format(
            source,
            None,
            None,
            format!(
                "not a readable ZIP archive ({e}): an interrupted download is the usual cause; \
                 fetch the data set again"
            ),
        )
    })?;
    let member_source = |name: &str| format!("{source}!{name}");

    // SUBMISSION: one row per filing.
    let mut filings: Vec<BulkFiling> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut skipped = 0;
    let submission_source = member_source("SUBMISSION.tsv");
    read_tsv(
        member(&mut archive, "SUBMISSION.tsv", source)?,
        &submission_source,
        &[
            "ACCESSION_NUMBER",
            "FILING_DATE",
            "SUBMISSIONTYPE",
            "CIK",
            "PERIODOFREPORT",
        ],
        rejected,
        |number, row| {
            let accession = row.get(0);
            if accession.is_empty() {
                return Some(refuse(
                    row,
                    number,
                    &submission_source,
                    "ACCESSION_NUMBER",
                    "no accession number".into(),
                ));
            }
            if landed
                .get(accession)
                .is_some_and(|file| file.as_str() != file_stem)
            {
                skipped += 1;
                return None;
            }
            let Some(period) = parse_date(row.get(4)) else {
                return Some(refuse(
                    row,
                    number,
                    &submission_source,
                    "PERIODOFREPORT",
                    format!("{:?} is not a DD-MON-YYYY date", row.get(4)),
                ));
            };
            if let Some(&first) = index.get(accession) {
                return Some(refuse(
                    row,
                    number,
                    &submission_source,
                    "ACCESSION_NUMBER",
                    format!(
                        "a second SUBMISSION row for {accession} (the first is line {})",
                        filings[first as usize].row.line
                    ),
                ));
            }
            let form_type = row.get(2).to_ascii_uppercase();
            index.insert(accession.to_string(), filings.len() as u32);
            filings.push(BulkFiling {
                period,
                holdings: Vec::new(),
                other_managers: Vec::new(),
                row: FilingRow {
                    accession: accession.to_string(),
                    cik: normalize_cik(row.get(3)),
                    filer_name: None,
                    is_amendment: form_type.ends_with("/A"),
                    form_type,
                    filed_date: parse_date(row.get(1)),
                    accepted_at: None,
                    schema_version: None,
                    report_type: None,
                    amendment_no: None,
                    amendment_type: None,
                    other_managers_count: None,
                    table_entry_total: None,
                    table_value_total: None,
                    rows: 0,
                    value_sum_raw: 0.0,
                    value_unit: ValueUnit::Dollars,
                    value_unit_reason: String::new(),
                    holdings_file: file_stem.to_string(),
                    source: submission_source.clone(),
                    line: number,
                },
            });
            None
        },
    )?;
    let find = |accession: &str| index.get(accession).map(|&i| i as usize);
    let unknown = |row: &Row, number: u64, source: &str| {
        refuse(
            row,
            number,
            source,
            "ACCESSION_NUMBER",
            format!("{} is not in SUBMISSION.tsv", row.get(0)),
        )
    };
    let is_landed_elsewhere = |accession: &str| {
        landed
            .get(accession)
            .is_some_and(|file| file.as_str() != file_stem)
    };

    let cover_source = member_source("COVERPAGE.tsv");
    read_tsv(
        member(&mut archive, "COVERPAGE.tsv", source)?,
        &cover_source,
        &[
            "ACCESSION_NUMBER",
            "ISAMENDMENT",
            "AMENDMENTNO",
            "AMENDMENTTYPE",
            "FILINGMANAGER_NAME",
            "REPORTTYPE",
        ],
        rejected,
        |number, row| {
            match find(row.get(0)) {
                Some(i) => {
                    let filing = &mut filings[i].row;
                    if let Some(flag) = row.opt(1) {
                        filing.is_amendment = flag.eq_ignore_ascii_case("Y");
                    }
                    filing.amendment_no = row.opt(2).and_then(parse_number).map(|n| n as i64);
                    filing.amendment_type = row.opt(3).map(str::to_string);
                    filing.filer_name = row.opt(4).map(str::to_string);
                    filing.report_type = row.opt(5).map(str::to_string);
                }
                None if is_landed_elsewhere(row.get(0)) => {}
                None => return Some(unknown(row, number, &cover_source)),
            }
            None
        },
    )?;

    let summary_source = member_source("SUMMARYPAGE.tsv");
    read_tsv(
        member(&mut archive, "SUMMARYPAGE.tsv", source)?,
        &summary_source,
        &[
            "ACCESSION_NUMBER",
            "OTHERINCLUDEDMANAGERSCOUNT",
            "TABLEENTRYTOTAL",
            "TABLEVALUETOTAL",
        ],
        rejected,
        |number, row| {
            match find(row.get(0)) {
                Some(i) => {
                    let filing = &mut filings[i].row;
                    filing.other_managers_count =
                        row.opt(1).and_then(parse_number).map(|n| n as i64);
                    filing.table_entry_total = row.opt(2).and_then(parse_number).map(|n| n as i64);
                    filing.table_value_total = row.opt(3).and_then(parse_number);
                }
                None if is_landed_elsewhere(row.get(0)) => {}
                None => return Some(unknown(row, number, &summary_source)),
            }
            None
        },
    )?;

    // The other managers a combination report includes (older data sets may lack the table).
    let others_source = member_source("OTHERMANAGER2.tsv");
    if member_name(&archive, "OTHERMANAGER2.tsv").is_some() {
        read_tsv(
            member(&mut archive, "OTHERMANAGER2.tsv", source)?,
            &others_source,
            &[
                "ACCESSION_NUMBER",
                "SEQUENCENUMBER",
                "CIK",
                "FORM13FFILENUMBER",
                "CRDNUMBER",
                "SECFILENUMBER",
                "NAME",
            ],
            rejected,
            |number, row| {
                let Some(i) = find(row.get(0)) else {
                    return (!is_landed_elsewhere(row.get(0)))
                        .then(|| unknown(row, number, &others_source));
                };
                let Some(sequence_number) = parse_number(row.get(1)) else {
                    return Some(refuse(
                        row,
                        number,
                        &others_source,
                        "SEQUENCENUMBER",
                        format!("{:?} is not a number", row.get(1)),
                    ));
                };
                let manager = OtherManager {
                    sequence_number: sequence_number as i64,
                    cik: row.opt(2).map(normalize_cik),
                    form13f_file_number: row.opt(3).map(str::to_string),
                    crd_number: row.opt(4).map(str::to_string),
                    sec_file_number: row.opt(5).map(str::to_string),
                    name: row.opt(6).map(str::to_string),
                };
                filings[i].other_managers.push((manager, number));
                None
            },
        )?;
    }

    let table_source = member_source("INFOTABLE.tsv");
    let infotable = member(&mut archive, "INFOTABLE.tsv", source)?;
    // A row is about a hundred bytes of TSV; the size is the ZIP's word, so it is capped.
    let mut table = InfoTable::with_capacity(((infotable.size() / 100) as usize).min(20_000_000));
    // The file lists a filing's rows together: remember the last lookup.
    let mut last: Option<(String, Option<usize>)> = None;
    read_tsv(
        infotable,
        &table_source,
        &INFOTABLE_COLUMNS,
        rejected,
        |number, row| {
            let accession = row.get(0);
            let filing = match &last {
                Some((a, found)) if a == accession => *found,
                _ => {
                    let found = find(accession);
                    last = Some((accession.to_string(), found));
                    found
                }
            };
            let Some(filing) = filing else {
                return (!is_landed_elsewhere(accession))
                    .then(|| unknown(row, number, &table_source));
            };
            let cusip = row.get(4);
            let (value, amount) = (parse_number(row.get(6)), parse_number(row.get(7)));
            let problem = if cusip.is_empty() {
                Some(("CUSIP", "no CUSIP".to_string()))
            } else if value.is_none() {
                Some(("VALUE", format!("{:?} is not a number", row.get(6))))
            } else if amount.is_none() {
                Some(("SSHPRNAMT", format!("{:?} is not a number", row.get(7))))
            } else {
                None
            };
            if let Some((field, reason)) = problem {
                return Some(refuse(row, number, &table_source, field, reason));
            }
            filings[filing].holdings.push(table.filing.len() as u32);
            table.filing.push(filing as u32);
            table.surrogate_key.push(
                row.get(1)
                    .parse::<i64>()
                    .unwrap_or(table.surrogate_key.len() as i64),
            );
            table.line.push(number);
            table.issuer.append_value(row.get(2));
            table.class.append_option(row.opt(3));
            if cusip.bytes().any(|b| b.is_ascii_lowercase()) {
                table.cusip.append_value(cusip.to_ascii_uppercase());
            } else {
                table.cusip.append_value(cusip);
            }
            table.figi.append_option(row.opt(5));
            table.value_raw.push(value.unwrap_or_default());
            table.amount.push(amount.unwrap_or_default());
            match row.get(8) {
                "" => table.amount_type.append_value("SH"),
                kind if kind.bytes().any(|b| b.is_ascii_lowercase()) => {
                    table.amount_type.append_value(kind.to_ascii_uppercase())
                }
                kind => table.amount_type.append_value(kind),
            }
            table
                .put_call
                .append_option(row.opt(9).map(|p| p.to_ascii_uppercase()));
            table.investment_discretion.append_option(row.opt(10));
            table.other_managers.append_option(row.opt(11));
            table.voting_sole.push(row.opt(12).and_then(parse_number));
            table.voting_shared.push(row.opt(13).and_then(parse_number));
            table.voting_none.push(row.opt(14).and_then(parse_number));
            None
        },
    )?;
    Ok(DataSet {
        filings,
        table,
        skipped,
    })
}

/// Stages a data set: one holdings file per report period, and its filings in `filings_13f`
/// (replacing what an earlier ingest of the same data set put there). Returns the rows staged.
fn stage(
    transaction: &mut Transaction,
    data_set: DataSet,
    source: &str,
    file_stem: &str,
) -> Result<u64> {
    let now = Utc::now();
    let DataSet {
        mut filings,
        mut table,
        ..
    } = data_set;
    let n = table.filing.len();

    // Per filing: its rows in information-table order (by surrogate key), its unit, its sums.
    let amount_types = table.amount_type.finish();
    let mut row_number = vec![0i64; n];
    let mut unit = vec![ValueUnit::Dollars; n];
    for filing in &mut filings {
        filing
            .holdings
            .sort_by_key(|&i| table.surrogate_key[i as usize]);
        for (position, &i) in filing.holdings.iter().enumerate() {
            row_number[i as usize] = position as i64 + 1;
        }
        let (value_unit, reason) = decide_unit_from(
            filing.holdings.iter().map(|&i| {
                let i = i as usize;
                (table.value_raw[i], table.amount[i], amount_types.value(i))
            }),
            filing.row.filed_date,
        );
        for &i in &filing.holdings {
            unit[i as usize] = value_unit;
        }
        filing.row.value_unit = value_unit;
        filing.row.value_unit_reason = reason;
        filing.row.rows = filing.holdings.len() as i64;
        filing.row.value_sum_raw = filing
            .holdings
            .iter()
            .map(|&i| table.value_raw[i as usize])
            .sum();
    }

    let cusips = table.cusip.finish();

    let mut others: BTreeMap<NaiveDate, Vec<(&str, &str, &OtherManager, u64)>> = BTreeMap::new();
    for filing in &filings {
        for (manager, line) in &filing.other_managers {
            others.entry(filing.period).or_default().push((
                filing.row.accession.as_str(),
                filing.row.cik.as_str(),
                manager,
                *line,
            ));
        }
    }
    let others_source = format!("{source}!OTHERMANAGER2.tsv");
    for (period, rows) in others {
        let period = date_partition(period);
        let batch = other_managers_batch(&rows, &others_source, now)?;
        transaction.replace(&OTHER_MANAGERS_13F, Some(&period), file_stem, batch)?;
    }
    transaction.remove_from_other_partitions(&OTHER_MANAGERS_13F, file_stem)?;
    // The rows in the lake's order, (cik, cusip, accession, row), sorted here on integer ranks
    // of the filings (the writer's own sort then finds them in order, in one pass).
    let mut ranked: Vec<usize> = (0..filings.len()).collect();
    ranked.sort_unstable_by(|&a, &b| {
        (&filings[a].row.cik, &filings[a].row.accession)
            .cmp(&(&filings[b].row.cik, &filings[b].row.accession))
    });
    let (mut cik_rank, mut accession_rank) = (vec![0u32; filings.len()], vec![0u32; filings.len()]);
    for (position, &i) in ranked.iter().enumerate() {
        accession_rank[i] = position as u32;
        cik_rank[i] = match position {
            0 => 0,
            _ if filings[ranked[position - 1]].row.cik == filings[i].row.cik => {
                cik_rank[ranked[position - 1]]
            }
            _ => cik_rank[ranked[position - 1]] + 1,
        };
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (fa, fb) = (
            table.filing[a as usize] as usize,
            table.filing[b as usize] as usize,
        );
        cik_rank[fa]
            .cmp(&cik_rank[fb])
            .then_with(|| cusips.value(a as usize).cmp(cusips.value(b as usize)))
            .then(accession_rank[fa].cmp(&accession_rank[fb]))
            .then(row_number[a as usize].cmp(&row_number[b as usize]))
    });
    let filings_by_row: Vec<(String, String)> = filings
        .iter()
        .map(|f| (f.row.accession.clone(), f.row.cik.clone()))
        .collect();
    let mut by_period: BTreeMap<NaiveDate, (Vec<u32>, Vec<FilingRow>)> = BTreeMap::new();
    for &i in &order {
        let period = filings[table.filing[i as usize] as usize].period;
        by_period.entry(period).or_default().0.push(i);
    }
    for filing in filings {
        by_period
            .entry(filing.period)
            .or_default()
            .1
            .push(filing.row);
    }
    // What an earlier ingest of this data set put in filings_13f goes first.
    transaction.delete_rows_in_every_partition(
        &FILINGS_13F,
        FILINGS_FILE,
        "holdings_file",
        &HashSet::from([file_stem]),
    )?;
    // The columns read as text, taken per period; the others are built per period from the rows.
    let issuer = table.issuer.finish();
    let class = table.class.finish();
    let figi = table.figi.finish();
    let put_call = table.put_call.finish();
    let discretion = table.investment_discretion.finish();
    let other_managers = table.other_managers.finish();
    let holdings_source = format!("{source}!INFOTABLE.tsv");
    let mut staged = 0u64;
    for (period, (rows, period_filings)) in by_period {
        let period = date_partition(period);
        if !rows.is_empty() {
            let indices = UInt32Array::from(rows);
            let at: Vec<usize> = indices.values().iter().map(|&i| i as usize).collect();
            let taken =
                |array: &dyn Array| -> Result<ArrayRef> { Ok(take(array, &indices, None)?) };
            let filing_of = |i: usize| &filings_by_row[table.filing[i] as usize];
            let floats = |values: &[f64]| -> ArrayRef {
                Arc::new(Float64Array::from_iter_values(
                    at.iter().map(|&i| values[i]),
                ))
            };
            let optional_floats = |values: &[Option<f64>]| -> ArrayRef {
                Arc::new(Float64Array::from_iter(at.iter().map(|&i| values[i])))
            };
            let columns = HoldingsColumns {
                accession: Arc::new(StringArray::from_iter_values(
                    at.iter().map(|&i| filing_of(i).0.as_str()),
                )),
                cik: Arc::new(StringArray::from_iter_values(
                    at.iter().map(|&i| filing_of(i).1.as_str()),
                )),
                row: Arc::new(Int64Array::from_iter_values(
                    at.iter().map(|&i| row_number[i]),
                )),
                issuer: taken(&issuer)?,
                class: taken(&class)?,
                cusip: taken(&cusips)?,
                cusip_valid: Arc::new(BooleanArray::from_iter(
                    at.iter().map(|&i| Some(cusip_valid(cusips.value(i)))),
                )),
                figi: taken(&figi)?,
                value_raw: floats(&table.value_raw),
                value_usd: Arc::new(Float64Array::from_iter_values(
                    at.iter().map(|&i| table.value_raw[i] * unit[i].factor()),
                )),
                value_unit: Arc::new(StringArray::from_iter_values(
                    at.iter().map(|&i| unit[i].as_str()),
                )),
                amount: floats(&table.amount),
                amount_type: taken(&amount_types)?,
                put_call: taken(&put_call)?,
                investment_discretion: taken(&discretion)?,
                other_managers: taken(&other_managers)?,
                voting_sole: optional_floats(&table.voting_sole),
                voting_shared: optional_floats(&table.voting_shared),
                voting_none: optional_floats(&table.voting_none),
                accepted_at: Arc::new(timestamps_opt_n(None, at.len())),
            };
            let part = holdings_batch(
                columns,
                &holdings_source,
                at.iter().map(|&i| table.line[i]),
                now,
            )?;
            staged += part.num_rows() as u64;
            transaction.replace(&HOLDINGS_13F, Some(&period), file_stem, part)?;
        }
        transaction.upsert(
            &FILINGS_13F,
            Some(&period),
            FILINGS_FILE,
            filings_batch(&period_filings, now)?,
        )?;
    }
    // A period the data set no longer has keeps none of its rows.
    transaction.remove_from_other_partitions(&HOLDINGS_13F, file_stem)?;
    Ok(staged)
}

/// Lands one data set's ZIP, all of it or nothing. Returns the rows landed and a note for the log.
fn land(
    lake: &Lake,
    bytes: &[u8],
    source: &str,
    name: &str,
    rejected: &mut Vec<Rejected>,
) -> Result<(u64, Option<String>)> {
    let file_stem = holdings_file(name);
    let landed = landed_filings(lake)?;
    let clock = std::time::Instant::now();
    let data_set = read_data_set(bytes, source, &file_stem, &landed, rejected)?;
    tracing::debug!("{source}: read in {:?}", clock.elapsed());
    let skipped = data_set.skipped;
    let filings = data_set.filings.len();
    let mut transaction = Transaction::new(lake);
    let rows = stage(&mut transaction, data_set, source, &file_stem)?;
    tracing::debug!("{source}: staged in {:?}", clock.elapsed());
    transaction.commit()?;
    tracing::debug!("{source}: written in {:?}", clock.elapsed());
    let mut notes = vec![format!("{filings} filings")];
    if skipped > 0 {
        notes.push(format!(
            "{skipped} filings skipped: the lake holds them already from EDGAR or another data set"
        ));
    }
    if !rejected.is_empty() {
        notes.push(format!(
            "{} records refused (see rejected_records)",
            rejected.len()
        ));
    }
    Ok((rows, Some(notes.join("; "))))
}

/// Lands data set ZIPs from local files; each file's name names its data set.
pub fn ingest_files(lake: &Lake, paths: &[PathBuf]) -> Result<IngestReport> {
    ingest_local_files(
        lake,
        &HOLDINGS_13F,
        paths,
        |path: &Path, source, bytes, refused| {
            let name = data_set_name(&path.to_string_lossy())?;
            land(lake, &bytes, source, &name, refused).map(|(rows, _)| rows)
        },
    )
}

/// Fetches each named data set from EDGAR and lands it. Stops, saying when to run again, when the
/// SEC refuses requests (403/429 past the retries), as the EDGAR collector does.
pub async fn ingest_remote(
    lake: &Lake,
    http: &HttpClient,
    base_url: &str,
    names: &[String],
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let _lock = lake.lock()?;
    let mut run = IngestRun::new(&HOLDINGS_13F);
    progress.add_work(names.len() as u64);
    let sources = names.iter().map(|name| RemoteSource {
        url: data_set_url(base_url, name),
        label: format!("Form 13F data set {name}"),
        when_absent: (
            SourceStatus::NotPublished,
            format!("the SEC has not published a Form 13F data set named {name}"),
        ),
        item: name.as_str(),
    });
    let landed = land_remote_sources(
        lake,
        &mut run,
        http,
        sources,
        progress,
        |source, bytes, refused| land(lake, bytes, &source.url, source.item, refused),
    )
    .await;
    match landed {
        Err(error) if error.is_refusal() => Err(Error::http(
            base_url,
            format!(
                "the SEC is refusing requests ({error}); it blocks for about ten minutes: wait, \
                 then run the same command again ({} data sets landed in this run)",
                run.count(SourceStatus::Landed)
            ),
        )),
        Err(error) => Err(error),
        Ok(()) => Ok(IngestReport::of(&run)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_set_names_and_urls() {
        for (typed, name) in [
            ("2024q3", "2024q3"),
            ("2024Q3", "2024q3"),
            ("/tmp/2024q3_form13f.zip", "2024q3"),
            ("01sep2024-30nov2024_form13f.zip", "01sep2024-30nov2024"),
        ] {
            assert_eq!(data_set_name(typed).ok().as_deref(), Some(name), "{typed}");
        }
        assert!(data_set_name("2024 q3").is_err());
        assert_eq!(
            data_set_url("https://www.sec.gov/", "2024q3"),
            "https://www.sec.gov/files/structureddata/data/form-13f-data-sets/2024q3_form13f.zip"
        );
    }

    #[test]
    fn dates_as_the_data_sets_write_them() {
        assert_eq!(
            parse_date("31-DEC-2024"),
            NaiveDate::from_ymd_opt(2024, 12, 31)
        );
        assert_eq!(
            parse_date("05-sep-2023"),
            NaiveDate::from_ymd_opt(2023, 9, 5)
        );
        assert_eq!(parse_date("2024-12-31"), None);
    }
}
